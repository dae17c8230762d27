"""The journeys pages: create from a template, see coded errors naming the step, start, pause, stop, step counts."""

from __future__ import annotations

import json


def test_journeys_are_made_edited_and_run_from_the_console(context, org, signed_in):
    listed = signed_in.get("/journeys")
    assert listed.status_code == 200 and "沉睡唤醒" in listed.text  # the templates, in Chinese
    made = signed_in.post("/journeys", {"name": "", "template": "silent_wakeup", "definition": ""})
    assert made.status_code in (302, 303)
    location = made.headers["location"]
    shown = signed_in.get(location)
    assert shown.status_code == 200 and "沉睡唤醒" in shown.text and "草稿" in shown.text and "call" in shown.text

    bad_json = signed_in.post(location, {"name": "沉睡唤醒", "definition": "{not json"})
    assert bad_json.status_code == 422 and "定义不是有效的 JSON" in bad_json.text
    definition = {"trigger": {"kind": "no_purchase", "days": 60},
                  "steps": [{"id": "wait", "kind": "wait", "days": 1}, {"id": "call", "kind": "guide_task", "title": ""}]}
    bad_step = signed_in.post(location, {"name": "沉睡唤醒", "definition": json.dumps(definition)})
    assert bad_step.status_code == 422 and "steps[1]" in bad_step.text  # the error names the step
    definition["steps"][1]["title"] = "回访"
    saved = signed_in.post(location, {"name": "沉睡60天", "definition": json.dumps(definition)})
    assert saved.status_code in (302, 303)
    assert "沉睡60天" in signed_in.get(location).text and "第 2 版" in signed_in.get(location).text

    assert signed_in.post(f"{location}/status", {"action": "start"}).status_code in (302, 303)
    running = signed_in.get(location).text
    assert "暂停" in running and "永久停止" in running  # the pause and stop buttons of a running journey
    refused = signed_in.post(f"{location}/status", {"action": "resume"})
    assert refused.status_code == 409
    assert signed_in.post(f"{location}/status", {"action": "stop"}).status_code in (302, 303)
    stopped = signed_in.get(location).text
    assert "已停止" in stopped and 'name="definition"' not in stopped
