"""The main job (for now): deploy the world on a local chain and run its market for a few simulated days.

    make demo                      # anvil, 5 days, seed 7
    DEMO_DAYS=10 DEMO_SEED=1 make demo

Prints each simulated day (prices, regime, rounds the feeds published, arbitrage trades) and a summary, and
writes out/demo/world.json.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from brownie import accounts, network, web3  # type: ignore[attr-defined]

from keeper.artifacts import ROOT
from keeper.sim.arbitrage import mid_price
from keeper.sim.market import SECONDS_PER_YEAR, STRESS
from keeper.sim.runner import MarketSimulator, StepReport, regime_name
from scripts.world import DEFAULT_CONFIG, deploy_world


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not an integer: set it to a whole number (e.g. {name}={default})")
    if value <= 0:
        raise SystemExit(f"{name}={value} must be positive")
    return value


def main() -> None:
    days = _env_int("DEMO_DAYS", 5)
    seed = _env_int("DEMO_SEED", 7)
    stress_day = min(2, days - 1)
    print(f"== Deploying the world on '{network.show_active()}' ({web3.client_version})")
    world = deploy_world(accounts[0], os.environ.get("WORLD_CONFIG", DEFAULT_CONFIG))
    cfg = world.cfg
    assert world.deployment is not None
    print(f"   {len(cfg.assets)} assets, {len(world.pairs)} Uniswap V2 pools, block {web3.eth.block_number}")

    sim = MarketSimulator(web3, world.deployment, cfg, seed=seed, reporter=accounts[0].address,
                          arbitrageur=accounts[9].address)
    steps_per_day = 86_400 // cfg.step_s
    reports: list[StepReport] = []
    header = "   day regime " + " ".join(f"{s:>11}" for s in cfg.symbols) + "  rounds  arbs"
    print(f"== Running the market for {days} days ({steps_per_day} steps a day, seed {seed}; "
          f"stress forced on day {stress_day + 1})")
    print(header)
    for day in range(days):
        if day == stress_day:
            sim.model.force_regime(STRESS)
        today = sim.run(steps_per_day)
        reports += today
        last = today[-1]
        rounds = sum(len(r.rounds) for r in today)
        arbs = sum(len(r.arbs) for r in today)
        prices = " ".join(f"{p:>11,.2f}" for p in last.prices_usd)
        print(f"   {day + 1:>3} {regime_name(last.regime):<6} {prices}  {rounds:>6}  {arbs:>4}")

    prices = np.array([[a.price_usd for a in cfg.assets]] + [r.prices_usd for r in reports])
    log_ret = np.diff(np.log(prices), axis=0)
    realized = log_ret.std(axis=0, ddof=1) * np.sqrt(SECONDS_PER_YEAR / cfg.step_s)
    summary = {}
    print("== Summary")
    print(f"   {'asset':<6} {'start':>11} {'end':>11} {'real.vol':>8} {'cfg.vol':>8} {'rounds':>6} {'arbs':>5} {'dex-feed':>9}")
    for i, a in enumerate(cfg.assets):
        rounds = world.feeds[a.symbol].latestRound() - 1
        arbs = sum(1 for r in reports for f in r.arbs if f.symbol == a.symbol)
        gap = ""
        if a.symbol in world.pairs:
            pair = world.pairs[a.symbol]
            r0, r1, _ = pair.getReserves()
            r_asset, r_base = (r0, r1) if pair.token0() == world.tokens[a.symbol].address else (r1, r0)
            dex = mid_price(r_asset, r_base, a.decimals, cfg.asset(cfg.base).decimals, world.feed_price(cfg.base))
            gap_bps = (dex / world.feed_price(a.symbol) - 1) * 1e4
            gap = f"{gap_bps:+.1f}bp"
        print(f"   {a.symbol:<6} {a.price_usd:>11,.2f} {prices[-1, i]:>11,.2f} {realized[i]:>8.1%} {a.vol:>8.1%} "
              f"{rounds:>6} {arbs:>5} {gap:>9}")
        summary[a.symbol] = {"start": a.price_usd, "end": float(prices[-1, i]), "realized_vol": float(realized[i]),
                             "rounds": int(rounds), "arbs": arbs}
    stress_steps = sum(r.regime == STRESS for r in reports)
    print(f"   {len(reports)} steps, {stress_steps} in stress; chain time advanced {days} days; "
          f"block {web3.eth.block_number}")
    out = Path(os.environ.get("DEMO_OUT", ROOT / "out" / "demo"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "world.json").write_text(json.dumps({"days": days, "seed": seed, "steps": len(reports),
                                                "stress_steps": int(stress_steps), "assets": summary}, indent=2))
    print(f"== Wrote {out / 'world.json'}")
