"""One keeper decision, as a pure function: chain reads in, a proposal (hold, skip or rebalance with trades) out.

read -> [this module: oracle checks -> returns -> covariance -> solve -> policy -> plan] -> simulate -> send
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keeper.chain import FeedHistory, VaultState
from keeper.config import KeeperConfig
from keeper.errors import InsufficientDataError, KeeperError, StaleOracleError
from keeper.leverage import LendingAction, plan_leveraged_rebalance, target_leverage
from keeper.planner import PoolReserves, Trade, plan_trades, weights_to_bps
from keeper.policy import Decision, PolicyConfig, Pool, decide
from keeper.risk import (
    annualize_covariance,
    blend_implied_vol,
    ewma_covariance,
    ledoit_wolf,
    log_returns,
    repair_covariance,
    resample_rounds,
    risk_budget_weights,
    risk_contributions,
    sample_covariance,
)
from keeper.risk.types import FloatArray

log = logging.getLogger(__name__)

BPS = 10_000
TURNOVER_MARGIN = 0.95
"""Share of the vault's turnover cap a move may use (prices move between the read and the block)."""


@dataclass(frozen=True)
class TickInputs:
    """Everything one decision needs, as read from the chain at one block."""

    state: VaultState
    histories: dict[str, FeedHistory]
    """Keyed by feed address."""
    reserves: list[tuple[int, int] | None]
    """(asset reserve, base reserve) per registry entry; None for the base asset."""
    implied_vols: dict[str, float] = field(default_factory=dict)
    """Annualized implied vol per token address, when the world has implied-vol feeds."""
    gas_price_wei: int = 0
    eth_usd: float = 0.0
    reserve_configs: list[tuple[int, int, bool]] | None = None
    """(loan-to-value bps, liquidation threshold bps, collateral enabled) per registry entry, when the vault
    levers on Aave."""


@dataclass(frozen=True)
class Proposal:
    decision: str
    """"rebalance", "hold" (policy said no) or "skip" (cannot decide safely: stale oracle, paused, no data)."""
    reason: str
    deviation: float | None = None
    deviation_after: float | None = None
    target_bps: list[int] | None = None
    trades: tuple[Trade, ...] = ()
    risky: tuple[int, ...] = ()
    """Registry indices of the risk-budgeted assets."""
    weights: FloatArray | None = None
    """Current value weights of the risky assets (fractions of NAV)."""
    target_weights: FloatArray | None = None
    risk_contributions: FloatArray | None = None
    budget: FloatArray | None = None
    actions: tuple[LendingAction, ...] = ()
    """Lending actions (levered vaults only): the rebalance goes out as ``rebalanceWithLending``."""
    leverage: float | None = None
    """Gross / NAV now (levered vaults only)."""
    leverage_target: float | None = None


def check_oracles(state: VaultState) -> None:
    """Raise StaleOracleError naming the first feed the vault itself would refuse."""
    for a in state.assets:
        if a.balance == 0 and a.budget_bps == 0 and a.target_bps == 0:
            continue
        age = state.timestamp - a.updated_at
        if a.answer <= 0:
            raise StaleOracleError(f"feed {a.feed} of {a.token} answers {a.answer} (not positive)")
        if a.updated_at == 0 or age > a.heartbeat_s:
            raise StaleOracleError(
                f"feed {a.feed} of {a.token} is stale: answer age {age}s > heartbeat {a.heartbeat_s}s"
            )
        if not a.min_price <= a.answer <= a.max_price:
            raise StaleOracleError(
                f"feed {a.feed} of {a.token} answers {a.answer}, outside [{a.min_price}, {a.max_price}]"
            )


