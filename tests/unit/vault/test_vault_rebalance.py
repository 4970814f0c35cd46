"""rebalance(): access, epoch, deadline, cooldown, target validation, oracle floors, every post-check."""

from __future__ import annotations

import pytest
from brownie import StealingSwapAdapter, chain  # type: ignore[attr-defined]

from tests.helpers.vault import (
    deadline,
    plain,
    plan_trades,
    rebalance_params,
    reverts_with,
    sleep_and_refresh,
)

USDC = 10**6
TARGETS = [7000, 1500, 1500]


@pytest.fixture(scope="module")
def deposited(funded, alice):
    funded.deposit(200_000 * USDC, alice, {"from": alice})
    return funded


def _buy(vault, mini, symbol, amount_usdc, min_out=0):
    return (mini.base, mini.tokens[symbol], amount_usdc * USDC, min_out)


def test_rebalance__to_targets__trades_records_targets_and_emits(deposited, keeper, mini):
    vault = deposited
    trades = plan_trades(vault, TARGETS)
    tx = vault.rebalance(rebalance_params(vault, TARGETS, trades), {"from": keeper})
    ev = tx.events["Rebalanced"]
    assert ev["epoch"] == 0 and plain(ev["targetWeightsBps"]) == TARGETS
    assert ev["navBeforeBaseUnits"] == 200_000 * USDC
    assert 0 < ev["navBeforeBaseUnits"] - ev["navAfterBaseUnits"] <= 200_000 * USDC * 50 // 10_000
    assert plain(vault.targetWeightsBps()) == TARGETS
    assert vault.epoch() == 1 and vault.lastRebalanceAt() == tx.timestamp
    assert mini.tokens["WBTC"].balanceOf(vault) > 0 and mini.tokens["NRT"].balanceOf(vault) > 0


def test_rebalance__no_trades__only_records_targets(deposited, keeper):
    vault = deposited
    vault.rebalance(rebalance_params(vault, [10_000, 0, 0], []), {"from": keeper})
    assert plain(vault.targetWeightsBps()) == [10_000, 0, 0]


def test_rebalance__not_keeper__reverts(deposited, manager):
    with reverts_with("AccessControlUnauthorizedAccount"):
        deposited.rebalance(rebalance_params(deposited, TARGETS, []), {"from": manager})


def test_rebalance__paused__reverts(deposited, keeper, guardian):
    deposited.setRebalancesPaused(True, {"from": guardian})
    with reverts_with("RiskParityVaultRebalancesPaused"):
        deposited.rebalance(rebalance_params(deposited, TARGETS, []), {"from": keeper})


def test_rebalance__deadline_passed__reverts(deposited, keeper):
    with reverts_with("RiskParityVaultDeadlinePassed"):
        past = chain[-1].timestamp - 1
        deposited.rebalance(rebalance_params(deposited, TARGETS, [], deadline=past), {"from": keeper})


def test_rebalance__stale_epoch__reverts_wrong_epoch(deposited, keeper, mini):
    vault = deposited
    vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})
    sleep_and_refresh(3601, mini.feeds, mini.deployer)
    with reverts_with("RiskParityVaultWrongEpoch"):
        vault.rebalance(rebalance_params(vault, TARGETS, [], epoch=0), {"from": keeper})


def test_rebalance__within_cooldown__reverts(deposited, keeper):
    vault = deposited
    vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})
    with reverts_with("RiskParityVaultCooldownActive"):
        vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})


def test_rebalance__after_cooldown__succeeds(deposited, keeper, mini):
    vault = deposited
    vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})
    sleep_and_refresh(3600, mini.feeds, mini.deployer)
    vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})
    assert vault.epoch() == 2


@pytest.mark.parametrize(
    "targets,error",
    [([5000, 5000], "RiskParityVaultWrongLength"), ([7000, 1500, 1499], "RiskParityVaultWeightsDoNotSum")],
)
def test_rebalance__bad_targets__reverts(deposited, keeper, targets, error):
    with reverts_with(error):
        deposited.rebalance(rebalance_params(deposited, targets, []), {"from": keeper})


