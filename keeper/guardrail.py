"""The vault's on-chain risk guardrail, as the keeper checks it before sending (pure).

The vault keeps its own exponentially weighted covariance (``covariancePerSecond``, non-base registry entries,
entry (i, j) at j (j + 1) / 2 + i, per second scaled by 1e22) and refuses a rebalance whose target weights give an
asset a risk contribution more than the band away from its budget (``RiskParityVaultTargetsOffBudget``). The
keeper's own model (GARCH, implied vol) is free inside that band: :func:`fit_to_band` moves its targets toward the
vault's own parity weights just far enough to pass, or says why it cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from keeper.errors import KeeperError
from keeper.risk.solver import risk_budget_weights
from keeper.risk.types import FloatArray

SECONDS_PER_YEAR = 31_536_000
COV_SCALE = 1e22
BLEND_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Shares of the vault's own parity weights tried, in order, when the keeper's targets miss the band."""
BAND_MARGIN = 0.9
"""The keeper aims inside this fraction of the band: execution leaves the holdings near, not at, the targets."""


def onchain_covariance(entries: Sequence[int], n_assets: int) -> FloatArray:
    """The vault's packed covariance as an annualized (n_assets, n_assets) matrix over the non-base entries."""
    cov = np.zeros((n_assets, n_assets), dtype=np.float64)
    for j in range(n_assets):
        for i in range(j + 1):
            cov[i, j] = cov[j, i] = entries[j * (j + 1) // 2 + i] * SECONDS_PER_YEAR / COV_SCALE
    return cov


def contributions(weights: FloatArray, cov: FloatArray) -> FloatArray:
    """RC_i = w_i (C w)_i / w'Cw, all zero when the weights carry no variance (the vault's convention)."""
    cw = cov @ weights
    total = float(weights @ cw)
    if total <= 0.0:
        return np.zeros_like(weights)
    return weights * cw / total


def gap(weights: FloatArray, cov: FloatArray, budgets: FloatArray) -> float:
    """max_i |RC_i - budget_i| (0 when the weights carry no variance: nothing is concentrated)."""
    rc = contributions(weights, cov)
    return 0.0 if not rc.any() else float(np.max(np.abs(rc - budgets)))


def parity_weights(cov: FloatArray, budgets: FloatArray, exposure: float) -> FloatArray:
    """The risk-budget weights under the vault's own covariance (the keeper's solver), summing to ``exposure``:
    their risk contributions equal the budgets, so a full blend toward them passes the vault's band whatever the
    correlations. Assets without a budget get no weight. Falls back to budget-proportional inverse volatility
    (exact only when the correlations are all equal) if the vault's matrix cannot be solved."""
    w = np.zeros_like(budgets)
    held = budgets > 0
    if not held.any():
        return w
    sub = cov[np.ix_(held, held)]
    try:
        w[held] = risk_budget_weights(sub, budgets[held] / budgets[held].sum())
    except (KeeperError, ValueError, np.linalg.LinAlgError):
        vols = np.sqrt(np.clip(np.diag(sub), 1e-18, None))
        raw = np.sqrt(budgets[held]) / vols
        w[held] = raw / raw.sum()
    return np.asarray(w / w.sum() * exposure, dtype=np.float64)


@dataclass(frozen=True)
class BandFit:
    weights: FloatArray | None
    """Non-base target weights that pass (the keeper's own when ``blend`` is 0); None when none does."""
    blend: float
    """Share of the vault's parity weights mixed in."""
    gap: float
    """The chosen (or, when none passes, the keeper's own) targets' gap under the vault's covariance."""


def fit_to_band(
    targets: FloatArray,
    cov: FloatArray,
    budgets: FloatArray,
    band: float,
    quantize: Callable[[FloatArray], FloatArray] | None = None,
) -> BandFit:
    """The keeper's targets if their risk contributions under the vault's covariance are inside the band (with
    :data:`BAND_MARGIN`), else the least blend toward the vault's parity weights (same exposure) that is.

    Parameters
    ----------
    targets, budgets : FloatArray, shape (N,)
        Non-base weights (fractions of the gross basket) and budgets (summing to 1), registry order.
    cov : FloatArray, shape (N, N)
        :func:`onchain_covariance`.
    band : float
        The vault's ``bandBps`` / 10,000.
    quantize : callable, optional
        The weights as the vault will see them (whole bps): checked instead of the floats, since a weight of a
        few bps moves its risk contribution far when rounded.
    """
    q = quantize or (lambda w: w)
    own = gap(q(targets), cov, budgets)
    parity = parity_weights(cov, budgets, float(targets.sum()))
    for blend in BLEND_STEPS:
        w = (1 - blend) * targets + blend * parity
        g = gap(q(w), cov, budgets)
        if g <= band * BAND_MARGIN:
            return BandFit(w, blend, g)
    return BandFit(None, 1.0, own)
