"""The keeper's only door to a node (web3.py; no brownie).

Reads are retried with backoff and fail over across RPC URLs; feed history comes in JSON-RPC batches and is
cached (rounds never change once published). Writes go through one pipeline: build -> simulate with ``eth_call``
-> estimate gas (x1.1) -> check the fee against a cap -> sign locally -> send -> await -> replace a stuck
transaction with the same nonce and a fee bump of at least 12.5%, a bounded number of times. A signed transaction
is only ever re-broadcast byte for byte, never re-signed blindly; reverts are decoded into the vault's named errors.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import eth_abi
import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3RPCError

from keeper.amm import Pool
from keeper.artifacts import abi
from keeper.errors import (
    ConfigError,
    GasPriceTooHighError,
    KeeperError,
    NodeUnreachableError,
    SignerError,
    SimulationRevertedError,
    TransactionRevertedError,
    TransactionStuckError,
)
from keeper.snapshot import ZERO_ADDRESS, FeedHistory, ReserveConfig, Snapshot, build_snapshot
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
"""Calls per JSON-RPC batch: large enough to amortize the round trip, small enough for any node's limits."""


# ---------------------------------------------------------------------------------------------------------------
# Data read from the chain
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketBook:
    """Where a vault's market lives besides the vault (from the deployment file): what a snapshot reads."""

    pairs: Mapping[str, str] = field(default_factory=dict)
    """Token address (lowercase) -> its Uniswap V2 pair with the base asset."""
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
        return Account.from_key(key)
    if not private_key_env:
        raise SignerError("no signer configured: set signer.private_key_env or signer.keystore")
    raw = os.environ.get(private_key_env)
    if not raw:
        raise SignerError(f"env var {private_key_env} is not set: export the keeper's private key in it")
    try:
        return Account.from_key(raw.strip())
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

    def decode(self, data: str | bytes | None) -> tuple[str | None, tuple]:
        if not data:
            return None, ()
        raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data
        entry = self._errors.get(raw[:4])
        if entry is None:
            return None, ()
        name, types = entry
        try:
            return name, tuple(eth_abi.decode(types, raw[4:]))
        except Exception:  # noqa: BLE001 - malformed revert data still has a usable name
            return name, ()


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


