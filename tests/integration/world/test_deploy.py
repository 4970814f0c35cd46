"""The world deploys on the connected chain (anvil and Ganache) with the config's decimals, prices and pools."""

from __future__ import annotations

import pytest
from brownie import reverts  # type: ignore[attr-defined]

from devworld.sim.arbitrage import mid_price


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


def test_deploy_world__tokens__have_real_decimals(world):
    expected = {"USDC": 6, "WBTC": 8, "WETH": 18, "LINK": 18, "XAU": 18, "TBILL": 6, "BOND": 18}
    assert {s: t.decimals() for s, t in world.tokens.items()} == expected


def test_deploy_world__feeds__report_config_prices_with_8_decimals(world):
    for a in world.cfg.assets:
        feed = world.feeds[a.symbol]
        round_id, answer, started, updated, answered_in = feed.latestRoundData()
        assert feed.decimals() == 8
        assert feed.description() == f"{a.symbol} / USD"
        assert answer == round(a.price_usd * 1e8)
        assert round_id == answered_in == 1 and updated == started > 0
        assert feed.latestAnswer() == answer


def test_deploy_world__implied_vol_feeds__report_annualized_vol(world):
    assert set(world.iv_feeds) == set(world.cfg.symbols) - {world.cfg.base}
    for sym, feed in world.iv_feeds.items():
        a = world.cfg.asset(sym)
        assert feed.latestAnswer() == round((a.vol + a.implied_vol_premium) * 1e8)
        assert "implied vol" in feed.description()


def test_deploy_world__pools__are_seeded_at_feed_price_with_configured_depth(world):
    base = world.cfg.asset(world.cfg.base)
    for a in world.cfg.risky:
        pair = world.pairs[a.symbol]
        r0, r1, _ = pair.getReserves()
        asset_is_0 = pair.token0() == world.tokens[a.symbol].address
        r_asset, r_base = (r0, r1) if asset_is_0 else (r1, r0)
        price = mid_price(r_asset, r_base, a.decimals, base.decimals, 1.0)
        assert price == pytest.approx(a.price_usd, rel=1e-6)
        assert r_base == round(a.pool_depth_usd * 10**base.decimals)


def test_deploy_world__router__is_wired_to_factory_and_weth9(world):
    assert world.router.factory() == world.factory.address
    assert world.router.WETH() == world.weth.address == world.tokens["WETH"].address
    assert world.factory.allPairsLength() == len(world.cfg.risky)


def test_price_feed__non_owner_submit__reverts(world, trader):
    with reverts(revert_pattern="OwnableUnauthorizedAccount: .*"):
        world.feeds["WETH"].submit(1, {"from": trader})


def test_world_token__non_owner_mint__reverts(world, trader):
    with reverts(revert_pattern="OwnableUnauthorizedAccount: .*"):
        world.tokens["WBTC"].mint(trader, 1, {"from": trader})
