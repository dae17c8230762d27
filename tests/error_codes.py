"""Every domain error raised in src/siyu, read from the source: (code, template, where).

An error class may carry its code and English template as class attributes (the WeCom errcode
exceptions): each such class counts once, and constructing it with no code of its own is coded.

Shared by the catalog test (tests/web/test_i18n_tokens.py) and the error-code test
(tests/unit/test_error_codes.py)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import importlib
import inspect
import pkgutil

import siyu
from siyu.domain.errors import DomainError

SRC = Path(siyu.__file__).parent


def _import_all() -> None:
    """Import every module of the package, so every DomainError subclass is registered (an error
    class defined in a module nothing imported yet would otherwise go unseen)."""
    for module in pkgutil.walk_packages(siyu.__path__, "siyu."):
        if module.name.endswith("__main__") or module.name.startswith("siyu.migrations"):
            continue  # running the CLI / Alembic's env is not importing
        importlib.import_module(module.name)


def _error_classes() -> dict[str, type[DomainError]]:
    found, todo = {}, [DomainError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _class_coded(cls: type[DomainError]) -> tuple[str, str] | None:
    """The (code, template) a class carries as attributes, when it does."""
    code, template = getattr(cls, "code", None), getattr(cls, "template", None)
    return (code, template) if isinstance(code, str) and isinstance(template, str) else None


@dataclass(frozen=True)
class Raised:
    code: str | None
    template: str | None
    where: str


def raised_errors() -> list[Raised]:
    """Each construction of a domain error in the package, with its code and template when
    both are string literals (None otherwise)."""
    _import_all()
    classes = _error_classes()
    found = []
    for cls in classes.values():
        if "template" in vars(cls) and (coded := _class_coded(cls)):
            where = Path(inspect.getfile(cls)).relative_to(SRC.parent)
            found.append(Raised(*coded, f"{where}:{inspect.getsourcelines(cls)[1]}"))
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in classes:
                continue
            if not node.args and not any(k.arg in ("code", "template") for k in node.keywords) and _class_coded(classes[name]):
                continue  # coded by its class (counted above)
            literals = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args[:2]]
            code, template = (literals + [None, None])[:2]
            if template is None:
                code = None
            found.append(Raised(code, template, f"{path.relative_to(SRC.parent)}:{node.lineno}"))
    return found