@pytest.mark.parametrize("case", ["unknown_token", "same_token", "zero_amount"])
def test_rebalance__invalid_trade__reverts(deposited, keeper, mini, case, alice):
    base, wbtc = mini.base, mini.tokens["WBTC"]
    trade = {
        "unknown_token": (base, alice, 10**6, 0),
        "same_token": (wbtc, wbtc, 10**6, 0),
        "zero_amount": (base, wbtc, 0, 0),
    }[case]
    with reverts_with("RiskParityVaultInvalidTrade"):
        deposited.rebalance(rebalance_params(deposited, TARGETS, [trade]), {"from": keeper})


def test_rebalance__turnover_above_cap__reverts(deposited, keeper, manager, mini):
    vault = deposited
    vault.setThresholds((100, 50, 1000, 3600), {"from": manager})  # 10% of NAV
    with reverts_with("RiskParityVaultTurnoverExceeded"):
        vault.rebalance(rebalance_params(vault, TARGETS, [_buy(vault, mini, "WBTC", 20_001)]), {"from": keeper})


def test_rebalance__nav_loss_above_bound__reverts(deposited, keeper, manager, mini):
    vault = deposited
    vault.setThresholds((100, 1, 10_000, 3600), {"from": manager})  # 0.01% of NAV; the DEX fee alone is more
    with reverts_with("RiskParityVaultNavLossExceeded"):
        vault.rebalance(rebalance_params(vault, TARGETS, [_buy(vault, mini, "WBTC", 20_000)]), {"from": keeper})


def test_rebalance__away_from_targets__reverts_distance_grew(deposited, keeper, mini):
    vault = deposited
    with reverts_with("RiskParityVaultDistanceGrew"):
        vault.rebalance(rebalance_params(vault, [10_000, 0, 0], [_buy(vault, mini, "WBTC", 1_000)]), {"from": keeper})


def test_rebalance__keeper_min_above_pool__router_reverts(deposited, keeper, mini):
    vault = deposited
    trade = _buy(vault, mini, "WBTC", 9_000, min_out=10**8)  # asks 1 WBTC for 9,000 USDC
    with reverts_with("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"):
        vault.rebalance(rebalance_params(vault, TARGETS, [trade]), {"from": keeper})


def test_rebalance__pool_pushed_off_oracle__oracle_floor_reverts(deposited, keeper, mini, mallory):
    vault = deposited
    # Mallory pumps WBTC 5% above its oracle price; a keeper trade with no minimum of its own must not fill.
    usdc = 600_000 * USDC
    mini.fund("USDC", mallory, usdc)
    mini.base.approve(mini.router, usdc, {"from": mallory})
    mini.router.swapExactTokensForTokens(
        usdc, 0, [mini.base, mini.tokens["WBTC"]], mallory, deadline(), {"from": mallory}
    )
    with reverts_with("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"):
        vault.rebalance(rebalance_params(vault, TARGETS, [_buy(vault, mini, "WBTC", 1_000)]), {"from": keeper})


def test_rebalance__adapter_keeps_input__reverts_below_minimum(deposited, keeper, gov, mini, deployer):
    vault = deposited
    thief = StealingSwapAdapter.deploy(vault, {"from": deployer})
    vault.setSwapAdapter(thief, {"from": gov})
    with reverts_with("RiskParityVaultTradeBelowMinimum"):
        vault.rebalance(rebalance_params(vault, TARGETS, [_buy(vault, mini, "WBTC", 1_000)]), {"from": keeper})


def test_rebalance__sell_then_buy__round_trip_within_bounds(deposited, keeper, mini):
    vault = deposited
    vault.rebalance(rebalance_params(vault, TARGETS, plan_trades(vault, TARGETS)), {"from": keeper})
    sleep_and_refresh(3600, mini.feeds, mini.deployer)
    new_targets = [7000, 1000, 2000]
    trades = plan_trades(vault, new_targets)
    assert trades[0][0] == mini.tokens["WBTC"]  # sells first
    vault.rebalance(rebalance_params(vault, new_targets, trades), {"from": keeper})
    assert vault.epoch() == 2
