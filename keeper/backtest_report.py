"""What ``rp-keeper backtest`` shows and writes: one table, ``report.json``, ``series.csv`` and PNG plots.

The figures come from :class:`keeper.backtest.BacktestResult`; this module only formats them. Plots are drawn on
matplotlib's ``Figure`` directly (the Agg canvas, no pyplot state, no screen needed).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from keeper.backtest import BacktestConfig, BacktestResult, StrategyResult
from keeper.prices import BUSINESS_DAYS_PER_YEAR
from keeper.risk.types import FloatArray

KEEPER_STRATEGY = "risk_parity"
"""The strategy the vault runs: ``series.csv`` and the exposure and risk-contribution plots follow it."""
VOL_TOLERANCE = 0.15
"""A calendar year's realized volatility counts as on target within this fraction of it (8.5-11.5% for 10%)."""


def _frequency(result: BacktestResult) -> str:
    ppy = result.periods_per_year
    if ppy == BUSINESS_DAYS_PER_YEAR:
        return "252 rows a year (business days)"
    return f"{ppy:.6g} rows a year (calendar)"


def _vol_by_year(result: BacktestResult, r: StrategyResult) -> dict[str, float]:
    """Annualized volatility of the share price within each calendar year (UTC) with at least 20 returns."""
    if result.times is None:
        return {}
    rets = r.nav[1:] / r.nav[:-1] - 1.0
    years = np.array([datetime.fromtimestamp(int(t), timezone.utc).year for t in result.times[1:]])
    out = {}
    for y in np.unique(years):
        x = rets[years == y]
        if x.size >= 20:
            out[str(int(y))] = float(np.std(x, ddof=1) * np.sqrt(result.periods_per_year))
    return out


def _finite(x: float) -> float | None:
    """JSON has no NaN: a figure that could not be measured is null."""
    return x if np.isfinite(x) else None


def _primary(result: BacktestResult) -> tuple[str, StrategyResult]:
    name = KEEPER_STRATEGY if KEEPER_STRATEGY in result.strategies else next(iter(result.strategies))
    return name, result.strategies[name]


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------


