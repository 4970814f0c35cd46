"""The keeper service: a lifecycle (start, tick every N seconds, stop on SIGTERM/SIGINT) and a failure policy.

A tick goes down once: ``chain.snapshot`` (one block) -> ``engine.propose`` (gate, covariance, allocation,
leverage target, policy, plan) -> ``chain`` encodes, simulates and sends -> the journal records. Ticks never overlap and
missed ones are coalesced (APScheduler ``max_instances=1``, ``coalesce=True``). Failure policy: a tick that fails
counts toward ``schedule.max_consecutive_failures`` (reached -> the service stops with exit code 1); an invariant
breach stops it at once (exit code 3); a start-up check that fails (wrong chain, no vault code, a signer without
KEEPER_ROLE, a lens of another version) stops it before any tick (exit code 2). Every tick, failed or not, is
journaled with its reason.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from web3 import Web3

from keeper.chain import ChainClient, MarketBook, TxOutcome, TxPolicy, load_signer
from keeper.config import KeeperConfig
from keeper.deployments import WorldDeployment, load_deployment
from keeper.engine import Proposal, propose
from keeper.errors import (
    ConfigError,
    GasPriceTooHighError,
    InvariantBreachError,
    KeeperError,
    NodeUnreachableError,
    SignerError,
    SimulationRevertedError,
    VaultErrorName,
)
from keeper.journal import Journal, TickRecord
from keeper.metrics import Metrics
from keeper.outcomes import Action, Reason, Status
from keeper.snapshot import Snapshot
from keeper.units import BPS

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURES, EXIT_CONFIG, EXIT_INVARIANT = 0, 1, 2, 3


@dataclass(frozen=True)
class TickResult:
    record: TickRecord
    proposal: Proposal | None
    outcome: TxOutcome | None = None
    state: Snapshot | None = None
    """The vault and its market as the tick read them."""


class Keeper:
    """One vault's keeper. ``tick()`` is the unit of work; ``run()`` schedules it until stopped."""

    def __init__(
        self,
        cfg: KeeperConfig,
        *,
        client: ChainClient | None = None,
        journal: Journal | None = None,
        metrics: Metrics | None = None,
        deployment: WorldDeployment | None = None,
    ) -> None:
        self.cfg = cfg
        self.deployment = deployment or load_deployment(cfg.chain.deployment)
        vault = cfg.chain.vault or (self.deployment.extra.get("vault") or {}).get("address")
        if not vault:
            raise ConfigError(
                f"{cfg.path}: no vault address: set chain.vault or deploy the vault into "
                f"{cfg.chain.deployment} (scripts/deploy_vault.py)"
            )
        self.vault = Web3.to_checksum_address(vault)
        signer = (
            None
            if cfg.dry_run and not _signer_configured(cfg)
            else load_signer(cfg.signer.private_key_env, cfg.signer.keystore, cfg.signer.password_env)
        )
        self.client = client or ChainClient(
            cfg.chain.rpc_urls,
            chain_id=cfg.chain.chain_id,
            timeout_s=cfg.chain.request_timeout_s,
            read_retries=cfg.chain.read_retries,
            backoff_s=cfg.chain.retry_backoff_s,
            signer=signer,
            tx_policy=TxPolicy(
                gas_price_cap_wei=int(cfg.tx.gas_price_cap_gwei * 1e9),
                gas_limit_multiplier=cfg.tx.gas_limit_multiplier,
                receipt_timeout_s=cfg.tx.receipt_timeout_s,
                max_replacements=cfg.tx.max_replacements,
                fee_bump=cfg.tx.fee_bump_pct / 100,
                priority_fee_wei=int(cfg.tx.priority_fee_gwei * 1e9),
                confirmations=cfg.tx.confirmations,
                confirmation_timeout_s=cfg.tx.confirmation_timeout_s,
            ),
            private_tx_urls=cfg.chain.private_tx_urls,
        )
        if client is not None and signer is not None and client.signer is None:
            client.signer = signer
        self.journal = journal or Journal(cfg.journal)
        self.metrics = metrics or Metrics()
        self.consecutive_failures = 0
        self.exit_code: int | None = None
        self.on_tick: Callable[[TickResult], None] | None = None
        """Called with every successful tick's result (the demo's report hooks in here)."""
        self._stop = threading.Event()
        self._checked = False
        aave = self.deployment.extra.get("aave") or {}
        self.book = MarketBook(
            pairs={a.token.lower(): a.pair for a in self.deployment.assets.values() if a.pair},
            routes={a.token.lower(): a.route for a in self.deployment.assets.values() if a.route},
            implied_vol_feeds={a.token.lower(): a.iv_feed for a in self.deployment.assets.values() if a.iv_feed}
            if cfg.risk.implied_vol_weight > 0
            else {},
            eth_usd_feed=None
            if cfg.policy.eth_price_usd
            else next(
                (a.feed for a in self.deployment.assets.values() if a.token.lower() == self.deployment.weth.lower()),
                None,
            ),
            pool_data_provider=aave.get("pool_data_provider"),
            max_rounds=cfg.risk.max_rounds,
            priority_fee_wei=int(cfg.tx.priority_fee_gwei * 1e9),
        )

    # ------------------------------------------------------------ one tick

    def read(self) -> Snapshot:
        """The tick's one snapshot: the vault and its market at one block."""
        return self.client.snapshot(self.vault, self.book)

    def decide(self) -> tuple[Snapshot, Proposal]:
        snap = self.read()
        last = self.journal.last_rebalance()
        last_at = int(last["chain_time"]) if last and last.get("chain_time") else None
        if snap.last_rebalance_at:
            last_at = max(last_at or 0, snap.last_rebalance_at)
        return snap, propose(snap, self.cfg, last_at)

    def tick(self, *, dry_run: bool | None = None) -> TickResult:
        """One pass down the pipeline. Market conditions become journaled holds/skips; errors propagate."""
        dry = self.cfg.dry_run if dry_run is None else dry_run
        s, p = self.decide()
        if p.action is Action.REBALANCE and not dry and s.risk is not None and s.risk.return_pending(s.timestamp):
            # The rebalance would poke before the vault's guardrail check and judge the targets under a covariance
            # one return newer than the snapshot's (a low-vol asset's risk contribution can move past the band on
            # one return). Poke first and decide again, under the covariance the vault will use.
            if self.poke_if_due(dry_run=False) is not None:
                s, p = self.decide()
        for note in p.notes:
            log.warning("tick note block=%d %s", s.block, note)
        if p.action is not Action.REBALANCE:
            log.info(
                "tick decision=%s reason=%s block=%d deviation=%s",
                p.action,
                p.text,
                s.block,
                f"{p.deviation:.4f}" if p.deviation is not None else "-",
            )
            return self._done(s, p, p.action, p.reason, p.detail, Status.OK)
        data = self.rebalance_calldata(s, p)
        try:
            outcome = self.client.send(self.vault, data, dry_run=dry)
        except SimulationRevertedError as exc:
            if exc.error_name == VaultErrorName.WRONG_EPOCH:
                # Another keeper rebalanced first: nothing to do this tick.
                return self._done(s, p, Action.SKIP, Reason.EPOCH_MOVED, str(exc), Status.OK)
            raise
        except GasPriceTooHighError as exc:
            return self._done(s, p, Action.SKIP, Reason.GAS_PRICE_CAP, str(exc), Status.OK)
        if outcome is None:
            return self._done(s, p, Action.REBALANCE, p.reason, p.detail, Status.DRY_RUN)
        self._check_invariants(s)
        self.metrics.gas_spent.inc(outcome.gas_used)
        log.info(
            "tick decision=rebalance tx=%s gas=%d trades=%d deviation=%.4f->%.4f",
            outcome.tx_hash,
            outcome.gas_used,
            len(p.trades),
            p.deviation or 0.0,
            p.deviation_after or 0.0,
        )
        return self._done(s, p, Action.REBALANCE, p.reason, p.detail, Status.OK, outcome)

    def rebalance_calldata(self, s: Snapshot, p: Proposal) -> str:
        """The proposal as the vault's ``rebalance``/``rebalanceWithLending`` call (encoded by the chain client)."""
        return self.client.rebalance_calldata(
            self.vault,
            s.epoch,
            s.timestamp + self.cfg.tx.deadline_s,
            p.target_bps or [],
            [t.as_tuple() for t in p.trades],
            [a.as_tuple() for a in p.actions],
        )

    def _done(
        self,
        s: Snapshot,
        p: Proposal,
        action: Action,
        reason: Reason,
        detail: str,
        status: Status,
        outcome: TxOutcome | None = None,
    ) -> TickResult:
        """Journal the tick, update the metrics, and return its result."""
        rec = TickRecord(
            decision=action,
            reason=reason,
            detail="; ".join(x for x in (detail, *p.notes) if x),
            status=status,
            block=s.block,
            chain_time=s.timestamp,
            epoch=s.epoch,
            deviation=p.deviation,
            deviation_after=p.deviation_after,
            targets_bps=p.target_bps,
            trades=[list(t.as_tuple()) for t in p.trades] or None,
            tx_hash=outcome.tx_hash if outcome else None,
            gas_used=outcome.gas_used if outcome else None,
        )
        self._after(rec, s, p)
        return TickResult(rec, p, outcome, state=s)

    def _check_invariants(self, before: Snapshot) -> None:
        after = self.client.vault_state(self.vault)
        if after.epoch != before.epoch + 1:
            raise InvariantBreachError(f"rebalance mined but epoch went {before.epoch} -> {after.epoch}")
        floor = before.nav * (BPS - before.max_nav_loss_bps) // BPS
        # NAV is re-priced at the new block; only a loss beyond the vault's own bound plus price moves is a breach.
        if after.nav_ok and after.nav < floor * 9 // 10:
            raise InvariantBreachError(f"NAV fell from {before.nav} to {after.nav} across a rebalance")

    def _after(self, rec: TickRecord, s: Snapshot | None = None, p: Proposal | None = None) -> None:
        self.journal.record(rec)
        self.metrics.ticks.labels(decision=rec.decision.value).inc()
        self.metrics.last_success.set(time.time())
        if s is not None:
            self.metrics.observe(s, p)
        if self.client.signer is not None:
            try:
                self.metrics.observe_balance(self.client.balance_of(self.client.signer.address))
            except KeeperError:
                pass

    def poke_if_due(self, *, dry_run: bool | None = None) -> TxOutcome | None:
        """Send the vault's permissionless ``poke`` when its interval has passed (else nothing): the on-chain
        covariance and the breaker's TWAP checkpoints stay fresh between rebalances. A failed poke is logged,
        never counted against the failure policy (the next one will do)."""
        dry = self.cfg.dry_run if dry_run is None else dry_run
        try:
            if not self.client.poke_due(self.vault):
                return None
            outcome = self.client.send(self.vault, self.client.poke_calldata(self.vault), dry_run=dry)
        except KeeperError as exc:
            log.warning("poke failed: %s", exc)
            return None
        if outcome is not None:
            self.metrics.pokes.inc()
            self.metrics.gas_spent.inc(outcome.gas_used)
            log.info("poke tx=%s gas=%d", outcome.tx_hash, outcome.gas_used)
        return outcome

    # ------------------------------------------------------------ lifecycle

    def check(self) -> None:
        """Start-up checks: the chain id matches the config, the vault has code, the signer holds KEEPER_ROLE
        (unless there is no signer: dry-run), the vault's lens is the version this keeper reads.

        Raises ConfigError or SignerError saying what to fix; NodeUnreachableError when the node cannot say.
        """
        self.client.check_chain()
        signer = self.client.signer
        keeper = None if signer is None or self.cfg.dry_run else signer.address
        self.client.check_vault(self.vault, keeper=keeper)
        self._checked = True

    def guarded_tick(self) -> None:
        """A tick under the failure policy (what the scheduler runs)."""
        if self._stop.is_set():
            return
        try:
            if not self._checked:
                self.check()  # the node was unreachable at start: check before the first tick that can
            result = self.tick()
            self.consecutive_failures = 0
            if self.on_tick is not None:
                self.on_tick(result)
        except InvariantBreachError as exc:
            log.critical("invariant breach, stopping: %s", exc)
            self.journal.record(TickRecord(Action.ERROR, Reason.INVARIANT, Status.FAILED, detail=str(exc)))
            self.stop(EXIT_INVARIANT)
        except (ConfigError, SignerError) as exc:
            log.critical("start-up check failed, stopping: %s", exc)
            self.record_failure(exc, Reason.STARTUP_CHECK)
            self.stop(EXIT_CONFIG)
        except Exception as exc:  # noqa: BLE001 - the failure policy decides, and the journal says what it was
            self.consecutive_failures += 1
            log.error(
                "tick failed error=%s consecutive=%d/%d: %s",
                type(exc).__name__,
                self.consecutive_failures,
                self.cfg.schedule.max_consecutive_failures,
                exc,
            )
            self.record_failure(exc)
            if self.consecutive_failures >= self.cfg.schedule.max_consecutive_failures:
                log.critical("stopping after %d consecutive failures", self.consecutive_failures)
                self.stop(EXIT_FAILURES)

    def record_failure(self, exc: BaseException, reason: Reason = Reason.TICK_FAILED) -> TickRecord:
        """Journal a failed tick (or start-up check) with its decoded error (and the transaction's hash when one
        was mined or reorged), count it in the metrics, and return the record."""
        self.metrics.failures.inc()
        tx_hash = getattr(exc, "tx_hash", None)
        record = TickRecord(
            Action.ERROR,
            reason,
            Status.FAILED,
            detail=f"{type(exc).__name__}: {exc}",
            block=getattr(exc, "block", None),
            tx_hash=tx_hash if isinstance(tx_hash, str) else None,
        )
        self.journal.record(record)
        return record

    def stop(self, code: int = EXIT_OK) -> None:
        if self.exit_code is None:
            self.exit_code = code
        self._stop.set()

    def run(self, *, max_ticks: int | None = None, install_signals: bool = True) -> int:
        """Tick every ``schedule.interval_s`` until stopped; returns the exit code (2 when a start-up check fails)."""
        try:
            self.check()
        except (ConfigError, SignerError) as exc:
            log.critical("start-up check failed, not starting: %s", exc)
            self.stop(EXIT_CONFIG)
            return EXIT_CONFIG
        except NodeUnreachableError as exc:
            log.warning("start-up checks postponed until the node answers: %s", exc)
        last = self.journal.last(1)
        log.info(
            "keeper start vault=%s rpc=%s dry_run=%s journal=%s resumed_ticks=%d last_block=%s",
            self.vault,
            self.client.url,
            self.cfg.dry_run,
            self.cfg.journal,
            self.journal.count(),
            last[0]["block"] if last else "-",
        )
        if self.cfg.metrics_port:
            self.metrics.serve(self.cfg.metrics_port)
            log.info("metrics served on http://127.0.0.1:%d/metrics", self.cfg.metrics_port)
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stop(EXIT_OK))
        ticks = {"n": 0}

        def job() -> None:
            self.guarded_tick()
            ticks["n"] += 1
            if max_ticks is not None and ticks["n"] >= max_ticks:
                self.stop(EXIT_OK)

        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        scheduler.add_job(job, "interval", seconds=self.cfg.schedule.interval_s, id="tick", next_run_time=_now())
        if self.cfg.schedule.poke_interval_s > 0:
            # The same one-thread executor: a poke never overlaps a tick (one nonce sequence).
            scheduler.add_job(self.poke_if_due, "interval", seconds=self.cfg.schedule.poke_interval_s, id="poke")
        scheduler.start()
        try:
            while not self._stop.wait(0.2):
                pass
        finally:
            scheduler.shutdown(wait=True)
            log.info("keeper stop exit_code=%s ticks=%d", self.exit_code, ticks["n"])
        return self.exit_code or EXIT_OK


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _signer_configured(cfg: KeeperConfig) -> bool:
    import os

    return bool(cfg.signer.keystore or (cfg.signer.private_key_env and os.environ.get(cfg.signer.private_key_env)))
