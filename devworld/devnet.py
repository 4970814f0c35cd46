"""Local chains for development: start anvil or Ganache (optionally forking any JSON-RPC URL) and stop them.

Both run at the Shanghai hardfork with the same mnemonic, chain id and balances as the brownie networks in
``brownie-config.yaml``, so brownie attaches to a chain started here as if it had launched it.

    python -m devworld.devnet serve --chain anvil [--port PORT] [--fork-url URL] [--deploy-world]

Without ``--port`` a chain listens on its brownie network's port (``anvil`` 8545, ``ganache-cli`` 8546,
``anvil-fork`` 8547, ``mainnet-fork`` 8548 as committed).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import yaml

from keeper.errors import NodeUnreachableError, ToolchainError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: node_modules, tools/run_script.py and scripts/ are found from here."""

MNEMONIC = "test test test test test test test test test test test junk"
HARDFORK = "shanghai"
CHAIN_ID = 1337
BROWNIE_NETWORK = {"anvil": "anvil", "ganache": "ganache-cli"}
FORK_NETWORK = {"anvil": "anvil-fork", "ganache": "mainnet-fork"}


def brownie_ports(config: Path = ROOT / "brownie-config.yaml") -> dict[str, int]:
    """The port of each brownie network in ``brownie-config.yaml``: a chain served here listens where brownie
    attaches (a checkout that moves its chains to other ports moves this launcher's with them)."""
    networks = (yaml.safe_load(config.read_text()) or {}).get("networks") or {}
    return {
        name: int(net["cmd_settings"]["port"])
        for name, net in networks.items()
        if isinstance(net, dict) and "port" in (net.get("cmd_settings") or {})
    }


_PORTS = brownie_ports()
DEFAULT_PORT = {kind: _PORTS[network] for kind, network in BROWNIE_NETWORK.items()}
FORK_PORT = {kind: _PORTS[network] for kind, network in FORK_NETWORK.items()}


@dataclass(frozen=True)
class ChainSpec:
    kind: str
    """"anvil" or "ganache"."""
    port: int
    fork_url: str | None = None
    chain_id: int = CHAIN_ID
    accounts: int = 10
    balance_eth: int = 100_000
    gas_limit: int = 30_000_000
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def binary(kind: str) -> str:
    """Path of the chain's executable from the project's node_modules."""
    name = {"anvil": "anvil", "ganache": "ganache"}.get(kind)
    if name is None:
        raise ToolchainError(f"unknown chain {kind!r}: use 'anvil' or 'ganache'")
    local = ROOT / "node_modules" / ".bin" / name
    if not local.exists():
        raise ToolchainError(f"{name} is not installed: run 'make setup' (npm ci installs it into node_modules)")
    return str(local)


def command(spec: ChainSpec) -> list[str]:
    exe = binary(spec.kind)
    if spec.kind == "anvil":
        cmd = [
            # --prune-history: anvil otherwise persists old states under ~/.foundry/anvil/tmp and leaves them
            # there when killed (tens of GB after a test run and a demo).
            exe,
            "--prune-history",
            "--port",
            str(spec.port),
            "--host",
            spec.host,
            "--hardfork",
            HARDFORK,
            "--accounts",
            str(spec.accounts),
            "--balance",
            str(spec.balance_eth),
            "--mnemonic",
            MNEMONIC,
            "--gas-limit",
            str(spec.gas_limit),
        ]
        if spec.fork_url:
            cmd += ["--fork-url", spec.fork_url]
        else:
            cmd += ["--chain-id", str(spec.chain_id)]
        return cmd
    cmd = [
        exe,
        "--server.port",
        str(spec.port),
        "--server.host",
        spec.host,
        "--hardfork",
        HARDFORK,
        "--wallet.totalAccounts",
        str(spec.accounts),
        "--wallet.defaultBalance",
        str(spec.balance_eth),
        "--wallet.mnemonic",
        MNEMONIC,
        "--miner.blockGasLimit",
        str(spec.gas_limit),
        "--chain.chainId",
        str(spec.chain_id),
        "--chain.vmErrorsOnRPCResponse",
        "true",
        "--logging.quiet",
    ]
    if spec.fork_url:
        cmd += ["--fork.url", spec.fork_url]
    return cmd


def rpc_call(url: str, method: str, params: list | None = None, timeout: float = 3.0) -> object:
    """One JSON-RPC call with the standard library; raises NodeUnreachableError naming the URL."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise NodeUnreachableError(
            f"no JSON-RPC node answered {method} at {url} ({exc}): check the URL and that the node is running"
        ) from exc
    if "error" in payload:
        raise NodeUnreachableError(f"{url} answered {method} with an error: {payload['error']}")
    return payload.get("result")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def chain_on_port(
    network: str, *, doing: str, port: int | None = None, config: Path | None = None, host: str = "127.0.0.1"
) -> str | None:
    """A one-line refusal when a chain already listens on ``network``'s port (``port``, else brownie-config.yaml's),
    else None. brownie attaches to whatever answers on its network's port instead of launching its own chain, so
    ``doing`` (the tests, a demo) would run on that chain's state and change it."""
    port = port or brownie_ports(config or ROOT / "brownie-config.yaml").get(network)
    if port is None or not port_in_use(host, port):
        return None
    stop = "pkill -f ganache" if "ganache" in network or network == "mainnet-fork" else "pkill anvil"
    return (
        f"a chain already listens on {host}:{port} (brownie network '{network}'), probably `make world` or a demo: "
        f"{doing} would attach to it and change its state. Stop it first (Ctrl-C where it runs, or `{stop}`)"
    )


