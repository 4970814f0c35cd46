"""Operator metrics in the Prometheus exposition format (served only when a port is configured).

Gauges an operator alerts on, set from every tick's snapshot: health factor, leverage, oldest feed age, head-block
age, the keeper's ether balance, the risk-contribution deviation, the loss budget used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

if TYPE_CHECKING:
    from keeper.engine import Proposal
    from keeper.snapshot import Snapshot


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.ticks = Counter("rp_keeper_ticks", "Keeper ticks by outcome", ["decision"], registry=r)
        self.failures = Counter("rp_keeper_failures", "Ticks that failed", registry=r)
        self.last_success = Gauge(
            "rp_keeper_last_success_timestamp_seconds", "Wall-clock time of the last successful tick", registry=r
        )
        self.deviation = Gauge(
            "rp_keeper_rc_deviation", "Risk-contribution deviation from the budget (0..1)", registry=r
        )
        self.gas_spent = Counter("rp_keeper_gas_used", "Gas used by the keeper's transactions", registry=r)
        self.balance = Gauge("rp_keeper_balance_wei", "The keeper account's ether balance, wei", registry=r)
        self.balance_eth = Gauge("rp_keeper_balance_eth", "The keeper account's ether balance, ETH", registry=r)
        self.health_factor = Gauge(
            "rp_vault_health_factor", "The lending market's health factor (+Inf without debt)", registry=r
        )
        self.leverage = Gauge("rp_vault_leverage", "Gross exposure / NAV (1 without debt)", registry=r)
        self.oldest_feed_age = Gauge(
            "rp_vault_oldest_feed_age_seconds", "Age of the oldest answer among the vault's feeds", registry=r
        )
        self.head_age = Gauge(
            "rp_chain_head_age_seconds", "Wall clock minus the timestamp of the block the tick read", registry=r
        )
        self.loss_budget_used = Gauge(
            "rp_vault_loss_budget_used", "Share of the vault's rolling loss budget used (0..1)", registry=r
        )
        self.block = Gauge("rp_chain_block", "Block number the last tick read", registry=r)
        self.breaker_tripped = Gauge(
            "rp_vault_price_breaker_tripped",
            "1 while the vault's DEX-vs-oracle circuit breaker stops deposits, swap exits and rebalances",
            registry=r,
        )
        self.price_divergence = Gauge(
            "rp_vault_price_divergence_bps", "Largest pool TWAP vs feed divergence the vault measures, bps", registry=r
        )
        self.covariance_observations = Gauge(
            "rp_vault_covariance_observations", "Returns in the vault's on-chain covariance", registry=r
        )
        self.pokes = Counter("rp_keeper_pokes", "Covariance pokes the keeper sent", registry=r)

    def observe(self, s: Snapshot, p: Proposal | None = None) -> None:
        """Set the gauges from one tick's snapshot (and its proposal's deviation)."""
        self.block.set(s.block)
        self.head_age.set(s.head_age_s)
        self.oldest_feed_age.set(max((s.timestamp - a.updated_at for a in s.assets), default=0))
        self.loss_budget_used.set(s.loss_budget_used)
        self.leverage.set(s.gross_leverage)
        self.health_factor.set(s.health_factor)
        if s.risk is not None:
            self.breaker_tripped.set(1 if s.risk.breaker_tripped else 0)
            self.price_divergence.set(s.risk.divergence_bps)
            self.covariance_observations.set(s.risk.observations)
        if p is not None and p.deviation is not None:
            self.deviation.set(p.deviation)

    def observe_balance(self, wei: int) -> None:
        self.balance.set(wei)
        self.balance_eth.set(wei / 1e18)

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        start_http_server(port, addr=addr, registry=self.registry)
