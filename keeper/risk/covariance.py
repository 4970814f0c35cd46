"""Covariance estimators over a window of past returns, a positive-definite repair, and implied-vol blending.

Every estimator looks only at the returns it is given (past data); the caller chooses the window. Inputs are
per-period returns, shape (T, N); outputs are per-period covariances (annualise with
``keeper.risk.returns.annualize_covariance``).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.linalg import lapack

from keeper.errors import InsufficientDataError, NotPositiveDefiniteError, ShapeMismatchError
from keeper.risk.types import FloatArray

logger = logging.getLogger(__name__)

#: RiskMetrics (J.P. Morgan, 1996) decay for daily data: an effective memory of about 1/(1-λ) ≈ 17 periods.
RISKMETRICS_DECAY = 0.94


def _returns_matrix(returns: npt.ArrayLike, min_rows: int = 2) -> FloatArray:
    x = np.asarray(returns, dtype=np.float64)
    if x.ndim != 2:
        raise ShapeMismatchError(f"returns must be (T, N), got shape {x.shape}")
    if x.shape[0] < min_rows:
        raise InsufficientDataError(f"need at least {min_rows} observations, got {x.shape[0]}")
    if not np.isfinite(x).all():
        raise ValueError("returns contain non-finite values")
    return x


def sample_covariance(returns: npt.ArrayLike, *, ddof: int = 1) -> FloatArray:
    """Sample covariance of demeaned returns.

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Per-period returns.
    ddof : int
        Delta degrees of freedom (1: unbiased).

    Returns
    -------
    FloatArray, shape (N, N)
    """
    x = _returns_matrix(returns, min_rows=ddof + 1)
    xc = x - x.mean(axis=0)
    return np.asarray((xc.T @ xc) / (x.shape[0] - ddof), dtype=np.float64)


def ewma_covariance(returns: npt.ArrayLike, *, decay: float = RISKMETRICS_DECAY) -> FloatArray:
    """Exponentially weighted covariance (RiskMetrics): weight ``(1-λ)λ^k`` on the return k periods ago.

    Returns are not demeaned (RiskMetrics assumes a zero mean at short horizons, which also avoids a noisy mean
    estimate). Weights are renormalised over the finite window so they sum to 1.

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Per-period returns, oldest first.
    decay : float
        λ in (0, 1).

    Returns
    -------
    FloatArray, shape (N, N)
    """
    if not 0.0 < decay < 1.0:
        raise ValueError(f"decay must be in (0, 1), got {decay}")
    x = _returns_matrix(returns, min_rows=1)
    xw = x * _ewma_root_weights(decay, x.shape[0])
    return xw.T @ xw


@functools.lru_cache(maxsize=64)
def _ewma_root_weights(decay: float, t: int) -> FloatArray:
    """``sqrt`` of the normalised EWMA weights as a (t, 1) column, oldest first. A keeper or a backtest asks for the
    same (decay, window) on every tick, so they are computed once (read-only: the cache hands out one array)."""
    w = decay ** np.arange(t - 1, -1, -1, dtype=np.float64)
    w /= w.sum()
    root = np.sqrt(w)[:, None]
    root.setflags(write=False)
    return root


@dataclass(frozen=True)
class ShrunkCovariance:
    """Ledoit-Wolf estimate.

    Attributes
    ----------
    covariance : FloatArray, shape (N, N)
        ``δ μI + (1 − δ) S``.
    shrinkage : float
        δ in [0, 1].
    """

    covariance: FloatArray
    shrinkage: float


def ledoit_wolf(returns: npt.ArrayLike) -> ShrunkCovariance:
    """Ledoit-Wolf (2004) shrinkage of the sample covariance towards a scaled identity, closed form.

    Positive definite whenever the shrinkage is positive, including when there are fewer observations than
    assets (T < N), where the sample covariance is singular.

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Per-period returns.

    Returns
    -------
    ShrunkCovariance
        Uses the maximum-likelihood sample covariance S (divides by T), as in the paper.

    References
    ----------
    O. Ledoit, M. Wolf, "A well-conditioned estimator for large-dimensional covariance matrices", Journal of
    Multivariate Analysis 88(2), 2004.
    """
    x = _returns_matrix(returns)
    t, n = x.shape
    xc = x - x.mean(axis=0)
    s = (xc.T @ xc) / t
    mu = float(np.trace(s)) / n
    s_sq = float(np.sum(s * s))
    # ‖S − μI‖², with the paper's norm ‖A‖² = tr(AAᵀ)/N.
    d2 = (s_sq - 2.0 * mu * float(np.trace(s)) + n * mu * mu) / n
    # (1/T²) Σₜ ‖xₜxₜᵀ − S‖² = (Σₜ ‖xₜ‖⁴ − T‖S‖²_F) / (T² N), since Σₜ xₜxₜᵀ = T S.
    row_sq = np.sum(xc * xc, axis=1)
    b2_bar = (float(np.sum(row_sq * row_sq)) - t * s_sq) / (t * t * n)
    b2 = min(max(b2_bar, 0.0), d2)
    shrinkage = 0.0 if d2 <= 0.0 else b2 / d2
    cov = (1.0 - shrinkage) * s
    cov.flat[:: n + 1] += shrinkage * mu
    logger.debug("ledoit wolf n=%d t=%d shrinkage=%.4f", n, t, shrinkage)
    return ShrunkCovariance(covariance=cov, shrinkage=shrinkage)


def correlation_from_covariance(cov: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Split a covariance into volatilities and a correlation matrix.

    Returns
    -------
    vols : FloatArray, shape (N,)
    corr : FloatArray, shape (N, N)
        Unit diagonal.
    """
    c = np.asarray(cov, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ShapeMismatchError(f"covariance must be square, got shape {c.shape}")
    var = np.diag(c)
    if (~(var > 0.0)).any():
        raise NotPositiveDefiniteError("covariance has a non-positive variance")
    vols = np.sqrt(var)
    corr = c / np.outer(vols, vols)
    np.fill_diagonal(corr, 1.0)
    return vols, corr


def is_positive_definite(cov: npt.ArrayLike) -> bool:
    """Whether a Cholesky factorisation of the symmetric part succeeds."""
    c = np.asarray(cov, dtype=np.float64)
    try:
        np.linalg.cholesky(0.5 * (c + c.T))
    except np.linalg.LinAlgError:
        return False
    return True


def repair_covariance(cov: npt.ArrayLike, *, min_eigenvalue_ratio: float = 1e-8) -> FloatArray:
    """Nearest-by-eigenvalue-clipping positive definite matrix with the same variances.

    Symmetrises, clips the correlation matrix's eigenvalues at ``min_eigenvalue_ratio`` times its largest one,
    then rescales back to unit diagonal so each asset keeps its variance. Returns the input (symmetrised)
    unchanged when it is already positive definite with that margin.

    Parameters
    ----------
    cov : array_like, shape (N, N)
        Covariance (e.g. from pairwise estimation or numerical noise). A zero or negative variance (a constant
        series) is replaced by a tiny positive one with no covariance, never an exception.
    min_eigenvalue_ratio : float
        Floor on eigenvalues relative to the largest, in (0, 1).

    Returns
    -------
    FloatArray, shape (N, N)
    """
    c = np.asarray(cov, dtype=np.float64)
    c = 0.5 * (c + c.T)
    n = c.shape[0]
    flat = ~(c.diagonal() > 0.0)
    if flat.any():
        # A constant series has no variance and no covariance: give it a tiny one instead of failing (the
        # engine floors such assets at a documented level first and journals it; this is the last guard).
        tiny = max(float(np.max(np.diag(c), initial=0.0)), 1.0) * 1e-18
        c = c.copy()
        c[flat, :] = 0.0
        c[:, flat] = 0.0
        c[flat, flat] = tiny
    # Fast path: one Cholesky proves the margin without the eigendecomposition (_margin_holds); otherwise decide
    # exactly.
    if n == 0 or _margin_holds(c, c.diagonal(), min_eigenvalue_ratio * n):
        return c
    vols, corr = correlation_from_covariance(c)
    eigval, eigvec = np.linalg.eigh(corr)
    floor = min_eigenvalue_ratio * float(eigval[-1])
    if eigval[0] >= floor:
        return c
    logger.debug("covariance repaired min_eigenvalue=%.3e floor=%.3e", eigval[0], floor)
    fixed = (eigvec * np.maximum(eigval, floor)) @ eigvec.T
    d = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(d, d)
    fixed = 0.5 * (fixed + fixed.T)
    np.fill_diagonal(fixed, 1.0)
    return np.asarray(fixed * np.outer(vols, vols), dtype=np.float64)


def _margin_holds(c: FloatArray, var: FloatArray, shift: float) -> bool:
    """Whether ``c − shift · diag(var)`` has a Cholesky factorisation: then ``λ_min ≥ ratio · λ_max`` holds for the
    correlation matrix of ``c`` (``shift = ratio · N``), without an eigendecomposition.

    Why: ``c − shift · D²`` is ``D (corr − shift · I) D`` with ``D = diag(σ)``, positive definite exactly when
    ``λ_min(corr) > ratio · N``, and a correlation matrix's largest eigenvalue is at most its trace N. Factorising
    the covariance form skips building the correlation matrix; in floating point the two forms can only disagree
    when ``λ_min`` is within round-off of ``ratio · N``, where the matrix meets the floor either way (it is then
    left as it is, or decided exactly by the eigendecomposition).
    """
    shifted = c.copy()
    shifted.ravel()[:: c.shape[0] + 1] -= shift * var
    # Symmetric, so its transpose is the same matrix in Fortran order: LAPACK factorises it without a copy.
    _, info = lapack.dpotrf(shifted.T, lower=0, clean=0, overwrite_a=1)
    return bool(info == 0)


def blend_implied_vol(cov: npt.ArrayLike, implied_vol: npt.ArrayLike, weight: float) -> FloatArray:
    """Blend realised and implied volatilities per asset, keeping the correlations.

    ``σᵢ = weight · σᵢ^implied + (1 − weight) · σᵢ^realised`` for assets with an implied volatility (NaN marks
    an asset without one, which keeps its realised volatility). The blend is on volatilities, not variances, so
    a 50 % weight lands halfway between the two quotes traders compare.

    Parameters
    ----------
    cov : array_like, shape (N, N)
        Realised covariance, in the same time unit as ``implied_vol`` squared (e.g. annualised).
    implied_vol : array_like, shape (N,)
        Implied volatilities (e.g. annualised, 0.65 = 65 %), NaN where no feed exists.
    weight : float
        Weight on implied volatility, in [0, 1].

    Returns
    -------
    FloatArray, shape (N, N)
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    vols, corr = correlation_from_covariance(cov)
    iv = np.asarray(implied_vol, dtype=np.float64)
    if iv.shape != vols.shape:
        raise ShapeMismatchError(f"implied_vol shape {iv.shape} does not match {vols.shape[0]} assets")
    has = np.isfinite(iv)
    if np.any(iv[has] <= 0.0):
        raise ValueError("implied volatilities must be positive")
    blended = vols.copy()
    blended[has] = weight * iv[has] + (1.0 - weight) * vols[has]
    return corr * np.outer(blended, blended)
