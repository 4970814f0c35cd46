"""The price model: deterministic per seed, calibrated vols, and a stress regime with higher vol and correlation."""

from __future__ import annotations

import numpy as np
import pytest

from devworld.sim.config import WorldConfig, load_world_config, parse_world_config
from devworld.sim.market import (
    CALM,
    RISKY_VOL_FLOOR,
    SECONDS_PER_YEAR,
    STRESS,
    MarketModel,
    ReplayModel,
    regime_params,
    simulate_path,
)

CFG = load_world_config("config/world.yaml")
HOUR = 3600


def test_simulate_path__same_seed__same_path():
    a = simulate_path(CFG, 200, HOUR, seed=5)
    b = simulate_path(CFG, 200, HOUR, seed=5)
    np.testing.assert_array_equal(a.prices, b.prices)
    np.testing.assert_array_equal(a.regimes, b.regimes)


def test_simulate_path__different_seed__different_path():
    assert not np.array_equal(simulate_path(CFG, 10, HOUR, 1).prices, simulate_path(CFG, 10, HOUR, 2).prices)


def _realized(model: MarketModel, regime: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns (annualized vols, correlation matrix) of n hourly steps pinned to one regime."""
    rets = np.empty((n, len(CFG.assets)))
    for t in range(n):
        model.force_regime(regime)
        before = model.prices.copy()
        rets[t] = np.log(model.step(HOUR) / before)
    return rets.std(axis=0, ddof=1) * np.sqrt(SECONDS_PER_YEAR / HOUR), np.corrcoef(rets.T)


def test_market_model__calm_regime__realizes_configured_vols_and_correlations():
    vols, corr = _realized(MarketModel(CFG, seed=3), CALM, 20_000)
    expected = np.array([a.vol for a in CFG.assets])
    np.testing.assert_allclose(vols, expected, rtol=0.03)
    i, j = CFG.symbols.index("WBTC"), CFG.symbols.index("WETH")
    assert corr[i, j] == pytest.approx(0.80, abs=0.02)


def test_market_model__stress_regime__raises_risky_vols_and_correlations():
    calm_vols, calm_corr = _realized(MarketModel(CFG, seed=4), CALM, 20_000)
    stress_vols, stress_corr = _realized(MarketModel(CFG, seed=4), STRESS, 20_000)
    risky = [CFG.symbols.index(s) for s in ("WBTC", "WETH", "LINK", "XAU", "BOND")]
    np.testing.assert_allclose(stress_vols[risky] / calm_vols[risky], 2.5, rtol=0.05)
    i, j = CFG.symbols.index("WBTC"), CFG.symbols.index("XAU")
    assert stress_corr[i, j] > calm_corr[i, j] + 0.4
    # The T-bill and the stablecoin keep their calm behaviour.
    k = CFG.symbols.index("TBILL")
    assert stress_vols[k] == pytest.approx(calm_vols[k], rel=0.05)


def test_regime_params__stress_correlation__stays_positive_definite():
    p = regime_params(CFG)
    assert np.linalg.eigvalsh(p.corrs[STRESS]).min() > 0


def test_market_model__switching__spends_time_in_both_regimes():
    path = simulate_path(CFG, 24 * 365, HOUR, seed=9)
    share = path.regimes.mean()
    # Stationary stress share is p_cs / (p_cs + p_sc) = 0.02 / 0.12 ~ 17%.
    assert 0.05 < share < 0.35


def test_replay_model__recorded_path__assets_move_by_its_returns_from_spot():
    days = np.array([0, 86400, 2 * 86400])
    path = np.array([[100.0, 50.0], [110.0, 40.0], [99.0, 60.0]])  # WBTC and XAU, any price level
    model = ReplayModel(CFG, days, path, ["WBTC", "XAU"])
    spot = model.prices.copy()
    wbtc, xau, weth = (CFG.symbols.index(s) for s in ("WBTC", "XAU", "WETH"))
    after_day = model.step(86400)
    assert after_day[wbtc] == pytest.approx(spot[wbtc] * 1.10)
    assert after_day[xau] == pytest.approx(spot[xau] * 0.80)
    assert after_day[weth] == spot[weth]  # not in the path: held at spot
    half = model.step(43200)  # log-linear between rows
    assert half[wbtc] == pytest.approx(spot[wbtc] * np.sqrt(1.10 * 0.99), rel=1e-12)
    model.step(10 * 86400)  # past the end: the last row holds
    assert model.prices[xau] == pytest.approx(spot[xau] * 60.0 / 50.0)


@pytest.mark.parametrize(
    "times, prices, names, message",
    [
        ([0, 1], [[1.0], [2.0]], ["DOGE"], "not world symbols"),
        ([0, 0], [[1.0], [2.0]], ["WBTC"], "increasing times"),
        ([0, 1], [[1.0], [-2.0]], ["WBTC"], "positive"),
        ([0], [[1.0]], ["WBTC"], "2\\+ rows"),
    ],
)
def test_replay_model__bad_path__refused_saying_why(times, prices, names, message):
    with pytest.raises(ValueError, match=message):
        ReplayModel(CFG, times, prices, names)


def _two_asset_world(drift_a: float, drift_b: float) -> WorldConfig:
    feed = {"deviation_bps": 50, "heartbeat_s": 3600}
    return parse_world_config(
        {
            "base": "USDC",
            "assets": [
                {"symbol": "USDC", "decimals": 6, "price_usd": 1.0, "vol": 0.0, "feed": feed},
                {
                    "symbol": "A",
                    "decimals": 18,
                    "price_usd": 10.0,
                    "vol": 0.0,
                    "drift": drift_a,
                    "feed": feed,
                    "pool_depth_usd": 1e6,
                },
                {
                    "symbol": "B",
                    "decimals": 18,
                    "price_usd": 10.0,
                    "vol": 0.0,
                    "drift": drift_b,
                    "feed": feed,
                    "pool_depth_usd": 1e6,
                },
            ],
            "regimes": {
                "stress_vol_multiplier": 2.5,
                "stress_correlation_pull": 0.6,
                "calm_to_stress_per_day": 0.0,
                "stress_to_calm_per_day": 0.0,
            },
            "simulator": {"step_s": HOUR},
        }
    )


def test_market_model__per_asset_drifts__each_asset_grows_at_its_own_rate():
    model = MarketModel(_two_asset_world(0.10, -0.05), seed=1)
    for _ in range(24 * 365):
        model.step(HOUR)
    # Without volatility a drift is exact growth: exp(drift * years), and the base keeps its price.
    np.testing.assert_allclose(model.prices, [1.0, 10.0 * np.exp(0.10), 10.0 * np.exp(-0.05)], rtol=1e-9)


def test_world_config__shipped_drifts__pay_every_risky_asset_about_the_same_for_its_risk():
    cash = CFG.asset("TBILL").drift
    sharpe = {a.symbol: (a.drift - cash) / a.vol for a in CFG.risky if a.vol >= RISKY_VOL_FLOOR}
    assert set(sharpe) == {"WBTC", "WETH", "LINK", "XAU", "BOND"}
    assert all(0.3 <= s <= 0.4 for s in sharpe.values()), sharpe
