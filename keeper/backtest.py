"""Backtest: the keeper's own engine (:func:`keeper.engine.propose`) over a price series, with trading costs.

Each strategy (risk parity, equal weight, inverse volatility) starts fully in the base asset. At every decision
step the backtest builds the :class:`~keeper.snapshot.Snapshot` a vault holding that strategy's balances would
show (feed rounds up to the current row only: no look-ahead), and calls the same engine the daemon calls, with the
keeper config's estimator, cash buffer, trigger, cost gate and trade caps; only the return grid (``risk.interval_s``
and ``risk.lookback_s``) follows the data. The proposal's integer trades are filled against constant-product pools
that arbitrage keeps at the oracle price with a fixed depth. Costs are the pool fee and price impact actually paid
plus gas per swap.

Time: a row is one step of the return grid. With dates (a CSV read by :mod:`keeper.prices`) the data's own
frequency sets it (business days: 252 a year; daily calendar rows: 365), and every annualized figure, the keeper's
covariance included, uses it; without dates ``BacktestConfig.interval`` does.

Reported per strategy: share price, annual return, volatility and Sharpe ratio (risk-free rate 0), maximum
drawdown, turnover and costs per year, rebalances, and the *realized* risk contributions: each rebalance's
post-trade weights against the covariance of the returns that followed until the next rebalance (at least
``rc_min_rows`` of them), compared with the budget.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, fields, replace
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from keeper.amm import Pool, amount_out
from keeper.config import KeeperConfig, parse_keeper_config
from keeper.engine import Allocator, propose
from keeper.errors import DataError
from keeper.outcomes import Action
from keeper.policy import rc_deviation
from keeper.prices import PriceTable, load_prices_csv
from keeper.prices import periods_per_year as data_periods_per_year
from keeper.risk.returns import SECONDS_PER_YEAR, periods_per_year
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
        Seconds between price rows (the keeper's return grid follows it); with dated prices, set from the dates.
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
    periods_per_year : float, optional
        Rows per year for annualizing; ``SECONDS_PER_YEAR / interval`` when None (252 for business-day dates).
    rc_min_rows : int
        Fewest returns a realized risk contribution is measured on (a rebalance followed by another one sooner is
        measured over this many rows anyway).
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
    periods_per_year: float | None = None
    rc_min_rows: int = 21

    @property
    def rows_per_year(self) -> float:
        return self.periods_per_year or periods_per_year(self.interval)


@dataclass(frozen=True)
class StrategyResult:
    """One strategy's path and summary. Paths start at the first decision row (before it the vault is in cash).

    Attributes
    ----------
    nav : FloatArray, shape (T,)
        NAV in USD at each row, before that row's trades.
    exposure : FloatArray, shape (T,)
        Risky value / NAV (the rest is in the base asset): the vault's unlevered leverage.
    weights : FloatArray, shape (T, N)
        Each asset's value / NAV.
    rc_error : FloatArray, shape (D,)
        The model's RC deviation from the risk-parity budget at each decision, before trading (the same yardstick
        for every strategy; each strategy's own trigger uses its own target's risk split).
    realized_rc : FloatArray, shape (K, N)
        Realized risk contributions after each of the K rebalances (see the module docstring).
    rebalance_rows : tuple of int
        Row (of the input) of each rebalance.
    realized_vol : float
        Annualized volatility of the share price's returns.
    annual_return : float
        Compound annual growth of the share price.
    sharpe : float
        Annualized mean return / ``realized_vol``, risk-free rate 0.
    turnover : float
        Sum of traded value / average NAV, over the whole run.
    turnover_per_year : float
    costs : float
        Fees, price impact and gas paid, USD.
    costs_bps_per_year : float
        ``costs`` in bps of average NAV, per year.
    max_drawdown : float
        Largest peak-to-trough NAV loss, as a fraction.
    rebalances : int
    years : float
        Length of the path in years.
    """

    nav: FloatArray
    exposure: FloatArray
    weights: FloatArray
    rc_error: FloatArray
    realized_rc: FloatArray
    rebalance_rows: tuple[int, ...]
    realized_vol: float
    annual_return: float
    sharpe: float
    turnover: float
    turnover_per_year: float
    costs: float
    costs_bps_per_year: float
    max_drawdown: float
    rebalances: int
    years: float

    @property
    def share_price(self) -> FloatArray:
        """NAV per share, 1.0 at the first decision row (there are no deposits or withdrawals)."""
        return np.asarray(self.nav / self.nav[0], dtype=np.float64)

    @property
    def drawdown(self) -> FloatArray:
        """Loss from the running peak of the share price, as a fraction (0 at a new high)."""
        return np.asarray(1.0 - self.nav / np.maximum.accumulate(self.nav), dtype=np.float64)

    def realized_rc_error(self, budget: FloatArray) -> float:
        """Mean over rebalances and assets of |realized RC - budget| (NaN when nothing was measured)."""
        return float(np.mean(np.abs(self.realized_rc - budget))) if self.realized_rc.size else float("nan")


@dataclass(frozen=True)
class BacktestResult:
    """Results keyed by strategy name, and what they were run on.

    Attributes
    ----------
    names : list of str
        Asset names (the CSV header, or A0, A1... for an array).
    labels : tuple of str, length T
        Each path row's date as written in the CSV (or its row number).
    times : ndarray of int64, shape (T,), or None
        Unix seconds of each path row, when the input has dates.
    start : int
        Input row of the first path row.
    periods_per_year : float
        Rows per year every annualized figure uses.
    budget : FloatArray, shape (N,)
        The risk-parity budget (the yardstick of every RC error).
    target_vol : float or None
        The keeper's volatility target when it can de-risk (``leverage.min_exposure`` < 1), else None.
    """

    strategies: dict[str, StrategyResult]
    names: list[str]
    labels: tuple[str, ...]
    times: npt.NDArray[np.int64] | None
    start: int
    periods_per_year: float
    budget: FloatArray
    target_vol: float | None


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
    prices: npt.ArrayLike | str | Path | PriceTable,
    config: BacktestConfig | None = None,
    strategies: Sequence[Strategy] = STRATEGIES,
) -> BacktestResult:
    """Run the keeper's engine over a price series for each strategy.

    Parameters
    ----------
    prices : array_like, shape (T, N), a PriceTable, or a path to a CSV (see :mod:`keeper.prices`)
        Oracle prices of the risky assets in USD per token, one row per ``config.interval`` (with dates, one row
        per step of the data's own frequency, which then replaces ``config.interval``).
    config : BacktestConfig, optional
    strategies : sequence of str

    Returns
    -------
    BacktestResult

    Raises
    ------
    DataError
        The series is shorter than the estimation window plus two rows, or the file cannot be read.
    """
    cfg = config or BacktestConfig()
    table = load_prices_csv(prices) if isinstance(prices, (str, Path)) else prices
    if isinstance(table, PriceTable):
        px, names, labels, times = table.prices, table.names, table.labels, table.times
        if times is not None and times.size > 1:
            ppy = data_periods_per_year(times)
            cfg = replace(cfg, interval=max(1, round(SECONDS_PER_YEAR / ppy)), periods_per_year=ppy)
    else:
        px = np.asarray(table, dtype=np.float64)
        names, times = [f"A{i}" for i in range(px.shape[1] if px.ndim == 2 else 0)], None
        labels = tuple(str(i) for i in range(px.shape[0] if px.ndim else 0))
    if px.ndim != 2 or px.shape[0] <= cfg.window + 1:
        raise DataError(
            f"need a (T, N) price table with more than window + 1 = {cfg.window + 1} rows, got shape {px.shape}: "
            "give a longer series or a shorter --window"
        )
    budget = cfg.budget if cfg.budget is not None else np.full(px.shape[1], 1.0 / px.shape[1])
    kcfg = _keeper_config(cfg)
    parity = _budget_fractions(budget)
    start = cfg.window + 1
    lev = kcfg.leverage
    return BacktestResult(
        strategies={s: _run(Allocator(s), px, budget, cfg, kcfg) for s in strategies},
        names=list(names),
        labels=tuple(labels[start:]),
        times=None if times is None else times[start:],
        start=start,
        periods_per_year=cfg.rows_per_year,
        budget=parity,
        target_vol=lev.target_vol if lev.min_exposure < 1.0 else None,
    )


def _budget_fractions(budget: FloatArray) -> FloatArray:
    """The budget as the vault holds it (whole bps, at least 1 each), as fractions."""
    bps = np.array([max(1, int(round(b * BPS))) for b in budget / budget.sum()], dtype=np.float64)
    return np.asarray(bps / bps.sum(), dtype=np.float64)


class _Feeds:
    """The series as the simulated feeds publish it, built once per run: each asset's 8-decimal answers and the
    round times as Python tuples, so a row's feed history is a slice instead of ``window + 1`` roundings per asset
    (the same numbers: ``round`` and ``np.rint`` both round half to even on the same float products)."""

    def __init__(self, px: FloatArray, cfg: BacktestConfig) -> None:
        scaled = np.rint(px * _FEED)
        self.answers: list[tuple[int, ...]] = [tuple(int(a) for a in scaled[:, i].tolist()) for i in range(px.shape[1])]
        """Per asset, the answer at every row."""
        self.times: tuple[int, ...] = tuple(r * cfg.interval for r in range(px.shape[0]))
        self.ids: tuple[int, ...] = tuple(range(cfg.window + 1))
        self.base: tuple[int, ...] = (_FEED,) * (cfg.window + 1)
        self.pool_assets: list[list[int]] = [[int(x) for x in row] for row in (cfg.pool_depth / px * _ONE).tolist()]
        """Per row and asset, the asset side of its pool (raw units at the oracle price)."""
        self.pool_base = int(cfg.pool_depth * _ONE)
        self.tokens = [_BASE] + [f"A{i}" for i in range(px.shape[1])]
        self.constant: list[dict[str, object]] = [
            {
                "token": token,
                "feed": f"feed{i}",
                "heartbeat_s": 10 * cfg.interval,
                "token_decimals": _DECIMALS,
                "feed_decimals": 8,
                "min_price": 1,
                "max_price": 2**255,
                "target_bps": 0,
                "collateral": 0,
                "implied_vol": None,
                "reserve": None,
            }
            for i, token in enumerate(self.tokens)
        ]
        """Per asset, the AssetState fields that stay the same on every row."""


_FAST_BUILT = (AssetState, FeedHistory, Pool, Price)
if any(hasattr(cls, "__post_init__") or hasattr(cls, "__slots__") for cls in _FAST_BUILT):
    raise ImportError("keeper.backtest builds snapshot parts without their __init__: update _frozen for the new class")

_DEFAULTS: dict[type, dict[str, object]] = {
    cls: {f.name: f.default for f in fields(cls) if f.default is not MISSING} for cls in _FAST_BUILT
}
"""Each class's field defaults: a field added with a default is filled as the constructor fills it."""

_T = TypeVar("_T")


def _frozen(cls: type[_T], values: dict[str, object]) -> _T:
    """``cls(**values)`` without the dataclass ``__init__``, which sets each field of a frozen dataclass through
    ``object.__setattr__``: a row's snapshot is 21 ``AssetState`` of 20 fields plus 61 prices, pools and feed
    histories, and those calls were most of its cost. With every field given, no ``__post_init__`` and no
    ``__slots__`` (checked at import for each class built this way), filling the instance's ``__dict__`` with the
    defaults, then ``values``, makes an equal object (``tests/keeper/test_backtest_fast_paths.py`` compares them)."""
    obj = cls.__new__(cls)
    obj.__dict__.update(_DEFAULTS[cls])
    obj.__dict__.update(values)
    return obj


def _snapshot(
    t: int,
    px: FloatArray,
    balances: list[int],
    budget_bps: list[int],
    cfg: BacktestConfig,
    epoch: int,
    last: int,
    feeds: _Feeds,
) -> Snapshot:
    """What a vault holding ``balances`` shows at row ``t``: base asset first, 18 decimals, 8-decimal feeds."""
    n = px.shape[1]
    lo, hi = t - cfg.window, t + 1
    times = feeds.times[lo:hi]
    answers = [_FEED] + [feeds.answers[i][t] for i in range(n)]
    prices = [BASE_PRICE] + [_frozen(Price, {"num": a, "den": _FEED}) for a in answers[1:]]
    pools = [None] + [
        _frozen(Pool, {"reserve_asset": r, "reserve_base": feeds.pool_base}) for r in feeds.pool_assets[t]
    ]
    rounds = [feeds.base] + [feeds.answers[i][lo:hi] for i in range(n)]
    values = [p.value(b) for p, b in zip(prices, balances, strict=True)]
    assets = [
        _frozen(
            AssetState,
            {
                **feeds.constant[i],
                "balance": balances[i],
                "answer": answers[i],
                "updated_at": times[-1],
                "budget_bps": 0 if i == 0 else budget_bps[i - 1],
                "price": prices[i],
                "price_base": prices[i].per_whole(_DECIMALS, _DECIMALS),
                "value_base": values[i] / _ONE,
                "pool": pools[i],
                "history": _frozen(FeedHistory, {"round_ids": feeds.ids, "answers": rounds[i], "updated_at": times}),
            },
        )
        for i in range(n + 1)
    ]
    nav = sum(values)
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
    parity = _budget_fractions(budget)
    tokens = [_BASE] + [f"A{i}" for i in range(n)]
    balances = [int(cfg.initial_nav * _ONE)] + [0] * n
    last_rebalance = 0
    navs: list[float] = []
    held: list[list[float]] = []
    errors: list[float] = []
    after: list[FloatArray] = []
    rebalance_rows: list[int] = []
    traded = 0.0
    costs = 0.0
    start = cfg.window + 1
    feeds = _Feeds(px, cfg)
    for t in range(start, t_rows):
        values = [balances[0] / _ONE] + [balances[i + 1] / _ONE * px[t, i] for i in range(n)]
        navs.append(float(sum(values)))
        held.append([v / navs[-1] for v in values[1:]])
        if (t - start) % cfg.decide_every:
            continue
        snap = _snapshot(t, px, balances, budget_bps, cfg, len(rebalance_rows), last_rebalance, feeds)
        p = propose(snap, first_cfg if not rebalance_rows else kcfg, last_rebalance or None, allocator=allocator)
        if p.weights is not None and p.covariance is not None:
            # The same yardstick for every strategy: distance from the risk-parity budget, before trading (for risk
            # parity the policy has just measured it).
            if not p.weights.sum() > 0:
                errors.append(float(parity.max()))
            elif allocator is Allocator.RISK_BUDGET and p.deviation is not None:
                errors.append(p.deviation)
            else:
                errors.append(rc_deviation(p.weights, p.covariance, parity))
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
        rebalance_rows.append(t)
        after.append(np.array([balances[i + 1] / _ONE * px[t, i] for i in range(n)]))
    nav_arr = np.array(navs)
    r = nav_arr[1:] / nav_arr[:-1] - 1.0
    ppy = cfg.rows_per_year
    years = max(nav_arr.size - 1, 1) / ppy
    vol = float(np.std(r, ddof=1) * np.sqrt(ppy)) if r.size > 1 else 0.0
    mean_nav = float(nav_arr.mean())
    return StrategyResult(
        nav=nav_arr,
        exposure=np.array(held).sum(axis=1),
        weights=np.array(held),
        rc_error=np.array(errors),
        realized_rc=_realized_rc(px, rebalance_rows, after, cfg.rc_min_rows),
        rebalance_rows=tuple(rebalance_rows),
        realized_vol=vol,
        annual_return=float((nav_arr[-1] / nav_arr[0]) ** (1.0 / years) - 1.0),
        sharpe=float(r.mean() * ppy / vol) if vol > 0 else 0.0,
        turnover=traded / mean_nav,
        turnover_per_year=traded / mean_nav / years,
        costs=costs,
        costs_bps_per_year=costs / mean_nav / years * BPS,
        max_drawdown=float(np.max(1.0 - nav_arr / np.maximum.accumulate(nav_arr))),
        rebalances=len(rebalance_rows),
        years=years,
    )


def _realized_rc(px: FloatArray, rows: list[int], values: list[FloatArray], min_rows: int) -> FloatArray:
    """Risk contributions each rebalance's post-trade holdings realized: ``RC_i = w_i (Σw)_i / wᵀΣw`` with Σ the
    sample covariance of the simple returns from the rebalance row to the next rebalance (at least ``min_rows``
    returns, fewer only at the end of the data). Rebalances followed by fewer than two returns, or into all cash,
    are left out. Shape (K, N)."""
    out = []
    for k, (t, v) in enumerate(zip(rows, values, strict=True)):
        end = min(max(rows[k + 1] if k + 1 < len(rows) else px.shape[0] - 1, t + min_rows), px.shape[0] - 1)
        if end - t < 2 or v.sum() <= 0:
            continue
        rets = px[t + 1 : end + 1] / px[t:end] - 1.0
        cov = np.cov(rets, rowvar=False, ddof=1)
        w = v / v.sum()
        var = float(w @ cov @ w)
        if var > 0:
            out.append(w * (cov @ w) / var)
    return np.array(out).reshape(len(out), px.shape[1])
