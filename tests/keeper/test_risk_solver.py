"""Risk-budgeting solver: analytic cases, a published example, properties over random inputs, hard matrices."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keeper.errors import (
    InvalidBudgetError,
    KeeperError,
    NotPositiveDefiniteError,
    ShapeMismatchError,
    SolverNotConvergedError,
    ZeroVarianceAssetError,
)
from keeper.risk import ledoit_wolf, risk_budget_weights, risk_contributions, solve_risk_budget

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def random_covariance(rng: np.random.Generator, n: int, factors: int | None = None) -> np.ndarray:
    """Positive definite covariance from a factor model with log-uniform volatilities in [1 %, 300 %]."""
    k = factors or max(1, n // 3)
    f = rng.standard_normal((n, k))
    s = f @ f.T + np.diag(rng.uniform(0.05, 1.0, n))
    d = np.sqrt(np.diag(s))
    corr = s / np.outer(d, d)
    vol = np.exp(rng.uniform(np.log(0.01), np.log(3.0), n))
    return corr * np.outer(vol, vol)


def assert_solution(w: np.ndarray, cov: np.ndarray, budget: np.ndarray | None, tol: float) -> None:
    n = cov.shape[0]
    b = np.full(n, 1.0 / n) if budget is None else budget / budget.sum()
    assert np.all(w > 0.0)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert np.max(np.abs(risk_contributions(w, cov) - b)) <= tol


# ---------------------------------------------------------------------------------------------------------------
# ANALYTIC AND PUBLISHED CASES
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [-0.9, -0.3, 0.0, 0.5, 0.99])
def test_risk_budget_weights__two_assets__weights_proportional_to_inverse_vol(rho: float) -> None:
    vol = np.array([0.15, 0.60])
    cov = np.array([[1.0, rho], [rho, 1.0]]) * np.outer(vol, vol)
    w = risk_budget_weights(cov)
    expected = (1.0 / vol) / np.sum(1.0 / vol)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8, 0.999])
def test_risk_budget_weights__constant_correlation__inverse_volatility(rho: float) -> None:
    # Maillard, Roncalli & Teïletche (2010): with one common correlation the ERC portfolio is inverse-vol; their
    # four-asset example (vols 10/20/30/40 %) gives 48 %, 24 %, 16 %, 12 %.
    vol = np.array([0.10, 0.20, 0.30, 0.40])
    corr = np.full((4, 4), rho)
    np.fill_diagonal(corr, 1.0)
    w = risk_budget_weights(corr * np.outer(vol, vol))
    np.testing.assert_allclose(w, [0.48, 0.24, 0.16, 0.12], rtol=0, atol=1e-12)


CHOI_CHEN_COV = (
    np.array(
        [
            [94.868, 33.750, 12.325, -1.178, 8.778],
            [33.750, 445.642, 98.955, -7.901, 84.954],
            [12.325, 98.955, 117.265, 0.503, 45.184],
            [-1.178, -7.901, 0.503, 5.460, 1.057],
            [8.778, 84.954, 45.184, 1.057, 34.126],
        ]
    )
    / 10_000
)


def test_risk_budget_weights__choi_chen_2022_example__published_weights() -> None:
    # Choi & Chen (2022), five-asset example: ERC weights as published, to the 3 decimals given.
    w = risk_budget_weights(CHOI_CHEN_COV)
    np.testing.assert_allclose(w, [0.125, 0.047, 0.083, 0.613, 0.132], atol=5e-4)
    assert_solution(w, CHOI_CHEN_COV, None, 1e-12)


def test_risk_budget_weights__choi_chen_2022_budgeted_example__published_weights() -> None:
    budget = np.array([0.1, 0.1, 0.2, 0.3, 0.3])
    w = risk_budget_weights(CHOI_CHEN_COV, budget)
    np.testing.assert_allclose(w, [0.077, 0.025, 0.074, 0.648, 0.176], atol=5e-4)
    assert_solution(w, CHOI_CHEN_COV, budget, 1e-12)


def test_risk_budget_weights__one_asset__weight_one() -> None:
    np.testing.assert_array_equal(risk_budget_weights(np.array([[0.04]])), [1.0])


# ---------------------------------------------------------------------------------------------------------------
# PROPERTIES
# ---------------------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), random_budget=st.booleans())
def test_risk_budget_weights__random_pd_and_budget__contributions_match(seed: int, n: int, random_budget: bool) -> None:
    rng = np.random.default_rng(seed)
    cov = random_covariance(rng, n)
    budget = rng.uniform(0.01, 1.0, n) if random_budget else None
    result = solve_risk_budget(cov, budget)
    assert_solution(result.weights, cov, budget, 1e-10)
    assert result.error <= 1e-12


@PROPERTY_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), log_scale=st.floats(-12.0, 12.0))
def test_risk_budget_weights__scaled_covariance__same_weights(seed: int, n: int, log_scale: float) -> None:
    rng = np.random.default_rng(seed)
    cov = random_covariance(rng, n)
    budget = rng.uniform(0.01, 1.0, n)
    w = risk_budget_weights(cov, budget)
    w_scaled = risk_budget_weights(cov * 10.0**log_scale, budget)
    np.testing.assert_allclose(w_scaled, w, rtol=1e-9, atol=0)


@PROPERTY_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30))
def test_risk_budget_weights__permuted_assets__permuted_weights(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    cov = random_covariance(rng, n)
    budget = rng.uniform(0.01, 1.0, n)
    perm = rng.permutation(n)
    w = risk_budget_weights(cov, budget)
    w_perm = risk_budget_weights(cov[np.ix_(perm, perm)], budget[perm])
    np.testing.assert_allclose(w_perm, w[perm], rtol=1e-9, atol=0)


@PROPERTY_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30))
def test_solve_risk_budget__warm_start_from_solution__no_more_iterations(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    cov = random_covariance(rng, n)
    cold = solve_risk_budget(cov)
    warm = solve_risk_budget(cov * (1.0 + 0.01 * rng.standard_normal()) ** 2, x0=cold.weights)
    assert warm.iterations <= 1
    np.testing.assert_allclose(warm.weights, cold.weights, rtol=1e-9)


@pytest.mark.parametrize("method", ["cholesky", "cg"])
def test_solve_risk_budget__either_newton_system_solver__same_weights(method: str) -> None:
    rng = np.random.default_rng(7)
    cov = random_covariance(rng, 120)
    budget = rng.uniform(0.1, 1.0, 120)
    result = solve_risk_budget(cov, budget, method=method)
    assert result.method == method
    assert_solution(result.weights, cov, budget, 1e-12)
    np.testing.assert_allclose(result.weights, risk_budget_weights(cov, budget), rtol=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# HARD CASES (N up to 500)
# ---------------------------------------------------------------------------------------------------------------


def _constant_corr(rng: np.random.Generator, n: int) -> tuple[np.ndarray, None]:
    corr = np.full((n, n), 0.999)
    np.fill_diagonal(corr, 1.0)
    vol = rng.uniform(0.2, 1.0, n)
    return corr * np.outer(vol, vol), None


def _near_duplicates(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    # Correlation 0.999 between random pairs of otherwise factor-model assets, with random budgets.
    base = random_covariance(rng, n)
    d = np.sqrt(np.diag(base))
    corr = base / np.outer(d, d)
    for i in range(0, n - 1, 2):
        corr[i, i + 1] = corr[i + 1, i] = 0.999 * np.sqrt(corr[i, i] * corr[i + 1, i + 1])
        corr[i + 1, :i] = corr[i, :i]
        corr[:i, i + 1] = corr[:i, i]
        corr[i + 1, i + 2 :] = corr[i, i + 2 :]
        corr[i + 2 :, i + 1] = corr[i + 2 :, i]
    eig = np.linalg.eigvalsh(corr)
    if eig[0] <= 1e-10:
        corr += (1e-8 - eig[0]) * np.eye(n)
        dd = np.sqrt(np.diag(corr))
        corr = corr / np.outer(dd, dd)
    return corr * np.outer(d, d), rng.uniform(0.1, 1.0, n)


def _shrunk_few_observations(rng: np.random.Generator, n: int) -> tuple[np.ndarray, None]:
    mix = rng.standard_normal((n, n)) * 0.3 + np.eye(n)
    returns = rng.standard_normal((max(5, n // 5), n)) @ mix.T * 0.02
    return ledoit_wolf(returns).covariance, None


def _vol_spread(rng: np.random.Generator, n: int) -> tuple[np.ndarray, None]:
    cov = random_covariance(rng, n)
    d = np.sqrt(np.diag(cov))
    vol = np.geomspace(0.01, 3.0, n)
    rng.shuffle(vol)
    return cov / np.outer(d, d) * np.outer(vol, vol), None


def _budget_spread(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    budget = np.geomspace(1.0, 1e-5, n)
    rng.shuffle(budget)
    return random_covariance(rng, n), budget


HARD_CASES = {
    "correlation_0999": _constant_corr,
    "near_duplicate_pairs": _near_duplicates,
    "t_lt_n_shrunk": _shrunk_few_observations,
    "vol_spread_001_to_3": _vol_spread,
    "budget_spread_1e5": _budget_spread,
}


@pytest.mark.parametrize("n", [10, 100, 500])
@pytest.mark.parametrize("case", sorted(HARD_CASES))
def test_solve_risk_budget__hard_case__converges_to_tolerance(case: str, n: int) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{case}/{n}".encode()))
    cov, budget = HARD_CASES[case](rng, n)
    result = solve_risk_budget(cov, budget)
    assert_solution(result.weights, cov, budget, 1e-12)
    assert result.iterations < 60


# ---------------------------------------------------------------------------------------------------------------
# ERRORS
# ---------------------------------------------------------------------------------------------------------------


def test_risk_budget_weights__negative_budget__invalid_budget_error() -> None:
    with pytest.raises(InvalidBudgetError):
        risk_budget_weights(np.eye(3), np.array([0.5, -0.1, 0.6]))


def test_risk_budget_weights__zero_budget__invalid_budget_error() -> None:
    with pytest.raises(InvalidBudgetError):
        risk_budget_weights(np.eye(3), np.array([0.5, 0.0, 0.5]))


def test_risk_budget_weights__zero_variance_asset__zero_variance_error() -> None:
    cov = np.diag([0.04, 0.0, 0.09])
    with pytest.raises(ZeroVarianceAssetError, match=r"\[1\]"):
        risk_budget_weights(cov)


@pytest.mark.parametrize(
    ("cov", "budget"),
    [
        (np.eye(3)[:2], None),
        (np.eye(3), np.ones(4)),
        (np.ones(3), None),
    ],
)
def test_risk_budget_weights__shape_mismatch__shape_error(cov: np.ndarray, budget: np.ndarray | None) -> None:
    with pytest.raises(ShapeMismatchError):
        risk_budget_weights(cov, budget)


def test_risk_budget_weights__wrong_length_warm_start__shape_error() -> None:
    with pytest.raises(ShapeMismatchError):
        risk_budget_weights(np.eye(3), x0=np.ones(2))


def test_solve_risk_budget__unreachable_tolerance__not_converged_error_with_context() -> None:
    rng = np.random.default_rng(3)
    cov = random_covariance(rng, 20)
    with pytest.raises(SolverNotConvergedError) as info:
        solve_risk_budget(cov, rng.uniform(0.1, 1, 20), tol=1e-30, max_iter=3)
    assert info.value.iterations == 3
    assert info.value.error > 1e-30


def test_solve_risk_budget__indefinite_matrix__not_positive_definite_error() -> None:
    # Correlation -1.5: the equal-budget start already has negative portfolio variance.
    cov = np.array([[1.0, -1.5], [-1.5, 1.0]])
    with pytest.raises(NotPositiveDefiniteError):
        solve_risk_budget(cov)


def test_solver_errors__all__derive_from_keeper_error() -> None:
    for exc in (InvalidBudgetError, ZeroVarianceAssetError, ShapeMismatchError, NotPositiveDefiniteError):
        assert issubclass(exc, KeeperError)
    assert issubclass(SolverNotConvergedError, KeeperError)


def test_risk_contributions__weights__sum_to_one_and_scale_free() -> None:
    rc = risk_contributions(np.array([0.2, 0.3, 0.5]), CHOI_CHEN_COV[:3, :3])
    assert rc.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(risk_contributions(np.array([2.0, 3.0, 5.0]), CHOI_CHEN_COV[:3, :3]), rc)
