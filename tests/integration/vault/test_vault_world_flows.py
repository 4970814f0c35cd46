"""The vault on the world: deposits, keeper rebalances through the real Uniswap V2 router, the three exits,
two keepers racing, the cooldown, and each post-check tripping with its named error."""

from __future__ import annotations

import pytest
from brownie import chain  # type: ignore[attr-defined]

from scripts.deploy_vault import keeper_view
from tests.helpers.vault import (
    deadline,
    plain,
    plan_trades,
    rebalance_params,
    reverts_with,
    sleep_and_refresh,
)

USDC = 10**6
# Equal-risk-ish weights the keeper might send: base buffer 10%, the rest across the five assets.
TARGETS = [1000, 1200, 1000, 800, 2500, 3500]


@pytest.fixture(scope="module")
def rebalanced(seeded, keeper, world):
    """Half-way to TARGETS (the config's turnover cap is 50% of NAV per rebalance), then the cooldown passes."""
    vault = seeded
    vault.rebalance(rebalance_params(vault, TARGETS, plan_trades(vault, TARGETS, fraction=0.5)), {"from": keeper})
    sleep_and_refresh(3600, world.feeds, world.deployer)
    return vault


def test_deposit__world__shares_priced_at_oracle_nav(vault, world, alice, base):
    world.fund("USDC", alice, 1_000 * USDC)
    base.approve(vault, 1_000 * USDC, {"from": alice})
    tx = vault.deposit(1_000 * USDC, alice, {"from": alice})
    # The first deposit pays no fee (no holders to protect) and gets the decimals offset's scale exactly.
    assert "EntryFeeCharged" not in tx.events
    assert tx.events["Deposit"]["shares"] == 1_000 * USDC * 10**6
    assert vault.totalAssets() == 1_000 * USDC


def test_rebalance__world__moves_toward_targets_through_router(rebalanced, world, keeper):
    vault = rebalanced
    for symbol in ("WBTC", "WETH", "LINK", "XAU", "TBILL"):
        assert world.tokens[symbol].balanceOf(vault) > 0
    assert plain(vault.targetWeightsBps()) == TARGETS
    # Second step: the rest of the way.
    tx = vault.rebalance(rebalance_params(vault, TARGETS, plan_trades(vault, TARGETS)), {"from": keeper})
    ev = tx.events["Rebalanced"]
    assert ev["epoch"] == 1
    loss_bps = (ev["navBeforeBaseUnits"] - ev["navAfterBaseUnits"]) * 10_000 / ev["navBeforeBaseUnits"]
    assert 0 <= loss_bps <= 50
    assert "Swap" in tx.events  # the Uniswap V2 pairs' own event


def test_redeem__world__paid_from_idle_base(rebalanced, alice, base):
    vault = rebalanced
    shares = vault.maxRedeem(alice)
    expected = vault.previewRedeem(shares)
    before = base.balanceOf(alice)
    vault.redeem(shares, alice, alice, {"from": alice})
    assert base.balanceOf(alice) - before == expected
    assert vault.maxWithdraw(alice) <= base.balanceOf(vault)


def test_redeem_with_swap__world__sells_slices_through_router(rebalanced, bob, base):
    vault = rebalanced
    shares = vault.balanceOf(bob)
    fair = vault.previewRedeem(shares)
    before = base.balanceOf(bob)
    vault.redeemWithSwap(shares, bob, bob, fair * 99 // 100, deadline(), {"from": bob})
    assert base.balanceOf(bob) - before >= fair * 99 // 100
    assert vault.balanceOf(bob) == 0


def test_redeem_in_kind__world_paused__pays_every_token(rebalanced, world, bob, guardian):
    vault = rebalanced
    vault.setDepositsPaused(True, {"from": guardian})
    vault.setRebalancesPaused(True, {"from": guardian})
    vault.redeemInKind(vault.balanceOf(bob), bob, bob, {"from": bob})
    for symbol in ("USDC", "WBTC", "WETH", "LINK", "XAU", "TBILL"):
        assert world.tokens[symbol].balanceOf(bob) > 0


def test_rebalance__two_keepers_same_epoch__second_reverts(rebalanced, vault, keeper, mallory, gov):
    vault.grantRole(vault.KEEPER_ROLE(), mallory, {"from": gov})
    epoch = vault.epoch()
    first = rebalance_params(vault, TARGETS, plan_trades(vault, TARGETS, fraction=0.3), epoch=epoch)
    second = rebalance_params(vault, TARGETS, plan_trades(vault, TARGETS, fraction=0.3), epoch=epoch)
    vault.rebalance(first, {"from": keeper})
    with reverts_with("RiskParityVaultWrongEpoch"):
        vault.rebalance(second, {"from": mallory})
    assert vault.epoch() == epoch + 1


def test_rebalance__within_cooldown__reverts(rebalanced, keeper):
    vault = rebalanced
    vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})
    with reverts_with("RiskParityVaultCooldownActive"):
        vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})


def test_rebalance__turnover_above_cap__reverts(rebalanced, keeper, world):
    vault = rebalanced
    # The config caps turnover at 50% of NAV per rebalance; the assets are ~45% of NAV here: sell all of them
    # and buy 20,000 USDC of WBTC back.
    balances = keeper_view(vault)["balances"]
    sell_all = [(t, world.base, b, 0) for t, b in zip([a[0] for a in vault.assets()][1:], balances[1:], strict=True)]
    buy_back = (world.base, world.tokens["WBTC"], 20_000 * USDC, 0)
    with reverts_with("RiskParityVaultTurnoverExceeded"):
        vault.rebalance(rebalance_params(vault, TARGETS, sell_all + [buy_back]), {"from": keeper})


def test_rebalance__nav_loss_above_bound__reverts(rebalanced, keeper, manager):
    vault = rebalanced
    vault.setThresholds((100, 1, 5000, 3600), {"from": manager})
    with reverts_with("RiskParityVaultNavLossExceeded"):
        vault.rebalance(rebalance_params(vault, TARGETS, plan_trades(vault, TARGETS)), {"from": keeper})


def test_rebalance__moving_away__reverts_distance_grew(rebalanced, keeper, world):
    vault = rebalanced
    buy_more_wbtc = [(world.base, world.tokens["WBTC"], 5_000 * USDC, 0)]
    with reverts_with("RiskParityVaultDistanceGrew"):
        vault.rebalance(rebalance_params(vault, [10_000, 0, 0, 0, 0, 0], buy_more_wbtc), {"from": keeper})


def test_rebalance__world_feed_stale__reverts(rebalanced, keeper, world):
    vault = rebalanced
    chain.sleep(4501)  # the vault's WBTC/WETH/LINK heartbeat is 4,500 s
    chain.mine()
    with reverts_with("OracleReaderStalePrice"):
        vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})
