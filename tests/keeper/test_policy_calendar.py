"""Calendar review (``policy.max_interval_s``) and damped moves (``policy.move_fraction``): the policy, the config
checks, and the backtest running them through the engine as the daemon does."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from keeper.backtest import BacktestConfig, backtest
from keeper.config import parse_keeper_config
from keeper.errors import ConfigError
from keeper.outcomes import Reason
from keeper.policy import Decision, rc_deviation
from tests.helpers.policy import BUDGET, COV, TARGET, decide_on

DAY = 86_400
NOW = 100 * DAY
# 2-3 points off the budget: below the default 5-point trigger, worth a rebalance to a keeper on a calendar.
NEAR = TARGET * np.array([1.06, 0.97, 0.99])


def run(current: np.ndarray, *, last: int | None, depth: float = 1e8, **cfg: object) -> Decision:
    return decide_on(current, now=NOW, last=last, depth=depth, **cfg)


def test_decide__near_target__below_trigger_holds_without_a_calendar() -> None:
    assert 0.01 < rc_deviation(NEAR, COV, BUDGET) < 0.05
    d = run(NEAR, last=NOW - 40 * DAY)
    assert not d.rebalance and d.reason is Reason.BELOW_THRESHOLD


def test_decide__below_trigger__rebalances_once_the_interval_has_passed() -> None:
    d = run(NEAR, last=NOW - 30 * DAY, max_interval_seconds=30 * DAY)
    assert d.rebalance and d.reason is Reason.INTERVAL_ELAPSED
    assert d.deviation_after < d.deviation_before


def test_decide__below_trigger__holds_until_the_interval_has_passed() -> None:
    d = run(NEAR, last=NOW - 30 * DAY + 1, max_interval_seconds=30 * DAY)
    assert not d.rebalance and d.reason is Reason.BELOW_THRESHOLD


def test_decide__never_rebalanced__reviewed_at_once() -> None:
    d = run(NEAR, last=None, max_interval_seconds=30 * DAY)
    assert d.rebalance and d.reason is Reason.INTERVAL_ELAPSED


def test_decide__interval_passed__cooldown_still_checked_first() -> None:
    d = run(NEAR, last=NOW - 3 * DAY, max_interval_seconds=2 * DAY, cooldown_seconds=4 * DAY)
    assert not d.rebalance and d.reason is Reason.COOLDOWN


def test_decide__review__not_held_by_the_cost_gate_margin() -> None:
    # A 2-3 point deviation against shallow pools: the gate (1.5x) refuses it on a trigger...
    gated = run(NEAR, last=NOW - 30 * DAY, trigger_threshold=0.01, depth=2e5)
    assert not gated.rebalance and gated.reason is Reason.NOT_WORTH_COST
    # ...a review makes it: the trigger fired too, but the last rebalance is a month old.
    d = run(NEAR, last=NOW - 30 * DAY, trigger_threshold=0.01, max_interval_seconds=30 * DAY, depth=2e5)
    assert d.rebalance and d.reason is Reason.DEVIATION_ABOVE_THRESHOLD
    assert d.expected_benefit < 1.5 * d.expected_cost


def test_decide__review_on_shallow_pools__cost_decides_how_far() -> None:
    # The move with the largest benefit net of cost: all the way on deep pools, part of it on shallow ones, made
    # even where it costs more than the model says it is worth (a review is not gated).
    deep = run(NEAR, last=NOW - 30 * DAY, max_interval_seconds=30 * DAY, value_per_squared_deviation=5.0)
    shallow = run(NEAR, last=NOW - 30 * DAY, max_interval_seconds=30 * DAY, value_per_squared_deviation=5.0, depth=5e4)
    assert deep.rebalance and shallow.rebalance
    assert shallow.fraction < deep.fraction == 1.0
    costly = run(NEAR, last=NOW - 30 * DAY, max_interval_seconds=30 * DAY, depth=5e4)
    assert costly.rebalance and costly.expected_benefit < costly.expected_cost


def test_decide__review_at_target__sends_nothing() -> None:
    d = run(TARGET * (1 + 1e-9), last=NOW - 30 * DAY, max_interval_seconds=30 * DAY, min_trade_value=100.0)
    assert not d.rebalance and d.reason is Reason.TRADES_BELOW_MINIMUM


# ------------------------------------------------------------------------------------------------------------
# config
# ------------------------------------------------------------------------------------------------------------

CHAIN = {"rpc_urls": ["http://127.0.0.1:8545"], "deployment": "x.json"}


def test_config__calendar_and_damping__parsed() -> None:
    cfg = parse_keeper_config(
        {"chain": CHAIN, "policy": {"cooldown_s": 600, "max_interval_s": 864_000, "move_fraction": 0.5}}
    )
    assert cfg.policy.max_interval_s == 864_000 and cfg.policy.move_fraction == 0.5


def test_config__defaults__no_calendar_full_moves() -> None:
    cfg = parse_keeper_config({"chain": CHAIN})
    assert cfg.policy.max_interval_s == 0 and cfg.policy.move_fraction == 1.0


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            {"cooldown_s": 3600, "max_interval_s": 600},
            "field 'policy.max_interval_s' is 600: must be 0 \\(off\\) or >= policy.cooldown_s = 3600 seconds",
        ),
        ({"move_fraction": 0.0}, "field 'policy.move_fraction' is 0.0: must be in \\(0, 1\\]"),
        ({"move_fraction": 1.5}, "field 'policy.move_fraction' is 1.5: must be in \\(0, 1\\]"),
        ({"max_interval_s": 1.5}, "field 'policy.max_interval_s' has the wrong type"),
    ],
)
def test_config__calendar_or_damping_out_of_bounds__names_field_value_and_bound(
    policy: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_keeper_config({"chain": CHAIN, "policy": policy})


# ------------------------------------------------------------------------------------------------------------
# through the engine, as the backtest (= the daemon's code path) runs it
# ------------------------------------------------------------------------------------------------------------


def _prices(t: int = 260, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vol = np.array([0.8, 0.6, 0.9, 0.15]) / np.sqrt(365)
    corr = np.full((4, 4), 0.5)
    np.fill_diagonal(corr, 1.0)
    chol = np.linalg.cholesky(corr * np.outer(vol, vol))
    return 100.0 * np.exp(np.cumsum(rng.standard_normal((t, 4)) @ chol.T, axis=0))


def _keeper(**policy: object):  # type: ignore[no-untyped-def]
    base = parse_keeper_config({"chain": {"rpc_urls": ["http://backtest"], "deployment": "-"}})
    return replace(base, policy=replace(base.policy, **policy))


def test_backtest__calendar_below_a_trigger_that_never_fires__rebalances_every_interval() -> None:
    px = _prices()
    never = _keeper(trigger_rc_deviation=0.99, cooldown_s=0)
    calendar = _keeper(trigger_rc_deviation=0.99, cooldown_s=0, max_interval_s=10 * DAY)
    assert (
        backtest(px, BacktestConfig(keeper=never), strategies=("risk_parity",)).strategies["risk_parity"].rebalances
        == 1
    )  # the deposit only
    rows = (
        backtest(px, BacktestConfig(keeper=calendar), strategies=("risk_parity",))
        .strategies["risk_parity"]
        .rebalance_rows
    )
    assert len(rows) > 10 and set(np.diff(rows)) == {10}


def test_backtest__damped_moves__less_turnover_deposit_invested_as_without() -> None:
    px = _prices(600)
    cfgs = [_keeper(cooldown_s=10 * DAY, max_interval_s=10 * DAY, move_fraction=m) for m in (1.0, 0.5)]
    full, half = (
        backtest(px, BacktestConfig(keeper=c), strategies=("risk_parity",)).strategies["risk_parity"] for c in cfgs
    )
    assert full.rebalance_rows == half.rebalance_rows
    # Turnover counts the deposit's investment (about 1 x NAV in both); after it, the half moves trade much less.
    assert half.turnover - 1.0 < 0.85 * (full.turnover - 1.0)
    # Only the risk split of holdings is damped: an all-cash vault's first move is the same as without damping.
    np.testing.assert_array_equal(half.weights[1], full.weights[1])
    assert half.exposure[1] > 0
