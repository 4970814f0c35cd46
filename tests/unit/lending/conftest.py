"""Unit-test fixtures for the lending side: the world with its Aave V3 market (the adapter needs real reserves) and
a levered vault on it, once per module; ``fn_isolation`` undoes each test."""

from __future__ import annotations

import pytest

from tests.integration.leverage.leverage_helpers import deploy_levered, leverage_world, seed


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def world(deployer):
    """The world with Aave V3 (the shared ``world`` fixture has none)."""
    return leverage_world(deployer)


@pytest.fixture(scope="module")
def deployed(world, deployer, gov, manager, keeper, guardian):
    return deploy_levered(world, deployer, gov, manager, keeper, guardian)


@pytest.fixture(scope="module")
def vault(deployed):
    return deployed.vault


@pytest.fixture(scope="module")
def lending(deployed):
    return deployed.lending_adapter


@pytest.fixture(scope="module")
def seeded(world, vault, alice, bob):
    """Alice and Bob each hold 100,000 USDC of shares."""
    seed(world, vault, [alice, bob])
    return vault
