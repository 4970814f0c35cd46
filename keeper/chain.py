"""The keeper's only door to a node (web3.py; no brownie).

Reads: :meth:`ChainClient.snapshot` reads one tick's state, every call pinned to one block number and batched,
and hands it to :func:`keeper.snapshot.build_snapshot` to become the engine's frame; feed history is cached
(rounds never change once published). Reads are retried with backoff and fail over across RPC URLs on node
faults, never on reverts. All ABI encoding and decoding of the keeper lives here.

Writes go through one pipeline: build -> simulate with ``eth_call`` -> estimate gas (x1.1) -> check the fee
against a cap -> sign locally -> send -> await -> confirmations -> replace a stuck transaction with the same
nonce and a fee bump of at least 12.5%, a bounded number of times. A signed transaction
is only ever re-broadcast byte for byte, never re-signed blindly; reverts are decoded into the vault's named errors.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import requests
from eth_abi.abi import decode as decode_abi
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3
from web3.exceptions import (
    BadFunctionCallOutput,
    ContractCustomError,
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.types import TxParams

from keeper.amm import Pool
from keeper.artifacts import abi
from keeper.errors import (
    ConfigError,
    ConfirmationTimeoutError,
    GasPriceTooHighError,
    KeeperError,
    NodeUnreachableError,
    NonceGapError,
    ReorgError,
    SignerError,
    SimulationRevertedError,
    TransactionRevertedError,
    TransactionStuckError,
    describe_revert,
)
from keeper.snapshot import ZERO_ADDRESS, FeedHistory, ReserveConfig, RiskModel, Snapshot, build_snapshot
from keeper.units import BPS

log = logging.getLogger(__name__)

T = TypeVar("T")

MIN_FEE_BUMP = 0.125
"""Nodes replace a pending transaction only when both fees rise by at least 12.5% (geth's and anvil's rule)."""
BATCH_SIZE = 250
SEL_LATEST_ROUND_DATA = function_signature_to_4byte_selector("latestRoundData()").hex()
SEL_GET_ROUND_DATA = function_signature_to_4byte_selector("getRoundData(uint80)").hex()
SEL_TOKEN0 = function_signature_to_4byte_selector("token0()").hex()
SEL_GET_RESERVES = function_signature_to_4byte_selector("getReserves()").hex()
SEL_RESERVE_CONFIG = function_signature_to_4byte_selector("getReserveConfigurationData(address)").hex()
SEL_SYMBOL = function_signature_to_4byte_selector("symbol()").hex()
SEL_PHASE_AGGREGATORS = function_signature_to_4byte_selector("phaseAggregators(uint16)").hex()
SEL_LATEST_ROUND = function_signature_to_4byte_selector("latestRound()").hex()
PHASE_SHIFT = 64
"""A Chainlink proxy's round id is ``phaseId << 64 | aggregatorRoundId``."""
AGGREGATOR_ROUND_MASK = (1 << PHASE_SHIFT) - 1
"""Calls per JSON-RPC batch: large enough to amortize the round trip, small enough for any node's limits."""


# ---------------------------------------------------------------------------------------------------------------
# Data read from the chain
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketBook:
    """Where a vault's market lives besides the vault (from the deployment file): what a snapshot reads."""

    pairs: Mapping[str, str] = field(default_factory=dict)
    """Token address (lowercase) -> its Uniswap V2 pair with the base asset."""
    routes: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """Token address (lowercase) -> the pairs of its swap route toward the base asset, each (pair, the token on
    the asset's side of it): PAXG -> ((PAXG/WETH, PAXG), (WETH/USDC, WETH)). Takes precedence over ``pairs``."""
    implied_vol_feeds: Mapping[str, str] = field(default_factory=dict)
    """Token address (lowercase) -> a feed of its annualized implied volatility (8 decimals)."""
    eth_usd_feed: str | None = None
    """For gas costs in base units."""
    pool_data_provider: str | None = None
    """Aave V3's data provider (loan-to-value, liquidation thresholds) for a levered vault."""
    max_rounds: int = 500
    """Feed rounds of history per asset."""
    priority_fee_wei: int = 0


@dataclass(frozen=True)
class _Head:
    number: int
    timestamp: int
    age_s: float
    base_fee_wei: int
    view: Any
    """The lens's keeperView at ``number``."""


@dataclass(frozen=True)
class _VaultMeta:
    lens: str
    sequencer_feed: str | None
    sequencer_grace_s: int


@dataclass(frozen=True)
class TxOutcome:
    tx_hash: str
    block: int
    gas_used: int
    effective_gas_price: int
    replacements: int


def connect(url: str, *, timeout_s: float = 10.0) -> Web3:
    """An HTTP Web3 tuned for a keeper: chain id cached (not asked before every request), no proxy lookups from
    the environment on every request, and no hidden transport retries (ChainClient retries and fails over itself).
    """
    session = requests.Session()
    session.trust_env = False
    provider = Web3.HTTPProvider(
        url,
        request_kwargs={"timeout": timeout_s},
        session=session,
        exception_retry_configuration=None,
        cache_allowed_requests=True,
    )
    return Web3(provider)


# ---------------------------------------------------------------------------------------------------------------
# Signer
# ---------------------------------------------------------------------------------------------------------------


def load_signer(
    private_key_env: str | None = None, keystore: str | None = None, password_env: str | None = None
) -> LocalAccount:
    """The keeper's key, from an env var holding a hex private key or from an encrypted JSON keystore.

    The key never appears in a message or a log line.
    """
    if keystore:
        path = Path(keystore)
        if not path.is_file():
            raise SignerError(f"keystore {path} not found: point signer.keystore at an encrypted JSON keystore")
        password = os.environ.get(password_env or "")
        if password is None:
            raise SignerError(f"env var {password_env!r} (the keystore password) is not set: export it")
        try:
            key = Account.decrypt(path.read_text(), password)
        except (ValueError, KeyError) as exc:
            raise SignerError(
                f"could not decrypt {path}: wrong password or not a keystore ({type(exc).__name__})"
            ) from None
        account: LocalAccount = Account.from_key(key)
        return account
    if not private_key_env:
        raise SignerError("no signer configured: set signer.private_key_env or signer.keystore")
    raw = os.environ.get(private_key_env)
    if not raw:
        raise SignerError(f"env var {private_key_env} is not set: export the keeper's private key in it")
    try:
        account = Account.from_key(raw.strip())
        return account
    except (ValueError, TypeError):
        raise SignerError(f"env var {private_key_env} does not hold a valid hex private key") from None


# ---------------------------------------------------------------------------------------------------------------
# Revert decoding
# ---------------------------------------------------------------------------------------------------------------


