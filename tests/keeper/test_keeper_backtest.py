"""Backtest: the keeper pipeline over a synthetic price series and a CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keeper.backtest import BacktestConfig, backtest
from keeper.errors import DataError
from keeper.prices import load_prices_csv


def synthetic_prices(t: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vol = np.array([0.8, 0.6, 0.9, 0.15]) / np.sqrt(365)
    corr = np.full((4, 4), 0.5)
    np.fill_diagonal(corr, 1.0)
    corr[3, :3] = corr[:3, 3] = 0.05
    chol = np.linalg.cholesky(corr * np.outer(vol, vol))
    return 100.0 * np.exp(np.cumsum(rng.standard_normal((t, 4)) @ chol.T, axis=0))


@pytest.fixture(scope="module")
def result():
    return backtest(synthetic_prices(), BacktestConfig(window=60))


def test_backtest__three_strategies__all_reported(result) -> None:
    assert set(result.strategies) == {"risk_parity", "equal_weight", "inverse_vol"}
    for r in result.strategies.values():
        assert r.nav.size == r.exposure.size == r.weights.shape[0] == 300 - 61
        assert r.realized_vol > 0 and r.turnover > 0 and r.costs > 0
        assert r.turnover_per_year == pytest.approx(r.turnover / r.years)
        assert r.realized_rc.shape[1] == 4 and np.allclose(r.realized_rc.sum(axis=1), 1.0)
        assert 0 <= r.max_drawdown < 1
        assert r.rebalances >= 1


def test_backtest__risk_parity__smallest_rc_error_and_lower_vol_than_equal_weight(result) -> None:
    rp, ew, iv = (result.strategies[k] for k in ("risk_parity", "equal_weight", "inverse_vol"))
    assert rp.rc_error[1:].mean() < iv.rc_error[1:].mean() < ew.rc_error[1:].mean()
    assert rp.realized_vol < ew.realized_vol


def test_backtest__csv_input__same_as_array(tmp_path: Path) -> None:
    px = synthetic_prices(120, seed=3)
    path = tmp_path / "prices.csv"
    lines = ["timestamp,A,B,C,D"] + [f"{i * 86400}," + ",".join(f"{v:.17g}" for v in row) for i, row in enumerate(px)]
    path.write_text("\n".join(lines) + "\n")
    table = load_prices_csv(path)
    assert table.names == ["A", "B", "C", "D"]
    assert table.times is not None and table.times[1] == 86400
    cfg = BacktestConfig(window=30)
    a = backtest(px, cfg, strategies=("risk_parity",)).strategies["risk_parity"]
    b = backtest(path, cfg, strategies=("risk_parity",)).strategies["risk_parity"]
    np.testing.assert_allclose(a.nav, b.nav, rtol=1e-12)


def test_backtest__too_short_series__rejected() -> None:
    with pytest.raises(DataError, match="window"):
        backtest(synthetic_prices(50), BacktestConfig(window=60))
