"""Every domain error raised in src/siyu, read from the source: (code, template, where).

Shared by the catalog test (tests/web/test_i18n_tokens.py) and the error-code test
(tests/unit/test_error_codes.py)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import siyu
import siyu.web.csrf  # noqa: F401 (registers CsrfRejected as a DomainError subclass)
from siyu.domain.errors import DomainError

SRC = Path(siyu.__file__).parent


def _error_classes() -> set[str]:
    found, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


@dataclass(frozen=True)
class Raised:
    code: str | None
    template: str | None
    where: str


def raised_errors() -> list[Raised]:
    """Each construction of a domain error in the package, with its code and template when
    both are string literals (None otherwise)."""
    classes = _error_classes()
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in classes:
                continue
            literals = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args[:2]]
            code, template = (literals + [None, None])[:2]
            if template is None:
                code = None
            found.append(Raised(code, template, f"{path.relative_to(SRC.parent)}:{node.lineno}"))
    return found
