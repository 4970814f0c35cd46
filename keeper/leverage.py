"""Leverage for the vault on a lending market: how much, and the lending actions that get there. Pure integers and
floats; no chain access.

The vault's conventions (``IRiskParityVault.rebalanceWithLending``): target weights describe the composition of the
*gross* basket (held plus supplied, debt not subtracted); leverage is gross / NAV with NAV = gross - debt. Each
lending action says whether it runs before the swaps or after them (each phase in array order). Lever up: supply
what is held, then borrow (before), buy, supply what was bought (after). Lever down: withdraw (before), sell,
repay (after). The vault then requires the market's health factor to be at least its minimum and leverage at
most its cap; the market itself lets a borrow through only within the collateral's loan-to-value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from keeper.amm import Pool
from keeper.planner import Plan, Trade, plan_trades, weights_to_bps
from keeper.units import Price


class LendingKind(IntEnum):
    """``IRiskParityVault.LendingKind``, in its order."""

    SUPPLY = 0
    WITHDRAW = 1
    BORROW = 2
    REPAY = 3


BORROW_MARGIN = 0.97
"""Share of the market's loan-to-value capacity a plan may borrow (prices move between the read and the block)."""


@dataclass(frozen=True)
class LendingAction:
    kind: LendingKind
    token: str
    amount: int
    """In ``token`` units; base units for borrow and repay."""
    after_swaps: bool

    def as_tuple(self) -> tuple[int, str, int, bool]:
        """ABI order of the vault's ``LendingAction`` struct."""
        return (int(self.kind), self.token, self.amount, self.after_swaps)


@dataclass(frozen=True)
class LeveragedPlan:
    target_bps: list[int]
    """Gross composition after the rebalance, registry order, summing to 10,000."""
    trades: tuple[Trade, ...]
    actions: tuple[LendingAction, ...]
    """In execution order: withdraws, supplies of held tokens, borrow (before the swaps); supplies of bought
    tokens, repay (after)."""
    leverage: float
    debt_after: int
    """Base units."""
    health_factor_after: float
    skipped: tuple[str, ...] = ()


def health_factor(collateral: Sequence[float], liquidation_thresholds: Sequence[float], debt: float) -> float:
    """The lending market's health factor: sum(collateral x threshold) / debt (infinite without debt); any one
    value unit for collateral and debt."""
    if debt <= 0:
        return float("inf")
    return float(np.dot(collateral, liquidation_thresholds)) / debt


def plan_leveraged_rebalance(
    *,
    tokens: Sequence[str],
    held: Sequence[int],
    supplied: Sequence[int],
    prices: Sequence[Price],
    base_index: int,
    debt: int,
    risky_weights: npt.ArrayLike,
    leverage: float,
    liquidation_thresholds: Sequence[float],
    collateral_enabled: Sequence[bool],
    pools: Sequence[Pool | None],
    loan_to_values: Sequence[float] | None = None,
    slippage_bps: int = 50,
    oracle_bound_bps: int = 200,
    min_trade: int = 0,
    max_trade: int | None = None,
) -> LeveragedPlan:
    """Trades and lending actions that take the vault to ``leverage`` x NAV spread by ``risky_weights``.

    Parameters
    ----------
    tokens, held, supplied, prices : length N, registry order (base at ``base_index``). ``held`` is in the vault,
        ``supplied`` in the lending market, both raw units; prices are the vault's (:class:`~keeper.units.Price`).
    debt : base raw units owed now.
    risky_weights : (N,) share of the *gross* basket per asset after the move (the base's entry is ignored; the
        base gets what is left, its cash buffer).
    leverage : gross / NAV to reach (1.0 repays all debt).
    liquidation_thresholds : (N,) fractions, for the expected health factor.
    collateral_enabled : (N,) whether an asset may be supplied (every held risky asset is supplied when it is).
    loan_to_values : (N,) fractions; a borrow is capped (with a 3% margin) to what the collateral supplied before
        the swaps allows, so a lever-up from mostly idle tokens takes more than one rebalance. Defaults to the
        liquidation thresholds.
    min_trade, max_trade : base raw units (see :func:`keeper.planner.plan_trades`).
    """
    ltv = list(loan_to_values) if loan_to_values is not None else list(liquidation_thresholds)
    args = (
        tokens,
        held,
        supplied,
        prices,
        base_index,
        debt,
        risky_weights,
        leverage,
        liquidation_thresholds,
        collateral_enabled,
        pools,
        slippage_bps,
        oracle_bound_bps,
        min_trade,
        max_trade,
    )
    plan = _plan(*args, None)
    borrow = next((a.amount for a in plan.actions if a.kind == LendingKind.BORROW), 0)
    if borrow:
        allowed = _borrowable(plan.actions, tokens, supplied, prices, debt, ltv)
        if borrow > allowed:
            plan = _plan(*args, max(0, allowed))
    return plan


