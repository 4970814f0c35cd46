"""Rebalance policy: whether, and how far, to move toward the target weights. Pure functions over floats.

Deviation is measured on risk contributions, ``max_i |RCᵢ(w) − bᵢ|``, because the product promises a risk split,
not a weight split: weights can drift while risk stays balanced (and the other way round when correlations move).

A rebalance happens only when all hold, in this order:

1. the cooldown since the last rebalance has elapsed (checked first: nothing inside it can trigger);
2. the deviation exceeds the trigger threshold, or the last rebalance is at least ``max_interval_seconds`` old
   (a calendar review, as calendar-plus-threshold funds run: then neither the threshold nor the cost gate below
   is required; see ``PolicyConfig``);
3. some move toward the target (full, or a partial fraction) has an expected benefit at least ``cost_multiple``
   times its expected cost. Benefit = NAV × ``value_per_squared_deviation`` × (dev_before² − dev_after²); cost =
   gas per swap + the constant-product fee and price impact of each swap against the pool's reserves. Trades
   smaller than the minimum trade size are dropped before costing. Among passing moves the largest net benefit
   wins.

The loss from being off target is taken as quadratic in the deviation (like a tracking-error variance): the first
part of a move back removes most of the loss, while price impact grows faster than linearly with size, so when
pools are shallow a partial move nets more than a full one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from keeper.amm import Pool, trade_cost
from keeper.errors import ShapeMismatchError
from keeper.outcomes import Reason
from keeper.risk.solver import risk_contributions
from keeper.risk.types import FloatArray

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicyConfig:
    """Tunable policy parameters.

    Attributes
    ----------
    trigger_threshold : float
        With ``trigger_relative``, a fraction of each asset's own budget instead (0.25: a risk share 25% off its
        budget); the cost gate still weighs the absolute deviation.
        Deviation (absolute, as a fraction of total risk) above which a rebalance is considered. 0.05 = 5 points.
    cooldown_seconds : int
        Minimum time between rebalances.
    max_interval_seconds : int
        0: off. Otherwise, once the last rebalance (or none at all) is this old, a rebalance needs neither the
        trigger nor the cost gate's margin: a calendar review on top of the trigger, as calendar-plus-threshold
        funds run. The review still costs its moves and makes the one with the largest benefit net of cost
        (cost decides how far, not whether), none whose model benefit is below zero, and no trade below the
        minimum (a portfolio at its target sends nothing): the rule the benchmark's monthly rebalancing runs.
        Why not the cost gate's margin: it prices the model's own deviation, and what a review buys is mostly
        not in it (a move to a fresh estimate while the model's deviation is small); gated at the shipped
        ``value_per_squared_deviation``, no review passed in the study (benchmarks/README.md). Its cost is
        bounded instead: at most one review per interval.
    min_trade_value : float
        Trades worth less than this (in base-asset units) are skipped.
    value_per_squared_deviation : float
        Fraction of NAV that the quadratic loss ``deviation²`` is worth (the exchange rate between risk balance
        and money). 0.2 means a deviation of 0.1 costs 0.2 × 0.01 = 20 bps of NAV.
    cost_multiple : float
        Required benefit / cost ratio (≥ 1 leaves a margin for estimation error).
    fractions : tuple of float
        Moves to evaluate, as fractions of the way from current to target weights (1.0 = full move).
    """

    trigger_threshold: float = 0.05
    trigger_relative: bool = False
    cooldown_seconds: int = 6 * 3600
    max_interval_seconds: int = 0
    min_trade_value: float = 50.0
    value_per_squared_deviation: float = 0.2
    cost_multiple: float = 1.5
    fractions: tuple[float, ...] = (1.0, 0.5, 0.25)


@dataclass(frozen=True)
class Decision:
    """What the policy decided and why.

    Attributes
    ----------
    rebalance : bool
    reason : Reason
        ``COOLDOWN``, ``BELOW_THRESHOLD``, ``TRADES_BELOW_MINIMUM``, ``NOT_WORTH_COST``, or for a rebalance
        ``DEVIATION_ABOVE_THRESHOLD`` (the trigger fired) or ``INTERVAL_ELAPSED`` (the calendar review, below the
        trigger).
    fraction : float
        Chosen fraction of the full move (0 when not rebalancing).
    weights : FloatArray, shape (N,)
        Weights to move to (the current weights when not rebalancing), fractions of NAV.
    deviation_before, deviation_after : float
        RC deviation now and after the chosen move.
    expected_benefit, expected_cost : float
        In base-asset units: of the chosen move, or of the largest move considered when it was not worth it.
    """

    rebalance: bool
    reason: Reason
    fraction: float
    weights: FloatArray
    deviation_before: float
    deviation_after: float
    expected_benefit: float
    expected_cost: float


# ---------------------------------------------------------------------------------------------------------------
# METRICS
# ---------------------------------------------------------------------------------------------------------------


def rc_deviation(weights: npt.ArrayLike, cov: npt.ArrayLike, budget: npt.ArrayLike, *, relative: bool = False) -> float:
    """``max_i |RCᵢ(w) − bᵢ|`` with RC the relative risk contributions and b the normalised budget; with
    ``relative``, ``max_i |RCᵢ(w) / bᵢ − 1|`` (each gap as a fraction of its own budget, so one threshold means
    the same for 5 assets at 20% and 20 assets at 5%).

    Parameters
    ----------
    weights : array_like, shape (N,)
        Risky-asset weights (any scale).
    cov : array_like, shape (N, N)
    budget : array_like, shape (N,)
        Positive risk budget (normalised here).
    """
    b = np.asarray(budget, dtype=np.float64)
    b = b / b.sum()
    w = np.asarray(weights, dtype=np.float64)
    if not (w > 0.0).any():
        return 1.0 if relative else float(np.max(b))
    rc = risk_contributions(w, np.asarray(cov, dtype=np.float64))
    return float(np.abs(rc / b - 1.0).max()) if relative else float(np.abs(rc - b).max())


# ---------------------------------------------------------------------------------------------------------------
# DECISION
# ---------------------------------------------------------------------------------------------------------------


def decide(
    *,
    now: int,
    last_rebalance: int | None,
    nav: float,
    current_weights: npt.ArrayLike,
    target_weights: npt.ArrayLike,
    cov: npt.ArrayLike,
    budget: npt.ArrayLike,
    prices: npt.ArrayLike,
    pools: Sequence[Pool | None],
    token_decimals: Sequence[int],
    base_decimals: int,
    gas_cost_per_trade: float,
    config: PolicyConfig,
) -> Decision:
    """Decide whether to rebalance the risky assets and how far.

    Parameters
    ----------
    now, last_rebalance : int
        Unix seconds; ``last_rebalance`` None means never.
    nav : float
        Net asset value in base-asset units.
    current_weights, target_weights : array_like, shape (N,)
        Risky-asset values as fractions of NAV (the rest is held in the base asset).
    cov : array_like, shape (N, N)
        Covariance of the risky assets.
    budget : array_like, shape (N,)
        Risk budget of the risky assets.
    prices : array_like, shape (N,)
        Oracle prices, whole base units per whole asset token.
    pools : sequence of Pool or None, length N
        Each asset's pair with the base asset, raw reserves (None: no pair, the trade would lose its value).
    token_decimals : sequence of int, length N
    base_decimals : int
    gas_cost_per_trade : float
        Gas cost of one swap, in base units.
    config : PolicyConfig

    Returns
    -------
    Decision
    """
    w0 = np.asarray(current_weights, dtype=np.float64)
    wt = np.asarray(target_weights, dtype=np.float64)
    px = np.asarray(prices, dtype=np.float64)
    n = w0.size
    if wt.shape != (n,) or px.shape != (n,) or len(pools) != n or len(token_decimals) != n:
        raise ShapeMismatchError("current_weights, target_weights, prices, pools and decimals must have length N")
    dev0 = rc_deviation(w0, cov, budget)

    def hold(reason: Reason, dev_after: float = dev0, benefit: float = 0.0, cost: float = 0.0) -> Decision:
        logger.debug("policy hold reason=%s deviation=%.4f", reason, dev0)
        return Decision(False, reason, 0.0, w0.copy(), dev0, dev_after, benefit, cost)

    # Cooldown first, unconditionally: a stale or noisy estimate must never be able to force trades inside it.
    if last_rebalance is not None and now - last_rebalance < config.cooldown_seconds:
        return hold(Reason.COOLDOWN)
    trigger = rc_deviation(w0, cov, budget, relative=True) if config.trigger_relative else dev0
    interval = config.max_interval_seconds
    overdue = bool(interval) and (last_rebalance is None or now - last_rebalance >= interval)
    fired = trigger > config.trigger_threshold
    if not fired and not overdue:
        return hold(Reason.BELOW_THRESHOLD)
    reason = Reason.DEVIATION_ABOVE_THRESHOLD if fired else Reason.INTERVAL_ELAPSED
    multiple = 0.0 if overdue else config.cost_multiple  # a review moves unless the model says it makes things worse

    px_list = px.tolist()
    best: Decision | None = None
    first: tuple[float, float, float] | None = None  # (dev_after, benefit, cost) of the largest move, for the log
    any_trade = False
    for f in config.fractions:
        w_f = w0 + f * (wt - w0)
        trade_values = (w_f - w0) * nav
        small = np.abs(trade_values) < config.min_trade_value
        trade_values[small] = 0.0
        w_f = w0 + trade_values / nav
        if not (trade_values != 0.0).any():
            continue
        any_trade = True
        # Python floats: the same doubles as NumPy's scalars, without a scalar object per element.
        cost = float(
            sum(
                trade_cost(abs(v), px_list[i], pools[i], token_decimals[i], base_decimals, sell=v < 0.0)
                + gas_cost_per_trade
                for i, v in enumerate(trade_values.tolist())
                if v != 0.0
            )
        )
        dev_f = rc_deviation(w_f, cov, budget)
        benefit = nav * config.value_per_squared_deviation * (dev0 * dev0 - dev_f * dev_f)
        if first is None:
            first = (dev_f, benefit, cost)
        if benefit >= multiple * cost and (best is None or benefit - cost > best.expected_benefit - best.expected_cost):
            best = Decision(True, reason, f, w_f, dev0, dev_f, benefit, cost)
    if not any_trade:
        return hold(Reason.TRADES_BELOW_MINIMUM)
    if best is None:
        assert first is not None
        return hold(Reason.NOT_WORTH_COST, *first)
    logger.info(
        "policy rebalance reason=%s fraction=%.2f deviation_before=%.4f deviation_after=%.4f benefit=%.2f cost=%.2f",
        best.reason,
        best.fraction,
        best.deviation_before,
        best.deviation_after,
        best.expected_benefit,
        best.expected_cost,
    )
    return best
