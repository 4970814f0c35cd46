"""The policy tests' three-asset case (two volatile correlated assets and a quiet one, equal budgets) and a call of
``keeper.policy.decide`` on it with deep pools at the oracle prices. Pure Python: no chain."""

from __future__ import annotations

from typing import Any

import numpy as np

from keeper.amm import Pool
from keeper.policy import Decision, PolicyConfig, decide
from keeper.risk import risk_budget_weights

VOL = np.array([0.8, 0.6, 0.15])
CORR = np.array([[1.0, 0.6, 0.1], [0.6, 1.0, 0.1], [0.1, 0.1, 1.0]])
COV = CORR * np.outer(VOL, VOL)
BUDGET = np.full(3, 1 / 3)
TARGET = risk_budget_weights(COV)
PRICES = np.array([3000.0, 60000.0, 2000.0])
NAV = 1_000_000.0


def pools(depth: float) -> list[Pool | None]:
    """Pairs at the oracle price, ``depth`` of base (6 decimals) against 18-decimal tokens."""
    return [Pool(int(depth / p * 1e18), int(depth * 1e6)) for p in PRICES]


def decide_on(current: np.ndarray, *, now: int, last: int | None = None, depth: float = 1e8, **cfg: Any) -> Decision:
    """``decide`` from ``current`` weights toward ``TARGET`` with ``PolicyConfig(**cfg)``."""
    return decide(
        now=now,
        last_rebalance=last,
        nav=NAV,
        current_weights=current,
        target_weights=TARGET,
        cov=COV,
        budget=BUDGET,
        prices=PRICES,
        pools=pools(depth),
        token_decimals=[18, 18, 18],
        base_decimals=6,
        gas_cost_per_trade=5.0,
        config=PolicyConfig(**cfg),
    )
