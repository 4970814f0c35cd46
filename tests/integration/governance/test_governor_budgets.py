"""Holders govern the risk budgets: a VaultGovernor voting with wrapped vault shares (VaultVotes) proposes to the
VaultTimelock that holds the vault's governance role. A budget change goes proposal -> vote -> queue -> execute,
the vault applies it under its own bounds, and the keeper follows it at its next tick."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import yaml
from brownie import web3  # type: ignore[attr-defined]

import keeper.deployments
from keeper.daemon import Keeper
from keeper.errors import ConfigError
from keeper.policy import rc_deviation
from keeper.risk.solver import risk_contributions
from scripts.deploy_vault import DEFAULT_CONFIG, GovernanceMode, deploy_vault, load_vault_config
from scripts.governance import (
    ProposalState,
    Support,
    budget_proposal,
    execute,
    propose,
    queue,
    state,
    wrap_and_delegate,
)
from tests.helpers.governance import (
    TIMELOCK_S,
    VOTING_DELAY_S,
    VOTING_PERIOD_S,
    keeper_config,
    keeper_key,
    sleep,
)
from tests.helpers.vault import deposit, plain, reverts_with

EQUAL = [0, 2000, 2000, 2000, 2000, 2000]
"""config/vault.yaml's budgets: USDC (base, none), WBTC, WETH, LINK, XAU, TBILL."""
SHIFTED = [0, 3000, 2500, 1000, 2500, 1000]
"""Risk moved off LINK and the T-bill onto BTC, ETH and gold."""


def _to_vote(governor, proposal, proposer):
    """Propose, then wait out the voting delay: the proposal is Active, its snapshot in the past."""
    pid = propose(governor, proposal, proposer)
    assert state(governor, pid) is ProposalState.PENDING
    sleep(VOTING_DELAY_S + 1)
    assert state(governor, pid) is ProposalState.ACTIVE
    return pid


@pytest.mark.parametrize(
    "field, value",
    [("mode", "dao"), ("quorum_pct", 0), ("quorum_pct", 101), ("voting_period_s", 0), ("voting_delay_s", -1)],
)
def test_vault_config__bad_governance_field__config_error_names_it(tmp_path, field, value):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["governance"] |= {"mode": "governor", field: value}
    path = tmp_path / "vault.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=f"governance.{field}"):
        load_vault_config(path)


def test_vault_config__shipped__timelock_mode_with_governor_settings():
    cfg = load_vault_config()
    assert cfg.governance_mode is GovernanceMode.TIMELOCK
    g = cfg.governor
    assert (g.voting_delay_s, g.voting_period_s, g.quorum_pct, g.proposal_threshold_shares) == (86_400, 259_200, 10, 0)


def test_deploy_script__governor_mode__writes_governor_and_votes(world, tmp_path, monkeypatch):
    """``scripts/deploy_vault.py`` as run from the command line, on a governor-mode config: the deployment file
    names the governor and its votes token next to the timelock."""
    from brownie import VaultGovernor, network  # type: ignore[attr-defined]

    from scripts import deploy_vault as script

    monkeypatch.setattr(keeper.deployments, "DEPLOYMENTS_DIR", tmp_path)
    keeper.deployments.save_deployment(replace(world.deployment, network=network.show_active()))
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["governance"]["mode"] = "governor"
    (tmp_path / "vault.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("VAULT_CONFIG", str(tmp_path / "vault.yaml"))
    script.main()
    section = keeper.deployments.load_deployment(network.show_active()).extra["vault"]
    assert section["governance_mode"] == "governor"
    governor = VaultGovernor.at(section["governor"])
    assert governor.token() == section["votes"] and governor.timelock() == section["timelock"]
    assert script.vault_at(section["address"]).hasRole("0x" + "00" * 32, section["timelock"])


def test_deploy__governor_mode__timelock_answers_to_the_governor_only(world, deployer, manager, keeper, guardian):
    """config/vault.yaml with ``mode: governor``: the Governor is the timelock's only proposer and executor, the
    guardian may cancel, nobody administers the timelock but itself, and the settings are the config's."""
    cfg = replace(load_vault_config(), governance_mode=GovernanceMode.GOVERNOR)
    d = deploy_vault(world, deployer, cfg, roles={"manager": manager, "keeper": keeper, "guardian": guardian})
    vault, timelock, governor, votes = d.vault, d.timelock, d.governor, d.votes
    assert vault.hasRole(vault.DEFAULT_ADMIN_ROLE(), timelock)
    assert not vault.hasRole(vault.DEFAULT_ADMIN_ROLE(), governor)
    assert not vault.hasRole(vault.DEFAULT_ADMIN_ROLE(), deployer)
    proposer, executor, canceller = timelock.PROPOSER_ROLE(), timelock.EXECUTOR_ROLE(), timelock.CANCELLER_ROLE()
    assert timelock.hasRole(proposer, governor) and timelock.hasRole(executor, governor)
    assert timelock.hasRole(canceller, governor) and timelock.hasRole(canceller, guardian)
    for role, who in ((proposer, guardian), (executor, guardian), (proposer, deployer), (executor, deployer)):
        assert not timelock.hasRole(role, who)
    assert not timelock.hasRole(executor, "0x0000000000000000000000000000000000000000")  # not open to anyone
    assert not timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer)
    assert timelock.getMinDelay() == cfg.timelock_delay_s
    assert governor.timelock() == timelock and governor.token() == votes and votes.underlying() == vault
    assert votes.CLOCK_MODE() == "mode=timestamp" and governor.CLOCK_MODE() == "mode=timestamp"
    assert votes.decimals() == vault.decimals()
    assert governor.votingDelay() == cfg.governor.voting_delay_s
    assert governor.votingPeriod() == cfg.governor.voting_period_s
    assert governor.quorumNumerator() == cfg.governor.quorum_pct and governor.proposalThreshold() == 0


