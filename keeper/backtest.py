"""Backtest: the keeper's own engine (:func:`keeper.engine.propose`) over a price series, with trading costs.

Each strategy (risk parity, equal weight, inverse volatility) starts fully in the base asset. At every decision
step the backtest builds the :class:`~keeper.snapshot.Snapshot` a vault holding that strategy's balances would
show (feed rounds up to the current row only: no look-ahead), and calls the same engine the daemon calls, with the
keeper config's estimator, cash buffer, trigger, cost gate and trade caps; only the return grid (``risk.interval_s``
and ``risk.lookback_s``) follows the data. The proposal's integer trades are filled against constant-product pools
that arbitrage keeps at the oracle price with a fixed depth. Costs are the pool fee and price impact actually paid
plus gas per swap.

Reported per strategy: annualised realised volatility, risk-contribution error over time, turnover, costs and
maximum drawdown.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from keeper.amm import Pool, amount_out
from keeper.config import KeeperConfig, parse_keeper_config
from keeper.engine import Allocator, propose
from keeper.outcomes import Action
from keeper.policy import rc_deviation
from keeper.risk.returns import periods_per_year
from keeper.risk.types import FloatArray
from keeper.snapshot import AssetState, FeedHistory, Snapshot
from keeper.units import BASE_PRICE, BPS, Price

logger = logging.getLogger(__name__)

Strategy = Literal["risk_parity", "equal_weight", "inverse_vol"]
STRATEGIES: tuple[Strategy, ...] = ("risk_parity", "equal_weight", "inverse_vol")
_DECIMALS = 18
_ONE = 10**_DECIMALS
_FEED = 10**8
_BASE = "BASE"
_GAS_PER_TRADE = 100_000


@dataclass(frozen=True)
class BacktestConfig:
    """Backtest settings.

    Attributes
    ----------
    interval : int
        Seconds between price rows (the keeper's return grid follows it).
    window : int
        Trailing returns the estimator sees (``risk.lookback_s`` = window x interval).
    decide_every : int
        Rows between decisions.
    initial_nav : float
        Starting NAV in base units (USD).
    pool_depth : float
        Base-asset reserve of every pool (USD); the asset side is set at the oracle price.
    gas_cost_per_trade : float
        USD per swap.
    keeper : KeeperConfig, optional
        The keeper's settings (estimator, cash buffer, policy, caps); the shipped defaults when None.
    budget : FloatArray, optional
        Risk budget; equal when None.
    max_turnover_bps, oracle_bound_bps : int
        The simulated vault's turnover cap and oracle floor (the vault config's defaults).
    """

    interval: int = 86_400
    window: int = 60
    decide_every: int = 1
    initial_nav: float = 1_000_000.0
    pool_depth: float = 50_000_000.0
    gas_cost_per_trade: float = 5.0
    keeper: KeeperConfig | None = None
    budget: FloatArray | None = None
    max_turnover_bps: int = BPS
    oracle_bound_bps: int = 200


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


def _keeper_config(cfg: BacktestConfig) -> KeeperConfig:
    """The keeper's settings with the return grid moved to the data's: everything else as configured."""
    base = cfg.keeper or parse_keeper_config({"chain": {"rpc_urls": ["http://backtest"], "deployment": "-"}})
    risk = replace(
        base.risk,
        interval_s=cfg.interval,
        lookback_s=cfg.window * cfg.interval,
        max_rounds=cfg.window + 1,
        min_observations=min(base.risk.min_observations, cfg.window),
    )
    return replace(base, risk=risk)


def backtest(
    prices: npt.ArrayLike | str | Path,
    config: BacktestConfig | None = None,
    strategies: Sequence[Strategy] = STRATEGIES,
) -> BacktestResult:
    """Run the keeper's engine over a price series for each strategy.

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
    budget = cfg.budget if cfg.budget is not None else np.full(px.shape[1], 1.0 / px.shape[1])
    kcfg = _keeper_config(cfg)
    return BacktestResult({s: _run(Allocator(s), px, budget, cfg, kcfg) for s in strategies})


