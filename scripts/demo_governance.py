"""The demo's governance vote: the holders move risk budget from LINK to BTC through the vault's Governor, and the
keeper follows the new budgets at its next tick.

The demo deploys the vault with ``governance.mode: governor`` (``with_governor``). ``DemoVote.on_day`` is called at
the start of every simulated day and walks one proposal through its life on the demo's own clock (the market
simulator's ``evm_increaseTime`` steps): the holders wrap their shares into VaultVotes and delegate, Alice proposes,
the votes are cast once the voting delay has passed, the proposal is queued when the voting period ends and
executed when the timelock's delay has, and the holders unwrap. The first keeper tick after the execution is
recorded: the budgets it read and what it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from brownie import web3  # type: ignore[attr-defined]

from keeper.daemon import Keeper, TickResult
from scripts.deploy_vault import GovernanceMode, VaultConfig
from scripts.governance import (
    Proposal,
    ProposalState,
    Support,
    budget_proposal,
    execute,
    propose,
    queue,
    state,
    unwrap,
    wrap_and_delegate,
)

SHIFT_FROM, SHIFT_TO = "LINK", "WBTC"
"""The holders' motion: half of LINK's risk budget goes to BTC (a pool 2.5 times deeper than gold's: the exits that
follow sell what the new budgets hold)."""
BALLOTS = {"alice": Support.FOR, "bob": Support.AGAINST, "carol": Support.FOR}
DAYS_BEFORE_END = 25
"""The vote starts this many days before the run ends (about a week to execute, the rest for the keeper to move
the portfolio to the new budgets before the users leave)."""
CYCLE_DAYS = 9
"""Days a proposal needs with config/vault.yaml's governance times (1 + 3 + 2 days) at day granularity, plus margin."""


class Phase(Enum):
    WAITING = "waiting"
    PROPOSED = "proposed"
    VOTED = "voted"
    QUEUED = "queued"
    EXECUTED = "executed"
    DONE = "done"


def with_governor(cfg: VaultConfig) -> VaultConfig:
    """The demo's vault config with the holders' Governor in front of the timelock."""
    return replace(cfg, governance_mode=GovernanceMode.GOVERNOR)


def shifted_budgets(budgets_bps: list[int], symbols: list[str]) -> list[int] | None:
    """Half of SHIFT_FROM's budget moved to SHIFT_TO (None when the basket lacks either, or SHIFT_TO would pass the
    vault's 5,000 bps cap)."""
    if SHIFT_FROM not in symbols or SHIFT_TO not in symbols:
        return None
    src, dst = symbols.index(SHIFT_FROM), symbols.index(SHIFT_TO)
    moved = budgets_bps[src] // 2
    out = list(budgets_bps)
    out[src] -= moved
    out[dst] += moved
    return out if moved and out[dst] <= 5_000 else None


