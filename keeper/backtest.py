"""Backtest: the keeper's own estimator, solver, policy and planner over a price series, with trading costs.

Each strategy (risk parity, equal weight, inverse volatility) starts fully in the base asset and then, at every
decision step, estimates the covariance from the trailing window of returns only (no look-ahead), computes its
target, asks :func:`keeper.policy.decide` whether the move is worth it, turns the move into integer trades with
:func:`keeper.planner.plan_trades`, and fills them against constant-product pools that arbitrage keeps at the
oracle price with a fixed depth. Costs are the pool fee and price impact actually paid plus gas per swap.

Reported per strategy: annualised realised volatility, risk-contribution error over time, turnover, costs and
maximum drawdown.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from keeper.planner import PRICE_DECIMALS, PoolReserves, plan_trades, pool_amount_out, weights_to_bps
from keeper.policy import PolicyConfig, Pool, decide, rc_deviation
from keeper.risk.covariance import ledoit_wolf
from keeper.risk.returns import log_returns, periods_per_year
from keeper.risk.solver import risk_budget_weights, risk_contributions
from keeper.risk.types import FloatArray

logger = logging.getLogger(__name__)

Strategy = Literal["risk_parity", "equal_weight", "inverse_vol"]
STRATEGIES: tuple[Strategy, ...] = ("risk_parity", "equal_weight", "inverse_vol")
_DECIMALS = 18
_BASE = "BASE"


@dataclass(frozen=True)
class BacktestConfig:
    """Backtest settings.

    Attributes
    ----------
    interval : int
        Seconds between price rows.
    window : int
        Trailing returns used by the estimator.
    decide_every : int
        Rows between policy decisions.
    initial_nav : float
        Starting NAV in base units (USD).
    pool_depth : float
        Base-asset reserve of every pool (USD); the asset side is set at the oracle price.
    gas_cost_per_trade : float
        USD per swap.
    policy : PolicyConfig
    budget : FloatArray, optional
        Risk budget; equal when None.
    """

    interval: int = 86_400
    window: int = 60
    decide_every: int = 1
    initial_nav: float = 1_000_000.0
    pool_depth: float = 50_000_000.0
    gas_cost_per_trade: float = 5.0
    policy: PolicyConfig = field(
        default_factory=lambda: PolicyConfig(cooldown_seconds=0, value_per_squared_deviation=0.5)
    )
    budget: FloatArray | None = None


@dataclass(frozen=True)
class StrategyResult:
    """One strategy's path and summary.

    Attributes
    ----------
    nav : FloatArray, shape (T,)
        NAV in USD at each row (from the first decision row on; before it the strategy is in cash).
    rc_error : FloatArray, shape (D,)
        RC deviation from the risk-parity budget at each decision, before trading (the same yardstick for every
        strategy; each strategy's own trigger uses its own target's risk split).
    realized_vol : float
        Annualised volatility of NAV log returns.
    turnover : float
        Sum of traded value / average NAV.
    costs : float
        Fees, price impact and gas paid, USD.
    max_drawdown : float
        Largest peak-to-trough NAV loss, as a fraction.
    rebalances : int
    """

    nav: FloatArray
    rc_error: FloatArray
    realized_vol: float
    turnover: float
    costs: float
    max_drawdown: float
    rebalances: int


@dataclass(frozen=True)
class BacktestResult:
    """Results keyed by strategy name."""

    strategies: dict[str, StrategyResult]


def load_prices_csv(path: str | Path) -> tuple[list[str], FloatArray]:
    """Read a CSV with a header row: an optional first ``timestamp`` column, then one column per asset.

    Returns
    -------
    names : list of str
    prices : FloatArray, shape (T, N)
    """
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    skip = 1 if header and header[0].strip().lower() in {"timestamp", "time", "date"} else 0
    prices = np.array([[float(v) for v in r[skip:]] for r in body if r], dtype=np.float64)
    return header[skip:], prices


def _target(strategy: Strategy, cov: FloatArray, budget: FloatArray | None, prev: FloatArray | None) -> FloatArray:
    if strategy == "equal_weight":
        return np.full(cov.shape[0], 1.0 / cov.shape[0])
    if strategy == "inverse_vol":
        iv = 1.0 / np.sqrt(np.diag(cov))
        return iv / iv.sum()
    return risk_budget_weights(cov, budget, x0=prev)


def backtest(
    prices: npt.ArrayLike | str | Path,
    config: BacktestConfig | None = None,
    strategies: Sequence[Strategy] = STRATEGIES,
) -> BacktestResult:
    """Run the keeper pipeline over a price series for each strategy.

    Parameters
    ----------
    prices : array_like, shape (T, N), or path to a CSV (see :func:`load_prices_csv`)
        Oracle prices of the risky assets in USD per token, one row per ``config.interval``.
    config : BacktestConfig, optional
    strategies : sequence of str

    Returns
    -------
    BacktestResult
    """
    cfg = config or BacktestConfig()
    px = load_prices_csv(prices)[1] if isinstance(prices, (str, Path)) else np.asarray(prices, dtype=np.float64)
    if px.ndim != 2 or px.shape[0] <= cfg.window + 1:
        raise ValueError(f"need a (T, N) price array with T > window + 1, got shape {px.shape}")
    rets = log_returns(px)
    budget = cfg.budget if cfg.budget is not None else np.full(px.shape[1], 1.0 / px.shape[1])
    return BacktestResult({s: _run(s, px, rets, budget, cfg) for s in strategies})


def _run(
    strategy: Strategy, px: FloatArray, rets: FloatArray, budget: FloatArray, cfg: BacktestConfig
) -> StrategyResult:
    t_rows, n = px.shape
    tokens = [f"A{i}" for i in range(n)] + [_BASE]
    decimals = [_DECIMALS] * (n + 1)
    base = n
    one = 10**_DECIMALS
    balances = [0] * n + [int(cfg.initial_nav * one)]
    last_rebalance: int | None = None
    navs: list[float] = []
    errors: list[float] = []
    traded = 0.0
    costs = 0.0
    rebalances = 0
    prev_target: FloatArray | None = None
    start = cfg.window + 1
    for t in range(start, t_rows):
        price_int = [int(round(p * 10**PRICE_DECIMALS)) for p in px[t]] + [10**PRICE_DECIMALS]
        values = np.array([balances[i] / one * px[t, i] for i in range(n)] + [balances[base] / one])
        nav = float(values.sum())
        navs.append(nav)
        if (t - start) % cfg.decide_every:
            continue
        # Returns up to row t are known at row t: the window ends at the current price, never after it.
        cov = ledoit_wolf(rets[t - cfg.window : t]).covariance * periods_per_year(cfg.interval)
        target = _target(strategy, cov, budget, prev_target)
        prev_target = target
        w_now = values[:n] / nav
        errors.append(rc_deviation(w_now, cov, budget))
        pools = [Pool(cfg.pool_depth / px[t, i], cfg.pool_depth) for i in range(n)]
        decision = decide(
            now=t * cfg.interval,
            last_rebalance=last_rebalance,
            nav=nav,
            current_weights=w_now,
            target_weights=target,
            cov=cov,
            # Each strategy is held to its own target's risk split (the budget itself for risk parity), so the
            # trigger and the cost gate mean the same thing for all three.
            budget=risk_contributions(target, cov),
            prices=px[t],
            pools=pools,
            gas_cost_per_trade=cfg.gas_cost_per_trade,
            config=cfg.policy,
        )
        # The first allocation deploys the deposit, which the vault must do whatever the cost gate says.
        initial = rebalances == 0
        if not decision.rebalance and not initial:
            continue
        w_new = np.clip(target if initial else decision.weights, 0.0, None)
        bps = weights_to_bps(np.append(w_new, max(0.0, 1.0 - w_new.sum())))
        reserves: list[PoolReserves | None] = [
            PoolReserves(int(p.reserve_asset * one), int(p.reserve_base * one)) for p in pools
        ] + [None]
        plan = plan_trades(
            tokens=tokens,
            balances=balances,
            prices=price_int,
            decimals=decimals,
            base_index=base,
            target_bps=bps,
            reserves=reserves,
        )
        for trade in plan.trades:
            i_in, i_out = tokens.index(trade.token_in), tokens.index(trade.token_out)
            asset = i_in if i_out == base else i_out
            r = reserves[asset]
            assert r is not None
            r_in, r_out = (r.reserve_asset, r.reserve_base) if i_out == base else (r.reserve_base, r.reserve_asset)
            out = pool_amount_out(trade.amount_in, r_in, r_out)
            if out < trade.min_amount_out:
                continue  # would revert on chain
            value_in = trade.amount_in / one * (px[t, i_in] if i_in != base else 1.0)
            value_out = out / one * (px[t, i_out] if i_out != base else 1.0)
            balances[i_in] -= trade.amount_in
            balances[i_out] += out
            traded += value_in
            costs += value_in - value_out + cfg.gas_cost_per_trade
            balances[base] -= int(cfg.gas_cost_per_trade * one)
        last_rebalance = t * cfg.interval
        rebalances += 1
    nav_arr = np.array(navs)
    r = np.diff(np.log(nav_arr))
    peak = np.maximum.accumulate(nav_arr)
    return StrategyResult(
        nav=nav_arr,
        rc_error=np.array(errors),
        realized_vol=float(np.std(r, ddof=1) * np.sqrt(periods_per_year(cfg.interval))) if r.size > 1 else 0.0,
        turnover=traded / float(nav_arr.mean()),
        costs=costs,
        max_drawdown=float(np.max(1.0 - nav_arr / peak)),
        rebalances=rebalances,
    )
