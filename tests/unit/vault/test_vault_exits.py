"""The two non-standard exits: in kind (no oracle, works paused) and with swap (redeemer bears slippage)."""

from __future__ import annotations

import pytest
from brownie import chain  # type: ignore[attr-defined]

from tests.helpers.vault import deadline, plan_trades, rebalance_params, reverts_with

USDC = 10**6


@pytest.fixture(scope="module")
def invested(funded, alice, bob, keeper):
    """The conftest's ``invested`` with 40/30/30 targets: the exits' expected amounts are worked out on these."""
    vault = funded
    vault.deposit(100_000 * USDC, alice, {"from": alice})
    vault.deposit(50_000 * USDC, bob, {"from": bob})
    targets = [4000, 3000, 3000]
    vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})
    return vault


def test_redeem_in_kind__third_of_supply__pays_pro_rata_rounded_down(invested, bob, mini):
    vault = invested
    tokens = [mini.tokens[s] for s in ("USDC", "WBTC", "NRT")]
    held = [t.balanceOf(vault) for t in tokens]
    shares = vault.balanceOf(bob)
    supply = vault.totalSupply()
    tx = vault.redeemInKind(shares, bob, bob, {"from": bob})
    expected = [h * shares // (supply + 10**6) for h in held]
    assert [t.balanceOf(bob) - (1_000_000 - 50_000) * USDC * (i == 0) for i, t in enumerate(tokens)] == expected
    assert list(tx.events["RedeemedInKind"]["amounts"]) == expected
    assert vault.balanceOf(bob) == 0


def test_redeem_in_kind__while_paused_and_oracle_broken__still_pays(invested, bob, guardian, mini, deployer):
    vault = invested
    vault.setDepositsPaused(True, {"from": guardian})
    vault.setRebalancesPaused(True, {"from": guardian})
    mini.feeds["WBTC"].submit(-1, {"from": deployer})
    mini.feeds["USDC"].submit(0, {"from": deployer})
    before = mini.tokens["WBTC"].balanceOf(bob)
    vault.redeemInKind(vault.balanceOf(bob) // 2, bob, bob, {"from": bob})
    assert mini.tokens["WBTC"].balanceOf(bob) > before


def test_redeem_in_kind__zero_shares__reverts(invested, bob):
    with reverts_with("RiskParityVaultZeroAmount"):
        invested.redeemInKind(0, bob, bob, {"from": bob})


def test_redeem_in_kind__spender_without_allowance__reverts(invested, alice, bob):
    with reverts_with("ERC20InsufficientAllowance"):
        invested.redeemInKind(1, bob, alice, {"from": bob})


def test_redeem_in_kind__more_than_balance__reverts(invested, bob):
    vault = invested
    with reverts_with("ERC20InsufficientBalance"):
        vault.redeemInKind(vault.balanceOf(bob) + 1, bob, bob, {"from": bob})


def test_redeem_with_swap__half_of_bob__pays_base_near_nav(invested, bob, base):
    vault = invested
    shares = vault.balanceOf(bob) // 2
    fair = vault.previewRedeem(shares)
    before = base.balanceOf(bob)
    tx = vault.redeemWithSwap(shares, bob, bob, fair * 99 // 100, deadline(), {"from": bob})
    received = base.balanceOf(bob) - before
    assert received == tx.return_value == tx.events["Withdraw"]["assets"]
    # The redeemer gets the pools' prices (here a little above the oracle: the rebalance bought into them)
    # less the DEX fee; the oracle is not involved.
    assert fair * 99 // 100 <= received <= fair * 101 // 100


def test_redeem_with_swap__min_out_above_proceeds__reverts(invested, bob):
    vault = invested
    shares = vault.balanceOf(bob) // 2
    with reverts_with("RiskParityVaultInsufficientOutput"):
        vault.redeemWithSwap(shares, bob, bob, vault.previewRedeem(shares) * 2, deadline(), {"from": bob})


def test_redeem_with_swap__deadline_passed__reverts(invested, bob):
    with reverts_with("RiskParityVaultDeadlinePassed"):
        invested.redeemWithSwap(10, bob, bob, 0, chain[-1].timestamp - 1, {"from": bob})


def test_redeem_with_swap__oracle_broken__still_pays(invested, bob, mini, deployer, base):
    vault = invested
    mini.feeds["NRT"].submit(0, {"from": deployer})
    before = base.balanceOf(bob)
    vault.redeemWithSwap(vault.balanceOf(bob) // 4, bob, bob, 1, deadline(), {"from": bob})
    assert base.balanceOf(bob) > before


def test_redeem_with_swap__dust_slice__reverts_unsellable_instead_of_keeping_it(invested, bob, mini):
    vault = invested
    # One share's slice of NRT (18 decimals) buys no base: the exit reverts rather than leave it to the others.
    with reverts_with("RiskParityVaultUnsellableSlice"):
        vault.redeemWithSwap(1, bob, bob, 0, deadline(), {"from": bob})


def test_redeem_with_swap__no_adapter__reverts(invested, bob, gov):
    vault = invested
    vault.setSwapAdapter("0x0000000000000000000000000000000000000000", {"from": gov})
    with reverts_with("RiskParityVaultNoSwapAdapter"):
        vault.redeemWithSwap(10, bob, bob, 0, deadline(), {"from": bob})
