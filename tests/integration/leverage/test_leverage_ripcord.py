"""The public ripcord: below the ripcord health factor it first repays from the vault's idle base; only if that
is not enough may anyone sell collateral in bounded chunks to repay debt, for a reward, once per cooldown."""

from __future__ import annotations

import pytest

from scripts.deploy_vault import keeper_view
from tests.helpers.leverage import (
    USDC,
    WAD,
    build_basket,
    lever_up,
    shock,
)
from tests.helpers.vault import deadline, reverts_with, sleep_and_refresh

RISKY = ["WBTC", "WETH", "LINK", "XAU", "TBILL"]


def _debt(vault) -> int:
    return keeper_view(vault)["debtBaseUnits"]


def _hf(vault) -> int:
    return keeper_view(vault)["healthFactorWad"]


@pytest.fixture
def below_ripcord_with_idle(seeded, world, keeper):
    """Levered close to Aave's borrowing limit (health factor about 1.75) with 32,200 USDC idle, then every
    asset falls 30%: just below the 1.25 ripcord."""
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 122_000 * USDC)
    shock(world, RISKY, 0.7)
    assert _hf(vault) < 1.25 * WAD
    return vault


@pytest.fixture
def below_ripcord(seeded, world, keeper, alice):
    """The same position with its idle base paid out first (Alice withdraws what the idle cash allows), so only
    a sale can lift it (the withdrawal repays its debt share too, so the fall is deeper: 37%)."""
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 122_000 * USDC)
    vault.withdraw(vault.maxWithdraw(alice), alice, alice, {"from": alice})
    shock(world, RISKY, 0.63)
    assert _hf(vault) < 1.25 * WAD
    return vault


def test_deleverage__idle_base_enough__repays_from_it_without_selling(below_ripcord_with_idle, world, mallory):
    vault = below_ripcord_with_idle
    idle, debt_before = world.base.balanceOf(vault), _debt(vault)
    usdc_before = world.base.balanceOf(mallory)
    amount = world.units("TBILL", 25_000 / world.feed_price("TBILL"))
    tx = vault.deleverage(world.tokens["TBILL"], amount, deadline(), {"from": mallory})
    ev = tx.events["Deleveraged"]
    assert ev["soldAmount"] == 0 and ev["rewardBaseUnits"] == 0 and ev["repaidBaseUnits"] == idle
    assert world.base.balanceOf(vault) == 0 and world.base.balanceOf(mallory) == usdc_before
    assert _debt(vault) <= debt_before - idle + 10
    assert _hf(vault) > 1.25 * WAD


def test_deleverage__below_ripcord__third_party_restores_and_is_paid(below_ripcord, world, mallory):
    vault = below_ripcord
    tbill = world.tokens["TBILL"]
    hf_before, debt_before = _hf(vault), _debt(vault)
    amount = world.units("TBILL", 25_000 / world.feed_price("TBILL"))  # worth 25,000 USD at the oracle
    usdc_before, idle = world.base.balanceOf(mallory), world.base.balanceOf(vault)
    tx = vault.deleverage(tbill, amount, deadline(), {"from": mallory})
    ev = tx.events["Deleveraged"]
    assert ev["caller"] == mallory and ev["soldAmount"] == amount
    reward = world.base.balanceOf(mallory) - usdc_before
    assert reward == ev["rewardBaseUnits"] > 0
    assert reward == (ev["repaidBaseUnits"] - idle + reward) * 50 // 10_000  # 50 bps of the proceeds
    assert _debt(vault) <= debt_before - ev["repaidBaseUnits"] + 10
    assert _hf(vault) > 1.25 * WAD > hf_before


def test_deleverage__twice_within_cooldown__reverts_then_works(below_ripcord, world, mallory):
    vault = below_ripcord
    shock(world, RISKY, 0.95)  # deeper, so one small chunk does not already restore it
    tbill = world.tokens["TBILL"]
    chunk = world.units("TBILL", 5_000 / world.feed_price("TBILL"))
    vault.deleverage(tbill, chunk, deadline(), {"from": mallory})
    with reverts_with("RiskParityVaultRipcordCooldownActive"):
        vault.deleverage(tbill, chunk, deadline(), {"from": mallory})
    sleep_and_refresh(600, world.feeds, world.deployer)
    vault.deleverage(tbill, chunk, deadline(), {"from": mallory})


def test_deleverage__chunk_above_max_trade__reverts(below_ripcord, world, mallory):
    vault = below_ripcord
    amount = world.units("TBILL", 100_001 / world.feed_price("TBILL"))
    with reverts_with("RiskParityVaultRipcordTradeTooLarge"):
        vault.deleverage(world.tokens["TBILL"], amount, deadline(), {"from": mallory})


def test_deleverage__works_while_rebalances_paused(below_ripcord, world, mallory, guardian):
    vault = below_ripcord
    vault.setRebalancesPaused(True, {"from": guardian})
    chunk = world.units("TBILL", 5_000 / world.feed_price("TBILL"))
    vault.deleverage(world.tokens["TBILL"], chunk, deadline(), {"from": mallory})
