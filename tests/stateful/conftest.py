"""Fixtures for the vault's stateful test: the unit tests' small world, invested in both assets."""

from __future__ import annotations

import pytest

from scripts.deploy_vault import deploy_vault
from tests.integration.vault.vault_helpers import (
    MINI_ASSETS,
    MINI_BASE,
    deploy_mini_world,
    mini_vault_config,
    plan_trades,
    rebalance_params,
)


@pytest.fixture(scope="module")
def mini(deployer):
    return deploy_mini_world(deployer, MINI_BASE, MINI_ASSETS)


@pytest.fixture(scope="module")
def invested_vault(mini, deployer, gov, manager, keeper, guardian, alice, bob):
    """Alice and Bob hold shares; 40% of NAV sits in WBTC and the no-return token."""
    cfg = mini_vault_config(MINI_ASSETS, MINI_BASE)
    vault = deploy_vault(mini, deployer, cfg, governance=gov,
                         roles={"manager": manager, "keeper": keeper, "guardian": guardian}).vault
    for who in (alice, bob):
        mini.fund("USDC", who, 10**9 * 10**6)
        mini.base.approve(vault, 2**256 - 1, {"from": who})
        vault.deposit(50_000 * 10**6, who, {"from": who})
    targets = [6000, 2000, 2000]
    vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})
    return vault
