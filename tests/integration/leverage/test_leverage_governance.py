"""A manager bounded in time: risk-increasing changes (a ripcord above a healthy position, a bigger reward, a
shorter cooldown, a bigger trade, looser slippage) wait out the vault's risk timelock and the guardian can revoke
them; risk-reducing ones apply at once. The forced-ripcord attack (review: holders lost 0.32% in 7 minutes)."""

from __future__ import annotations

import pytest

from scripts.deploy_vault import keeper_view
from tests.integration.leverage.leverage_helpers import USDC, WAD, build_basket, lever_up
from tests.integration.vault.vault_helpers import deadline, reverts_with, sleep_and_refresh

# (min, target, ripcord, maxLeverageBps, rewardBps, cooldownSeconds, maxTradeBaseUnits)
FORCED_RIPCORD = (int(4.95 * WAD), int(5 * WAD), int(4.9 * WAD), 20_000, 100, 60, 2**128 - 1)
LOOSE_SLIPPAGE = (500, 50, 5_000, 3_600)


@pytest.fixture(scope="module")
def healthy(seeded, world, keeper):
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 80_000 * USDC)
    sleep_and_refresh(3600, world.feeds, world.deployer)
    assert 1.5 * WAD < keeper_view(vault)["healthFactorWad"] < 4.9 * WAD
    return vault


def test_manager__forced_ripcord_on_healthy_vault__refused_without_timelock(healthy, world, manager, mallory):
    vault = healthy
    with reverts_with("RiskParityVaultChangeNotSubmitted"):
        vault.setLeverageParams(FORCED_RIPCORD, {"from": manager})
    with reverts_with("RiskParityVaultChangeNotSubmitted"):
        vault.setThresholds(LOOSE_SLIPPAGE, {"from": manager})
    amount = world.units("TBILL", 25_000 / world.feed_price("TBILL"))
    with reverts_with("RiskParityVaultHealthFactorNotBelowRipcord"):
        vault.deleverage(world.tokens["TBILL"], amount, deadline(), {"from": mallory})


def test_manager__submitted_forced_ripcord__guardian_revokes_it_in_time(healthy, world, manager, guardian, mallory):
    vault = healthy
    data = vault.setLeverageParams.encode_input(FORCED_RIPCORD)
    tx = vault.submit(data, {"from": manager})
    at = tx.events["ChangeSubmitted"]["executableAt"]
    assert at == tx.timestamp + vault.timelockSeconds() and vault.executableAt(data) == at
    with reverts_with("RiskParityVaultChangeTimelocked"):
        vault.setLeverageParams(FORCED_RIPCORD, {"from": manager})
    vault.revoke(data, {"from": guardian})
    sleep_and_refresh(vault.timelockSeconds() + 1, world.feeds, world.deployer)
    with reverts_with("RiskParityVaultChangeNotSubmitted"):
        vault.setLeverageParams(FORCED_RIPCORD, {"from": manager})
    assert tuple(vault.leverageParams())[2] == int(1.25 * WAD)


def test_manager__submitted_change__applies_after_timelock_once(healthy, world, manager):
    vault = healthy
    data = vault.setThresholds.encode_input(LOOSE_SLIPPAGE)
    vault.submit(data, {"from": manager})
    sleep_and_refresh(vault.timelockSeconds() + 1, world.feeds, world.deployer)
    tx = vault.setThresholds(LOOSE_SLIPPAGE, {"from": manager})
    assert "ChangeAccepted" in tx.events and tuple(vault.thresholds()) == LOOSE_SLIPPAGE
    assert vault.executableAt(data) == 0  # consumed: the same change cannot be replayed later


def test_manager__lowers_risk__applies_at_once(healthy, manager):
    vault = healthy
    safer = (int(1.6 * WAD), int(1.9 * WAD), int(1.25 * WAD), 15_000, 25, 1_200, 50_000 * USDC)
    tx = vault.setLeverageParams(safer, {"from": manager})
    assert "ChangeAccepted" not in tx.events and tuple(vault.leverageParams()) == safer
    tighter = (50, 25, 2_500, 7_200)
    vault.setThresholds(tighter, {"from": manager})
    assert tuple(vault.thresholds()) == tighter


def test_revoke__not_guardian__reverts(healthy, manager, mallory):
    vault = healthy
    data = vault.setThresholds.encode_input(LOOSE_SLIPPAGE)
    vault.submit(data, {"from": manager})
    with reverts_with("AccessControlUnauthorizedAccount"):
        vault.revoke(data, {"from": mallory})
