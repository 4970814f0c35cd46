"""The whole life of a vault over tokens of 6, 8 and 18 decimals and tokens whose transfer returns nothing,
as the base and as basket assets: deposit, rebalance through the real router, and the three exits."""

from __future__ import annotations

import pytest

from scripts.deploy_vault import deploy_vault
from tests.helpers.vault import (
    TokenSpec,
    deadline,
    deploy_mini_world,
    mini_vault_config,
    plan_trades,
    rebalance_params,
)

SETS = {
    "usdc6_base__wbtc8_weth18": (
        TokenSpec("USDC", 6, 1.0),
        [TokenSpec("WBTC", 8, 90_000.0), TokenSpec("WETH", 18, 3_200.0)],
    ),
    "dai18_base__noreturn6_wbtc8": (
        TokenSpec("DAI", 18, 1.0),
        [TokenSpec("USDT", 6, 1.0, no_return=True), TokenSpec("WBTC", 8, 90_000.0)],
    ),
    "noreturn6_base__link18": (
        TokenSpec("USDT", 6, 1.0, no_return=True),
        [TokenSpec("LINK", 18, 15.0), TokenSpec("XAU", 18, 2_600.0)],
    ),
}


@pytest.fixture(scope="module", params=list(SETS), ids=list(SETS))
def odd(request, deployer, gov, manager, keeper, guardian, alice, bob):
    base_spec, assets = SETS[request.param]
    world = deploy_mini_world(deployer, base_spec, assets)
    cfg = mini_vault_config(assets, base_spec)
    vault = deploy_vault(
        world, deployer, cfg, governance=gov, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    ).vault
    for who in (alice, bob):
        world.fund(base_spec.symbol, who, world.units(base_spec.symbol, 1_000_000))
        world.base.approve(vault, 2**256 - 1, {"from": who})
    return world, vault, base_spec, assets


def test_lifecycle__odd_tokens__deposit_rebalance_and_three_exits(odd, alice, bob, keeper):
    world, vault, base_spec, assets = odd
    base = world.base
    one = 10**base_spec.decimals
    assert vault.decimals() == base_spec.decimals + 6

    vault.deposit(100_000 * one, alice, {"from": alice})
    vault.deposit(50_000 * one, bob, {"from": bob})
    assert vault.totalAssets() == 150_000 * one

    targets = [6000, 2000, 2000]
    vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})
    for spec in assets:
        assert world.tokens[spec.symbol].balanceOf(vault) > 0
    nav = vault.totalAssets()
    assert nav >= 150_000 * one * (10_000 - 50) // 10_000

    # Standard exit from idle base.
    before = base.balanceOf(alice)
    vault.withdraw(10_000 * one, alice, alice, {"from": alice})
    assert base.balanceOf(alice) - before == 10_000 * one

    # In kind: every token, pro rata.
    shares = vault.balanceOf(bob) // 2
    vault.redeemInKind(shares, bob, bob, {"from": bob})
    for spec in assets:
        assert world.tokens[spec.symbol].balanceOf(bob) > 0

    # With swap: base only, close to the oracle value of the slice.
    shares = vault.balanceOf(bob)
    fair = vault.previewRedeem(shares)
    before = base.balanceOf(bob)
    vault.redeemWithSwap(shares, bob, bob, fair * 98 // 100, deadline(), {"from": bob})
    assert base.balanceOf(bob) - before >= fair * 98 // 100
    assert vault.balanceOf(bob) == 0
    assert vault.totalSupply() == vault.balanceOf(alice)
