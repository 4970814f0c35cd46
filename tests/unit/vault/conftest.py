"""Unit-test fixtures: a small world (base + two assets, real Uniswap V2) per module and the vault on it, with a
plain account as governance. ``fn_isolation`` undoes each test."""

from __future__ import annotations

import pytest

from scripts.deploy_vault import deploy_vault
from tests.helpers.vault import (
    MINI_ASSETS,
    MINI_BASE,
    deploy_mini_world,
    mini_vault_config,
    plan_trades,
    rebalance_params,
)

BASE = MINI_BASE
ASSETS = MINI_ASSETS


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def mini(deployer):
    return deploy_mini_world(deployer, BASE, ASSETS)


@pytest.fixture(scope="module")
def vault_cfg():
    return mini_vault_config(ASSETS, BASE)


@pytest.fixture(scope="module")
def deployed(mini, deployer, vault_cfg, gov, manager, keeper, guardian):
    return deploy_vault(
        mini, deployer, vault_cfg, governance=gov, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    )


@pytest.fixture(scope="module")
def vault(deployed):
    return deployed.vault


@pytest.fixture(scope="module")
def base(mini):
    return mini.base


@pytest.fixture(scope="module")
def funded(mini, vault, base, alice, bob):
    """Alice and Bob hold 1,000,000 USDC each and have approved the vault for all of it."""
    for who in (alice, bob):
        mini.fund("USDC", who, 1_000_000 * 10**6)
        base.approve(vault, 2**256 - 1, {"from": who})
    return vault


@pytest.fixture(scope="module")
def invested(funded, alice, bob, keeper):
    """Alice 100k and Bob 50k USDC in, then half of NAV moved into the two assets (no fees set)."""
    vault = funded
    vault.deposit(100_000 * 10**6, alice, {"from": alice})
    vault.deposit(50_000 * 10**6, bob, {"from": bob})
    targets = [5000, 2500, 2500]
    vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})
    return vault
