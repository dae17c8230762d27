"""Every domain error raised in src/siyu has a stable code and a text for it in both catalogs."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po

import siyu.web
from siyu.domain.errors import Conflict, DomainError, InvalidInput
from tests.error_codes import raised_errors

LOCALE = Path(siyu.web.__file__).parent / "locale"
CODE = re.compile(r"[a-z]+(_[a-z]+)*\.[a-z0-9]+(_[a-z0-9]+)*")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALE / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {(m.context, m.id): m.string for m in read_po(po, locale=locale) if m.id}


def test_every_error_raised_has_a_code_and_one_template_per_code() -> None:
    raised = raised_errors()
    assert len(raised) > 100
    uncoded = sorted(r.where for r in raised if r.code is None)
    assert uncoded == []
    templates = defaultdict(set)
    for r in raised:
        if r.code is not None:
            assert CODE.fullmatch(r.code), r
            templates[r.code].add(r.template)
    assert {code: found for code, found in templates.items() if len(found) > 1} == {}


def test_every_code_has_a_chinese_and_an_english_text_with_the_same_values() -> None:
    zh, en = _catalog("zh_CN"), _catalog("en")
    missing = []
    for code, template in sorted({(r.code, r.template) for r in raised_errors() if r.code}):
        values = set(PLACEHOLDER.findall(template))
        chinese = zh.get((code, template))
        if not chinese or set(PLACEHOLDER.findall(chinese)) != values:
            missing.append(("zh_CN", code))
        if (code, template) not in en:  # the English text is the msgid (msgstr stays empty, as in the rest of en)
            missing.append(("en", code))
        elif en[(code, template)] and set(PLACEHOLDER.findall(en[(code, template)])) != values:
            missing.append(("en", code))
    assert missing == []


def test_an_error_fills_its_template_and_keeps_code_params_and_field() -> None:
    error = Conflict("stage.in_use", "%(count)s customers are in this stage; move them first", count=3)
    assert (error.code, error.kind, error.params, error.field) == ("stage.in_use", "conflict", {"count": 3}, None)
    assert error.message == str(error) == "3 customers are in this stage; move them first"
    bare = InvalidInput("page starts at 1", field="page")  # the older form: the family is the code
    assert (bare.code, bare.template, bare.message, bare.params) == ("invalid", "page starts at 1", "page starts at 1", {})
    assert isinstance(bare, DomainError)