@dataclass
class DemoVote:
    """One budget proposal walked through the Governor during the demo; ``summary`` is what the report shows."""

    deployed: Any
    """scripts.deploy_vault.DeployedVault with a governor."""
    users: dict[str, dict[str, Any]]
    """The demo's users (name -> {"account": ...}); those holding shares when the vote starts vote."""
    symbols: list[str]
    start_day: int
    executor: Any
    """Queues and executes (anyone may)."""
    phase: Phase = Phase.WAITING
    summary: dict[str, Any] = field(default_factory=dict)
    _proposal: Proposal | None = None
    _pid: int = 0
    _voters: list[str] = field(default_factory=list)
    _day: int = 0

    @classmethod
    def plan(cls, deployed: Any, users: dict[str, dict[str, Any]], symbols: list[str], days: int, executor: Any) -> Any:
        """The demo's vote, or None (printed) when the run is too short to hold one."""
        if deployed.governor is None:
            return None
        start = days - DAYS_BEFORE_END if days - DAYS_BEFORE_END >= 1 else days - CYCLE_DAYS
        if start < 1:
            print(f"   no governance vote: {days} days is shorter than a proposal's cycle ({CYCLE_DAYS} days)")
            return None
        return cls(deployed, users, symbols, start, executor)

    def attach(self, keeper: Keeper) -> None:
        """Watch the keeper's ticks (after whatever already watches them) for the first one after the execution."""
        previous = keeper.on_tick

        def on_tick(result: TickResult) -> None:
            if previous is not None:
                previous(result)
            self._observe(result)

        keeper.on_tick = on_tick

    def on_day(self, day: int) -> None:
        """Advance the proposal by what the chain's clock allows; called at the start of each simulated day."""
        self._day = day
        governor, vault = self.deployed.governor, self.deployed.vault
        if self.phase is Phase.WAITING and day >= self.start_day:
            self._propose()
        elif self.phase is Phase.PROPOSED and state(governor, self._pid) is ProposalState.ACTIVE:
            for name in self._voters:
                governor.castVote(self._pid, BALLOTS.get(name, Support.ABSTAIN), {"from": self.users[name]["account"]})
            self.phase = Phase.VOTED
        elif self.phase is Phase.VOTED:
            now = state(governor, self._pid)
            if now is ProposalState.SUCCEEDED:
                assert self._proposal is not None
                queue(governor, self._proposal, self.executor)
                self._record_tally(queued_day=day)
                self.phase = Phase.QUEUED
            elif now is ProposalState.DEFEATED:
                self._record_tally(defeated_day=day)
                self._unwrap_all()
                self.phase = Phase.DONE
                print(f"   day {day:>3}  governance: proposal defeated ({self._tally_text()})")
        elif self.phase is Phase.QUEUED and state(governor, self._pid) is ProposalState.QUEUED:
            if web3.eth.get_block("latest")["timestamp"] >= governor.proposalEta(self._pid):
                assert self._proposal is not None
                tx = execute(governor, self._proposal, self.executor)
                self.summary["executed_day"] = day
                self.summary["execute_tx"] = tx.txid
                self.summary["budgets_after_bps"] = [int(b) for b in vault.riskBudgetsBps()]
                self._unwrap_all()
                self.phase = Phase.EXECUTED
                print(
                    f"   day {day:>3}  governance: proposal executed through the timelock ({self._tally_text()}); "
                    f"budgets {self._budget_text(self.summary['budgets_after_bps'])}"
                )

    def finish(self) -> dict[str, Any]:
        """Unwrap whatever is still wrapped (the users leave next) and return the summary."""
        self._unwrap_all()
        self.summary["phase"] = self.phase.value
        return self.summary

    # ------------------------------------------------------------------------------------------------ internals

    def _propose(self) -> None:
        vault, governor, votes = self.deployed.vault, self.deployed.governor, self.deployed.votes
        before = [int(b) for b in vault.riskBudgetsBps()]
        after = shifted_budgets(before, self.symbols)
        self.phase = Phase.DONE
        if after is None:
            print(f"   governance: no vote ({SHIFT_FROM} or {SHIFT_TO} missing from the basket or capped)")
            return
        self._voters = [n for n, u in self.users.items() if vault.balanceOf(u["account"]) > 0]
        if not self._voters:
            print("   governance: no vote (nobody holds shares yet)")
            return
        wrapped = {n: wrap_and_delegate(votes, vault, self.users[n]["account"]) for n in self._voters}
        text = f"Move half of {SHIFT_FROM}'s risk budget to {SHIFT_TO}"
        self._proposal = budget_proposal(vault, after, text)
        self._pid = propose(governor, self._proposal, self.users[self._voters[0]]["account"])
        self.phase = Phase.PROPOSED
        self.summary.update(
            proposal=text,
            proposal_id=str(self._pid),
            proposed_day=self._day,
            proposer=self._voters[0],
            budgets_before_bps=before,
            budgets_proposed_bps=after,
            voting_delay_s=int(governor.votingDelay()),
            voting_period_s=int(governor.votingPeriod()),
            timelock_delay_s=int(self.deployed.timelock.getMinDelay()),
            quorum_pct=int(governor.quorumNumerator()),
            ballots={n: BALLOTS.get(n, Support.ABSTAIN).name.lower() for n in self._voters},
            wrapped_shares={n: w / 10 ** vault.decimals() for n, w in wrapped.items()},
        )
        print(
            f"   day {self._day:>3}  governance: shares wrapped into votes and delegated by {', '.join(self._voters)}; "
            f"{self._voters[0]} proposes: {text}"
        )

    def _record_tally(self, **when: int) -> None:
        governor, scale = self.deployed.governor, 10 ** self.deployed.vault.decimals()
        against, for_, abstain = (int(v) for v in governor.proposalVotes(self._pid))
        snapshot = governor.proposalSnapshot(self._pid)
        self.summary.update(
            when,
            votes={"for": for_ / scale, "against": against / scale, "abstain": abstain / scale},
            quorum_votes=int(governor.quorum(snapshot)) / scale,
        )

    def _observe(self, result: TickResult) -> None:
        if self.phase is not Phase.EXECUTED or result.state is None:
            return
        rec = result.record
        self.summary["keeper_next_tick"] = {
            "day": self._day,
            "budgets_read_bps": [a.budget_bps for a in result.state.assets],
            "decision": rec.decision.value,
            "reason": rec.text,
            "deviation": rec.deviation,
        }
        self.phase = Phase.DONE
        print(
            f"   day {self._day:>3}  keeper's next tick read budgets "
            f"{self._budget_text(self.summary['keeper_next_tick']['budgets_read_bps'])}: {rec.decision.value} "
            f"(deviation {rec.deviation or 0:.3f})"
        )

    def _unwrap_all(self) -> None:
        for name in self._voters:
            unwrap(self.deployed.votes, self.users[name]["account"])

    def _tally_text(self) -> str:
        v = self.summary.get("votes", {})
        return (
            f"for {v.get('for', 0):,.0f} / against {v.get('against', 0):,.0f} / abstain {v.get('abstain', 0):,.0f} "
            f"shares, quorum {self.summary.get('quorum_votes', 0):,.0f}"
        )

    def _budget_text(self, budgets: list[int]) -> str:
        return ", ".join(f"{s} {b}" for s, b in zip(self.symbols, budgets, strict=True) if b)


