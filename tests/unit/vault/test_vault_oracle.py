"""Oracle faults: deposits, mints, standard exits and rebalances revert with the oracle's named error; the
in-kind exit still pays. The L2 sequencer check runs on a vault deployed with an uptime feed."""

from __future__ import annotations

import pytest
from brownie import IncompleteRoundFeed, PriceFeed, WorldToken, chain  # type: ignore[attr-defined]

from scripts.deploy_vault import deploy_vault
from tests.helpers.vault import (
    ASSETS_FOR_ORACLE_TESTS,
    mini_vault_config,
    plan_trades,
    rebalance_params,
    refresh_feeds,
    reverts_with,
)

USDC = 10**6
TARGETS = [7000, 1500, 1500]


@pytest.fixture(scope="module")
def invested(funded, alice, keeper):
    vault = funded
    vault.deposit(100_000 * USDC, alice, {"from": alice})
    vault.rebalance(rebalance_params(vault, TARGETS, plan_trades(vault, TARGETS)), {"from": keeper})
    chain.sleep(3601)  # past the cooldown: rebalances below fail on the oracle, not on the clock
    chain.mine()
    return vault


def _break(fault, mini, deployer):
    """Put the WBTC feed (or the base feed) into ``fault``; the vault's bounds are price/100 .. price*100."""
    wbtc, usdc = mini.feeds["WBTC"], mini.feeds["USDC"]
    refresh_feeds(mini.feeds, deployer)
    if fault == "stale":
        chain.sleep(3601)
        chain.mine()
        for s in ("USDC", "NRT"):
            refresh_feeds({s: mini.feeds[s]}, deployer)
        return "OracleReaderStalePrice"
    if fault == "zero":
        wbtc.submit(0, {"from": deployer})
        return "OracleReaderNonPositivePrice"
    if fault == "negative":
        wbtc.submit(-90_000 * 10**8, {"from": deployer})
        return "OracleReaderNonPositivePrice"
    if fault == "above_max":
        wbtc.submit(90_000 * 100 * 10**8 + 1, {"from": deployer})
        return "OracleReaderPriceOutOfBounds"
    if fault == "below_min":
        wbtc.submit(900 * 10**8 - 1, {"from": deployer})
        return "OracleReaderPriceOutOfBounds"
    if fault == "base_depeg":
        usdc.submit(10**6 - 1, {"from": deployer})  # $0.00999..., below the base's own lower bound
        return "OracleReaderPriceOutOfBounds"
    raise AssertionError(fault)


FAULTS = ["stale", "zero", "negative", "above_max", "below_min", "base_depeg"]


@pytest.mark.parametrize("fault", FAULTS)
def test_deposit__oracle_fault__reverts_named(invested, mini, deployer, alice, fault):
    error = _break(fault, mini, deployer)
    with reverts_with(error):
        invested.deposit(1_000 * USDC, alice, {"from": alice})
    with reverts_with(error):
        invested.mint(10**12, alice, {"from": alice})


@pytest.mark.parametrize("fault", FAULTS)
def test_rebalance__oracle_fault__reverts_named(invested, mini, deployer, keeper, fault):
    error = _break(fault, mini, deployer)
    with reverts_with(error):
        invested.rebalance(rebalance_params(invested, TARGETS, []), {"from": keeper})


@pytest.mark.parametrize("fault", ["stale", "negative"])
def test_redeem__oracle_fault__reverts_named(invested, mini, deployer, alice, fault):
    error = _break(fault, mini, deployer)
    with reverts_with(error):
        invested.redeem(10**12, alice, alice, {"from": alice})
    with reverts_with(error):
        invested.withdraw(USDC, alice, alice, {"from": alice})


