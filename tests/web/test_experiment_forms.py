"""Making experiments in the console: the experiment form (new, change while unused), and the
mass-send form's "hold out N%" and variant B, with the send page linking its report."""

from __future__ import annotations

import re

from siyu.domain.access import Role
from siyu.domain.experiments import ExperimentDraft
from siyu.domain.paging import PageRequest
from siyu.services import experiments, mass_sends


def _names(context, org) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(e.name for e in experiments.list_experiments(context.uow(), org.system, PageRequest(page_size=100)).items)


def test_an_operator_makes_an_experiment_and_changes_it_while_unused(context, org, signed_in) -> None:
    listed = signed_in.get("/experiments")
    assert 'href="/experiments/new"' in listed.text and "新建实验" in listed.text
    form = signed_in.get("/experiments/new")
    assert form.status_code == 200 and 'name="variant_key"' in form.text and "留出比例" in form.text

    bad = signed_in.post("/experiments", {"name": "会员日", "holdout_percent": "10", "window_days": "7",
                                          "variant_key": ["a", "b"], "variant_percent": ["50", "30"]})
    assert bad.status_code == 422 and "合计为百分之 90" in bad.text
    assert 'value="会员日"' in bad.text and 'value="30"' in bad.text  # the form comes back as typed
    assert _names(context, org) == []

    made = signed_in.post("/experiments", {"name": "会员日", "holdout_percent": "10", "window_days": "14",
                                           "variant_key": ["a", "b", ""], "variant_percent": ["60", "30", ""]})
    assert made.status_code == 303
    location = made.headers["location"]
    shown = signed_in.get(location)
    assert "实验“会员日”已创建" in shown.text and f'href="{location}/edit"' in shown.text
    assert "该实验还没有已规划的群发" in shown.text

    edit = signed_in.get(f"{location}/edit")
    assert edit.status_code == 200 and 'value="会员日"' in edit.text and 'value="60"' in edit.text
    saved = signed_in.post(f"{location}/edit", {"name": "会员日 AB", "holdout_percent": "0", "window_days": "7",
                                                "variant_key": ["a", "b"], "variant_percent": ["", ""]})
    assert saved.status_code == 303
    experiment = experiments.get_experiment(context.uow(), org.system, int(location.rsplit("/", 1)[1]))
    assert (experiment.name, [(a.key, a.weight, a.baseline) for a in experiment.arms]) == (
        "会员日 AB", [("a", 5000, True), ("b", 5000, False)])

    taken = signed_in.post("/experiments", {"name": "会员日 AB", "holdout_percent": "10", "variant_key": ["send"]})
    assert taken.status_code == 409 and "已有名为 会员日 AB 的实验" in taken.text


def test_a_used_experiment_shows_why_it_cannot_change(context, org, signed_in) -> None:
    person = org.customer("在用客户")
    made = experiments.create_experiment(context.uow(), org.system, ExperimentDraft.holdout(name="在用实验", holdout_percent=10))
    experiments.assign(context.uow(), org.system, made.id, [person])
    shown = signed_in.get(f"/experiments/{made.id}")
    assert f'href="/experiments/{made.id}/edit"' not in shown.text
    edit = signed_in.get(f"/experiments/{made.id}/edit")
    assert "已有群发使用该实验" in edit.text
    refused = signed_in.post(f"/experiments/{made.id}/edit", {"name": "改名", "holdout_percent": "20", "variant_key": ["send"]})
    assert refused.status_code == 409 and "已有群发使用该实验" in refused.text
    assert experiments.get_experiment(context.uow(), org.system, made.id) == made


def test_the_send_form_holds_out_a_share_and_adds_variant_b(context, org, signed_in) -> None:
    people = [org.customer(f"群发客户{i}") for i in range(3)]
    form = signed_in.get("/mass-sends/new")
    assert 'name="holdout"' in form.text and 'name="variant_b_text"' in form.text and "B 组文案" in form.text

    refused = signed_in.post("/mass-sends", {"name": "双旦", "text": "A 文案", "audience": "picked",
                                             "customer_ids": ",".join(map(str, people)), "holdout": "on", "holdout_percent": "70",
                                             "variant_b_text": "B 文案"})
    assert refused.status_code == 422 and "留出比例为百分之 1 到 50" in refused.text and "B 文案" in refused.text
    assert _names(context, org) == [] and mass_sends.list_mass_sends(context.uow(), org.system).items == []

    made = signed_in.post("/mass-sends", {"name": "双旦", "text": "A 文案", "audience": "picked",
                                          "customer_ids": ",".join(map(str, people)), "holdout": "on", "holdout_percent": "20",
                                          "variant_b_text": "B 文案"})
    assert made.status_code == 303
    send = mass_sends.get_mass_send(context.uow(), org.system, int(made.headers["location"].rsplit("/", 1)[1]))
    experiment = experiments.get_experiment(context.uow(), org.system, send.experiment_id)
    assert experiment.name == "双旦" and [a.weight for a in experiment.arms] == [2000, 4000, 4000]
    assert send.variant_texts == {"b": "B 文案"}
    page = signed_in.get(made.headers["location"])
    assert f'href="/experiments/{experiment.id}"' in page.text and "实验报告" in page.text

    report = signed_in.get(f"/experiments/{experiment.id}")  # planned at once here: nobody has a relation
    assert f'href="/mass-sends/{send.id}"' in report.text and "受众 3 人" in report.text


def test_a_store_manager_cannot_make_experiments(context, org, browser) -> None:
    manager = org.user(Role.STORE_MANAGER, member=org.member(role=Role.STORE_MANAGER, store=org.store()))
    assert browser.sign_in(manager.login).status_code == 303
    browser.get("/")  # a page with the form token
    refused = browser.post("/experiments", {"name": "店长实验", "holdout_percent": "10", "variant_key": ["send"]})
    assert refused.status_code == 403, refused.text[-3000:]
    assert _names(context, org) == []