def _snapshot(
    t: int, px: FloatArray, balances: list[int], budget_bps: list[int], cfg: BacktestConfig, epoch: int, last: int
) -> Snapshot:
    """What a vault holding ``balances`` shows at row ``t``: base asset first, 18 decimals, 8-decimal feeds."""
    n = px.shape[1]
    rows = np.arange(t - cfg.window, t + 1)
    times = tuple(int(r) * cfg.interval for r in rows)
    answers = [_FEED] + [int(round(p * _FEED)) for p in px[t]]
    prices = [BASE_PRICE] + [Price(a, _FEED) for a in answers[1:]]
    assets = []
    for i in range(n + 1):
        history = (
            FeedHistory(tuple(range(len(times))), tuple([_FEED] * len(times)), times)
            if i == 0
            else FeedHistory(tuple(range(len(times))), tuple(int(round(p * _FEED)) for p in px[rows, i - 1]), times)
        )
        assets.append(
            AssetState(
                token=_BASE if i == 0 else f"A{i - 1}",
                feed=f"feed{i}",
                heartbeat_s=10 * cfg.interval,
                token_decimals=_DECIMALS,
                feed_decimals=8,
                min_price=1,
                max_price=2**255,
                balance=balances[i],
                answer=answers[i],
                updated_at=times[-1],
                target_bps=0,
                budget_bps=0 if i == 0 else budget_bps[i - 1],
                price=prices[i],
                price_base=prices[i].per_whole(_DECIMALS, _DECIMALS),
                value_base=prices[i].value(balances[i]) / _ONE,
                pool=None if i == 0 else Pool(int(cfg.pool_depth / px[t, i - 1] * _ONE), int(cfg.pool_depth * _ONE)),
                history=history,
            )
        )
    nav = sum(p.value(b) for p, b in zip(prices, balances, strict=True))
    return Snapshot(
        block=t,
        timestamp=times[-1],
        head_age_s=0.0,
        epoch=epoch,
        last_rebalance_at=last,
        max_slippage_bps=cfg.oracle_bound_bps,
        max_nav_loss_bps=BPS,
        max_turnover_bps=cfg.max_turnover_bps,
        cooldown_s=0,
        deposits_paused=False,
        rebalances_paused=False,
        total_supply=1,
        nav_ok=True,
        nav=nav,
        assets=tuple(assets),
        # Gas in the engine is gas_per_trade x gas price x ETH price: one "ETH" of one base unit makes it the
        # configured USD per swap.
        gas_price_wei=int(cfg.gas_cost_per_trade * 1e18 / _GAS_PER_TRADE),
        eth_price_base=1.0,
    )


def _run(
    allocator: Allocator, px: FloatArray, budget: FloatArray, cfg: BacktestConfig, kcfg: KeeperConfig
) -> StrategyResult:
    t_rows, n = px.shape
    kcfg = replace(kcfg, policy=replace(kcfg.policy, gas_per_trade=_GAS_PER_TRADE, eth_price_usd=None))
    # The first allocation deploys the deposit, which the vault must do whatever the cost gate says.
    first_cfg = replace(kcfg, policy=replace(kcfg.policy, cost_multiple=0.0, trigger_rc_deviation=1e-9))
    budget_bps = [max(1, int(round(b * BPS))) for b in budget / budget.sum()]
    parity = np.asarray(budget_bps, dtype=np.float64) / sum(budget_bps)
    tokens = [_BASE] + [f"A{i}" for i in range(n)]
    balances = [int(cfg.initial_nav * _ONE)] + [0] * n
    last_rebalance = 0
    navs: list[float] = []
    errors: list[float] = []
    traded = 0.0
    costs = 0.0
    rebalances = 0
    start = cfg.window + 1
    for t in range(start, t_rows):
        values = [balances[0] / _ONE] + [balances[i + 1] / _ONE * px[t, i] for i in range(n)]
        navs.append(float(sum(values)))
        if (t - start) % cfg.decide_every:
            continue
        snap = _snapshot(t, px, balances, budget_bps, cfg, rebalances, last_rebalance)
        p = propose(snap, first_cfg if rebalances == 0 else kcfg, last_rebalance or None, allocator=allocator)
        if p.weights is not None and p.covariance is not None:
            # The same yardstick for every strategy: distance from the risk-parity budget, before trading.
            errors.append(rc_deviation(p.weights, p.covariance, parity) if p.weights.sum() > 0 else float(parity.max()))
        if p.action is not Action.REBALANCE:
            continue
        for trade in p.trades:
            i_in, i_out = tokens.index(trade.token_in), tokens.index(trade.token_out)
            asset = i_in if i_out == 0 else i_out
            pool = snap.assets[asset].pool
            assert pool is not None
            reserve_in, reserve_out = pool.sides(sell=i_out == 0)
            out = amount_out(trade.amount_in, reserve_in, reserve_out)
            if out < trade.min_amount_out:
                continue  # would revert on chain
            value_in = snap.assets[i_in].price.value(trade.amount_in) / _ONE
            value_out = snap.assets[i_out].price.value(out) / _ONE
            balances[i_in] -= trade.amount_in
            balances[i_out] += out
            traded += value_in
            costs += value_in - value_out + cfg.gas_cost_per_trade
            balances[0] -= int(cfg.gas_cost_per_trade * _ONE)
        last_rebalance = snap.timestamp
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
