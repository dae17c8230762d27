"""The console's guide tasks: the managers' list and rules, the home page's leaderboards, and the
guide's mobile page with one-click done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from siyu.domain.access import Role
from siyu.domain.alerts import AlertKind
from siyu.domain.guide_tasks import TaskState
from siyu.services import guide_tasks
from siyu.services.clock import utcnow

from tests.integration.test_guide_task_boards import _event

from .conftest import Browser, Org


def _task(org: Org, member, title: str, *, hours: float = -1, customer_id: int | None = None, key: str | None = None) -> int:  # type: ignore[no-untyped-def]
    with org.context.uow() as uow:
        made = guide_tasks.add_source_task_in(uow, org.tenant.id, staff_id=member.id, customer_id=customer_id, kind="follow_up",
                                              title=title, script="您好，最近还好吗？", due_at=utcnow() + timedelta(hours=hours),
                                              source_kind="journey", source_key=key or title)
        uow.commit()
    return made


def test_a_guide_marks_a_task_done_in_one_click_on_the_mobile_page(org: Org, browser: Browser) -> None:
    store = org.store()
    guide, colleague = org.member("小王", store=store), org.member("小李", store=store)
    customer = org.customer("陈女士", followed_by=guide)
    mine = _task(org, guide, "回访陈女士", customer_id=customer)
    _task(org, guide, "下周的任务", hours=24 * 7)
    _task(org, colleague, "小李的任务")
    browser.sign_in(org.user(Role.GUIDE, member=guide).login)

    shown = browser.get("/m/tasks")
    assert shown.status_code == 200
    assert "我的任务" in shown.text and "回访陈女士" in shown.text and "陈女士" in shown.text and "您好，最近还好吗？" in shown.text
    assert "下周的任务" not in shown.text and "小李的任务" not in shown.text
    assert 'name="viewport"' in shown.text and "message_replied" in shown.text  # phone-sized; says what a reply is
    assert "已逾期" in shown.text

    clicked = browser.post(f"/tasks/{mine}/done", {"back": "m"}, headers={"HX-Request": "true"})
    assert clicked.status_code == 200 and f'id="task-{mine}"' in clicked.text and 'badge-grey">完成' in clicked.text
    assert "/done" not in clicked.text  # a closed card has no buttons
    assert guide_tasks.get_task(org.context.uow(), org.system, mine).state is TaskState.DONE
    after = browser.get("/m/tasks")
    assert "回访陈女士" not in after.text and "#1" in after.text  # the only guide with a done task ranks first

    theirs = guide_tasks.list_tasks(org.context.uow(), org.system).items
    other = next(t.id for t in theirs if t.title == "小李的任务")
    assert browser.post(f"/tasks/{other}/done", {"back": "m"}).status_code == 404  # not the guide's task


def test_a_store_manager_assigns_and_filters_tasks_of_their_store(org: Org, browser: Browser) -> None:
    store, far = org.store(), org.store()
    manager, guide, elsewhere = org.member(store=store, role=Role.STORE_MANAGER), org.member("小张", store=store), org.member(store=far)
    _task(org, elsewhere, "别店任务")
    browser.sign_in(org.user(Role.STORE_MANAGER, member=manager).login)
    listed = browser.get("/tasks")
    assert listed.status_code == 200 and "导购任务" in listed.text and "别店任务" not in listed.text
    assert "生命周期提醒" in listed.text and 'action="/tasks/rules"' not in listed.text  # rules are the brand's settings

    made = browser.post("/tasks", {"staff_id": str(guide.id), "kind": "give_coupon", "title": "给老客送券", "script": "",
                                   "due_at": "2026-12-24T18:00"})
    assert made.status_code == 303
    [task] = [t for t in guide_tasks.list_tasks(org.context.uow(), org.system).items if t.title == "给老客送券"]
    assert task.staff_id == guide.id and task.due_at == datetime(2026, 12, 24, 10, 0, tzinfo=UTC)  # 18:00 Beijing
    refused = browser.post("/tasks", {"staff_id": str(elsewhere.id), "kind": "greet", "title": "越店", "due_at": "2026-12-24T18:00"})
    assert refused.status_code == 422
    bad = browser.post("/tasks", {"staff_id": str(guide.id), "kind": "greet", "title": "x", "due_at": "明天"})
    assert bad.status_code == 422 and "请填写截止日期和时间" in bad.text

    assert "给老客送券" in browser.get(f"/tasks?staff_id={guide.id}").text
    assert "给老客送券" not in browser.get("/tasks?state=done").text
    assert browser.post(f"/tasks/{task.id}/cancel").status_code == 303
    assert guide_tasks.get_task(org.context.uow(), org.system, task.id).state is TaskState.CANCELLED


def test_an_admin_adds_a_lifecycle_reminder(org: Org, browser: Browser, admin) -> None:  # type: ignore[no-untyped-def]
    stage = org.stage("意向")
    browser.sign_in(admin.login)
    bad = browser.post("/tasks/rules", {"rule_stage_id": str(stage.id), "rule_days": "0", "rule_kind": "follow_up", "rule_title": "x"})
    assert bad.status_code == 422 and "规则等待 1 到 365 天" in bad.text
    assert browser.post("/tasks/rules", {"rule_stage_id": str(stage.id), "rule_days": "3", "rule_kind": "follow_up",
                                         "rule_title": "意向三天回访", "rule_script": ""}).status_code == 303
    [rule] = guide_tasks.list_rules(org.context.uow(), org.system)
    assert (rule.stage_id, rule.days, rule.title) == (stage.id, 3, "意向三天回访")
    assert "意向三天回访" in browser.get("/tasks").text
    assert browser.post(f"/tasks/rules/{rule.id}/delete").status_code == 303
    assert guide_tasks.list_rules(org.context.uow(), org.system) == []


def test_the_home_page_shows_the_leaderboards(org: Org, signed_in: Browser) -> None:
    region = org.region("华南")
    store = org.store("深圳万象城店", region=region)
    guide = org.member("小周", store=store)
    customer = org.customer("林先生", followed_by=guide)
    done = _task(org, guide, "一", customer_id=customer)
    _task(org, guide, "二")
    guide_tasks.complete_task(org.context.uow(), org.system, done)
    _event(org.context, org.tenant.id, customer, utcnow() + timedelta(minutes=5))  # 林先生 answers
    home = signed_in.get("/")
    assert home.status_code == 200 and "导购任务排行榜" in home.text
    board = home.text[home.text.index('id="leaderboards"'):]
    assert "小周" in board and "深圳万象城店" in board and "华南" in board and "1 / 2" in board and "50%" in board
    assert "全国：2 个任务完成 1 个（50%）" in board and "1 个任务得到客户回复" in board and "会话存档" in board
    assert '<td class="replied">1 <span class="muted">(100%)</span>' in board  # replied / done


def test_an_overdue_reminder_shows_among_the_notifications(org: Org, browser: Browser) -> None:
    store = org.store()
    guide = org.member(store=store)
    _task(org, guide, "逾期的回访", hours=-3)
    assert guide_tasks.remind_overdue(org.context.uow()) == 1
    browser.sign_in(org.user(Role.GUIDE, member=guide).login)
    shown = browser.get("/notifications")
    assert "任务逾期" in shown.text and "逾期的回访" in shown.text
    assert AlertKind.TASK_OVERDUE.value == "task_overdue"
