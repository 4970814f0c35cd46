"""One keeper decision, as a pure function: a snapshot in, a proposal (hold, skip or rebalance) out.

The path goes down once and comes back once::

    propose(snapshot)
      -> _gate            can the state be decided on at all (head age, sequencer, pauses, oracles, NAV)?
      -> estimate_covariance   keeper.risk: returns on a grid, the configured estimator, variance floor, repair
      -> allocate         keeper.risk: risk-budget weights (or a baseline allocator for the backtest)
      -> _leverage        keeper.risk.leverage: the one leverage target (levered vaults only)
      -> keeper.policy.decide  whether and how far to move
      -> keeper.planner / keeper.leverage  integer trades and lending actions
      <- Proposal

Everything arrives in the snapshot's frame (:mod:`keeper.units`): floats in whole base units for the maths,
integers for the plan. Market conditions never raise: they become ``SKIP`` or ``HOLD`` proposals with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

import numpy as np

from keeper.config import Estimator, KeeperConfig
from keeper.errors import InsufficientDataError, KeeperError
from keeper.guardrail import BAND_MARGIN, fit_to_band, gap, onchain_covariance
from keeper.leverage import LendingAction, LeveragedPlan, plan_leveraged_rebalance
from keeper.outcomes import Action, Reason, TextEnum
from keeper.planner import Trade, plan_trades, weights_to_bps
from keeper.policy import Decision, PolicyConfig, decide
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
from keeper.risk.covariance import correlation_from_covariance
from keeper.risk.forecast import fit_garch11
from keeper.risk.leverage import target_leverage
from keeper.risk.returns import periods_per_year
from keeper.risk.types import FloatArray
from keeper.snapshot import Snapshot, feed_problem
from keeper.units import BPS, to_raw

log = logging.getLogger(__name__)

TURNOVER_MARGIN = 0.95
"""Share of the vault's turnover cap a move may use (prices move between the read and the block)."""
MIN_ANNUAL_VOL = 1e-4
"""Variance floor, as an annualized volatility: a flat series (a pegged asset, a feed that did not move in the
window) gets this instead of a zero variance that no covariance repair or solver can work with."""


class Allocator(TextEnum):
    """How target weights are made from the covariance. The keeper runs ``RISK_BUDGET``; the backtest also runs
    the two baselines through the same engine."""

    RISK_BUDGET = "risk_parity"
    EQUAL_WEIGHT = "equal_weight"
    INVERSE_VOL = "inverse_vol"


@dataclass(frozen=True)
class Proposal:
    action: Action
    reason: Reason
    detail: str = ""
    """What a person needs beyond the reason (which feed is stale, how much history is missing...)."""
    deviation: float | None = None
    deviation_after: float | None = None
    target_bps: list[int] | None = None
    trades: tuple[Trade, ...] = ()
    actions: tuple[LendingAction, ...] = ()
    """Lending actions (levered vaults only): the rebalance goes out as ``rebalanceWithLending``."""
    risky: tuple[int, ...] = ()
    """Registry indices of the risk-budgeted assets."""
    weights: FloatArray | None = None
    """Current exposures of the risky assets as fractions of NAV."""
    target_weights: FloatArray | None = None
    risk_contributions: FloatArray | None = None
    budget: FloatArray | None = None
    covariance: FloatArray | None = None
    """Annualized, of the risky assets."""
    leverage: float | None = None
    """Gross / NAV now (levered vaults only)."""
    leverage_target: float | None = None
    exposure_target: float | None = None
    """Risky exposure / NAV the move aims at (volatility targeting)."""
    forecast_vol: float | None = None
    """Annualized volatility of the target composition as targeted (bias correction included)."""
    notes: tuple[str, ...] = ()
    """Things the tick adjusted and the journal should show (a floored flat series...)."""

    @property
    def text(self) -> str:
        """``reason`` or ``reason: detail``: what the journal and logs print."""
        return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value


