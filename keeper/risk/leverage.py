"""Leverage target: scale the risk-budget portfolio to a target volatility, within hard caps."""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

from keeper.errors import ShapeMismatchError

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
    weights: npt.ArrayLike,
    cov: npt.ArrayLike,
    *,
    target_vol: float,
    max_leverage: float,
    liquidation_thresholds: npt.ArrayLike,
    target_health_factor: float,
    min_leverage: float = 1.0,
) -> float:
    """The one leverage target: target volatility / forecast volatility, capped by the vault's maximum and by the
    health factor, floored at ``min_leverage``.

    Parameters
    ----------
    weights : (N,) composition of the risky part of the gross basket (any scale; normalised here).
    cov : (N, N) annualized covariance of the risky assets.
    target_vol : annualized volatility the levered portfolio should run at (0.10 = 10%).
    max_leverage : the vault's cap (``maxLeverageBps`` / 10,000, less any cash buffer).
    liquidation_thresholds : (N,) each asset's liquidation threshold as a fraction (0.83 for 83%).
    target_health_factor : the health factor to aim at (the vault's target, above its minimum).
    min_leverage : floor (1.0: fully invested, never below).

    With everything supplied as collateral, ``HF = LT_avg * L / (L - 1)`` (see
    :func:`max_leverage_for_health_factor`), so ``HF >= target`` holds for ``L <= target / (target - LT_avg)``
    (any L when ``LT_avg >= target``).
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    vol = portfolio_volatility(w, np.asarray(cov, dtype=np.float64))
    by_vol = target_vol / vol if vol > 0 else max_leverage
    lt = float(np.dot(w, np.asarray(liquidation_thresholds, dtype=np.float64)))
    by_hf = (
        max_leverage_for_health_factor(lt, target_health_factor)
        if 0.0 < lt < min(1.0, target_health_factor)
        else max_leverage
    )
    lev = float(max(min_leverage, min(by_vol, by_hf, max_leverage)))
    logger.debug("leverage target by_vol=%.4f by_hf=%.4f cap=%.4f -> %.4f", by_vol, by_hf, max_leverage, lev)
    return lev
