"""scripts/deploy_vault.py as shipped: governance behind a TimelockController, the deployer left with nothing."""

from __future__ import annotations

import pytest
from brownie import chain  # type: ignore[attr-defined]

from scripts.deploy_vault import deploy_vault, deployment_section, load_vault_config
from tests.helpers.vault import plain, reverts_with, sleep_and_refresh


@pytest.fixture(scope="module")
def vault_cfg():
    """config/vault.yaml as shipped, holder fees included."""
    return load_vault_config()


@pytest.fixture(scope="module")
def timelocked(world, deployer, vault_cfg):
    return deploy_vault(world, deployer, vault_cfg)


def test_deploy_vault__config__registry_budgets_and_roles(
    timelocked, world, deployer, vault_cfg, manager, keeper, guardian
):
    vault = timelocked.vault
    assert [a[0] for a in vault.assets()] == [world.tokens[s].address for s in ["USDC", *vault_cfg.assets]]
    assert plain(vault.riskBudgetsBps()) == [0, 2000, 2000, 2000, 2000, 2000]
    assert vault.swapAdapter() == timelocked.adapter
    assert timelocked.adapter.vault() == vault and timelocked.adapter.router() == world.router
    for role, who in (("MANAGER_ROLE", manager), ("KEEPER_ROLE", keeper), ("GUARDIAN_ROLE", guardian)):
        assert vault.hasRole(getattr(vault, role)(), who)
    admin = vault.DEFAULT_ADMIN_ROLE()
    assert vault.hasRole(admin, timelocked.timelock)
    for role in (admin, vault.MANAGER_ROLE(), vault.KEEPER_ROLE(), vault.GUARDIAN_ROLE()):
        assert not vault.hasRole(role, deployer)


def test_deployment_section__names_what_the_keeper_and_demos_read(timelocked, vault_cfg):
    """The one ``vault`` section both deploy scripts write (scripts/deploy_vault.py and scripts/deploy_book.py)."""
    vault = timelocked.vault
    section = deployment_section(timelocked, vault_cfg, "USDC", 1234)
    assert section == {
        "address": vault.address,
        "adapter": timelocked.adapter.address,
        "lending_adapter": None,
        "lens": vault.lens(),
        "module": vault.module(),
        "timelock": timelocked.timelock.address,
        "governance_mode": vault_cfg.governance_mode.value,
        "governor": None,
        "votes": None,
        "assets": ["USDC", *vault_cfg.assets],
        "block": 1234,
    }


def test_governance__through_timelock__waits_out_the_delay(timelocked, gov, vault_cfg):
    vault, timelock = timelocked.vault, timelocked.timelock
    with reverts_with("AccessControlUnauthorizedAccount"):
        vault.setDepositCap(123, {"from": gov})
    data = vault.setDepositCap.encode_input(123)
    salt = "0x" + "00" * 32
    zero = "0x" + "00" * 32
    timelock.schedule(vault, 0, data, zero, salt, vault_cfg.timelock_delay_s, {"from": gov})
    with reverts_with("TimelockUnexpectedOperationState"):
        timelock.execute(vault, 0, data, zero, salt, {"from": gov})
    chain.sleep(vault_cfg.timelock_delay_s + 1)
    timelock.execute(vault, 0, data, zero, salt, {"from": gov})
    assert vault.depositCap() == 123


def test_swap_adapter__called_by_stranger__reverts(timelocked, world, alice):
    with reverts_with("UniswapV2SwapAdapterOnlyVault"):
        timelocked.adapter.swapExactIn(
            world.base, world.tokens["WBTC"], 1, 0, alice, chain.time() + 60, {"from": alice}
        )


def test_deploy_vault__config_fees__set_before_the_handover_and_paid_to_the_timelock(timelocked, vault_cfg):
    state = timelocked.vault.feeState()
    assert vault_cfg.fees.management_bps > 0 and vault_cfg.fees.performance_bps > 0
    assert state["recipient"] == timelocked.timelock
    assert (state["managementFeeBps"], state["performanceFeeBps"]) == (
        vault_cfg.fees.management_bps,
        vault_cfg.fees.performance_bps,
    )


def test_fees__changed_only_through_the_timelock(timelocked, gov, vault_cfg, world, deployer):
    vault, timelock = timelocked.vault, timelocked.timelock
    for who in (gov, deployer):
        with reverts_with("AccessControlUnauthorizedAccount"):
            vault.setFees(0, 0, {"from": who})
        with reverts_with("AccessControlUnauthorizedAccount"):
            vault.setFeeRecipient(who, {"from": who})
    data = vault.setFees.encode_input(50, 500)
    zero = "0x" + "00" * 32
    timelock.schedule(vault, 0, data, zero, zero, vault_cfg.timelock_delay_s, {"from": gov})
    sleep_and_refresh(vault_cfg.timelock_delay_s + 1, world.feeds, world.deployer)  # the setter accrues at NAV
    tx = timelock.execute(vault, 0, data, zero, zero, {"from": gov})
    assert "FeesUpdated" in tx.events
    state = vault.feeState()
    assert (state["managementFeeBps"], state["performanceFeeBps"]) == (50, 500)
