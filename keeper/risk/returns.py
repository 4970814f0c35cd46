"""Returns from oracle rounds.

Chainlink-style feeds publish a new round only when the price moves past a deviation threshold or a heartbeat
elapses, so rounds arrive at irregular times and at different times per asset. Estimators need returns on one
common, regular grid: we resample every feed to a fixed interval with the last known price carried forward (the
value an on-chain reader would have seen at that instant), then take log returns.

Annualisation assumption: crypto markets trade around the clock every day of the year, and returns over
non-overlapping intervals are treated as uncorrelated with constant variance, so variance scales linearly with time
(the square-root-of-time rule for volatility): a year is 365 days of 86,400 seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from keeper.errors import InsufficientDataError, ShapeMismatchError
from keeper.risk.types import FloatArray, IntArray

logger = logging.getLogger(__name__)

#: Seconds in the year used for annualisation: 365 days, markets open 24/7.
SECONDS_PER_YEAR = 365 * 86_400


def periods_per_year(interval: int) -> float:
    """Number of ``interval``-second periods in a year (365 × 24 h, see the module docstring).

    Parameters
    ----------
    interval : int
        Sampling interval in seconds.
    """
    if interval <= 0:
        raise ValueError(f"interval must be positive seconds, got {interval}")
    return SECONDS_PER_YEAR / interval


def resample_last(
    timestamps: npt.ArrayLike,
    prices: npt.ArrayLike,
    grid: IntArray,
) -> FloatArray:
    """Price of one feed at each grid time, carrying the last round forward.

    Parameters
    ----------
    timestamps : array_like, shape (M,)
        Round update times in seconds (``updatedAt``), non-decreasing.
    prices : array_like, shape (M,)
        Round answers (any unit, e.g. the feed's 8-decimal integers).
    grid : IntArray, shape (T,)
        Times in seconds at which to read the price.

    Returns
    -------
    FloatArray, shape (T,)
        The answer of the latest round with ``updatedAt ≤ t`` for each grid time t.

    Raises
    ------
    ShapeMismatchError
        If timestamps and prices differ in length.
    InsufficientDataError
        If the feed has no round at or before the first grid time.
    """
    ts = np.asarray(timestamps, dtype=np.int64)
    px = np.asarray(prices, dtype=np.float64)
    if ts.ndim != 1 or ts.shape != px.shape:
        raise ShapeMismatchError(f"timestamps {ts.shape} and prices {px.shape} must be 1-D of equal length")
    if ts.size == 0 or ts[0] > grid[0]:
        raise InsufficientDataError("feed has no round at or before the first grid time")
    if (ts[1:] < ts[:-1]).any():
        raise ValueError("round timestamps must be non-decreasing")
    # side="right" so that a round published exactly at t is already visible at t.
    idx = np.searchsorted(ts, grid, side="right") - 1
    return px[idx]


def resample_rounds(
    rounds: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    interval: int,
    *,
    start: int | None = None,
    end: int | None = None,
) -> tuple[IntArray, FloatArray]:
    """Resample several feeds' rounds onto one regular grid.

    Parameters
    ----------
    rounds : sequence of (timestamps, prices)
        One pair of equal-length arrays per asset, as in :func:`resample_last`.
    interval : int
        Grid spacing in seconds.
    start : int, optional
        First grid time; defaults to the latest first round over all feeds (the first instant every feed has a
        price).
    end : int, optional
        Last grid time bound (inclusive); defaults to the latest round over all feeds.

    Returns
    -------
    grid : IntArray, shape (T,)
        Grid times in seconds.
    prices : FloatArray, shape (T, N)
        Last-known prices per grid time and asset.
    """
    if not rounds:
        raise InsufficientDataError("no feeds given")
    if interval <= 0:
        raise ValueError(f"interval must be positive seconds, got {interval}")
    shared = _shared_times(rounds)
    times = [np.asarray(shared)] if shared is not None else [np.asarray(ts) for ts, _ in rounds]
    if any(ts.size == 0 for ts in times):
        raise InsufficientDataError("a feed has no rounds")
    t0 = max(int(ts[0]) for ts in times) if start is None else int(start)
    t1 = max(int(ts[-1]) for ts in times) if end is None else int(end)
    if t1 < t0:
        raise InsufficientDataError(f"empty window: start {t0} is after end {t1}")
    grid = np.arange(t0, t1 + 1, interval, dtype=np.int64)
    if shared is not None:
        prices = _resample_shared(times[0], [px for _, px in rounds], grid)
    else:
        prices = np.column_stack([resample_last(ts, px, grid) for ts, (_, px) in zip(times, rounds, strict=True)])
    logger.debug("resampled feeds n=%d points=%d interval=%d", len(rounds), grid.size, interval)
    return grid, prices


def _shared_times(rounds: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]]) -> npt.ArrayLike | None:
    """The feeds' common round times when every feed published at the same instants, else None.

    Feeds given the same timestamps object, or equal tuples of them (the backtest's feeds, which publish every row;
    a simulator's), share one search instead of one per feed. Anything else (arrays that are not the same object,
    real feeds publishing at their own times) goes feed by feed."""
    first = rounds[0][0]
    for ts, _ in rounds[1:]:
        if ts is not first and not (isinstance(ts, tuple) and isinstance(first, tuple) and ts == first):
            return None
    return first


def _resample_shared(timestamps: npt.ArrayLike, answers: list[npt.ArrayLike], grid: IntArray) -> FloatArray:
    """:func:`resample_last` for feeds with common round times: the same checks and the same prices, one search
    for all of them. Shape (T, N)."""
    ts = np.asarray(timestamps, dtype=np.int64)
    if ts.ndim != 1 or any(len(px) != ts.size for px in answers):  # type: ignore[arg-type]
        raise ShapeMismatchError(f"timestamps {ts.shape} and every feed's prices must be 1-D of equal length")
    px = np.array(answers, dtype=np.float64)
    if ts.size == 0 or ts[0] > grid[0]:
        raise InsufficientDataError("feed has no round at or before the first grid time")
    if (ts[1:] < ts[:-1]).any():
        raise ValueError("round timestamps must be non-decreasing")
    idx = np.searchsorted(ts, grid, side="right") - 1
    return np.ascontiguousarray(px[:, idx].T)


def log_returns(prices: npt.ArrayLike) -> FloatArray:
    """Log returns ``ln(p_t / p_{t-1})`` along the first axis.

    Parameters
    ----------
    prices : array_like, shape (T,) or (T, N)
        Strictly positive prices on a regular grid.

    Returns
    -------
    FloatArray, shape (T-1,) or (T-1, N)
        Per-period log returns (dimensionless). A carried-forward price gives a return of exactly 0.
    """
    p = np.asarray(prices, dtype=np.float64)
    if p.shape[0] < 2:
        raise InsufficientDataError(f"need at least two prices for a return, got {p.shape[0]}")
    if p.size and not p.min() > 0.0:  # min > 0 is false for a NaN too
        raise ValueError("prices must be strictly positive and finite for log returns")
    logs = np.log(p)
    return logs[1:] - logs[:-1]  # np.diff's own subtraction, without its generic set-up


def annualize_covariance(cov: FloatArray, interval: int) -> FloatArray:
    """Scale a per-period covariance to a yearly one (variance grows linearly with time; see module docstring).

    Parameters
    ----------
    cov : FloatArray, shape (N, N)
        Covariance of ``interval``-second log returns.
    interval : int
        Sampling interval in seconds.

    Returns
    -------
    FloatArray, shape (N, N)
        Annualised covariance.
    """
    return np.asarray(cov, dtype=np.float64) * periods_per_year(interval)
