"""Shared fixtures: role-named accounts and the local DeFi world.

Accounts: 0 deployer (owns the world), 1 gov, 2 manager, 3 keeper, 4 guardian, 5 alice, 6 bob, 7 mallory,
8 trader, 9 arbitrageur.

The world is module-scoped: brownie's ``module_isolation`` resets the chain between modules, so every module
that uses it gets a fresh deployment (about 50 transactions, a second on anvil). Use ``fn_isolation`` inside a
module to undo each test's changes.
"""

from __future__ import annotations

import pytest
from brownie import accounts, network, web3  # type: ignore[attr-defined]
from brownie.network.transaction import TransactionReceipt

from scripts.world import World, deploy_world


@pytest.fixture(scope="session")
def deployer():
    """Owns the world: mints tokens, publishes feed rounds (stands in for Chainlink's reporters)."""
    return accounts[0]


@pytest.fixture(scope="session")
def arbitrageur():
    """Keeps the Uniswap pools at the feed prices in the simulator."""
    return accounts[9]


@pytest.fixture(scope="session")
def trader():
    """A plain DEX user."""
    return accounts[8]


@pytest.fixture(scope="session")
def gov():
    """DEFAULT_ADMIN_ROLE directly (the deploy script puts a timelock here instead)."""
    return accounts[1]


@pytest.fixture(scope="session")
def manager():
    return accounts[2]


@pytest.fixture(scope="session")
def keeper():
    """Holds KEEPER_ROLE; the keeper service signs with this account's key."""
    return accounts[3]


@pytest.fixture(scope="session")
def guardian():
    return accounts[4]


@pytest.fixture(scope="session")
def alice():
    return accounts[5]


@pytest.fixture(scope="session")
def bob():
    return accounts[6]


@pytest.fixture(scope="session")
def mallory():
    """Attacker, or a second keeper racing the first."""
    return accounts[7]


@pytest.fixture(scope="module")
def world(deployer) -> World:
    """The world of config/world.yaml, deployed on the connected chain (not written to deployments/)."""
    return deploy_world(deployer, save=False)


def _revert_data(error: object) -> str | None:
    """The revert data in a JSON-RPC error, wherever the node put it (a hex string, or nested in a dict)."""
    if isinstance(error, str):
        return error if error.startswith("0x") else None
    if isinstance(error, dict):
        for value in error.values():
            found = _revert_data(value)
            if found:
                return found
    return None


def _replay_instead_of_trace(original):
    """`TransactionReceipt._get_trace` that first replays the transaction with `eth_call` on the state before its
    block and takes the return value or the revert reason from that; the real trace only if the replay does not
    reproduce the outcome."""

    def get_trace(self):
        if self._raw_trace is not None or self.contract_address:
            return original(self)
        tx = web3.eth.get_transaction(self.txid)
        call = {
            "from": tx["from"],
            "to": tx["to"],
            "data": tx["input"].hex() if hasattr(tx["input"], "hex") else tx["input"],
            "gas": hex(tx["gas"]),
            "value": hex(tx["value"]),
        }
        if not str(call["data"]).startswith("0x"):
            call["data"] = "0x" + call["data"]
        response = web3.provider.make_request("eth_call", [call, hex(self.block_number - 1)])
        if self.status and "result" in response:
            self._raw_trace, self._trace, self._modified_state = [], [], True
            self._confirmed_return_value(response["result"])
            return None
        data = _revert_data(response.get("error"))
        if not self.status and data:
            self._raw_trace, self._trace, self._modified_state = [], [], False
            self._reverted_return_value(data)
            self._dev_revert_msg = ""  # this project writes no `// dev:` revert comments
            return None
        return original(self)

    return get_trace


@pytest.fixture(scope="session", autouse=True)
def revert_reason_without_trace_on_ganache():
    """On Ganache, learn a transaction's return value or revert reason by replaying it instead of tracing it.

    brownie asks `debug_traceTransaction` (with memory at every step) for a reverted transaction's reason and for
    any `tx.return_value`. Ganache takes minutes to produce that trace for a multi-million-gas Aave transaction
    (a reverting lending rebalance alone cost two minutes); replaying the transaction with `eth_call` on the
    state before its block gives the same return data in a second. anvil traces fast and keeps brownie's path.
    """
    original_trace = TransactionReceipt._get_trace
    original_raise = TransactionReceipt._raise_if_reverted
    if network.show_active() != "ganache-cli":
        yield
        return

    def raise_with_reason(self, exc):
        if self.status or self._revert_msg is None:
            return original_raise(self, exc)
        raise exc._with_attr(source="", revert_msg=self._revert_msg, dev_revert_msg=None)

    TransactionReceipt._get_trace = _replay_instead_of_trace(original_trace)
    TransactionReceipt._raise_if_reverted = raise_with_reason
    yield
    TransactionReceipt._get_trace = original_trace
    TransactionReceipt._raise_if_reverted = original_raise
