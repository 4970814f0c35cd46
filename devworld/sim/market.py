"""Correlated log-normal price paths with a two-state (calm/stress) Markov regime.

Pure numpy; deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from devworld.sim.config import WorldConfig

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SECONDS_PER_YEAR = 365.0 * 86400.0
"""Crypto markets trade every second of the year: annualization uses calendar time, 365 days."""

CALM, STRESS = 0, 1
RISKY_VOL_FLOOR = 0.10
"""Assets at or above this annualized vol take part in the stress regime's correlation pull."""


@dataclass(frozen=True)
class RegimeParams:
    """Per-regime annualized vols (n,) and correlation matrices (n, n), index 0 calm, 1 stress."""

    vols: tuple[FloatArray, FloatArray]
    corrs: tuple[FloatArray, FloatArray]
    drifts: FloatArray


def regime_params(cfg: WorldConfig) -> RegimeParams:
    """Derive the stress regime from the calm one.

    Vols of risky assets (vol >= 10%) scale by ``stress_vol_multiplier``; the correlation between two risky assets
    moves a fraction ``stress_correlation_pull`` of the way to 1. Stable assets keep their calm behaviour.
    """
    vols = np.array([a.vol for a in cfg.assets], dtype=np.float64)
    risky = vols >= RISKY_VOL_FLOOR
    stress_vols = np.where(risky, vols * cfg.regimes.stress_vol_multiplier, vols)
    pull = cfg.regimes.stress_correlation_pull
    calm = cfg.correlation_calm.copy()
    both = np.outer(risky, risky)
    stress = np.where(both, (1.0 - pull) * calm + pull, calm)
    np.fill_diagonal(stress, 1.0)
    drifts = np.array([a.drift for a in cfg.assets], dtype=np.float64)
    return RegimeParams(vols=(vols, stress_vols), corrs=(calm, stress), drifts=drifts)


@dataclass(frozen=True)
class PricePath:
    """Simulated prices.

    Attributes
    ----------
    times_s : (T + 1,) seconds from the start.
    prices : (T + 1, n) USD prices; row 0 is the config's spot prices.
    regimes : (T + 1,) 0 calm, 1 stress; entry t is the regime that generated the move into row t.
    """

    times_s: IntArray
    prices: FloatArray
    regimes: IntArray


class MarketModel:
    """Draws one step at a time (so a simulator can interleave chain actions) or whole paths."""

    def __init__(self, cfg: WorldConfig, seed: int, *, start_regime: int = CALM) -> None:
        self.cfg = cfg
        self.params = regime_params(cfg)
        self.rng = np.random.default_rng(seed)
        self.regime = start_regime
        self.prices = np.array([a.price_usd for a in cfg.assets], dtype=np.float64)
        self._chol = tuple(np.linalg.cholesky(c) for c in self.params.corrs)

    def step(self, dt_s: float) -> FloatArray:
        """Advance ``dt_s`` seconds: maybe switch regime, then move prices by one correlated log-normal draw.

        Returns the new (n,) price vector (also kept in ``self.prices``).
        """
        days = dt_s / 86400.0
        r = self.cfg.regimes
        p_switch = r.calm_to_stress_per_day if self.regime == CALM else r.stress_to_calm_per_day
        # Per-day probabilities converted to this step's length: P(no switch in dt) = (1 - p)^days.
        if self.rng.random() < 1.0 - (1.0 - p_switch) ** days:
            self.regime = STRESS if self.regime == CALM else CALM
        vols = self.params.vols[self.regime]
        dt_y = dt_s / SECONDS_PER_YEAR
        z = self._chol[self.regime] @ self.rng.standard_normal(len(vols))
        log_ret = (self.params.drifts - 0.5 * vols**2) * dt_y + vols * np.sqrt(dt_y) * z
        self.prices = self.prices * np.exp(log_ret)
        return self.prices.copy()

    def force_regime(self, regime: int) -> None:
        """Put the market in a given regime (a demo's scripted stress episode)."""
        if regime not in (CALM, STRESS):
            raise ValueError(f"regime must be {CALM} (calm) or {STRESS} (stress), got {regime}")
        self.regime = regime


class ReplayModel(MarketModel):
    """A recorded price path (real history from a CSV) instead of random draws.

    Each asset the path names moves by the path's own returns from the config's spot price, so the world's pools
    and feeds start where they were deployed: ``p_i(t) = spot_i * P_i(t) / P_i(0)``, log-linear between rows and
    held at the last row after the end. Assets the path does not name keep their spot price. The feeds then
    publish along it by the Chainlink rule (deviation or heartbeat), exactly as for simulated prices. The regime
    stays calm (it only shapes implied-vol quotes here; the path carries its own turbulence).
    """

    def __init__(self, cfg: WorldConfig, times_s: npt.ArrayLike, prices: npt.ArrayLike, names: list[str]) -> None:
        super().__init__(cfg, seed=0)
        t = np.asarray(times_s, dtype=np.float64)
        p = np.asarray(prices, dtype=np.float64)
        if p.ndim != 2 or p.shape != (t.size, len(names)) or t.size < 2:
            raise ValueError(f"a path needs 2+ rows and one column per name, got {p.shape} for {len(names)} names")
        if np.any(np.diff(t) <= 0) or np.any(~np.isfinite(p)) or np.any(p <= 0):
            raise ValueError("a path needs increasing times and positive, finite prices")
        unknown = [n for n in names if n not in cfg.symbols]
        if unknown:
            raise ValueError(f"path columns {unknown} are not world symbols ({', '.join(cfg.symbols)})")
        self._times = t - t[0]
        self._log = np.log(p / p[0])
        self._cols = [cfg.symbols.index(n) for n in names]
        self._spot = self.prices.copy()
        self._elapsed = 0.0

    @property
    def duration_s(self) -> float:
        return float(self._times[-1])

    def step(self, dt_s: float) -> FloatArray:
        self._elapsed += dt_s
        moved = self._spot.copy()
        for k, i in enumerate(self._cols):
            moved[i] = self._spot[i] * float(np.exp(np.interp(self._elapsed, self._times, self._log[:, k])))
        self.prices = moved
        return self.prices.copy()


def simulate_path(cfg: WorldConfig, n_steps: int, dt_s: int, seed: int) -> PricePath:
    """Simulate ``n_steps`` steps of ``dt_s`` seconds; the same seed gives the same path."""
    model = MarketModel(cfg, seed)
    prices = np.empty((n_steps + 1, len(cfg.assets)))
    regimes = np.empty(n_steps + 1, dtype=np.int64)
    prices[0], regimes[0] = model.prices, model.regime
    for t in range(1, n_steps + 1):
        prices[t] = model.step(dt_s)
        regimes[t] = model.regime
    return PricePath(times_s=np.arange(n_steps + 1, dtype=np.int64) * dt_s, prices=prices, regimes=regimes)
