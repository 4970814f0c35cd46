"""Fixtures for the keeper service against the world on anvil: a vault with depositors and an hour-by-hour
feed history, the keeper's key, a factory for keeper configs with a fresh journal, and a JSON-RPC proxy that
misbehaves on purpose (or stands in for a private transaction endpoint)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from brownie import accounts, web3  # type: ignore[attr-defined]
from eth_account import Account

from devworld.devnet import MNEMONIC
from devworld.sim.runner import MarketSimulator
from keeper.config import KeeperConfig, parse_keeper_config
from keeper.deployments import save_deployment
from scripts.deploy_vault import deploy_vault, load_vault_config

WARMUP_HOURS = 36
DEPOSIT_USDC = 1_000_000


def _key_of(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


@pytest.fixture(scope="session")
def key_of():
    """The private key of development account ``index`` (the chains' shared mnemonic)."""
    return _key_of


@pytest.fixture(scope="module")
def vault_env(world, deployer, gov, alice, tmp_path_factory):
    """World + vault (a plain account as governance) + one deposit + WARMUP_HOURS of market history."""
    deployed = deploy_vault(world, deployer, load_vault_config(), governance=gov)
    vault = deployed.vault
    directory = tmp_path_factory.mktemp("deployments")
    dep = replace(world.deployment, extra={"vault": {"address": vault.address}})
    path = save_deployment(dep, directory)
    world.fund("USDC", alice, DEPOSIT_USDC * 10**6)
    world.base.approve(vault, 2**256 - 1, {"from": alice})
    vault.deposit(DEPOSIT_USDC * 10**6, alice, {"from": alice})
    sim = MarketSimulator(web3, dep, world.cfg, seed=5, reporter=deployer.address, arbitrageur=accounts[9].address)
    sim.run(WARMUP_HOURS)
    return {"vault": vault, "deployment": dep, "deployment_path": str(path), "sim": sim, "world": world}


@pytest.fixture
def deployment_path(vault_env) -> str:
    """The deployment file the keeper reads; a module with its own vault overrides this fixture."""
    return vault_env["deployment_path"]


@pytest.fixture
def keeper_config(deployment_path, tmp_path, monkeypatch):
    """Factory: a validated KeeperConfig for the local vault; keyword overrides per section."""
    monkeypatch.setenv("KEEPER_PRIVATE_KEY", _key_of(3))

    def make(*, rpc_urls: list[str] | None = None, **sections: dict[str, Any]) -> KeeperConfig:
        raw: dict[str, Any] = {
            "chain": {
                "rpc_urls": rpc_urls or [web3.provider.endpoint_uri],
                "chain_id": 1337,
                "deployment": deployment_path,
                "read_retries": 2,
                "retry_backoff_s": 0.05,
                # fn_isolation reverts to module snapshots whose heads are minutes old: the stale-head test
                # turns the check on itself.
                "max_head_age_s": 0,
            },
            "policy": {"cooldown_s": 3600},
            "schedule": {"interval_s": 1, "max_consecutive_failures": 2},
            # anvil mines only when a transaction arrives: no block would ever land on top of a rebalance.
            "transactions": {"receipt_timeout_s": 10, "confirmations": 0},
            "journal": str(tmp_path / "journal.sqlite"),
        }
        for name, values in sections.items():
            raw.setdefault(name, {}).update(values)
        return parse_keeper_config(raw, "test-keeper.yaml")

    return make


@pytest.fixture(autouse=True)
def only_on_anvil():
    """Skip off anvil; on anvil, leave no pending transaction and automine on for the next test (a chain snapshot
    revert keeps the mempool, so a transaction a test left pending would be mined into the next test)."""
    if not web3.client_version.lower().startswith("anvil"):
        pytest.skip("keeper service tests drive anvil-specific RPCs (automine, mempool)")
    yield
    web3.provider.make_request("anvil_dropAllTransactions", [])
    web3.provider.make_request("evm_setAutomine", [True])


# ---------------------------------------------------------------------------------------------------------------
# A JSON-RPC proxy that misbehaves on purpose, and the mempool as a watcher sees it
# ---------------------------------------------------------------------------------------------------------------

FAULTS = ("http_502", "http_429", "rpc_error", "rpc_error_in_batch", "timeout")


class RpcProxy:
    """A JSON-RPC proxy in front of a node, on a free local port. It logs every method it is asked and can
    misbehave on purpose (``fault``); as a private "builder" endpoint (``builder=True``) it takes a raw
    transaction, hands it to the node and mines it in one step, under a lock shared with the public proxy, so no
    request through the public proxy ever sees it pending."""

    def __init__(
        self,
        upstream: str,
        *,
        fault: str | None = None,
        delay_s: float = 3.0,
        builder: bool = False,
        lock: threading.Lock | None = None,
    ) -> None:
        self.upstream = upstream
        self.fault = fault
        self.delay_s = delay_s
        self.builder = builder
        self.lock = lock or threading.Lock()
        self.methods: list[str] = []
        self._session = requests.Session()
        self._session.trust_env = False
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, payload = proxy.handle(json.loads(body))
                out = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout fault)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, method: str) -> int:
        return self.methods.count(method)

    def _forward(self, request: Any) -> Any:
        return self._session.post(self.upstream, json=request, timeout=30).json()

    def handle(self, request: Any) -> tuple[int, Any]:
        calls = request if isinstance(request, list) else [request]
        self.methods += [c.get("method", "?") for c in calls]
        if self.fault == "http_502":
            return 502, b"<html>502 Bad Gateway</html>"
        if self.fault == "http_429":
            return 429, {"jsonrpc": "2.0", "id": None, "error": {"code": 429, "message": "Too Many Requests"}}
        if self.fault == "rpc_error" or (self.fault == "rpc_error_in_batch" and isinstance(request, list)):
            errors = [
                {"jsonrpc": "2.0", "id": c.get("id"), "error": {"code": -32000, "message": "header not found"}}
                for c in calls
            ]
            return 200, errors if isinstance(request, list) else errors[0]
        if self.fault == "timeout":
            time.sleep(self.delay_s)
        if self.builder and not isinstance(request, list) and request.get("method") == "eth_sendRawTransaction":
            with self.lock:
                answer = self._forward(request)
                if "result" in answer:
                    self._forward({"jsonrpc": "2.0", "id": 0, "method": "evm_mine", "params": []})
            return 200, answer
        with self.lock:
            return 200, self._forward(request)


