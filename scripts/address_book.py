"""An address book: where a real DeFi deployment lives (tokens, Chainlink feeds, Uniswap V2, Aave V3), one YAML
file per chain. ``config/mainnet.yaml`` is the reference; ``tests/integration/book/`` writes one for the local world.

Two levels of checks, each failing with a ``ConfigError`` that names the field:

- :func:`load_book` (offline): the format, every address a checksummed 0x address, symbols that resolve (base,
  route hubs, holders), decimals and heartbeats in range.
- :func:`check_book_on_chain` (a node): the chain id, code at every contract address, each token's decimals read
  from the chain and compared with the book, each feed's decimals and description read (and shown), a Uniswap V2
  pair for every hop of every route, and the holders' base balances.

Format (every address checksummed)::

    chain_id: 1
    uniswap_v2: {factory: 0x.., router02: 0x.., fee_bps: 30}
    aave_v3: {pool_addresses_provider: 0x..}         # optional; the pool is read from the provider
    base: USDC                                       # one of `assets`
    assets:
      PAXG:
        token: 0x..
        decimals: 18
        feed: 0x..                                   # a Chainlink proxy (AggregatorV3Interface)
        heartbeat_s: 86400                           # the feed's own heartbeat
        deviation_bps: 30                            # the feed's deviation threshold (optional, default 0)
        min_usd: 100                                 # the vault's sanity bounds on the feed (optional)
        max_usd: 100000
        route: [WETH]                                # optional: swaps go through this hub (one hop at most)
        risk_budget_bps: 2000                        # optional; default: equal budgets
    hubs: {WETH: 0x..}                               # optional: route hubs that are not assets
    holders: {USDC: 0x..}                            # optional: accounts a fork impersonates to fund test users

This module reads the chain through web3 only (no brownie), so tests and tools can use it anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from eth_utils import to_checksum_address
from web3 import Web3

from keeper.errors import ConfigError

ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

ERC20_ABI = [
    {"name": "decimals", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "uint8"}]},
    {"name": "symbol", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "string"}]},
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "a", "type": "address"}],
        "outputs": [{"type": "uint256"}],
    },
]
FEED_ABI = [
    {"name": "decimals", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "uint8"}]},
    {
        "name": "description",
        "type": "function",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"type": "string"}],
    },
    {
        "name": "latestRoundData",
        "type": "function",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [
            {"type": "uint80"},
            {"type": "int256"},
            {"type": "uint256"},
            {"type": "uint256"},
            {"type": "uint80"},
        ],
    },
]
FACTORY_ABI = [
    {
        "name": "getPair",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "a", "type": "address"}, {"name": "b", "type": "address"}],
        "outputs": [{"type": "address"}],
    }
]
PROVIDER_ABI = [
    {"name": "getPool", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "address"}]}
]


@dataclass(frozen=True)
class BookAsset:
    symbol: str
    token: str
    decimals: int
    feed: str
    heartbeat_s: int
    deviation_bps: int = 0
    min_usd: float | None = None
    max_usd: float | None = None
    route: tuple[str, ...] = ()
    """Hub symbols between this asset and any other token (at most one)."""
    risk_budget_bps: int | None = None


@dataclass(frozen=True)
class AddressBook:
    path: str
    chain_id: int
    factory: str
    router: str
    fee_bps: int
    base: str
    assets: dict[str, BookAsset]
    """Base first, then the others in the book's order."""
    hubs: dict[str, str] = field(default_factory=dict)
    holders: dict[str, str] = field(default_factory=dict)
    aave_provider: str | None = None

    @property
    def base_asset(self) -> BookAsset:
        return self.assets[self.base]

    @property
    def risky(self) -> list[BookAsset]:
        return [a for s, a in self.assets.items() if s != self.base]

    def token_of(self, symbol: str) -> str:
        """An asset's or a hub's token address."""
        return self.assets[symbol].token if symbol in self.assets else self.hubs[symbol]

    def hub_of(self, symbol: str) -> str | None:
        route = self.assets[symbol].route
        return self.token_of(route[0]) if route else None

    def route_tokens(self, symbol: str) -> list[str]:
        """The token path from the asset to the base: asset, hubs..., base."""
        return [
            self.assets[symbol].token,
            *(self.token_of(h) for h in self.assets[symbol].route),
            self.base_asset.token,
        ]

    def risk_budgets_bps(self) -> dict[str, int]:
        """The book's budgets, or equal budgets (the remainder on the first asset) when it gives none."""
        given = {a.symbol: a.risk_budget_bps for a in self.risky}
        if all(b is not None for b in given.values()):
            return {s: int(b or 0) for s, b in given.items()}
        n = len(given)
        out = {s: 10_000 // n for s in given}
        first = next(iter(out))
        out[first] += 10_000 - sum(out.values())
        return out


def _address(path: str, where: str, value: Any) -> str:
    if not isinstance(value, str) or not ADDRESS_RE.match(value):
        raise ConfigError(f"{path}: {where}: {value!r} is not a 0x address of 40 hex digits")
    expected = to_checksum_address(value)
    if value != expected:
        raise ConfigError(
            f"{path}: {where}: {value} is not checksummed (EIP-55); expected {expected}. Copy the address from the "
            f"protocol's documentation again rather than fixing its case by hand: a wrong case can mean a typo"
        )
    return value


def _int(path: str, where: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{path}: {where}: {value!r} must be an integer in [{lo}, {hi}]")
    return value


def _section(path: str, raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `{key}` is missing or not a mapping (see config/mainnet.yaml)")
    return value


def load_book(path: str | Path) -> AddressBook:
    """Read and check an address book offline (format, checksums, symbols); see the module docstring."""
    p = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p}: cannot read the address book ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: an address book is a YAML mapping (see config/mainnet.yaml)")
    chain_id = _int(p, "chain_id", raw.get("chain_id"), 1, 2**63)
    uni = _section(p, raw, "uniswap_v2")
    factory = _address(p, "uniswap_v2.factory", uni.get("factory"))
    router = _address(p, "uniswap_v2.router02", uni.get("router02"))
    fee_bps = _int(p, "uniswap_v2.fee_bps", uni.get("fee_bps", 30), 0, 1_000)
    aave = raw.get("aave_v3") or {}
    provider = None
    if aave:
        provider = _address(p, "aave_v3.pool_addresses_provider", aave.get("pool_addresses_provider"))
        for key in ("pool", "oracle", "pool_data_provider"):
            if aave.get(key) is not None:
                _address(p, f"aave_v3.{key}", aave[key])
    hubs = {str(s): _address(p, f"hubs.{s}", a) for s, a in (raw.get("hubs") or {}).items()}
    raw_assets = _section(p, raw, "assets")
    base = raw.get("base")
    if base not in raw_assets:
        raise ConfigError(f"{p}: base: {base!r} must be one of the assets ({', '.join(map(str, raw_assets))})")
    assets: dict[str, BookAsset] = {}
    for symbol in [base, *(s for s in raw_assets if s != base)]:
        a = raw_assets[symbol]
        where = f"assets.{symbol}"
        if not isinstance(a, dict):
            raise ConfigError(f"{p}: {where} must be a mapping with token, decimals, feed and heartbeat_s")
        route = a.get("route") or []
        if not isinstance(route, list) or len(route) > 1:
            raise ConfigError(f"{p}: {where}.route: {route!r} must be a list of at most one hub symbol")
        for hub in route:
            if hub == symbol or hub == base or (hub not in raw_assets and hub not in hubs):
                raise ConfigError(
                    f"{p}: {where}.route: hub {hub!r} must be another asset or an entry of `hubs`, not the asset "
                    f"itself or the base"
                )
            if hub in raw_assets and (raw_assets[hub] or {}).get("route"):
                raise ConfigError(f"{p}: {where}.route: hub {hub!r} has a route of its own; a hub trades directly")
        bounds = [a.get("min_usd"), a.get("max_usd")]
        if (bounds[0] is None) != (bounds[1] is None) or (
            bounds[0] is not None and not 0 < float(bounds[0]) < float(bounds[1])
        ):
            raise ConfigError(f"{p}: {where}: min_usd and max_usd go together, with 0 < min_usd < max_usd")
        budget = a.get("risk_budget_bps")
        assets[str(symbol)] = BookAsset(
            symbol=str(symbol),
            token=_address(p, f"{where}.token", a.get("token")),
            decimals=_int(p, f"{where}.decimals", a.get("decimals"), 0, 36),
            feed=_address(p, f"{where}.feed", a.get("feed")),
            heartbeat_s=_int(p, f"{where}.heartbeat_s", a.get("heartbeat_s"), 1, 30 * 86_400),
            deviation_bps=_int(p, f"{where}.deviation_bps", a.get("deviation_bps", 0), 0, 1_000),
            min_usd=None if bounds[0] is None else float(bounds[0]),
            max_usd=None if bounds[1] is None else float(bounds[1]),
            route=tuple(str(h) for h in route),
            risk_budget_bps=None if budget is None else _int(p, f"{where}.risk_budget_bps", budget, 1, 10_000),
        )
    if assets[str(base)].route:
        raise ConfigError(f"{p}: assets.{base}.route: the base asset trades directly; remove its route")
    budgets = [a.risk_budget_bps for s, a in assets.items() if s != base]
    if any(b is not None for b in budgets) and (None in budgets or sum(b or 0 for b in budgets) != 10_000):
        raise ConfigError(f"{p}: risk_budget_bps: give it for every non-base asset, summing to 10000, or for none")
    holders: dict[str, str] = {}
    for s, h in (raw.get("holders") or {}).items():
        if s not in assets and s not in hubs:
            raise ConfigError(f"{p}: holders.{s}: {s!r} is not an asset or a hub of this book")
        holders[str(s)] = _address(p, f"holders.{s}", h)
    return AddressBook(p, chain_id, factory, router, fee_bps, str(base), assets, hubs, holders, provider)


@dataclass(frozen=True)
class FeedInfo:
    decimals: int
    description: str
    answer: int
    updated_at: int


@dataclass(frozen=True)
class BookCheck:
    """What :func:`check_book_on_chain` read: feeds by symbol, the Aave pool, and lines for a person."""

    feeds: dict[str, FeedInfo]
    aave_pool: str | None
    lines: list[str]


def _has_code(w3: Web3, p: str, where: str, address: str) -> None:
    if not w3.eth.get_code(Web3.to_checksum_address(address)):
        raise ConfigError(
            f"{p}: {where}: no contract code at {address} on this chain: the book is for another chain, or the "
            f"fork is older than the contract"
        )


def check_book_on_chain(book: AddressBook, w3: Web3, *, check_chain_id: bool = True) -> BookCheck:
    """Check ``book`` against the chain ``w3`` is connected to; see the module docstring.

    ``check_chain_id``: a Ganache fork reports the chain id it was started with (1337 here), not its upstream's.
    """
    p = book.path
    lines: list[str] = []
    if check_chain_id and w3.eth.chain_id != book.chain_id:
        raise ConfigError(f"{p}: chain_id: the book says {book.chain_id}, the node reports {w3.eth.chain_id}")
    _has_code(w3, p, "uniswap_v2.factory", book.factory)
    _has_code(w3, p, "uniswap_v2.router02", book.router)
    aave_pool = None
    if book.aave_provider:
        _has_code(w3, p, "aave_v3.pool_addresses_provider", book.aave_provider)
        aave_pool = w3.eth.contract(address=book.aave_provider, abi=PROVIDER_ABI).functions.getPool().call()
        lines.append(f"aave_v3: pool {aave_pool} (from the provider)")
    for s, hub in book.hubs.items():
        _has_code(w3, p, f"hubs.{s}", hub)
    feeds: dict[str, FeedInfo] = {}
    factory = w3.eth.contract(address=book.factory, abi=FACTORY_ABI)
    for s, a in book.assets.items():
        where = f"assets.{s}"
        _has_code(w3, p, f"{where}.token", a.token)
        _has_code(w3, p, f"{where}.feed", a.feed)
        decimals = w3.eth.contract(address=a.token, abi=ERC20_ABI).functions.decimals().call()
        if decimals != a.decimals:
            raise ConfigError(f"{p}: {where}.decimals: the book says {a.decimals}, the token reports {decimals}")
        f = w3.eth.contract(address=a.feed, abi=FEED_ABI).functions
        try:
            info = FeedInfo(f.decimals().call(), f.description().call(), *f.latestRoundData().call()[1::2])
        except Exception as exc:  # noqa: BLE001 - any failure here means "not a Chainlink feed"
            raise ConfigError(f"{p}: {where}.feed: {a.feed} does not answer as a Chainlink feed ({exc})") from exc
        feeds[s] = info
        lines.append(
            f"{s}: token decimals {decimals}; feed '{info.description}' decimals {info.decimals}, "
            f"answer {info.answer / 10**info.decimals:,.6g} at {info.updated_at}"
        )
        if s == book.base:
            continue
        path = book.route_tokens(s)
        for i in range(len(path) - 1):
            pair = factory.functions.getPair(path[i], path[i + 1]).call()
            if pair == ZERO_ADDRESS:
                raise ConfigError(
                    f"{p}: {where}.route: no Uniswap V2 pair between {path[i]} and {path[i + 1]} on this factory"
                )
        if len(path) > 2:
            lines.append(f"{s}: swaps through {' -> '.join([s, *a.route, book.base])}")
    for s, holder in book.holders.items():
        token = w3.eth.contract(address=book.token_of(s), abi=ERC20_ABI).functions
        balance = token.balanceOf(holder).call()
        if balance == 0:
            raise ConfigError(f"{p}: holders.{s}: {holder} holds no {s} on this chain: name another holder")
        lines.append(f"holder of {s}: {holder} ({balance} raw units)")
    return BookCheck(feeds, aave_pool, lines)
