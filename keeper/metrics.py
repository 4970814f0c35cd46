"""Operator metrics in the Prometheus exposition format (served only when a port is configured)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ticks = Counter("rp_keeper_ticks", "Keeper ticks by outcome", ["decision"], registry=self.registry)
        self.failures = Counter("rp_keeper_failures", "Ticks that failed", registry=self.registry)
        self.last_success = Gauge(
            "rp_keeper_last_success_timestamp_seconds",
            "Wall-clock time of the last successful tick",
            registry=self.registry,
        )
        self.deviation = Gauge(
            "rp_keeper_rc_deviation", "Risk-contribution deviation from the budget (0..1)", registry=self.registry
        )
        self.gas_spent = Counter("rp_keeper_gas_used", "Gas used by the keeper's transactions", registry=self.registry)
        self.balance = Gauge("rp_keeper_balance_wei", "The keeper account's ether balance", registry=self.registry)

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        start_http_server(port, addr=addr, registry=self.registry)
