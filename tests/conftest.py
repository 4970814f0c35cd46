"""Shared fixtures: role-named accounts and the local DeFi world.

The world is module-scoped: brownie's ``module_isolation`` resets the chain between modules, so every module
that uses it gets a fresh deployment (about 50 transactions, a second on anvil). Use ``fn_isolation`` inside a
module to undo each test's changes.
"""

from __future__ import annotations

import pytest
from brownie import accounts  # type: ignore[attr-defined]

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


@pytest.fixture(scope="module")
def world(deployer) -> World:
    """The world of config/world.yaml, deployed on the connected chain (not written to deployments/)."""
    return deploy_world(deployer, save=False)
