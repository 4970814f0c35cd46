"""Fixtures for the vault levered on the world's Aave V3 market, shared by tests/unit/lending and
tests/integration/leverage (each conftest imports them): the world (with Aave) and the vault are deployed once per
module; ``fn_isolation`` undoes each test.

``world`` here replaces the root conftest's world (which has no Aave market) in the folders that import it.
"""

from __future__ import annotations

import pytest

from tests.helpers.leverage import deploy_levered, leverage_world, seed


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def world(deployer):
    """The world with Aave V3 (the shared ``world`` fixture has none)."""
    return leverage_world(deployer)


@pytest.fixture(scope="module")
def levered_deployment(world, deployer, gov, manager, keeper, guardian):
    """The levered vault and its adapters, as ``scripts.deploy_vault.deploy_vault`` returns them."""
    return deploy_levered(world, deployer, gov, manager, keeper, guardian)


@pytest.fixture(scope="module")
def vault(levered_deployment):
    return levered_deployment.vault


@pytest.fixture(scope="module")
def lending(levered_deployment):
    """The vault's Aave V3 lending adapter."""
    return levered_deployment.lending_adapter


@pytest.fixture(scope="module")
def seeded(world, vault, alice, bob):
    """Alice and Bob each hold 100,000 USDC of shares."""
    seed(world, vault, [alice, bob])
    return vault
