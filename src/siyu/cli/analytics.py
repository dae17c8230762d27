"""``siyu analytics ...``: the read side from a terminal. ``fit-ltv`` fits the lifetime-value
models on a CSV and prints what an analyst needs to check them, as JSON."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Annotated

import typer

from siyu.domain.errors import DomainError, InvalidInput

analytics_app = typer.Typer(help="Analytics: the models and questions that run the business.", no_args_is_help=True)


@analytics_app.command("fit-ltv")
def fit_ltv(
    transactions: Annotated[
        Path | None,
        typer.Option("--transactions", exists=True, dir_okay=False, readable=True, help="CSV with customer,date,amount: one row per purchase"),
    ] = None,
    summary: Annotated[
        Path | None,
        typer.Option("--summary", exists=True, dir_okay=False, readable=True, help="CSV with customer,frequency,recency,T,monetary_value (times in days)"),
    ] = None,
    observation_end: Annotated[
        str | None, typer.Option("--observation-end", help="YYYY-MM-DD: the last day observed (transactions only; default: the last purchase)")
    ] = None,
    penalizer: Annotated[float, typer.Option(min=0.0, help="L2 penalty on the parameters, as lifetimes' penalizer_coef (0 = plain maximum likelihood)")] = 0.0,
    discount_rate: Annotated[float, typer.Option(min=0.0, max=0.99, help="Monthly discount rate for the predicted values")] = 0.0,
    predictions: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Also write each customer's P(alive), purchases and value over 90 and 365 days to this CSV")
    ] = None,
) -> None:
    """Fit BG/NBD (purchases, P(alive)) and Gamma-Gamma (spend) on a transactions or summary CSV,
    and print the parameters, standard errors, log-likelihood, customers and convergence as JSON."""
    from siyu.analytics.ltv import files
    from siyu.analytics.ltv.model import fit_ltv as fit_models
    from siyu.analytics.ltv.summary import business_day

    if (transactions is None) == (summary is None):
        raise typer.BadParameter("give exactly one of --transactions FILE and --summary FILE")
    if summary is not None and observation_end is not None:
        raise typer.BadParameter("--observation-end applies to --transactions: a summary's T already says when observation ended")
    try:
        if transactions is not None:
            try:
                end = business_day(observation_end) if observation_end is not None else None
            except InvalidInput as exc:
                exc.field = "observation-end"
                raise exc from None
            data = files.read_transactions(transactions, observation_end=end)
        else:
            assert summary is not None
            data = files.read_summary(summary)
        model = fit_models(data, penalizer=penalizer)
        if predictions is not None:
            _write_predictions(predictions, model.predict(data, monthly_discount_rate=discount_rate))
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        typer.secho(f"error{where}: {exc.message}", fg="red", err=True)
        raise typer.Exit(1) from exc
    report = {
        "input": {
            "file": str(transactions or summary),
            "kind": "transactions" if transactions is not None else "summary",
            "observation_end": data.observation_end.isoformat() if data.observation_end else None,
            "period": "day",
            "transactions": data.transactions,
            "transactions_after_observation_end": data.after_observation_end,
        },
        "n_customers": len(data),
        "n_repeat_customers": int(data.repeat_buyers.sum()),
        "bgnbd": _fit(model.purchases),
        "gamma_gamma": _fit(model.spend),
    }
    if predictions is not None:
        report["predictions"] = str(predictions)
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False))


def _fit(fit) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "params": fit.params.as_dict(),
        "standard_errors": {name: (None if math.isnan(v) else v) for name, v in fit.standard_errors.as_dict().items()},
        "log_likelihood": fit.log_likelihood,
        "n_customers": fit.n_customers,
        "penalizer": fit.penalizer,
        "converged": fit.converged,
        "iterations": fit.iterations,
    }


def _write_predictions(path: Path, value) -> None:  # type: ignore[no-untyped-def]
    horizons = sorted(value.value)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["customer", "probability_alive", "expected_spend"]
            + [f"expected_purchases_{h}d" for h in horizons]
            + [f"value_{h}d" for h in horizons]
        )
        for i, customer in enumerate(value.customers):
            writer.writerow(
                [customer, f"{value.probability_alive[i]:.6f}", f"{value.expected_spend[i]:.4f}"]
                + [f"{value.expected_purchases[h][i]:.6f}" for h in horizons]
                + [f"{value.value[h][i]:.4f}" for h in horizons]
            )
