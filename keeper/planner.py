"""Trade planner: target weights in bps -> integer swaps through the base asset. Pure integer arithmetic.

Units (:mod:`keeper.units`): balances and amounts in each token's raw units; prices as the vault's own rationals
(:class:`~keeper.units.Price`, base raw units per raw token unit); values in base raw units; weights in basis
points summing to 10,000.

Every trade's minimum output is

    min_out = ⌊min(oracle-implied output, pool-quoted output) × (1 − slippage_bps / 10,000)⌋

so it never counts on a pool that is mispriced in our favour, nor on an oracle price the pool cannot deliver. A
trade whose ``min_out`` would fall below the vault's oracle floor (oracle-implied × (1 − oracle_bound_bps), with
the vault's own rounding) is shrunk until it clears it (price impact falls with size) or skipped: the vault would
revert it anyway.

Sells (asset -> base) come first and buys (base -> asset) after, and buys only spend the base balance plus the
sells' *minimum* outputs, so the plan cannot run out of base even when every sell fills at its floor.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from keeper.amm import Pool
from keeper.errors import ShapeMismatchError
from keeper.units import BPS, Price, less_bps, oracle_amount_out

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trade:
    """One swap as the vault's ``rebalance`` takes it: ``(tokenIn, tokenOut, amountIn, minAmountOut)``.

    Attributes
    ----------
    token_in, token_out : str
        Token identifiers (addresses on chain).
    amount_in : int
        Raw units of ``token_in``.
    min_amount_out : int
        Raw units of ``token_out``; the swap must deliver at least this.
    """

    token_in: str
    token_out: str
    amount_in: int
    min_amount_out: int

    def as_tuple(self) -> tuple[str, str, int, int]:
        """ABI order of the vault's trade struct."""
        return (self.token_in, self.token_out, self.amount_in, self.min_amount_out)


@dataclass(frozen=True)
class Plan:
    """Planner output.

    Attributes
    ----------
    trades : tuple of Trade
        Sells first, then buys.
    skipped : tuple of str
        One ``token=... reason=...`` note per asset left out (dust, no pool depth, no base left).
    """

    trades: tuple[Trade, ...]
    skipped: tuple[str, ...]


# ---------------------------------------------------------------------------------------------------------------
# WEIGHTS -> BPS
# ---------------------------------------------------------------------------------------------------------------