def _borrowable(
    actions: Sequence[LendingAction],
    tokens: Sequence[str],
    supplied: Sequence[int],
    prices: Sequence[Price],
    debt: int,
    ltv: Sequence[float],
) -> int:
    """Base raw units the market lets the vault borrow once the before-swap withdraws and supplies ran."""
    coll = [int(x) for x in supplied]
    for a in actions:
        if a.after_swaps or a.kind not in (LendingKind.SUPPLY, LendingKind.WITHDRAW):
            continue
        i = tokens.index(a.token)
        coll[i] += a.amount if a.kind == LendingKind.SUPPLY else -a.amount
    capacity = sum(prices[i].value(coll[i]) * ltv[i] for i in range(len(tokens)))
    return int(max(0.0, capacity * BORROW_MARGIN - debt))


def _plan(
    tokens: Sequence[str],
    held: Sequence[int],
    supplied: Sequence[int],
    prices: Sequence[Price],
    base_index: int,
    debt: int,
    risky_weights: npt.ArrayLike,
    leverage: float,
    liquidation_thresholds: Sequence[float],
    collateral_enabled: Sequence[bool],
    pools: Sequence[Pool | None],
    slippage_bps: int,
    oracle_bound_bps: int,
    min_trade: int,
    max_trade: int | None,
    borrow_cap: int | None,
) -> LeveragedPlan:
    n = len(tokens)
    value = [prices[i].value(int(held[i]) + int(supplied[i])) for i in range(n)]
    gross = sum(value)
    nav = gross - debt
    if nav <= 0:
        raise ValueError(f"NAV {nav} is not positive: nothing to lever")
    gross_target = int(nav * leverage)
    debt_target = max(0, gross_target - nav)
    delta = debt_target - debt  # > 0 borrow before the swaps, < 0 repay after them
    if borrow_cap is not None and delta > borrow_cap:
        delta = borrow_cap
        gross_target = nav + debt + delta

    # The swaps see every token as if it were in the vault: withdraws and the borrow come first.
    virtual = [int(held[i]) + int(supplied[i]) for i in range(n)]
    if delta > 0:
        virtual[base_index] += delta
    pre_total = gross + max(delta, 0)
    w = np.clip(np.asarray(risky_weights, dtype=np.float64), 0.0, None)
    w[base_index] = 0.0
    shares = w * gross_target / pre_total
    shares[base_index] = max(0.0, 1.0 - float(shares.sum()))
    pre_bps = weights_to_bps(shares)
    plan: Plan = plan_trades(
        tokens=tokens,
        balances=virtual,
        prices=prices,
        base_index=base_index,
        target_bps=pre_bps,
        pools=pools,
        slippage_bps=slippage_bps,
        oracle_bound_bps=oracle_bound_bps,
        min_trade=min_trade,
        max_trade=max_trade,
    )

    actions: list[LendingAction] = []
    wallet = [int(h) for h in held]
    collateral_after = [int(x) for x in supplied]
    sold = {tokens.index(t.token_in) for t in plan.trades}
    for t in plan.trades:  # withdraw what a sale needs beyond what the vault holds
        i = tokens.index(t.token_in)
        if i != base_index and wallet[i] < t.amount_in:
            need = min(t.amount_in - wallet[i], collateral_after[i])
            if need > 0:
                actions.append(LendingAction(LendingKind.WITHDRAW, tokens[i], need, False))
                wallet[i] += need
                collateral_after[i] -= need
    for i in range(n):  # held tokens that are not for sale become collateral before any borrow
        if i != base_index and i not in sold and collateral_enabled[i] and wallet[i] > 0:
            actions.append(LendingAction(LendingKind.SUPPLY, tokens[i], wallet[i], False))
            collateral_after[i] += wallet[i]
            wallet[i] = 0
    if delta > 0:
        actions.append(LendingAction(LendingKind.BORROW, tokens[base_index], delta, False))
        wallet[base_index] += delta
    for t in plan.trades:
        wallet[tokens.index(t.token_in)] -= t.amount_in
        wallet[tokens.index(t.token_out)] += t.min_amount_out  # at least this arrives
    for i in range(n):
        if i != base_index and collateral_enabled[i] and wallet[i] > 0:
            actions.append(LendingAction(LendingKind.SUPPLY, tokens[i], wallet[i], True))
            collateral_after[i] += wallet[i]
            wallet[i] = 0
    debt_after = debt + max(delta, 0)
    if delta < 0:
        repay = min(-delta, max(0, wallet[base_index]))
        if repay > 0:
            actions.append(LendingAction(LendingKind.REPAY, tokens[base_index], repay, True))
            debt_after -= repay
            wallet[base_index] -= repay

    after_value = [float(prices[i].value(wallet[i] + collateral_after[i])) for i in range(n)]
    gross_after = sum(after_value)
    target_bps = weights_to_bps(np.asarray(after_value) / gross_after) if gross_after > 0 else pre_bps
    hf = health_factor(
        [float(prices[i].value(collateral_after[i])) for i in range(n)], liquidation_thresholds, float(debt_after)
    )
    nav_after = gross_after - debt_after
    return LeveragedPlan(
        target_bps=target_bps,
        trades=plan.trades,
        actions=tuple(actions),
        leverage=gross_after / nav_after if nav_after > 0 else float("inf"),
        debt_after=debt_after,
        health_factor_after=hf,
        skipped=plan.skipped,
    )