def _gate(s: Snapshot, cfg: KeeperConfig) -> tuple[Reason, str] | None:
    """Why the state cannot be decided on, or None. The vault would refuse the same things."""
    if cfg.chain.max_head_age_s > 0 and s.head_age_s > cfg.chain.max_head_age_s:
        return Reason.STALE_HEAD, (
            f"block {s.block} is {s.head_age_s:.0f}s old (chain.max_head_age_s {cfg.chain.max_head_age_s:.0f}): "
            "the node is stalled or behind; check it or add another URL to chain.rpc_urls"
        )
    if s.sequencer_down:
        return (
            Reason.SEQUENCER_DOWN,
            "the L2 sequencer uptime feed says down or in its grace period: the vault refuses prices until it is back",
        )
    if s.rebalances_paused:
        return Reason.REBALANCES_PAUSED, ""
    if s.risk is not None and s.risk.breaker_tripped:
        return Reason.PRICE_BREAKER, (
            f"the pool TWAP of {s.risk.breaker_token} is {s.risk.divergence_bps} bps from its feed (vault maximum "
            f"{s.risk.max_divergence_bps}): deposits, swap exits and rebalances revert until the pool and the feed "
            "agree again over the TWAP window; check the feed and the pool"
        )
    if s.total_supply == 0:
        return Reason.EMPTY_VAULT, ""
    if (problem := feed_problem(s)) is not None:
        return Reason.STALE_ORACLE, problem
    if not s.nav_ok:
        return Reason.VAULT_NAV_UNAVAILABLE, ""
    if s.nav == 0:
        return Reason.EMPTY_VAULT, ""
    if s.nav_base <= 0:
        return Reason.NON_POSITIVE_NAV, f"{s.nav_base:.6f} base units"
    return None


@dataclass(frozen=True)
class Estimate:
    covariance: FloatArray
    """Annualized, of the risky assets."""
    returns: FloatArray
    """The log returns on the grid it was estimated from, (T, N), oldest first."""
    notes: tuple[str, ...]


def estimate_covariance(s: Snapshot, risky: list[int], cfg: KeeperConfig) -> Estimate:
    """Annualized covariance of the risky assets' log returns on the configured grid, the returns, and notes on
    what was floored. Raises InsufficientDataError when the window holds fewer returns than
    ``risk.min_observations``."""
    r = cfg.risk
    histories = []
    for i in risky:
        h = s.assets[i].history
        if not h.updated_at:
            raise InsufficientDataError(f"no feed rounds for {s.assets[i].token}")
        histories.append(h)
    # Times as read (a tuple): feeds that share round times are then resampled together (``resample_rounds``).
    answers = raw_answers_of([h.answers for h in histories])
    rounds = [(h.updated_at, a) for h, a in zip(histories, answers, strict=True)]
    end = s.timestamp
    start = max(max(int(ts[0]) for ts, _ in rounds), end - r.lookback_s)
    _, prices = resample_rounds(rounds, r.interval_s, start=start, end=end)
    rets = log_returns(prices)
    if rets.shape[0] < r.min_observations:
        raise InsufficientDataError(
            f"{rets.shape[0]} returns of {r.interval_s}s in the window, {r.min_observations} needed "
            "(risk.min_observations)"
        )
    if r.estimator is Estimator.LEDOIT_WOLF:
        cov = ledoit_wolf(rets).covariance
    elif r.estimator is Estimator.SAMPLE:
        cov = sample_covariance(rets)
    else:  # EWMA, and the correlations (and fallback variances) of GARCH and the blend
        cov = ewma_covariance(rets, decay=r.ewma_decay)
    floor = MIN_ANNUAL_VOL**2 / periods_per_year(r.interval_s)
    flat: list[int] = np.flatnonzero(~(np.diag(cov) >= floor)).tolist()
    notes = tuple(
        f"flat_series: {s.assets[risky[k]].token} variance floored at {MIN_ANNUAL_VOL:.2%} a year" for k in flat
    )
    if flat:
        cov = cov.copy()
        for k in flat:  # a series that barely moved carries (almost) no covariance either
            cov[k, :] = 0.0
            cov[:, k] = 0.0
            cov[k, k] = floor
    if r.estimator in (Estimator.GARCH, Estimator.BLEND):
        garch, garch_notes = garch_on_own_grid(rets, cov, [s.assets[i].token for i in risky])
        cov = garch if r.estimator is Estimator.GARCH else 0.5 * (cov + garch)
        notes = garch_notes + notes
    cov = annualize_covariance(repair_covariance(cov), r.interval_s)
    if r.implied_vol_weight > 0:
        iv = np.array([s.assets[i].implied_vol or np.nan for i in risky])
        if not np.all(np.isnan(iv)):
            cov = blend_implied_vol(cov, iv, r.implied_vol_weight)
    return Estimate(cov, rets, notes)


def raw_answers(answers: tuple[int, ...]) -> FloatArray:
    """A feed's raw integer answers as floats, each the nearest double (as ``float(answer)``).

    Through int64 when they fit: NumPy converts a tuple of Python ints to int64 about ten times faster than to
    float64 directly, and the int64 -> float64 cast rounds to nearest as ``float()`` does. Answers beyond int64
    (an int256 feed can report them) go through Python floats."""
    if answers and type(answers[0]) is int:
        try:
            return np.array(answers, dtype=np.int64).astype(np.float64)
        except OverflowError:
            pass
    return np.array(answers, dtype=np.float64)