@pytest.mark.parametrize("fault", FAULTS)
def test_redeem_in_kind__oracle_fault__still_pays(invested, mini, deployer, alice, fault):
    _break(fault, mini, deployer)
    before = mini.tokens["WBTC"].balanceOf(alice)
    invested.redeemInKind(invested.balanceOf(alice) // 2, alice, alice, {"from": alice})
    assert mini.tokens["WBTC"].balanceOf(alice) > before


def test_deposit__fresh_oracles__works(invested, mini, deployer, alice):
    refresh_feeds(mini.feeds, deployer)
    invested.deposit(1_000 * USDC, alice, {"from": alice})


def test_rebalance__fresh_oracles__works(invested, mini, deployer, keeper):
    refresh_feeds(mini.feeds, deployer)
    invested.rebalance(rebalance_params(invested, TARGETS, []), {"from": keeper})


# ---------------------------------------------------------------------------------------------------------------
# L2 sequencer uptime feed
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sequencer(deployer):
    """Chainlink's uptime feed semantics: answer 0 = up, 1 = down, startedAt = when that status began."""
    return PriceFeed.deploy(0, "L2 Sequencer Uptime Status Feed", 0, deployer, {"from": deployer})


@pytest.fixture(scope="module")
def l2_vault(mini, deployer, sequencer, gov, manager, keeper, guardian, alice, base):
    cfg = mini_vault_config(
        ASSETS_FOR_ORACLE_TESTS, mini.specs["USDC"], sequencer_feed=sequencer.address, sequencer_grace_s=3600
    )
    vault = deploy_vault(
        mini, deployer, cfg, governance=gov, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    ).vault
    base.approve(vault, 2**256 - 1, {"from": alice})
    return vault


def test_deposit__sequencer_in_grace_period__reverts(l2_vault, mini, alice):
    mini.fund("USDC", alice, 1_000 * USDC)
    with reverts_with("OracleReaderSequencerGracePeriod"):
        l2_vault.deposit(1_000 * USDC, alice, {"from": alice})


def test_deposit__sequencer_up_past_grace__works(l2_vault, mini, deployer, alice):
    chain.sleep(3601)
    chain.mine()
    refresh_feeds(mini.feeds, deployer)
    mini.fund("USDC", alice, 1_000 * USDC)
    l2_vault.deposit(1_000 * USDC, alice, {"from": alice})
    assert l2_vault.balanceOf(alice) > 0


def test_sequencer_down__deposit_and_rebalance_revert__in_kind_pays(
    l2_vault, mini, deployer, sequencer, alice, keeper, base
):
    chain.sleep(3601)
    chain.mine()
    refresh_feeds(mini.feeds, deployer)
    mini.fund("USDC", alice, 2_000 * USDC)
    l2_vault.deposit(1_000 * USDC, alice, {"from": alice})
    sequencer.submit(1, {"from": deployer})
    with reverts_with("OracleReaderSequencerDown"):
        l2_vault.deposit(1_000 * USDC, alice, {"from": alice})
    with reverts_with("OracleReaderSequencerDown"):
        l2_vault.rebalance(rebalance_params(l2_vault, TARGETS, []), {"from": keeper})
    before = base.balanceOf(alice)
    l2_vault.redeemInKind(l2_vault.balanceOf(alice), alice, alice, {"from": alice})
    assert base.balanceOf(alice) - before == 1_000 * USDC - 1  # the virtual shares keep their sliver


def test_sequencer__constructor_grace_above_max__reverts(mini, deployer, sequencer, gov):
    cfg = mini_vault_config(
        ASSETS_FOR_ORACLE_TESTS, mini.specs["USDC"], sequencer_feed=sequencer.address, sequencer_grace_s=86_401
    )
    with reverts_with("RiskParityVaultThresholdOutOfBounds"):
        deploy_vault(mini, deployer, cfg, governance=gov, roles={"manager": gov, "keeper": gov, "guardian": gov})


def test_deposit__round_without_timestamp__reverts_incomplete_round(funded, mini, gov, deployer, alice):
    refresh_feeds(mini.feeds, deployer)  # the module's clock is past the heartbeat by now
    token = WorldToken.deploy("Odd", "ODD", 18, deployer, {"from": deployer})
    feed = IncompleteRoundFeed.deploy({"from": deployer})
    funded.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": gov})
    funded.deposit(USDC, alice, {"from": alice})  # not held: its feed is not read
    token.mint(funded, 10**18, {"from": deployer})
    with reverts_with("OracleReaderIncompleteRound"):
        funded.deposit(USDC, alice, {"from": alice})
