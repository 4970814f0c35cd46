"""A vault on an L2 whose sequencer goes down: the keeper reads the uptime feed at the snapshot's block and skips."""

from __future__ import annotations

from dataclasses import replace

import pytest
from brownie import PriceFeed  # type: ignore[attr-defined]

from keeper.daemon import Keeper
from keeper.deployments import save_deployment
from keeper.outcomes import Action, Reason
from scripts.deploy_vault import deploy_vault, load_vault_config


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def l2_vault_env(world, deployer, gov, alice, tmp_path_factory):
    """The world's vault deployed as on an L2: with Chainlink's sequencer uptime feed (0 = up, 1 = down)."""
    uptime = PriceFeed.deploy(0, "L2 Sequencer Uptime Status Feed", 0, deployer, {"from": deployer})
    cfg = replace(load_vault_config(), sequencer_feed=uptime.address, sequencer_grace_s=0)
    vault = deploy_vault(world, deployer, cfg, governance=gov).vault
    world.fund("USDC", alice, 100_000 * 10**6)
    world.base.approve(vault, 2**256 - 1, {"from": alice})
    vault.deposit(100_000 * 10**6, alice, {"from": alice})
    dep = replace(world.deployment, extra={"vault": {"address": vault.address}})
    return {"uptime": uptime, "vault": vault, "path": str(save_deployment(dep, tmp_path_factory.mktemp("l2")))}


@pytest.fixture
def deployment_path(l2_vault_env) -> str:
    return l2_vault_env["path"]


def test_tick__l2_sequencer_down__skips_naming_it_and_sends_nothing(l2_vault_env, deployer, keeper_config):
    l2_vault_env["uptime"].submit(1, {"from": deployer})  # the sequencer stops
    keeper = Keeper(keeper_config())
    result = keeper.tick()
    assert (result.record.decision, result.record.reason) == (Action.SKIP, Reason.SEQUENCER_DOWN)
    assert result.state is not None and result.state.sequencer_down
    assert l2_vault_env["vault"].epoch() == 0


def test_snapshot__l2_sequencer_up__not_flagged(l2_vault_env, keeper_config):
    keeper = Keeper(keeper_config())
    assert not keeper.read().sequencer_down
