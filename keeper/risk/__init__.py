"""The keeper's risk engine: pure numpy/scipy functions from oracle rounds to leverage-scaled risk-budget weights.

Pipeline: ``resample_rounds`` -> ``log_returns`` -> a covariance estimator (``sample_covariance``,
``ewma_covariance``, ``ledoit_wolf``; optionally ``garch_covariance`` and ``blend_implied_vol``; ``repair_covariance``
when a matrix is not positive definite) -> ``annualize_covariance`` -> ``risk_budget_weights`` ->
``target_leverage``.
"""

from __future__ import annotations

from keeper.risk.covariance import (
    RISKMETRICS_DECAY,
    ShrunkCovariance,
    blend_implied_vol,
    correlation_from_covariance,
    ewma_covariance,
    is_positive_definite,
    ledoit_wolf,
    repair_covariance,
    sample_covariance,
)
from keeper.risk.forecast import Garch11, fit_garch11, garch_covariance
from keeper.risk.leverage import (
    max_leverage_for_health_factor,
    portfolio_volatility,
    target_leverage,
)
from keeper.risk.returns import (
    SECONDS_PER_YEAR,
    annualize_covariance,
    log_returns,
    periods_per_year,
    resample_last,
    resample_rounds,
)
from keeper.risk.solver import (
    FallbackReason,
    RiskBudgetResult,
    risk_budget_weights,
    risk_contributions,
    solve_risk_budget,
)
from keeper.risk.types import FloatArray, IntArray

__all__ = [
    "RISKMETRICS_DECAY",
    "SECONDS_PER_YEAR",
    "FallbackReason",
    "FloatArray",
    "Garch11",
    "IntArray",
    "RiskBudgetResult",
    "ShrunkCovariance",
    "annualize_covariance",
    "blend_implied_vol",
    "correlation_from_covariance",
    "ewma_covariance",
    "fit_garch11",
    "garch_covariance",
    "is_positive_definite",
    "ledoit_wolf",
    "log_returns",
    "max_leverage_for_health_factor",
    "periods_per_year",
    "portfolio_volatility",
    "repair_covariance",
    "resample_last",
    "resample_rounds",
    "risk_budget_weights",
    "risk_contributions",
    "sample_covariance",
    "solve_risk_budget",
    "target_leverage",
]
