"""The keeper with the vault's own risk model (issue 12): its rebalances pass the on-chain guardrail, it pokes on
schedule only when the vault's interval has passed, and a tripped DEX-vs-oracle breaker becomes a journaled skip
with the alert gauge set."""

from __future__ import annotations

from dataclasses import replace

import pytest
from brownie import accounts, chain, web3  # type: ignore[attr-defined]

from devworld.sim.runner import MarketSimulator
from keeper.daemon import Keeper
from keeper.deployments import save_deployment
from scripts.deploy_vault import deploy_vault, load_vault_config
from tests.helpers.risk import feed_usd, refresh_all, trade_pool_to

WARMUP_HOURS = 30  # 29 returns: past the 24 the guardrail waits for


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def vault_env(world, deployer, gov, alice, tmp_path_factory):
    """The deploy script's vault (risk model on, as config/vault.yaml has it; the T-bill as the cash leg outside
    the budget, as in the demo), one deposit, and a warm-up during which a stranger pokes after every hourly
    market step."""
    cfg = load_vault_config()
    budgets = {"WBTC": 2_500, "WETH": 2_500, "LINK": 2_500, "XAU": 2_500, "TBILL": 0}
    deployed = deploy_vault(world, deployer, replace(cfg, risk_budgets_bps=budgets), governance=gov)
    vault = deployed.vault
    dep = replace(world.deployment, extra={"vault": {"address": vault.address}})
    path = save_deployment(dep, tmp_path_factory.mktemp("deployments"))
    world.fund("USDC", alice, 1_000_000 * 10**6)
    world.base.approve(vault, 2**256 - 1, {"from": alice})
    vault.deposit(1_000_000 * 10**6, alice, {"from": alice})
    sim = MarketSimulator(web3, dep, world.cfg, seed=5, reporter=deployer.address, arbitrageur=accounts[9].address)
    vault.poke({"from": accounts[7]})
    sim.run(WARMUP_HOURS, on_step=lambda *_: vault.poke({"from": accounts[7]}))
    return {"vault": vault, "deployment": dep, "deployment_path": str(path), "sim": sim, "world": world}


def test_tick__guardrail_active__keeper_rebalance_passes_it(vault_env, keeper_config):
    vault = vault_env["vault"]
    assert vault.riskState()[2] is True
    keeper = Keeper(keeper_config())
    result = keeper.tick()
    assert (result.record.decision, result.record.status) == ("rebalance", "ok")
    checked = chain.get_transaction(result.record.tx_hash).events["RiskGuardrailChecked"]
    assert checked["gapAfterWad"] <= max(checked["gapBeforeWad"], checked["bandWad"])
    # The targets the keeper sent are inside the band under the vault's own covariance.
    assert checked["gapAfterWad"] <= checked["bandWad"]


def test_poke_if_due__sends_only_once_the_vault_interval_passed(vault_env, keeper_config):
    vault = vault_env["vault"]
    keeper = Keeper(keeper_config(schedule={"poke_interval_s": 60}))
    observations = vault.riskState()[1]
    assert keeper.poke_if_due() is None  # the warm-up's last poke was this hour
    vault_env["sim"].step()
    outcome = keeper.poke_if_due()
    assert outcome is not None and outcome.gas_used > 0
    assert vault.riskState()[1] == observations + 1
    assert keeper.poke_if_due() is None
    assert keeper.metrics.pokes._value.get() == 1


def test_tick__pool_pushed__breaker_skip_journaled_and_alert_gauge_set(vault_env, keeper_config, trader):
    world, vault = vault_env["world"], vault_env["vault"]
    keeper = Keeper(keeper_config())
    trade_pool_to(world, "LINK", feed_usd(world, "LINK") * 0.75, trader)
    chain.sleep(1_800)
    chain.mine()
    refresh_all(world)
    assert vault.priceDivergence()[2] is True
    nonce = web3.eth.get_transaction_count(keeper.client.signer.address)
    result = keeper.tick()
    assert (result.record.decision, result.record.reason) == ("skip", "price_breaker")
    assert world.tokens["LINK"].address.lower() in result.record.detail.lower()
    assert keeper.journal.last(1)[0]["reason"].startswith("price_breaker")
    assert keeper.metrics.breaker_tripped._value.get() == 1
    assert web3.eth.get_transaction_count(keeper.client.signer.address) == nonce
