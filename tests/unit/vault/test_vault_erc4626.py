"""The ERC-4626 surface: deposit, mint, withdraw, redeem, their previews and max* views, rounding directions."""

from __future__ import annotations

import pytest
from brownie import chain  # type: ignore[attr-defined]

from scripts.deploy_vault import keeper_view
from tests.helpers.vault import reverts_with

USDC = 10**6


def test_deposit__matches_preview__exactly(invested, alice):
    vault = invested
    preview = vault.previewDeposit(12_345 * USDC)
    tx = vault.deposit(12_345 * USDC, alice, {"from": alice})
    assert tx.return_value == preview


def test_deposit__zero__reverts_zero_shares(invested, alice):
    vault = invested
    # Shares carry 6 more decimals than the base, so only a zero deposit can mint zero shares.
    with reverts_with("RiskParityVaultZeroShares"):
        vault.deposit(0, alice, {"from": alice})


def test_deposit__to_other_receiver__receiver_gets_shares(funded, alice, bob):
    vault = funded
    alice_before, bob_before = vault.balanceOf(alice), vault.balanceOf(bob)
    vault.deposit(10 * USDC, bob, {"from": alice})
    assert vault.balanceOf(bob) > bob_before and vault.balanceOf(alice) == alice_before


def test_mint__matches_preview__pulls_rounded_up_assets(invested, alice, base):
    vault = invested
    shares = 10**15 + 7
    preview = vault.previewMint(shares)
    before = base.balanceOf(alice)
    tx = vault.mint(shares, alice, {"from": alice})
    assert tx.return_value == preview == before - base.balanceOf(alice)
    # Rounded up: the shares are never worth more than what was paid.
    assert vault.previewRedeem(shares) <= preview


def test_mint__zero__reverts(invested, alice):
    with reverts_with("RiskParityVaultZeroAmount"):
        invested.mint(0, alice, {"from": alice})


def test_withdraw__within_idle__burns_preview_shares(invested, alice, base):
    vault = invested
    preview = vault.previewWithdraw(1_000 * USDC)
    before = vault.balanceOf(alice)
    tx = vault.withdraw(1_000 * USDC, alice, alice, {"from": alice})
    assert tx.return_value == preview == before - vault.balanceOf(alice)


def test_withdraw__above_idle__reverts_insufficient_idle(invested, alice, base):
    vault = invested
    idle = base.balanceOf(vault)
    with reverts_with("RiskParityVaultInsufficientIdle"):
        vault.withdraw(idle + 1, alice, alice, {"from": alice})


def test_withdraw__by_spender__spends_allowance(invested, alice, bob):
    vault = invested
    shares = vault.previewWithdraw(100 * USDC)
    vault.approve(bob, shares, {"from": alice})
    vault.withdraw(100 * USDC, bob, alice, {"from": bob})
    assert vault.allowance(alice, bob) == 0
    with reverts_with("ERC20InsufficientAllowance"):
        vault.withdraw(100 * USDC, bob, alice, {"from": bob})


def test_redeem__matches_preview__pays_rounded_down(invested, bob, base):
    vault = invested
    shares = vault.balanceOf(bob) // 3
    preview = vault.previewRedeem(shares)
    before = base.balanceOf(bob)
    tx = vault.redeem(shares, bob, bob, {"from": bob})
    assert tx.return_value == preview == base.balanceOf(bob) - before


def test_redeem__more_than_idle_worth__reverts_insufficient_idle(invested, alice):
    vault = invested
    with reverts_with("RiskParityVaultInsufficientIdle"):
        vault.redeem(vault.balanceOf(alice), alice, alice, {"from": alice})


def test_max_withdraw__invested__limited_by_idle_and_truthful(invested, alice, base):
    vault = invested
    max_assets = vault.maxWithdraw(alice)
    assert max_assets == base.balanceOf(vault)  # Alice owns more than the idle base
    vault.withdraw(max_assets, alice, alice, {"from": alice})
    assert base.balanceOf(vault) == 0


def test_max_redeem__invested__truthful(invested, bob):
    vault = invested
    max_shares = vault.maxRedeem(bob)
    assert 0 < max_shares < vault.balanceOf(bob) * 2
    vault.redeem(max_shares, bob, bob, {"from": bob})


def test_max_redeem__small_holder__own_balance(invested, deployer, mini, base):
    vault = invested
    mini.fund("USDC", deployer, 10 * USDC)
    base.approve(vault, 10 * USDC, {"from": deployer})
    vault.deposit(10 * USDC, deployer, {"from": deployer})
    assert vault.maxRedeem(deployer) == vault.balanceOf(deployer)
    assert vault.maxWithdraw(deployer) == vault.previewRedeem(vault.balanceOf(deployer))


def test_total_assets__after_price_move__follows_oracle(invested, mini, deployer):
    vault = invested
    nav = vault.totalAssets()
    wbtc_value = keeper_view(vault)["balances"][1] * 90_000 * USDC // 10**8
    mini.feeds["WBTC"].submit(2 * 90_000 * 10**8, {"from": deployer})
    assert int(vault.totalAssets()) == pytest.approx(int(nav + wbtc_value), abs=2)


def test_convert_to_assets__round_trip__never_gains(invested):
    vault = invested
    for assets in (1, 999, 10**6, 123_456_789):
        assert vault.convertToAssets(vault.convertToShares(assets)) <= assets
        assert vault.previewRedeem(vault.previewDeposit(assets)) <= assets
        assert vault.previewMint(vault.previewWithdraw(assets)) >= assets


def test_deposit_then_redeem__same_block__no_gain(invested, alice, base):
    vault = invested
    before = base.balanceOf(alice)
    shares = vault.deposit(7_777 * USDC + 13, alice, {"from": alice}).return_value
    vault.redeem(shares, alice, alice, {"from": alice})
    assert base.balanceOf(alice) <= before


def test_previews__time_passes__unchanged_without_new_prices(invested):
    vault = invested
    before = vault.previewDeposit(10**9)
    chain.sleep(60)
    chain.mine()
    assert vault.previewDeposit(10**9) == before
