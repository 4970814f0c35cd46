"""The project's chain launcher: a served chain answers, stops on SIGTERM without orphaning the node, and bad
input fails with a message that names the problem."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest
import yaml

from devworld.devnet import ChainSpec, LocalChain, brownie_ports, chain_on_port, main, port_in_use, rpc_call
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


@pytest.fixture
def listener():
    """Something listening on a free port, as a chain left running would."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_chain_on_port__a_chain_listens__refusal_names_the_port_and_how_to_stop_it(listener):
    refusal = chain_on_port("anvil", doing="make test", port=listener)
    assert refusal is not None
    assert refusal.startswith(f"a chain already listens on 127.0.0.1:{listener} (brownie network 'anvil')")
    assert "make test would attach to it" in refusal and "`pkill anvil`" in refusal


def test_chain_on_port__port_free__no_refusal():
    assert chain_on_port("ganache-cli", doing="make test", port=_free_port()) is None


def test_check_ports__a_network_port_taken__exit_2_one_line(listener, tmp_path, capsys):
    """What tools/run-tests.sh runs before `make test` starts: the ports come from brownie-config.yaml."""
    config = tmp_path / "brownie-config.yaml"
    networks = {"anvil": {"cmd_settings": {"port": _free_port()}}, "ganache-cli": {"cmd_settings": {"port": listener}}}
    config.write_text(yaml.safe_dump({"networks": networks}))

    code = main(["check-ports", "anvil", "ganache-cli", "--doing", "make test", "--config", str(config)])

    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: a chain already listens on 127.0.0.1:{listener} (brownie network 'ganache-cli')")
    assert "`pkill -f ganache`" in line and "networks.ganache-cli.cmd_settings.port in brownie-config.yaml" in line


def test_check_ports__ports_free__exit_0(tmp_path):
    config = tmp_path / "brownie-config.yaml"
    config.write_text(yaml.safe_dump({"networks": {"anvil": {"cmd_settings": {"port": _free_port()}}}}))
    assert main(["check-ports", "anvil", "--config", str(config)]) == 0
