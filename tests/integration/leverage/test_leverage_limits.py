"""Lending actions' execution order and the health-factor and leverage post-conditions of a rebalance, each
tripping with its named error (a fresh basket per test)."""

from __future__ import annotations

from scripts.deploy_vault import keeper_view
from tests.helpers.leverage import (
    TARGETS,
    USDC,
    WAD,
    build_basket,
    lever_up,
    lever_up_plan,
    rebalance_params,
)
from tests.helpers.vault import reverts_with

RISKY = ["WBTC", "WETH", "LINK", "XAU", "TBILL"]


def _debt(vault) -> int:
    return keeper_view(vault)["debtBaseUnits"]


def _hf(vault) -> int:
    return keeper_view(vault)["healthFactorWad"]


def test_rebalance_with_lending__phases__before_swaps_then_after_in_array_order(seeded, world, keeper):
    vault = seeded
    build_basket(world, vault, keeper)
    trades, actions = lever_up_plan(world, vault, 50_000 * USDC)
    # The after-swaps supplies listed first still run after the before-swaps supplies and the borrow.
    after = [a for a in actions if a[3]]
    before = [a for a in actions if not a[3]]
    tx = vault.rebalanceWithLending(rebalance_params(vault, TARGETS, trades), after + before, {"from": keeper})
    executed = [(e["kind"], e["token"], e["amount"]) for e in tx.events["LendingActionExecuted"]]
    assert executed == [(k, t, a) for k, t, a, _ in before + after]


def test_rebalance_with_lending__below_min_health_factor__reverts(seeded, world, keeper, manager):
    vault = seeded
    build_basket(world, vault, keeper)
    params = list(keeper_view(vault)["leverage"])
    params[1], params[0] = 3 * WAD, int(2.5 * WAD)  # target 3.0, min 2.5: a 1.5x lever-up ends near 2.0
    vault.setLeverageParams(params, {"from": manager})
    with reverts_with("RiskParityVaultHealthFactorTooLow"):
        lever_up(world, vault, keeper, 100_000 * USDC)


def test_rebalance_with_lending__above_max_leverage__reverts(seeded, world, keeper, manager):
    vault = seeded
    build_basket(world, vault, keeper)
    params = list(keeper_view(vault)["leverage"])
    params[3] = 12_000  # 1.2x
    vault.setLeverageParams(params, {"from": manager})
    with reverts_with("RiskParityVaultLeverageTooHigh"):
        lever_up(world, vault, keeper, 100_000 * USDC)
