"""Templates for the common journeys: start from one, then edit (ids to fill in are the caller's)."""

from __future__ import annotations

from typing import Any

from siyu.domain.errors import NotFound

CHECK_IN = "今天有空聊聊吗？有任何问题随时找我。"


def _templates(tag_id: int | None, stage_id: int | None) -> dict[str, tuple[str, dict[str, Any]]]:
    tag = [tag_id] if tag_id else []
    return {
        "welcome_series": ("新好友欢迎", {
            "trigger": {"kind": "contact_added", "channel_ids": []},
            "steps": [
                {"id": "day1", "kind": "wait", "days": 1, "at": "10:00"},
                {"id": "intro", "kind": "message", "text": "欢迎加入！这是我们的新客专享福利，点击领取。"},
                {"id": "day3", "kind": "wait", "days": 2, "at": "20:00"},
                {"id": "bought", "kind": "branch", "rule": {"groups": [{"conditions": [
                    {"kind": "orders", "attribute": "count", "op": "gte", "value": 1}]}]}, "then": "end", "else": "nudge"},
                {"id": "nudge", "kind": "guide_task", "title": "新客回访", "script": CHECK_IN, "due_days": 1},
            ]}),
        "first_purchase": ("首购回访", {
            "trigger": {"kind": "purchase", "first_only": True},
            "steps": [
                {"id": "thanks", "kind": "message", "text": "感谢您的首单！使用有任何问题随时找我。"},
                {"id": "week", "kind": "wait", "days": 7, "at": "19:00"},
                {"id": "review", "kind": "guide_task", "title": "首购7天回访", "script": "使用感受怎么样？", "due_days": 2},
                *([{"id": "tag", "kind": "tag", "action": "apply", "tag_ids": tag}] if tag else []),
            ]}),
        "birthday": ("生日关怀", {
            "trigger": {"kind": "date_field", "field": "birthday", "days_before": 3},
            "steps": [
                {"id": "remind", "kind": "guide_task", "title": "客户生日将至", "script": "准备生日祝福和礼券", "due_days": 3},
                {"id": "morning", "kind": "wait", "days": 3, "at": "09:00"},
                {"id": "wish", "kind": "message", "text": "生日快乐！送上一份生日专属礼券。"},
            ]}),
        "silent_wakeup": ("沉睡唤醒", {
            "trigger": {"kind": "no_purchase", "days": 90},
            "steps": [
                {"id": "miss", "kind": "message", "text": "好久不见，为您准备了回归礼。"},
                {"id": "wait", "kind": "wait", "days": 7},
                {"id": "back", "kind": "branch", "rule": {"groups": [{"conditions": [
                    {"kind": "orders", "attribute": "last_purchase", "op": "within_days", "value": 7}]}]},
                 "then": "end", "else": "call"},
                {"id": "call", "kind": "guide_task", "title": "沉睡客户回访", "script": CHECK_IN, "due_days": 3},
            ]}),
        "stage_follow_up": ("阶段跟进提醒", {
            "trigger": {"kind": "stage_changed", "stage_ids": [stage_id] if stage_id else []},
            "steps": [
                {"id": "soon", "kind": "wait", "hours": 2},
                {"id": "follow", "kind": "guide_task", "title": "阶段变化跟进", "script": CHECK_IN, "due_days": 1},
                {"id": "later", "kind": "wait", "days": 3},
                {"id": "again", "kind": "guide_task", "title": "阶段变化二次跟进", "script": CHECK_IN, "due_days": 1},
            ]}),
    }


TEMPLATE_KEYS = ("welcome_series", "first_purchase", "birthday", "silent_wakeup", "stage_follow_up")


def template(key: str, *, tag_id: int | None = None, stage_id: int | None = None) -> tuple[str, dict[str, Any]]:
    """The (name, definition) of a template; ``stage_follow_up`` needs a stage id to be valid."""
    found = _templates(tag_id, stage_id).get(key)
    if found is None:
        raise NotFound("journey.no_template", "no journey template “%(key)s”", key=key)
    return found
