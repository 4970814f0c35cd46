"""What a tick decided and why, as enums (their values are what the journal, logs and metrics show).

``str`` mixins keep them JSON- and SQLite-friendly and comparable with their values.
"""

from __future__ import annotations

from enum import Enum


class TextEnum(str, Enum):
    """An enum whose members print as their values (what journals, logs and YAML files hold)."""

    def __str__(self) -> str:
        return str(self.value)


class Action(TextEnum):
    """What a tick did."""

    REBALANCE = "rebalance"
    HOLD = "hold"
    """The policy said no: nothing is wrong, moving is not worth it (or not allowed yet)."""
    SKIP = "skip"
    """The keeper cannot decide safely (stale oracle, paused vault, no history, stale node...)."""
    ERROR = "error"
    """The tick failed (counted by the failure policy)."""


class Status(TextEnum):
    OK = "ok"
    DRY_RUN = "dry_run"
    FAILED = "failed"


class Reason(TextEnum):
    """Why. Policy reasons first, then leverage, then the reasons a tick is skipped, then failures."""

    # policy (keeper.policy.decide)
    COOLDOWN = "cooldown"
    BELOW_THRESHOLD = "below_threshold"
    TRADES_BELOW_MINIMUM = "trades_below_minimum"
    NOT_WORTH_COST = "not_worth_cost"
    DEVIATION_ABOVE_THRESHOLD = "deviation_above_threshold"
    INTERVAL_ELAPSED = "interval_elapsed"
    """A calendar review (``policy.max_interval_s``): the last rebalance is that old, the move passed the cost gate."""
    # leverage (keeper.engine, levered vaults)
    HEALTH_FACTOR_ALARM = "health_factor_alarm"
    LEVERAGE_OFF_TARGET = "leverage_off_target"
    EXPOSURE_OFF_TARGET = "exposure_off_target"
    """Volatility targeting on a vault that does not lever: the risky exposure is far from target vol / forecast."""
    PLAN_BELOW_MIN_HEALTH_FACTOR = "plan_below_min_health_factor"
    # skips: the state read cannot be decided on
    STALE_HEAD = "stale_head"
    SEQUENCER_DOWN = "sequencer_down"
    REBALANCES_PAUSED = "rebalances_paused"
    EMPTY_VAULT = "empty_vault"
    STALE_ORACLE = "stale_oracle"
    VAULT_NAV_UNAVAILABLE = "vault_nav_unavailable"
    NON_POSITIVE_NAV = "non_positive_nav"
    NO_RISK_BUDGET = "no_risk_budget"
    INSUFFICIENT_HISTORY = "insufficient_history"
    SOLVER_FAILED = "solver"
    PRICE_BREAKER = "price_breaker"
    """The vault's DEX-vs-oracle circuit breaker is tripped: deposits, swap exits and rebalances revert."""
    ONCHAIN_GUARDRAIL = "onchain_guardrail"
    """No target near the keeper's passes the vault's risk guardrail under its on-chain covariance."""
    # skips decided at send time
    EPOCH_MOVED = "epoch_moved"
    GAS_PRICE_CAP = "gas_price_cap"
    # failures
    TICK_FAILED = "tick_failed"
    STARTUP_CHECK = "startup_check"
    INVARIANT = "invariant"
