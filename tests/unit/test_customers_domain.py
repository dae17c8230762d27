from datetime import UTC, date, datetime, timedelta

import pytest

from siyu.domain.customers import CustomerRecord, Gender, MergeCandidate, Profile, choose_survivor, parse_date
from siyu.domain.errors import InvalidInput
from siyu.domain.fields import CustomField, FieldKind, clean_field_key, clean_values
from siyu.domain.identities import IdentityKey, IdentityKind

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("phone", "+86 138 0013 8000", "13800138000"),
        ("email", " Wang.Fang@Example.COM ", "wang.fang@example.com"),
        ("member_no", " vip-0001 ", "VIP-0001"),
        ("unionid", "oXyZ-123_abc", "oXyZ-123_abc"),
    ],
)
def test_identity_values_are_normalised_so_equal_keys_match(kind, raw, stored):
    assert IdentityKey.parse(kind, raw).value == stored


@pytest.mark.parametrize(("kind", "raw"), [("phone", "123"), ("email", "not-an-email"), ("member_no", "有空格 1"), ("openid", "bad id")])
def test_bad_identity_values_name_their_kind(kind, raw):
    with pytest.raises(InvalidInput) as caught:
        IdentityKey.parse(kind, raw)
    assert caught.value.field == kind


def test_unknown_identity_kind_is_refused():
    with pytest.raises(InvalidInput, match="unknown identity kind"):
        IdentityKey.parse("qq", "12345")


def test_masking():
    assert IdentityKey(IdentityKind.PHONE, "13800138000").masked() == "138****8000"
    assert IdentityKey(IdentityKind.EMAIL, "wang@example.com").masked() == "w***@example.com"


def test_a_record_needs_an_identity():
    with pytest.raises(InvalidInput):
        CustomerRecord(keys=())


def test_the_oldest_customer_survives_and_the_lower_id_breaks_ties():
    older = MergeCandidate(9, T0)
    assert choose_survivor([MergeCandidate(3, T0 + timedelta(days=1)), older]) == older
    assert choose_survivor([MergeCandidate(8, T0), MergeCandidate(5, T0)]).id == 5


@pytest.mark.parametrize(("raw", "gender"), [("男", Gender.MALE), ("F", Gender.FEMALE), ("2", Gender.FEMALE), ("", Gender.UNKNOWN)])
def test_gender_words(raw, gender):
    assert Gender.parse(raw) is gender


@pytest.mark.parametrize("raw", ["1990-05-01", "1990/5/1", "1990.05.01", "1990年5月1日"])
def test_dates_in_the_usual_chinese_spellings(raw):
    assert parse_date(raw, field="birthday") == date(1990, 5, 1)


@pytest.mark.parametrize("raw", ["1990-13-01", "01/05/1990x", "yesterday"])
def test_bad_dates(raw):
    with pytest.raises(InvalidInput):
        parse_date(raw, field="birthday")


def test_profile_parse_ignores_blanks():
    assert Profile.parse(name=" ", gender="", region="").values() == {}


def _field(kind: FieldKind, options: tuple[str, ...] = (), required: bool = False) -> CustomField:
    return CustomField(id=1, key="k", label="字段", kind=kind, options=options, required=required, position=1)


@pytest.mark.parametrize(
    ("kind", "options", "raw", "stored"),
    [
        (FieldKind.TEXT, (), "  你好 ", "你好"),
        (FieldKind.NUMBER, (), "1,234.5", 1234.5),
        (FieldKind.NUMBER, (), "12", 12),
        (FieldKind.DATE, (), "2024/2/29", "2024-02-29"),
        (FieldKind.SINGLE, ("A", "B"), "B", "B"),
        (FieldKind.MULTI, ("A", "B", "C"), "C、A", ["A", "C"]),
    ],
)
def test_field_values_are_cleaned_by_kind(kind, options, raw, stored):
    assert _field(kind, options).clean(raw) == stored


@pytest.mark.parametrize(
    ("kind", "options", "raw"),
    [(FieldKind.NUMBER, (), "abc"), (FieldKind.NUMBER, (), "nan"), (FieldKind.SINGLE, ("A",), "Z"), (FieldKind.SINGLE, ("A", "B"), "A;B"),
     (FieldKind.TEXT, (), "x" * 201)],
)
def test_bad_field_values(kind, options, raw):
    with pytest.raises(InvalidInput) as caught:
        _field(kind, options).clean(raw)
    assert caught.value.field == "k"


def test_required_fields_are_enforced_on_full_writes_only():
    definitions = {"k": _field(FieldKind.TEXT, required=True)}
    assert clean_values(definitions, {}, partial=True) == {}
    with pytest.raises(InvalidInput):
        clean_values(definitions, {}, partial=False)


@pytest.mark.parametrize("key", ["1abc", "Has Space", "x" * 41, ""])
def test_bad_field_keys(key):
    with pytest.raises(InvalidInput):
        clean_field_key(key)