def raw_answers_of(feeds: list[tuple[int, ...]]) -> Sequence[FloatArray]:
    """:func:`raw_answers` of several feeds: one conversion for all when each has as many integer rounds (the rows
    of one (N, M) array), else feed by feed. The same doubles either way."""
    if feeds and len({len(a) for a in feeds}) == 1 and all(a and type(a[0]) is int for a in feeds):
        try:
            return list(np.array(feeds, dtype=np.int64).astype(np.float64))
        except (OverflowError, TypeError, ValueError):
            pass
    return [raw_answers(a) for a in feeds]


def garch_on_own_grid(rets: FloatArray, ewma: FloatArray, tokens: list[str]) -> tuple[FloatArray, tuple[str, ...]]:
    """EWMA correlations with each asset's variance from a GARCH(1,1) fitted on the intervals where its own
    price moved (``ewma`` comes with flat series already floored, so every variance is positive).

    A feed that did not publish in an interval (Chainlink's deviation rule in a calm hour; an equity feed over a
    weekend) leaves a zero return on the common grid; fitted on those, GARCH sees volatility clusters that are
    only publication gaps. So each asset is fitted on its nonzero returns only, and its per-interval variance is
    the fitted one-step forecast times the share of intervals that moved (``E[r²] = p · E[r² | moved]``). A fit
    that fails (too few moves, flat likelihood, no convergence) falls back to the EWMA variance for that asset,
    with the reason in the notes.
    """
    variances = np.diag(ewma).copy()
    notes: list[str] = []
    for j in range(rets.shape[1]):
        moved = rets[:, j][rets[:, j] != 0.0]
        try:
            model = fit_garch11(moved)
            if not model.converged:
                raise ValueError("the optimiser did not converge")
            variances[j] = model.forecast_variance(1) * moved.size / rets.shape[0]
        except (KeeperError, ValueError) as exc:
            notes.append(f"garch_fallback: {tokens[j]} uses EWMA ({exc})")
    _, corr = correlation_from_covariance(ewma)
    vols = np.sqrt(variances)
    return np.asarray(corr * np.outer(vols, vols), dtype=np.float64), tuple(notes)


BIAS_CAP = 2.0
"""The bias correction scales a forecast up by at most this factor."""


def bias_factor(weights: FloatArray, est: Estimate, cfg: KeeperConfig) -> float:
    """How much to scale the forecast volatility up before targeting: ``k = clip(σ_realized / σ_forecast, 1, 2)``.

    ``σ_forecast = sqrt(wᵀΣw)`` under the estimate; ``σ_realized`` is the sample volatility of the same portfolio's
    grid returns over the last ``risk.min_observations`` intervals, annualized on the same grid. Exposure is then
    ``target / (k σ_forecast)``: when volatility rises faster than the estimator follows (EWMA lags a regime
    change by construction), the recent realized figure wins; a quiet spell never scales the forecast down, so the
    correction can only de-risk. With ``leverage.bias_correction`` off, k = 1.
    """
    if not cfg.leverage.bias_correction:
        return 1.0
    w = weights / weights.sum()
    recent = est.returns[-cfg.risk.min_observations :] @ w
    if recent.size < 2:
        return 1.0
    realized = float(np.std(recent, ddof=1)) * float(np.sqrt(periods_per_year(cfg.risk.interval_s)))
    forecast = float(np.sqrt(w @ est.covariance @ w))
    return float(np.clip(realized / forecast, 1.0, BIAS_CAP)) if forecast > 0 else 1.0


def allocate(cov: FloatArray, budget: FloatArray, allocator: Allocator) -> FloatArray:
    """Target composition of the risky part (sums to 1)."""
    if allocator is Allocator.EQUAL_WEIGHT:
        return np.full(cov.shape[0], 1.0 / cov.shape[0])
    if allocator is Allocator.INVERSE_VOL:
        iv = 1.0 / np.sqrt(np.diag(cov))
        return np.asarray(iv / iv.sum(), dtype=np.float64)
    return risk_budget_weights(cov, budget)


@dataclass(frozen=True)
class _Lever:
    now: float
    target: float
    exposure: float
    min_health_factor: float
    health_factor: float
    alarm: bool


def _unlevered_exposure(solved: FloatArray, cov: FloatArray, cfg: KeeperConfig, cash: float) -> float:
    """Risky exposure / NAV for a vault without a lending market: 1 less the cash buffer, or less when
    ``leverage.min_exposure`` < 1 lets volatility targeting de-risk into the base asset."""
    full = 1.0 - cash
    if cfg.leverage.min_exposure >= 1.0:
        return full
    return target_leverage(
        solved,
        cov,
        target_vol=cfg.leverage.target_vol,
        max_leverage=full,
        liquidation_thresholds=np.zeros(solved.size),
        target_health_factor=1.0,
        min_leverage=min(cfg.leverage.min_exposure, full),
    )


