"""A swap through the real Uniswap V2 router fills at the feed price minus the 0.3% fee (plus price impact)."""

from __future__ import annotations

import pytest
from brownie import chain  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.mark.parametrize("symbol", ["WBTC", "WETH", "LINK", "XAU", "TBILL", "BOND"])
def test_router_swap__small_sell__fills_at_feed_price_minus_fee(world, trader, symbol):
    a = world.cfg.asset(symbol)
    # 0.01% of the pool: the price impact is ~1 bp, far below the 30 bp fee.
    amount_in = world.units(symbol, a.pool_depth_usd / a.price_usd * 1e-4)
    world.fund(symbol, trader, amount_in)
    token = world.tokens[symbol]
    token.approve(world.router, amount_in, {"from": trader})
    before = world.base.balanceOf(trader)
    world.router.swapExactTokensForTokens(
        amount_in, 0, [token, world.base], trader, chain.time() + 600, {"from": trader}
    )
    received = (world.base.balanceOf(trader) - before) / 10**6
    fill_price = received / (amount_in / 10**a.decimals)
    assert fill_price == pytest.approx(world.feed_price(symbol) * 0.997, rel=2e-4)
    assert fill_price < world.feed_price(symbol) * 0.997


def test_router_swap__buy_with_base__fills_at_feed_price_plus_fee(world, trader):
    amount_in = 2_000 * 10**6
    world.fund("USDC", trader, amount_in)
    world.base.approve(world.router, amount_in, {"from": trader})
    weth = world.tokens["WETH"]
    world.router.swapExactTokensForTokens(
        amount_in, 0, [world.base, weth], trader, chain.time() + 600, {"from": trader}
    )
    paid_per_eth = 2_000 / (weth.balanceOf(trader) / 1e18)
    assert paid_per_eth == pytest.approx(world.feed_price("WETH") / 0.997, rel=2e-4)
