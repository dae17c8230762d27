"""Lifetime-value fit time: Siyu's BG/NBD and Gamma-Gamma against lifetimes on the same data.

    .venv/bin/python bench/ltv_fit.py                       # CDNOW and 1,000,000 synthetic customers
    .venv/bin/python bench/ltv_fit.py --customers 200000    # a quicker run

Data: the CDNOW summary the tests use (2,357 customers, times in weeks, as published), and a
sample of --customers drawn (seeded) from the BG/NBD and Gamma-Gamma processes with the CDNOW
estimates, in days: each customer acquired on a day in the last year, buying as a Poisson
process, leaving after a repeat purchase with probability p, recency rounded up to whole days
as a transaction summary gives.

The baseline is lifetimes 0.11.3 (BetaGeoFitter, GammaGammaFitter), which cannot be imported
in Siyu's virtualenv (it needs pandas and autograd, and its import warns on pandas 3, which
Siyu's warnings-as-errors tests refuse), so it runs in a virtualenv of its own (made on the
first run under var/bench/lifetimes-venv, from PyPI) as a subprocess of this run, with the same
data file, the same numpy and scipy versions and the same timing code (this script, run again
with --worker). Each side: one untimed warm-up fit on CDNOW, then the median of --runs fits per
data set, then one more fit under tracemalloc for the peak memory the fit allocates (numpy's
allocations included). Siyu fits identical rows once with a weight; lifetimes can do the same
when given the weights, so it is timed both ways. Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CDNOW = ROOT / "tests" / "data" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"
LIFETIMES = "lifetimes==0.11.3"
# the CDNOW estimates (FHL 2005; Fader & Hardie's Gamma-Gamma note), alpha per day
BGNBD_DAYS = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="size of the synthetic sample")
    parser.add_argument("--seed", type=int, default=2005)
    parser.add_argument("--runs", type=int, default=3, help="timed fits per data set and model (median)")
    parser.add_argument("--lifetimes-venv", type=Path, default=ROOT / "var" / "bench" / "lifetimes-venv")
    parser.add_argument("--worker", choices=("siyu", "lifetimes"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_work(args.worker, args.data, args.runs)))
        return

    with tempfile.TemporaryDirectory(prefix="siyu-ltv-bench-") as folder:
        data = Path(folder) / "data.npz"
        started = time.perf_counter()
        np.savez(data, **_datasets(args.customers, args.seed))
        print(f"data: CDNOW 2,357 customers; synthetic {args.customers:,} customers (seed {args.seed}), drawn in {time.perf_counter() - started:.1f} s")
        python = _lifetimes_python(args.lifetimes_venv)
        ours = _run_worker(sys.executable, "siyu", data, args.runs)
        theirs = _run_worker(str(python), "lifetimes", data, args.runs)
    _report(ours, theirs, args)


# ---------------------------------------------------------------- data


def _datasets(customers: int, seed: int) -> dict[str, np.ndarray]:
    cdnow = np.genfromtxt(CDNOW, delimiter=",", names=True)
    x, t_x, big_t, m = _draw(customers, np.random.default_rng(seed))
    return {
        "cdnow_frequency": cdnow["x"], "cdnow_recency": cdnow["t_x"], "cdnow_T": cdnow["T"], "cdnow_monetary": cdnow["zbar"],
        "synthetic_frequency": x, "synthetic_recency": t_x, "synthetic_T": big_t, "synthetic_monetary": m,
    }  # fmt: skip


def _draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r, alpha, a, b = BGNBD_DAYS.values()
    big_t = rng.integers(1, 366, n).astype(np.float64)  # first purchase on a day of the last year
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = np.clip(rng.beta(a, b, n), 1e-12, 1.0)
    would_buy = rng.poisson(rate * big_t)  # repeat purchases in (0, T] had the customer stayed
    leaves_after = rng.geometric(dropout)  # gone after this many repeat purchases
    x = np.minimum(would_buy, leaves_after)
    t_x = np.zeros(n)
    bought = x > 0
    # the x-th of would_buy uniform purchase times on (0, T) is T * Beta(x, would_buy - x + 1)
    t_x[bought] = np.ceil(big_t[bought] * rng.beta(x[bought], would_buy[bought] - x[bought] + 1))
    p, q, gamma = GAMMA_GAMMA.values()
    nu = rng.gamma(q, 1 / gamma, n)
    monetary = np.zeros(n)
    # the mean of x Gamma(p, nu) purchase values is Gamma(p x, nu x)
    monetary[bought] = rng.gamma(p * x[bought], 1 / (nu[bought] * x[bought]))
    return x.astype(np.float64), t_x, big_t, monetary


# ---------------------------------------------------------------- the worker (either virtualenv)


def _work(worker: str, data_file: Path, runs: int) -> dict[str, Any]:
    data = np.load(data_file)
    fits = _siyu_fits() if worker == "siyu" else _lifetimes_fits()
    cdnow = _columns(data, "cdnow")
    for fit in fits.values():  # warm-up: imports, scipy's lazy loading, first-call costs
        fit(*cdnow)
    results: dict[str, Any] = {"versions": _versions(worker)}
    for dataset in ("cdnow", "synthetic"):
        columns = _columns(data, dataset)
        for name, fit in fits.items():
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                params = fit(*columns)
                times.append(time.perf_counter() - started)
            tracemalloc.start()
            fit(*columns)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            results[f"{dataset}/{name}"] = {"ms": median(times) * 1000, "peak_mb": peak / 2**20, "params": params}
    results["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def _columns(data: Any, dataset: str) -> tuple[np.ndarray, ...]:
    return tuple(data[f"{dataset}_{name}"] for name in ("frequency", "recency", "T", "monetary"))


def _siyu_fits() -> dict[str, Callable[..., list[float]]]:
    from siyu.analytics.ltv.bgnbd import fit_bgnbd
    from siyu.analytics.ltv.gamma_gamma import fit_gamma_gamma

    def bgnbd(x, t_x, big_t, m, compress=True):  # type: ignore[no-untyped-def]
        return list(fit_bgnbd(x, t_x, big_t, compress_rows=compress).params.as_dict().values())

    def gamma_gamma(x, t_x, big_t, m, compress=True):  # type: ignore[no-untyped-def]
        return list(fit_gamma_gamma(x, m, compress_rows=compress).params.as_dict().values())

    return {
        "bgnbd": bgnbd,
        "bgnbd-every-row": lambda *c: bgnbd(*c, compress=False),
        "gamma_gamma": gamma_gamma,
        "gamma_gamma-every-row": lambda *c: gamma_gamma(*c, compress=False),
    }


def _lifetimes_fits() -> dict[str, Callable[..., list[float]]]:
    import warnings

    warnings.simplefilter("ignore")  # lifetimes' import warns on pandas 3; the fit is unaffected
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    def grouped(*columns):  # type: ignore[no-untyped-def]
        rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
        return [rows[:, i] for i in range(rows.shape[1])], counts

    def bgnbd(x, t_x, big_t, m):  # type: ignore[no-untyped-def]
        return list(BetaGeoFitter().fit(x, t_x, big_t).params_.values)

    def bgnbd_weighted(x, t_x, big_t, m):  # type: ignore[no-untyped-def]
        (gx, gt_x, gt), counts = grouped(x, t_x, big_t)
        return list(BetaGeoFitter().fit(gx, gt_x, gt, weights=counts).params_.values)

    def gamma_gamma(x, t_x, big_t, m):  # type: ignore[no-untyped-def]
        repeat = x > 0
        return list(GammaGammaFitter().fit(x[repeat], m[repeat]).params_.values)

    def gamma_gamma_weighted(x, t_x, big_t, m):  # type: ignore[no-untyped-def]
        repeat = x > 0
        (gx, gm), counts = grouped(x[repeat], m[repeat])
        return list(GammaGammaFitter().fit(gx, gm, weights=counts).params_.values)

    return {"bgnbd": bgnbd, "bgnbd-weighted": bgnbd_weighted, "gamma_gamma": gamma_gamma, "gamma_gamma-weighted": gamma_gamma_weighted}


def _versions(worker: str) -> dict[str, str]:
    from importlib.metadata import version

    names = ["numpy", "scipy"] + (["lifetimes", "autograd", "pandas"] if worker == "lifetimes" else [])
    return {name: version(name) for name in names} | {"python": sys.version.split()[0]}


# ---------------------------------------------------------------- the run


def _lifetimes_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"making the baseline virtualenv {venv} ({LIFETIMES} from PyPI) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", LIFETIMES], check=True)
    return python


def _run_worker(python: str, worker: str, data: Path, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    env = os.environ | {"PYTHONWARNINGS": "ignore", "PYTHONHASHSEED": "0"}
    output = subprocess.run(
        [python, __file__, "--worker", worker, "--data", str(data), "--runs", str(runs)],
        check=True, capture_output=True, text=True, env=env,
    ).stdout  # fmt: skip
    print(f"{worker}: measured in {time.perf_counter() - started:.0f} s", flush=True)
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _report(ours: dict[str, Any], theirs: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\nsiyu: {ours['versions']}\nlifetimes: {theirs['versions']}")
    print(f"median of {args.runs} fits after a warm-up; peak = tracemalloc peak of one more fit; ratio = lifetimes ms / siyu ms\n")
    print("| data | customers | model | siyu ms | lifetimes ms | lifetimes ms, rows grouped with weights | ratio | ratio vs grouped | siyu peak MB | lifetimes peak MB | max rel. difference of the estimates |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    sizes = {"cdnow": 2_357, "synthetic": args.customers}
    for dataset in ("cdnow", "synthetic"):
        for model in ("bgnbd", "gamma_gamma"):
            mine, plain, grouped = ours[f"{dataset}/{model}"], theirs[f"{dataset}/{model}"], theirs[f"{dataset}/{model}-weighted"]
            difference = max(abs(a - b) / abs(b) for a, b in zip(mine["params"], plain["params"], strict=True))
            print(
                f"| {dataset} | {sizes[dataset]:,} | {model} | {mine['ms']:,.1f} | {plain['ms']:,.1f} | {grouped['ms']:,.1f} | "
                f"{plain['ms'] / mine['ms']:,.1f}x | {grouped['ms'] / mine['ms']:,.1f}x | {mine['peak_mb']:,.1f} | {plain['peak_mb']:,.1f} | {difference:.1e} |"
            )
    print("\n| data | model | siyu ms, every row (no grouping) | siyu peak MB, every row |")
    print("|---|---|---:|---:|")
    for dataset in ("cdnow", "synthetic"):
        for model in ("bgnbd", "gamma_gamma"):
            row = ours[f"{dataset}/{model}-every-row"]
            print(f"| {dataset} | {model} | {row['ms']:,.1f} | {row['peak_mb']:,.1f} |")
    print(f"\nmax RSS of the worker process: siyu {ours['max_rss_mb']:,.0f} MB, lifetimes {theirs['max_rss_mb']:,.0f} MB")
    print("synthetic estimates (drawn with r=0.243, alpha=30.898/day, a=0.793, b=2.426; p=6.25, q=3.74, gamma=15.44):")
    for model in ("bgnbd", "gamma_gamma"):
        print(f"  {model}: siyu {[round(v, 4) for v in ours[f'synthetic/{model}']['params']]}, lifetimes {[round(v, 4) for v in theirs[f'synthetic/{model}']['params']]}")


if __name__ == "__main__":
    main()