def _leverage(
    s: Snapshot, cfg: KeeperConfig, risky: list[int], solved: FloatArray, cov: FloatArray, cash: float
) -> _Lever | None:
    """Where leverage is and should be (None for a vault that does not lever): the one leverage target.
    ``target`` is gross / NAV (1 without debt); ``exposure`` the risky part of it."""
    if s.leverage is None or not s.lending_adapter or any(a.reserve is None for a in s.assets):
        return None
    p = s.leverage
    now = s.gross_leverage
    lev = target_leverage(
        solved,
        cov,
        target_vol=cfg.leverage.target_vol,
        max_leverage=max(p.max_leverage - cash, cfg.leverage.min_exposure),
        liquidation_thresholds=[r.liquidation_threshold for r in (s.assets[i].reserve for i in risky) if r],
        target_health_factor=p.target_health_factor,
        min_leverage=cfg.leverage.min_exposure,
    )
    hf = s.health_factor
    alarm = s.debt > 0 and hf < p.min_health_factor * (1.0 + cfg.leverage.health_factor_margin)
    if alarm:
        # Before the ripcord: bring the health factor back to the target, whatever the vol target says.
        lev = min(lev, 1.0 + (now - 1.0) * hf / p.target_health_factor)
        # In steps the lending market allows: collateral is withdrawn and sold before the debt is repaid, and the
        # market checks its health factor after the withdrawal. Withdrawing a share f of collateral C leaves
        # hf (1 - f); gross leverage falls by f C / NAV = f now, so f <= 1 - (1 + margin) / hf keeps it above
        # 1 + margin. Further steps follow on later ticks.
        lev = max(lev, now * (1.0 + cfg.leverage.health_factor_margin) / hf)
    return _Lever(
        now=now,
        target=max(1.0, lev + cash),
        exposure=lev,
        min_health_factor=p.min_health_factor,
        health_factor=hf,
        alarm=alarm,
    )


def exposure_move(weights: FloatArray, target: FloatArray, exposure: float, band: float, reset: float) -> FloatArray:
    """Where an exposure-only rebalance (the risk split inside its trigger, the exposure outside its band) goes.

    With ``reset`` = 0: the whole way to ``target`` (composition and exposure). Otherwise the held book is scaled,
    composition kept, to the exposure ``e' = e* + clip(e - e*, -reset x band, reset x band)`` for the held exposure
    ``e = Σ w`` and the target exposure ``e*``: the trade is ``|e - e'|`` of NAV instead of ``|e - e*|`` plus the
    composition's move. Under proportional costs the cheapest policy that keeps a quantity in a band trades it
    back to the band's edge, not to its centre (the no-trade region of Davis and Norman, 1990); stopping
    ``reset x band`` inside the edge keeps a forecast that hovers at the edge from trading on every tick. The
    composition is the risk policy's business: it has just judged the split not worth trading. A book with no risky
    holdings cannot be scaled and goes to the target.

    Parameters
    ----------
    weights, target : (N,) held and target risky weights (fractions of NAV).
    exposure : the target exposure ``e*`` (``target`` sums to it).
    band : the leverage band (``leverage.band``).
    reset : ``leverage.band_reset`` in [0, 1).
    """
    held = float(weights.sum())
    if reset <= 0.0 or held <= 0.0:
        return target
    e_new = exposure + float(np.clip(held - exposure, -reset * band, reset * band))
    return weights * (e_new / held)


