"""The demo report's measures: realized risk contributions between rebalances, turnover and costs per year."""

from __future__ import annotations

import numpy as np
import pytest

from scripts.demo_report import (
    DemoLog,
    _rc_summary,
    _realized_rc,
    held_exposures,
    perfect_forecast_gap,
    rc_windows,
    realized_risk_contributions,
    turnover_and_costs,
)


def _returns(n: int, vols: list[float], seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, len(vols))) * np.array(vols)


def test_held_exposures__read_after_the_step__recovers_what_was_held_through_it():
    held = np.array([[0.5, 0.3], [0.6, 0.2]])
    returns = np.array([[0.10, -0.05], [-0.02, 0.04]])
    nav_after = 1.0 + (held * returns).sum(axis=1, keepdims=True)  # the rest is cash, which earns nothing
    read_after = held * (1.0 + returns) / nav_after
    np.testing.assert_allclose(held_exposures(read_after, returns), held, rtol=1e-12)


def test_realized_rc__inverse_vol_weights_on_independent_assets__match_an_equal_budget():
    vols = [0.01, 0.02, 0.04]
    returns = _returns(20_000, vols)
    exposures = np.tile(1.0 / np.array(vols), (len(returns), 1)) / 100.0
    windows, rc = realized_risk_contributions(returns, exposures, [0, 10_000])
    assert windows == [0, 10_000]
    np.testing.assert_allclose(rc.sum(axis=1), 1.0)
    np.testing.assert_allclose(rc, 1.0 / 3.0, atol=0.03)


def test_realized_rc__equal_weights__put_the_risk_on_the_volatile_asset():
    returns = _returns(5_000, [0.01, 0.03])
    _, rc = realized_risk_contributions(returns, np.full((5_000, 2), 0.5), [0])
    # Independent assets: RC_i is proportional to w_i^2 sigma_i^2, so 1 : 9.
    np.testing.assert_allclose(rc[0], [0.1, 0.9], atol=0.02)


def test_realized_rc__rebalance_sooner_than_min_steps__window_runs_on_past_it():
    returns = _returns(100, [0.01, 0.02])
    exposures = np.full((100, 2), 0.5)
    windows, rc = realized_risk_contributions(returns, exposures, [10, 12, 80], min_steps=30)
    assert windows == [10, 12, 80]
    _, alone = realized_risk_contributions(returns[10:40], exposures[10:40], [0], min_steps=30)
    np.testing.assert_allclose(rc[0], alone[0])  # steps 10..39, through the rebalance on step 12
    _, tail = realized_risk_contributions(returns[80:], exposures[80:], [0], min_steps=30)
    np.testing.assert_allclose(rc[2], tail[0])  # cut at the end of the data


def test_realized_rc__all_cash_or_single_step__window_left_out():
    returns = _returns(50, [0.01, 0.02])
    exposures = np.zeros((50, 2))
    exposures[30:] = 0.5
    windows, rc = realized_risk_contributions(returns, exposures, [0, 30, 49], min_steps=5)
    assert windows == [30] and rc.shape == (1, 2)


def test_turnover_and_costs__per_year__each_rebalance_against_its_own_nav():
    events = [
        {"block": 1, "nav_before": 1_000_000 * 10**6, "nav_after": 999_000 * 10**6, "turnover": 200_000 * 10**6},
        {"block": 2, "nav_before": 2_000_000 * 10**6, "nav_after": 1_999_000 * 10**6, "turnover": 100_000 * 10**6},
    ]
    c = turnover_and_costs(events, gas_usd=[100.0, 200.0], days=73.0)  # a fifth of a year
    assert c["turnover_per_year"] == pytest.approx((0.2 + 0.05) * 5)
    assert c["trading_cost_bps_per_year"] == pytest.approx((10 + 5) * 5)
    assert c["gas_cost_bps_per_year"] == pytest.approx((1 + 1) * 5)
    assert c["cost_bps_per_year"] == pytest.approx(85)
    assert c["trading_cost_usd"] == pytest.approx(2_000) and c["gas_cost_usd"] == pytest.approx(300)


def test_turnover_and_costs__no_rebalances__empty():
    assert turnover_and_costs([], [], days=180) == {}


