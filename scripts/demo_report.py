"""The demo's record and its outputs: report.json, report.md and PNG plots (matplotlib, no screen needed)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; the demo runs on machines without a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
from web3 import Web3  # noqa: E402

from devworld.sim.market import STRESS  # noqa: E402
from devworld.sim.runner import StepReport  # noqa: E402
from keeper.backtest import STRATEGIES, BacktestConfig, backtest  # noqa: E402
from keeper.daemon import Keeper, TickResult  # noqa: E402
from keeper.risk.solver import risk_budget_weights  # noqa: E402

FloatArray = npt.NDArray[np.float64]

SETTLE_DAYS = 7
RC_MIN_STEPS = 42
RC_MONTH_DAYS = 21
"""The keeper's backtest measures realized risk contributions on at least 21 rows (daily: about a month)."""
"""Fewest market steps (a week of 4-hour steps) a realized risk contribution is measured on: a window shorter than
that (the next rebalance came sooner) is extended past it, as the keeper's backtest does (``rc_min_rows``)."""


@dataclass
class DemoLog:
    symbols: list[str]
    budgets_bps: list[int]
    threshold: float
    rows: list[dict[str, Any]] = field(default_factory=list)
    """One per keeper tick: time, decision, deviation, weights and RC of the risky assets."""
    market_rows: list[dict[str, Any]] = field(default_factory=list)
    rebalances: list[dict[str, Any]] = field(default_factory=list)
    _t0: int | None = None
    _last_tick: dict[str, Any] | None = None

    def _day(self, ts: int) -> float:
        if self._t0 is None:
            self._t0 = ts
        return (ts - self._t0) / 86400

    def market(self, report: StepReport, nav: float, share_price: float) -> None:
        self.market_rows.append(
            {
                "day": self._day(report.timestamp),
                "nav": nav,
                "share_price": share_price,
                "prices": report.prices_usd,
                "stress": report.regime == STRESS,
            }
        )
        # The tick that ran after this step read the holdings this step's prices left (before its own trades).
        tick, self._last_tick = self._last_tick, None
        for key in ("weights", "exposure", "leverage", "health_factor", "budget"):
            if tick is not None and key in tick:
                self.market_rows[-1][key] = tick[key]

    def tick(self, result: TickResult, ts: int) -> None:
        p, rec = result.proposal, result.record
        row: dict[str, Any] = {"day": self._day(ts), "decision": rec.decision.value, "reason": rec.text}
        if p is not None and p.deviation is not None:
            row["deviation"] = float(p.deviation)
            full_w = np.zeros(len(self.symbols))
            full_rc = np.zeros(len(self.symbols))
            for j, i in enumerate(p.risky):
                full_w[i] = p.weights[j]
                full_rc[i] = p.risk_contributions[j]
            full_w[0] = max(0.0, 1.0 - full_w.sum())
            row["weights"] = full_w.tolist()
            row["exposure"] = float(np.sum(p.weights))
            if p.budget is not None:  # the budgets this tick read (a governance vote may change them mid-run)
                full_b = np.zeros(len(self.symbols))
                for j, i in enumerate(p.risky):
                    full_b[i] = p.budget[j]
                row["budget"] = (full_b / full_b.sum()).tolist() if full_b.sum() > 0 else None
            row["rc"] = full_rc.tolist()
        if p is not None and p.leverage is not None:
            state = result.state
            row["leverage"] = float(p.leverage)
            row["leverage_target"] = float(p.leverage_target or 1.0)
            row["exposure_target"] = float(p.exposure_target) if p.exposure_target is not None else float("nan")
            row["health_factor"] = min(state.health_factor_wad / 1e18, 99.0) if state is not None else float("nan")
            lev = state.leverage if state is not None else None
            row["min_health_factor"] = lev.min_health_factor if lev is not None else float("nan")
            row["ripcord_health_factor"] = lev.ripcord_health_factor if lev is not None else float("nan")
        self.rows.append(row)
        self._last_tick = row
        if rec.decision == "rebalance" and result.outcome is not None:
            self.rebalances.append(
                {
                    "epoch": rec.epoch,
                    "block": result.outcome.block,
                    "day": row["day"],
                    "step": len(self.market_rows),
                    "gas_price_wei": result.outcome.effective_gas_price,
                    "deviation_before": rec.deviation,
                    "deviation_after_expected": rec.deviation_after,
                    "gas": result.outcome.gas_used,
                    "trades": len(rec.trades or []),
                    "tx": result.outcome.tx_hash,
                }
            )
        # The deviation a rebalance actually left is the one the next tick measures.
        if (
            len(self.rebalances)
            and "deviation_after" not in self.rebalances[-1]
            and rec.decision != "rebalance"
            and "deviation" in row
        ):
            self.rebalances[-1]["deviation_after"] = row["deviation"]


