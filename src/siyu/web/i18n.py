"""Console languages: one Babel catalog and one Jinja environment per locale.

The catalogs are the ``.po`` files under ``web/locale``; they are compiled in memory at
start-up (Babel's ``read_po`` -> ``write_mo`` -> ``Translations``), so there is no ``.mo``
file to build or commit. Each locale gets its own Jinja environment with the i18n extension
installed, which keeps concurrent requests in different languages apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from siyu import __version__
from siyu.domain.access import Permission, Role
from siyu.domain.errors import DomainError
from siyu.domain.organisation import Region, StaffStatus, Store
from siyu.services.users import LOCALES

WEB_DIR = Path(__file__).parent
LOCALE_DIR = WEB_DIR / "locale"
TEMPLATE_DIR = WEB_DIR / "templates"
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def N_(message: str) -> str:
    """Mark a message for ``pybabel extract`` without translating it yet."""
    return message


ROLE_LABELS = {
    Role.ADMIN: N_("Admin"),
    Role.OPERATOR: N_("Operator"),
    Role.STORE_MANAGER: N_("Store manager"),
    Role.GUIDE: N_("Guide"),
}
STATUS_LABELS = {StaffStatus.ACTIVE: N_("Active"), StaffStatus.RESIGNED: N_("Resigned")}

# Error messages with fixed wording (the domain's and the console's): the English text is the msgid.
FIXED_MESSAGES = frozenset(
    {
        N_("choose one of the options"),
        N_("a name is required"),
        N_("at most 64 characters"),
        N_("at most 200 characters"),
        N_("at most 32 letters, digits, _ or -"),
        N_("a WeCom userid is 1-64 letters, digits or _ - . @"),
        N_("guides and store managers belong to a store"),
        N_("no such region"),
        N_("no such store"),
        N_("no such staff member"),
        N_("no such API token"),
        N_("another store already uses this name"),
        N_("another store already uses this code"),
    }
)
# Domain messages that quote the input: one fixed wording per (error code, field) instead.
FIELD_MESSAGES = {
    ("invalid", "mobile"): N_("not a mainland mobile number (11 digits, starting 13-19)"),
    ("invalid", "role"): N_("unknown role"),
    ("conflict", "name"): N_("this name is already taken"),
    ("conflict", "wecom_userid"): N_("this WeCom userid already belongs to another staff member"),
}


def load_translations(locale: str) -> Translations:
    """Compile ``locale/<locale>/LC_MESSAGES/messages.po`` in memory."""
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    translations: Translations
    env: Environment

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.code]

    def gettext(self, message: str, **values: object) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    def role(self, role: Role | str) -> str:
        return self.gettext(ROLE_LABELS[Role(role)])

    def status(self, status: StaffStatus | str) -> str:
        return self.gettext(STATUS_LABELS[StaffStatus(status)])

    def role_choices(self, roles: Iterable[Role]) -> list[tuple[str, str]]:
        return [(role.value, self.role(role)) for role in roles]

    def error(self, exc: DomainError) -> str:
        """The error in this language: its own words if they are fixed, else a fixed wording."""
        if exc.message in FIXED_MESSAGES:
            return self.gettext(exc.message)
        generic = FIELD_MESSAGES.get((exc.code, exc.field or ""))
        if generic is None or self.code == "en":
            return exc.message
        return self.gettext(generic)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=UTC, locale=self.code) + " UTC"

    def duration(self, span: timedelta) -> str:
        return format_timedelta(max(span, timedelta(minutes=1)), threshold=1.5, locale=self.code)


def named_choices(items: Iterable[Region | Store]) -> list[tuple[int, str]]:
    """``<option>`` pairs for regions or stores."""
    return [(item.id, item.name) for item in items]


def build_language(code: str) -> Language:
    translations = load_translations(code)
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    language = Language(code=code, translations=translations, env=env)
    env.globals.update(
        role_label=language.role,
        role_choices=language.role_choices,
        named_choices=named_choices,
        status_label=language.status,
        lang=language,
        language_names=LANGUAGE_NAMES,
        roles=list(Role),
        statuses=list(StaffStatus),
        Permission=Permission,
        version=__version__,
    )
    env.filters.update(when=language.when, duration=language.duration)
    return language


def build_languages() -> dict[str, Language]:
    return {code: build_language(code) for code in LOCALES}