def weights_to_bps(weights: npt.ArrayLike) -> list[int]:
    """Non-negative weights -> integer basis points summing to exactly 10,000 (largest-remainder rounding).

    Each entry is rounded down, then the remaining points go one each to the largest fractional remainders
    (ties to the lower index, so the result is deterministic). This is the one float -> bps conversion.

    Parameters
    ----------
    weights : array_like, shape (N,)
        Non-negative, positive sum; normalised to sum to 1 first.

    Returns
    -------
    list of int, length N
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ShapeMismatchError(f"weights must be a non-empty vector, got shape {w.shape}")
    if np.any(~np.isfinite(w)) or np.any(w < 0.0) or not w.sum() > 0.0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    exact = w / w.sum() * BPS
    floors = np.floor(exact).astype(np.int64)
    remainder = exact - floors
    short = BPS - int(floors.sum())
    # Stable sort on the negated remainder: largest first, lower index first among equals.
    order = np.argsort(-remainder, kind="stable")
    floors[order[:short]] += 1
    return [int(v) for v in floors]


# ---------------------------------------------------------------------------------------------------------------
# PLANNING
# ---------------------------------------------------------------------------------------------------------------


def plan_trades(
    *,
    tokens: Sequence[str],
    balances: Sequence[int],
    prices: Sequence[Price],
    base_index: int,
    target_bps: Sequence[int],
    pools: Sequence[Pool | None],
    slippage_bps: int = 50,
    oracle_bound_bps: int = 200,
    min_trade: int = 0,
    max_trade: int | None = None,
) -> Plan:
    """Integer trades through the base asset that move the holdings toward ``target_bps``.

    Parameters
    ----------
    tokens : sequence of str, length N
        Token identifiers (addresses), the base asset included.
    balances : sequence of int, length N
        Holdings in raw units.
    prices : sequence of Price, length N
        The vault's oracle prices (base raw units per raw unit; the base's is 1/1).
    base_index : int
        Index of the base asset.
    target_bps : sequence of int, length N
        Target value weights in bps, summing to 10,000 (base asset included).
    pools : sequence of Pool or None, length N
        Each asset's pair with the base asset (None at ``base_index`` or where there is no pair).
    slippage_bps : int
        Keeper's slippage bound applied to the expected output.
    oracle_bound_bps : int
        The vault's oracle floor: no swap may accept less than oracle-implied × (1 − bound).
    min_trade : int
        Dust threshold in base raw units: smaller moves are skipped.
    max_trade : int, optional
        Cap per trade in base raw units (the rest waits for a later rebalance).

    Returns
    -------
    Plan
    """
    n = len(tokens)
    if not (len(balances) == len(prices) == len(target_bps) == len(pools) == n):
        raise ShapeMismatchError("tokens, balances, prices, target_bps and pools must have length N")
    if not 0 <= base_index < n:
        raise ValueError(f"base_index {base_index} out of range for {n} tokens")
    if sum(int(t) for t in target_bps) != BPS or any(int(t) < 0 for t in target_bps):
        raise ValueError(f"target_bps must be non-negative and sum to {BPS}")
    if not 0 <= slippage_bps < BPS or not 0 <= oracle_bound_bps < BPS:
        raise ValueError("slippage_bps and oracle_bound_bps must be in [0, 10000)")
    if any(p.num <= 0 or p.den <= 0 for p in prices):
        raise ValueError("oracle prices must be positive")

    b = base_index
    values = [prices[i].value(int(balances[i])) for i in range(n)]
    nav = sum(values)
    deltas = [nav * int(target_bps[i]) // BPS - values[i] for i in range(n)]
    cap = max_trade if max_trade is not None else nav + 1
    sells: list[Trade] = []
    buys: list[Trade] = []
    skipped: list[str] = []
    base_available = int(balances[b])

    # Sells: asset -> base.
    for i in range(n):
        if i == b or deltas[i] >= 0:
            continue
        value = min(-deltas[i], cap)
        if value < min_trade:
            if value > 0:
                skipped.append(f"token={tokens[i]} reason=dust")
            continue
        pool = pools[i]
        if pool is None:
            skipped.append(f"token={tokens[i]} reason=no_pool")
            continue
        amount = min(prices[i].amount_for(value), int(balances[i]))
        trade = _bounded_trade(
            tokens[i], tokens[b], amount, prices[i], prices[b], pool, True, slippage_bps, oracle_bound_bps, min_trade
        )
        if trade is None:
            skipped.append(f"token={tokens[i]} reason=pool_too_shallow")
            continue
        sells.append(trade)
        base_available += trade.min_amount_out

    # Buys: base -> asset, funded only by what is certain to be there.
    wanted: list[tuple[int, int]] = []
    for i in range(n):
        if i == b or deltas[i] <= 0:
            continue
        value = min(deltas[i], cap)
        if value < min_trade:
            skipped.append(f"token={tokens[i]} reason=dust")
            continue
        wanted.append((i, prices[b].amount_for(value)))
    total_wanted = sum(a for _, a in wanted)
    scale_num, scale_den = (base_available, total_wanted) if total_wanted > base_available else (1, 1)
    for i, base_amount in wanted:
        amount = base_amount * scale_num // scale_den
        pool = pools[i]
        if pool is None:
            skipped.append(f"token={tokens[i]} reason=no_pool")
            continue
        trade = _bounded_trade(
            tokens[b], tokens[i], amount, prices[b], prices[i], pool, False, slippage_bps, oracle_bound_bps, min_trade
        )
        if trade is None:
            skipped.append(f"token={tokens[i]} reason=pool_too_shallow_or_no_base")
            continue
        buys.append(trade)

    logger.debug("plan sells=%d buys=%d skipped=%d nav=%d", len(sells), len(buys), len(skipped), nav)
    return Plan(trades=tuple(sells + buys), skipped=tuple(skipped))


def _bounded_trade(
    token_in: str,
    token_out: str,
    amount_in: int,
    price_in: Price,
    price_out: Price,
    pool: Pool,
    sell: bool,
    slippage_bps: int,
    oracle_bound_bps: int,
    min_trade: int,
) -> Trade | None:
    """The largest trade of at most ``amount_in`` whose min output clears the oracle floor, or None."""

    def floors(a: int) -> tuple[int, int]:
        oracle_out = oracle_amount_out(a, price_in, price_out)
        quoted = pool.quote(a, sell=sell)
        # The vault's floor rounds up (``mulDiv(..., Ceil)``): so does this copy of it.
        floor = -(-oracle_out * (BPS - oracle_bound_bps) // BPS)
        return less_bps(min(oracle_out, quoted), slippage_bps), floor

    def ok(a: int) -> bool:
        m, floor = floors(a)
        return m >= floor and m > 0

    if amount_in <= 0:
        return None
    if not ok(amount_in):
        # Price impact grows with size, so "clears the floor" holds on an interval [0, a*]: bisect for a*.
        lo, hi = 0, amount_in
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(mid):
                lo = mid
            else:
                hi = mid
        amount_in = lo
        if amount_in == 0 or price_in.value(amount_in) < min_trade:
            return None
    min_out, _ = floors(amount_in)
    return Trade(token_in, token_out, amount_in, min_out)