def held_exposures(exposures_after: FloatArray, returns: FloatArray) -> FloatArray:
    """The exposures held through each step, from those read at its end.

    Parameters
    ----------
    exposures_after : (T, N) each risky asset's value / NAV read after step t (the step's returns included).
    returns : (T, N) simple returns of step t.

    A position worth ``v`` of the starting NAV ends worth ``v (1 + r)`` and the NAV ends at ``1 + Σ v r`` (cash and
    debt earn nothing within a step), so ``v = e / (1 + r) / (1 - Σ e r / (1 + r))`` for the exposures ``e`` read at
    the end.
    """
    moved = exposures_after / (1.0 + returns)
    return moved / (1.0 - (moved * returns).sum(axis=1, keepdims=True))


def realized_risk_contributions(
    returns: FloatArray, exposures: FloatArray, starts: Sequence[int], min_steps: int = RC_MIN_STEPS
) -> tuple[list[int], FloatArray]:
    """Risk contributions the vault's holdings realized between rebalances.

    Parameters
    ----------
    returns : (T, N) simple returns of the risky assets, step t.
    exposures : (T, N) value / NAV of each risky asset held through step t (:func:`held_exposures`).
    starts : steps at which rebalances took effect (a rebalance on the prices of row j holds from step j), ascending.
    min_steps : fewest steps a window spans; a window the next rebalance would cut shorter runs on past it.

    Returns
    -------
    (windows, rc) : the start step of every measured window and its (K, N) realized contributions. Asset i's
    return contribution in step t is ``x_it = v_it r_it`` and the portfolio's ``p_t = Σ_i x_it``; over a window
    ``RC_i = cov(x_i, p) / var(p)``, summing to 1 (the Euler split of realized variance, with the weights the vault
    really held, drift included). Windows with fewer than two steps, no risky holdings or no variance are left out.
    """
    kept: list[int] = []
    out: list[FloatArray] = []
    for start, end in rc_windows(starts, returns.shape[0], min_steps):
        if not np.any(exposures[start:end] > 0):
            continue
        rc = euler_split(exposures[start:end] * returns[start:end])
        if rc is None:
            continue
        kept.append(start)
        out.append(rc)
    return kept, np.array(out).reshape(len(out), returns.shape[1])


def rc_windows(starts: Sequence[int], t_total: int, min_steps: int = RC_MIN_STEPS) -> list[tuple[int, int]]:
    """``(start, end)`` step ranges from each rebalance to the next, run on to at least ``min_steps`` steps (and cut
    at the end of the run); ranges of fewer than two steps are left out."""
    spans = []
    for k, start in enumerate(starts):
        nxt = starts[k + 1] if k + 1 < len(starts) else t_total
        end = min(max(nxt, start + min_steps), t_total)
        if end - start >= 2:
            spans.append((start, end))
    return spans


def euler_split(x: FloatArray) -> FloatArray | None:
    """Realized risk contributions ``cov(x_i, p) / var(p)`` of the (T, N) return contributions ``x`` with
    ``p = Σ_i x_i``; None when the portfolio did not move."""
    xc = x - x.mean(axis=0)
    pc = xc.sum(axis=1)
    var = float(pc @ pc)
    return None if var <= 0 else xc.T @ pc / var


def perfect_forecast_gap(
    returns: FloatArray,
    windows: Sequence[tuple[int, int]],
    budgets: FloatArray,
    covariances: Sequence[FloatArray],
) -> float:
    """The measurement's own noise: mean |RC - budget| that the same realized-RC measure gives a vault that knew the
    world's true covariance at each rebalance and held the exact risk-budget weights under it through the window.

    Parameters
    ----------
    returns : (T, N) simple returns of the risky assets.
    windows : (K) ``(start, end)`` step ranges (:func:`rc_windows`).
    budgets : (K, N) the budgets in force in each window.
    covariances : (K) the true (N, N) covariance of the regime each window starts in.

    A perfect forecaster still shows a gap: a window's few dozen returns estimate the covariance they are judged
    against with sampling error (and a regime switch inside a window changes it). What the vault shows above this
    floor is its forecasting and trading; the floor itself is the measure's.
    """
    gaps = []
    for (start, end), b, cov in zip(windows, budgets, covariances, strict=True):
        rc = euler_split(risk_budget_weights(cov, b) * returns[start:end])
        if rc is not None:
            gaps.append(np.abs(rc - b).mean())
    return float(np.mean(gaps)) if gaps else float("nan")


