"""A local stand-in for mainnet, written down as an address book in ``config/mainnet.yaml``'s format.

Built on the session's chain with real Uniswap V2 and WETH9 bytecode, it has what real deployments have and the
project's own world does not: feeds that changed phase (round ids ``phaseId << 64 | aggregatorRoundId``, history
split across phase aggregators, an empty round), a thin asset (PAXG) whose only pool is against WETH so it
trades through a route, an 18-decimal feed (XAU / USD), and a base-asset holder whose key nobody has, so a fork
can only fund users by impersonating it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from brownie import PriceFeed, WorldToken, chain  # type: ignore[attr-defined]
from eth_utils import to_checksum_address

from tests.helpers.vault import _deploy_npm, deadline

HOUR = 3_600
ROUNDS = 36
"""Hourly rounds of history: enough for the keeper's 24 observations only when it reads across phases."""
PHASE_CHANGE_AT = 14
"""Feeds other than the base change phase after this many rounds (and once more near the end)."""
HOLDER = to_checksum_address("0x" + "b0" * 20)
"""Holds the base asset; no account on any chain has its key."""


@dataclass(frozen=True)
class Spec:
    symbol: str
    decimals: int
    price_usd: float
    feed_decimals: int
    hourly_vol: float
    min_usd: float
    max_usd: float
    deviation_bps: int
    route: tuple[str, ...] = ()


SPECS = [
    Spec("USDC", 6, 1.0, 8, 0.0, 0.9, 1.1, 25),
    Spec("WBTC", 8, 90_000.0, 8, 0.006, 1_000, 10_000_000, 50),
    Spec("WETH", 18, 3_200.0, 8, 0.008, 50, 1_000_000, 50),
    Spec("PAXG", 18, 2_600.0, 18, 0.002, 100, 100_000, 30, route=("WETH",)),
]
POOL_DEPTH_USD = 20_000_000


@dataclass
class BookWorld:
    tokens: dict[str, Any]
    feeds: dict[str, Any]
    factory: Any
    router: Any
    weth: Any

    def book(self, chain_id: int) -> dict[str, Any]:
        """The address book, as ``config/mainnet.yaml`` writes it."""
        assets = {}
        for s in SPECS:
            entry: dict[str, Any] = {
                "token": self.tokens[s.symbol].address,
                "decimals": s.decimals,
                "feed": self.feeds[s.symbol].address,
                "heartbeat_s": 86_400,
                "deviation_bps": s.deviation_bps,
                "min_usd": s.min_usd,
                "max_usd": s.max_usd,
            }
            if s.route:
                entry["route"] = list(s.route)
            assets[s.symbol] = entry
        return {
            "chain_id": chain_id,
            "uniswap_v2": {"factory": self.factory.address, "router02": self.router.address, "fee_bps": 30},
            "base": "USDC",
            "assets": assets,
            "holders": {"USDC": HOLDER},
        }

    def write_book(self, path: Path, chain_id: int) -> Path:
        path.write_text("# The local stand-in for mainnet (tests/helpers/book_world.py).\n" + yaml.safe_dump(
            self.book(chain_id), sort_keys=False
        ))  # fmt: skip
        return path


def _answer(spec: Spec, price: float) -> int:
    return round(price * 10**spec.feed_decimals)


def _pool(world: BookWorld, deployer: Any, a: str, b: str, amount_a: int, amount_b: int) -> None:
    tx = {"from": deployer}
    world.tokens[a].approve(world.router, amount_a, tx)
    world.tokens[b].approve(world.router, amount_b, tx)
    world.router.addLiquidity(world.tokens[a], world.tokens[b], amount_a, amount_b, 0, 0, deployer, deadline(), tx)


def _mint(world: BookWorld, deployer: Any, symbol: str, to: Any, amount: int) -> None:
    if symbol == "WETH":
        world.weth.deposit({"from": deployer, "value": amount})
        if to != deployer:
            world.weth.transfer(to, amount, {"from": deployer})
    else:
        world.tokens[symbol].mint(to, amount, {"from": deployer})


def deploy_book_world(deployer: Any, seed: int = 13) -> BookWorld:
    """Deploy the stand-in with ``ROUNDS`` hours of feed history across phase changes; pools end at the feeds'
    prices (every feed's last answer is its starting price)."""
    tx = {"from": deployer}
    weth = _deploy_npm("WETH9", deployer)
    factory = _deploy_npm("UniswapV2Factory", deployer, deployer.address)
    router = _deploy_npm("UniswapV2Router02", deployer, factory.address, weth.address)
    tokens: dict[str, Any] = {}
    feeds: dict[str, Any] = {}
    for s in SPECS:
        tokens[s.symbol] = (
            weth if s.symbol == "WETH" else WorldToken.deploy(s.symbol, s.symbol, s.decimals, deployer, tx)
        )
        feeds[s.symbol] = PriceFeed.deploy(
            s.feed_decimals, f"{'XAU' if s.symbol == 'PAXG' else s.symbol} / USD", _answer(s, s.price_usd), deployer, tx
        )
    world = BookWorld(tokens, feeds, factory, router, weth)
    rng = random.Random(seed)
    prices = {s.symbol: s.price_usd for s in SPECS}
    for k in range(1, ROUNDS):
        chain.sleep(HOUR)
        for s in SPECS[1:]:
            if k in (PHASE_CHANGE_AT, ROUNDS - 6):
                feeds[s.symbol].startNewPhase(tx)  # the new aggregator repeats the last answer as its round 1
                if s.symbol == "WBTC":
                    feeds[s.symbol].skipRounds(1, tx)  # a round the new aggregator never filled
            last = k == ROUNDS - 1
            prices[s.symbol] = s.price_usd if last else prices[s.symbol] * (1 + rng.gauss(0.0, s.hourly_vol))
            feeds[s.symbol].submit(_answer(s, prices[s.symbol]), tx)
        feeds["USDC"].submit(_answer(SPECS[0], 1.0), tx)
    usd = {s.symbol: s for s in SPECS}

    def units(symbol: str, dollars: float) -> int:
        return int(dollars / usd[symbol].price_usd * 10 ** usd[symbol].decimals)

    for a, b in (("WBTC", "USDC"), ("WETH", "USDC"), ("PAXG", "WETH")):  # PAXG trades only against WETH
        amount_a, amount_b = units(a, POOL_DEPTH_USD), units(b, POOL_DEPTH_USD)
        _mint(world, deployer, a, deployer, amount_a)
        _mint(world, deployer, b, deployer, amount_b)
        _pool(world, deployer, a, b, amount_a, amount_b)
    _mint(world, deployer, "USDC", HOLDER, units("USDC", 1_000_000))
    return world