def estimate_covariance(inputs: TickInputs, risky: list[int], cfg: KeeperConfig) -> FloatArray:
    """Annualized covariance of the risky assets' log returns on the configured grid."""
    s, r = inputs.state, cfg.risk
    rounds = []
    for i in risky:
        h = inputs.histories[s.assets[i].feed]
        rounds.append((np.asarray(h.updated_at, dtype=np.int64), np.asarray(h.answers, dtype=np.float64)))
    end = s.timestamp
    start = max(max(int(ts[0]) for ts, _ in rounds), end - r.lookback_s)
    _, prices = resample_rounds(rounds, r.interval_s, start=start, end=end)
    rets = log_returns(prices)
    if rets.shape[0] < r.min_observations:
        raise InsufficientDataError(
            f"{rets.shape[0]} returns of {r.interval_s}s in the window, "
            f"{r.min_observations} needed (risk.min_observations)"
        )
    if r.estimator == "ewma":
        cov = ewma_covariance(rets, decay=r.ewma_decay)
    elif r.estimator == "ledoit_wolf":
        cov = ledoit_wolf(rets).covariance
    else:
        cov = sample_covariance(rets)
    cov = annualize_covariance(repair_covariance(cov), r.interval_s)
    if r.implied_vol_weight > 0 and inputs.implied_vols:
        iv = np.array([inputs.implied_vols.get(s.assets[i].token, np.nan) for i in risky])
        cov = blend_implied_vol(cov, iv, r.implied_vol_weight)
    return cov


def propose(inputs: TickInputs, cfg: KeeperConfig, last_rebalance_at: int | None = None) -> Proposal:
    """Decide from one block's reads. Never raises for a market condition: those become "skip" proposals."""
    s = inputs.state
    if s.rebalances_paused:
        return Proposal("skip", "rebalances_paused")
    if s.total_supply == 0:
        return Proposal("skip", "empty_vault")
    try:
        check_oracles(s)
    except StaleOracleError as exc:
        return Proposal("skip", f"stale_oracle: {exc}")
    if not s.nav_ok:
        return Proposal("skip", "vault_nav_unavailable")
    if s.nav == 0:
        return Proposal("skip", "empty_vault")
    risky = [i for i, a in enumerate(s.assets) if i != 0 and a.budget_bps > 0]
    if not risky:
        return Proposal("skip", "no_risk_budget")
    try:
        cov = estimate_covariance(inputs, risky, cfg)
    except InsufficientDataError as exc:
        return Proposal("skip", f"insufficient_history: {exc}")
    budget = np.array([s.assets[i].budget_bps for i in risky], dtype=np.float64)
    budget /= budget.sum()
    try:
        solved = risk_budget_weights(cov, budget)
    except KeeperError as exc:
        return Proposal("skip", f"solver: {exc}")

    # Values in USD (8 decimals) at the oracle prices, held plus supplied; weights are exposures as fractions of
    # NAV (gross minus debt), so they sum to the leverage.
    values = np.array(
        [(a.balance + a.collateral) * a.answer / 10**a.token_decimals for a in s.assets], dtype=np.float64
    )
    base = s.assets[0]
    base_usd = base.answer / 10**base.feed_decimals
    debt_usd8 = s.debt * base.answer / 10**base.token_decimals
    nav_usd8 = float(values.sum()) - debt_usd8
    if nav_usd8 <= 0:
        return Proposal("skip", "non_positive_nav")
    nav_usd = nav_usd8 / 1e8
    weights = values[risky] / nav_usd8
    cash = cfg.policy.cash_buffer_bps / BPS
    lever = _leverage_view(inputs, cfg, risky, solved, cov, values, nav_usd8)
    target = solved * ((lever.target if lever else 1.0) - cash)
    prices_base = np.array([s.assets[i].answer / 10 ** s.assets[i].feed_decimals / base_usd for i in risky])
    pools = []
    for i in risky:
        res = inputs.reserves[i]
        a = s.assets[i]
        pools.append(Pool(res[0] / 10**a.token_decimals, res[1] / 10**base.token_decimals) if res else Pool(0, 0))
    gas_cost = cfg.policy.gas_per_trade * inputs.gas_price_wei / 1e18 * inputs.eth_usd / base_usd
    # The vault refuses a rebalance whose inputs are worth more than max_turnover_bps of NAV; every trade goes
    # through the base asset, so turnover is the sum of the weight changes. Cap the move to fit, with a margin.
    move = float(np.abs(target - weights).sum())
    cap = s.max_turnover_bps / BPS * TURNOVER_MARGIN
    f_max = 1.0 if move <= cap else cap / move
    policy = PolicyConfig(
        trigger_threshold=cfg.policy.trigger_rc_deviation,
        cooldown_seconds=cfg.policy.cooldown_s,
        min_trade_value=cfg.policy.min_trade_usd / base_usd,
        value_per_squared_deviation=cfg.policy.value_per_squared_deviation,
        cost_multiple=cfg.policy.cost_multiple,
        fractions=(f_max, f_max / 2, f_max / 4),
    )
    last = last_rebalance_at if last_rebalance_at is not None else (s.last_rebalance_at or None)
    d = decide(
        now=s.timestamp,
        last_rebalance=last,
        nav=nav_usd / base_usd,
        current_weights=weights,
        target_weights=target,
        cov=cov,
        budget=budget,
        prices=prices_base,
        pools=pools,
        gas_cost_per_trade=gas_cost,
        config=policy,
    )
    rc = risk_contributions(weights, cov) if weights.sum() > 0 else np.zeros_like(weights)
    common = dict(
        deviation=d.deviation_before,
        deviation_after=d.deviation_after,
        risky=tuple(risky),
        weights=weights,
        target_weights=target,
        risk_contributions=rc,
        budget=budget,
        leverage=lever.now if lever else None,
        leverage_target=lever.target if lever else None,
    )
    if lever is not None:
        return _propose_levered(inputs, cfg, d, lever, risky, weights, target, f_max, common)
    if not d.rebalance:
        return Proposal("hold", d.reason, **common)

    # Registry-order targets in bps: the chosen move for the risky assets, the rest in the base asset; assets
    # without a budget go to zero.
    full = np.zeros(len(s.assets))
    full[risky] = np.clip(d.weights, 0.0, None)
    full[0] = max(0.0, 1.0 - full.sum())
    target_bps = weights_to_bps(full)
    reserves = [PoolReserves(*r) if r else None for r in inputs.reserves]
    plan = plan_trades(
        tokens=[a.token for a in s.assets],
        balances=[a.balance for a in s.assets],
        prices=[_to_8_decimals(a.answer, a.feed_decimals) for a in s.assets],
        decimals=[a.token_decimals for a in s.assets],
        base_index=0,
        target_bps=target_bps,
        reserves=reserves,
        slippage_bps=cfg.policy.slippage_bps,
        oracle_bound_bps=s.max_slippage_bps,
        min_trade_usd=int(cfg.policy.min_trade_usd * 1e8),
        max_trade_usd=int(cfg.policy.max_trade_usd * 1e8) if cfg.policy.max_trade_usd else None,
    )
    for note in plan.skipped:
        log.info("planner skipped %s", note)
    if not plan.trades:
        return Proposal("hold", "trades_below_minimum", **common)
    return Proposal("rebalance", "deviation_above_threshold", target_bps=target_bps, trades=plan.trades, **common)


