"""The journey editor in the console: every trigger and step kind through the page and back, the
templates pre-filled, the buttons that reshape the form, and errors on their field (Chinese and
English) with everything typed kept."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from siyu.domain.access import Role
from siyu.domain.journeys.templates import TEMPLATE_KEYS
from siyu.domain.channels import ChannelDraft
from siyu.domain.paging import PageRequest
from siyu.services import channels, fields, journeys, segments

from .conftest import Browser, Org


class _Form(HTMLParser):
    """The fields a browser would post from the page's journey form (checked boxes, selected options)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "journey-form":
            self._inside = True
        if not self._inside:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") != "submit":
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select":
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = name
            self.fields.setdefault(name, []).append("")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select" and self._select is not None:
            chosen = [v for v, on in self._options if on] or [v for v, _ in self._options[:1]]
            self.fields.setdefault(self._select, []).extend(chosen)
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(html: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def post(browser: Browser, path: str, fields: dict[str, list[str]], **kwargs):  # type: ignore[no-untyped-def]
    data = {**fields, "csrf_token": [browser.csrf]}
    return browser.client.post(path, data=data, follow_redirects=False, **kwargs)


def _steps(org: Org) -> list[dict]:  # type: ignore[type-arg]
    tag, other, stage = org.tag(), org.tag(), org.stage()
    return [
        {"id": "wait1", "kind": "wait", "days": 1, "hours": 2, "minutes": 0, "at": "10:00"},
        {"id": "hot", "kind": "branch", "rule": {"groups": [
            {"conditions": [{"kind": "tags", "op": "any", "value": [tag.id]}]},
            {"conditions": [{"kind": "orders", "attribute": "count", "op": "gte", "value": 2},
                            {"kind": "stage", "op": "in", "value": [stage.id]}]}]}, "then": "task", "else": "end"},
        {"id": "msg", "kind": "message", "text": "欢迎加入！", "next": "vip"},
        {"id": "task", "kind": "guide_task", "title": "回访", "script": "问问近况", "due_days": 2},
        {"id": "vip", "kind": "tag", "action": "remove", "tag_ids": sorted([tag.id, other.id])},
        {"id": "stage", "kind": "stage", "stage_id": stage.id},
    ]


def _triggers(org: Org) -> list[dict]:  # type: ignore[type-arg]
    channel = channels.create_channel(org.context.uow(), org.system, ChannelDraft.parse(name="门店海报", state="poster"))
    field = fields.define_field(org.context.uow(), org.system, key="anniversary", label="纪念日", kind="date")
    segment = segments.create_segment(org.context.uow(), org.system, name="高价值", rule={"groups": [{"conditions": [
        {"kind": "orders", "attribute": "count", "op": "gte", "value": 3}]}]})
    return [
        {"kind": "contact_added", "channel_ids": [channel.id]},
        {"kind": "contact_added", "channel_ids": []},
        {"kind": "tag_applied", "tag_ids": [org.tag().id]},
        {"kind": "stage_changed", "stage_ids": [org.stage().id]},
        {"kind": "purchase", "first_only": True},
        {"kind": "purchase", "first_only": False},
        {"kind": "date_field", "field": "birthday", "days_before": 0},
        {"kind": "date_field", "field": f"field:{field.key}", "days_before": 5},
        {"kind": "no_purchase", "days": 45},
        {"kind": "segment_entered", "segment_id": segment.id},
    ]


def test_every_trigger_and_step_kind_round_trips_through_the_editor_page(signed_in: Browser, org: Org) -> None:
    steps = _steps(org)
    for n, trigger in enumerate(_triggers(org)):
        made = journeys.create_journey(org.context.uow(), org.system, name=f"旅程{n}", definition={"trigger": trigger, "steps": steps})
        page = signed_in.get(f"/journeys/{made.id}/edit")
        assert page.status_code == 200 and "欢迎加入！" in page.text
        saved = post(signed_in, f"/journeys/{made.id}/edit", form_of(page.text))
        assert saved.status_code == 303, re.findall(r'class="field-error"[^>]*>([^<]*)', saved.text)
        after = journeys.get_journey(org.context.uow(), org.system, made.id)
        assert after.definition == made.definition and after.version == made.version + 1, trigger


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_each_template_opens_in_the_editor_pre_filled_and_saves(signed_in: Browser, org: Org, key: str) -> None:
    org.stage("新客")
    page = signed_in.get(f"/journeys/new?template_key={key}")
    assert page.status_code == 200 and 'data-step="1"' in page.text
    fields = form_of(page.text)
    if key == "stage_follow_up":  # the template leaves the stage to choose: refused on its field until one is
        refused = post(signed_in, "/journeys/new", fields)
        assert refused.status_code == 422 and 'id="e-trigger_ids"' in refused.text
        fields["trigger_stage_ids"] = [re.search(r'name="trigger_stage_ids" value="(\d+)"', page.text).group(1)]
    saved = post(signed_in, "/journeys/new", fields)
    assert saved.status_code == 303
    journey_id = int(saved.headers["location"].rsplit("/", 1)[1])
    made = journeys.get_journey(org.context.uow(), org.system, journey_id)
    assert made.name == fields["name"][0] and len(made.definition.steps) == page.text.count(' data-step="')


def test_the_buttons_add_move_and_remove_steps_in_place(signed_in: Browser, org: Org) -> None:
    page = signed_in.get("/journeys/new")
    fields = form_of(page.text)
    assert fields["trigger_kind"] == ["contact_added"] and fields["s0_kind"] == ["wait"]
    hx = {"HX-Request": "true"}
    added = post(signed_in, "/journeys/editor", {**fields, "action": ["add:message"]}, headers=hx)
    assert added.status_code == 200 and "<html" not in added.text and 'name="s1_id" value="message1"' in added.text
    fields = form_of(f'<form id="journey-form">{added.text}</form>')
    fields["s1_text"] = ["你好"]
    moved = post(signed_in, "/journeys/editor", {**fields, "action": ["up:1"]}, headers=hx)
    assert re.search(r'name="s0_id" value="message1".*name="s1_id" value="wait1"', moved.text, re.S)
    assert "你好" in moved.text  # typed text travels with its step
    removed = post(signed_in, "/journeys/editor", {**fields, "action": ["remove:0"]}, headers=hx)
    assert 'value="wait1"' not in removed.text and 'value="message1"' in removed.text
    switched = post(signed_in, "/journeys/editor", {**fields, "trigger_kind": ["no_purchase"]}, headers=hx)
    assert 'name="trigger_days"' in switched.text and 'name="trigger_channel_ids"' not in switched.text
    branch = post(signed_in, "/journeys/editor", {**fields, "action": ["add:branch"]}, headers=hx)
    assert 'name="s2g0c0_kind"' in branch.text and 'name="s2_then"' in branch.text
    without_js = post(signed_in, "/journeys/editor", {**fields, "action": ["add:stage"]})
    assert "<html" in without_js.text and 'name="s2_kind" value="stage"' in without_js.text


def _bad_form() -> dict[str, list[str]]:
    return {"name": ["双十一召回"], "trigger_kind": ["no_purchase"], "trigger_days": ["0"],
            "s0_id": ["w"], "s0_kind": ["wait"], "s0_days": ["2"], "s0_at": ["08:30"],
            "s1_id": ["m"], "s1_kind": ["message"], "s1_text": ["  "], "s1_next": [""],
            "s2_id": ["t"], "s2_kind": ["guide_task"], "s2_title": ["回访老客"], "s2_script": ["记得送券"], "s2_due_days": ["3"]}


def test_an_error_is_shown_on_its_field_in_chinese_and_nothing_typed_is_lost(signed_in: Browser, org: Org) -> None:
    signed_in.get("/journeys/new")
    refused = post(signed_in, "/journeys/new", _bad_form())
    assert refused.status_code == 422
    assert re.search(r'id="e-trigger_days"[^>]*>[^<]*“距上次购买天数”须为 1 到 3660 的整数', refused.text)
    kept = form_of(refused.text)
    assert kept["name"] == ["双十一召回"] and kept["s0_at"] == ["08:30"] and kept["s2_script"] == ["记得送券"]
    assert kept["s2_title"] == ["回访老客"] and kept["s2_due_days"] == ["3"] and kept["trigger_days"] == ["0"]

    fixed = {**_bad_form(), "trigger_days": ["30"]}
    empty_text = post(signed_in, "/journeys/new", fixed)
    assert empty_text.status_code == 422
    assert re.search(r'id="e-s1_text"[^>]*>第 2 步：“消息内容”为 1 到 4000 个字符', empty_text.text)
    backward = post(signed_in, "/journeys/new", {**fixed, "s1_text": ["回来看看"], "s2_next": ["m"]})
    assert backward.status_code == 422 and 'id="e-s2"' in backward.text and "第 3 步" in backward.text
    bad_id = post(signed_in, "/journeys/new", {**fixed, "s1_text": ["回来看看"], "s2_id": ["回访"]})
    assert 'id="e-s2_id"' in bad_id.text and "步骤 ID" in bad_id.text
    gone = post(signed_in, "/journeys/new", {**fixed, "s1_text": ["回来看看"], "s3_id": ["s"], "s3_kind": ["stage"],
                                             "s3_stage_id": ["999999"]})  # a stage deleted while the form was open
    assert re.search(r'id="e-s3"[^>]*>没有 ID 为 999999 的阶段', gone.text)
    no_field = post(signed_in, "/journeys/new", {**fixed, "s1_text": ["回来看看"], "trigger_kind": ["date_field"],
                                                 "trigger_field": ["field:gone"], "trigger_days_before": ["2"]})
    assert re.search(r'id="e-trigger"[^>]*>触发条件：“gone”不是日期型字段', no_field.text)
    assert form_of(no_field.text)["trigger_field"] == ["field:gone"]  # kept as chosen, not switched to the birthday
    nameless = post(signed_in, "/journeys/new", {**fixed, "s1_text": ["回来看看"], "name": [""]})
    assert 'id="e-name"' in nameless.text
    assert not journeys.list_journeys(org.context.uow(), org.system, PageRequest(page=1, page_size=20)).items  # nothing saved meanwhile


def test_errors_are_in_english_for_an_english_user(browser: Browser, org: Org) -> None:
    user = org.user(Role.ADMIN, locale="en")
    assert browser.sign_in(user.login).status_code == 303
    browser.get("/journeys/new")
    refused = post(browser, "/journeys/new", {**_bad_form(), "trigger_days": ["30"]})
    assert refused.status_code == 422
    assert re.search(r'id="e-s1_text"[^>]*>Step 2: “Message text” is 1 to 4000 characters', refused.text)


def test_a_branch_condition_error_is_shown_on_the_branch(signed_in: Browser, org: Org) -> None:
    signed_in.get("/journeys/new")
    form = {"name": ["分支"], "trigger_kind": ["purchase"], "s0_id": ["b"], "s0_kind": ["branch"], "s0g0": ["1"],
            "s0g0c0_kind": ["orders"], "s0g0c0_attribute": ["gmv"], "s0g0c0_op": ["gte"], "s0g0c0_value": ["很多"],
            "s0_then": ["end"], "s0_else": ["end"]}
    refused = post(signed_in, "/journeys/new", form)
    assert refused.status_code == 422 and re.search(r'id="e-s0_rule"[^>]*>第 1 步：', refused.text)
    assert 'value="很多"' in refused.text


def PageRequest(page=1, page_size=20):  # type: ignore[no-untyped-def]
    from siyu.domain.paging import PageRequest
    return PageRequest(page=1, page_size=20)


def test_a_step_moved_above_the_branch_that_leads_to_it_is_refused_not_silently_changed(signed_in: Browser, org: Org) -> None:
    signed_in.get("/journeys/new")
    form = {"name": ["先后"], "trigger_kind": ["purchase"], "s0_id": ["b"], "s0_kind": ["branch"], "s0g0": ["1"],
            "s0g0c0_kind": ["orders"], "s0g0c0_attribute": ["count"], "s0g0c0_op": ["gte"], "s0g0c0_value": ["1"],
            "s0_then": ["end"], "s0_else": ["t"], "s1_id": ["t"], "s1_kind": ["guide_task"], "s1_title": ["回访"]}
    moved = post(signed_in, "/journeys/editor", {**form, "action": ["down:0"]}, headers={"HX-Request": "true"})
    kept = form_of(f'<form id="journey-form">{moved.text}</form>')
    assert kept["s0_id"] == ["t"] and kept["s1_else"] == ["t"]  # the branch still names it
    refused = post(signed_in, "/journeys/new", {**kept, "name": ["先后"]})
    assert refused.status_code == 422 and re.search(r'id="e-s1"[^>]*>第 2 步：步骤只能跳到后面的步骤', refused.text)
    saved = post(signed_in, "/journeys/new", {**kept, "name": ["先后"], "s1_else": ["end"]})
    assert saved.status_code == 303
    page = signed_in.get(saved.headers["location"]).text
    assert "先后" in page and "客户购买" in page  # the journey's page names its trigger