def format_table(result: BacktestResult, source: str, cfg: BacktestConfig) -> str:
    """The backtest as one readable table, a heading and a legend."""
    k = cfg.keeper
    first, last = result.labels[0], result.labels[-1]
    lines = [
        f"backtest of {source}: {len(result.names)} assets ({', '.join(result.names)}), "
        f"{'' if result.times is not None else 'rows '}{first} .. {last}, "
        f"{len(result.labels)} rows, {_frequency(result)}",
    ]
    if k is not None:
        lev = k.leverage
        target = (
            f"vol target {lev.target_vol:.1%} (min exposure {lev.min_exposure:g}"
            f"{', bias-corrected' if lev.bias_correction else ''})"
            if result.target_vol is not None
            else "no vol target (leverage.min_exposure 1: fully invested)"
        )
        lines.append(
            f"keeper settings from {k.path}: estimator {k.risk.estimator}, window {cfg.window} rows, trigger "
            f"{k.policy.trigger_rc_deviation:g}{' (relative)' if k.policy.trigger_relative else ''}, cash buffer "
            f"{k.policy.cash_buffer_bps} bps, {target}"
        )
    lines.append(
        f"{'strategy':<13} {'first':>10} {'last':>10} {'return':>7} {'vol':>7} {'Sharpe':>6} {'max DD':>7} "
        f"{'turn/yr':>7} {'cost/yr':>8} {'rebal':>5} {'RC err':>7} {'vol/tgt':>7}"
    )
    for name, r in result.strategies.items():
        rc = r.realized_rc_error(result.budget)
        lines.append(
            f"{name:<13} {first[:10]:>10} {last[:10]:>10} {r.annual_return:>7.2%} {r.realized_vol:>7.2%} "
            f"{r.sharpe:>6.2f} {r.max_drawdown:>7.2%} {r.turnover_per_year:>7.2f} "
            f"{r.costs_bps_per_year:>5.1f} bp {r.rebalances:>5} "
            f"{'-' if np.isnan(rc) else f'{rc * 100:.2f}pp':>7} "
            f"{f'{r.realized_vol / result.target_vol:.2f}x' if result.target_vol else '-':>7}"
        )
    lines += [
        "return: compound per year; vol, Sharpe: annualized, risk-free rate 0; max DD: of the share price",
        "turn/yr: traded value / average NAV per year; cost/yr: fees, price impact and gas, in bps of NAV per year",
        "RC err: mean |realized risk contribution - risk-parity budget| over assets, on the returns after each "
        f"rebalance until the next (>= {cfg.rc_min_rows} rows); vol/tgt: realized vol / target",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# report.json and series.csv
# ---------------------------------------------------------------------------------------------------------------


def report_dict(result: BacktestResult, source: str, cfg: BacktestConfig) -> dict[str, Any]:
    """Everything the table shows, and the per-asset and per-year detail behind it."""
    k = cfg.keeper
    strategies: dict[str, Any] = {}
    for name, r in result.strategies.items():
        by_year = _vol_by_year(result, r)
        tv = result.target_vol
        strategies[name] = {
            "annual_return": r.annual_return,
            "volatility": r.realized_vol,
            "sharpe": r.sharpe,
            "max_drawdown": r.max_drawdown,
            "turnover_per_year": r.turnover_per_year,
            "turnover_total": r.turnover,
            "costs_usd": r.costs,
            "costs_bps_per_year": r.costs_bps_per_year,
            "rebalances": r.rebalances,
            "final_share_price": float(r.share_price[-1]),
            "rc_error_realized": _finite(r.realized_rc_error(result.budget)),
            "rc_error_model_mean": float(r.rc_error.mean()) if r.rc_error.size else None,
            "realized_rc_mean": dict(zip(result.names, np.mean(r.realized_rc, axis=0).tolist(), strict=True))
            if r.realized_rc.size
            else None,
            "mean_exposure": float(r.exposure.mean()),
            "vol_over_target": r.realized_vol / tv if tv else None,
            "vol_by_year": by_year,
            "years_within_15pct_of_target": (
                sum(abs(v / tv - 1.0) <= VOL_TOLERANCE for v in by_year.values()) if tv and by_year else None
            ),
        }
    return {
        "source": source,
        "assets": result.names,
        "budget": dict(zip(result.names, result.budget.tolist(), strict=True)),
        "first_date": result.labels[0],
        "last_date": result.labels[-1],
        "rows": len(result.labels),
        "periods_per_year": result.periods_per_year,
        "risk_free_rate": 0.0,
        "keeper": None
        if k is None
        else {
            "config": k.path,
            "estimator": str(k.risk.estimator),
            "window_rows": cfg.window,
            "trigger_rc_deviation": k.policy.trigger_rc_deviation,
            "trigger_relative": k.policy.trigger_relative,
            "cash_buffer_bps": k.policy.cash_buffer_bps,
            "target_vol": k.leverage.target_vol,
            "min_exposure": k.leverage.min_exposure,
            "bias_correction": k.leverage.bias_correction,
        },
        "target_vol": result.target_vol,
        "strategies": strategies,
    }


def write_series_csv(path: Path, result: BacktestResult) -> None:
    """One row per step of the keeper's strategy: date, share price, leverage (risky exposure / NAV), each asset's
    weight, then the baselines' share prices."""
    name, r = _primary(result)
    others = [(n, s) for n, s in result.strategies.items() if n != name]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "share_price", "leverage", *result.names, *(f"share_price_{n}" for n, _ in others)])
        sp = r.share_price
        other_sp = [s.share_price for _, s in others]
        for t, label in enumerate(result.labels):
            w.writerow(
                [
                    label,
                    f"{sp[t]:.8f}",
                    f"{r.exposure[t]:.6f}",
                    *(f"{x:.6f}" for x in r.weights[t]),
                    *(f"{o[t]:.8f}" for o in other_sp),
                ]
            )


# ---------------------------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------------------------


def _x(result: BacktestResult) -> Any:
    return result.times.astype("datetime64[s]") if result.times is not None else np.arange(len(result.labels))


