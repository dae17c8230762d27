"""Both channels implement the whole Channel port, with the port's own signatures."""

from __future__ import annotations

import inspect

import pytest

from siyu.adapters.channels.port import Channel
from siyu.adapters.channels.sandbox import SandboxChannel
from siyu.adapters.channels.wecom import WeComChannel

PORT_METHODS = sorted(name for name, member in vars(Channel).items() if inspect.isfunction(member) and not name.startswith("_"))


@pytest.mark.parametrize("implementation", [WeComChannel, SandboxChannel])
def test_every_port_method_is_implemented_with_its_signature(implementation):
    assert len(PORT_METHODS) >= 20
    for name in PORT_METHODS:
        wanted = inspect.signature(getattr(Channel, name))
        found = inspect.signature(getattr(implementation, name))
        assert list(found.parameters) == list(wanted.parameters), name
        for parameter in wanted.parameters.values():
            assert found.parameters[parameter.name].default == parameter.default, (name, parameter.name)
            assert found.parameters[parameter.name].kind == parameter.kind, (name, parameter.name)
            assert found.parameters[parameter.name].annotation == parameter.annotation, (name, parameter.name)
        assert found.return_annotation == wanted.return_annotation, name
