"""`siyu analytics fit-ltv`: a CSV in, the fitted parameters out as JSON."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from siyu.analytics.ltv.files import read_transactions
from siyu.analytics.ltv.model import fit_ltv
from siyu.cli.main import app
from tests.unit import cdnow


@pytest.fixture(scope="module")
def cdnow_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cdnow")
    transactions = folder / "transactions.csv"
    with transactions.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "date", "amount"])
        writer.writerows(zip(*cdnow.transactions(), strict=True))
    summary = folder / "summary.csv"
    data = cdnow.summary()
    with summary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Customer", "frequency", "recency", "T", "monetary_value"])  # headers match without case
        writer.writerows(zip(data.customers, data.x, data.t_x, data.T, data.zbar, strict=True))
    return transactions, summary


def _run(*args: str):
    return CliRunner().invoke(app, ["analytics", "fit-ltv", *args])


def test_a_summary_csv_prints_the_published_cdnow_estimates(cdnow_files):
    _, summary = cdnow_files
    result = _run("--summary", str(summary))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    bgnbd, spend = report["bgnbd"], report["gamma_gamma"]
    assert {k: round(v, 3) for k, v in bgnbd["params"].items()} == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(bgnbd["log_likelihood"], 1) == -9582.4
    assert (round(spend["params"]["p"], 2), round(spend["params"]["q"], 2)) == (6.25, 3.74)
    assert abs(spend["params"]["gamma"] - 15.44) < 0.01
    assert (report["n_customers"], report["n_repeat_customers"], bgnbd["n_customers"], spend["n_customers"]) == (2357, 946, 2357, 946)
    assert bgnbd["converged"] is True and spend["converged"] is True and bgnbd["iterations"] > 0
    assert set(bgnbd["standard_errors"]) == {"r", "alpha", "a", "b"} and set(spend["standard_errors"]) == {"p", "q", "gamma"}
    assert report["input"] == {
        "file": str(summary), "kind": "summary", "observation_end": None, "period": "day",
        "transactions": None, "transactions_after_observation_end": 0,
    }  # fmt: skip


def test_a_transactions_csv_is_summarised_in_days_then_fitted(cdnow_files, tmp_path):
    transactions, _ = cdnow_files
    predictions = tmp_path / "predictions.csv"
    result = _run("--transactions", str(transactions), "--observation-end", "1997-09-30", "--penalizer", "0.001", "--predictions", str(predictions))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["input"]["observation_end"] == "1997-09-30"
    # the sample's 6,919 purchases: 4,960 by the end of September 1997, 1,959 after it
    assert (report["input"]["transactions"], report["input"]["transactions_after_observation_end"]) == (4960, 1959)
    assert report["n_customers"] == 2357 and report["n_repeat_customers"] == 946
    assert report["bgnbd"]["penalizer"] == 0.001
    model = fit_ltv(read_transactions(transactions, observation_end=date(1997, 9, 30)), penalizer=0.001)
    assert report["bgnbd"]["params"] == pytest.approx(model.purchases.params.as_dict(), rel=1e-9)
    assert report["gamma_gamma"]["params"] == pytest.approx(model.spend.params.as_dict(), rel=1e-9)
    with predictions.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2357
    assert list(rows[0]) == [
        "customer", "probability_alive", "expected_spend", "expected_purchases_90d", "expected_purchases_365d", "value_90d", "value_365d"
    ]
    first = rows[0]
    assert first["customer"] == "0001"
    assert float(first["value_365d"]) == pytest.approx(float(first["expected_purchases_365d"]) * float(first["expected_spend"]), rel=1e-4)


def test_without_an_observation_end_the_last_purchase_ends_it(cdnow_files):
    transactions, _ = cdnow_files
    result = _run("--transactions", str(transactions))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["input"]["observation_end"] == "1998-06-30"  # the sample runs to June 1998


@pytest.mark.parametrize(
    ("option", "content", "messages"),
    [
        pytest.param(
            "--transactions",
            "customer,date,amount\nA,2024-01-01,10\nA,2024-13-01,5\nB,2024-01-02,abc\nC,2024-01-03,-4\n",
            [
                "bad.csv: 3 bad values",
                "row 3, date: “2024-13-01” is not a date",
                "row 4, amount: “abc” is not a number",
                "row 5, amount: -4 is negative",
            ],
            id="bad rows are reported together with their line numbers",
        ),
        pytest.param(
            "--summary",
            "customer,frequency,recency,T,monetary_value\nA,1,3,10,5\n\nB,2,12,10,6\n",
            ["error (recency): row 4: recency is after T"],
            id="a summary breaking a rule names its line (blank lines counted)",
        ),
        pytest.param(
            "--summary",
            "customer,frequency,recency,T,monetary\nA,1,3,10,5\n,0,0,10,0\nA,2,4,10,6\n",
            ["bad.csv: 2 bad values", "row 3, customer: empty", "row 4, customer: “A” is on row 2 already"],
            id="each customer once, with an id",
        ),
        pytest.param(
            "--summary",
            "customer,frequency,recency,monetary_value\nA,1,3,5\n",
            ["bad.csv has no “T” column"],
            id="a missing column is named",
        ),
        pytest.param(
            "--transactions",
            "customer,date,amount\nA,2024-01-01,10\nB,2024-01-05,20\n",
            ["no customer bought more than once"],
            id="no repeat buyers is an error, not a fit",
        ),
    ],
)
def test_bad_files_fail_with_the_reason(tmp_path, option, content, messages):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = _run(option, str(path))
    assert result.exit_code == 1
    for message in messages:
        assert message in result.output


@pytest.mark.parametrize(
    "args",
    [[], ["--transactions", "{t}", "--summary", "{s}"], ["--summary", "{s}", "--observation-end", "2024-01-01"]],
)
def test_exactly_one_input_is_needed(cdnow_files, args):
    transactions, summary = cdnow_files
    result = _run(*(a.format(t=transactions, s=summary) for a in args))
    assert result.exit_code == 2
    assert "--transactions" in result.output


def test_a_bad_observation_end_is_named(cdnow_files):
    transactions, _ = cdnow_files
    result = _run("--transactions", str(transactions), "--observation-end", "1997-09-31")
    assert result.exit_code == 1
    assert "error (observation-end): “1997-09-31” is not a date" in result.output
