"""Risk-budgeting solver robustness: condition numbers up to 1e10, 1 bps budgets, and the CCD fallback.

Matrices are built as ``D Q Λ Qᵀ D``: Q a random orthogonal matrix (QR of a Gaussian matrix, signs fixed),
Λ log-spaced eigenvalues from 1 down to ``1/condition``, and D an optional ill-scaling of the variances. Budgets
are whole basis points of 10,000, each at least 1 bps: the budgets the vault can hold.

The reference check is independent of the solver's own diagnostics: the relative risk contributions
``wᵢ(Σw)ᵢ / wᵀΣw`` of the returned weights are recomputed here and compared with the budget to 1e-8. On the
worst matrices (nearly collinear pairs, condition ~1e10) even the exact solution rounded to double precision
misses the budget by more than that; the check then allows the round-off floor ``ε · maxᵢ wᵢ(|Σ|w)ᵢ / wᵀΣw``
(times a safety factor), computed here from the weights, not taken from the solver.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import keeper.risk.solver as solver_module
from keeper.errors import NotPositiveDefiniteError, SolverNotConvergedError
from keeper.risk import risk_budget_weights, solve_risk_budget

ROBUST_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
REFERENCE_TOL = 1e-8
FLOOR_SAFETY = 64.0


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def conditioned_covariance(
    rng: np.random.Generator, n: int, condition: float, scale_decades: float = 0.0
) -> np.ndarray:
    """SPD matrix with the given condition number; variances then rescaled by up to ±``scale_decades`` decades."""
    eig = np.geomspace(1.0, 1.0 / condition, n)
    q = orthogonal(rng, n)
    cov = (q * eig) @ q.T
    cov = 0.5 * (cov + cov.T)
    if scale_decades:
        d = 10.0 ** rng.uniform(-scale_decades, scale_decades, n)
        cov = cov * np.outer(d, d)
    return cov


def bps_budget(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    """Whole-bps budgets of 10,000, each >= 1 bps."""
    if kind == "one_bps_tail":  # all assets at 1 bps but one
        b = np.ones(n)
        b[rng.integers(n)] = 10_000 - (n - 1)
        return b
    if kind == "random_composition":
        cuts = np.sort(rng.choice(np.arange(1, 10_000), n - 1, replace=False))
        return np.diff(np.concatenate([[0], cuts, [10_000]])).astype(float)
    if kind == "some_at_one_bps":
        b = np.ones(n)
        k = int(rng.integers(1, n))
        idx = rng.choice(n, k, replace=False)
        b[idx] += rng.multinomial(10_000 - n, np.ones(k) / k)
        return b
    return np.full(n, 10_000 / n)


def reference_error(w: np.ndarray, cov: np.ndarray, budget: np.ndarray) -> tuple[float, float]:
    """``(max |RC − b|, round-off floor)`` recomputed from the weights, independently of the solver."""
    marginal = cov @ w
    rc = w * marginal
    error = float(np.max(np.abs(rc / rc.sum() - budget / budget.sum())))
    floor = float(np.finfo(float).eps * np.max(w * (np.abs(cov) @ w)) / (w @ marginal))
    return error, floor


def assert_reference(w: np.ndarray, cov: np.ndarray, budget: np.ndarray) -> None:
    assert np.all(w > 0.0)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    error, floor = reference_error(w, cov, budget)
    assert error <= max(REFERENCE_TOL, FLOOR_SAFETY * floor), (error, floor)


BUDGET_KINDS = ["equal", "one_bps_tail", "random_composition", "some_at_one_bps"]


# ---------------------------------------------------------------------------------------------------------------
# PROPERTIES
# ---------------------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 100),
    log_condition=st.floats(0.0, 10.0),
    scale_decades=st.sampled_from([0.0, 3.0]),
    kind=st.sampled_from(BUDGET_KINDS),
)
def test_solve_risk_budget__spd_up_to_condition_1e10_and_bps_budget__contributions_match(
    seed: int, n: int, log_condition: float, scale_decades: float, kind: str
) -> None:
    rng = np.random.default_rng(seed)
    cov = conditioned_covariance(rng, n, 10.0**log_condition, scale_decades)
    budget = bps_budget(rng, n, kind)
    result = solve_risk_budget(cov, budget)
    assert_reference(result.weights, cov, budget)
    assert result.error <= result.tol
    if result.fallback is None:
        assert result.tol == solver_module.DEFAULT_TOL
        assert result.sweeps == 0


@ROBUST_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 60), kind=st.sampled_from(BUDGET_KINDS))
def test_solve_risk_budget__ccd_alone__matches_newton(seed: int, n: int, kind: str) -> None:
    # The fallback on its own (Newton given no iterations) reaches the same answer on well-conditioned problems.
    rng = np.random.default_rng(seed)
    cov = conditioned_covariance(rng, n, 1e2, 1.0)
    budget = bps_budget(rng, n, kind)
    newton = solve_risk_budget(cov, budget)
    ccd = solve_risk_budget(cov, budget, max_iter=0, tol=1e-10)
    assert ccd.iterations == 0
    # Either the Choi-Chen start already met the tolerance (e.g. two assets, equal budgets: it is exact there), or
    # every digit came from coordinate descent.
    assert ccd.fallback == "max_iterations" or (ccd.fallback is None and ccd.sweeps == 0)
    assert_reference(ccd.weights, cov, budget)
    # An rc error of 1e-10 moves a 1 bps asset's weight by up to ~1e-6 relative: compare absolutely.
    np.testing.assert_allclose(ccd.weights, newton.weights, rtol=0, atol=1e-8)


# ---------------------------------------------------------------------------------------------------------------
# NAMED CASES
# ---------------------------------------------------------------------------------------------------------------


def test_solve_risk_budget__newton_stalls__falls_back_to_ccd_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(11)
    cov = conditioned_covariance(rng, 12, 1e3, 2.0)
    budget = bps_budget(rng, 12, "random_composition")
    with caplog.at_level(logging.WARNING, logger="keeper.risk.solver"):
        result = solve_risk_budget(cov, budget, max_iter=1)
    assert result.fallback == "max_iterations"
    assert result.iterations == 1
    assert result.sweeps > 0
    assert_reference(result.weights, cov, budget)
    assert any("falling back to coordinate descent" in r.getMessage() for r in caplog.records)
    assert any("reason=max_iterations" in r.getMessage() for r in caplog.records)


def test_solve_risk_budget__line_search_fails__falls_back_to_ccd(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(12)
    cov = conditioned_covariance(rng, 8, 1e4)
    budget = bps_budget(rng, 8, "some_at_one_bps")
    monkeypatch.setattr(solver_module, "_line_search", lambda *args: None)
    result = solve_risk_budget(cov, budget, tol=1e-10)
    assert result.fallback == "line_search_failed"
    assert result.iterations == 1
    assert result.sweeps > 0
    assert_reference(result.weights, cov, budget)


def test_solve_risk_budget__newton_system_fails__falls_back_to_ccd(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise NotPositiveDefiniteError("forced")

    monkeypatch.setattr(solver_module, "_newton_direction_cholesky", broken)
    cov = conditioned_covariance(np.random.default_rng(13), 6, 10.0)
    result = solve_risk_budget(cov, tol=1e-10)
    assert result.fallback == "newton_system_not_positive_definite"
    assert_reference(result.weights, cov, np.ones(6))


def test_solve_risk_budget__non_finite_direction__falls_back_to_ccd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver_module, "_newton_direction_cholesky", lambda corr, y, *a: np.full(y.shape, np.nan))
    cov = conditioned_covariance(np.random.default_rng(14), 6, 10.0)
    result = solve_risk_budget(cov, tol=1e-10)
    assert result.fallback == "non_finite"
    assert_reference(result.weights, cov, np.ones(6))


def test_solve_risk_budget__ccd_cannot_reach_tolerance__not_converged_error() -> None:
    cov = conditioned_covariance(np.random.default_rng(15), 10, 1e2)
    with pytest.raises(SolverNotConvergedError, match="coordinate descent"):
        solve_risk_budget(cov, max_iter=0, tol=1e-30)


def test_solve_risk_budget__converging_newton__no_fallback() -> None:
    cov = conditioned_covariance(np.random.default_rng(16), 20, 1e3)
    result = solve_risk_budget(cov)
    assert result.fallback is None
    assert result.sweeps == 0
    assert result.tol == 1e-12


@pytest.mark.parametrize("n", [2, 10, 50, 100])
@pytest.mark.parametrize("scale_decades", [0.0, 3.0])
def test_risk_budget_weights__condition_1e10__converges(n: int, scale_decades: float) -> None:
    rng = np.random.default_rng(1000 + n)
    cov = conditioned_covariance(rng, n, 1e10, scale_decades)
    budget = bps_budget(rng, n, "random_composition")
    assert np.linalg.cond(cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))) > 1e6
    w = risk_budget_weights(cov, budget)
    assert_reference(w, cov, budget)


@pytest.mark.parametrize("n", [3, 30, 100])
@pytest.mark.parametrize("condition", [1.0, 1e4, 1e10])
def test_risk_budget_weights__one_bps_budgets__converges(n: int, condition: float) -> None:
    rng = np.random.default_rng(2000 + n)
    cov = conditioned_covariance(rng, n, condition, 2.0)
    budget = bps_budget(rng, n, "one_bps_tail")
    assert budget.min() / budget.sum() == pytest.approx(1e-4)
    w = risk_budget_weights(cov, budget)
    assert_reference(w, cov, budget)
