"""The holders' governance of a vault deployed with ``governance.mode: governor`` (library; no ``main``).

A proposal is a batch of calls the VaultTimelock makes on the vault once the holders have passed it:

    wrap_and_delegate(votes, vault, holder)        # vault shares -> VaultVotes, votes delegated to the holder
    p = budget_proposal(vault, [0, 3000, ...], "Shift risk to gold")
    pid = propose(governor, p, holder)             # snapshot = now + votingDelay
    governor.castVote(pid, Support.FOR, ...)       # during votingPeriod
    queue(governor, p, anyone)                     # once Succeeded; the timelock's delay starts
    execute(governor, p, anyone)                   # after the delay: the vault's budgets change

Used by the demo's vote (``scripts/demo_governance.py``) and the governance tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from web3 import Web3


class ProposalState(IntEnum):
    """OpenZeppelin 5.0.2 ``IGovernor.ProposalState``, in its order."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


class Support(IntEnum):
    """GovernorCountingSimple's vote types."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


@dataclass(frozen=True)
class Proposal:
    """What ``propose``, ``queue`` and ``execute`` take: the calls, and the description they are hashed with."""

    targets: tuple[str, ...]
    values: tuple[int, ...]
    calldatas: tuple[str, ...]
    description: str

    @property
    def description_hash(self) -> str:
        return Web3.keccak(text=self.description).to_0x_hex()

    def id_on(self, governor: Any) -> int:
        """The proposal id ``governor`` gives these calls (a hash: the same before and after proposing)."""
        return int(governor.hashProposal(self.targets, self.values, self.calldatas, self.description_hash))


def budget_proposal(vault: Any, budgets_bps: list[int], description: str) -> Proposal:
    """One call: ``vault.setRiskBudgets(budgets_bps)`` (one per registry entry, base first and zero)."""
    return Proposal((str(vault.address),), (0,), (vault.setRiskBudgets.encode_input(budgets_bps),), description)


def wrap_and_delegate(votes: Any, vault: Any, holder: Any, shares: int | None = None) -> int:
    """Wrap ``shares`` (all the holder's by default) into VaultVotes and delegate the holder's votes to itself.
    The shares must be out of the vault's share lock. Returns the shares wrapped."""
    amount = vault.balanceOf(holder) if shares is None else shares
    vault.approve(votes, amount, {"from": holder})
    votes.depositFor(holder, amount, {"from": holder})
    if votes.delegates(holder) != holder:
        votes.delegate(holder, {"from": holder})
    return int(amount)


def unwrap(votes: Any, holder: Any) -> int:
    """Every VaultVotes token of ``holder`` back into vault shares. Returns the shares returned."""
    amount = int(votes.balanceOf(holder))
    if amount:
        votes.withdrawTo(holder, amount, {"from": holder})
    return amount


def propose(governor: Any, proposal: Proposal, proposer: Any) -> int:
    """Create the proposal; returns its id."""
    tx = governor.propose(
        proposal.targets, proposal.values, proposal.calldatas, proposal.description, {"from": proposer}
    )
    return int(tx.events["ProposalCreated"]["proposalId"])


def queue(governor: Any, proposal: Proposal, caller: Any) -> Any:
    """Queue a succeeded proposal in the timelock (anyone may)."""
    return governor.queue(
        proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash, {"from": caller}
    )


def execute(governor: Any, proposal: Proposal, caller: Any) -> Any:
    """Execute a queued proposal whose timelock delay has passed (anyone may)."""
    return governor.execute(
        proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash, {"from": caller}
    )


def state(governor: Any, proposal_id: int) -> ProposalState:
    return ProposalState(int(governor.state(proposal_id)))
