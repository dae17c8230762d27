"""Reading an import file's rows: which column is which, and what makes a row good.

Headers match case-insensitively, ignoring spaces, ``_``, ``-`` and ``*`` (templates mark
required columns with it), in English or Chinese (:data:`ALIASES`); then a tenant's extended
field by its key or label. Built-in names win over a field that shares one. A header that
matches nothing is reported once, as an error on row 1, and its column is not imported.

A row is good when every filled cell is valid and it has at least one identity; a bad row is
not imported at all, and each of its bad cells is reported. Tags, stages and owners must exist
already: an import never creates them (a typo would otherwise become a new tag). The same
identity on two good rows makes the later one a duplicate of the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.errors import InvalidInput
from siyu.domain.fields import CustomField
from siyu.domain.identities import IdentityKey, IdentityKind, normalise_identity
from siyu.domain.imports import CellError
from siyu.domain.organisation import Staff, StaffStatus, clean_name

DEFAULT_TAG_GROUP = "导入"
PROFILE = ("name", "gender", "birthday", "region", "avatar", "member_level")
IDENTITIES = tuple(kind.value for kind in IdentityKind)
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名", "名字", "客户姓名", "客户名称", "昵称"),
    "gender": ("gender", "sex", "性别"),
    "birthday": ("birthday", "birth date", "生日", "出生日期"),
    "region": ("region", "地区", "所在地区", "所在地"),
    "avatar": ("avatar", "头像"),
    "member_level": ("member_level", "member level", "会员级别"),
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话"),
    "email": ("email", "e-mail", "邮箱", "电子邮箱"),
    "unionid": ("unionid", "union id"),
    "openid": ("openid", "open id"),
    "member_no": ("member_no", "member no", "会员号", "会员编号", "会员卡号"),
    "pos_id": ("pos_id", "pos id", "pos编号", "pos客户编号"),
    "wecom_external": ("wecom_external", "external_userid", "外部联系人id", "企微外部联系人id"),
    "tags": ("tags", "tag", "标签"),
    "stage": ("stage", "阶段", "客户阶段", "生命周期阶段"),
    "owner": ("owner", "owner_userid", "归属员工", "所属员工", "负责员工", "跟进员工"),
}
_IGNORED_IN_HEADERS = re.compile(r"[\s_\-*]")
_TAG_SEPARATORS = re.compile(r"\s*[;,，、|；]\s*")
_UNSEEN = object()
_UNREPEATED = frozenset({"avatar"})  # profile cells that differ on every row: not remembered
_MEMO_SIZE = 50_000  # distinct values remembered per kind of cell


def normal_header(header: str) -> str:
    """A header as matched against aliases: no spaces, ``_``, ``-`` or ``*``, lowercase."""
    return _IGNORED_IN_HEADERS.sub("", header).lower()


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how Excel names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    header: str  # as written in the file
    target: str  # a key of ALIASES, or "field:<key>"


@dataclass(frozen=True, slots=True)
class ColumnMap:
    columns: tuple[Column, ...]
    width: int
    unnamed: tuple[int, ...]  # columns with an empty header: reported if they hold values

    @classmethod
    def read(cls, header: list[str], definitions: dict[str, CustomField]) -> tuple[ColumnMap, list[CellError]]:
        names = {normal_header(alias): target for target, aliases in ALIASES.items() for alias in aliases}
        for key, definition in definitions.items():
            names.setdefault(normal_header(key), f"field:{key}")
            names.setdefault(normal_header(definition.label), f"field:{key}")
        taken: dict[str, Column] = {}
        errors: list[CellError] = []
        unnamed: list[int] = []
        for index, raw in enumerate(header):
            text = raw.strip()
            target = names.get(normal_header(text))
            if not text:
                unnamed.append(index)
            elif target is None:
                errors.append(CellError.of(1, text, text, InvalidInput(
                    "import.unknown_column", "unknown column “%(column)s”: use a customer column (%(profile)s, tags, stage, owner), "
                    "an identity (%(identities)s) or an extended field's key or label",
                    column=text, profile=", ".join(PROFILE), identities=", ".join(IDENTITIES))))
            elif target in taken:
                first = taken[target]
                errors.append(CellError.of(1, text, text, InvalidInput(
                    "import.repeated_column", "the same column as “%(first)s” (column %(letter)s); only that one is imported",
                    first=first.header, letter=column_letter(first.index))))
            else:
                taken[target] = Column(index, text, target)
        return cls(tuple(taken.values()), len(header), tuple(unnamed)), errors

    def column_for(self, target: str) -> Column | None:
        return next((c for c in self.columns if c.target == target), None)

    @property
    def has_identity(self) -> bool:
        return any(c.target in IDENTITIES for c in self.columns)


@dataclass(frozen=True, slots=True)
class Lookups:
    """The tenant's names an import may refer to, loaded once by the service."""

    definitions: dict[str, CustomField]
    tags: dict[tuple[str, str], int]  # (group, tag) -> tag id
    stages: dict[str, int]  # stage name -> id
    staff: dict[str, Staff | None]  # lowercased WeCom userid -> staff member (None: no such member)


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A good row, ready to write."""

    number: int
    record: CustomerRecord  # fields as given (oneid cleans them again, as on every write path)
    fields: dict[str, Any]  # the same fields cleaned, empties dropped: what oneid would store
    tag_ids: tuple[int, ...]
    stage_id: int | None
    owner_id: int | None


class RowParser:
    """Turns each row into an :class:`ImportRow` or its errors, remembering the identities of
    earlier good rows to catch duplicates (one short string per identity: bounded by the file)."""

    def __init__(self, columns: ColumnMap, lookups: Lookups) -> None:
        self.columns = columns
        self.lookups = lookups
        self.column_errors: list[CellError] = []  # column-level problems found while reading rows
        self._seen: dict[str, int] = {}
        self._unnamed_reported: set[int] = set()
        self._cleaned: dict[tuple[str, str], Any] = {}  # (field key, cell) -> cleaned value
        self._profiled: dict[tuple[str, str], Any] = {}  # (profile column, cell) -> parsed value
        self._tagged: dict[str, tuple[int, ...]] = {}  # tags cell -> tag ids
        self._positions = {c.header: c.index for c in columns.columns}
        by_kind: dict[str, list[Column]] = {}
        for column in columns.columns:
            kind = "field" if column.target.startswith("field:") else "identity" if column.target in IDENTITIES else column.target
            by_kind.setdefault("profile" if kind in PROFILE else kind, []).append(column)
        self._identities = [(c, IdentityKind(c.target)) for c in by_kind.get("identity", [])]
        self._fields = [(c, lookups.definitions[c.target.removeprefix("field:")]) for c in by_kind.get("field", [])]
        self._profiles = by_kind.get("profile", [])
        look_ups = {"tags": self._tag_ids, "stage": self._stage_id, "owner": self._owner_id}
        self._references = [(c, look_ups[c.target]) for c in columns.columns if c.target in look_ups]

    def parse(self, number: int, cells: list[str]) -> ImportRow | list[CellError] | None:
        """None for a blank row (not counted), else a good row or the row's errors."""
        if not any(c.strip() for c in cells):
            return None
        if self.columns.unnamed:
            self._check_unnamed(cells)
        width = len(cells)
        errors: list[CellError] = []
        keys: list[IdentityKey] = []
        identity_given = False
        for column, kind in self._identities:
            raw = cells[column.index].strip() if column.index < width else ""
            if raw:
                identity_given = True
                try:
                    keys.append(IdentityKey(kind, normalise_identity(kind, raw)))
                except InvalidInput as exc:
                    errors.append(CellError.of(number, column.header, raw, exc))
        given_fields: dict[str, str] = {}
        fields: dict[str, Any] = {}
        for column, definition in self._fields:
            raw = cells[column.index].strip() if column.index < width else ""
            given_fields[definition.key] = raw
            cleaned = self._cleaned.get((definition.key, raw), _UNSEEN)
            if cleaned is _UNSEEN:
                try:
                    cleaned = definition.clean(raw)
                except InvalidInput as exc:
                    errors.append(CellError.of(number, column.header, raw, exc))
                    continue
                self._remember(self._cleaned, (definition.key, raw), cleaned)
            if cleaned is not None:
                fields[definition.key] = list(cleaned) if isinstance(cleaned, list) else cleaned
        profile = {c.target: raw for c in self._profiles if c.index < width and (raw := cells[c.index].strip())}
        found: dict[str, Any] = {"tags": (), "stage": None, "owner": None}
        for column, look_up in self._references:
            raw = cells[column.index].strip() if column.index < width else ""
            if raw:
                try:
                    found[column.target] = self._tag_ids(raw) if column.target == "tags" else look_up(raw)
                except InvalidInput as exc:
                    errors.append(CellError.of(number, column.header, raw, exc))
        parsed_profile = self._profile(number, profile, errors)
        extra = [c for c in cells[self.columns.width :] if c.strip()]
        if extra:
            errors.append(CellError.of(number, None, extra[0], InvalidInput(
                "import.too_many_values", "more values than the header has columns (%(width)s)", width=self.columns.width)))
        if not identity_given:
            errors.append(CellError.of(number, None, None, InvalidInput(
                "import.no_identity_value", "no identity: fill at least one of %(identities)s", identities=", ".join(IDENTITIES))))
        if errors:
            return sorted(errors, key=lambda e: self._positions.get(e.column, self.columns.width))
        duplicate = self._duplicate(number, cells, keys)
        if duplicate is not None:
            return [duplicate]
        return ImportRow(
            number=number,
            record=CustomerRecord(keys=tuple(keys), profile=parsed_profile, fields=given_fields),
            fields=fields,
            tag_ids=tuple(dict.fromkeys(found["tags"])),
            stage_id=found["stage"],
            owner_id=found["owner"],
        )

    def _profile(self, number: int, raw: dict[str, str], errors: list[CellError]) -> Profile:
        """What ``Profile.parse(**raw)`` gives, cell by cell; a value seen before (a gender, a
        date, a level: most cells repeat down a file) is not parsed again. Each bad cell is reported."""
        values: dict[str, Any] = {}
        for target, value in raw.items():
            if target == "name":  # Profile.parse's rule for a given name, without building a Profile per row
                try:
                    values["name"] = clean_name(value)
                except InvalidInput:
                    break
                continue
            parsed = self._profiled.get((target, value), _UNSEEN)
            if parsed is _UNSEEN:
                try:
                    parsed = getattr(Profile.parse(**{target: value}), target)
                except InvalidInput:
                    break
                if target not in _UNREPEATED:
                    self._remember(self._profiled, (target, value), parsed)
            values[target] = parsed
        else:
            return Profile(**values)
        for target, value in raw.items():
            try:
                Profile.parse(**{target: value})
            except InvalidInput as exc:
                column = self.columns.column_for(target)
                assert column is not None
                errors.append(CellError.of(number, column.header, value, exc))
        return Profile()

    @staticmethod
    def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
        """Good values only (a bad one is parsed again, to raise its error); bounded, so a file of
        all-different values costs no memory: past the bound the memo starts over."""
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[key] = value
        return value

    def _duplicate(self, number: int, cells: list[str], keys: list[IdentityKey]) -> CellError | None:
        names = [f"{k.kind.value}\x1f{k.value}" for k in keys]
        for key, name in zip(keys, names, strict=True):
            first = self._seen.get(name)
            if first is not None:
                column = self.columns.column_for(key.kind.value)
                assert column is not None
                return CellError.of(number, column.header, cells[column.index].strip(), InvalidInput(
                    "import.duplicate_row", "duplicate of row %(first)s (same %(kind)s)", first=first, kind=key.kind.value))
        for name in names:
            self._seen[name] = number
        return None

    def _check_unnamed(self, cells: list[str]) -> None:
        for index in self.columns.unnamed:
            if index not in self._unnamed_reported and index < len(cells) and cells[index].strip():
                self._unnamed_reported.add(index)
                letter = column_letter(index)
                self.column_errors.append(
                    CellError.of(1, f"column {letter}", "", InvalidInput(
                        "import.unnamed_column", "column %(letter)s has values but no header: name it, or delete the column",
                        letter=letter))
                )

    def _tag_ids(self, raw: str) -> tuple[int, ...]:
        """The tags a cell names (remembered per cell text: a file repeats a few combinations)."""
        found = self._tagged.get(raw)
        if found is None:
            found = self._remember(self._tagged, raw, tuple(self._look_up_tags(raw)))
        return found

    def _look_up_tags(self, raw: str) -> list[int]:
        found: list[int] = []
        unknown: list[str] = []
        for part in _TAG_SEPARATORS.split(raw.replace("／", "/")):
            if not part:
                continue
            group, _, name = part.partition("/") if "/" in part else (DEFAULT_TAG_GROUP, "", part)
            group, name = " ".join(group.split()), " ".join(name.split())
            tag_id = self.lookups.tags.get((group, name))
            if tag_id is None:
                unknown.append(f"“{group}/{name}”")
            else:
                found.append(tag_id)
        if unknown:
            if len(unknown) == 1:
                raise InvalidInput("import.unknown_tag", "unknown tag %(tags)s: create it first; an import does not create tags",
                                   field="tags", tags=unknown[0])
            raise InvalidInput("import.unknown_tags", "unknown tag %(tags)s: create them first; an import does not create tags",
                               field="tags", tags=", ".join(unknown))
        return found

    def _stage_id(self, raw: str) -> int:
        stage_id = self.lookups.stages.get(" ".join(raw.split()))
        if stage_id is None:
            raise InvalidInput("import.unknown_stage", "unknown stage “%(stage)s” (the stages are %(stages)s)", field="stage",
                               stage=raw, stages=", ".join(self.lookups.stages))
        return stage_id

    def _owner_id(self, raw: str) -> int:
        member = self.lookups.staff.get(raw.lower())
        if member is None:
            raise InvalidInput("import.unknown_owner", "unknown staff member “%(userid)s”: owner is a staff member's WeCom userid",
                               field="owner", userid=raw)
        if member.status is StaffStatus.RESIGNED:
            raise InvalidInput("import.resigned_owner", "staff member “%(userid)s” has resigned: choose an active owner", field="owner",
                               userid=raw)
        return member.id
