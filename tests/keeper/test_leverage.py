"""Leverage targets and leveraged rebalance plans: phase order, amounts, health factor and leverage reached."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keeper.amm import Pool
from keeper.leverage import LendingKind, health_factor, plan_leveraged_rebalance
from keeper.risk.leverage import target_leverage
from keeper.units import BASE_PRICE, oracle_price

SUPPLY, WITHDRAW, BORROW, REPAY = LendingKind
TOKENS = ["USDC", "WBTC", "WETH", "XAU"]
DECIMALS = [6, 8, 18, 18]
ANSWERS = [10**8, 90_000 * 10**8, 3_200 * 10**8, 2_600 * 10**8]
PRICES = [BASE_PRICE] + [
    oracle_price(a, 8, d, ANSWERS[0], 8, 6) for a, d in zip(ANSWERS[1:], DECIMALS[1:], strict=True)
]
LT = [0.78, 0.77, 0.83, 0.70]
COLLATERAL = [False, True, True, True]


def _reserves(depth_usd: float = 1e9) -> list[Pool | None]:
    out: list[Pool | None] = [None]
    for p, d in zip(ANSWERS[1:], DECIMALS[1:], strict=True):
        out.append(Pool(int(depth_usd / (p / 1e8) * 10**d), int(depth_usd * 1e6)))
    return out


def _held(usd: list[float]) -> list[int]:
    return [int(u / (p / 1e8) * 10**d) for u, p, d in zip(usd, ANSWERS, DECIMALS, strict=True)]


WEIGHTS = np.array([0.0, 0.3, 0.3, 0.38])


def test_target_leverage__low_vol_portfolio__levers_to_target_vol_within_caps():
    cov = np.diag([0.05**2, 0.05**2])
    lev = target_leverage(
        [0.5, 0.5], cov, target_vol=0.10, max_leverage=3.0, liquidation_thresholds=[0.8, 0.8], target_health_factor=1.8
    )
    expected_by_vol = 0.10 / np.sqrt(0.5 * 0.05**2)
    assert lev == pytest.approx(min(expected_by_vol, 1.8 / (1.8 - 0.8)))


def test_target_leverage__high_vol__never_below_one():
    cov = np.diag([0.9**2])
    assert (
        target_leverage(
            [1.0], cov, target_vol=0.1, max_leverage=2.0, liquidation_thresholds=[0.8], target_health_factor=1.5
        )
        == 1.0
    )


def test_target_leverage__health_factor_binds__caps_where_hf_meets_target():
    cov = np.diag([0.01**2])
    lev = target_leverage(
        [1.0], cov, target_vol=0.5, max_leverage=3.0, liquidation_thresholds=[0.8], target_health_factor=2.0
    )
    assert lev == pytest.approx(2.0 / (2.0 - 0.8))
    assert health_factor([lev], [0.8], lev - 1.0) == pytest.approx(2.0)


def _phases_in_order(actions) -> bool:
    """Before the swaps: withdraws, supplies, then the borrow; after: supplies, then the repay."""
    rank = {(WITHDRAW, False): 0, (SUPPLY, False): 1, (BORROW, False): 2, (SUPPLY, True): 3, (REPAY, True): 4}
    keys = [rank[(a.kind, a.after_swaps)] for a in actions]
    return keys == sorted(keys)


def test_plan__lever_up_from_held__supplies_then_borrows_then_supplies_purchases():
    held = _held([20_000, 300_000, 300_000, 380_000])
    plan = plan_leveraged_rebalance(
        tokens=TOKENS,
        held=held,
        supplied=[0] * 4,
        prices=PRICES,
        base_index=0,
        debt=0,
        risky_weights=WEIGHTS,
        leverage=1.5,
        liquidation_thresholds=LT,
        collateral_enabled=COLLATERAL,
        pools=_reserves(),
        min_trade=100 * 10**6,
    )
    kinds = [a.kind for a in plan.actions]
    assert _phases_in_order(plan.actions)
    assert kinds.count(BORROW) == 1 and WITHDRAW not in kinds and REPAY not in kinds
    assert any(a.kind == SUPPLY and not a.after_swaps for a in plan.actions)  # collateral before the borrow
    assert any(a.kind == SUPPLY and a.after_swaps for a in plan.actions)  # then what was bought
    assert plan.debt_after == pytest.approx(500_000 * 10**6, rel=0.01)
    assert plan.leverage == pytest.approx(1.5, rel=0.01)
    assert plan.health_factor_after == pytest.approx(float(np.dot(WEIGHTS, LT)) * 1.5 / 0.5, rel=0.02)
    assert sum(plan.target_bps) == 10_000


def test_plan__delever_to_one__withdraws_before_swaps_and_repays_after():
    supplied = _held([0, 450_000, 450_000, 570_000])
    plan = plan_leveraged_rebalance(
        tokens=TOKENS,
        held=[20_000 * 10**6, 0, 0, 0],
        supplied=supplied,
        prices=PRICES,
        base_index=0,
        debt=500_000 * 10**6,
        risky_weights=WEIGHTS,
        leverage=1.0,
        liquidation_thresholds=LT,
        collateral_enabled=COLLATERAL,
        pools=_reserves(),
        min_trade=100 * 10**6,
    )
    kinds = [a.kind for a in plan.actions]
    assert _phases_in_order(plan.actions)
    assert kinds[-1] == REPAY and kinds.count(WITHDRAW) >= 1 and BORROW not in kinds
    for a in plan.actions:
        if a.kind == WITHDRAW:
            assert 0 < a.amount <= supplied[TOKENS.index(a.token)]
    assert plan.debt_after < 5_000 * 10**6  # slippage bounds leave at most dust of debt
    assert plan.leverage == pytest.approx(1.0, abs=0.01)


@settings(max_examples=40, deadline=None)
@given(
    lev=st.floats(1.0, 2.5),
    debt_usd=st.floats(0, 600_000),
    split=st.floats(0.0, 1.0),
)
def test_plan__any_move__keeps_phase_order_and_positive_amounts(lev, debt_usd, split):
    total = [0, 450_000, 450_000, 570_000]
    supplied = _held([t * split for t in total])
    held = _held([20_000] + [t * (1 - split) for t in total[1:]])
    plan = plan_leveraged_rebalance(
        tokens=TOKENS,
        held=held,
        supplied=supplied,
        prices=PRICES,
        base_index=0,
        debt=int(debt_usd * 10**6),
        risky_weights=WEIGHTS,
        leverage=lev,
        liquidation_thresholds=LT,
        collateral_enabled=COLLATERAL,
        pools=_reserves(),
        min_trade=100 * 10**6,
    )
    assert _phases_in_order(plan.actions)
    assert all(a.amount > 0 for a in plan.actions)
    assert sum(1 for a in plan.actions if a.kind in (BORROW, REPAY)) <= 1
    # Never above the target; below it only where the loan-to-value caps the borrow (about 1.7x here).
    assert plan.leverage <= lev * 1.03 + 0.03
    assert plan.leverage >= min(lev, 1.65) - 0.05


def test_plan__borrow_beyond_loan_to_value__is_capped_to_what_collateral_allows():
    held = _held([900_000, 30_000, 30_000, 40_000])  # mostly idle cash: little collateral to borrow against
    plan = plan_leveraged_rebalance(
        tokens=TOKENS,
        held=held,
        supplied=[0] * 4,
        prices=PRICES,
        base_index=0,
        debt=0,
        risky_weights=WEIGHTS,
        leverage=2.0,
        liquidation_thresholds=LT,
        collateral_enabled=COLLATERAL,
        pools=_reserves(),
        min_trade=100 * 10**6,
        loan_to_values=[0.75, 0.70, 0.80, 0.65],
    )
    borrow = next(a.amount for a in plan.actions if a.kind == BORROW)
    capacity = (30_000 * 0.70 + 30_000 * 0.80 + 40_000 * 0.65) * 10**6
    assert borrow <= capacity * 0.97 + 1
    assert plan.leverage < 2.0