def markdown(summary: dict[str, Any]) -> str:
    """The report's governance section (empty without a vote)."""
    if not summary.get("proposal"):
        return ""
    lines = [
        "",
        "## Governance vote",
        "",
        f"{summary['proposal']}: proposed on day {summary['proposed_day']} by {summary['proposer']} "
        f"(voting delay {summary['voting_delay_s'] // 3600} h, voting period {summary['voting_period_s'] // 3600} h, "
        f"timelock {summary['timelock_delay_s'] // 3600} h, quorum {summary['quorum_pct']}% of wrapped shares).",
        "",
        "| | value |",
        "|---|---|",
        f"| ballots | {', '.join(f'{n} {b}' for n, b in summary['ballots'].items())} |",
    ]
    if "votes" in summary:
        v = summary["votes"]
        lines.append(
            f"| votes (shares) | for {v['for']:,.0f}, against {v['against']:,.0f}, abstain {v['abstain']:,.0f}; "
            f"quorum {summary['quorum_votes']:,.0f} |"
        )
    lines.append(f"| budgets before (bps) | {summary['budgets_before_bps']} |")
    if "executed_day" in summary:
        lines.append(f"| executed | day {summary['executed_day']}: budgets {summary['budgets_after_bps']} |")
    tick = summary.get("keeper_next_tick")
    if tick:
        lines.append(
            f"| keeper's next tick | day {tick['day']}: read {tick['budgets_read_bps']}, {tick['decision']} "
            f"(deviation {tick['deviation'] or 0:.3f}) |"
        )
    lines += [
        "",
        "The dashed budget lines of the risk-contribution plot are the budgets the run started with.",
        "",
    ]
    return "\n".join(lines)


def append_to_report(out: Path, summary: dict[str, Any]) -> None:
    """Add the governance section to ``out/report.md`` (``report.json`` carries ``summary`` as ``governance``)."""
    section = markdown(summary)
    if section:
        path = out / "report.md"
        path.write_text(path.read_text() + section)
