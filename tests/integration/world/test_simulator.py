"""The market simulator on a live chain: Chainlink-style rounds, arbitraged pools, determinism per seed."""

from __future__ import annotations

import pytest
from brownie import accounts, chain, web3  # type: ignore[attr-defined]

from devworld.sim.arbitrage import mid_price
from devworld.sim.runner import MarketSimulator

STEPS = 12


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


def _simulator(world, seed: int) -> MarketSimulator:
    return MarketSimulator(
        web3,
        world.deployment,
        world.cfg,
        seed=seed,
        reporter=world.deployer.address,
        arbitrageur=accounts[9].address,
    )


def _chain_state(world) -> dict:
    return {
        s: (world.feeds[s].latestRoundData()[:2], world.pairs[s].getReserves()[:2] if s in world.pairs else None)
        for s in world.cfg.symbols
    }


def test_simulator__same_seed_from_same_state__gives_same_steps_and_state(world):
    chain.snapshot()
    first = _simulator(world, seed=42).run(STEPS)
    state_first = _chain_state(world)
    chain.revert()
    second = _simulator(world, seed=42).run(STEPS)
    assert [(r.prices_usd, r.rounds, r.iv_rounds, r.arbs) for r in first] == [
        (r.prices_usd, r.rounds, r.iv_rounds, r.arbs) for r in second
    ]
    assert _chain_state(world) == state_first


def test_simulator__different_seed__gives_different_prices(world):
    chain.snapshot()
    a = _simulator(world, seed=1).run(3)
    chain.revert()
    b = _simulator(world, seed=2).run(3)
    assert a[-1].prices_usd != b[-1].prices_usd


def test_simulator__after_each_step__pools_agree_with_feeds_within_fee(world):
    sim = _simulator(world, seed=7)
    for _ in range(STEPS):
        sim.step()
        for a in world.cfg.risky:
            pair = world.pairs[a.symbol]
            r0, r1, _ = pair.getReserves()
            r_asset, r_base = (r0, r1) if pair.token0() == world.tokens[a.symbol].address else (r1, r0)
            dex = mid_price(r_asset, r_base, a.decimals, 6, world.feed_price("USDC"))
            assert dex == pytest.approx(world.feed_price(a.symbol), rel=world.cfg.fee_bps / 10_000)


def test_simulator__rounds__follow_deviation_or_heartbeat(world):
    sim = _simulator(world, seed=11)
    reports = sim.run(30)
    for a in world.cfg.assets:
        published = [(r.timestamp, r.rounds[a.symbol]) for r in reports if a.symbol in r.rounds]
        last_t, last_answer = world.feeds[a.symbol].getRoundData(1)[3], world.feeds[a.symbol].getRoundData(1)[1]
        for t, answer in published:
            moved_bps = abs(answer - last_answer) * 10_000 / last_answer
            assert moved_bps >= a.feed.deviation_bps or t - last_t >= a.feed.heartbeat_s
            last_t, last_answer = t, answer
    # Hourly steps over 30 hours with a 1-hour heartbeat: BTC publishes every step; gold (24 h, 0.3%) rarely.
    assert sum("WBTC" in r.rounds for r in reports) == 30
    assert sum("XAU" in r.rounds for r in reports) < 30


def test_simulator__chain_reverted_under_it__run_still_keeps_every_heartbeat(world):
    """A module-wide simulator under per-test snapshots: the rounds it published in a reverted test are gone."""
    sim = _simulator(world, seed=11)
    chain.snapshot()
    sim.run(3)
    chain.revert()  # the three steps' rounds no longer exist; the simulator still remembers them
    reports = sim.run(2)
    now = chain.time()
    for a in world.cfg.assets:
        age = now - world.feeds[a.symbol].latestRoundData()[3]
        assert age < a.feed.heartbeat_s, f"{a.symbol} feed {age} s old after a reverted run"
    assert all("WBTC" in r.rounds and "WETH" in r.rounds for r in reports)  # 1 h heartbeats, hourly steps


def test_simulator__implied_vol_feeds__publish_daily(world):
    sim = _simulator(world, seed=3)
    reports = sim.run(30)
    days = [r for r in reports if r.iv_rounds]
    assert 1 <= len(days) <= 2
    assert set(days[0].iv_rounds) == set(world.iv_feeds)
    assert all(v > 0 for v in days[0].iv_rounds.values())