def _realized_rc(log: DemoLog, true_covariances: Sequence[FloatArray] | None = None) -> dict[str, Any]:
    """:func:`_rc_summary` on windows of at least ``RC_MIN_STEPS`` steps, with the same measure on windows of at
    least ``RC_MONTH_DAYS`` days (``month``), the length the keeper's backtest measures on (21 rows)."""
    out = _rc_summary(log, true_covariances, RC_MIN_STEPS)
    rows = log.market_rows
    if out:
        steps_per_day = round(1.0 / (rows[1]["day"] - rows[0]["day"]))
        month = _rc_summary(log, true_covariances, RC_MONTH_DAYS * steps_per_day)
        out["month"] = {k: month.get(k) for k in ("mean_abs_gap", "perfect_forecast_gap", "min_steps")} | {
            "windows": len(month.get("rc", []))
        }
    return out


def _rc_summary(log: DemoLog, true_covariances: Sequence[FloatArray] | None, min_steps: int) -> dict[str, Any]:
    """Realized risk contributions between rebalances against the budget (see :func:`realized_risk_contributions`)
    on windows of at least ``min_steps``; with the world's true covariances (calm, stress; over every world asset),
    also the measure's floor (:func:`perfect_forecast_gap`)."""
    cols = [i for i, b in enumerate(log.budgets_bps) if b > 0]
    rows = log.market_rows
    if len(rows) < 3 or not cols:
        return {}
    prices = np.array([[m["prices"][i] for i in cols] for m in rows])
    returns = prices[1:] / prices[:-1] - 1.0
    after = np.array([[m["weights"][i] for i in cols] if "weights" in m else [0.0] * len(cols) for m in rows[1:]])
    exposures = held_exposures(after, returns)
    starts = sorted({int(r["step"]) for r in log.rebalances if "step" in r and r["step"] < len(returns)})
    windows, rc = realized_risk_contributions(returns, exposures, starts, min_steps)
    if not windows:
        return {}
    start_budget = np.array([log.budgets_bps[i] for i in cols], dtype=np.float64) / 10_000
    # Each window against the budgets in force during it (read by the tick that ended its first step).
    budget = np.array(
        [
            [rows[w + 1]["budget"][i] for i in cols] if rows[w + 1].get("budget") else start_budget.tolist()
            for w in windows
        ]
    )
    gap = np.abs(rc - budget)
    days = [rows[w]["day"] for w in windows]
    settled = [k for k, d in enumerate(days) if d >= SETTLE_DAYS]
    floor = None
    if true_covariances is not None:
        spans = dict(rc_windows(starts, len(returns), min_steps))
        # The regime of a window's first step (a row's flag is the regime that moved the prices into it).
        covs = [true_covariances[int(bool(rows[w + 1]["stress"]))][np.ix_(cols, cols)] for w in windows]
        floor = perfect_forecast_gap(returns, [(w, spans[w]) for w in windows], budget, covs)
    return {
        "symbols": [log.symbols[i] for i in cols],
        "budget": start_budget.tolist(),
        "window_budgets": budget.tolist(),
        "window_start_days": days,
        "rc": rc.tolist(),
        "mean_abs_gap": float(gap.mean()),
        "mean_abs_gap_after_first_week": float(gap[settled].mean()) if settled else None,
        "mean_max_gap": float(gap.max(axis=1).mean()),
        "min_steps": min_steps,
        "perfect_forecast_gap": floor,
    }


def rebalanced_events(w3: Web3, vault: str, vault_abi: list[dict[str, Any]]) -> list[dict[str, int]]:
    """The vault's ``Rebalanced`` events (NAV before and after at the same prices, turnover; base units) by block."""
    contract = w3.eth.contract(address=Web3.to_checksum_address(vault), abi=vault_abi)
    return [
        {
            "block": int(e["blockNumber"]),
            "nav_before": int(e["args"]["navBeforeBaseUnits"]),
            "nav_after": int(e["args"]["navAfterBaseUnits"]),
            "turnover": int(e["args"]["turnoverBaseUnits"]),
        }
        for e in contract.events.Rebalanced().get_logs(from_block=0)
    ]


