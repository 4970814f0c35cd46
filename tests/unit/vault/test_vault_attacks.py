"""Attacks: first-depositor inflation by donation, reentrancy through a token hook (state-changing and
read-only), and a keeper trying to get value out."""

from __future__ import annotations

import pytest
from brownie import PriceFeed, ReentrantToken, web3  # type: ignore[attr-defined]

from tests.helpers.vault import plan_trades, rebalance_params, reverts_with, sleep_and_refresh

USDC = 10**6


@pytest.mark.parametrize("donation_usdc", [1, 10_000, 1_000_000])
def test_deposit__inflation_attack_1_wei_then_donation__victim_keeps_999_permille(
    funded, base, mini, mallory, alice, donation_usdc
):
    vault = funded
    mini.fund("USDC", mallory, donation_usdc * USDC + 1)
    base.approve(vault, 1, {"from": mallory})
    vault.deposit(1, mallory, {"from": mallory})
    base.transfer(vault, donation_usdc * USDC, {"from": mallory})

    victim_deposit = 100_000 * USDC
    shares = vault.deposit(victim_deposit, alice, {"from": alice}).return_value
    assert shares > 0
    assert vault.previewRedeem(shares) * 1000 >= victim_deposit * 999
    # And the attacker does not profit: what Mallory can take back is less than what she put in.
    assert vault.previewRedeem(vault.balanceOf(mallory)) < donation_usdc * USDC + 1


def test_deposit__inflation_attack_with_basket_donation__victim_keeps_999_permille(funded, base, mini, mallory, alice):
    vault = funded
    mini.fund("USDC", mallory, 1)
    base.approve(vault, 1, {"from": mallory})
    vault.deposit(1, mallory, {"from": mallory})
    mini.fund("WBTC", vault, 10 * 10**8)  # $900k of WBTC donated
    shares = vault.deposit(100_000 * USDC, alice, {"from": alice}).return_value
    assert vault.previewRedeem(shares) * 1000 >= 100_000 * USDC * 999


def test_rebalance__keeper_churns_round_trips__loss_bounded(funded, alice, keeper, mini):
    vault = funded
    vault.deposit(100_000 * USDC, alice, {"from": alice})
    targets = [8000, 1000, 1000]
    vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})
    # A keeper that sells and buys back the same asset only pays fees. What one rebalance can burn is capped by
    # the turnover cap and the NAV-loss bound (0.5% here), and it can only happen once per cooldown.
    wbtc, usdc = mini.tokens["WBTC"], mini.base
    held = wbtc.balanceOf(vault)
    round_trip = [(wbtc, usdc, held, 0), (usdc, wbtc, 9_000 * USDC, 0)]
    sleep_and_refresh(3601, mini.feeds, mini.deployer)
    with reverts_with("RiskParityVault(TurnoverExceeded|NavLossExceeded)"):
        vault.rebalance(rebalance_params(vault, [10_000, 0, 0], round_trip * 6), {"from": keeper})
    nav = vault.totalAssets()
    tx = vault.rebalance(rebalance_params(vault, [10_000, 0, 0], round_trip), {"from": keeper})
    ev = tx.events["Rebalanced"]
    assert ev["navBeforeBaseUnits"] == nav
    assert ev["navAfterBaseUnits"] * 10_000 >= nav * (10_000 - 50)


@pytest.fixture(scope="module")
def hooked(funded, gov, manager, deployer, alice, mallory):
    """The vault with a registered token that calls back into the vault when it moves."""
    vault = funded
    token = ReentrantToken.deploy({"from": deployer})
    feed = PriceFeed.deploy(8, "REENT / USD", 10**8, deployer, {"from": deployer})
    vault.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": gov})
    vault.deposit(10_000 * USDC, alice, {"from": alice})
    token.mint(vault, 1_000 * 10**18, {"from": deployer})
    return vault, token


@pytest.mark.parametrize(
    "call,error",
    [
        (lambda v, who: v.deposit.encode_input(10**6, who), "ReentrancyGuardReentrantCall"),
        (lambda v, who: v.redeemInKind.encode_input(10**6, who, who), "ReentrancyGuardReentrantCall"),
        (lambda v, who: v.totalAssets.encode_input(), "RiskParityVaultReentrantView"),
        (lambda v, who: v.previewDeposit.encode_input(10**6), "RiskParityVaultReentrantView"),
        (lambda v, who: v.previewMint.encode_input(10**12), "RiskParityVaultReentrantView"),
        (lambda v, who: v.previewWithdraw.encode_input(10**6), "RiskParityVaultReentrantView"),
        (lambda v, who: v.previewRedeem.encode_input(10**12), "RiskParityVaultReentrantView"),
        (lambda v, who: v.convertToAssets.encode_input(10**12), "RiskParityVaultReentrantView"),
        (lambda v, who: v.convertToShares.encode_input(10**6), "RiskParityVaultReentrantView"),
        (lambda v, who: v.maxWithdraw.encode_input(who), "RiskParityVaultReentrantView"),
        (lambda v, who: v.maxRedeem.encode_input(who), "RiskParityVaultReentrantView"),
        (lambda v, who: v.maxMint.encode_input(who), "RiskParityVaultReentrantView"),
        (lambda v, who: v.rebalance.encode_input((0, 2**40, [10_000, 0, 0, 0], [])), "ReentrancyGuardReentrantCall"),
    ],
    ids=[
        "deposit",
        "redeemInKind",
        "totalAssets",
        "previewDeposit",
        "previewMint",
        "previewWithdraw",
        "previewRedeem",
        "convertToAssets",
        "convertToShares",
        "maxWithdraw",
        "maxRedeem",
        "maxMint",
        "rebalance",
    ],
)
def test_redeem_in_kind__token_hook_reenters__inner_call_refused(hooked, alice, mallory, call, error):
    vault, token = hooked
    token.arm(vault, call(vault, mallory), {"from": mallory})
    vault.redeemInKind(vault.balanceOf(alice) // 2, alice, alice, {"from": alice})
    assert token.lastCallSucceeded() is False
    abi = next(e for e in vault.abi if e.get("type") == "error" and e["name"] == error)
    selector = web3.keccak(text=f"{error}({','.join(i['type'] for i in abi['inputs'])})")[:4]
    assert bytes(token.lastRevertData())[:4] == selector
