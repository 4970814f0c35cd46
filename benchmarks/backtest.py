"""Walk-forward backtest benchmark: 20 US stocks, 1990-2022 daily, the keeper's own pipeline every day, against
the same walk-forward with skfolio's ``RiskBudgeting`` solving on the same covariance, and against monthly
rebalancing through the same engine.

    .venv/bin/python benchmarks/backtest.py            # about 4-5 minutes (skfolio's walk-forward is most of it)
    .venv/bin/python benchmarks/backtest.py --quick    # 1,000 rows, one repeat: a smoke run
    .venv/bin/python benchmarks/backtest.py --study-only   # the turnover study alone (about 7 minutes)

Data: ``skfolio.datasets.load_sp500_dataset()`` (20 stocks, 8,313 business days, shipped inside skfolio's wheel),
written as ``DataFrame.to_csv`` writes it and read back by :func:`keeper.prices.load_prices_csv`, as the real-data
test does. The run: ``keeper.backtest.backtest`` with the risk-parity strategy only, the shipped
``config/keeper.local.yaml`` as the keeper config (EWMA 0.94, trigger 5 points, cost gate 1.5x, cooldown 6 h, so
below one row: the trigger is checked every day), a 60-row window, a decision every row.

Measured:

- **Wall time** of the walk-forward (the ``backtest`` call on the table already read; the CSV read is reported on
  its own), median of ``--repeats`` runs.
- **Where the time goes**: one more run with a timer around each stage (snapshot building in the backtest;
  resampling, log returns, EWMA, repair and annualizing inside the covariance estimate; the risk-budget solve; the
  policy; the trade planner). The timers cost well under 1% of the run.
- **skfolio**: the same walk-forward with ``keeper.engine.allocate`` swapped for skfolio's ``RiskBudgeting``
  (variance, the same budget) fed the keeper's covariance through a covariance estimator that returns it as is.
  The covariance depends on prices only, so both runs see identical matrices (checked); the keeper's solver is
  then timed on those matrices, solve for solve, and the largest weight difference between the two is reported.
- **Monthly rebalancing**: the same engine with ``policy.cooldown_s`` = 21 rows and the trigger and cost gate
  off (a rebalance every 21 rows, whatever the deviation: calendar-style monthly rebalancing; the move is the one
  of 1, 1/2 or 1/4 of the way to target with the largest model benefit net of cost, not always a full one), and,
  as a second reference, the shipped policy with only the 21-row cooldown added. Turnover per year and realized
  risk-contribution error come from the backtest's own report (``StrategyResult``).
- **Turnover study** (``TURNOVER_STUDY``, alone with ``--study-only``): keeper settings (estimator and half-life,
  relative trigger, cost gate, cooldown, calendar review, damped moves) each beside monthly rebalancing on the
  same estimator, against the target "turnover at most 1.5x monthly's at equal or lower realized error". Each
  row also gets the realized error on common 21-row blocks (:func:`block_rc_error`), which measures every
  strategy over the same periods.

BLAS runs single-threaded (as in ``benchmarks/solver.py``): the machine has 2 cores, shared. Writes
``benchmarks/results/backtest.json`` and prints the table for ``benchmarks/README.md``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import keeper.backtest as kb  # noqa: E402
import keeper.engine as ke  # noqa: E402
from keeper.config import Estimator, KeeperConfig, load_keeper_config  # noqa: E402
from keeper.prices import PriceTable, load_prices_csv  # noqa: E402
from keeper.risk import risk_contributions  # noqa: E402
from keeper.risk.returns import SECONDS_PER_YEAR  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "backtest.json"
STUDY_RESULTS = ROOT / "benchmarks" / "results" / "turnover_study.json"
CONFIG = ROOT / "config" / "keeper.local.yaml"
TARGET_SECONDS = 5.0
TARGET_RC_ERROR = 0.03
TARGET_TURNOVER_RATIO = 1.5
MONTH_ROWS = 21
STRATEGY = "risk_parity"

# Issue 11's turnover target, keeper settings against monthly rebalancing: overrides of the shipped config, each
# compared with monthly rebalancing on the same estimator (the same covariance every day). Keys: estimator,
# ewma_decay, trigger_rc_deviation, trigger_relative, cost_multiple, value_per_squared_deviation, move_fraction,
# cooldown_rows, max_interval_rows (policy.max_interval_s in rows: the calendar review).
TURNOVER_STUDY: tuple[tuple[str, dict[str, Any]], ...] = (
    ("shipped", {}),
    ("slower EWMA", {"ewma_decay": 0.97}),
    ("Ledoit-Wolf", {"estimator": "ledoit_wolf"}),
    ("relative trigger, no cost gate", {"trigger_relative": True, "trigger_rc_deviation": 0.5, "cost_multiple": 0.0}),
    (
        "relative trigger, 10-row cooldown",
        {
            "trigger_relative": True,
            "trigger_rc_deviation": 0.5,
            "cooldown_rows": 10,
            "value_per_squared_deviation": 1.0,
        },
    ),
    (
        "Ledoit-Wolf, monthly with a no-trade band",
        {
            "estimator": "ledoit_wolf",
            "trigger_relative": True,
            "trigger_rc_deviation": 0.3,
            "cost_multiple": 0.0,
            "cooldown_rows": MONTH_ROWS,
        },
    ),
    ("calendar review + shipped trigger", {"max_interval_rows": MONTH_ROWS}),
    ("shipped trigger, half moves", {"move_fraction": 0.5}),
    (
        "10-point trigger + 10-row review, half moves",
        {"trigger_rc_deviation": 0.10, "max_interval_rows": 10, "move_fraction": 0.5},
    ),
    (
        "monthly review, half moves",
        {"cooldown_rows": MONTH_ROWS, "max_interval_rows": MONTH_ROWS, "move_fraction": 0.5},
    ),
    ("10-row review, half moves", {"cooldown_rows": 10, "max_interval_rows": 10, "move_fraction": 0.5}),
    ("5-row review, quarter moves", {"cooldown_rows": 5, "max_interval_rows": 5, "move_fraction": 0.25}),
    (
        "Ledoit-Wolf, 10-row review, half moves",
        {"estimator": "ledoit_wolf", "cooldown_rows": 10, "max_interval_rows": 10, "move_fraction": 0.5},
    ),
)

# Stages timed in the instrumented run: (module, attribute, label). Nested stages (the covariance's parts) are
# inside "covariance"; "propose" holds every engine stage.
STAGES: tuple[tuple[Any, str, str], ...] = (
    (kb, "_snapshot", "snapshot"),
    (kb, "propose", "propose"),
    (ke, "estimate_covariance", "covariance"),
    (ke, "resample_rounds", "covariance: resample"),
    (ke, "log_returns", "covariance: log returns"),
    (ke, "ewma_covariance", "covariance: EWMA"),
    (ke, "repair_covariance", "covariance: repair"),
    (ke, "annualize_covariance", "covariance: annualize"),
    (ke, "allocate", "solver"),
    (ke, "bias_factor", "bias factor"),
    (ke, "decide", "policy"),
    (ke, "plan_trades", "planner"),
)


def load_table(rows: int | None) -> tuple[PriceTable, float]:
    """skfolio's S&P 500 prices through a CSV as pandas writes it, read by the keeper; and the read's seconds."""
    from skfolio.datasets import load_sp500_dataset

    frame = load_sp500_dataset().rename_axis(None)
    if rows:
        frame = frame.iloc[:rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sp500.csv"
        frame.to_csv(path)
        t0 = time.perf_counter()
        table = load_prices_csv(path)
        read = time.perf_counter() - t0
    return table, read


def run(table: PriceTable, keeper: KeeperConfig) -> tuple[float, kb.BacktestResult]:
    t0 = time.perf_counter()
    result = kb.backtest(table, kb.BacktestConfig(keeper=keeper), strategies=(STRATEGY,))
    return time.perf_counter() - t0, result


@contextmanager
def patched(module: Any, name: str, fn: Callable[..., Any]) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, fn)
    try:
        yield
    finally:
        setattr(module, name, original)


def timed_stages(table: PriceTable, keeper: KeeperConfig) -> tuple[float, dict[str, dict[str, float]], list[Any]]:
    """One run with a timer around each stage; also the solver's inputs (covariance, budget) and its weights."""
    totals = {label: 0.0 for _, _, label in STAGES}
    calls = {label: 0 for _, _, label in STAGES}
    captured: list[Any] = []
    originals = {label: getattr(module, name) for module, name, label in STAGES}

    def timer(label: str) -> Callable[..., Any]:
        fn = originals[label]

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            totals[label] += time.perf_counter() - t0
            calls[label] += 1
            if label == "solver":
                captured.append((args[0], args[1], out))
            return out

        return wrapped

    for module, name, label in STAGES:
        setattr(module, name, timer(label))
    try:
        seconds, _ = run(table, keeper)
    finally:
        for module, name, label in STAGES:
            setattr(module, name, originals[label])
    stages = {label: {"seconds": totals[label], "calls": calls[label]} for _, _, label in STAGES}
    engine_parts = ("covariance", "solver", "bias factor", "policy", "planner")
    stages["propose: rest"] = {
        "seconds": totals["propose"] - sum(totals[p] for p in engine_parts),
        "calls": calls["propose"],
    }
    stages["backtest loop: rest"] = {
        "seconds": seconds - totals["propose"] - totals["snapshot"],
        "calls": 1,
    }
    return seconds, stages, captured