def turnover_and_costs(
    events: Sequence[dict[str, int]],
    gas_usd: Sequence[float],
    days: float,
    base_decimals: int = 6,
) -> dict[str, float]:
    """Turnover and costs per year, each rebalance's as a share of its own NAV (deposits do not dilute them).

    ``events`` are :func:`rebalanced_events`; ``gas_usd`` the gas each one paid, in USD. The trading cost is the NAV
    a rebalance lost at unchanged prices (pool fees and price impact), the rest is gas; Aave's interest is a
    financing cost and not counted here.
    """
    years = days / 365.0
    if not events or years <= 0:
        return {}
    one = 10.0**base_decimals
    turnover = sum(e["turnover"] / e["nav_before"] for e in events if e["nav_before"] > 0)
    trading = sum((e["nav_before"] - e["nav_after"]) / e["nav_before"] for e in events if e["nav_before"] > 0)
    gas = sum(g / (e["nav_before"] / one) for g, e in zip(gas_usd, events, strict=True) if e["nav_before"] > 0)
    return {
        "turnover_per_year": turnover / years,
        "trading_cost_bps_per_year": trading / years * 10_000,
        "gas_cost_bps_per_year": gas / years * 10_000,
        "cost_bps_per_year": (trading + gas) / years * 10_000,
        "trading_cost_usd": sum((e["nav_before"] - e["nav_after"]) / one for e in events),
        "gas_cost_usd": float(sum(gas_usd)),
    }


def _stress_response(log: DemoLog, stress_day: float) -> dict[str, Any]:
    """Leverage, health factor and the basket's weights in the month before the scripted stress and within it."""
    rows = [m for m in log.market_rows if "leverage" in m]
    before = [m for m in rows if stress_day - 30 <= m["day"] < stress_day and not m["stress"]]
    during = [m for m in rows if m["day"] >= stress_day and m["stress"]]
    if not before or not during:
        return {}
    cols = [i for i, b in enumerate(log.budgets_bps) if b > 0]

    def mean_weights(sel: list[dict[str, Any]]) -> dict[str, float]:
        w = np.array([[m["weights"][i] for i in cols] for m in sel if "weights" in m])
        return {log.symbols[i]: float(v) for i, v in zip(cols, w.mean(axis=0), strict=True)} if w.size else {}

    return {
        "calm_month_before": {
            "mean_leverage": float(np.mean([m["leverage"] for m in before])),
            "min_health_factor": float(min(m["health_factor"] for m in before)),
            "mean_weights": mean_weights(before),
        },
        "stress": {
            "min_leverage": float(min(m["leverage"] for m in during)),
            "mean_leverage": float(np.mean([m["leverage"] for m in during])),
            "min_health_factor": float(min(m["health_factor"] for m in during)),
            "max_health_factor": float(max(m["health_factor"] for m in during)),
            "mean_weights": mean_weights(during),
        },
    }


