"""A vault governed by its holders (``governance.mode: governor``) on the world, with short governance times so a
proposal's whole cycle fits in hours of simulated market: voting delay 1 h, voting period 6 h, timelock 6 h, quorum
10% of the wrapped shares. Alice holds 1,000,000 USDC of shares, Bob 50,000 (under 5% of them), both past the share
lock, after 36 hours of market history. ``fn_isolation`` undoes each test."""

from __future__ import annotations

from dataclasses import replace

import pytest
from brownie import accounts, web3  # type: ignore[attr-defined]

from devworld.sim.runner import MarketSimulator
from keeper.deployments import save_deployment
from scripts.deploy_vault import GovernanceMode, GovernorConfig, deploy_vault, load_vault_config
from tests.helpers.governance import TIMELOCK_S, VOTING_DELAY_S, VOTING_PERIOD_S
from tests.helpers.vault import deposit

WARMUP_HOURS = 36


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def governed_cfg():
    return replace(
        load_vault_config(),
        governance_mode=GovernanceMode.GOVERNOR,
        governor=GovernorConfig(voting_delay_s=VOTING_DELAY_S, voting_period_s=VOTING_PERIOD_S, quorum_pct=10),
        timelock_delay_s=TIMELOCK_S,
    )


@pytest.fixture(scope="module")
def governed(world, deployer, governed_cfg, manager, keeper, guardian):
    return deploy_vault(
        world, deployer, governed_cfg, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    )


@pytest.fixture(scope="module")
def vault(governed):
    return governed.vault


@pytest.fixture(scope="module")
def governor(governed):
    return governed.governor


@pytest.fixture(scope="module")
def votes(governed):
    return governed.votes


@pytest.fixture(scope="module")
def market(world, deployer, vault, alice, bob, tmp_path_factory):
    """Alice's and Bob's deposits, then WARMUP_HOURS of simulated market (past the share lock; history for the
    keeper). Returns the simulator and the deployment file a keeper reads."""
    deposit(world, vault, alice, 1_000_000)
    deposit(world, vault, bob, 50_000)
    dep = replace(world.deployment, extra={"vault": {"address": vault.address}})
    path = save_deployment(dep, tmp_path_factory.mktemp("deployments"))
    sim = MarketSimulator(web3, dep, world.cfg, seed=11, reporter=deployer.address, arbitrageur=accounts[9].address)
    sim.run(WARMUP_HOURS)
    return {"sim": sim, "deployment_path": str(path)}
