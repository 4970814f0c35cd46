"""Leverage target: scale the risk-budget portfolio to a target volatility, within hard caps."""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

from keeper.errors import ShapeMismatchError
from keeper.risk.types import FloatArray

logger = logging.getLogger(__name__)


def portfolio_volatility(weights: npt.ArrayLike, cov: npt.ArrayLike) -> float:
    """``sqrt(wᵀΣw)`` in the unit of ``cov`` (annualised covariance gives annualised volatility)."""
    w = np.asarray(weights, dtype=np.float64)
    c = np.asarray(cov, dtype=np.float64)
    if c.shape != (w.size, w.size):
        raise ShapeMismatchError(f"weights {w.shape} do not match covariance {c.shape}")
    var = float(w @ c @ w)
    if not var > 0.0:
        raise ValueError(f"portfolio variance must be positive, got {var}")
    return float(np.sqrt(var))


def max_leverage_for_health_factor(liquidation_threshold: float, min_health_factor: float) -> float:
    """Largest leverage (assets / equity) whose health factor stays at or above ``min_health_factor``.

    With collateral C, debt D and equity E = C − D, leverage L = C / E and the lending market's health factor is
    HF = C·LT / D = LT / (1 − 1/L). HF ≥ h gives L ≤ 1 / (1 − LT/h).

    Parameters
    ----------
    liquidation_threshold : float
        LT in (0, 1), e.g. 0.825 for 82.5 %.
    min_health_factor : float
        h > LT, e.g. 1.5.
    """
    if not 0.0 < liquidation_threshold < 1.0:
        raise ValueError(f"liquidation_threshold must be in (0, 1), got {liquidation_threshold}")
    if not min_health_factor > liquidation_threshold:
        raise ValueError("min_health_factor must exceed the liquidation threshold, or no debt is safe")
    return 1.0 / (1.0 - liquidation_threshold / min_health_factor)


def target_leverage(
    forecast_vol: float,
    target_vol: float,
    max_leverage: float,
    *,
    min_leverage: float = 0.0,
) -> float:
    """Leverage = target volatility / forecast volatility, clipped to ``[min_leverage, max_leverage]``.

    Parameters
    ----------
    forecast_vol : float
        Forecast volatility of the unlevered portfolio (e.g. annualised, from
        :func:`portfolio_volatility` on a GARCH or EWMA covariance).
    target_vol : float
        Target volatility in the same unit.
    max_leverage : float
        Hard cap (≥ 1 allows borrowing; take the minimum with :func:`max_leverage_for_health_factor`).
    min_leverage : float
        Floor (0 allows de-risking fully into the base asset).

    Returns
    -------
    float
        Exposure as a multiple of equity (1.0 = unlevered, fully invested).
    """
    if not forecast_vol > 0.0 or not target_vol > 0.0:
        raise ValueError(f"volatilities must be positive, got forecast={forecast_vol} target={target_vol}")
    if not 0.0 <= min_leverage <= max_leverage:
        raise ValueError(f"need 0 ≤ min_leverage ≤ max_leverage, got {min_leverage}, {max_leverage}")
    raw = target_vol / forecast_vol
    lev = float(min(max(raw, min_leverage), max_leverage))
    logger.debug("leverage target raw=%.4f capped=%.4f", raw, lev)
    return lev


def weights_leverage(weights: FloatArray, cov: FloatArray, target_vol: float, max_leverage: float) -> float:
    """Convenience: :func:`target_leverage` for the portfolio ``weights`` under ``cov``."""
    return target_leverage(portfolio_volatility(weights, cov), target_vol, max_leverage)
