"""Fixtures for the vault's stateful test: the unit tests' small world and a vault v2 with its holder protections
on (entry fee, share lock, rolling loss budget), invested in both assets."""

from __future__ import annotations

import pytest

from scripts.deploy_vault import OracleGuard, ProtectionConfig, deploy_vault
from tests.helpers.vault import (
    MINI_ASSETS,
    MINI_BASE,
    deploy_mini_world,
    mini_vault_config,
    plan_trades,
    rebalance_params,
    sleep_and_refresh,
)

LOCK_S = 3_600
# The feeds' deviation thresholds (their largest lag behind the market): they price the entry fee.
DEVIATION_BPS = {"USDC": 25, "WBTC": 50, "NRT": 100}
PROTECTION = ProtectionConfig(entry_fee_floor_bps=5, share_lock_s=LOCK_S, loss_budget_bps=500, loss_period_s=86_400)


@pytest.fixture(scope="module")
def mini(deployer):
    return deploy_mini_world(deployer, MINI_BASE, MINI_ASSETS)


@pytest.fixture(scope="module")
def invested_vault(mini, deployer, gov, manager, keeper, guardian, alice, bob):
    """Alice and Bob hold unlocked shares; 40% of NAV sits in WBTC and the no-return token; every feed is fresh."""
    cfg = mini_vault_config(MINI_ASSETS, MINI_BASE, protection=PROTECTION)
    cfg.oracles.update(
        {s: OracleGuard(g.heartbeat_s, g.min_usd, g.max_usd, DEVIATION_BPS[s]) for s, g in cfg.oracles.items()}
    )
    vault = deploy_vault(
        mini, deployer, cfg, governance=gov, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    ).vault
    for who in (alice, bob):
        mini.fund("USDC", who, 10**9 * 10**6)
        mini.base.approve(vault, 2**256 - 1, {"from": who})
        vault.deposit(50_000 * 10**6, who, {"from": who})
    targets = [6000, 2000, 2000]
    vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})
    # Every example starts from here: past the fixture's own locks (so the only locks are the rules' own) and with
    # the feeds republished after the jump (their heartbeat is one hour).
    sleep_and_refresh(LOCK_S + 1, mini.feeds, mini.deployer)
    return vault
