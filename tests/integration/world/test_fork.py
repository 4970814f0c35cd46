"""Fork mode: a chain forked from an upstream that already holds the world sees its contracts and state, keeps
its own writes to itself, and takes a new deployment through brownie's fork networks.

The upstream is the chain this test session runs on (anvil or Ganache) with the module's world deployed on it;
each fork is started by the project's own launcher (devworld.devnet), as `make fork-world` does.
"""

from __future__ import annotations

import socket

import pytest
from brownie import web3 as upstream_web3  # type: ignore[attr-defined]
from web3 import Web3

from devworld.devnet import FORK_NETWORK, FORK_PORT, ChainSpec, LocalChain, deploy_world_with_brownie
from keeper.artifacts import abi
from keeper.deployments import load_deployment, save_deployment
from keeper.errors import NodeUnreachableError

FORK_KINDS = ["anvil", "ganache"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def upstream_url() -> str:
    return upstream_web3.provider.endpoint_uri


def _read_world(w3: Web3, dep) -> dict:
    out = {}
    for sym, a in dep.assets.items():
        feed = w3.eth.contract(address=a.feed, abi=abi("PriceFeed"))
        token = w3.eth.contract(address=a.token, abi=abi("WorldToken"))
        reserves = None
        if a.pair:
            pair = w3.eth.contract(address=a.pair, abi=abi("UniswapV2Pair"))
            reserves = tuple(pair.functions.getReserves().call()[:2])
        out[sym] = (tuple(feed.functions.latestRoundData().call()), token.functions.totalSupply().call(), reserves)
    return out


@pytest.mark.parametrize("kind", FORK_KINDS)
def test_fork__of_upstream_with_world__sees_contracts_and_state(world, upstream_url, kind):
    dep = world.deployment
    upstream_state = _read_world(upstream_web3, dep)
    with LocalChain(ChainSpec(kind=kind, port=_free_port(), fork_url=upstream_url)) as fork:
        w3 = Web3(Web3.HTTPProvider(fork.url))
        assert w3.eth.block_number >= upstream_web3.eth.block_number
        for address in (dep.router, dep.factory, dep.assets["WBTC"].token, dep.assets["WBTC"].feed):
            assert w3.eth.get_code(address) == upstream_web3.eth.get_code(address) != b""
        assert _read_world(w3, dep) == upstream_state

        # A write on the fork stays on the fork.
        feed = w3.eth.contract(address=dep.assets["WETH"].feed, abi=abi("PriceFeed"))
        tx = feed.functions.submit(1234 * 10**8).transact({"from": dep.deployer})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        assert feed.functions.latestAnswer().call() == 1234 * 10**8
    assert _read_world(upstream_web3, dep) == upstream_state


@pytest.mark.parametrize("kind", FORK_KINDS)
def test_deploy_world__on_fork__continues_upstream_chain_and_keeps_upstream_world(
    world, upstream_url, kind, tmp_path, monkeypatch
):
    dep = world.deployment
    save_deployment(dep, tmp_path)  # the upstream's file, as `make world` would have written it
    monkeypatch.setenv("RP_DEPLOYMENTS_DIR", str(tmp_path))
    upstream_block = upstream_web3.eth.block_number
    with LocalChain(ChainSpec(kind=kind, port=FORK_PORT[kind], fork_url=upstream_url)) as fork:
        deploy_world_with_brownie(FORK_NETWORK[kind], {"FORK_URL": upstream_url, "RP_DEPLOYMENTS_DIR": str(tmp_path)})
        forked = load_deployment(FORK_NETWORK[kind], tmp_path)
        w3 = Web3(Web3.HTTPProvider(fork.url))
        assert forked.block > upstream_block
        assert forked.router != dep.router
        # Both worlds live on the fork: the upstream's (inherited) and the new one.
        assert _read_world(w3, dep) == _read_world(upstream_web3, dep)
        assert w3.eth.get_code(forked.router) != b""
        new_feed = w3.eth.contract(address=forked.assets["WBTC"].feed, abi=abi("PriceFeed"))
        assert new_feed.functions.latestAnswer().call() == 90_000 * 10**8


def test_fork__unreachable_upstream__fails_naming_the_url():
    with pytest.raises(NodeUnreachableError, match="127.0.0.1:9"):
        LocalChain(ChainSpec(kind="anvil", port=_free_port(), fork_url="http://127.0.0.1:9")).start()