@dataclass(frozen=True)
class _Lever:
    now: float
    target: float
    health_factor: float
    min_health_factor: float
    thresholds: list[float]
    loan_to_values: list[float]
    collateral_ok: list[bool]
    alarm: bool


def _leverage_view(
    inputs: TickInputs,
    cfg: KeeperConfig,
    risky: list[int],
    solved: FloatArray,
    cov: FloatArray,
    values: FloatArray,
    nav_usd8: float,
) -> _Lever | None:
    """Where leverage is and should be, for a vault with a lending adapter (None otherwise)."""
    s = inputs.state
    if not s.lending_adapter or not s.leverage_params or not inputs.reserve_configs:
        return None
    min_hf, target_hf, _ripcord = (s.leverage_params[i] / 1e18 for i in range(3))
    max_lev = s.leverage_params[3] / BPS
    loan_to_values = [ltv / BPS for ltv, _, _ in inputs.reserve_configs]
    thresholds = [lt / BPS for _, lt, _ in inputs.reserve_configs]
    collateral_ok = [ok for _, _, ok in inputs.reserve_configs]
    cash = cfg.policy.cash_buffer_bps / BPS
    lev = target_leverage(
        solved,
        cov,
        target_vol=cfg.leverage.target_vol,
        max_leverage=max_lev - cash,
        liquidation_thresholds=[thresholds[i] for i in risky],
        target_health_factor=target_hf,
    )
    hf = s.health_factor_wad / 1e18
    alarm = s.debt > 0 and hf < min_hf * (1.0 + cfg.leverage.health_factor_margin)
    if alarm:
        # Before the ripcord: bring the health factor back to the target, whatever the vol target says.
        lev = min(lev, 1.0 + (float(values.sum()) / nav_usd8 - 1.0) * hf / target_hf)
    return _Lever(
        now=float(values.sum()) / nav_usd8,
        target=max(1.0, lev + cash),
        health_factor=hf,
        min_health_factor=min_hf,
        thresholds=thresholds,
        loan_to_values=loan_to_values,
        collateral_ok=collateral_ok,
        alarm=alarm,
    )


