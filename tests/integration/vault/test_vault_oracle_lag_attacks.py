"""Oracle-lag arbitrage on the world, as the review ran it, at three sizes: a vault holding 30% crypto, an
attacker who knows the market is ahead of the feeds.

- Feed round: deposit at the lagging oracle NAV, let the feeds publish, exit at the new NAV. The entry fee is
  the holdings' value-weighted deviation thresholds (the most a feed in spec lags), so the attacker loses.
- In kind + DEX in one transaction (what a flash loan funds): deposit, take the slices in kind, sell them on the
  DEX priced 3% above the feeds. The share lock refuses the exit in the same transaction.
"""

from __future__ import annotations

import pytest
from brownie import LagArbitrageur  # type: ignore[attr-defined]

from tests.helpers.vault import deadline, reverts_with, sleep_and_refresh

USDC = 10**6
CRYPTO = ("WBTC", "WETH", "LINK")
SIZES = [(150_000, 100_000), (150_000, 1_000_000), (5_000_000, 4_000_000)]  # (vault, attacker) in USDC


def _vault_with_crypto(world, vault, alice, vault_usd: int) -> None:
    """`vault_usd` of NAV, 70% USDC deposited by Alice and 10% each of WBTC, WETH and LINK (given to the vault,
    the way a finished rebalance would leave it)."""
    cash = vault_usd * 7 // 10 * USDC
    world.fund("USDC", alice, cash)
    world.base.approve(vault, cash, {"from": alice})
    vault.deposit(cash, alice, {"from": alice})
    for s in CRYPTO:
        world.fund(s, vault, world.units(s, vault_usd / 10 / world.feed_price(s)))


def _attacker(world, vault, who, usd: int) -> int:
    amount = usd * USDC
    world.fund("USDC", who, amount)
    world.base.approve(vault, amount, {"from": who})
    return amount


@pytest.mark.parametrize("vault_usd, attack_usd", SIZES)
def test_deposit__feeds_lag_market_by_their_threshold__attacker_loses(
    vault, world, alice, mallory, vault_usd, attack_usd
):
    _vault_with_crypto(world, vault, alice, vault_usd)
    amount = _attacker(world, vault, mallory, attack_usd)
    alice_before = vault.previewRedeem(vault.balanceOf(alice))
    # The market is up by each feed's deviation threshold; the feeds have not published it yet.
    shares = vault.deposit(amount, mallory, {"from": mallory}).return_value
    for a in vault.assets()[1:4]:
        feed = world.feeds[next(s for s in CRYPTO if world.tokens[s].address == a[0])]
        feed.submit(feed.latestRoundData()[1] * (10_000 + a[7]) // 10_000, {"from": world.deployer})
    sleep_and_refresh(3_601, world.feeds, world.deployer)  # the share lock
    out = vault.redeem(shares, mallory, mallory, {"from": mallory}).return_value
    assert out < amount
    # Alice kept her share of the rise and gained the attacker's fee.
    assert vault.previewRedeem(vault.balanceOf(alice)) > alice_before


def test_deposit__review_case_2pct_round_1m_into_150k__attacker_loses(vault, world, alice, mallory):
    """The review's numbers: +780 USDC to the attacker before the fee."""
    _vault_with_crypto(world, vault, alice, 150_000)
    amount = _attacker(world, vault, mallory, 1_000_000)
    shares = vault.deposit(amount, mallory, {"from": mallory}).return_value
    for s in CRYPTO:
        feed = world.feeds[s]
        feed.submit(feed.latestRoundData()[1] * 102 // 100, {"from": world.deployer})
    sleep_and_refresh(3_601, world.feeds, world.deployer)
    assert vault.redeem(shares, mallory, mallory, {"from": mallory}).return_value < amount


def _push_pool(world, trader, symbol: str, up_pct: float) -> None:
    """Buy `symbol` with USDC on its pool until its DEX price is `up_pct` above where it was."""
    token = world.tokens[symbol]
    reserve_usdc = world.base.balanceOf(world.pairs[symbol])
    # Constant product: the price scales with the square of the USDC reserve.
    amount_in = int(reserve_usdc * ((1 + up_pct) ** 0.5 - 1) * 1.003)
    world.fund("USDC", trader, amount_in)
    world.base.approve(world.router, amount_in, {"from": trader})
    world.router.swapExactTokensForTokens(amount_in, 0, [world.base, token], trader, deadline(), {"from": trader})


@pytest.mark.parametrize("vault_usd, attack_usd", SIZES)
def test_deposit_and_in_kind_exit_in_one_transaction__dex_3pct_above_feeds__refused_by_lock(
    vault, world, alice, trader, deployer, vault_usd, attack_usd
):
    _vault_with_crypto(world, vault, alice, vault_usd)
    for s in CRYPTO:
        _push_pool(world, trader, s, 0.03)
    attacker = LagArbitrageur.deploy({"from": deployer})
    amount = attack_usd * USDC
    world.fund("USDC", attacker, amount)
    with reverts_with("RiskParityVaultSharesLocked"):
        attacker.attack(vault, world.router, amount, {"from": deployer})
    assert world.base.balanceOf(attacker) == amount and vault.balanceOf(attacker) == 0