@pytest.fixture
def rpc_proxy() -> Iterator[Callable[..., RpcProxy]]:
    """Factory: ``rpc_proxy(fault=..., builder=..., lock=...)`` in front of the test chain; closed afterwards."""
    made: list[RpcProxy] = []

    def make(**kwargs: Any) -> RpcProxy:
        proxy = RpcProxy(web3.provider.endpoint_uri, **kwargs)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


def _pending_from(sender: str, node: str | None = None) -> list[dict[str, Any]]:
    """The transactions from ``sender`` in the node's public mempool (anvil's ``txpool_content``)."""
    url = node or web3.provider.endpoint_uri
    answer = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "txpool_content", "params": []}, timeout=10)
    pending = answer.json()["result"]["pending"]
    return [tx for who, txs in pending.items() if who.lower() == sender.lower() for tx in txs.values()]


def _wait_until(condition: Callable[[], Any], what: str, timeout_s: float = 20.0) -> Any:
    """Poll ``condition`` until it is truthy; fail the test (naming ``what``) if it never is."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def pending_from() -> Callable[..., list[dict[str, Any]]]:
    """``pending_from(sender, node=None)``: ``sender``'s transactions in the public mempool."""
    return _pending_from


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """``wait_until(condition, what, timeout_s=20)``: poll until truthy, else fail naming ``what``."""
    return _wait_until
