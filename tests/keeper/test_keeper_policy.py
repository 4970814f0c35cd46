"""Rebalance policy: cooldown, threshold, cost gate, minimum trade, partial moves."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keeper.amm import Pool
from keeper.outcomes import Reason
from keeper.policy import Decision, PolicyConfig, decide, rc_deviation
from tests.helpers.policy import BUDGET, COV, NAV, PRICES, TARGET, decide_on, pools


def run(current: np.ndarray, *, now: int = 10_000, last: int | None = None, depth: float = 1e8, **cfg) -> Decision:
    return decide_on(current, now=now, last=last, depth=depth, **cfg)


DRIFTED = np.array([0.3, 0.3, 0.4])


def test_decide__drifted_and_cheap__full_rebalance_to_target() -> None:
    d = run(DRIFTED)
    assert d.rebalance and d.reason is Reason.DEVIATION_ABOVE_THRESHOLD and d.fraction == 1.0
    np.testing.assert_allclose(d.weights, TARGET)
    assert d.deviation_after < 1e-12 < d.deviation_before


def test_decide__at_target__below_threshold() -> None:
    d = run(TARGET.copy())
    assert not d.rebalance and d.reason == "below_threshold"


def test_decide__shallow_pools__holds_as_not_worth_cost() -> None:
    d = run(DRIFTED, depth=2e4)
    assert not d.rebalance and d.reason == "not_worth_cost"
    assert d.expected_cost > 0


def test_decide__impact_grows_faster_than_benefit__partial_move() -> None:
    # Price impact is convex in size while the deviation benefit is concave near the target: with moderately
    # deep pools a part of the way earns more net than the whole way.
    d = run(DRIFTED, depth=5e6, value_per_squared_deviation=0.5)
    assert d.rebalance
    assert d.fraction < 1.0


def test_decide__all_trades_below_minimum__holds() -> None:
    current = TARGET + np.array([1e-5, -1e-5, 0.0])
    d = run(current, trigger_threshold=0.0, min_trade_value=100.0)
    assert not d.rebalance and d.reason == "trades_below_minimum"


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    since=st.integers(0, 6 * 3600 - 1),
    w=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
    threshold=st.floats(0.0, 0.2),
)
def test_decide__inside_cooldown__never_rebalances(since: int, w: list[float], threshold: float) -> None:
    current = np.array(w) / sum(w)
    d = run(current, now=1_000_000, last=1_000_000 - since, trigger_threshold=threshold, cost_multiple=0.0)
    assert not d.rebalance and d.reason == "cooldown"
    np.testing.assert_array_equal(d.weights, current)


def test_decide__cooldown_elapsed__may_rebalance() -> None:
    d = run(DRIFTED, now=1_000_000, last=1_000_000 - 6 * 3600)
    assert d.rebalance


def test_rc_deviation__measured_on_risk_not_weights() -> None:
    # Equal weights are 0 away from equal weights but far from equal risk when vols differ.
    assert rc_deviation(np.full(3, 1 / 3), COV, BUDGET) > 0.2
    assert rc_deviation(TARGET, COV, BUDGET) < 1e-12


def test_rc_deviation__relative__gap_as_a_fraction_of_each_budget() -> None:
    cov = np.diag([0.04, 0.04])
    w = np.array([0.6, 0.4])  # RC = (0.6², 0.4²) / (0.6² + 0.4²) = (0.692, 0.308)
    rc0 = 0.36 / 0.52
    assert rc_deviation(w, cov, [0.5, 0.5]) == pytest.approx(rc0 - 0.5)
    assert rc_deviation(w, cov, [0.5, 0.5], relative=True) == pytest.approx(rc0 / 0.5 - 1.0)


def test_decide__relative_trigger__same_threshold_means_the_same_for_5_and_20_assets() -> None:
    def decision(n: int) -> object:
        cov = np.eye(n) * 0.04
        budget = np.full(n, 1.0 / n)
        w = np.full(n, 1.0 / n)
        w[0] *= 1.2  # the first asset's risk share 32-41% above its budget, for 5 or 20 assets
        w /= w.sum()
        return decide(
            now=10_000,
            last_rebalance=None,
            nav=NAV,
            current_weights=w,
            target_weights=np.full(n, 1.0 / n),
            cov=cov,
            budget=budget,
            prices=np.full(n, 100.0),
            pools=[Pool(10**30, 10**24)] * n,
            token_decimals=[18] * n,
            base_decimals=6,
            gas_cost_per_trade=0.0,
            config=PolicyConfig(trigger_threshold=0.25, trigger_relative=True, cost_multiple=0.0),
        )

    assert decision(5).rebalance and decision(20).rebalance
    # The same 0.25 as an absolute threshold would never fire: 6.5 and 2 points, when 2 points is 40% of a 5% budget.
    for n in (5, 20):
        cov = np.eye(n) * 0.04
        w = np.full(n, 1.0 / n)
        w[0] *= 1.2
        assert rc_deviation(w / w.sum(), cov, np.full(n, 1.0 / n)) < 0.25


@pytest.mark.parametrize(("nav", "invested"), [(100_000.0, True), (2_000.0, True), (400.0, False)])
def test_decide__all_cash_vault_under_defaults__invested_once_benefit_beats_gas(nav: float, invested: bool) -> None:
    # The README's rule: an all-cash vault is max(budget) off target, worth nav * 0.2 * max(budget)^2; with three
    # 1/3 budgets and 5 base units of gas a swap it is invested from about 1.5 * 15 / (0.2 / 9) = 1,013 base units.
    d = decide(
        now=10_000,
        last_rebalance=None,
        nav=nav,
        current_weights=np.zeros(3),
        target_weights=TARGET,
        cov=COV,
        budget=BUDGET,
        prices=PRICES,
        pools=pools(1e8),
        token_decimals=[18, 18, 18],
        base_decimals=6,
        gas_cost_per_trade=5.0,
        config=PolicyConfig(),
    )
    assert d.rebalance is invested
    assert d.reason == ("deviation_above_threshold" if invested else "not_worth_cost")
