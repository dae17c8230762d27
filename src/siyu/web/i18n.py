"""Console languages: one Babel catalog and one Jinja environment per locale.

The catalogs are the ``.po`` files under ``web/locale``; they are compiled in memory at
start-up (Babel's ``read_po`` -> ``write_mo`` -> ``Translations``), so there is no ``.mo``
file to build or commit. Each locale gets its own Jinja environment with the i18n extension
installed, which keeps concurrent requests in different languages apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from siyu import __version__
from siyu.adapters.error_texts import error_text, error_texts
from siyu.domain.access import Permission, Role
from siyu.domain.add_friend import NumberState
from siyu.domain.customers import Gender, RelationState, TagSource
from siyu.domain.errors import DomainError
from siyu.domain.fields import FieldKind
from siyu.domain.guide_tasks import TaskKind, TaskSource, TaskState
from siyu.domain.identities import IdentityKind, IdentitySource
from siyu.domain.organisation import Region, StaffStatus, Store
from siyu.services.users import LOCALES

WEB_DIR = Path(__file__).parent
LOCALE_DIR = WEB_DIR / "locale"
TEMPLATE_DIR = WEB_DIR / "templates"
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
# The brands are in mainland China: dates people read (a customer's "added on") are local.
BRAND_TZ = ZoneInfo("Asia/Shanghai")


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

# Customer vocabularies, looked up in templates as ``label("identity", kind)``.
LABELS: dict[str, dict[str, str]] = {
    "identity": {
        IdentityKind.PHONE: N_("Phone"),
        IdentityKind.UNIONID: N_("UnionID"),
        IdentityKind.OPENID: N_("OpenID"),
        IdentityKind.MEMBER_NO: N_("Member number"),
        IdentityKind.WECOM_EXTERNAL: N_("WeCom external contact"),
        IdentityKind.EMAIL: N_("Email"),
        IdentityKind.POS_ID: N_("POS member"),
    },
    "identity_source": {
        IdentitySource.MANUAL: N_("entered by hand"),
        IdentitySource.IMPORT: N_("import"),
        IdentitySource.API: N_("API"),
        IdentitySource.WECOM: N_("WeCom"),
        IdentitySource.ORDER: N_("order"),
        IdentitySource.DEMO: N_("demo data"),
    },
    "relation": {
        RelationState.ACTIVE: N_("Connected"),
        RelationState.DELETED_BY_CUSTOMER: N_("Customer deleted the staff member"),
        RelationState.DELETED_BY_STAFF: N_("Staff member deleted the customer"),
        RelationState.TRANSFERRED: N_("Transferred"),
        RelationState.ENDED: N_("No longer in WeCom"),
    },
    "gender": {str(Gender.UNKNOWN.value): N_("Unknown"), str(Gender.MALE.value): N_("Male"),
               str(Gender.FEMALE.value): N_("Female")},
    "tag_source": {
        TagSource.MANUAL: N_("by hand"),
        TagSource.IMPORT: N_("import"),
        TagSource.CHANNEL: N_("contact way"),
        TagSource.RULE: N_("automatic rule"),
        TagSource.WECOM_SYNC: N_("WeCom sync"),
    },
    "field_kind": {
        FieldKind.TEXT: N_("Text"),
        FieldKind.NUMBER: N_("Number"),
        FieldKind.DATE: N_("Date"),
        FieldKind.SINGLE: N_("Single choice"),
        FieldKind.MULTI: N_("Multiple choice"),
    },
    "task_kind": {
        TaskKind.GREET: N_("Greet"),
        TaskKind.FOLLOW_UP: N_("Follow up"),
        TaskKind.SEND_CONTENT: N_("Send content"),
        TaskKind.GIVE_COUPON: N_("Give a coupon"),
        TaskKind.INVITE_TO_GROUP: N_("Invite to a group"),
        TaskKind.ADD_FRIEND: N_("Add as a friend"),
        TaskKind.OTHER: N_("Other task"),
    },
    "task_state": {
        TaskState.OPEN: N_("To do"),
        TaskState.DONE: N_("Done"),
        TaskState.SKIPPED: N_("Skipped"),
        TaskState.CANCELLED: N_("Cancelled"),
    },
    "task_source": {
        TaskSource.MANUAL: N_("Own task"),
        TaskSource.MANAGER_ASSIGNMENT: N_("From a manager"),
        TaskSource.JOURNEY: N_("Journey"),
        TaskSource.MASS_SEND: N_("Mass send"),
        TaskSource.LIFECYCLE_RULE: N_("Lifecycle reminder"),
        TaskSource.ADD_FRIEND: N_("Bulk add-friend"),
    },
    "add_friend_state": {
        NumberState.PENDING: N_("Not added yet"),
        NumberState.ADDED: N_("Friend added"),
        NumberState.ADDED_BY_OTHER_STAFF: N_("Added by another staff member"),
        NumberState.INVALID: N_("Invalid number"),
    },
}

@lru_cache(maxsize=None)
def _read_catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


load_error_texts = error_texts  # the domain errors' texts by code (siyu.adapters.error_texts)


@lru_cache(maxsize=None)
def load_translations(locale: str) -> Translations:
    """Compile ``locale/<locale>/LC_MESSAGES/messages.po`` in memory, once per process
    (the catalogs ship with the package and do not change while it runs)."""
    catalog = _read_catalog(locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    translations: Translations
    env: Environment
    error_texts: Mapping[str, str]

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

    def label(self, vocabulary: str, value: object) -> str:
        """A customer vocabulary word (identity kind, relation state ...); unknown values as they are."""
        key = str(value.value if isinstance(value, Gender) else value)
        message = LABELS[vocabulary].get(key)
        return self.gettext(message) if message else key

    def error(self, exc: DomainError) -> str:
        """The error in this language, by its code (the catalog entry with ``msgctxt`` = the
        code), filled with the error's params. An error the catalogs do not know is shown in English.
        An error raised from another coded error (``raise InvalidInput(..., reason=cause.message)
        from cause``, as the LTV query wraps a failed fit) gets its ``reason`` in this language too."""
        params = exc.params
        if isinstance(exc.__cause__, DomainError) and "reason" in params:
            params = {**params, "reason": self.error(exc.__cause__)}
        return self.coded(exc.code, params, exc.message)

    def coded(self, code: str | None, params: Mapping[str, object] | None, english: str) -> str:
        """A stored error (an import's bad row, a failed run) by its code and values; ``english``
        when it has no code the catalogs know."""
        return error_text(self.code, code, params, english)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=UTC, locale=self.code) + " UTC"

    def local_day(self, moment: datetime | None) -> str:
        """The calendar day in the brand's time zone."""
        return format_datetime(moment, "yyyy-MM-dd", tzinfo=BRAND_TZ, locale=self.code) if moment else "—"

    def local_when(self, moment: datetime | None) -> str:
        """Day and time in the brand's time zone (Beijing time), without a zone suffix."""
        return format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=BRAND_TZ, locale=self.code) if moment else "—"

    def who(self, actor: str | None, my_user_id: int | None = None, names: Mapping[str, str] | None = None) -> str:
        """Who did something, from the services' actor label (``user:3``, ``token:2``, ``system``);
        ``names`` are the display names of the page's labels (``services.actors.actor_names``)."""
        kind, _, number = (actor or "").partition(":")
        name = names.get(actor or "") if names else None
        if kind == "user" and number.isdigit():
            if my_user_id is not None and int(number) == my_user_id:
                return self.gettext(N_("you"))
            return name or self.gettext(N_("console user #%(id)s"), id=number)
        if kind == "token" and number.isdigit():
            if name:
                return self.gettext(N_("API token “%(name)s”"), name=name)
            return self.gettext(N_("API token #%(id)s"), id=number)
        if not actor or actor == "system":
            return self.gettext(N_("Siyu (automatic)"))
        return actor

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
    language = Language(code=code, translations=translations, env=env, error_texts=load_error_texts(code))
    env.globals.update(
        role_label=language.role,
        role_choices=language.role_choices,
        named_choices=named_choices,
        status_label=language.status,
        lang=language,
        language_names=LANGUAGE_NAMES,
        roles=list(Role),
        statuses=list(StaffStatus),
        label=language.label,
        who=language.who,
        identity_kinds=list(IdentityKind),
        field_kinds=list(FieldKind),
        Permission=Permission,
        version=__version__,
    )
    env.filters.update(when=language.when, duration=language.duration, day=language.local_day,
                       local=language.local_when)
    return language


def build_languages() -> dict[str, Language]:
    return {code: build_language(code) for code in LOCALES}