def propose(
    s: Snapshot,
    cfg: KeeperConfig,
    last_rebalance_at: int | None = None,
    *,
    allocator: Allocator = Allocator.RISK_BUDGET,
) -> Proposal:
    """Decide from one snapshot. Never raises for a market condition: those become SKIP or HOLD proposals."""
    gate = _gate(s, cfg)
    if gate is not None:
        return Proposal(Action.SKIP, *gate)
    risky = [i for i, a in enumerate(s.assets) if i != 0 and a.budget_bps > 0]
    if not risky:
        return Proposal(Action.SKIP, Reason.NO_RISK_BUDGET)
    try:
        est = estimate_covariance(s, risky, cfg)
    except InsufficientDataError as exc:
        return Proposal(Action.SKIP, Reason.INSUFFICIENT_HISTORY, str(exc))
    cov, notes = est.covariance, est.notes
    budget = np.array([s.assets[i].budget_bps for i in risky], dtype=np.float64)
    budget /= budget.sum()
    try:
        solved = allocate(cov, budget, allocator)
    except KeeperError as exc:
        return Proposal(Action.SKIP, Reason.SOLVER_FAILED, str(exc), notes=notes)

    # Exposures as fractions of NAV (held plus supplied, debt subtracted): they sum to the leverage.
    nav = s.nav_base
    values = np.array([a.value_base for a in s.assets], dtype=np.float64)
    weights = values[risky] / nav
    cash = cfg.policy.cash_buffer_bps / BPS
    # Volatility targeting on the bias-corrected forecast (the covariance scaled by k², so σ scales by k).
    k = bias_factor(solved, est, cfg)
    cov_target = cov * k * k
    lever = _leverage(s, cfg, risky, solved, cov_target, cash)
    exposure = lever.exposure if lever else _unlevered_exposure(solved, cov_target, cfg, cash)
    target = solved * exposure
    base_usd = s.base.answer / 10**s.base.feed_decimals
    eth_price = cfg.policy.eth_price_usd / base_usd if cfg.policy.eth_price_usd else s.eth_price_base
    # The vault refuses a rebalance whose inputs are worth more than max_turnover_bps of NAV; every trade goes
    # through the base asset, so turnover is the sum of the weight changes. Cap the move to fit, with a margin.
    move = float(np.abs(target - weights).sum())
    cap = s.max_turnover_bps / BPS * TURNOVER_MARGIN
    f_max = 1.0 if move <= cap else cap / move
    # The risk policy aims a fraction (policy.move_fraction) of the way from the held risk split to the solved one,
    # at the target exposure: it damps the estimator's noise in the split, never the exposure (a deposit is
    # invested, a de-risking or a health-factor alarm moves, in full). Held nothing risky yet: the target itself.
    aim, f_aim = target, f_max
    held = float(weights.sum())
    if cfg.policy.move_fraction < 1.0 and held > 0.0:
        m = cfg.policy.move_fraction
        aim = ((1.0 - m) * weights / held + m * solved / float(solved.sum())) * exposure
        move_aim = float(np.abs(aim - weights).sum())
        f_aim = 1.0 if move_aim <= cap else cap / move_aim
    policy = PolicyConfig(
        trigger_threshold=cfg.policy.trigger_rc_deviation,
        trigger_relative=cfg.policy.trigger_relative,
        cooldown_seconds=cfg.policy.cooldown_s,
        max_interval_seconds=cfg.policy.max_interval_s,
        min_trade_value=cfg.policy.min_trade_usd / base_usd,
        value_per_squared_deviation=cfg.policy.value_per_squared_deviation,
        cost_multiple=cfg.policy.cost_multiple,
        fractions=(f_aim, f_aim / 2, f_aim / 4),
    )
    last = last_rebalance_at if last_rebalance_at is not None else (s.last_rebalance_at or None)
    # The trigger and the cost gate measure distance from the allocator's own risk split (the budget itself for
    # risk budgeting), so they mean the same thing for the backtest's baselines.
    held_to = budget if allocator is Allocator.RISK_BUDGET else risk_contributions(solved, cov)
    d = decide(
        now=s.timestamp,
        last_rebalance=last,
        nav=nav,
        current_weights=weights,
        target_weights=aim,
        cov=cov,
        budget=held_to,
        prices=[s.assets[i].price_base for i in risky],
        pools=[s.assets[i].pool for i in risky],
        token_decimals=[s.assets[i].token_decimals for i in risky],
        base_decimals=s.base.token_decimals,
        gas_cost_per_trade=cfg.policy.gas_per_trade * s.gas_price_wei / 1e18 * eth_price,
        config=policy,
    )
    rc = risk_contributions(weights, cov) if weights.sum() > 0 else np.zeros_like(weights)
    common = Proposal(
        Action.HOLD,
        d.reason,
        deviation=d.deviation_before,
        deviation_after=d.deviation_after,
        risky=tuple(risky),
        weights=weights,
        target_weights=target,
        risk_contributions=rc,
        budget=budget,
        covariance=cov,
        leverage=lever.now if lever else None,
        leverage_target=lever.target if lever else None,
        exposure_target=exposure,
        forecast_vol=float(np.sqrt(solved @ cov @ solved)) * k,
        notes=notes,
    )
    min_trade = to_raw(cfg.policy.min_trade_usd / base_usd, s.base.token_decimals)
    max_trade = to_raw(cfg.policy.max_trade_usd / base_usd, s.base.token_decimals) if cfg.policy.max_trade_usd else None
    # The risk split does not see scale (risk contributions are the same at 0.3x and 1.3x), so volatility
    # targeting has its own trigger: the risky exposure more than leverage.band away from its target. A vault
    # that does not lever targets volatility only when leverage.min_exposure < 1 lets it de-risk.
    targets_vol = lever is not None or cfg.leverage.min_exposure < 1.0
    off_target = targets_vol and abs(float(weights.sum()) - exposure) > cfg.leverage.band
    if lever is not None:
        return _plan_levered(
            s, cfg, d, lever, off_target, risky, weights, target, f_max, cash, common, min_trade, max_trade
        )
    if not d.rebalance and not (off_target and d.reason is not Reason.COOLDOWN):
        return common
    reason = d.reason if d.rebalance else Reason.EXPOSURE_OFF_TARGET
    rescaled = exposure_move(weights, target, exposure, cfg.leverage.band, cfg.leverage.band_reset)
    w_move, refused = _inside_guardrail(s, risky, d.weights if d.rebalance else weights + f_max * (rescaled - weights))
    if refused is not None:
        return refused(common)

    # Registry-order targets in bps: the chosen move for the risky assets, the rest in the base asset; assets
    # without a budget go to zero.
    def swaps(w_try: FloatArray) -> _Swaps:
        full = np.zeros(len(s.assets))
        full[risky] = np.clip(w_try, 0.0, None)
        full[0] = max(0.0, 1.0 - full.sum())
        target_bps = weights_to_bps(full)
        plan = plan_trades(
            tokens=[a.token for a in s.assets],
            balances=[a.balance for a in s.assets],
            prices=[a.price for a in s.assets],
            base_index=0,
            target_bps=target_bps,
            pools=[a.pool for a in s.assets],
            slippage_bps=cfg.policy.slippage_bps,
            oracle_bound_bps=s.max_slippage_bps,
            min_trade=min_trade,
            max_trade=max_trade,
        )
        return _Swaps(target_bps, plan.trades, plan.skipped)

    plan = _plan_inside_guardrail(
        s, risky, weights, w_move, min_trade, swaps, lambda p: _fills_inside_guardrail(s, risky, p.trades)
    )
    if plan is None:
        return _with(
            common,
            Action.SKIP,
            Reason.ONCHAIN_GUARDRAIL,
            detail="the planned fills would leave the holdings outside the vault's guardrail band even with the move "
            "scaled to what the shallowest pool fills (RiskParityVaultRiskGapGrew): a pool is too shallow for the "
            "targets; check the planner's skipped trades",
        )
    for note in plan.skipped:
        log.info("planner skipped %s", note)
    if not plan.trades:
        return _with(common, Action.HOLD, Reason.TRADES_BELOW_MINIMUM)
    return _with(common, Action.REBALANCE, reason, target_bps=plan.target_bps, trades=plan.trades)


