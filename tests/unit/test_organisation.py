import pytest

from siyu.domain.access import Role
from siyu.domain.errors import InvalidInput
from siyu.domain.organisation import StaffDraft, StoreDraft, clean_slug
from siyu.domain.phones import mask_mobile, normalise_mobile


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "+86 138 0013 8000", "86-138-0013-8000", "0086 13800138000", " 138-0013-8000 ", "(+86)13800138000"],
)
def test_mainland_mobiles_normalise_to_eleven_digits(raw):
    assert normalise_mobile(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "138001380001", "+1 415 555 0100", "abc", ""])
def test_bad_mobiles_are_refused_with_the_field_named(raw):
    with pytest.raises(InvalidInput) as caught:
        normalise_mobile(raw)
    assert caught.value.field == "mobile"


def test_mask_mobile_keeps_prefix_and_last_four():
    assert mask_mobile("13800138000") == "138****8000"


def test_guides_must_belong_to_a_store():
    with pytest.raises(InvalidInput) as caught:
        StaffDraft.parse(wecom_userid="zhangsan", name="张三", mobile=None, store_id=None, role="guide")
    assert caught.value.field == "store_id"


def test_staff_draft_cleans_its_fields():
    draft = StaffDraft.parse(wecom_userid=" li.si@x ", name="  李  四 ", mobile="+86 139 0000 0000", store_id=2, role="store_manager")
    assert (draft.wecom_userid, draft.name, draft.mobile, draft.role) == ("li.si@x", "李 四", "13900000000", Role.STORE_MANAGER)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"wecom_userid": "has space", "name": "a", "role": "admin"}, "wecom_userid"),
        ({"wecom_userid": "x" * 65, "name": "a", "role": "admin"}, "wecom_userid"),
        ({"wecom_userid": "ok", "name": "   ", "role": "admin"}, "name"),
        ({"wecom_userid": "ok", "name": "a", "role": "boss"}, "role"),
        ({"wecom_userid": "ok", "name": "a", "role": "admin", "mobile": "123"}, "mobile"),
    ],
)
def test_staff_draft_names_the_bad_field(kwargs, field):
    kwargs = {"mobile": None, "store_id": None, **kwargs}
    with pytest.raises(InvalidInput) as caught:
        StaffDraft.parse(**kwargs)
    assert caught.value.field == field


def test_store_draft_blank_optionals_become_none():
    draft = StoreDraft.parse(name="上海店", code="  ", city=" ", address="")
    assert (draft.code, draft.city, draft.address) == (None, None, None)


def test_store_code_rejects_symbols():
    with pytest.raises(InvalidInput) as caught:
        StoreDraft.parse(name="上海店", code="SH 01!")
    assert caught.value.field == "code"


@pytest.mark.parametrize("slug", ["-abc", "abc-", "A", "a", "has_underscore", "x" * 41])
def test_bad_tenant_slugs(slug):
    with pytest.raises(InvalidInput):
        clean_slug(slug)