# ---------------------------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TxPolicy:
    gas_price_cap_wei: int
    gas_limit_multiplier: float = 1.1
    receipt_timeout_s: float = 30.0
    max_replacements: int = 3
    fee_bump: float = MIN_FEE_BUMP
    priority_fee_wei: int = 10**9


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
        self._history: dict[str, dict[int, tuple[int, int]]] = {}
        """feed -> round id -> (answer, updatedAt): rounds never change once published."""
        self._token0: dict[str, str] = {}
        self._contracts: dict[tuple[str, str, int], Any] = {}
        # The vault's errors come from its core, its module, its admin and the interface (libraries' included).
        self.decoder = ErrorDecoder(*(abi(n) for n in VAULT_ABIS))
        self._vault_meta: dict[str, _VaultMeta] = {}
        self.clock: Callable[[], float] = time.time
        """Wall clock for the head block's age (a test can move it)."""

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
        """Run a read with retries (exponential backoff) and failover; NodeUnreachableError after the last try."""
        attempts = self.read_retries * max(1, len(self.urls))
        last: Exception | None = None
        for attempt in range(attempts):
            try:
                return fn(self._w3)
            except (OSError, TimeoutError, TimeExhausted) as exc:
                last = exc
            except Exception as exc:  # requests' ConnectionError, aiohttp errors, web3 transport errors
                if not _is_transport_error(exc):
                    raise
                last = exc
            log.warning(
                "rpc read failed what=%s url=%s attempt=%d error=%s", what, self.url, attempt + 1, type(last).__name__
            )
            self._failover()
            self._sleep(self.backoff_s * 2 ** (attempt // max(1, len(self.urls))))
        raise NodeUnreachableError(
            f"reading {what} failed {attempts} times on {', '.join(self.urls)} ({last!r}): check the node(s)"
        )

    def check_chain(self) -> int:
        chain_id = self.read(lambda w3: w3.eth.chain_id, "chain id")
        if self.expected_chain_id is not None and chain_id != self.expected_chain_id:
            raise ConfigError(
                f"{self.url} is chain {chain_id}, the config says chain.chain_id "
                f"{self.expected_chain_id}: fix the URL or the chain id"
            )
        return chain_id

    def contract(self, name: str, address: str, w3: Web3 | None = None) -> Any:
        """A web3 contract object, built once per (name, address) and connection (building one parses the ABI)."""
        w3 = w3 or self._w3
        key = (name, address.lower(), id(w3))
        if key not in self._contracts:
            self._contracts[key] = w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi(name))
        return self._contracts[key]

    # ------------------------------------------------------------ reads

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

    def _view_at_head(self, vault: str) -> tuple[int, int, float, Any]:
        """(block number, its timestamp, head age, the lens's keeperView at that block)."""
        lens_address = self._meta(vault).lens

        def go(w3: Web3) -> tuple[int, int, float, Any]:
            head = w3.eth.get_block("latest")
            number, ts = int(head["number"]), int(head["timestamp"])
            lens = self.contract("RiskParityVaultLens", lens_address, w3)
            view = lens.functions.keeperView(vault).call(block_identifier=number)
            return number, ts, self.clock() - ts, view

        return self.read(go, "vault keeper view")

    def vault_state(self, vault: str) -> Snapshot:
        """The vault alone (no market, no history) at the head block: for checks after a transaction."""
        number, ts, age, view = self._view_at_head(vault)
        return build_snapshot(view, block=number, timestamp=ts, head_age_s=age)

    def snapshot(self, vault: str, book: MarketBook) -> Snapshot:
        """Everything one tick decides on, every read pinned to one block number and batched.

        The head block is read first; the lens view, feed rounds, pool reserves, implied vols, lending settings,
        the sequencer feed and the ETH price are then read *at that block number*, so one decision never mixes
        two states of the chain. Feed history rounds are immutable once published and cached across ticks.
        """
        meta = self._meta(vault)
        number, ts, age, view = self._view_at_head(vault)
        configs = view[9]
        tokens = [str(c[0]) for c in configs]
        feeds = [str(c[1]) for c in configs]
        pairs: list[str | None] = [None, *(book.pairs.get(t.lower()) for t in tokens[1:])]
        iv = [book.implied_vol_feeds.get(t.lower()) for t in tokens]
        lending = len(view) >= 21 and view[15] and view[15] != ZERO_ADDRESS and book.pool_data_provider
        calls: list[tuple[str, str]] = [(f, SEL_LATEST_ROUND_DATA) for f in feeds]
        unknown = sorted({p for p in pairs if p is not None and p not in self._token0})
        calls += [(p, SEL_TOKEN0) for p in unknown]
        calls += [(p, SEL_GET_RESERVES) for p in pairs if p is not None]
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
        for t, pair in zip(tokens, pairs, strict=True):
            if pair is None:
                pools.append(None)
                continue
            r0, r1 = next(words)[:2]
            pools.append(Pool(r0, r1) if self._token0[pair].lower() == t.lower() else Pool(r1, r0))
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
        base_fee = int(self.read(lambda w3: w3.eth.get_block(number), "block").get("baseFeePerGas", 0))
        return build_snapshot(
            view,
            block=number,
            timestamp=ts,
            head_age_s=age,
            histories=[histories[f] for f in feeds],
            pools=pools,
            implied_vols=implied,
            reserves=reserves,
            sequencer_down=sequencer_down,
            gas_price_wei=base_fee + book.priority_fee_wei,
            eth_answer=eth_answer,
        )

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
        """Rounds (latest_id - max_rounds, latest_id] of each feed; rounds already read are not read again."""
        wanted: list[tuple[str, int]] = []
        for feed, last_id in zip(feeds, latest_ids, strict=True):
            have = self._history.setdefault(feed, {})
            wanted += [(feed, r) for r in range(max(1, last_id - max_rounds + 1), last_id + 1) if r not in have]
        calls = [(f, SEL_GET_ROUND_DATA + r.to_bytes(32, "big").hex()) for f, r in wanted]
        rows = [_signed_word(w, 1) for w in self._eth_calls(calls, batched, "feed rounds", block)]
        for (feed, _), row in zip(wanted, rows, strict=True):
            self._history[feed][int(row[0])] = (int(row[1]), int(row[3]))
        out: dict[str, FeedHistory] = {}
        for feed, last_id in zip(feeds, latest_ids, strict=True):
            cache = self._history[feed]
            for r in [r for r in cache if r <= last_id - max_rounds]:
                del cache[r]
            ids = sorted(r for r in cache if r <= last_id)
            out[feed] = FeedHistory(tuple(ids), tuple(cache[r][0] for r in ids), tuple(cache[r][1] for r in ids))
        return out

    def clear_history_cache(self) -> None:
        self._history.clear()

    # Feed and pool reads are hot (every tick, hundreds of rounds on a cold start): they skip web3's contract
    # machinery and go out as raw eth_call requests with precomputed selectors, decoded word by word.

    def _eth_calls(self, calls: Sequence[tuple[str, str]], batched: bool, what: str, block: int) -> list[list[int]]:
        """``eth_call`` each (to, calldata) at ``block``; each result as a list of 32-byte words."""
        if not calls:
            return []
        tag = hex(block)
        requests_ = [("eth_call", [{"to": to, "data": "0x" + data}, tag]) for to, data in calls]
        raw: list[Any] = []
        if not batched:
            for method, params in requests_:

                def one(w3: Web3, method: str = method, params: list[Any] = params) -> Any:
                    return w3.provider.make_request(method, params)  # type: ignore[arg-type]

                raw.append(self.read(one, what))
        else:
            for start in range(0, len(requests_), BATCH_SIZE):

                def batch(w3: Web3, chunk: list[Any] = requests_[start : start + BATCH_SIZE]) -> Any:
                    return w3.provider.make_batch_request(chunk)  # type: ignore[attr-defined]

                raw += self.read(batch, what)
        out = []
        for (to, _), resp in zip(calls, raw, strict=True):
            if "error" in resp or not resp.get("result") or resp["result"] == "0x":
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
            self.read(lambda w3: w3.eth.call(tx, "latest"), "simulation")
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            raise self._revert_error(exc, "simulation") from None

    def _revert_error(self, exc: Exception, stage: str) -> SimulationRevertedError:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if data is None and isinstance(exc, Web3RPCError):
            data = _rpc_error_data(exc)
        name, args = self.decoder.decode(data if isinstance(data, str | bytes) else None)
        detail = f"{name}{args}" if name else str(exc)
        return SimulationRevertedError(f"{stage} reverted: {detail}", name, args)

    def send(self, to: str, data: str, *, value: int = 0, dry_run: bool = False) -> TxOutcome | None:
        """Simulate, then (unless ``dry_run``) sign, send and await a transaction; replace it if it gets stuck."""
        if self.signer is None:
            raise SignerError("no signer loaded: the keeper cannot send transactions (use dry-run or set a key)")
        sender = self.signer.address
        call = {"from": sender, "to": Web3.to_checksum_address(to), "data": data, "value": value}
        self.simulate(call)
        if dry_run:
            return None
        gas = self.read(lambda w3: w3.eth.estimate_gas(call), "gas estimate")
        gas_limit = int(gas * self.tx_policy.gas_limit_multiplier)
        base_fee = int(self.latest_block().get("baseFeePerGas", 0))
        priority = self.tx_policy.priority_fee_wei
        max_fee = 2 * base_fee + priority
        self._check_cap(max_fee)
        nonce = self.read(lambda w3: w3.eth.get_transaction_count(sender, "pending"), "nonce")
        chain_id = self.read(lambda w3: w3.eth.chain_id, "chain id")
        hashes: list[str] = []
        for replacement in range(self.tx_policy.max_replacements + 1):
            tx = {
                **call,
                "gas": gas_limit,
                "nonce": nonce,
                "chainId": chain_id,
                "type": 2,
                "maxFeePerGas": max_fee,
                "maxPriorityFeePerGas": priority,
            }
            signed = self.signer.sign_transaction(tx)
            tx_hash = self._broadcast(signed.raw_transaction)
            hashes.append(tx_hash)
            log.info(
                "tx sent hash=%s nonce=%d max_fee_gwei=%.3f replacement=%d", tx_hash, nonce, max_fee / 1e9, replacement
            )
            receipt = self._await_any(hashes, self.tx_policy.receipt_timeout_s)
            if receipt is not None:
                if receipt["status"] != 1:
                    raise TransactionRevertedError(
                        f"transaction {receipt['transactionHash'].to_0x_hex()} reverted "
                        f"in block {receipt['blockNumber']}"
                    )
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

    def _check_cap(self, max_fee: int) -> None:
        if max_fee > self.tx_policy.gas_price_cap_wei:
            raise GasPriceTooHighError(
                f"fee {max_fee / 1e9:.2f} gwei is above the cap {self.tx_policy.gas_price_cap_wei / 1e9:.2f} gwei: "
                "waiting for cheaper gas (raise transactions.gas_price_cap_gwei to pay more)"
            )

    def _broadcast(self, raw: bytes) -> str:
        """Send signed bytes; on a transport error the same bytes go to the next URL (same hash, no re-signing)."""

        def go(w3: Web3) -> str:
            try:
                return w3.eth.send_raw_transaction(raw).to_0x_hex()
            except Web3RPCError as exc:
                if "already known" in str(exc).lower():
                    return Web3.keccak(raw).to_0x_hex()
                raise

        return self.read(go, "transaction broadcast")

    def _await_any(self, hashes: Sequence[str], timeout_s: float) -> Any | None:
        deadline = time.monotonic() + timeout_s
        while True:
            for h in hashes:
                receipt = self.read(lambda w3, h=h: _receipt_or_none(w3, h), "receipt")
                if receipt is not None:
                    return receipt
            if time.monotonic() >= deadline:
                return None
            self._sleep(min(0.02, max(0.0, deadline - time.monotonic())))


def _signed_word(words: list[int], index: int) -> list[int]:
    """Reinterpret one ABI word as int256 (a feed's answer can be negative)."""
    if words[index] >= 2**255:
        words[index] -= 2**256
    return words


def _receipt_or_none(w3: Web3, tx_hash: str) -> Any | None:
    from web3.exceptions import TransactionNotFound

    try:
        return w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None


def _rpc_error_data(exc: Web3RPCError) -> str | None:
    rpc = getattr(exc, "rpc_response", None) or {}
    err = rpc.get("error") if isinstance(rpc, dict) else None
    data = err.get("data") if isinstance(err, dict) else None
    if isinstance(data, dict):  # Ganache nests it
        data = data.get("data") or data.get("result")
    return data if isinstance(data, str) else None


def _is_transport_error(exc: Exception) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    return bool(
        names
        & {
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
