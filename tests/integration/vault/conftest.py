"""Fixtures for the vault on the world: deployed once per module by the deploy script's own function, with a
plain account as governance; ``fn_isolation`` undoes each test."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scripts.deploy_vault import FeeConfig, deploy_vault, load_vault_config
from tests.helpers.vault import deposit


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def vault_cfg():
    """config/vault.yaml without its holder fees: these tests follow every unit of the exits, and a fee share
    minted in the block between a preview and its call would move it (tests/unit/vault/test_vault_fees.py covers
    the exits with fees, test_vault_world_deploy.py the deploy of config/vault.yaml's fees)."""
    return replace(load_vault_config(), fees=FeeConfig())


@pytest.fixture(scope="module")
def deployed(world, deployer, vault_cfg, gov, manager, keeper, guardian):
    return deploy_vault(
        world, deployer, vault_cfg, governance=gov, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    )


@pytest.fixture(scope="module")
def vault(deployed):
    return deployed.vault


@pytest.fixture(scope="module")
def adapter(deployed):
    return deployed.adapter


@pytest.fixture(scope="module")
def base(world):
    return world.base


@pytest.fixture(scope="module")
def seeded(world, vault, alice, bob):
    """Alice and Bob each hold 100,000 USDC of shares; everything idle in the base asset."""
    for who in (alice, bob):
        deposit(world, vault, who, 100_000)
    return vault
