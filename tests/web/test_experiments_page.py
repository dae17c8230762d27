"""The experiments pages: the list, and a report with its verdict in plain language."""

from __future__ import annotations

from datetime import UTC, datetime

from siyu.domain.experiments import Arm, ExperimentDraft
from siyu.services import experiments
from tests.integration.test_experiment_report import _events, _seed

START = datetime(2026, 11, 1, 12, tzinfo=UTC)


def test_the_report_page_says_whether_the_send_made_a_difference(context, org, signed_in) -> None:
    people = [org.customer(f"实验客户{i}") for i in range(40)]
    made = experiments.create_experiment(context.uow(), org.system, ExperimentDraft.holdout(name="双十二召回", holdout_percent=50,
                                                                                            window_days=14), started_at=START)
    holdout, send = people[:20], people[20:]
    _seed(context, org.system, {(made.id, "holdout"): holdout, (made.id, "send"): send},
          [(c, 1, "100.00", "0") for c in send[:15]] + [(holdout[0], 2, "30.00", "0")])
    _events(context, org.system, [(c, 1, "message_replied") for c in send[5:15] + holdout[:2]])

    listed = signed_in.get("/experiments")
    assert listed.status_code == 200 and "双十二召回" in listed.text and f'href="/experiments/{made.id}"' in listed.text
    shown = signed_in.get(f"/experiments/{made.id}")
    assert shown.status_code == 200
    assert "在 95% 水平下显著" in shown.text  # 15/20 against 1/20
    assert "75.00%" in shown.text and "5.00%" in shown.text and "¥1500.00" in shown.text
    assert "回复人数" in shown.text and "message_replied" in shown.text and "/docs#/events/" in shown.text  # where replies come from
    arms = shown.text[:shown.text.index('class="card verdict"')]
    assert "50.00%" in arms and "10.00%" in arms  # reply rates: 10/20 and 2/20
    verdict = shown.text[shown.text.index('class="replies"'):]
    assert "p = 0.0058" in verdict[:400]  # pooled p = 0.3, z = 0.4 / sqrt(0.3 * 0.7 / 10) = 2.760, p = 2 * (1 - Phi(z))
    assert 'class="info" title="' in shown.text

    quiet = signed_in.get(f"/experiments/{made.id}?window_days=1")  # day 1 is outside a 1-day window: nobody converted
    assert "两组都没有人转化" in quiet.text and 'value="1"' in quiet.text and "两组都没有人回复" in quiet.text


def test_an_empty_arm_is_explained(context, org, signed_in) -> None:
    draft = ExperimentDraft.parse(name="空组实验", arms=[Arm("holdout", 1, control=True), Arm("a", 1)])
    made = experiments.create_experiment(context.uow(), org.system, draft, started_at=START)
    shown = signed_in.get(f"/experiments/{made.id}")
    assert shown.status_code == 200 and "有一组还没有客户" in shown.text