class LocalChain:
    """A chain process owned by the caller; use as a context manager or call start()/stop()."""

    def __init__(self, spec: ChainSpec, startup_timeout_s: float = 60.0) -> None:
        self.spec = spec
        self.startup_timeout_s = startup_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()

    @property
    def url(self) -> str:
        return self.spec.url

    def start(self) -> LocalChain:
        if self.spec.fork_url:
            # Fail here, with the URL in the message, rather than with the chain's own stack trace.
            rpc_call(self.spec.fork_url, "eth_chainId")
        if port_in_use(self.spec.host, self.spec.port):
            raise ToolchainError(
                f"port {self.spec.port} is already in use: stop whatever listens there or choose another --port"
            )
        cmd = command(self.spec)
        log.info("chain=%s port=%d fork=%s starting", self.spec.kind, self.spec.port, self.spec.fork_url or "-")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            # Interrupted or failed while starting: __exit__ will not run, so the node must not outlive us here.
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ToolchainError(
                    f"{self.spec.kind} exited at start-up (code {self.proc.returncode}):\n{self._tail()}"
                )
            try:
                rpc_call(self.url, "eth_blockNumber", timeout=1.0)
                return
            except NodeUnreachableError:
                time.sleep(0.2)
        raise ToolchainError(
            f"{self.spec.kind} did not answer on {self.url} within {self.startup_timeout_s:.0f}s:\n{self._tail()}"
        )

    def _tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self) -> LocalChain:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def deploy_world_with_brownie(network: str, env: dict[str, str] | None = None) -> None:
    """Run ``scripts/deploy_world.py`` with brownie, attached to the chain listening on the network's port (through
    ``tools/run_script.py``: ``brownie run`` fails under a folder with a dot in its name)."""
    run_brownie_script("scripts/deploy_world.py", network, env, what="deploying the world")


def run_brownie_script(script: str, network: str, env: dict[str, str] | None = None, *, what: str = "") -> None:
    """Run a brownie script (``scripts/X.py``'s ``main``) attached to ``network``'s port, as a subprocess."""
    if not Path(sys.executable).with_name("brownie").exists():
        raise ToolchainError("brownie is not installed in this environment: run 'make setup'")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "run_script.py"), script, "--network", network, "--silent"],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise ToolchainError(f"{what or script} on '{network}' failed (exit {result.returncode}); see above")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    # SIGTERM (a service manager, `timeout`, CI) must stop the chain too, not orphan it: turn it into the same
    # KeyboardInterrupt that Ctrl-C raises, which the LocalChain context manager cleans up after.
    signal.signal(signal.SIGTERM, _interrupt)
    fork = args.fork_url
    port = args.port or (FORK_PORT if fork else DEFAULT_PORT)[args.chain]
    spec = ChainSpec(kind=args.chain, port=port, fork_url=fork)
    try:
        return _serve_chain(args, spec, port, fork)
    except KeyboardInterrupt:
        return 0


def _serve_chain(args: argparse.Namespace, spec: ChainSpec, port: int, fork: str | None) -> int:
    with LocalChain(spec) as chain:
        print(f"{args.chain} listening on {chain.url}" + (f" (fork of {fork})" if fork else ""))
        network = (FORK_NETWORK if fork else BROWNIE_NETWORK)[args.chain]
        expected = (FORK_PORT if fork else DEFAULT_PORT)[args.chain]
        if (args.deploy_world or args.book) and port != expected:
            raise ToolchainError(f"brownie's '{network}' network attaches on port {expected}; drop --port")
        if args.deploy_world:
            deploy_world_with_brownie(network, {"FORK_URL": fork} if fork else None)
        if args.book:
            env = {"BOOK": args.book, **({"FORK_URL": fork} if fork else {})}
            run_brownie_script("scripts/deploy_book.py", network, env, what="deploying the vault from the book")
            if args.fork_demo:
                run_brownie_script("scripts/fork_demo.py", network, env, what="the fork demo")
                return 0
        print("Ctrl-C stops the chain")
        while chain.proc is not None and chain.proc.poll() is None:
            time.sleep(0.5)
    return 0


def _check_ports(args: argparse.Namespace) -> int:
    for network in args.networks:
        refusal = chain_on_port(network, doing=args.doing, config=args.config)
        if refusal:
            print(
                f"error: {refusal}, or move this checkout's chains to free ports "
                f"(networks.{network}.cmd_settings.port in {args.config.name})",
                file=sys.stderr,
            )
            return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devworld.devnet", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start a local chain and keep it running")
    serve.add_argument("--chain", choices=["anvil", "ganache"], default="anvil")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--fork-url", default=os.environ.get("FORK_URL") or None)
    serve.add_argument("--deploy-world", action="store_true")
    serve.add_argument("--book", default=None, help="deploy the vault from this address book (deploy_book.py)")
    serve.add_argument("--fork-demo", action="store_true", help="with --book: run the fork demo, then stop")
    check = sub.add_parser(
        "check-ports", help="exit 2 with one line if a chain already listens on one of these networks' ports"
    )
    check.add_argument("networks", nargs="+", help="brownie network ids, e.g. anvil ganache-cli")
    check.add_argument("--doing", default="this run", help="what would attach, for the message (e.g. 'make test')")
    check.add_argument("--config", type=Path, default=ROOT / "brownie-config.yaml", help="brownie-config.yaml to read")
    args = parser.parse_args(argv)
    if args.command == "check-ports":
        return _check_ports(args)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    try:
        return _serve(args)
    except (ToolchainError, NodeUnreachableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