def _rolling_vol(nav: FloatArray, rows: int, ppy: float) -> FloatArray:
    r = nav[1:] / nav[:-1] - 1.0
    out = np.full(nav.size, np.nan)
    for t in range(rows, r.size + 1):
        out[t] = np.std(r[t - rows : t], ddof=1) * np.sqrt(ppy)
    return out


def write_plots(out: Path, result: BacktestResult) -> list[Path]:
    """share_price.png, drawdown.png, risk_contributions.png, exposure.png; returns their paths."""
    from matplotlib.figure import Figure

    x = _x(result)
    paths: list[Path] = []

    def save(fig: Figure, name: str) -> None:
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        paths.append(out / name)

    fig = Figure(figsize=(10, 5))
    ax = fig.add_subplot()
    for name, r in result.strategies.items():
        ax.plot(x, r.share_price, label=f"{name} ({r.annual_return:.1%}/yr, vol {r.realized_vol:.1%})", lw=1)
    ax.set(title="Share price (1.0 at the first decision)", ylabel="share price")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, "share_price.png")

    fig = Figure(figsize=(10, 4))
    ax = fig.add_subplot()
    for name, r in result.strategies.items():
        ax.plot(x, -r.drawdown * 100, label=f"{name} (max {r.max_drawdown:.1%})", lw=1)
    ax.set(title="Drawdown from the running peak", ylabel="%")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, "drawdown.png")

    name, r = _primary(result)
    fig = Figure(figsize=(12, 4.5))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    idx = np.arange(len(result.names))
    width = 0.8 / max(len(result.strategies), 1)
    for j, (sname, s) in enumerate(result.strategies.items()):
        if s.realized_rc.size:
            ax1.bar(idx + j * width, s.realized_rc.mean(axis=0) * 100, width, label=sname)
    ax1.step(
        np.r_[idx, idx[-1] + 1] - width / 2, np.r_[result.budget, result.budget[-1]] * 100, where="post", color="k"
    )
    ax1.set_xticks(idx + 0.4 - width / 2, result.names)
    ax1.set(title="Mean realized risk contribution (black: budget)", ylabel="% of risk")
    ax1.legend(fontsize=8)
    if r.realized_rc.size:
        rows = [t - result.start for t in r.rebalance_rows][: r.realized_rc.shape[0]]
        for i, asset in enumerate(result.names):
            ax2.plot(x[rows], r.realized_rc[:, i] * 100, lw=0.6, label=asset)
        ax2.axhline(float(result.budget.mean()) * 100, color="k", lw=1)
    ax2.set(title=f"{name}: realized risk contributions after each rebalance", ylabel="% of risk")
    ax2.legend(fontsize=8)
    save(fig, "risk_contributions.png")

    fig = Figure(figsize=(10, 6))
    ax1 = fig.add_subplot(2, 1, 1)
    ax2 = fig.add_subplot(2, 1, 2, sharex=ax1)
    for sname, s in result.strategies.items():
        ax1.plot(x, s.exposure, lw=1, label=sname)
    ax1.set(title="Leverage (risky exposure / NAV)", ylabel="x")
    ax1.legend()
    ax1.grid(alpha=0.3)
    window = max(2, int(round(result.periods_per_year / 12 * 3)))
    ax2.plot(x, _rolling_vol(r.nav, window, result.periods_per_year) * 100, lw=1, label=f"{name}, trailing {window}")
    if result.target_vol is not None:
        ax2.axhline(result.target_vol * 100, color="k", ls="--", lw=1, label="target")
    ax2.set(title="Realized volatility", ylabel="% a year")
    ax2.legend()
    ax2.grid(alpha=0.3)
    save(fig, "exposure.png")
    return paths


def write_outputs(out: Path, result: BacktestResult, source: str, cfg: BacktestConfig) -> list[Path]:
    """report.json, series.csv and the plots in ``out`` (created if needed); returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report_dict(result, source, cfg), indent=2, allow_nan=False) + "\n")
    write_series_csv(out / "series.csv", result)
    return [out / "report.json", out / "series.csv", *write_plots(out, result)]
