"""Returns resampling, covariance estimators, PD repair, implied-vol blending, GARCH and leverage."""

from __future__ import annotations

import numpy as np
import pytest

from keeper.errors import InsufficientDataError, KeeperError, ShapeMismatchError
from keeper.risk import (
    annualize_covariance,
    blend_implied_vol,
    correlation_from_covariance,
    ewma_covariance,
    fit_garch11,
    garch_covariance,
    is_positive_definite,
    ledoit_wolf,
    log_returns,
    max_leverage_for_health_factor,
    periods_per_year,
    portfolio_volatility,
    repair_covariance,
    resample_last,
    resample_rounds,
    sample_covariance,
    target_leverage,
)

# ---------------------------------------------------------------------------------------------------------------
# RETURNS
# ---------------------------------------------------------------------------------------------------------------


def test_resample_last__irregular_rounds__last_price_carried_forward() -> None:
    ts = [100, 130, 400, 401]
    px = [10.0, 11.0, 12.0, 13.0]
    grid = np.array([100, 200, 300, 400, 500])
    np.testing.assert_array_equal(resample_last(ts, px, grid), [10.0, 11.0, 11.0, 12.0, 13.0])


def test_resample_last__no_round_before_first_grid_time__insufficient_data() -> None:
    with pytest.raises(InsufficientDataError):
        resample_last([200], [1.0], np.array([100, 200]))


def test_resample_rounds__two_feeds__common_grid_starts_when_both_have_a_price() -> None:
    grid, prices = resample_rounds([([0, 50, 250], [1.0, 2.0, 3.0]), ([90, 180], [5.0, 6.0])], 60)
    np.testing.assert_array_equal(grid, [90, 150, 210])
    np.testing.assert_array_equal(prices, [[2.0, 5.0], [2.0, 5.0], [2.0, 6.0]])


def test_log_returns__carried_forward_price__zero_return() -> None:
    r = log_returns(np.array([[100.0], [100.0], [110.0]]))
    np.testing.assert_allclose(r[:, 0], [0.0, np.log(1.1)])


def test_periods_per_year__daily_interval__365() -> None:
    assert periods_per_year(86_400) == 365.0
    np.testing.assert_allclose(annualize_covariance(np.eye(2), 3600), np.eye(2) * 8760.0)


# ---------------------------------------------------------------------------------------------------------------
# COVARIANCE
# ---------------------------------------------------------------------------------------------------------------


def test_sample_covariance__matches_numpy() -> None:
    x = np.random.default_rng(0).standard_normal((50, 4))
    np.testing.assert_allclose(sample_covariance(x), np.cov(x, rowvar=False), rtol=1e-12)


def test_ewma_covariance__recent_shock__weighs_more_than_old_one() -> None:
    x = np.zeros((100, 1))
    x[-1, 0] = 0.1
    recent = ewma_covariance(x)[0, 0]
    x2 = np.zeros((100, 1))
    x2[0, 0] = 0.1
    old = ewma_covariance(x2)[0, 0]
    assert recent == pytest.approx(old / 0.94**99, rel=1e-9)
    # Weights (1-λ)λ^k normalised over the window: the newest return's weight is (1-λ)/(1-λ^T).
    assert recent == pytest.approx(0.01 * 0.06 / (1 - 0.94**100), rel=1e-12)


def test_ledoit_wolf__fewer_observations_than_assets__positive_definite_with_shrinkage() -> None:
    x = np.random.default_rng(1).standard_normal((20, 60))
    shrunk = ledoit_wolf(x)
    assert 0.0 < shrunk.shrinkage <= 1.0
    assert is_positive_definite(shrunk.covariance)
    assert not is_positive_definite(np.cov(x, rowvar=False))


def test_ledoit_wolf__many_observations__little_shrinkage() -> None:
    x = np.random.default_rng(2).standard_normal((20_000, 5)) @ np.diag([1, 2, 3, 4, 5])
    assert ledoit_wolf(x).shrinkage < 0.01


def test_repair_covariance__indefinite__positive_definite_same_variances() -> None:
    vol = np.array([0.5, 0.8, 0.3])
    corr = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]])
    cov = corr * np.outer(vol, vol)
    assert not is_positive_definite(cov)
    fixed = repair_covariance(cov)
    assert is_positive_definite(fixed)
    np.testing.assert_allclose(np.diag(fixed), vol**2, rtol=1e-12)