def _bps_inside_guardrail(s: Snapshot, risky: list[int], target_bps: Sequence[int]) -> bool:
    """The vault's first check on whole-bps targets (the levered plan's are the composition its fills leave), with
    the keeper's margin: see :func:`_keeper_allows`."""
    risk = s.risk
    if risk is None or not risk.guards_next_rebalance:
        return True
    cov, budgets, _ = _onchain_view(s, risky)
    w = np.array([target_bps[i] for i in risky], dtype=np.float64) / BPS
    return gap(w, cov, budgets) <= _keeper_allows(s, risky, cov, budgets)


def _keeper_allows(s: Snapshot, risky: list[int], cov: FloatArray, budgets: FloatArray) -> float:
    """The largest gap the keeper plans a rebalance's holdings to: :data:`BAND_MARGIN` of the band, or the
    holdings' own gap when the market has pushed them further out (the vault's rule: no further from the budgets
    than before). The margin is on the band only: outside it, a capped trade that steps back toward parity is the
    way back, and a margin on the holdings' own gap would refuse every step shorter than a tenth of it."""
    assert s.risk is not None
    held = np.array([s.assets[i].value for i in risky], dtype=np.float64)
    return max(s.risk.band_bps / BPS * BAND_MARGIN, gap(held, cov, budgets))


def _onchain_view(s: Snapshot, risky: list[int]) -> tuple[FloatArray, FloatArray, float]:
    """The vault's covariance and budgets over ``risky`` and the gap its target check allows: the band, or the
    holdings' own gap when the market has pushed them further out."""
    assert s.risk is not None
    idx = [i - 1 for i in risky]
    cov = onchain_covariance(s.risk.covariance, len(s.assets) - 1)[np.ix_(idx, idx)]
    budgets = np.array([s.assets[i].budget_bps / BPS for i in risky], dtype=np.float64)
    held = np.array([s.assets[i].value for i in risky], dtype=np.float64)
    return cov, budgets, max(s.risk.band_bps / BPS, gap(held, cov, budgets))