def test_proposal_cycle__budget_change__vault_applies_it_and_keeper_follows(
    governed, vault, governor, votes, market, alice, bob, trader, tmp_path, monkeypatch
):
    sim = market["sim"]
    monkeypatch.setenv("KEEPER_PRIVATE_KEY", keeper_key(3))
    keeper = Keeper(keeper_config(web3.provider.endpoint_uri, market["deployment_path"], str(tmp_path / "j.sqlite")))
    first = keeper.tick()
    assert first.record.decision == "rebalance" and plain(vault.riskBudgetsBps()) == EQUAL

    for holder in (alice, bob):
        wrap_and_delegate(votes, vault, holder)
    proposal = budget_proposal(vault, SHIFTED, "Move risk off LINK and the T-bill")
    pid = propose(governor, proposal, bob)
    sim.run(VOTING_DELAY_S // 3600 + 1)
    assert state(governor, pid) is ProposalState.ACTIVE
    governor.castVote(pid, Support.FOR, {"from": alice})
    governor.castVote(pid, Support.AGAINST, {"from": bob})
    against, for_, _ = governor.proposalVotes(pid)
    assert (for_, against) == (votes.balanceOf(alice), votes.balanceOf(bob))
    sim.run(VOTING_PERIOD_S // 3600)
    assert state(governor, pid) is ProposalState.SUCCEEDED

    queue(governor, proposal, trader)  # anyone may queue and execute a passed proposal
    assert state(governor, pid) is ProposalState.QUEUED
    with reverts_with("TimelockUnexpectedOperationState"):
        execute(governor, proposal, trader)
    sim.run(TIMELOCK_S // 3600 + 1)
    before = keeper.tick(dry_run=True)
    assert before.state is not None and [a.budget_bps for a in before.state.assets] == EQUAL

    tx = execute(governor, proposal, trader)
    assert plain(tx.events["RiskBudgetsUpdated"]["riskBudgetsBps"]) == SHIFTED
    assert "ChangeAccepted" not in tx.events  # governance waited its own timelock, not the manager's
    assert plain(vault.riskBudgetsBps()) == SHIFTED
    assert state(governor, pid) is ProposalState.EXECUTED

    after = keeper.tick()
    assert after.state is not None and [a.budget_bps for a in after.state.assets] == SHIFTED
    assert after.proposal is not None and after.proposal.budget is not None
    budget = np.array(SHIFTED[1:], dtype=np.float64) / 10_000
    np.testing.assert_allclose(after.proposal.budget, budget)
    # The keeper's targets split risk by the new budgets (under its own covariance), and it trades toward them.
    assert after.proposal.target_weights is not None and after.proposal.covariance is not None
    rc = risk_contributions(after.proposal.target_weights, after.proposal.covariance)
    assert np.abs(rc - budget).max() < 0.01
    assert after.record.decision == "rebalance" and after.record.status == "ok"
    # The tick measured the holdings against the new budgets, not the old ones: its deviation is the new budgets'
    # gap and differs from the equal budgets' gap for the same holdings and covariance (whether the vote widened or
    # narrowed the gap depends on where the market took the holdings while the vote ran).
    held, cov = after.proposal.weights, after.proposal.covariance
    assert held is not None
    equal = np.array(EQUAL[1:], dtype=np.float64) / 10_000
    assert after.record.deviation == pytest.approx(rc_deviation(held, cov, budget), rel=1e-9)
    assert abs(rc_deviation(held, cov, budget) - rc_deviation(held, cov, equal)) > 0.01
    assert plain(vault.targetWeightsBps()) == after.record.targets_bps


def test_proposal__below_quorum__is_defeated_and_cannot_be_queued(vault, governor, votes, market, alice, bob):
    for holder in (alice, bob):
        wrap_and_delegate(votes, vault, holder)
    proposal = budget_proposal(vault, SHIFTED, "Bob alone")
    pid = _to_vote(governor, proposal, bob)
    governor.castVote(pid, Support.FOR, {"from": bob})
    sleep(VOTING_PERIOD_S)
    _, for_, _ = governor.proposalVotes(pid)
    assert 0 < for_ < governor.quorum(governor.proposalSnapshot(pid))
    assert state(governor, pid) is ProposalState.DEFEATED
    with reverts_with("GovernorUnexpectedProposalState"):
        queue(governor, proposal, bob)
    assert plain(vault.riskBudgetsBps()) == EQUAL


def test_vote__votes_acquired_after_the_snapshot__do_not_count(vault, governor, votes, market, alice, bob, mallory):
    half = vault.balanceOf(bob) // 2
    wrap_and_delegate(votes, vault, alice)
    wrap_and_delegate(votes, vault, bob, half)
    proposal = budget_proposal(vault, SHIFTED, "Late votes")
    pid = _to_vote(governor, proposal, bob)
    snapshot = governor.proposalSnapshot(pid)
    alice_votes = votes.getPastVotes(alice, snapshot)
    # After the snapshot: Bob wraps the rest of his shares, Alice hands all her votes tokens to Mallory.
    wrap_and_delegate(votes, vault, bob)
    votes.transfer(mallory, votes.balanceOf(alice), {"from": alice})
    votes.delegate(mallory, {"from": mallory})
    assert votes.getVotes(mallory) == alice_votes and votes.getVotes(alice) == 0

    weights = {}
    for who in (mallory, alice, bob):
        tx = governor.castVote(pid, Support.FOR, {"from": who})
        weights[who] = tx.events["VoteCast"]["weight"]
    assert weights == {mallory: 0, alice: alice_votes, bob: half}
    _, for_, _ = governor.proposalVotes(pid)
    assert for_ == alice_votes + half  # Alice's votes counted once, at the snapshot


def test_wrap__shares_inside_the_share_lock__reverts(world, vault, votes, market, trader):
    """A flash-loaned deposit cannot become votes: fresh shares cannot move for shareLockSeconds."""
    deposit(world, vault, trader, 10_000)
    with reverts_with("RiskParityVaultSharesLocked"):
        wrap_and_delegate(votes, vault, trader)


@pytest.mark.parametrize(
    "budgets, error",
    [
        ([0, 6000, 1000, 1000, 1000, 1000], "RiskParityVaultBudgetOutOfBounds"),  # one asset over 5,000
        ([500, 1500, 2000, 2000, 2000, 2000], "RiskParityVaultBudgetOutOfBounds"),  # a budget on the base
        ([0, 2000, 2000, 2000, 2000, 1000], "RiskParityVaultWeightsDoNotSum"),
    ],
)
def test_proposal__budgets_outside_the_vault_bounds__execution_reverts(
    vault, governor, votes, market, alice, bob, budgets, error
):
    """The holders' vote is no way around the vault's hard bounds: the passed proposal cannot execute."""
    wrap_and_delegate(votes, vault, alice)
    proposal = budget_proposal(vault, budgets, f"Out of bounds: {budgets}")
    pid = _to_vote(governor, proposal, alice)
    governor.castVote(pid, Support.FOR, {"from": alice})
    sleep(VOTING_PERIOD_S)
    queue(governor, proposal, bob)
    sleep(TIMELOCK_S + 1)
    with reverts_with(error):
        execute(governor, proposal, bob)
    assert state(governor, pid) is ProposalState.QUEUED
    assert plain(vault.riskBudgetsBps()) == EQUAL


def test_governor__outside_the_timelock__has_no_power(vault, governor, governed, votes, market, alice):
    """Neither the Governor nor a holder reaches the vault or the timelock except through a passed proposal."""
    wrap_and_delegate(votes, vault, alice)
    with reverts_with("AccessControlUnauthorizedAccount"):
        vault.setRiskBudgets(SHIFTED, {"from": alice})
    data = vault.setRiskBudgets.encode_input(SHIFTED)
    zero = "0x" + "00" * 32
    with reverts_with("AccessControlUnauthorizedAccount"):
        governed.timelock.schedule(vault, 0, data, zero, zero, TIMELOCK_S, {"from": alice})
    with reverts_with("AccessControlUnauthorizedAccount"):
        governed.timelock.execute(vault, 0, data, zero, zero, {"from": alice})


def test_guardian__cancels_a_queued_proposal__it_never_executes(
    vault, governor, governed, votes, market, alice, guardian
):
    wrap_and_delegate(votes, vault, alice)
    proposal = budget_proposal(vault, SHIFTED, "Cancelled by the guardian")
    pid = _to_vote(governor, proposal, alice)
    governor.castVote(pid, Support.FOR, {"from": alice})
    sleep(VOTING_PERIOD_S)
    tx = queue(governor, proposal, alice)
    operation = tx.events["CallScheduled"][0]["id"]
    governed.timelock.cancel(operation, {"from": guardian})
    assert state(governor, pid) is ProposalState.CANCELED
    sleep(TIMELOCK_S + 1)
    with reverts_with("GovernorUnexpectedProposalState"):
        execute(governor, proposal, alice)
    assert plain(vault.riskBudgetsBps()) == EQUAL