class ErrorDecoder:
    """Maps 4-byte selectors of the ABI's custom errors (and Error(string), Panic(uint256)) to names and args."""

    def __init__(self, *abis: Sequence[dict[str, Any]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str]]] = {
            function_signature_to_4byte_selector("Error(string)"): ("Error", ["string"]),
            function_signature_to_4byte_selector("Panic(uint256)"): ("Panic", ["uint256"]),
        }
        for entries in abis:
            for e in entries:
                if e.get("type") == "error":
                    types = [_abi_type(i) for i in e["inputs"]]
                    selector = function_signature_to_4byte_selector(f"{e['name']}({','.join(types)})")
                    self._errors[selector] = (e["name"], types)

    def decode(self, data: str | bytes | None) -> tuple[str | None, tuple[Any, ...]]:
        if not data:
            return None, ()
        raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data
        entry = self._errors.get(raw[:4])
        if entry is None:
            return None, ()
        name, types = entry
        try:
            return name, tuple(decode_abi(types, raw[4:]))
        except Exception:  # noqa: BLE001 - malformed revert data still has a usable name
            return name, ()


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


# ---------------------------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------------------------


SEL_KEEPER_ROLE = function_signature_to_4byte_selector("KEEPER_ROLE()").hex()
SEL_HAS_ROLE = function_signature_to_4byte_selector("hasRole(bytes32,address)").hex()
SEL_LENS = function_signature_to_4byte_selector("lens()").hex()
SEL_VERSION = function_signature_to_4byte_selector("VERSION()").hex()
SEL_KEEPER_VIEW = function_signature_to_4byte_selector("keeperView(address)").hex()
LENS_VERSION = 1
"""The RiskParityVaultLens.VERSION this keeper decodes (its keeperView layout)."""
DROP_CHECK_S = 0.5
"""How often a pending transaction is looked up; one the node no longer knows is re-broadcast."""
CONFIRMATION_POLL_S = 0.25


@dataclass(frozen=True)
class TxPolicy:
    gas_price_cap_wei: int
    gas_limit_multiplier: float = 1.1
    receipt_timeout_s: float = 30.0
    max_replacements: int = 3
    fee_bump: float = MIN_FEE_BUMP
    priority_fee_wei: int = 10**9
    confirmations: int = 0
    """Blocks on top of the one that includes a transaction before it counts as done (0 = inclusion)."""
    confirmation_timeout_s: float = 600.0
    """How long to wait for those blocks before ConfirmationTimeoutError."""