def test_repair_covariance__constant_series__positive_definite_without_raising() -> None:
    rets = np.random.default_rng(4).normal(0.0, 0.01, (200, 3))
    rets[:, 1] = 0.0  # a pegged asset: no variance, no covariance
    fixed = repair_covariance(sample_covariance(rets))
    assert np.all(np.linalg.eigvalsh(fixed) > 0)
    assert fixed[1, 1] > 0 and fixed[0, 1] == 0.0
    np.testing.assert_allclose(np.diag(fixed)[[0, 2]], np.diag(sample_covariance(rets))[[0, 2]])


def test_repair_covariance__already_positive_definite__unchanged() -> None:
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    np.testing.assert_array_equal(repair_covariance(cov), cov)


def test_blend_implied_vol__half_weight__vol_halfway_and_correlations_kept() -> None:
    vol = np.array([0.5, 0.8, 0.3])
    corr = np.array([[1.0, 0.4, 0.2], [0.4, 1.0, 0.1], [0.2, 0.1, 1.0]])
    cov = corr * np.outer(vol, vol)
    blended = blend_implied_vol(cov, np.array([0.7, np.nan, 0.5]), 0.5)
    new_vol, new_corr = correlation_from_covariance(blended)
    np.testing.assert_allclose(new_vol, [0.6, 0.8, 0.4], rtol=1e-12)
    np.testing.assert_allclose(new_corr, corr, atol=1e-12)


def test_blend_implied_vol__wrong_length__shape_error() -> None:
    with pytest.raises(ShapeMismatchError):
        blend_implied_vol(np.eye(2), np.array([0.5]), 0.5)


# ---------------------------------------------------------------------------------------------------------------
# GARCH
# ---------------------------------------------------------------------------------------------------------------


def _simulate_garch(rng: np.random.Generator, t: int, omega: float, alpha: float, beta: float) -> np.ndarray:
    r = np.empty(t)
    var = omega / (1 - alpha - beta)
    for i in range(t):
        r[i] = np.sqrt(var) * rng.standard_normal()
        var = omega + alpha * r[i] ** 2 + beta * var
    return r


def test_fit_garch11__simulated_process__recovers_persistence() -> None:
    r = _simulate_garch(np.random.default_rng(0), 4000, 2e-6, 0.08, 0.90)
    model = fit_garch11(r)
    assert model.converged
    assert model.persistence == pytest.approx(0.98, abs=0.02)
    assert model.alpha == pytest.approx(0.08, abs=0.03)


def test_garch_forecast__after_volatility_spike__decays_toward_long_run() -> None:
    rng = np.random.default_rng(1)
    r = _simulate_garch(rng, 1000, 2e-6, 0.1, 0.85)
    r[-5:] *= 8.0
    model = fit_garch11(r)
    assert model.last_variance > model.long_run_variance
    short, long = model.forecast_variance(1), model.forecast_variance(500)
    assert short > long > model.long_run_variance


def test_fit_garch11__too_few_returns__insufficient_data() -> None:
    with pytest.raises(InsufficientDataError):
        fit_garch11(np.zeros(10))


def test_garch_covariance__two_assets__correlation_kept() -> None:
    rng = np.random.default_rng(2)
    x = np.column_stack([_simulate_garch(rng, 500, 2e-6, 0.1, 0.85) for _ in range(2)])
    cov = np.array([[1.0, 0.3], [0.3, 1.0]]) * 1e-4
    _, corr = correlation_from_covariance(garch_covariance(cov, x, horizon=5))
    assert corr[0, 1] == pytest.approx(0.3, abs=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# LEVERAGE
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("forecast", "expected"), [(0.20, 0.5), (0.05, 2.0), (0.01, 3.0)])
def test_target_leverage__forecast_vol__target_over_forecast_capped(forecast: float, expected: float) -> None:
    lev = target_leverage(
        [1.0],
        [[forecast**2]],
        target_vol=0.10,
        max_leverage=3.0,
        liquidation_thresholds=[0.0],
        target_health_factor=1.5,
        min_leverage=0.0,
    )
    assert lev == pytest.approx(expected)


def test_max_leverage_for_health_factor__aave_like_threshold__formula() -> None:
    lev = max_leverage_for_health_factor(0.825, 1.5)
    # At that leverage the health factor is exactly the minimum.
    assert 0.825 / (1.0 - 1.0 / lev) == pytest.approx(1.5)


def test_portfolio_volatility__diagonal__root_sum_of_squares() -> None:
    assert portfolio_volatility([0.5, 0.5], np.diag([0.04, 0.16])) == pytest.approx(np.sqrt(0.01 + 0.04))


def test_estimator_errors__derive_from_keeper_error() -> None:
    assert issubclass(InsufficientDataError, KeeperError)