def _values_after(s: Snapshot, trades: Sequence[Trade]) -> tuple[FloatArray, FloatArray]:
    """Each registry entry's value (base raw units) before and after the trades, each trade at the oracle value of
    its input on both legs (as the vault's guardrail measures holdings)."""
    index = {a.token.lower(): i for i, a in enumerate(s.assets)}
    before = np.array([a.value for a in s.assets], dtype=np.float64)
    after = before.copy()
    for t in trades:
        i, o = index[t.token_in.lower()], index[t.token_out.lower()]
        moved = s.assets[i].price.value(t.amount_in)
        after[i] -= moved
        after[o] += moved
    return before, after


def _fills_inside_guardrail(s: Snapshot, risky: list[int], trades: Sequence[Trade]) -> bool:
    """The vault's second check on the holdings the trades leave: the gap after at most max(gap before, band),
    with the keeper's margin (:func:`_keeper_allows`)."""
    risk = s.risk
    if risk is None or not risk.guards_next_rebalance:
        return True
    _, after = _values_after(s, trades)
    cov, budgets, _ = _onchain_view(s, risky)
    return gap(after[risky], cov, budgets) <= _keeper_allows(s, risky, cov, budgets)


class _Planned(Protocol):
    @property
    def target_bps(self) -> list[int]: ...
    @property
    def trades(self) -> tuple[Trade, ...]: ...


@dataclass(frozen=True)
class _Swaps:
    """An unlevered plan: the targets sent and the planner's trades."""

    target_bps: list[int]
    trades: tuple[Trade, ...]
    skipped: tuple[str, ...]


P = TypeVar("P", bound=_Planned)


def _plan_inside_guardrail(
    s: Snapshot,
    risky: list[int],
    weights: FloatArray,
    w_move: FloatArray,
    min_trade: int,
    plan_for: Callable[[FloatArray], P],
    inside: Callable[[P], bool],
) -> P | None:
    """``plan_for(w_move)``, or, when the vault's guardrail guards the next rebalance and ``inside`` refuses that
    plan, the largest of the same move scaled down toward the holdings that passes: None when none does.

    A plan misses the band it was fitted to when the planner had to cap a trade (a pool too shallow for the move
    within the oracle bound): that asset falls short while the others fill, and the composition tilts away from
    the targets. Blending the targets further toward the vault's parity does not help then (parity asks the
    capped asset for as much). The scaled moves tried are a half and a quarter, and the share of its move the
    most-capped asset's trades reached: at that scale every asset moves the same share of the way, so the
    composition stays on the line from the holdings to the targets.
    """
    risk = s.risk

    def scaled(shrink: float) -> P:
        return plan_for(weights + shrink * (np.clip(w_move, 0.0, None) - weights))

    plan = scaled(1.0)
    if risk is None or not risk.guards_next_rebalance or inside(plan):
        return plan
    reach = _reach(s, risky, np.clip(w_move, 0.0, None) - weights, min_trade, plan.trades)
    for shrink in sorted({0.5, 0.25} | ({reach} if 0.0 < reach < 1.0 else set()), reverse=True):
        plan = scaled(shrink)
        if inside(plan):
            return plan
    return None


def _reach(s: Snapshot, risky: list[int], change: FloatArray, min_trade: int, trades: Sequence[Trade]) -> float:
    """The least share of its intended change in value (``change``, fractions of NAV) that any risky asset's
    trades make, in [0, 1]; assets whose change is under the planner's minimum trade are left out (skipped as
    dust by design)."""
    before, after = _values_after(s, trades)
    intended = change * s.nav_base * s.base_unit
    made = after[risky] - before[risky]
    counted = np.abs(intended) >= max(min_trade, 1)
    if not counted.any():
        return 1.0
    return float(np.clip(np.min(made[counted] / intended[counted]), 0.0, 1.0))


