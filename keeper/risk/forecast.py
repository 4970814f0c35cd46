"""Volatility forecasting for regime changes: GARCH(1,1) fitted by Gaussian maximum likelihood with scipy.

    σ²ₜ = ω + α r²ₜ₋₁ + β σ²ₜ₋₁,     ω = σ̄² (1 − α − β)   (variance targeting)

Variance targeting fixes the long-run variance σ̄² at the sample variance, leaving two parameters; that keeps the
fit stable on the few hundred points a keeper has and guarantees the forecast reverts to a sensible level. A
volatility spike raises σ²ₜ at once and decays at rate α + β, so leverage and weights react to a new regime
before a long-window estimator would.

References
----------
T. Bollerslev, "Generalized autoregressive conditional heteroskedasticity", Journal of Econometrics 31, 1986.
R. Engle, J. Mezrich, "GARCH for groups", Risk 9(8), 1996 (variance targeting).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.signal import lfilter

from keeper.errors import InsufficientDataError, ShapeMismatchError
from keeper.risk.covariance import correlation_from_covariance
from keeper.risk.types import FloatArray

logger = logging.getLogger(__name__)

#: Below this many returns the likelihood surface is too flat to tell α from β.
MIN_OBSERVATIONS = 50
#: α + β is kept below this so the process stays covariance-stationary.
_MAX_PERSISTENCE = 0.999


@dataclass(frozen=True)
class Garch11:
    """A fitted GARCH(1,1) with variance targeting.

    Attributes
    ----------
    omega, alpha, beta : float
        Parameters (ω in per-period variance units).
    long_run_variance : float
        σ̄², per period.
    last_variance : float
        Conditional variance for the next period, σ²_{T+1}, per period.
    log_likelihood : float
        Gaussian log-likelihood at the optimum.
    converged : bool
        Whether the optimiser reported success.
    """

    omega: float
    alpha: float
    beta: float
    long_run_variance: float
    last_variance: float
    log_likelihood: float
    converged: bool

    @property
    def persistence(self) -> float:
        """α + β: the per-period decay of a variance shock."""
        return self.alpha + self.beta

    def forecast_variance(self, horizon: int) -> float:
        """Mean per-period variance over the next ``horizon`` periods.

        Uses ``E[σ²_{T+h}] = σ̄² + (α+β)^{h−1} (σ²_{T+1} − σ̄²)`` averaged over h = 1..horizon.
        """
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1 period, got {horizon}")
        p = self.persistence
        powers = p ** np.arange(horizon, dtype=np.float64)
        return float(self.long_run_variance + (self.last_variance - self.long_run_variance) * powers.mean())


def _conditional_variance(r2: FloatArray, alpha: float, beta: float, lr_var: float) -> FloatArray:
    """σ²ₜ for t = 1..T+1 (the last entry is the one-step forecast), started at the long-run variance."""
    omega = lr_var * (1.0 - alpha - beta)
    # σ²ₜ − β σ²ₜ₋₁ = ω + α r²ₜ₋₁ is a first-order linear filter; lfilter runs the recursion in C.
    drive = np.concatenate(([lr_var], omega + alpha * r2))
    return np.asarray(lfilter([1.0], [1.0, -beta], drive), dtype=np.float64)


def _neg_log_likelihood(params: FloatArray, r2: FloatArray, lr_var: float) -> float:
    alpha, beta = float(params[0]), float(params[1])
    if alpha < 0.0 or beta < 0.0 or alpha + beta >= _MAX_PERSISTENCE:
        return 1e300
    var = _conditional_variance(r2, alpha, beta, lr_var)[:-1]
    if np.any(var <= 0.0):
        return 1e300
    return 0.5 * float(np.sum(np.log(var) + r2 / var))


def fit_garch11(returns: npt.ArrayLike) -> Garch11:
    """Fit a GARCH(1,1) with variance targeting to one asset's returns.

    Parameters
    ----------
    returns : array_like, shape (T,)
        Per-period log returns, oldest first; demeaned internally.

    Returns
    -------
    Garch11
    """
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 1:
        raise ShapeMismatchError(f"returns must be 1-D, got shape {r.shape}")
    if r.size < MIN_OBSERVATIONS:
        raise InsufficientDataError(f"GARCH needs at least {MIN_OBSERVATIONS} returns, got {r.size}")
    r = r - r.mean()
    r2 = r * r
    lr_var = float(r2.mean())
    if not lr_var > 0.0:
        raise InsufficientDataError("returns have zero variance")
    best = None
    # A few starts: the likelihood is often flat along α + β ≈ const, and one start can stall on the ridge.
    for x0 in ((0.05, 0.90), (0.10, 0.80), (0.02, 0.97)):
        res = minimize(
            _neg_log_likelihood,
            np.array(x0),
            args=(r2, lr_var),
            method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 2000},
        )
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    alpha, beta = float(best.x[0]), float(best.x[1])
    var = _conditional_variance(r2, alpha, beta, lr_var)
    model = Garch11(
        omega=lr_var * (1.0 - alpha - beta),
        alpha=alpha,
        beta=beta,
        long_run_variance=lr_var,
        last_variance=float(var[-1]),
        log_likelihood=float(-best.fun - 0.5 * r.size * np.log(2.0 * np.pi)),
        converged=bool(best.success),
    )
    logger.debug("garch fitted alpha=%.4f beta=%.4f converged=%s", alpha, beta, model.converged)
    return model


def garch_covariance(cov: npt.ArrayLike, returns: npt.ArrayLike, horizon: int) -> FloatArray:
    """Replace each asset's variance in ``cov`` with its GARCH forecast over ``horizon``, keeping correlations.

    Parameters
    ----------
    cov : array_like, shape (N, N)
        Per-period covariance (its correlations are kept).
    returns : array_like, shape (T, N)
        Per-period returns used to fit one GARCH(1,1) per asset.
    horizon : int
        Forecast horizon in periods (typically the rebalance interval).

    Returns
    -------
    FloatArray, shape (N, N)
        Per-period covariance.
    """
    x = np.asarray(returns, dtype=np.float64)
    _, corr = correlation_from_covariance(cov)
    if x.ndim != 2 or x.shape[1] != corr.shape[0]:
        raise ShapeMismatchError(f"returns shape {x.shape} does not match {corr.shape[0]} assets")
    vols = np.sqrt([fit_garch11(x[:, i]).forecast_variance(horizon) for i in range(x.shape[1])])
    return np.asarray(corr * np.outer(vols, vols), dtype=np.float64)