def _solver_benchmark() -> Any:
    """benchmarks/solver.py, loaded by path: a dependency ships a top-level ``benchmarks`` package of its own."""
    spec = importlib.util.spec_from_file_location("rp_solver_benchmark", ROOT / "benchmarks" / "solver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skfolio_walk_forward(table: PriceTable, keeper: KeeperConfig) -> tuple[float, kb.BacktestResult, list[Any]]:
    """The walk-forward with skfolio solving the risk budget; each solve's inputs, weights and seconds."""
    solve = _solver_benchmark().load_skfolio()  # the solver benchmark's adapter: skfolio on a given matrix
    original = ke.allocate
    captured: list[Any] = []

    def allocate(cov: np.ndarray, budget: np.ndarray, allocator: ke.Allocator) -> np.ndarray:
        if allocator is not ke.Allocator.RISK_BUDGET:
            return original(cov, budget, allocator)
        t0 = time.perf_counter()
        w = solve(cov, budget)
        captured.append((cov, budget, w, time.perf_counter() - t0))
        return w

    with patched(ke, "allocate", allocate), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds, result = run(table, keeper)
    return seconds, result, captured


def rc_error(w: np.ndarray, cov: np.ndarray, budget: np.ndarray) -> float:
    """``max_i |RC_i/ΣRC − b_i|``, as in ``benchmarks/solver.py``."""
    rc = risk_contributions(w, cov)
    return float(np.max(np.abs(rc / rc.sum() - budget)))


def summary(result: kb.BacktestResult) -> dict[str, Any]:
    s = result.strategies[STRATEGY]
    dev = np.abs(s.realized_rc - result.budget)
    return {
        "rebalances": s.rebalances,
        "rebalances_per_year": s.rebalances / s.years,
        "turnover_per_year": s.turnover_per_year,
        "costs_bps_per_year": s.costs_bps_per_year,
        "realized_rc_error": s.realized_rc_error(result.budget),
        "realized_rc_error_worst_asset": float(np.mean(dev.max(axis=1))) if dev.size else float("nan"),
        "annual_return": s.annual_return,
        "volatility": s.realized_vol,
        "sharpe": s.sharpe,
        "max_drawdown": s.max_drawdown,
        "years": s.years,
    }


def with_settings(keeper: KeeperConfig, overrides: dict[str, Any], interval: int) -> KeeperConfig:
    """The keeper config with a study row's overrides (``cooldown_rows`` in rows of the data's grid)."""
    risk, policy = keeper.risk, keeper.policy
    if "estimator" in overrides:
        risk = replace(risk, estimator=Estimator(overrides["estimator"]))
    if "ewma_decay" in overrides:
        risk = replace(risk, ewma_decay=overrides["ewma_decay"])
    names = (
        "trigger_rc_deviation",
        "trigger_relative",
        "cost_multiple",
        "value_per_squared_deviation",
        "move_fraction",
    )
    changes = {k: overrides[k] for k in names if k in overrides}
    if "cooldown_rows" in overrides:
        changes["cooldown_s"] = overrides["cooldown_rows"] * interval
    if "max_interval_rows" in overrides:
        changes["max_interval_s"] = overrides["max_interval_rows"] * interval
    return replace(keeper, risk=risk, policy=replace(policy, **changes))


def monthly_of(keeper: KeeperConfig, interval: int) -> KeeperConfig:
    """Calendar rebalancing through the same engine: every 21 rows to target, the trigger and cost gate off."""
    policy = replace(keeper.policy, cooldown_s=MONTH_ROWS * interval, trigger_rc_deviation=1e-9, cost_multiple=0.0)
    return replace(keeper, policy=policy)


def block_rc_error(result: kb.BacktestResult, table: PriceTable) -> float:
    """Realized RC error on the same periods for every strategy: the path cut into 21-row blocks; in each, the
    weights held on its first row against the sample covariance of the block's simple returns; mean over blocks
    and assets of |RC − budget|. The backtest's own figure is measured after each strategy's own rebalances, so a
    keeper that trades when its model sees turbulence is measured mostly in turbulent stretches; this one is not."""
    s = result.strategies[STRATEGY]
    px = table.prices[result.start :]
    errors = []
    for k in range(0, px.shape[0] - MONTH_ROWS, MONTH_ROWS):
        w = s.weights[k]
        if not w.sum() > 0:
            continue
        rets = px[k + 1 : k + MONTH_ROWS + 1] / px[k : k + MONTH_ROWS] - 1.0
        cov = np.cov(rets, rowvar=False, ddof=1)
        errors.append(np.abs(risk_contributions(w, cov) - result.budget))
    return float(np.mean(errors))


def machine() -> dict[str, Any]:
    def version(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "-"

    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "scipy": version("scipy"),
        "skfolio": version("skfolio"),
        "cvxpy": version("cvxpy") if version("cvxpy") != "-" else version("cvxpy-base"),
        "clarabel": version("clarabel"),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
    }


def bench(rows: int | None, repeats: int) -> dict[str, Any]:
    load_start = os.getloadavg()
    table, read_seconds = load_table(rows)
    keeper = load_keeper_config(CONFIG)
    interval = round(SECONDS_PER_YEAR / 252.0)  # what the backtest sets for business-day dates
    times, cpu_times, result = [], [], None
    for _ in range(repeats):
        cpu0 = time.process_time()
        seconds, result = run(table, keeper)
        cpu_times.append(time.process_time() - cpu0)
        times.append(seconds)
    assert result is not None
    staged_seconds, stages, captured = timed_stages(table, keeper)
    sk_seconds, sk_result, sk_captured = skfolio_walk_forward(table, keeper)

    covs = np.array([c for c, _, _ in captured])
    sk_covs = np.array([c for c, _, _, _ in sk_captured])
    same_cov = covs.shape == sk_covs.shape and bool(np.array_equal(covs, sk_covs))
    keeper_solve = []
    weight_diff, keeper_err, sk_err = [], [], []
    for (cov, budget, _, _), (_, _, w_keeper) in zip(sk_captured, captured, strict=True):
        t0 = time.perf_counter()
        w = ke.allocate(cov, budget, ke.Allocator.RISK_BUDGET)
        keeper_solve.append(time.perf_counter() - t0)
        assert np.array_equal(w, w_keeper)
    for cov, budget, w_sk, _ in sk_captured:
        w = ke.allocate(cov, budget, ke.Allocator.RISK_BUDGET)
        weight_diff.append(float(np.max(np.abs(w - w_sk))))
        keeper_err.append(rc_error(w, cov, budget))
        sk_err.append(rc_error(w_sk, cov, budget))
    sk_solve = [s for _, _, _, s in sk_captured]

    monthly_keeper = replace(keeper, policy=replace(keeper.policy, cooldown_s=MONTH_ROWS * interval))
    _, monthly = run(table, monthly_of(keeper, interval))
    _, cooldown_only = run(table, monthly_keeper)

    daily, month, cool = summary(result), summary(monthly), summary(cooldown_only)
    daily["block_rc_error"] = block_rc_error(result, table)
    month["block_rc_error"] = block_rc_error(monthly, table)
    cool["block_rc_error"] = block_rc_error(cooldown_only, table)
    study = turnover_study(table, keeper, interval, result, monthly)
    median = statistics.median(times)
    ratio = daily["turnover_per_year"] / month["turnover_per_year"]
    ratio_cool = daily["turnover_per_year"] / cool["turnover_per_year"]
    dates = (table.labels[kb.BacktestConfig().window + 1], table.labels[-1])
    return {
        "machine": machine(),
        "load_average_before": list(load_start),
        "load_average_after": list(os.getloadavg()),
        "note": "shared 2-core machine, a CI run used both cores during the measurement: times are noisy",
        "data": {
            "source": "skfolio.datasets.load_sp500_dataset",
            "assets": len(table.names),
            "rows": int(table.prices.shape[0]),
            "decisions": int(table.prices.shape[0]) - kb.BacktestConfig().window - 1,
            "first_decision": dates[0],
            "last": dates[1],
            "csv_read_seconds": read_seconds,
        },
        "keeper_config": str(CONFIG.relative_to(ROOT)),
        "settings": {
            "estimator": keeper.risk.estimator.value,
            "ewma_decay": keeper.risk.ewma_decay,
            "window_rows": kb.BacktestConfig().window,
            "decide_every": 1,
            "trigger_rc_deviation": keeper.policy.trigger_rc_deviation,
            "cooldown_s": keeper.policy.cooldown_s,
            "interval_s": interval,
        },
        "repeats": repeats,
        "keeper": {
            "seconds": times,
            "median_seconds": median,
            # CPU seconds of this process: what the run costs when other work shares the cores (the wall time then
            # includes waiting for a core).
            "cpu_seconds": cpu_times,
            "median_cpu_seconds": statistics.median(cpu_times),
            "ms_per_decision": median / covs.shape[0] * 1e3,
            "instrumented_run_seconds": staged_seconds,
            "stages": stages,
        },
        "skfolio": {
            "walk_forward_seconds": sk_seconds,
            "same_covariances": same_cov,
            "solves": len(sk_solve),
            "solve_seconds_total": float(np.sum(sk_solve)),
            "solve_ms_median": float(np.median(sk_solve) * 1e3),
            "keeper_solve_seconds_total": float(np.sum(keeper_solve)),
            "keeper_solve_ms_median": float(np.median(keeper_solve) * 1e3),
            "max_weight_difference": float(np.max(weight_diff)),
            "median_weight_difference": float(np.median(weight_diff)),
            "max_rc_error_keeper": float(np.max(keeper_err)),
            "max_rc_error_skfolio": float(np.max(sk_err)),
            "summary": summary(sk_result),
        },
        "daily_trigger": daily,
        "monthly": {"policy": "cooldown 21 rows, trigger and cost gate off", **month},
        "monthly_cooldown_only": {"policy": "shipped policy plus a 21-row cooldown", **cool},
        "turnover_study": study,
        "targets": {
            "walk_forward_seconds": {"target": TARGET_SECONDS, "value": median, "met": median <= TARGET_SECONDS},
            "realized_rc_error": {
                "target": TARGET_RC_ERROR,
                "value": daily["realized_rc_error"],
                "met": daily["realized_rc_error"] <= TARGET_RC_ERROR,
            },
            "turnover_vs_monthly": {
                "target": TARGET_TURNOVER_RATIO,
                "ratio": ratio,
                "error_daily": daily["realized_rc_error"],
                "error_monthly": month["realized_rc_error"],
                "met": ratio <= TARGET_TURNOVER_RATIO and daily["realized_rc_error"] <= month["realized_rc_error"],
            },
            "turnover_vs_monthly_best_setting": best_setting(study),
            "turnover_vs_cooldown_only": {
                "target": TARGET_TURNOVER_RATIO,
                "ratio": ratio_cool,
                "error_daily": daily["realized_rc_error"],
                "error_monthly": cool["realized_rc_error"],
                "met": ratio_cool <= TARGET_TURNOVER_RATIO and daily["realized_rc_error"] <= cool["realized_rc_error"],
            },
        },
    }


def study_only(rows: int | None) -> dict[str, Any]:
    """The turnover study alone: the shipped keeper and monthly rebalancing once each, then every study row (no
    timed repeats, no instrumented run, no skfolio walk-forward)."""
    table, _ = load_table(rows)
    keeper = load_keeper_config(CONFIG)
    interval = round(SECONDS_PER_YEAR / 252.0)
    _, result = run(table, keeper)
    _, monthly = run(table, monthly_of(keeper, interval))
    return {
        "data": {
            "source": "skfolio.datasets.load_sp500_dataset",
            "assets": len(table.names),
            "rows": len(table.labels),
        },
        "keeper_config": str(CONFIG.relative_to(ROOT)),
        "turnover_study": turnover_study(table, keeper, interval, result, monthly),
    }


def turnover_study(
    table: PriceTable, keeper: KeeperConfig, interval: int, shipped: kb.BacktestResult, monthly: kb.BacktestResult
) -> list[dict[str, Any]]:
    """Each ``TURNOVER_STUDY`` row beside monthly rebalancing on its own estimator; the target: turnover at most
    1.5x monthly's at equal or lower realized RC error."""
    monthlies: dict[tuple[Any, ...], dict[str, Any]] = {}
    rows = []
    for name, overrides in TURNOVER_STUDY:
        cfg = with_settings(keeper, overrides, interval)
        result = shipped if not overrides else run(table, cfg)[1]
        key = (cfg.risk.estimator, cfg.risk.ewma_decay)
        if key not in monthlies:
            m = (
                monthly
                if key == (keeper.risk.estimator, keeper.risk.ewma_decay)
                else run(table, monthly_of(cfg, interval))[1]
            )
            monthlies[key] = {**summary(m), "block_rc_error": block_rc_error(m, table)}
        mine, month = {**summary(result), "block_rc_error": block_rc_error(result, table)}, monthlies[key]
        ratio = mine["turnover_per_year"] / month["turnover_per_year"]
        rows.append(
            {
                "name": name,
                "overrides": overrides,
                "keeper": mine,
                "monthly_same_estimator": month,
                "turnover_ratio": ratio,
                "met": ratio <= TARGET_TURNOVER_RATIO and mine["realized_rc_error"] <= month["realized_rc_error"],
                "met_on_blocks": ratio <= TARGET_TURNOVER_RATIO and mine["block_rc_error"] <= month["block_rc_error"],
            }
        )
    return rows


def best_setting(study: list[dict[str, Any]]) -> dict[str, Any]:
    """The study row that meets the turnover target with the lowest realized error; else the lowest error among
    rows within the turnover ratio (the best trade-off found), marked not met."""
    met = [r for r in study if r["met"]]
    pool = met or [r for r in study if r["turnover_ratio"] <= TARGET_TURNOVER_RATIO] or study
    r = min(pool, key=lambda r: r["keeper"]["realized_rc_error"])
    return {
        "target": TARGET_TURNOVER_RATIO,
        "setting": r["name"],
        "overrides": r["overrides"],
        "ratio": r["turnover_ratio"],
        "error_keeper": r["keeper"]["realized_rc_error"],
        "error_monthly": r["monthly_same_estimator"]["realized_rc_error"],
        "met": r["met"],
    }


def study_markdown(d: dict[str, Any]) -> str:
    lines = [
        "| setting | turnover/yr | rebalances/yr | RC err (own) | RC err (21-row blocks) | monthly, same estimator:"
        " turnover/yr, RC err (own), (blocks) | turnover ratio | costs bps/yr (monthly's) |"
        " target met (own / blocks) |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in d["turnover_study"]:
        k, m = r["keeper"], r["monthly_same_estimator"]
        settings = ", ".join(f"{a}={b}" for a, b in r["overrides"].items()) or "config/keeper.local.yaml"
        lines.append(
            f"| {r['name']}: {settings} | {k['turnover_per_year']:.3f} | {k['rebalances_per_year']:.1f} |"
            f" {k['realized_rc_error'] * 100:.2f} pp | {k['block_rc_error'] * 100:.2f} pp |"
            f" {m['turnover_per_year']:.3f}, {m['realized_rc_error'] * 100:.2f} pp,"
            f" {m['block_rc_error'] * 100:.2f} pp |"
            f" {r['turnover_ratio']:.2f} | {k['costs_bps_per_year']:.1f} ({m['costs_bps_per_year']:.1f}) |"
            f" {'yes' if r['met'] else 'no'} / {'yes' if r['met_on_blocks'] else 'no'} |"
        )
    return "\n".join(lines)


def table_markdown(d: dict[str, Any]) -> str:
    m, k, s = d["machine"], d["keeper"], d["skfolio"]
    lines = [
        f"Machine: {m['platform']}, {m['cpus']} CPUs (shared; load average {d['load_average_before'][0]:.2f} before,"
        f" {d['load_average_after'][0]:.2f} after), Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']},"
        f" skfolio {m['skfolio']} (cvxpy {m['cvxpy']}, Clarabel {m['clarabel']}), BLAS single-threaded.",
        "",
        "| run | wall time s | solver s (total) | solver ms (median) | rebalances/yr | turnover/yr | realized RC err |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = (
        ("keeper, daily trigger", k["median_seconds"], s["keeper_solve_seconds_total"], s["keeper_solve_ms_median"]),
        (
            "skfolio RiskBudgeting, daily trigger",
            s["walk_forward_seconds"],
            s["solve_seconds_total"],
            s["solve_ms_median"],
        ),
    )
    summaries = (d["daily_trigger"], s["summary"])
    for (name, wall, total, med), summ in zip(rows, summaries, strict=True):
        lines.append(
            f"| {name} | {wall:.1f} | {total:.2f} | {med:.3f} | {summ['rebalances_per_year']:.1f} |"
            f" {summ['turnover_per_year']:.3f} | {summ['realized_rc_error'] * 100:.2f} pp |"
        )
    for name, key in (
        ("monthly (every 21 rows)", "monthly"),
        ("shipped policy + 21-row cooldown", "monthly_cooldown_only"),
    ):
        summ = d[key]
        lines.append(
            f"| {name} | - | - | - | {summ['rebalances_per_year']:.1f} | {summ['turnover_per_year']:.3f} |"
            f" {summ['realized_rc_error'] * 100:.2f} pp |"
        )
    lines += ["", "| stage | seconds | share | calls |", "|---|---:|---:|---:|"]
    total = k["instrumented_run_seconds"]
    for label, v in k["stages"].items():
        if label == "propose":
            continue
        lines.append(f"| {label} | {v['seconds']:.2f} | {v['seconds'] / total:.0%} | {v['calls']} |")
    lines.append(f"| total (instrumented run) | {total:.2f} | 100% | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 rows and one repeat, results not written")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--study-only",
        action="store_true",
        help=f"the turnover study alone (written to {STUDY_RESULTS.relative_to(ROOT)}, not {RESULTS.name})",
    )
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # the engine logs a line per decision
    if args.study_only:
        study = study_only(1000 if args.quick else None)
        if not args.quick:
            STUDY_RESULTS.write_text(json.dumps(study, indent=1) + "\n")
        print(study_markdown(study))
        return 0
    data = bench(1000 if args.quick else None, 1 if args.quick else args.repeats)
    if not args.quick:
        RESULTS.write_text(json.dumps(data, indent=1) + "\n")
    print(table_markdown(data))
    print()
    print(study_markdown(data))
    print()
    for name, t in data["targets"].items():
        print(f"{name}: {'met' if t['met'] else 'MISSED'} ({json.dumps(t)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