def test_realized_rc_summary__budgets_change_mid_run__each_window_judged_by_its_own():
    log = DemoLog(symbols=["USDC", "A", "B"], budgets_bps=[0, 5_000, 5_000], threshold=0.05)
    rng = np.random.default_rng(3)
    prices = np.array([1.0, 10.0, 10.0])
    for step in range(200):
        prices = prices * np.exp(np.r_[0.0, rng.standard_normal(2) * 0.01])
        row = {"day": step / 6, "prices": tuple(prices), "weights": [0.0, 0.5, 0.5]}
        if step > 100:
            row["budget"] = [0.0, 0.25, 0.75]  # a vote moved half of A's budget to B
        log.market_rows.append(row)
    log.rebalances += [{"step": 0, "block": 1}, {"step": 100, "block": 2}]
    summary = _realized_rc(log)
    assert summary["window_start_days"] == [0.0, 100 / 6]
    assert summary["window_budgets"] == [[0.5, 0.5], [0.25, 0.75]]
    gap = np.abs(np.array(summary["rc"]) - np.array(summary["window_budgets"])).mean()
    assert summary["mean_abs_gap"] == pytest.approx(gap)


def _correlated(n: int, cov: np.ndarray, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, len(cov))) @ np.linalg.cholesky(cov).T


COV = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.01]])


def test_perfect_forecast_gap__long_window__vanishes():
    returns = _correlated(50_000, COV, seed=5)
    budget = np.array([[0.5, 0.3, 0.2]])
    assert perfect_forecast_gap(returns, [(0, 50_000)], budget, [COV]) < 0.005


def test_perfect_forecast_gap__week_long_windows__is_the_sampling_noise_of_the_measure():
    returns = _correlated(4_200, COV, seed=5)
    windows = rc_windows(list(range(0, 4_200, 42)), len(returns), min_steps=42)
    budgets = np.tile([1 / 3, 1 / 3, 1 / 3], (len(windows), 1))
    floor = perfect_forecast_gap(returns, windows, budgets, [COV] * len(windows))
    # 42 returns per window: the known-covariance portfolio's realized split is off by several points per window.
    assert 0.02 < floor < 0.15
    assert len(windows) == 100 and windows[-1] == (4_158, 4_200)


def test_realized_rc_summary__true_covariances__reports_the_floor_on_the_same_windows():
    cov = np.diag([0.0, 0.01, 0.04])  # over every world asset, the base first
    log = DemoLog(symbols=["USDC", "A", "B"], budgets_bps=[0, 5_000, 5_000], threshold=0.05)
    returns = _correlated(300, cov[1:, 1:] / 10_000, seed=7)
    prices = np.array([1.0, 10.0, 10.0])
    log.market_rows.append({"day": 0.0, "prices": tuple(prices), "weights": [0.0, 0.5, 0.5], "stress": False})
    for step, r in enumerate(returns, start=1):
        prices = prices * np.r_[1.0, 1.0 + r]
        log.market_rows.append({"day": step / 6, "prices": tuple(prices), "weights": [0.0, 0.5, 0.5], "stress": False})
    log.rebalances += [{"step": 0, "block": 1}, {"step": 150, "block": 2}]
    summary = _realized_rc(log, (cov, cov * 4))
    held = np.array([2 / 3, 1 / 3])  # inverse vol: equal risk for independent assets
    expected = np.mean(
        [np.abs(euler - 0.5).mean() for euler in (_split(held * returns[:150]), _split(held * returns[150:]))]
    )
    assert summary["perfect_forecast_gap"] == pytest.approx(expected, rel=1e-6)
    assert _realized_rc(log)["perfect_forecast_gap"] is None


def _split(x: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=0)
    p = xc.sum(axis=1)
    return xc.T @ p / (p @ p)


def test_realized_rc_summary__month_windows__measured_on_at_least_21_days():
    log = DemoLog(symbols=["USDC", "A", "B"], budgets_bps=[0, 5_000, 5_000], threshold=0.05)
    returns = _correlated(600, np.diag([0.01, 0.04]) / 10_000, seed=8)
    prices = np.array([1.0, 10.0, 10.0])
    log.market_rows.append({"day": 0.0, "prices": tuple(prices), "weights": [0.0, 0.5, 0.5], "stress": False})
    for step, r in enumerate(returns, start=1):
        prices = prices * np.r_[1.0, 1.0 + r]
        log.market_rows.append({"day": step / 6, "prices": tuple(prices), "weights": [0.0, 0.5, 0.5], "stress": False})
    log.rebalances += [{"step": s, "block": s} for s in range(0, 600, 60)]  # every 10 days
    summary = _realized_rc(log)
    assert len(summary["rc"]) == 10 and summary["min_steps"] == 42
    month = summary["month"]
    assert month["min_steps"] == 21 * 6 and month["windows"] == 10
    # Each window runs on to 126 steps (cut at the end), so the month figure is the summary at that length.
    assert month["mean_abs_gap"] == pytest.approx(_rc_summary(log, None, 126)["mean_abs_gap"])
    assert month["mean_abs_gap"] != pytest.approx(summary["mean_abs_gap"])
