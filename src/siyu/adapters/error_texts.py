"""The domain errors' texts by code, in a language, for the layers below the console.

The texts live in the console's catalogs (``web/locale/<locale>/LC_MESSAGES/messages.po``:
``msgctxt`` = the error's code, ``msgid`` = its English template). The WeCom setup check tells
an admin what is wrong in their language through the API and the CLI, which may not import
the console, so they read the same files here with Babel's PO reader (the library the console
uses) rather than keep a second copy of the sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"


@lru_cache(maxsize=None)
def error_texts(locale: str) -> dict[str, str]:
    """Code -> template in ``locale``: the entries whose ``msgctxt`` is an error code (it has a
    dot, ``stage.in_use``; the console's own contexts are plain words). English keeps the
    ``msgid``, which is the error's template."""
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {m.context: m.string or m.id for m in read_po(po, locale=locale) if m.context and "." in m.context and m.id}


def error_text(locale: str, code: str | None, params: Mapping[str, object] | None, english: str) -> str:
    """The error ``code`` in ``locale`` filled with ``params``; ``english`` when no catalog text fits."""
    text = error_texts(locale).get(code or "")
    if text is None:
        return english
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):  # values stored before the wording changed
        return english