def _propose_levered(
    inputs: TickInputs,
    cfg: KeeperConfig,
    d: Decision,
    lever: _Lever,
    risky: list[int],
    weights: FloatArray,
    target: FloatArray,
    f_max: float,
    common: dict[str, Any],
) -> Proposal:
    """A levered vault: rebalance on risk deviation, on leverage off its target, or on a health-factor alarm."""
    s = inputs.state
    off_target = abs(lever.now - lever.target) > cfg.leverage.band
    if not d.rebalance and not (lever.alarm or (off_target and d.reason != "cooldown")):
        return Proposal("hold", d.reason, **common)
    reason = (
        "health_factor_alarm"
        if lever.alarm
        else ("deviation_above_threshold" if d.rebalance else "leverage_off_target")
    )
    w_move = d.weights if d.rebalance else weights + f_max * (target - weights)
    cash = cfg.policy.cash_buffer_bps / BPS
    # Gross / NAV: the risky exposures plus the cash buffer when they need borrowing; otherwise the base asset
    # holds the rest and there is no debt (leverage 1).
    gross_over_nav = max(1.0, float(np.clip(w_move, 0.0, None).sum()) + cash)
    composition = np.zeros(len(s.assets))
    composition[risky] = np.clip(w_move, 0.0, None) / gross_over_nav
    plan = plan_leveraged_rebalance(
        tokens=[a.token for a in s.assets],
        held=[a.balance for a in s.assets],
        supplied=[a.collateral for a in s.assets],
        prices=[_to_8_decimals(a.answer, a.feed_decimals) for a in s.assets],
        decimals=[a.token_decimals for a in s.assets],
        base_index=0,
        debt=s.debt,
        risky_weights=composition,
        leverage=max(1.0, gross_over_nav),
        liquidation_thresholds=lever.thresholds,
        collateral_enabled=lever.collateral_ok,
        loan_to_values=lever.loan_to_values,
        reserves=[PoolReserves(*r) if r else None for r in inputs.reserves],
        slippage_bps=cfg.policy.slippage_bps,
        oracle_bound_bps=s.max_slippage_bps,
        min_trade_usd=int(cfg.policy.min_trade_usd * 1e8),
        max_trade_usd=int(cfg.policy.max_trade_usd * 1e8) if cfg.policy.max_trade_usd else None,
    )
    step_back = plan.debt_after < s.debt and plan.health_factor_after > lever.health_factor
    if plan.debt_after > 0 and plan.health_factor_after < lever.min_health_factor and not step_back:
        # Refused before sending: the vault would revert (HealthFactorTooLow). A plan that repays debt and lifts
        # the health factor is the way back from below the minimum, and the vault accepts it.
        return Proposal(
            "skip",
            f"plan_below_min_health_factor: {plan.health_factor_after:.3f} < {lever.min_health_factor:.3f}",
            **common,
        )
    if not plan.trades and not plan.actions:
        return Proposal("hold", "trades_below_minimum", **common)
    return Proposal("rebalance", reason, target_bps=plan.target_bps, trades=plan.trades, actions=plan.actions, **common)


def _to_8_decimals(answer: int, decimals: int) -> int:
    return answer * 10 ** (8 - decimals) if decimals <= 8 else answer // 10 ** (decimals - 8)
