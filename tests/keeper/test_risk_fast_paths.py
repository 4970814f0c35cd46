"""keeper.risk's fast checks against the definitions they stand for, on real prices.

- ``repair_covariance`` proves its eigenvalue margin with one Cholesky factorisation of the covariance less
  ``ratio · N`` times its variances (``_margin_holds``), not of a correlation matrix built first; the verdict
  must never be wrong where the eigenvalues are clear of the floor, and the matrix then comes back as it was.
- ``log_returns`` subtracts shifted logs instead of calling ``np.diff``: the same numbers, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

import keeper.risk.covariance as covariance
from keeper.risk import ewma_covariance, log_returns, repair_covariance, sample_covariance

RATIO = 1e-8


@pytest.fixture(scope="module")
def stock_prices() -> np.ndarray:
    """Twenty of skfolio's US stocks, 2005-2012 (the 2008 crash included): real, offline."""
    datasets = pytest.importorskip("skfolio.datasets")
    frame = datasets.load_sp500_dataset().loc["2005":"2012"]
    return np.asarray(frame.to_numpy(), dtype=np.float64)


def _windows(prices: np.ndarray) -> list[np.ndarray]:
    """Covariances as the keeper estimates them, and rank-deficient ones: 60-row EWMA windows every 50 rows on
    all twenty stocks; sample covariances of 12 rows on twenty (rank 11); a stock duplicated (singular)."""
    rets = log_returns(prices)
    out = [ewma_covariance(rets[t - 60 : t]) for t in range(60, rets.shape[0], 50)]
    out += [sample_covariance(rets[t - 12 : t]) for t in range(12, rets.shape[0], 200)]
    twin = np.column_stack([rets[:, :10], rets[:, :1]])
    out += [ewma_covariance(twin[t - 60 : t]) for t in range(60, rets.shape[0], 400)]
    return out


def _margin(c: np.ndarray) -> float:
    """``λ_min / λ_max`` of the correlation matrix: the quantity the repair floors at RATIO."""
    d = np.sqrt(np.diag(c))
    eig = np.linalg.eigvalsh(c / np.outer(d, d))
    return float(eig[0] / eig[-1])


def test_repair_covariance__cholesky_margin_check__agrees_with_eigenvalues_on_real_prices(
    stock_prices: np.ndarray,
) -> None:
    verdicts = {True: 0, False: 0}
    for c in _windows(stock_prices):
        n = c.shape[0]
        holds = covariance._margin_holds(c, np.diag(c), RATIO * n)
        verdicts[holds] += 1
        margin = _margin(c)
        if holds:  # never a false proof: the check implies the margin
            assert margin >= RATIO
        if margin > 2.0 * RATIO * n:  # clearly inside: proved without the eigendecomposition
            assert holds
        repaired = repair_covariance(c)
        if margin >= 2.0 * RATIO:  # meets the floor: returned as it was, bit for bit
            np.testing.assert_array_equal(repaired, c)
        elif margin <= 0.5 * RATIO:  # below it: clipped, variances kept
            assert _margin(repaired) >= 0.5 * RATIO
            np.testing.assert_allclose(np.diag(repaired), np.diag(c), rtol=1e-12)
    assert verdicts[True] > 0 and verdicts[False] > 0  # both branches seen


def test_log_returns__shifted_logs__same_bits_as_np_diff(stock_prices: np.ndarray) -> None:
    np.testing.assert_array_equal(log_returns(stock_prices), np.diff(np.log(stock_prices), axis=0))
    column = stock_prices[:, 3]
    np.testing.assert_array_equal(log_returns(column), np.diff(np.log(column)))
    assert log_returns(np.ones((5, 0))).shape == (4, 0)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_log_returns__non_positive_or_nan_price__value_error(stock_prices: np.ndarray, bad: float) -> None:
    prices = stock_prices[:30].copy()
    prices[17, 4] = bad
    with pytest.raises(ValueError, match="strictly positive"):
        log_returns(prices)