def _plan_levered(
    s: Snapshot,
    cfg: KeeperConfig,
    d: Decision,
    lever: _Lever,
    off_target: bool,
    risky: list[int],
    weights: FloatArray,
    target: FloatArray,
    f_max: float,
    cash: float,
    common: Proposal,
    min_trade: int,
    max_trade: int | None,
) -> Proposal:
    """A levered vault: rebalance on risk deviation, on exposure off its target, or on a health-factor alarm."""
    if not d.rebalance and not (lever.alarm or (off_target and d.reason is not Reason.COOLDOWN)):
        return common
    if lever.alarm:
        reason = Reason.HEALTH_FACTOR_ALARM
    else:
        reason = d.reason if d.rebalance else Reason.LEVERAGE_OFF_TARGET
    # A health-factor alarm moves to its (de-levering) target in full; an exposure off its band by band_reset.
    reset = 0.0 if lever.alarm else cfg.leverage.band_reset
    rescaled = exposure_move(weights, target, lever.exposure, cfg.leverage.band, reset)
    w_move, refused = _inside_guardrail(s, risky, d.weights if d.rebalance else weights + f_max * (rescaled - weights))
    if refused is not None:
        return refused(common)
    # Gross / NAV: the risky exposures plus the cash buffer when they need borrowing; otherwise the base asset
    # holds the rest and there is no debt (leverage 1). With the vault's guardrail active, the plan's own target
    # (the composition its fills leave) must be inside the band.
    reserves = [a.reserve for a in s.assets]

    def levered(w_try: FloatArray) -> LeveragedPlan:
        w_try = np.clip(w_try, 0.0, None)
        gross_over_nav = max(1.0, float(w_try.sum()) + cash)
        composition = np.zeros(len(s.assets))
        composition[risky] = w_try / gross_over_nav
        return plan_leveraged_rebalance(
            tokens=[a.token for a in s.assets],
            held=[a.balance for a in s.assets],
            supplied=[a.collateral for a in s.assets],
            prices=[a.price for a in s.assets],
            base_index=0,
            debt=s.debt,
            risky_weights=composition,
            leverage=gross_over_nav,
            liquidation_thresholds=[r.liquidation_threshold if r else 0.0 for r in reserves],
            collateral_enabled=[bool(r and r.collateral_enabled) for r in reserves],
            loan_to_values=[r.loan_to_value if r else 0.0 for r in reserves],
            pools=[a.pool for a in s.assets],
            slippage_bps=cfg.policy.slippage_bps,
            oracle_bound_bps=s.max_slippage_bps,
            min_trade=min_trade,
            max_trade=max_trade,
        )

    plan = _plan_inside_guardrail(
        s, risky, weights, w_move, min_trade, levered, lambda p: _bps_inside_guardrail(s, risky, p.target_bps)
    )
    if plan is None:
        return _with(
            common,
            Action.SKIP,
            Reason.ONCHAIN_GUARDRAIL,
            detail="the levered plan's composition is outside the vault's guardrail band even with the move scaled "
            "to what the shallowest pool fills (RiskParityVaultTargetsOffBudget): compare covariancePerSecond() "
            "with the keeper's estimate; check the planner's skipped trades",
        )
    step_back = plan.debt_after < s.debt and plan.health_factor_after > lever.health_factor
    if plan.debt_after > 0 and plan.health_factor_after < lever.min_health_factor and not step_back:
        # Refused before sending: the vault would revert (HealthFactorTooLow). A plan that repays debt and lifts
        # the health factor is the way back from below the minimum, and the vault accepts it.
        return _with(
            common,
            Action.SKIP,
            Reason.PLAN_BELOW_MIN_HEALTH_FACTOR,
            detail=f"{plan.health_factor_after:.3f} < {lever.min_health_factor:.3f}",
        )
    if not plan.trades and not plan.actions:
        return _with(common, Action.HOLD, Reason.TRADES_BELOW_MINIMUM)
    return _with(common, Action.REBALANCE, reason, target_bps=plan.target_bps, trades=plan.trades, actions=plan.actions)


def _inside_guardrail(
    s: Snapshot, risky: list[int], w_move: FloatArray
) -> tuple[FloatArray, Callable[[Proposal], Proposal] | None]:
    """The move's risky weights, blended toward the vault's own parity weights when the vault's risk guardrail
    (its on-chain covariance, ``bandBps``) would refuse the keeper's; or a SKIP that says why none passes."""
    risk = s.risk
    if risk is None or not risk.guards_next_rebalance:
        return w_move, None
    cov, budgets, band = _onchain_view(s, risky)

    def as_sent(w: FloatArray) -> FloatArray:
        full = np.zeros(len(s.assets))
        full[risky] = w
        full[0] = max(0.0, 1.0 - full.sum())
        return np.array(weights_to_bps(full), dtype=np.float64)[risky] / BPS

    fit = fit_to_band(np.clip(w_move, 0.0, None), cov, budgets, band, as_sent)
    if fit.weights is None:
        detail = (
            f"the targets' largest risk-contribution gap under the vault's covariance is {fit.gap:.3f} > band "
            f"{band:.3f}, and no blend with the vault's own parity weights passes: the vault would revert "
            "(RiskParityVaultTargetsOffBudget); compare covariancePerSecond() with the keeper's estimate, or have "
            "governance widen bandBps"
        )
        return w_move, lambda common: _with(common, Action.SKIP, Reason.ONCHAIN_GUARDRAIL, detail=detail)
    if fit.blend > 0:
        log.info("guardrail blend=%.2f gap=%.4f band=%.4f", fit.blend, fit.gap, band)
    return fit.weights, None


def _with(p: Proposal, action: Action, reason: Reason, **changes: object) -> Proposal:
    return replace(p, action=action, reason=reason, **changes)  # type: ignore[arg-type]
