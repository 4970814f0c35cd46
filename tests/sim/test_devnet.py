"""The project's chain launcher: a served chain answers, stops on SIGTERM without orphaning the node, and bad
input fails with a message that names the problem."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from devworld.devnet import ChainSpec, LocalChain, brownie_ports, port_in_use, rpc_call
from keeper.errors import NodeUnreachableError, ToolchainError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve__sigterm__stops_the_chain_it_started():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "devworld.devnet", "serve", "--chain", "anvil", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 60
    while not port_in_use("127.0.0.1", port):
        assert time.time() < deadline and proc.poll() is None, "chain did not start"
        time.sleep(0.2)
    assert rpc_call(f"http://127.0.0.1:{port}", "eth_chainId") == hex(1337)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    deadline = time.time() + 10
    while port_in_use("127.0.0.1", port) and time.time() < deadline:
        time.sleep(0.1)
    assert not port_in_use("127.0.0.1", port), "the node outlived its launcher"


def test_local_chain__port_taken__names_the_port():
    port = _free_port()
    with LocalChain(ChainSpec(kind="anvil", port=port)):
        with pytest.raises(ToolchainError, match=f"port {port} is already in use"):
            LocalChain(ChainSpec(kind="anvil", port=port)).start()


def test_local_chain__unknown_kind__says_which_kinds_exist():
    with pytest.raises(ToolchainError, match="use 'anvil' or 'ganache'"):
        LocalChain(ChainSpec(kind="hardhat", port=_free_port())).start()


def test_rpc_call__nothing_listening__names_the_url():
    with pytest.raises(NodeUnreachableError, match="127.0.0.1:9"):
        rpc_call("http://127.0.0.1:9", "eth_chainId", timeout=1)


def test_brownie_ports__config_moves_a_network__launcher_port_follows(tmp_path):
    config = tmp_path / "brownie-config.yaml"
    config.write_text(
        "networks:\n  development:\n    gas_price: auto\n  anvil:\n    cmd_settings:\n      port: 9545\n"
        "  anvil-fork:\n    cmd_settings:\n      port: 9547\n      fork: $FORK_URL\n"
    )
    assert brownie_ports(config) == {"anvil": 9545, "anvil-fork": 9547}
