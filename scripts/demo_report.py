"""The demo's record and its outputs: report.json, report.md and PNG plots (matplotlib, no screen needed)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; the demo runs on machines without a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from devworld.sim.market import STRESS  # noqa: E402
from devworld.sim.runner import StepReport  # noqa: E402
from keeper.backtest import STRATEGIES, BacktestConfig, backtest  # noqa: E402
from keeper.daemon import Keeper, TickResult  # noqa: E402

SETTLE_DAYS = 7


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
            row["rc"] = full_rc.tolist()
        if p is not None and p.leverage is not None:
            state = result.state
            row["leverage"] = float(p.leverage)
            row["leverage_target"] = float(p.leverage_target or 1.0)
            row["health_factor"] = min(state.health_factor_wad / 1e18, 99.0) if state is not None else float("nan")
            lev = state.leverage if state is not None else None
            row["min_health_factor"] = lev.min_health_factor if lev is not None else float("nan")
            row["ripcord_health_factor"] = lev.ripcord_health_factor if lev is not None else float("nan")
        self.rows.append(row)
        if rec.decision == "rebalance" and result.outcome is not None:
            self.rebalances.append(
                {
                    "epoch": rec.epoch,
                    "block": result.outcome.block,
                    "day": row["day"],
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


def write_report(out: Path, log: DemoLog, users: dict[str, Any], keeper: Keeper, **meta: Any) -> dict[str, Any]:
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
    _plots(out, log, baselines)
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


def _plots(out: Path, log: DemoLog, baselines: dict[str, Any] | None = None) -> None:
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

    fig, ax = plt.subplots(figsize=(9, 4))
    budgets = np.array(log.budgets_bps) / 10_000
    for i, s in enumerate(log.symbols):
        if budgets[i] == 0:
            continue
        (line,) = ax.plot(t, rc[:, i], label=s)
        ax.axhline(budgets[i], color=line.get_color(), ls="--", lw=0.8)
    _shade_stress(ax, log)
    ax.set(title="Risk contributions (solid) against the budget (dashed)", xlabel="day", ylabel="share of risk")
    ax.legend(loc="upper right", fontsize=8, ncol=3)
    fig.tight_layout()
    fig.savefig(out / "risk_contributions.png", dpi=110)
    plt.close(fig)

    levs = [r for r in rows if "leverage" in r]
    if levs:
        tl = np.array([r["day"] for r in levs])
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
        ax1.plot(tl, [r["leverage"] for r in levs], label="leverage (gross / NAV)")
        ax1.plot(tl, [r["leverage_target"] for r in levs], ls="--", label="keeper's target")
        ax1.set(title="Leverage and health factor", ylabel="x")
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