class ChainClient:
    """Reads and writes for one vault, over one or more RPC URLs (the first that answers is used)."""

    def __init__(
        self,
        rpc_urls: Sequence[str],
        *,
        chain_id: int | None = None,
        timeout_s: float = 10.0,
        read_retries: int = 3,
        backoff_s: float = 0.5,
        signer: LocalAccount | None = None,
        tx_policy: TxPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        private_tx_urls: Sequence[str] = (),
    ) -> None:
        if not rpc_urls:
            raise ConfigError("chain.rpc_urls is empty: give at least one JSON-RPC URL")
        self.urls = list(rpc_urls)
        self.expected_chain_id = chain_id
        self.timeout_s = timeout_s
        self.read_retries = read_retries
        self.backoff_s = backoff_s
        self.signer = signer
        self.tx_policy = tx_policy or TxPolicy(gas_price_cap_wei=200 * 10**9)
        self._sleep = sleep
        self._index = 0
        self._w3 = self._connect(self.urls[0])
        self._history: dict[str, dict[int, tuple[int, int] | None]] = {}
        """feed -> round id -> (answer, updatedAt), None for a round with no data: rounds never change once
        published."""
        self._phase_last: dict[tuple[str, int], int] = {}
        """(feed, closed phase id) -> its last aggregator round (0: no such phase)."""
        self._token0: dict[str, str] = {}
        self._symbols: dict[str, str] = {}
        """token (lower case) -> its ERC-20 symbol, or a short address when it has none."""
        self._contracts: dict[tuple[str, str, int], Any] = {}
        # The vault's errors come from its core, its module, its admin and the interface (libraries' included).
        self.decoder = ErrorDecoder(*(abi(n) for n in VAULT_ABIS))
        self._vault_meta: dict[str, _VaultMeta] = {}
        self.clock: Callable[[], float] = time.time
        """Wall clock for the head block's age (a test can move it)."""
        # Signed transactions go only to these when set (protect-style RPCs); receipts still come from rpc_urls.
        self.private_urls = list(private_tx_urls)
        self._private = [self._connect(u) for u in self.private_urls]
        self._sent: dict[int, bytes] = {}
        """Signed bytes of this run's transactions not yet known to be mined, by nonce."""
        self.rebroadcasts = 0
        """Times a dropped transaction was sent again byte for byte (same hash)."""

    # ------------------------------------------------------------ connection

    def _connect(self, url: str) -> Web3:
        return connect(url, timeout_s=self.timeout_s)

    @property
    def w3(self) -> Web3:
        return self._w3

    @property
    def url(self) -> str:
        return self.urls[self._index]

    def _failover(self) -> None:
        if len(self.urls) > 1:
            self._index = (self._index + 1) % len(self.urls)
            self._w3 = self._connect(self.urls[self._index])
            self._contracts.clear()
            log.warning("rpc failover url=%s", self.url)

    def read(self, fn: Callable[[Web3], T], what: str) -> T:
        """Run a read with retries (exponential backoff) and failover; NodeUnreachableError after the last try.

        A node fault (connection refused, timeout, HTTP 5xx or 429, a JSON-RPC error object such as -32000
        "header not found") moves to the next URL and backs off. A revert or another answer about the chain is
        raised at once: asking another node would give the same answer.
        """
        attempts = self.read_retries * max(1, len(self.urls))
        last: Exception | None = None
        fault: str | None = None
        for attempt in range(attempts):
            try:
                return fn(self._w3)
            except Exception as exc:  # noqa: BLE001 - classified below; answers are re-raised untouched
                fault = node_fault(exc)
                if fault is None:
                    raise
                last = exc
            log.warning(
                "rpc read failed what=%s url=%s attempt=%d fault=%s error=%s",
                what,
                self.url,
                attempt + 1,
                fault,
                type(last).__name__,
            )
            self._failover()
            self._sleep(self.backoff_s * 2 ** (attempt // max(1, len(self.urls))))
        raise NodeUnreachableError(
            f"reading {what} failed {attempts} times on {', '.join(self.urls)} ({describe_fault(fault, last)}): "
            "check the node is running and the URL is right"
        )

    def check_chain(self) -> int:
        chain_id = self.read(lambda w3: w3.eth.chain_id, "chain id")
        if self.expected_chain_id is not None and chain_id != self.expected_chain_id:
            raise ConfigError(
                f"{self.url} is chain {chain_id}, the config says chain.chain_id "
                f"{self.expected_chain_id}: fix the URL or the chain id"
            )
        return chain_id

    def check_vault(self, vault: str, *, keeper: str | None) -> None:
        """Start-up checks on the vault: code at the address, ``keeper`` holds KEEPER_ROLE (skipped when None),
        and a lens of the version this keeper reads. ConfigError or SignerError saying what to fix."""
        vault = Web3.to_checksum_address(vault)
        if not self._code(vault):
            raise ConfigError(
                f"no contract code at vault {vault} on {self.url}: fix chain.vault (or the deployment file's "
                "vault.address), or point chain.rpc_urls at the chain the vault is deployed on"
            )
        if keeper is not None:
            role = self._call_words(vault, SEL_KEEPER_ROLE, "vault KEEPER_ROLE()")[0]
            arg = role.to_bytes(32, "big").hex() + keeper[2:].lower().rjust(64, "0")
            if not self._call_words(vault, SEL_HAS_ROLE + arg, "vault hasRole()")[0]:
                raise SignerError(
                    f"signer {keeper} lacks KEEPER_ROLE on vault {vault}: grant it with "
                    f"vault.grantRole(vault.KEEPER_ROLE(), {keeper}) from the vault's admin (the timelock on a "
                    "real deployment), or fix signer.private_key_env / signer.keystore to the keeper's key"
                )
        lens = Web3.to_checksum_address(
            "0x" + self._call_words(vault, SEL_LENS, "vault lens()")[0].to_bytes(32, "big")[12:].hex()
        )
        if not self._code(lens):
            raise ConfigError(
                f"vault {vault} names lens {lens}, which has no code on {self.url}: deploy the "
                "RiskParityVaultLens of this release and set it on the vault (scripts/deploy_vault.py)"
            )
        try:
            version: int | None = self._call_words(lens, SEL_VERSION, "lens VERSION()")[0]
        except KeeperError:
            version = None
        if version != LENS_VERSION:
            raise ConfigError(
                f"lens {lens} of vault {vault} reports VERSION {version if version is not None else '(none)'}, "
                f"this keeper reads version {LENS_VERSION}: deploy the RiskParityVaultLens of this release "
                "and set it on the vault, or run the keeper release that matches the lens"
            )
        try:
            self._call_words(lens, SEL_KEEPER_VIEW + vault[2:].lower().rjust(64, "0"), "lens keeperView()")
        except KeeperError as exc:
            raise ConfigError(
                f"lens {lens}.keeperView({vault}) failed ({exc}): the lens and the vault do not match; "
                "deploy the lens of this release"
            ) from None

    def _code(self, address: str) -> bytes:
        return bytes(self.read(lambda w3: w3.eth.get_code(Web3.to_checksum_address(address)), "contract code"))

    def _call_words(self, to: str, data: str, what: str) -> list[int]:
        """``eth_call`` at the latest block, the result as 32-byte words; SimulationRevertedError on a revert."""
        call: Any = {"to": Web3.to_checksum_address(to), "data": "0x" + data}
        try:
            raw = bytes(self.read(lambda w3: w3.eth.call(call), what))
        except (ContractLogicError, Web3RPCError) as exc:
            raise self._revert_error(exc, what) from None
        if not raw:
            raise KeeperError(f"{what} at {to} returned nothing: no such function there")
        return [int.from_bytes(raw[i : i + 32], "big") for i in range(0, len(raw), 32)]

    def contract(self, name: str, address: str, w3: Web3 | None = None) -> Any:
        """A web3 contract object, built once per (name, address) and connection (building one parses the ABI)."""
        w3 = w3 or self._w3
        key = (name, address.lower(), id(w3))
        if key not in self._contracts:
            self._contracts[key] = w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi(name))
        return self._contracts[key]

    # ------------------------------------------------------------ reads

    def call(self, name: str, address: str, function: str, *args: Any, sender: str | None = None) -> Any:
        """One function of contract ``name`` (an ABI from :mod:`keeper.artifacts`) at ``address``, called with
        ``eth_call`` at the latest block (from ``sender`` when given, so a transaction can be tried without
        sending it) and decoded; a revert raises SimulationRevertedError with the contract's named error."""

        def go(w3: Web3) -> Any:
            fn = getattr(self.contract(name, address, w3).functions, function)(*args)
            return fn.call({"from": Web3.to_checksum_address(sender)} if sender else {}, "latest")

        try:
            return self.read(go, f"{name}.{function}")
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            raise self._revert_error(exc, f"{name}.{function}") from None

    def calldata(self, name: str, address: str, function: str, *args: Any) -> str:
        """ABI-encoded call of ``function`` on contract ``name`` at ``address`` (for :meth:`send`)."""
        return str(self.contract(name, address).encode_abi(function, args=list(args)))

    def latest_block(self) -> dict[str, Any]:
        return self.read(lambda w3: dict(w3.eth.get_block("latest")), "latest block")

    def _meta(self, vault: str) -> _VaultMeta:
        """The vault's lens and sequencer feed: immutable or governance-set, read once per vault."""
        if vault not in self._vault_meta:

            def go(w3: Web3) -> _VaultMeta:
                c = self.contract("IRiskParityVault", vault, w3)
                feed = c.functions.sequencerUptimeFeed().call()
                grace = c.functions.sequencerGracePeriod().call()
                return _VaultMeta(c.functions.lens().call(), None if feed == ZERO_ADDRESS else feed, int(grace))

            self._vault_meta[vault] = self.read(go, "vault lens and sequencer feed")
        return self._vault_meta[vault]

    def _view_at_head(self, vault: str) -> _Head:
        """The head block (read once) and the lens's keeperView at its number."""
        lens_address = self._meta(vault).lens

        def go(w3: Web3) -> _Head:
            head = w3.eth.get_block("latest")
            number, ts = int(head["number"]), int(head["timestamp"])
            lens = self.contract("RiskParityVaultLens", lens_address, w3)
            view = lens.functions.keeperView(vault).call(block_identifier=number)
            return _Head(number, ts, self.clock() - ts, int(head.get("baseFeePerGas", 0)), view)

        return self.read(go, "vault keeper view")

    def vault_state(self, vault: str) -> Snapshot:
        """The vault alone (no market, no history) at the head block: for checks after a transaction."""
        h = self._view_at_head(vault)
        symbols = self.token_symbols([str(c[0]) for c in h.view[9]], h.number)
        return build_snapshot(h.view, block=h.number, timestamp=h.timestamp, head_age_s=h.age_s, symbols=symbols)

    def token_symbols(self, tokens: Sequence[str], block: int) -> list[str]:
        """Each token's ERC-20 ``symbol()`` (string or bytes32), read once per token and cached; a token that does
        not answer is named by its short address, so a label never fails a tick."""
        unknown = [t for t in dict.fromkeys(t.lower() for t in tokens) if t not in self._symbols]
        if unknown:
            try:
                words = self._eth_calls([(t, SEL_SYMBOL) for t in unknown], True, "token symbols", block)
            except KeeperError as exc:
                log.warning("token symbols unavailable, using addresses: %s", exc)
                words = [[] for _ in unknown]
            for t, w in zip(unknown, words, strict=True):
                self._symbols[t] = _symbol_from_words(w) or short_address(t)
        return [self._symbols[t.lower()] for t in tokens]

    def snapshot(self, vault: str, book: MarketBook) -> Snapshot:
        """Everything one tick decides on, every read pinned to one block number and batched.

        The head block is read first; the lens view, feed rounds, pool reserves, implied vols, lending settings,
        the sequencer feed and the ETH price are then read *at that block number*, so one decision never mixes
        two states of the chain. Feed history rounds are immutable once published and cached across ticks.
        """
        meta = self._meta(vault)
        head = self._view_at_head(vault)
        number, ts, view = head.number, head.timestamp, head.view
        configs = view[9]
        tokens = [str(c[0]) for c in configs]
        feeds = [str(c[1]) for c in configs]
        routes = [(), *(_route_legs(book, t) for t in tokens[1:])]
        pairs = [p for legs in routes for p, _ in legs]
        iv = [book.implied_vol_feeds.get(t.lower()) for t in tokens]
        lending = len(view) >= 21 and view[15] and view[15] != ZERO_ADDRESS and book.pool_data_provider
        calls: list[tuple[str, str]] = [(f, SEL_LATEST_ROUND_DATA) for f in feeds]
        unknown = sorted({p for p in pairs if p not in self._token0})
        calls += [(p, SEL_TOKEN0) for p in unknown]
        calls += [(p, SEL_GET_RESERVES) for p in pairs]
        calls += [(f, SEL_LATEST_ROUND_DATA) for f in iv if f is not None]
        if lending:
            provider = str(book.pool_data_provider)
            calls += [(provider, SEL_RESERVE_CONFIG + bytes.fromhex(t[2:].rjust(64, "0")).hex()) for t in tokens]
        extra = [f for f in (meta.sequencer_feed, book.eth_usd_feed) if f]
        calls += [(f, SEL_LATEST_ROUND_DATA) for f in extra]
        words = iter(self._eth_calls(calls, True, f"market at block {number}", block=number))

        latest = [_signed_word(next(words), 1) for _ in feeds]
        for p in unknown:
            self._token0[p] = "0x" + next(words)[0].to_bytes(32, "big")[12:].hex()
        pools: list[Pool | None] = []
        for legs in routes:
            sides = []
            for pair, asset_side in legs:
                r0, r1 = next(words)[:2]
                sides.append((r0, r1) if self._token0[pair].lower() == asset_side.lower() else (r1, r0))
            pools.append(Pool(*sides[0], then=tuple(sides[1:])) if sides else None)
        implied = [None if f is None else _signed_word(next(words), 1)[1] / 1e8 for f in iv]
        reserves = None
        if lending:
            reserves = [ReserveConfig(w[1] / BPS, w[2] / BPS, bool(w[5])) for w in (next(words) for _ in tokens)]
        sequencer_down = False
        if meta.sequencer_feed:
            _, status, started_at = _signed_word(next(words), 1)[:3]
            sequencer_down = status != 0 or started_at == 0 or ts < started_at + meta.sequencer_grace_s
        eth_answer = None
        if book.eth_usd_feed:
            eth_answer = (_signed_word(next(words), 1)[1], _feed_decimals_of(book.eth_usd_feed, configs))

        histories = self._histories(feeds, [w[0] for w in latest], book.max_rounds, number)
        risk = self.risk_model(vault, number)
        return build_snapshot(
            view,
            symbols=self.token_symbols(tokens, number),
            block=number,
            timestamp=ts,
            head_age_s=head.age_s,
            histories=[histories[f] for f in feeds],
            pools=pools,
            implied_vols=implied,
            reserves=reserves,
            sequencer_down=sequencer_down,
            gas_price_wei=head.base_fee_wei + book.priority_fee_wei,
            eth_answer=eth_answer,
            risk=risk,
        )

    def risk_model(self, vault: str, block: int) -> RiskModel | None:
        """The vault's on-chain risk model and breaker at ``block``; None for a vault that has none (a call to a
        missing function reverts) or whose model governance has not configured (no half-life)."""

        def go(w3: Web3) -> RiskModel | None:
            c = self.contract("IRiskParityVault", vault, w3).functions
            try:
                params = c.riskParams().call(block_identifier=block)
            except (ContractLogicError, BadFunctionCallOutput):
                return None
            interval, half_life, _window, band, _trigger, max_div, min_obs = (int(x) for x in params)
            if half_life == 0:
                return None
            last, observations, active = c.riskState().call(block_identifier=block)
            token, divergence, tripped = c.priceDivergence().call(block_identifier=block)
            return RiskModel(
                active=bool(active),
                observations=int(observations),
                last_poke_at=int(last),
                poke_interval_s=interval,
                band_bps=band,
                covariance=tuple(int(x) for x in c.covariancePerSecond().call(block_identifier=block)),
                breaker_tripped=bool(tripped),
                breaker_token=str(token),
                divergence_bps=int(divergence),
                max_divergence_bps=max_div,
                min_observations=min_obs,
            )

        return self.read(go, "vault risk model")

    def poke_due(self, vault: str) -> bool:
        """Whether a ``poke`` would update the vault's covariance now (its interval has passed)."""

        def go(w3: Web3) -> bool:
            c = self.contract("IRiskParityVault", vault, w3).functions
            try:
                return bool(c.poke().call())
            except (ContractLogicError, BadFunctionCallOutput):
                return False

        return self.read(go, "vault poke")

    def poke_calldata(self, vault: str) -> str:
        return str(self.contract("IRiskParityVault", vault).encode_abi("poke", args=[]))

    def feed_history(
        self, feeds: Sequence[str], max_rounds: int, *, batched: bool = True, block: int | None = None
    ) -> dict[str, FeedHistory]:
        """The newest ``max_rounds`` rounds of each feed at ``block`` (default: latest), oldest first."""
        at = block if block is not None else int(self.latest_block()["number"])
        words = self._eth_calls([(f, SEL_LATEST_ROUND_DATA) for f in feeds], batched, "feeds' latest rounds", at)
        return self._histories(feeds, [w[0] for w in words], max_rounds, at, batched=batched)

    def _histories(
        self, feeds: Sequence[str], latest_ids: Sequence[int], max_rounds: int, block: int, *, batched: bool = True
    ) -> dict[str, FeedHistory]:
        """The newest ``max_rounds`` round ids of each feed, back across phase changes (:meth:`_round_ids`); rounds
        already read are not read again, and a round with no data (the read reverts or ``updatedAt`` is 0, as
        real aggregators answer for rounds they never filled) is left out of the history."""
        ids_of = self._round_ids(feeds, latest_ids, max_rounds, block, batched)
        wanted: list[tuple[str, int]] = []
        for feed in feeds:
            have = self._history.setdefault(feed, {})
            wanted += [(feed, r) for r in ids_of[feed] if r not in have]
        calls = [(f, SEL_GET_ROUND_DATA + r.to_bytes(32, "big").hex()) for f, r in wanted]
        rows = self._eth_calls(calls, batched, "feed rounds", block, tolerate_reverts=True)
        for (feed, r), words in zip(wanted, rows, strict=True):
            row = _signed_word(words, 1) if len(words) >= 4 else None
            self._history[feed][r] = None if row is None or row[3] == 0 else (int(row[1]), int(row[3]))
        out: dict[str, FeedHistory] = {}
        for feed in feeds:
            cache = self._history[feed]
            keep = set(ids_of[feed])
            for r in [r for r in cache if r not in keep]:
                del cache[r]
            ids = [r for r in ids_of[feed] if cache[r] is not None]
            rounds = [cache[r] for r in ids]
            out[feed] = FeedHistory(tuple(ids), tuple(x[0] for x in rounds if x), tuple(x[1] for x in rounds if x))
        return out

    def _round_ids(
        self, feeds: Sequence[str], latest_ids: Sequence[int], max_rounds: int, block: int, batched: bool
    ) -> dict[str, list[int]]:
        """The newest ``max_rounds`` round ids of each feed up to its latest, oldest first.

        Within a phase the aggregator round counts down to 1. Below it, the walk continues in the previous
        phase from that phase's last round: the proxy's ``phaseAggregators(phaseId - 1)`` names the aggregator,
        whose ``latestRound()`` is final once its phase has closed (cached). It stops at a phase the proxy has no
        aggregator for (phase 0 on a real proxy) and on a feed that is not a proxy (the call reverts).
        """
        ids: dict[str, list[int]] = {f: [] for f in feeds}
        frontier = dict(zip(feeds, latest_ids, strict=True))
        while frontier:
            lookups: list[tuple[str, int]] = []
            for feed, top in frontier.items():
                phase, agg = top >> PHASE_SHIFT, top & AGGREGATOR_ROUND_MASK
                take = min(agg, max_rounds - len(ids[feed]))
                ids[feed] += [(phase << PHASE_SHIFT) | a for a in range(agg, agg - take, -1)]
                if len(ids[feed]) < max_rounds and phase > 0:
                    lookups.append((feed, phase - 1))
            self._read_phase_ends([k for k in lookups if k not in self._phase_last], block, batched)
            frontier = {
                f: (p << PHASE_SHIFT) | self._phase_last[(f, p)] for f, p in lookups if self._phase_last[(f, p)]
            }
        return {f: sorted(r) for f, r in ids.items()}

    def _read_phase_ends(self, keys: Sequence[tuple[str, int]], block: int, batched: bool) -> None:
        """``self._phase_last[(feed, phase)]``: the phase's last aggregator round, 0 when there is none."""
        if not keys:
            return
        calls = [(f, SEL_PHASE_AGGREGATORS + p.to_bytes(32, "big").hex()) for f, p in keys]
        words = self._eth_calls(calls, batched, "feeds' phase aggregators", block, tolerate_reverts=True)
        aggregators = ["0x" + w[0].to_bytes(32, "big")[12:].hex() if w else ZERO_ADDRESS for w in words]
        live = [(k, a) for k, a in zip(keys, aggregators, strict=True) if a != ZERO_ADDRESS]
        for k in keys:
            self._phase_last[k] = 0
        lasts = self._eth_calls(
            [(a, SEL_LATEST_ROUND) for _, a in live],
            batched,
            "phase aggregators' last rounds",
            block,
            tolerate_reverts=True,
        )
        for (k, _), w in zip(live, lasts, strict=True):
            self._phase_last[k] = w[0] & AGGREGATOR_ROUND_MASK if w else 0

    def clear_history_cache(self) -> None:
        self._history.clear()
        self._phase_last.clear()

    # Feed and pool reads are hot (every tick, hundreds of rounds on a cold start): they skip web3's contract
    # machinery and go out as raw eth_call requests with precomputed selectors, decoded word by word.

    def _eth_calls(
        self,
        calls: Sequence[tuple[str, str]],
        batched: bool,
        what: str,
        block: int,
        *,
        tolerate_reverts: bool = False,
    ) -> list[list[int]]:
        """``eth_call`` each (to, calldata) at ``block``; each result as a list of 32-byte words. With
        ``tolerate_reverts`` a call that reverts or returns nothing gives an empty list instead of an error."""
        if not calls:
            return []
        tag = hex(block)
        requests_ = [("eth_call", [{"to": to, "data": "0x" + data}, tag]) for to, data in calls]
        raw: list[Any] = []
        if not batched:
            for method, params in requests_:

                def one(w3: Web3, method: str = method, params: list[Any] = params) -> Any:
                    return _faults_raised([w3.provider.make_request(method, params)])[0]  # type: ignore[arg-type]

                raw.append(self.read(one, what))
        else:
            for start in range(0, len(requests_), BATCH_SIZE):

                def batch(w3: Web3, chunk: list[Any] = requests_[start : start + BATCH_SIZE]) -> Any:
                    return _faults_raised(w3.provider.make_batch_request(chunk))  # type: ignore[attr-defined]

                raw += self.read(batch, what)
        out: list[list[int]] = []
        for (to, _), resp in zip(calls, raw, strict=True):
            if "error" in resp or not resp.get("result") or resp["result"] == "0x":
                if tolerate_reverts:
                    out.append([])
                    continue
                raise KeeperError(f"{what}: eth_call to {to} failed: {resp.get('error', 'empty result')}")
            data = bytes.fromhex(resp["result"][2:])
            out.append([int.from_bytes(data[i : i + 32], "big") for i in range(0, len(data), 32)])
        return out

    def rebalance_calldata(
        self,
        vault: str,
        epoch: int,
        deadline: int,
        target_bps: Sequence[int],
        trades: Sequence[tuple[str, str, int, int]],
        actions: Sequence[tuple[int, str, int, bool]] = (),
    ) -> str:
        """ABI-encoded ``rebalance`` (or ``rebalanceWithLending`` when there are lending actions)."""
        c = self.contract("IRiskParityVault", vault)
        params = (epoch, deadline, list(target_bps), list(trades))
        if actions:
            return str(c.encode_abi("rebalanceWithLending", args=[params, list(actions)]))
        return str(c.encode_abi("rebalance", args=[params]))

    def balance_of(self, address: str) -> int:
        return self.read(lambda w3: w3.eth.get_balance(Web3.to_checksum_address(address)), "keeper balance")

    # ------------------------------------------------------------ writes

    def simulate(self, tx: dict[str, Any]) -> None:
        """``eth_call`` the transaction at the latest block; SimulationRevertedError with the decoded error."""
        try:
            self.read(lambda w3: w3.eth.call(cast(TxParams, tx), "latest"), "simulation")
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            raise self._revert_error(exc, "simulation") from None

    def _revert_error(self, exc: Exception, stage: str) -> SimulationRevertedError:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if data is None and isinstance(exc, Web3RPCError):
            data = _rpc_error_data(exc)
        name, args = self.decoder.decode(data if isinstance(data, str | bytes) else None)
        detail = describe_revert(name, args) if name else str(exc)
        return SimulationRevertedError(f"{stage} reverted: {detail}", name, args)

    def send(self, to: str, data: str, *, value: int = 0, dry_run: bool = False) -> TxOutcome | None:
        """Simulate, then (unless ``dry_run``) sign, send and await a transaction; replace it if it gets stuck.

        Raises SimulationRevertedError (simulation or gas estimate reverted, decoded), NonceGapError (the account
        has pending transactions this run did not send), TransactionRevertedError (mined but reverted, decoded
        from a replay), ReorgError (dropped from the chain before ``confirmations`` blocks were on top of it),
        TransactionStuckError, GasPriceTooHighError.
        """
        if self.signer is None:
            raise SignerError("no signer loaded: the keeper cannot send transactions (use dry-run or set a key)")
        sender = self.signer.address
        call = {"from": sender, "to": Web3.to_checksum_address(to), "data": data, "value": value}
        self.simulate(call)
        if dry_run:
            return None
        gas = self._estimate_gas(call)
        gas_limit = int(gas * self.tx_policy.gas_limit_multiplier)
        base_fee = int(self.latest_block().get("baseFeePerGas", 0))
        priority = self.tx_policy.priority_fee_wei
        max_fee = 2 * base_fee + priority
        self._check_cap(max_fee)
        nonce = self._next_nonce(sender)
        chain_id = self.read(lambda w3: w3.eth.chain_id, "chain id")
        hashes: list[str] = []
        for replacement in range(self.tx_policy.max_replacements + 1):
            tx: Any = {
                **call,
                "gas": gas_limit,
                "nonce": nonce,
                "chainId": chain_id,
                "type": 2,
                "maxFeePerGas": max_fee,
                "maxPriorityFeePerGas": priority,
            }
            signed = self.signer.sign_transaction(tx)
            raw = bytes(signed.raw_transaction)
            self._sent[nonce] = raw
            tx_hash = self._broadcast(raw)
            hashes.append(tx_hash)
            log.info(
                "tx sent hash=%s nonce=%d max_fee_gwei=%.3f replacement=%d private=%s",
                tx_hash,
                nonce,
                max_fee / 1e9,
                replacement,
                bool(self.private_urls),
            )
            receipt = self._await_any(hashes, self.tx_policy.receipt_timeout_s, raw)
            if receipt is not None:
                self._sent.pop(nonce, None)
                if receipt["status"] != 1:
                    raise self._mined_revert(receipt, {**call, "gas": gas_limit})
                receipt = self._await_confirmations(receipt)
                return TxOutcome(
                    receipt["transactionHash"].to_0x_hex(),
                    int(receipt["blockNumber"]),
                    int(receipt["gasUsed"]),
                    int(receipt.get("effectiveGasPrice", 0)),
                    replacement,
                )
            bump = 1.0 + max(MIN_FEE_BUMP, self.tx_policy.fee_bump)
            max_fee, priority = int(max_fee * bump) + 1, int(priority * bump) + 1
            self._check_cap(max_fee)
            log.warning("tx stuck hash=%s nonce=%d: replacing with fees +%.1f%%", tx_hash, nonce, (bump - 1) * 100)
        raise TransactionStuckError(
            f"transaction with nonce {nonce} not mined after {self.tx_policy.max_replacements} replacements "
            f"({', '.join(hashes)}): check the node's mempool and the gas price cap"
        )

    def _estimate_gas(self, call: dict[str, Any]) -> int:
        """``eth_estimateGas``; a revert here (the state moved since the simulation) is decoded like one there."""
        try:
            return int(self.read(lambda w3: w3.eth.estimate_gas(cast(TxParams, call)), "gas estimate"))
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            raise self._revert_error(exc, "gas estimate") from None

    def _next_nonce(self, sender: str) -> int:
        """The nonce for a new transaction, refusing when the account has pending transactions it cannot vouch for.

        Sending behind a transaction this run did not sign would either queue the rebalance behind something
        unknown or (after a restart) double a rebalance already in flight, so the keeper stops and says so.
        """
        latest = int(self.read(lambda w3: w3.eth.get_transaction_count(sender, "latest"), "nonce"))  # type: ignore[arg-type]
        pending = int(self.read(lambda w3: w3.eth.get_transaction_count(sender, "pending"), "nonce"))  # type: ignore[arg-type]
        if pending <= latest:
            return latest
        nonces = range(latest, pending)
        ours = [n for n in nonces if n in self._sent]
        if len(ours) == len(nonces):
            for n in ours:
                self._rebroadcast(self._sent[n])
            raise NonceGapError(
                f"account {sender} still has this keeper's transaction(s) with nonce(s) {ours} pending from an "
                "earlier tick: re-broadcast them byte for byte and send nothing new until they are mined; if they "
                "stay pending, raise transactions.gas_price_cap_gwei or replace them by hand"
            )
        raise NonceGapError(
            f"account {sender} has {pending - latest} pending transaction(s) (nonces {latest}..{pending - 1}, "
            f"latest mined nonce count {latest}) that this keeper run did not send: another process uses the key, "
            "or a transaction from before a restart is still in the mempool. Wait until they are mined, or cancel "
            f"them (a 0-value transfer to {sender} itself with the same nonce and a higher fee), then start the "
            "keeper again; it refuses to send behind them"
        )

    def _mined_revert(self, receipt: Any, call: dict[str, Any]) -> TransactionRevertedError:
        """A reverted receipt as an error with its decoded reason, found by replaying the transaction.

        The replay runs on the state after its block (another transaction earlier in the same block, such as a
        second keeper's rebalance or a pause, is the usual cause), then before it; when neither reverts (the
        cause was undone later in the block, as a sandwich's back-run does) the node's call trace is asked.
        """
        tx_hash = receipt["transactionHash"].to_0x_hex()
        block = int(receipt["blockNumber"])
        err: SimulationRevertedError | None = None
        params = cast(TxParams, call)
        for at in (block, block - 1):
            try:
                self.read(partial(_call_at, params=params, block=at), "revert replay")
            except (ContractCustomError, ContractLogicError) as exc:
                err = self._revert_error(exc, f"replay at block {at}")
                break
            except Web3RPCError as exc:
                if _is_revert(exc):
                    err = self._revert_error(exc, f"replay at block {at}")
                    break
                log.warning("revert replay refused block=%d error=%s", at, exc)  # e.g. no state kept that far back
            except KeeperError:
                break
        if err is None or err.error_name is None:
            err = self._traced_revert(tx_hash) or err
        detail = str(err) if err is not None else "the replay did not revert and the node gives no call trace"
        return TransactionRevertedError(
            f"transaction {tx_hash} reverted in block {block}: {detail}",
            tx_hash=tx_hash,
            block=block,
            error_name=err.error_name if err is not None else None,
            args=err.error_args if err is not None else (),
        )

    def _traced_revert(self, tx_hash: str) -> SimulationRevertedError | None:
        try:
            trace = self.read(
                lambda w3: w3.provider.make_request(
                    "debug_traceTransaction",  # type: ignore[arg-type]
                    [tx_hash, {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": True}}],
                ),
                "revert trace",
            )
        except KeeperError:
            return None
        output = (trace.get("result") or {}).get("output") if isinstance(trace, dict) else None
        name, args = self.decoder.decode(output if isinstance(output, str) else None)
        if name is None:
            return None
        return SimulationRevertedError(f"call trace reverted: {describe_revert(name, args)}", name, args)

    def _await_confirmations(self, receipt: Any) -> Any:
        """Wait until ``confirmations`` blocks sit on top of the receipt's block; ReorgError if it leaves the chain.

        A transaction a reorg moves into another block still happened: its confirmations count from there.
        """
        need = self.tx_policy.confirmations
        if need <= 0:
            return receipt
        tx_hash = receipt["transactionHash"].to_0x_hex()
        deadline = time.monotonic() + self.tx_policy.confirmation_timeout_s
        while True:
            head = int(self.read(lambda w3: w3.eth.block_number, "block number"))
            current = self.read(lambda w3: _receipt_or_none(w3, tx_hash), "receipt")
            number = int(receipt["blockNumber"])
            if current is None:
                raise ReorgError(
                    f"transaction {tx_hash}, mined in block {number} ({receipt['blockHash'].to_0x_hex()}), is no "
                    f"longer in the chain (head {head}): a reorg dropped it before {need} confirmations, so the "
                    "rebalance did not happen; the next tick re-reads the vault",
                    tx_hash=tx_hash,
                    block=number,
                )
            canonical = self.read(partial(_block, number=int(current["blockNumber"])), "block")
            if canonical is None or canonical["hash"] != current["blockHash"]:
                raise ReorgError(
                    f"transaction {tx_hash}, mined in block {number}, is in block {current['blockNumber']} "
                    f"({current['blockHash'].to_0x_hex()}), which is no longer canonical (head {head}): a reorg "
                    f"replaced it before {need} confirmations; "
                    "the next tick re-reads the vault",
                    tx_hash=tx_hash,
                    block=int(current["blockNumber"]),
                )
            if current["blockHash"] != receipt["blockHash"]:
                log.warning(
                    "tx reorged hash=%s from_block=%d to_block=%d", tx_hash, number, int(current["blockNumber"])
                )
                receipt = current
            if head >= int(receipt["blockNumber"]) + need:
                return receipt
            if time.monotonic() >= deadline:
                raise ConfirmationTimeoutError(
                    f"transaction {tx_hash} mined in block {receipt['blockNumber']} but the head is still {head} "
                    f"after {self.tx_policy.confirmation_timeout_s:.0f}s ({need} confirmations wanted): check "
                    "that the node follows the chain, or lower transactions.confirmations"
                )
            self._sleep(CONFIRMATION_POLL_S)

    def _check_cap(self, max_fee: int) -> None:
        if max_fee > self.tx_policy.gas_price_cap_wei:
            raise GasPriceTooHighError(
                f"fee {max_fee / 1e9:.2f} gwei is above the cap {self.tx_policy.gas_price_cap_wei / 1e9:.2f} gwei: "
                "waiting for cheaper gas (raise transactions.gas_price_cap_gwei to pay more)"
            )

    def _broadcast(self, raw: bytes) -> str:
        """Send signed bytes; on a node fault the same bytes go to the next URL (same hash, no re-signing).

        With ``private_tx_urls`` the bytes go only to those endpoints, in order, and never to the public
        ``rpc_urls``: a rebalance seen in the public mempool can be sandwiched.
        """
        if not self.private_urls:
            return self.read(lambda w3: _send_raw(w3, raw), "transaction broadcast")
        errors: list[str] = []
        for url, w3 in zip(self.private_urls, self._private, strict=True):
            try:
                return _send_raw(w3, raw)
            except Exception as exc:  # noqa: BLE001 - classified: a node fault moves on, an answer is raised
                if node_fault(exc) is None:
                    raise
                errors.append(f"{url}: {type(exc).__name__}")
                log.warning("private tx endpoint failed url=%s error=%s", url, type(exc).__name__)
        raise NodeUnreachableError(
            f"no private transaction endpoint took the transaction ({'; '.join(errors)}); it was NOT sent to the "
            "public mempool: check chain.private_tx_urls, or remove them to send publicly"
        )

    def _rebroadcast(self, raw: bytes) -> None:
        """Send the same signed bytes again (the node dropped them); an answer that it is known or already mined
        is fine: the receipt will show which."""
        self.rebroadcasts += 1
        try:
            tx_hash = self._broadcast(raw)
        except Web3RPCError as exc:
            log.warning("tx re-broadcast answered error=%s", exc)
            return
        log.warning("tx dropped by the node, re-broadcast byte for byte hash=%s", tx_hash)

    def _known(self, tx_hash: str) -> bool:
        """Whether the node the transaction was sent to still has it (in its mempool or in a block)."""

        def go(w3: Web3) -> bool:
            try:
                return w3.eth.get_transaction(cast(HexStr, tx_hash)) is not None
            except TransactionNotFound:
                return False

        if self.private_urls:
            try:
                return go(self._private[0])
            except Exception as exc:  # noqa: BLE001 - a private endpoint that cannot say is not a drop
                if node_fault(exc) is None and not isinstance(exc, Web3RPCError):
                    raise
                return True
        return self.read(go, "transaction lookup")

    def _await_any(self, hashes: Sequence[str], timeout_s: float, raw: bytes | None = None) -> Any | None:
        """The first receipt of ``hashes``; None after ``timeout_s``. When the node drops the newest of them
        (``raw``'s hash) from its mempool, the same bytes are sent again, never a new signature."""
        deadline = time.monotonic() + timeout_s
        next_drop_check = time.monotonic() + DROP_CHECK_S
        while True:
            for h in hashes:
                receipt = self.read(partial(_receipt_or_none, tx_hash=h), "receipt")
                if receipt is not None:
                    return receipt
            now = time.monotonic()
            if raw is not None and now >= next_drop_check:
                next_drop_check = now + DROP_CHECK_S
                if not self._known(hashes[-1]):
                    self._rebroadcast(raw)
                    continue
            if now >= deadline:
                return None
            self._sleep(min(0.02, max(0.0, deadline - time.monotonic())))


def short_address(address: str) -> str:
    """``0x1234…abcd``: an address short enough for a table, long enough to find."""
    a = Web3.to_checksum_address(address)
    return f"{a[:6]}…{a[-4:]}"


def _symbol_from_words(words: list[int]) -> str | None:
    """An ABI-encoded ``string`` (offset, length, data) or a right-padded ``bytes32`` symbol; None if neither."""
    raw = b"".join(w.to_bytes(32, "big") for w in words)
    text: bytes
    if len(words) >= 3 and words[0] == 32 and 0 < words[1] <= 32 * (len(words) - 2):
        text = raw[64 : 64 + words[1]]
    elif len(words) == 1:
        text = raw.rstrip(b"\0")
    else:
        return None
    try:
        symbol = text.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return symbol if symbol and symbol.isprintable() and len(symbol) <= 32 else None


def _route_legs(book: MarketBook, token: str) -> tuple[tuple[str, str], ...]:
    """The (pair, asset-side token) legs a snapshot reads for ``token``: its route, else its direct pair."""
    route = book.routes.get(token.lower())
    if route:
        return tuple(route)
    pair = book.pairs.get(token.lower())
    return ((pair, token),) if pair else ()


def _signed_word(words: list[int], index: int) -> list[int]:
    """Reinterpret one ABI word as int256 (a feed's answer can be negative)."""
    if words[index] >= 2**255:
        words[index] -= 2**256
    return words


def _receipt_or_none(w3: Web3, tx_hash: str) -> Any | None:
    try:
        return w3.eth.get_transaction_receipt(cast(HexStr, tx_hash))
    except TransactionNotFound:
        return None


def _call_at(w3: Web3, *, params: TxParams, block: int) -> bytes:
    return bytes(w3.eth.call(params, block))


def _block(w3: Web3, *, number: int) -> Any:
    return w3.eth.get_block(number)


def _rpc_error_data(exc: Web3RPCError) -> str | None:
    rpc = getattr(exc, "rpc_response", None) or {}
    err = rpc.get("error") if isinstance(rpc, dict) else None
    data = err.get("data") if isinstance(err, dict) else None
    if isinstance(data, dict):  # Ganache nests it
        data = data.get("data") or data.get("result")
    return data if isinstance(data, str) else None


TRANSPORT_ERRORS = frozenset(
    {
        "ConnectionError",
        "ConnectTimeout",
        "ReadTimeout",
        "Timeout",
        "ClientConnectorError",
        "ProviderConnectionError",
        "RemoteDisconnected",
        "ChunkedEncodingError",
    }
)
TX_POOL_ANSWERS = (
    "nonce too low",
    "nonce too high",
    "already known",
    "known transaction",
    "replacement transaction underpriced",
    "transaction underpriced",
    "insufficient funds",
    "intrinsic gas too low",
    "exceeds block gas limit",
    "max fee per gas less than block base fee",
    "invalid sender",
)
"""Messages of JSON-RPC errors that are the node's verdict on a transaction, not a fault of the node."""


def node_fault(exc: BaseException) -> str | None:
    """Why ``exc`` is a fault of the node or the way to it (so another URL may do better), or None when it is an
    answer about the chain (a revert, an unknown transaction, a refused nonce) that any node would give."""
    if isinstance(exc, ContractLogicError | TransactionNotFound):
        return None
    for e in _chain(exc):
        if isinstance(e, requests.HTTPError):
            status = e.response.status_code if e.response is not None else None
            return "rate_limited" if status == 429 else f"http_{status}"
        name = type(e).__name__
        if name in TRANSPORT_ERRORS or isinstance(e, TimeoutError | TimeExhausted):
            return "timeout" if "Timeout" in name or isinstance(e, TimeoutError) else "transport"
    if isinstance(exc, OSError):
        return "transport"
    if isinstance(exc, Web3RPCError):
        rpc: dict[str, Any] = dict(exc.rpc_response) if isinstance(exc.rpc_response, dict) else {}
        err: dict[str, Any] = rpc["error"] if isinstance(rpc.get("error"), dict) else {}
        code = err.get("code")
        message = str(err.get("message") or exc).lower()
        if _is_revert(exc):
            return None
        if code in (-32601, -32602):  # method not found, invalid params: the request, not the node, is at fault
            return None
        if any(answer in message for answer in TX_POOL_ANSWERS):
            return None
        return f"rpc_error_{code}"
    return None


def describe_fault(fault: str | None, exc: BaseException | None) -> str:
    """A few words on a node fault for a person (the exception's repr nests three libraries' messages)."""
    text = " ".join(str(e) for e in _chain(exc)) if exc is not None else ""
    if "Connection refused" in text:
        return "connection refused: nothing listens there"
    if any(s in text for s in ("Name or service not known", "nodename nor servname", "Failed to resolve")):
        return "unknown host name"
    if fault == "timeout":
        return "no answer within the request timeout"
    if fault == "rate_limited":
        return "HTTP 429: rate limited"
    if fault and fault.startswith("http_"):
        return f"HTTP {fault[5:]}"
    if fault and fault.startswith("rpc_error_") and exc is not None:
        return f"JSON-RPC error {fault[10:]}: {' '.join(str(exc).split())[:120]}"
    return type(exc).__name__ if exc is not None else "no answer"


def _faults_raised(responses: Any) -> list[Any]:
    """Raw JSON-RPC responses, unless one holds an error object that is a node fault (-32000 "header not found",
    rate limits...): then that error is raised, so :meth:`ChainClient.read` fails over as for a single request.
    A batch the node refused as a whole (one error object instead of a list) is a fault too."""
    if isinstance(responses, dict):  # the node answered the whole batch with one object
        raise Web3RPCError(str(responses.get("error", responses)), rpc_response=responses)  # type: ignore[arg-type]
    for resp in responses:
        if isinstance(resp, dict) and isinstance(resp.get("error"), dict):
            exc = Web3RPCError(str(resp["error"].get("message", resp["error"])), rpc_response=resp)  # type: ignore[arg-type]
            if node_fault(exc) is not None:
                raise exc
    return list(responses)


def _is_revert(exc: Web3RPCError) -> bool:
    rpc: dict[str, Any] = dict(exc.rpc_response) if isinstance(exc.rpc_response, dict) else {}
    err: dict[str, Any] = rpc["error"] if isinstance(rpc.get("error"), dict) else {}
    message = str(err.get("message") or exc).lower()
    return err.get("code") == 3 or "revert" in message or _rpc_error_data(exc) is not None


def _send_raw(w3: Web3, raw: bytes) -> str:
    try:
        return w3.eth.send_raw_transaction(raw).to_0x_hex()
    except Web3RPCError as exc:
        message = str(exc).lower()
        if "already known" in message or "known transaction" in message:
            return Web3.keccak(raw).to_0x_hex()
        raise


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        out.append(cur)
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return out


def _feed_decimals_of(feed: str, configs: Sequence[Any]) -> int:
    """A feed's decimals when the registry lists it, else 8 (every ETH/USD feed Chainlink runs has 8)."""
    return next((int(c[4]) for c in configs if str(c[1]).lower() == feed.lower()), 8)


VAULT_ABIS = ("RiskParityVault", "RiskParityVaultModule", "RiskParityVaultAdmin", "IRiskParityVault")


__all__ = [
    "ChainClient",
    "ErrorDecoder",
    "KeeperError",
    "MarketBook",
    "TxOutcome",
    "TxPolicy",
    "load_signer",
]
