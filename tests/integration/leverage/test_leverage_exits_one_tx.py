"""Levered exits in one transaction: `redeemWithSwap` repays the exit's debt share with an Aave V3 flash loan
(`flashLoanSimple` on the real Pool) before it withdraws the collateral, so any size leaves at once, the last
holder included, and the flash loan's premium is the exiting holder's cost, not the others'."""

from __future__ import annotations

import pytest

from scripts.deploy_vault import keeper_view
from tests.integration.leverage.leverage_helpers import USDC, build_basket, lever_up, share_price
from tests.integration.vault.vault_helpers import deadline, sleep_and_refresh


@pytest.fixture(scope="module")
def levered(seeded, world, keeper):
    """200,000 USDC of NAV built into the targets, then 122,000 USDC borrowed into the basket (health factor
    about 1.75, close to Aave's limit: the old exit, collateral first, could not take more than ~40% at once)."""
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 122_000 * USDC)
    sleep_and_refresh(3600, world.feeds, world.deployer)
    return vault


def test_redeem_with_swap__levered_whole_balance__one_transaction_repays_with_flash_loan(levered, world, alice):
    vault = levered
    shares = vault.balanceOf(alice)  # half the vault, beyond the position's headroom
    debt = keeper_view(vault)["debtBaseUnits"]
    price, fair = share_price(vault), vault.previewRedeem(shares)
    tx = vault.redeemWithSwap(shares, alice, alice, fair * 97 // 100, deadline(), {"from": alice})
    assert vault.balanceOf(alice) == 0
    repaid = tx.events["ExitDebtRepaid"]["debtBaseUnits"]
    assert repaid * 2 >= debt  # half the shares, half the debt (rounded up)
    assert fair * 97 // 100 <= tx.return_value <= fair
    # The remaining holder is not worse off (the premium and the slippage are the exit's own).
    assert share_price(vault) >= price
    assert keeper_view(vault)["healthFactorWad"] >= 1.5 * 10**18


def test_redeem_with_swap__levered_last_holder__leaves_everything_repaid(levered, world, alice, bob):
    vault = levered
    for who in (alice, bob):
        shares = vault.balanceOf(who)
        fair = vault.previewRedeem(shares)
        got = vault.redeemWithSwap(shares, who, who, fair * 97 // 100, deadline(), {"from": who}).return_value
        assert got >= fair * 97 // 100
    assert vault.totalSupply() == 0
    assert keeper_view(vault)["debtBaseUnits"] == 0


def test_redeem_with_swap__levered_flash_exit__premium_paid_by_the_exit(levered, world, alice):
    vault = levered
    pool = world.aave.pool
    premium_bps = pool.FLASHLOAN_PREMIUM_TOTAL()
    assert premium_bps > 0
    shares = vault.balanceOf(alice) // 4
    price = share_price(vault)
    vault.redeemWithSwap(shares, alice, alice, 0, deadline(), {"from": alice})
    assert share_price(vault) >= price
