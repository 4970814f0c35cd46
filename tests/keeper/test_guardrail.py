"""The keeper's side of the vault's on-chain risk guardrail and circuit breaker (keeper.guardrail, the engine's
use of it): the keeper's targets pass the vault's band, are blended toward the vault's parity when they would not,
and a tick that cannot pass, or a tripped breaker, is a skip that says why."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from keeper.amm import Pool
from keeper.engine import propose
from keeper.guardrail import BAND_MARGIN, contributions, fit_to_band, gap, onchain_covariance, parity_weights
from keeper.outcomes import Action, Reason
from keeper.snapshot import ReserveConfig, RiskModel, build_snapshot
from tests.keeper.test_engine import NOW, PRICES, _cfg, _history, _snapshot, _view, _walk

YEAR = 31_536_000


def _entries(annual_cov: np.ndarray) -> tuple[int, ...]:
    """The vault's packing: (i, j) at j (j + 1) / 2 + i, per second x 1e22."""
    m = len(annual_cov)
    out = [0] * (m * (m + 1) // 2)
    for j in range(m):
        for i in range(j + 1):
            out[j * (j + 1) // 2 + i] = round(annual_cov[i, j] / YEAR * 1e22)
    return tuple(out)


def _risk(annual_cov: np.ndarray, *, band_bps: int = 1_000, tripped: bool = False) -> RiskModel:
    return RiskModel(
        active=True,
        observations=48,
        last_poke_at=0,
        poke_interval_s=3600,
        band_bps=band_bps,
        covariance=_entries(annual_cov),
        breaker_tripped=tripped,
        breaker_token="0x" + "0b" * 20,
        divergence_bps=812 if tripped else 3,
        max_divergence_bps=500,
    )


def _diag(*vols: float) -> np.ndarray:
    return np.diag(np.square(vols))


def test_onchain_covariance__unpacks_the_vault_layout_annualized() -> None:
    cov = np.array([[0.49, 0.1], [0.1, 0.25]])
    assert onchain_covariance(_entries(cov), 2) == pytest.approx(cov, rel=1e-9)


def test_fit_to_band__targets_inside__kept_as_they_are() -> None:
    cov = _diag(0.7, 0.5)
    targets = np.array([0.5 / 1.2, 0.7 / 1.2]) * 0.9  # inverse vol: equal risk
    fit = fit_to_band(targets, cov, np.array([0.5, 0.5]), 0.10)
    assert fit.blend == 0.0 and fit.weights is not None
    assert fit.weights == pytest.approx(targets)


def test_fit_to_band__targets_outside__least_blend_toward_parity_that_passes() -> None:
    cov = _diag(0.7, 0.5)
    budgets = np.array([0.5, 0.5])
    targets = np.array([0.7, 0.2])  # most of the risk in the 70%-vol asset
    assert gap(targets, cov, budgets) > 0.10
    fit = fit_to_band(targets, cov, budgets, 0.10)
    assert 0.0 < fit.blend <= 1.0 and fit.weights is not None
    assert gap(fit.weights, cov, budgets) <= 0.10 * BAND_MARGIN
    assert fit.weights.sum() == pytest.approx(targets.sum())


def test_fit_to_band__asset_without_variance__no_blend_passes() -> None:
    cov = _diag(0.7, 0.0)  # the second asset can carry no risk, whatever its weight: RCs are (1, 0)
    fit = fit_to_band(np.array([0.45, 0.45]), cov, np.array([0.5, 0.5]), 0.10)
    assert fit.weights is None and fit.gap == pytest.approx(0.5)


def test_fit_to_band__whole_bps_cannot_reach_a_tiny_band__none() -> None:
    quantize = lambda w: np.round(w * 10_000) / 10_000  # noqa: E731 - the vault's whole bps
    fit = fit_to_band(np.array([0.0003, 0.0002]), _diag(0.7, 0.5), np.array([0.5, 0.5]), 0.001, quantize)
    assert fit.weights is None and fit.gap > 0.001


def test_contributions__no_variance__all_zero_like_the_vault() -> None:
    assert contributions(np.zeros(2), _diag(0.5, 0.5)).tolist() == [0.0, 0.0]


def test_propose__breaker_tripped__skips_naming_the_asset() -> None:
    p = propose(_snapshot(PRICES, risk=_risk(_diag(0.7, 0.5), tripped=True)), _cfg())
    assert (p.action, p.reason) == (Action.SKIP, Reason.PRICE_BREAKER)
    assert "0b0b" in p.detail and "812 bps" in p.detail


def _target_gap(p, cov: np.ndarray) -> float:
    w = np.array(p.target_bps[1:], dtype=np.float64) / 10_000
    return gap(w, cov, np.array([0.5, 0.5]))


def _holdings_gap(cov: np.ndarray) -> float:
    s = _snapshot(PRICES)
    return gap(np.array([a.value for a in s.assets[1:]], dtype=np.float64), cov, np.array([0.5, 0.5]))


def test_propose__onchain_covariance_disagrees__targets_blended_into_the_band() -> None:
    # Equal vols on chain, strongly anti-correlated: the snapshot's equal-dollar holdings sit at parity (gap ~0),
    # so the band is what applies; the keeper's own history (70% and 50% vols) tilts its weights, which the
    # negative correlation turns into a large gap.
    cov = np.array([[0.36, -0.288], [-0.288, 0.36]])
    assert _holdings_gap(cov) < 0.01
    own = propose(_snapshot(PRICES), _cfg())
    p = propose(_snapshot(PRICES, risk=_risk(cov)), _cfg())
    assert own.action is Action.REBALANCE and p.action is Action.REBALANCE
    assert _target_gap(own, cov) > 0.10
    assert _target_gap(p, cov) <= 0.10


def test_propose__holdings_already_outside_the_band__targets_may_not_go_further() -> None:
    # The vault allows max(band, the holdings' own gap): a vault the market pushed out can still move.
    cov = _diag(2.0, 0.2)
    allowed = _holdings_gap(cov)
    assert allowed > 0.10
    p = propose(_snapshot(PRICES, risk=_risk(cov)), _cfg())
    assert p.action is Action.REBALANCE
    assert _target_gap(p, cov) <= allowed


def test_propose__guardrail_inactive__the_keeper_own_targets() -> None:
    inactive = replace(_risk(_diag(2.0, 0.2)), active=False)
    a = propose(_snapshot(PRICES, risk=inactive), _cfg())
    b = propose(_snapshot(PRICES), _cfg())
    assert a.target_bps == b.target_bps


def test_propose__guardrail_one_return_short__checked_as_if_active() -> None:
    # The rebalance pokes before the vault's check: with one return to go, that poke turns the guardrail on, and
    # unchecked targets revert (RiskParityVaultTargetsOffBudget) although the snapshot said inactive.
    cov = np.array([[0.36, -0.288], [-0.288, 0.36]])
    one_short = replace(_risk(cov), active=False, observations=23, min_observations=24)
    assert one_short.guards_next_rebalance
    p = propose(_snapshot(PRICES, risk=one_short), _cfg())
    assert p.action is Action.REBALANCE
    assert _target_gap(p, cov) <= 0.10
    assert p.target_bps == propose(_snapshot(PRICES, risk=_risk(cov)), _cfg()).target_bps


def test_guards_next_rebalance__inactive_model_further_off_or_without_band__not_guarding() -> None:
    model = replace(_risk(_diag(0.7, 0.5)), active=False, min_observations=24)
    assert not replace(model, observations=10).guards_next_rebalance
    assert not replace(model, observations=23, band_bps=0).guards_next_rebalance
    assert not replace(model, observations=48).guards_next_rebalance  # restarted or no band: a poke cannot activate


def test_parity_weights__stress_correlations__exact_parity_where_inverse_vol_misses_the_band() -> None:
    # A stress-like matrix: BTC and ETH 0.95 correlated, both 0.6 with LINK, gold apart. Inverse volatility is
    # parity only when every correlation is equal; the solver's weights are parity under any matrix.
    vols = np.array([0.8, 0.7, 1.1, 0.15])
    corr = np.array([[1.0, 0.95, 0.6, 0.1], [0.95, 1.0, 0.6, 0.1], [0.6, 0.6, 1.0, 0.1], [0.1, 0.1, 0.1, 1.0]])
    cov = corr * np.outer(vols, vols)
    budgets = np.full(4, 0.25)
    w = parity_weights(cov, budgets, 0.6)
    assert w.sum() == pytest.approx(0.6) and gap(w, cov, budgets) < 1e-6
    inverse_vol = (1 / vols) / (1 / vols).sum()
    assert gap(inverse_vol, cov, budgets) > 0.10  # what the old approximation gave: outside a 10 pp band
    fit = fit_to_band(np.array([0.15, 0.15, 0.15, 0.15]), cov, budgets, 0.10)
    assert fit.weights is not None and fit.gap <= 0.10 * BAND_MARGIN


def test_parity_weights__zero_budget_asset__gets_no_weight() -> None:
    cov = np.diag([0.04, 0.09, 0.01])
    w = parity_weights(cov, np.array([0.5, 0.5, 0.0]), 1.0)
    assert w[2] == 0.0 and w.sum() == pytest.approx(1.0) and gap(w, cov, np.array([0.5, 0.5, 0.0])) < 1e-6


# ---------------------------------------------------------------------------------------------------------------
# A levered vault after a large deposit, its gold pool too shallow for the move (the demo's day-30 and day-60 skips)
# ---------------------------------------------------------------------------------------------------------------

GOLD = np.round(_walk(2000.0, 0.15, 3), 2)
LEVERED_PRICES = {**PRICES, 3: GOLD}
TOKEN_DECIMALS = [6, 18, 8, 18]
# The vault's covariance: ETH 70%, BTC 50%, gold 15% a year; crypto 0.8 correlated, gold 0.2 with both.
VOLS = np.array([0.7, 0.5, 0.15])
ONCHAIN_COV = np.array([[1.0, 0.8, 0.2], [0.8, 1.0, 0.2], [0.2, 0.2, 1.0]]) * np.outer(VOLS, VOLS)
LEVERED_BUDGETS = np.array([0.3334, 0.3333, 0.3333])


def _levered_snapshot(idle_usd: float, supplied_usd: list[float], gold_pool_usd: float):
    """A vault on a lending market without debt: ``idle_usd`` of USDC held (a deposit not yet invested), the risky
    assets supplied as collateral; ETH and BTC pools 50M USDC deep, gold's ``gold_pool_usd``."""
    prices = [LEVERED_PRICES[i][-1] for i in (1, 2, 3)]
    answers = [10**8] + [round(p * 10**8) for p in prices]
    supplied = [0] + [int(u / p * 10**d) for u, p, d in zip(supplied_usd, prices, TOKEN_DECIMALS[1:], strict=True)]
    view = _view(answers, [8] * 4, [int(idle_usd * 10**6), 0, 0, 0], [0, 3334, 3333, 3333])
    leverage = (15 * 10**17, 18 * 10**17, 125 * 10**16, 20_000, 50, 600, 10**11)  # as the vault returns them
    lending = ("0x" + "aa" * 20, supplied, 0, 2**256 - 1, leverage, 0)  # adapter, collateral, debt, HF, params
    depth = [50e6, 50e6, gold_pool_usd]
    return build_snapshot(
        (*view, *lending),
        block=100,
        timestamp=NOW,
        head_age_s=0.0,
        histories=[_history(np.ones(len(GOLD)), 8)] + [_history(LEVERED_PRICES[i], 8) for i in (1, 2, 3)],
        pools=[None]
        + [Pool(int(u / p * 10**d), int(u * 10**6)) for u, p, d in zip(depth, prices, TOKEN_DECIMALS[1:], strict=True)],
        reserves=[ReserveConfig(0.75, 0.78, True)] + [ReserveConfig(0.7, 0.75, True)] * 3,
        gas_price_wei=10**9,
        risk=_risk(ONCHAIN_COV),
    )


def _levered_cfg():
    cfg = _cfg()
    return replace(cfg, leverage=replace(cfg.leverage, target_vol=0.3))  # levers: a target above the basket's


def _levered_gap(p) -> float:
    return gap(np.array(p.target_bps[1:], dtype=np.float64) / 10_000, ONCHAIN_COV, LEVERED_BUDGETS)


def _held_gap(s) -> float:
    return gap(np.array([a.value for a in s.assets[1:]], dtype=np.float64), ONCHAIN_COV, LEVERED_BUDGETS)


def test_propose__levered_move_past_a_shallow_pool__scaled_to_what_the_pool_fills_and_inside_the_band(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = _levered_snapshot(1_000_000, [150_000, 150_000, 700_000], gold_pool_usd=10e6)
    assert _held_gap(s) < 0.10 * BAND_MARGIN
    p = propose(s, _levered_cfg())
    assert p.action is Action.REBALANCE and p.exposure_target is not None and p.exposure_target > 1.0
    # The vault's first check (targets within max(band, gap before)) and the keeper's margin; the levered plan's
    # targets are the composition its fills leave.
    assert _levered_gap(p) <= 0.10 * BAND_MARGIN
    bought = {t.token_out for t in p.trades}
    assert bought == {a.token for a in s.assets[1:]}  # every asset moves, gold included
    # Halving the move is not enough: gold's buy stays capped at what its pool takes within the oracle bound, the
    # others fill, and the composition leaves the band (the skip the demo journaled).
    monkeypatch.setattr("keeper.engine._reach", lambda *_: 1.0)
    halved = propose(s, _levered_cfg())
    assert (halved.action, halved.reason) == (Action.SKIP, Reason.ONCHAIN_GUARDRAIL)


def test_propose__levered_holdings_pushed_out_of_the_band__a_capped_step_back_toward_parity_passes() -> None:
    s = _levered_snapshot(1_000_000, [160_000, 160_000, 650_000], gold_pool_usd=20e6)
    held = _held_gap(s)
    assert held > 0.10
    p = propose(s, _levered_cfg())
    assert p.action is Action.REBALANCE
    # The vault allows max(band, gap before): the plan steps back, by less than a tenth of the way (the keeper's
    # band margin is on the band, not on the holdings' own gap).
    assert BAND_MARGIN * held < _levered_gap(p) < held
