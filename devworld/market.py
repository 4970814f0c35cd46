"""Keep a running local world's market alive: prices move, feeds publish by the Chainlink rule, pools get arbitraged.

    python -m devworld.market [--rpc URL] [--deployment deployments/anvil.json] [--speed 60] [--steps N]

``make world`` deploys a world and leaves it frozen: without this, the keeper has no price history to estimate
from and, once a feed's heartbeat has passed, every deposit reverts on a stale feed. ``make market`` attaches to
that world and steps it: each step moves chain time forward by the world's ``step_s`` (config/world.yaml), draws
the next prices from the world's model, publishes the feeds that Chainlink would (deviation or heartbeat) and
trades the pools back to the feeds. ``--speed`` is simulated seconds per wall-clock second (default 60: one
hourly step a minute); ``--speed 0`` steps as fast as the chain answers. Ctrl-C (or SIGTERM) stops it cleanly
between steps; the chain keeps running.

The world's deployer (the feeds' reporter and the tokens' minter, account 0 of the dev mnemonic) and account 9
(the arbitrageur) must be unlocked on the node: true of anvil and Ganache started by ``make world``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path

from web3 import Web3

from devworld.sim.config import load_world_config
from devworld.sim.runner import MarketSimulator, StepReport, regime_name
from keeper.chain import connect
from keeper.deployments import load_deployment
from keeper.errors import ConfigError, KeeperError

log = logging.getLogger(__name__)

REPORTER_INDEX = 0
ARBITRAGEUR_INDEX = 9


class _Stop(Exception):
    """SIGTERM/SIGINT between steps."""


def _interrupt(signum: int, frame: object) -> None:
    raise _Stop


def pace_s(step_s: int, speed: float) -> float:
    """Wall-clock seconds between two steps of ``step_s`` simulated seconds at ``speed`` (0: no pause)."""
    return 0.0 if speed <= 0 else step_s / speed


def describe(i: int, report: StepReport, symbols: list[str]) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(report.timestamp))
    prices = "  ".join(f"{s} {p:,.2f}" for s, p in zip(symbols, report.prices_usd, strict=True))
    published = ",".join(report.rounds) or "-"
    return f"step {i + 1:>5}  {stamp} UTC  {regime_name(report.regime):<6} {prices}  published {published}"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m devworld.market", description=__doc__.split("\n")[0])
    p.add_argument("--rpc", default="http://127.0.0.1:8545", help="the world's node (default %(default)s)")
    p.add_argument("--deployment", default="deployments/anvil.json", help="the world's deployment file")
    p.add_argument("--config", default="config/world.yaml", help="the world's config (assets, vols, step)")
    p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per second (0: as fast as it can)")
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps (default: run until Ctrl-C)")
    p.add_argument("--seed", type=int, default=7, help="the price path's seed")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    try:
        if args.speed < 0:
            raise ConfigError(f"--speed {args.speed:g}: must be 0 (as fast as possible) or positive")
        if args.steps is not None and args.steps < 1:
            raise ConfigError(f"--steps {args.steps}: must be at least 1 (or left out to run until Ctrl-C)")
        if not Path(args.deployment).exists():
            raise ConfigError(f"{args.deployment}: no such deployment file: start a world first (make world)")
        cfg = load_world_config(args.config)
        dep = load_deployment(args.deployment)
        w3 = connect(args.rpc)
        accounts = w3.eth.accounts
        if len(accounts) <= ARBITRAGEUR_INDEX:
            raise ConfigError(
                f"{args.rpc} has {len(accounts)} unlocked accounts; the market needs the dev mnemonic's accounts "
                f"0 (reporter) and 9 (arbitrageur): attach to a world started by 'make world'"
            )
        sim = MarketSimulator(
            w3,
            dep,
            cfg,
            seed=args.seed,
            reporter=Web3.to_checksum_address(accounts[REPORTER_INDEX]),
            arbitrageur=Web3.to_checksum_address(accounts[ARBITRAGEUR_INDEX]),
        )
    except (ConfigError, KeeperError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pause = pace_s(cfg.step_s, args.speed)
    print(
        f"market on {args.rpc}: one {cfg.step_s} s step every {pause:g} s of wall time"
        + (f", {args.steps} steps" if args.steps else ", until Ctrl-C"),
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    i = 0
    try:
        while args.steps is None or i < args.steps:
            started = time.monotonic()
            report = sim.step()
            print(describe(i, report, cfg.symbols), flush=True)
            i += 1
            if args.steps is not None and i >= args.steps:
                break
            time.sleep(max(0.0, pause - (time.monotonic() - started)))
    except _Stop:
        pass
    except Exception as exc:  # noqa: BLE001 - one readable line for the operator; the chain keeps running
        print(f"error: market step {i + 1} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"market stopped after {i} steps", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
