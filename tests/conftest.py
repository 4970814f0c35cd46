"""Shared fixtures: role-named accounts and the local DeFi world.

Accounts: 0 deployer (owns the world), 1 gov, 2 manager, 3 keeper, 4 guardian, 5 alice, 6 bob, 7 mallory,
8 trader, 9 arbitrageur.

The world is module-scoped: brownie's ``module_isolation`` resets the chain between modules, so every module
that uses it gets a fresh deployment (about 50 transactions, a second on anvil). Use ``fn_isolation`` inside a
module to undo each test's changes.
"""

from __future__ import annotations

import pytest
from brownie import accounts, network  # type: ignore[attr-defined]
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


@pytest.fixture(scope="session", autouse=True)
def revert_reason_without_trace_on_ganache():
    """On Ganache, take a reverted transaction's reason from the RPC error and skip brownie's trace.

    brownie asks `debug_traceTransaction` for every reverted transaction, to show the reverting source line and
    find `// dev:` comments (this project has none). The node already returned the revert reason with the error
    (Ganache runs with `vmErrorsOnRPCResponse`), and Ganache takes minutes to trace a multi-million-gas Aave
    transaction: a reverting lending rebalance alone cost two minutes. Assertions still see the same reason.
    """
    original = TransactionReceipt._raise_if_reverted
    if network.show_active() != "ganache-cli":
        yield
        return

    def raise_with_rpc_reason(self, exc):
        if self.status or self._revert_msg is None:
            return original(self, exc)
        raise exc._with_attr(source="", revert_msg=self._revert_msg, dev_revert_msg=None)

    TransactionReceipt._raise_if_reverted = raise_with_rpc_reason
    yield
    TransactionReceipt._raise_if_reverted = original