def write_report(
    out: Path,
    log: DemoLog,
    users: dict[str, Any],
    keeper: Keeper,
    *,
    rebalanced: Sequence[dict[str, int]] = (),
    true_covariances: Sequence[FloatArray] | None = None,
    **meta: Any,
) -> dict[str, Any]:
    devs = [r["deviation"] for r in log.rows if "deviation" in r]
    # The first week builds the positions from cash within the vault's turnover cap; judge tracking after it.
    settled = [r["deviation"] for r in log.rows if "deviation" in r and r["day"] >= SETTLE_DAYS]
    for r in log.rebalances:
        r.setdefault("deviation_after", r["deviation_after_expected"])
    report = {
        **meta,
        "symbols": log.symbols,
        "risk_budgets_bps": log.budgets_bps,
        "threshold": log.threshold,
        "rebalances": log.rebalances,
        "final_rc_deviation": devs[-1] if devs else None,
        "max_rc_deviation": max(devs) if devs else None,
        "max_rc_deviation_after_first_week": max(settled) if settled else None,
        "mean_rc_deviation_after_first_week": float(np.mean(settled)) if settled else None,
        "users": {
            name: {
                "deposited": u["deposited"] / 1e6,
                "withdrawn": u["withdrawn"] / 1e6,
                "entry_fee": u.get("entry_fee", 0) / 1e6,
                "entry_fee_bps": u.get("entry_fee_bps", 0),
                "paths": u["paths"],
            }
            for name, u in users.items()
        },
        "gas_total": sum(r["gas"] for r in log.rebalances),
        "keeper_failures": keeper.journal.count("error"),
        "ticks": len(log.rows),
        "decisions": {d: sum(1 for r in log.rows if r["decision"] == d) for d in ("rebalance", "hold", "skip")},
        "nav_start": next((m["nav"] for m in log.market_rows if not math.isnan(m["nav"])), None),
        "nav_end_before_exits": log.market_rows[-1]["nav"] if log.market_rows else None,
        "stress_days": sum(m["stress"] for m in log.market_rows)
        * (log.market_rows[1]["day"] - log.market_rows[0]["day"])
        if len(log.market_rows) > 1
        else 0,
    }
    report["share_price"] = _share_price_stats(log)
    report["realized_rc"] = _realized_rc(log, true_covariances)
    report["costs"] = _costs(log, rebalanced, meta.get("days", 0))
    report["stress_response"] = _stress_response(log, meta.get("stress_day", 0))
    baselines = _baselines(log) if len(log.market_rows) > 1 else {}
    levs = [r for r in log.rows if "leverage" in r]
    if levs:
        report["leverage"] = {
            "max": max(r["leverage"] for r in levs),
            "final": levs[-1]["leverage"],
            "min_health_factor_seen": min(r["health_factor"] for r in levs),
            "vault_min_health_factor": levs[-1]["min_health_factor"],
            "ripcord_health_factor": levs[-1]["ripcord_health_factor"],
        }
    (out / "report.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    _plots(out, log, baselines, report["realized_rc"])
    if baselines:
        start = baselines["days"][0]
        vault = [m["share_price"] for m in log.market_rows if m["day"] >= start]
        report["baselines_from_day"] = start
        report["baselines_return"] = {
            "vault_share_price": vault[-1] / vault[0] - 1.0 if vault and vault[0] > 0 else None,
            **{k: v[-1] - 1.0 for k, v in baselines.items() if k != "days"},
        }
    (out / "report.md").write_text(_markdown(report))
    return report


def _costs(log: DemoLog, events: Sequence[dict[str, int]], days: float) -> dict[str, float]:
    by_block = {r["block"]: r for r in log.rebalances}
    weth = log.symbols.index("WETH") if "WETH" in log.symbols else None
    gas_usd = []
    for e in events:
        r = by_block.get(e["block"], {})
        step = min(int(r.get("step", 0)), len(log.market_rows) - 1) if log.market_rows else None
        eth_usd = log.market_rows[step]["prices"][weth] if weth is not None and step is not None else 0.0
        gas_usd.append(r.get("gas", 0) * r.get("gas_price_wei", 0) / 1e18 * eth_usd)
    return turnover_and_costs(events, gas_usd, days)


BASELINE_WINDOW = 30
"""Days of history the baselines' estimator needs before their first allocation."""


def _baselines(log: DemoLog) -> dict[str, Any]:
    """Equal weight and inverse volatility over the same simulated prices, through the keeper's own engine
    (``keeper.backtest``: daily decisions, the pools' fee and price impact paid), fully invested, unlevered: the
    yardsticks a risk-parity investor compares the share price with. Both start on day BASELINE_WINDOW + 1."""
    steps_per_day = int(round(1.0 / (log.market_rows[1]["day"] - log.market_rows[0]["day"])))
    daily = log.market_rows[::steps_per_day]
    cols = [i for i, b in enumerate(log.budgets_bps) if b > 0]
    if len(daily) <= BASELINE_WINDOW + 2 or len(cols) < 2:
        return {}
    prices = np.array([[m["prices"][i] for i in cols] for m in daily])
    result = backtest(prices, BacktestConfig(interval=86_400, window=BASELINE_WINDOW), strategies=STRATEGIES[1:])
    first = len(daily) - len(next(iter(result.strategies.values())).nav)
    out: dict[str, Any] = {"days": [m["day"] for m in daily[first:]]}
    for name, r in result.strategies.items():
        out[name] = (r.nav / r.nav[0]).tolist()
    return out


def _share_price_stats(log: DemoLog) -> dict[str, Any]:
    """Return, drawdown and realized volatility of the share price (deposits do not move it), by 30-day month."""
    rows = [m for m in log.market_rows if m["share_price"] == m["share_price"] and m["share_price"] > 0]
    if len(rows) < 3:
        return {}
    price = np.array([m["share_price"] for m in rows])
    days = np.array([m["day"] for m in rows])
    steps_per_year = 365.0 / float(np.median(np.diff(days)))
    rets = np.diff(np.log(price))
    months = []
    for start in range(int(days[0]), int(days[-1]), 30):
        sel = (days[1:] >= start) & (days[1:] < start + 30)
        if sel.sum() > 10:
            stress = float(np.mean([m["stress"] for m, s in zip(rows[1:], sel, strict=True) if s]))
            months.append(
                {
                    "from_day": start,
                    "realized_vol": float(np.std(rets[sel], ddof=1) * np.sqrt(steps_per_year)),
                    "stress_share": stress,
                }
            )
    peak = np.maximum.accumulate(price)
    return {
        "start": float(price[0]),
        "end": float(price[-1]),
        "return": float(price[-1] / price[0] - 1.0),
        "realized_vol": float(np.std(rets, ddof=1) * np.sqrt(steps_per_year)),
        "max_drawdown": float(np.max(1.0 - price / peak)),
        "monthly": months,
    }


def _markdown(r: dict[str, Any]) -> str:
    lines = [
        "# Demo report",
        "",
        f"{r['days']} simulated days (seed {r['seed']}, stress held from day {r['stress_day']}; "
        f"{r['stress_days']:.0f} days in stress), run in {r['elapsed_s']:.0f} s.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| keeper ticks | {r['ticks']} ({r['decisions']}) |",
        f"| rebalances | {len(r['rebalances'])} |",
        f"| gas used by rebalances | {r['gas_total']:,} |",
        f"| keeper failures | {r['keeper_failures']} |",
        f"| final risk-contribution deviation | {r['final_rc_deviation']:.4f} (threshold {r['threshold']}) |",
        f"| deviation after the first week: mean / max | {r['mean_rc_deviation_after_first_week'] or 0:.4f} / "
        f"{r['max_rc_deviation_after_first_week'] or 0:.4f} |",
        *(
            [
                f"| leverage: max / final | {r['leverage']['max']:.2f}x / {r['leverage']['final']:.2f}x |",
                f"| lowest health factor seen | {r['leverage']['min_health_factor_seen']:.2f} (vault minimum "
                f"{r['leverage']['vault_min_health_factor']:.2f}, "
                f"ripcord {r['leverage']['ripcord_health_factor']:.2f}) |",
            ]
            if "leverage" in r
            else []
        ),
        *(
            [
                f"| share price: return / max drawdown | {r['share_price']['return']:+.2%} / "
                f"{r['share_price']['max_drawdown']:.2%} |",
                f"| realized volatility of the share price (target {r.get('target_vol', 0):.0%}) | "
                f"{r['share_price']['realized_vol']:.1%} |",
                *(
                    [
                        f"| from day {r['baselines_from_day']:.0f}: share price / equal weight / inverse vol | "
                        + " / ".join(f"{v:+.2%}" for v in r["baselines_return"].values())
                        + " |"
                    ]
                    if r.get("baselines_return")
                    else []
                ),
            ]
            if r.get("share_price")
            else []
        ),
        *_markdown_risk(r),
        "",
        *(
            [
                "| 30 days from day | realized vol (annualized) | share of the month in stress |",
                "|---|---|---|",
                *(
                    f"| {m['from_day']} | {m['realized_vol']:.1%} | {m['stress_share']:.0%} |"
                    for m in r["share_price"]["monthly"]
                ),
                "",
            ]
            if r.get("share_price", {}).get("monthly")
            else []
        ),
        "| user | deposited (USDC) | entry fee kept by the vault | withdrawn (USD value) | exit path |",
        "|---|---|---|---|---|",
    ]
    for name, u in r["users"].items():
        fee = f"{u['entry_fee']:,.2f} USDC ({u['entry_fee_bps']} bps)" if u["entry_fee"] else "none (first in)"
        lines.append(f"| {name} | {u['deposited']:,.2f} | {fee} | {u['withdrawn']:,.2f} | {', '.join(u['paths'])} |")
    lines += ["", "| epoch | day | block | deviation before | after | trades | gas |", "|---|---|---|---|---|---|---|"]
    for b in r["rebalances"]:
        lines.append(
            f"| {b['epoch']} | {b['day']:.1f} | {b['block']} | {b['deviation_before']:.4f} | "
            f"{b['deviation_after']:.4f} | {b['trades']} | {b['gas']:,} |"
        )
    lines += (
        [
            "",
            "![Share price and drawdown](share_price.png)",
            "![Weights](weights.png)",
            "![Risk contributions](risk_contributions.png)",
            "![Deviation](deviation.png)",
        ]
        + (["![Leverage](leverage.png)"] if "leverage" in r else [])
        + [""]
    )
    return "\n".join(lines)


def _markdown_risk(r: dict[str, Any]) -> list[str]:
    """Summary rows: realized risk contributions, turnover and costs, and what the stress regime moved."""
    lines = []
    rc = r.get("realized_rc") or {}
    if rc:
        after = rc["mean_abs_gap_after_first_week"]
        lines.append(
            f"| realized risk contributions between rebalances: mean \\|RC - budget\\| | "
            f"{rc['mean_abs_gap'] * 100:.1f} pp over {len(rc['rc'])} windows"
            + (f" ({after * 100:.1f} pp after the first week)" if after is not None else "")
            + f"; the largest asset's gap averages {rc['mean_max_gap'] * 100:.1f} pp"
            + (
                f"; a vault that knew the true covariance would show {rc['perfect_forecast_gap'] * 100:.1f} pp on "
                "the same windows (the measure's sampling noise)"
                if rc.get("perfect_forecast_gap") is not None
                else ""
            )
            + " |"
        )
    month = rc.get("month") or {}
    if month.get("mean_abs_gap") is not None:
        lines.append(
            f"| the same on windows of at least {RC_MONTH_DAYS} days (the backtest's length) | "
            f"{month['mean_abs_gap'] * 100:.1f} pp over {month['windows']} windows"
            + (
                f"; {month['perfect_forecast_gap'] * 100:.1f} pp for the vault that knew the true covariance"
                if month.get("perfect_forecast_gap") is not None
                else ""
            )
            + " |"
        )
    c = r.get("costs") or {}
    if c:
        lines.append(
            f"| turnover / costs per year | {c['turnover_per_year']:.1f}x NAV / {c['cost_bps_per_year']:.0f} bps "
            f"({c['trading_cost_bps_per_year']:.0f} bps pool fees and price impact, {c['gas_cost_bps_per_year']:.1f} "
            f"bps gas) |"
        )
    sr = r.get("stress_response") or {}
    if sr:
        before, during = sr["calm_month_before"], sr["stress"]
        lines.append(
            f"| leverage: month before the stress / in it | mean {before['mean_leverage']:.2f}x / mean "
            f"{during['mean_leverage']:.2f}x, down to {during['min_leverage']:.2f}x |"
        )
        lines.append(
            f"| health factor: month before the stress / in it | at least {_hf(before['min_health_factor'])} / "
            f"{_hf(during['min_health_factor'])} to {_hf(during['max_health_factor'])} |"
        )
        pairs = [f"{s} {before['mean_weights'].get(s, 0.0):.0%} -> {w:.0%}" for s, w in during["mean_weights"].items()]
        lines.append(f"| mean weights (of NAV): month before the stress -> in it | {', '.join(pairs)} |")
    return lines


def _hf(value: float) -> str:
    """A health factor as the report prints it (the log caps "no debt", Aave's uint max, at 99)."""
    return "no debt" if value >= 99.0 else f"{value:.2f}"


def _shade_stress(ax: Any, log: DemoLog) -> None:
    days = [m["day"] for m in log.market_rows]
    stress = [m["stress"] for m in log.market_rows]
    start = None
    for d, s in zip(days, stress, strict=True):
        if s and start is None:
            start = d
        if not s and start is not None:
            ax.axvspan(start, d, color="tab:red", alpha=0.08, lw=0)
            start = None
    if start is not None:
        ax.axvspan(start, days[-1], color="tab:red", alpha=0.08, lw=0, label="stress regime")


def _plots(
    out: Path, log: DemoLog, baselines: dict[str, Any] | None = None, realized: dict[str, Any] | None = None
) -> None:
    days = np.array([m["day"] for m in log.market_rows])
    price = np.array([m["share_price"] for m in log.market_rows])
    fig, (ax, ax_dd) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, height_ratios=(2, 1))
    ax.plot(days, price, color="tab:blue", label="vault share price")
    if baselines:
        # The baselines start at the vault's share price on their first day, so the lines are comparable.
        at = float(np.interp(baselines["days"][0], days, price))
        for name, color in (("equal_weight", "tab:gray"), ("inverse_vol", "tab:olive")):
            ax.plot(baselines["days"], np.array(baselines[name]) * at, color=color, lw=1, label=name.replace("_", " "))
        ax.legend(loc="upper left", fontsize=8)
    _shade_stress(ax, log)
    ax.set(title="Share price (USDC per share; deposits and exits do not move it)", ylabel="USDC")
    ok = np.isfinite(price) & (price > 0)
    dd = np.full(price.shape, np.nan)
    dd[ok] = price[ok] / np.maximum.accumulate(price[ok]) - 1.0
    ax_dd.fill_between(days, dd, 0.0, color="tab:red", alpha=0.4)
    ax_dd.set(xlabel="day", ylabel="drawdown")
    fig.tight_layout()
    fig.savefig(out / "share_price.png", dpi=110)
    plt.close(fig)

    rows = [r for r in log.rows if "weights" in r]
    if not rows:
        return
    t = np.array([r["day"] for r in rows])
    w = np.array([r["weights"] for r in rows])
    rc = np.array([r["rc"] for r in rows])
    fig, (ax, ax_log) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    labels = [f"{s} (cash)" if i == 0 else s for i, s in enumerate(log.symbols)]
    ax.stackplot(t, w.T, labels=labels, alpha=0.85)
    _shade_stress(ax, log)
    ax.set(title="Value weights", ylabel="share of NAV", ylim=(0, 1))
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    # Without leverage a low-volatility asset needs most of the dollars to carry its share of risk; the log
    # scale shows the small weights the risky assets get.
    for i, label in enumerate(labels):
        ax_log.plot(t, np.maximum(w[:, i], 1e-5), label=label, lw=1)
    ax_log.set(yscale="log", xlabel="day", ylabel="share of NAV (log)")
    _shade_stress(ax_log, log)
    fig.tight_layout()
    fig.savefig(out / "weights.png", dpi=110)
    plt.close(fig)

    fig, (ax, ax_real) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    budgets = np.array(log.budgets_bps) / 10_000
    for i, s in enumerate(log.symbols):
        if budgets[i] == 0:
            continue
        (line,) = ax.plot(t, rc[:, i], label=s)
        ax.axhline(budgets[i], color=line.get_color(), ls="--", lw=0.8)
        if realized and s in realized["symbols"]:
            j = realized["symbols"].index(s)
            days_r = realized["window_start_days"]
            ax_real.step(days_r, [r[j] for r in realized["rc"]], where="post", color=line.get_color(), lw=1)
            ax_real.axhline(budgets[i], color=line.get_color(), ls="--", lw=0.8)
    _shade_stress(ax, log)
    ax.set(title="Risk contributions the keeper forecasts (solid) against the budget (dashed)", ylabel="share of risk")
    ax.legend(loc="upper right", fontsize=8, ncol=3)
    _shade_stress(ax_real, log)
    gap = f"; mean |RC - budget| {realized['mean_abs_gap']:.1%}" if realized else ""
    ax_real.set(
        title=f"Realized between rebalances (windows of at least {RC_MIN_STEPS} steps){gap}",
        xlabel="day",
        ylabel="share of risk",
    )
    fig.tight_layout()
    fig.savefig(out / "risk_contributions.png", dpi=110)
    plt.close(fig)

    levs = [r for r in rows if "leverage" in r]
    if levs:
        tl = np.array([r["day"] for r in levs])
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
        ax1.plot(tl, [r["leverage"] for r in levs], label="leverage (gross / NAV)")
        ax1.plot(tl, [r["leverage_target"] for r in levs], ls="--", label="keeper's leverage target")
        ax1.plot(tl, [r.get("exposure", np.nan) for r in levs], lw=1, label="risky exposure / NAV (rest in USDC)")
        ax1.plot(tl, [r.get("exposure_target", np.nan) for r in levs], lw=1, ls=":", label="exposure target")
        ax1.set(title="Leverage, exposure and health factor", ylabel="x")
        ax1.legend(loc="upper left", fontsize=8)
        _shade_stress(ax1, log)
        ax2.plot(tl, [r["health_factor"] for r in levs], color="tab:green", label="health factor (Aave)")
        ax2.axhline(levs[-1]["min_health_factor"], color="tab:orange", ls="--", lw=1, label="vault minimum")
        ax2.axhline(levs[-1]["ripcord_health_factor"], color="tab:red", ls="--", lw=1, label="ripcord")
        ax2.set(
            xlabel="day", ylabel="health factor", ylim=(1.0, max(3.0, min(6.0, max(r["health_factor"] for r in levs))))
        )
        ax2.legend(loc="upper right", fontsize=8)
        _shade_stress(ax2, log)
        fig.tight_layout()
        fig.savefig(out / "leverage.png", dpi=110)
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(t, [r["deviation"] for r in rows], color="tab:purple", label="max |RC - budget|")
    ax.axhline(log.threshold, color="black", ls="--", lw=1, label="trigger threshold")
    for b in log.rebalances:
        ax.axvline(b["day"], color="tab:green", lw=0.6, alpha=0.6)
    ax.plot([], [], color="tab:green", label="rebalance")
    _shade_stress(ax, log)
    ax.set(title="Deviation from the risk budget", xlabel="day", ylabel="deviation")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "deviation.png", dpi=110)
    plt.close(fig)
