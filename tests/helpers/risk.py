"""Shared by the risk guardrail and circuit breaker tests: risk settings for small worlds, a market step that
moves a feed and trades its pool to the same price (what an arbitrageur would do), and covariance seeding."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from brownie import Contract, chain  # type: ignore[attr-defined]

from devworld.sim.arbitrage import trade_to_price
from keeper.artifacts import abi
from scripts.deploy_vault import RiskConfig
from tests.helpers.vault import FEED_DECIMALS, deadline

HOUR = 3_600


def unit_risk_config(**overrides: Any) -> RiskConfig:
    """Hourly pokes, a one-day half-life and an active guardrail after three returns (the unit tests' pace)."""
    values: dict[str, Any] = dict(
        enabled=True,
        poke_interval_s=HOUR,
        half_life_s=86_400,
        twap_window_s=1_800,
        band_bps=1_000,
        trigger_bps=500,
        max_divergence_bps=500,
        min_observations=3,
    )
    values.update(overrides)
    return RiskConfig(**values)


def pair_of(world: Any, symbol: str) -> Any:
    pairs = getattr(world, "pairs", None) or {}
    if symbol in pairs:
        return pairs[symbol]
    address = world.factory.getPair(world.tokens[symbol], world.base)
    return Contract.from_abi("UniswapV2Pair", address, abi("UniswapV2Pair"))


def feed_usd(world: Any, symbol: str) -> float:
    return world.feeds[symbol].latestRoundData()[1] / 10**FEED_DECIMALS


def trade_pool_to(world: Any, symbol: str, price_usd: float, trader: Any) -> None:
    """Trade the asset's pool against the base until its mid price is ``price_usd`` (base at 1 USD)."""
    token, base = world.tokens[symbol], world.base
    pair = pair_of(world, symbol)
    r0, r1, _ = pair.getReserves()
    asset_is_0 = pair.token0() == token.address
    r_asset, r_base = (r0, r1) if asset_is_0 else (r1, r0)
    target = price_usd * 10 ** base.decimals() / 10 ** token.decimals()
    trade = trade_to_price(r_asset, r_base, target)
    if trade is None:
        return
    token_in = token if trade.sell_asset else base
    token_out = base if trade.sell_asset else token
    symbol_in = symbol if trade.sell_asset else world.cfg.base
    world.fund(symbol_in, trader, trade.amount_in)
    token_in.approve(world.router, trade.amount_in, {"from": trader})
    world.router.swapExactTokensForTokens(
        trade.amount_in, 0, [token_in, token_out], trader, deadline(), {"from": trader}
    )


def set_price(world: Any, symbol: str, price_usd: float, trader: Any, *, pool: bool = True) -> None:
    """Publish ``price_usd`` on the feed and, unless ``pool`` is False, trade the pool to it."""
    world.feeds[symbol].submit(round(price_usd * 10**FEED_DECIMALS), {"from": world.deployer})
    if pool:
        trade_pool_to(world, symbol, price_usd, trader)


def refresh_all(world: Any) -> None:
    for feed in world.feeds.values():
        feed.submit(feed.latestRoundData()[1], {"from": world.deployer})


def random_walk_step(world: Any, vols: dict[str, float], dt_s: int, rng: np.random.Generator, trader: Any) -> None:
    """Time passes ``dt_s``; each asset moves by an independent log-normal return with its annual vol; every
    feed publishes (the base's unchanged) and every pool is traded to its new price."""
    chain.sleep(dt_s)
    chain.mine()
    years = dt_s / (365 * 86_400)
    for symbol, vol in vols.items():
        price = feed_usd(world, symbol) * math.exp(vol * math.sqrt(years) * rng.standard_normal() - vol**2 * years / 2)
        set_price(world, symbol, price, trader)
    base_feed = world.feeds[world.cfg.base]
    base_feed.submit(base_feed.latestRoundData()[1], {"from": world.deployer})


def seed_covariance(
    world: Any, vault: Any, vols: dict[str, float], steps: int, trader: Any, *, seed: int = 1, dt_s: int = HOUR
) -> None:
    """``steps`` market steps, each followed by a poke from ``trader`` (anyone may poke)."""
    rng = np.random.default_rng(seed)
    vault.poke({"from": trader})
    for _ in range(steps):
        random_walk_step(world, vols, dt_s, rng, trader)
        vault.poke({"from": trader})
