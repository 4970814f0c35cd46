"""The backtest's fast paths against the reference paths they replace, on real prices: the same numbers, bit for
bit, and so the same decisions.

- ``resample_rounds`` resamples feeds that share their round times with one search (the backtest's feeds all
  publish every row); the reference resamples feed by feed.
- ``keeper.backtest`` fills the fields of each ``AssetState``, ``FeedHistory``, ``Pool`` and ``Price`` directly
  instead of through the frozen dataclass's ``__init__``.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
import pytest

import keeper.backtest as kb
import keeper.risk.returns as returns
from keeper.amm import Pool
from keeper.backtest import BacktestConfig, backtest
from keeper.config import parse_keeper_config
from keeper.errors import InsufficientDataError, ShapeMismatchError
from keeper.risk import resample_rounds
from keeper.snapshot import AssetState, FeedHistory
from keeper.units import Price

DAY = 86_400


@pytest.fixture(scope="module")
def stock_prices() -> np.ndarray:
    """Ten of skfolio's US stocks, 400 business days from 2007 (the 2008 crash included): real, offline."""
    datasets = pytest.importorskip("skfolio.datasets")
    frame = datasets.load_sp500_dataset().loc["2007":"2008"].iloc[:400, :10]
    return np.asarray(frame.to_numpy(), dtype=np.float64)


def _feed_answers(prices: np.ndarray) -> list[tuple[int, ...]]:
    scaled = np.rint(prices * 10**8)
    return [tuple(int(a) for a in scaled[:, i].tolist()) for i in range(prices.shape[1])]


def test_resample_rounds__shared_round_times__same_prices_as_feed_by_feed(stock_prices: np.ndarray) -> None:
    answers = _feed_answers(stock_prices)
    times = tuple(range(0, stock_prices.shape[0] * DAY, DAY))
    shared = [(times, a) for a in answers]  # one timestamps object for every feed: the fast path
    separate = [(np.array(times), a) for a in answers]  # distinct arrays: feed by feed
    assert returns._shared_times(shared) is times and returns._shared_times(separate) is None
    for start in (0, 3 * DAY, 57 * DAY + 1):  # on the round times, and between them (carried forward)
        grid_fast, fast = resample_rounds(shared, DAY // 2, start=start, end=times[-1])
        grid_ref, ref = resample_rounds(separate, DAY // 2, start=start, end=times[-1])
        np.testing.assert_array_equal(grid_fast, grid_ref)
        np.testing.assert_array_equal(fast, ref)
        assert fast.flags.c_contiguous and fast.dtype == np.float64


def test_resample_rounds__shared_round_times__same_errors_as_feed_by_feed() -> None:
    times = (100, 200, 300)
    with pytest.raises(InsufficientDataError, match="no round at or before"):
        resample_rounds([(times, (1, 2, 3)), (times, (4, 5, 6))], 50, start=50, end=300)
    with pytest.raises(ShapeMismatchError):
        resample_rounds([(times, (1, 2, 3)), (times, (4, 5))], 50)
    with pytest.raises(ValueError, match="non-decreasing"):
        resample_rounds([((100, 300, 200), (1, 2, 3)), ((100, 300, 200), (4, 5, 6))], 50, start=100, end=300)


def test_frozen__fields_filled_directly__equal_to_the_constructor() -> None:
    values: dict[str, Any] = {
        "token": "A0",
        "symbol": "A0",
        "feed": "feed1",
        "heartbeat_s": 864_000,
        "token_decimals": 18,
        "feed_decimals": 8,
        "min_price": 1,
        "max_price": 2**255,
        "balance": 123 * 10**18,
        "answer": 4_567_000_000,
        "updated_at": 86_400,
        "target_bps": 0,
        "budget_bps": 500,
        "collateral": 0,
        "price": Price(4_567_000_000, 10**8),
        "price_base": 45.67,
        "value_base": 5617.41,
        "pool": Pool(10**24, 5 * 10**25),
        "history": FeedHistory((0, 1), (4_500_000_000, 4_567_000_000), (0, 86_400)),
        "implied_vol": None,
        "reserve": None,
    }
    assert set(values) == {f.name for f in fields(AssetState)}  # every field given, as the backtest does
    fast, ref = kb._frozen(AssetState, dict(values)), AssetState(**values)
    assert type(fast) is AssetState and fast == ref and vars(fast) == vars(ref)
    with pytest.raises(AttributeError):
        fast.balance = 0  # type: ignore[misc]  # still frozen
    parts: list[tuple[type, dict[str, Any]]] = [
        (Price, {"num": 4_567_000_000, "den": 10**8}),
        (Pool, {"reserve_asset": 10**24, "reserve_base": 5 * 10**25}),
        (FeedHistory, {"round_ids": (0, 1), "answers": (4_500_000_000, 4_567_000_000), "updated_at": (0, 86_400)}),
    ]
    for cls, kwargs in parts:
        part, ref_part = kb._frozen(cls, dict(kwargs)), cls(**kwargs)
        assert part == ref_part and hash(part) == hash(ref_part) and vars(part) == vars(ref_part)
        assert set(vars(part)) == {f.name for f in fields(cls)}  # defaults of fields not given included


def test_backtest_snapshot__every_asset_field_set__as_the_constructor_sets_them(stock_prices: np.ndarray) -> None:
    """A field added to AssetState must reach the fast-built objects too (defaults included), not only compare
    equal through the class attribute a dataclass default leaves behind."""
    cfg = BacktestConfig()
    feeds = kb._Feeds(stock_prices, cfg)
    n = stock_prices.shape[1]
    snap = kb._snapshot(cfg.window + 1, stock_prices, [10**24] + [10**18] * n, [1000] * n, cfg, 0, 0, feeds)
    names = {f.name for f in fields(AssetState)}
    for asset in snap.assets:
        assert set(vars(asset)) == names
        assert asset == AssetState(**vars(asset))
        assert vars(asset.history) == vars(FeedHistory(**vars(asset.history)))
        if asset.pool is not None:
            assert vars(asset.pool) == vars(Pool(**vars(asset.pool)))


def test_backtest__fast_paths__same_results_as_reference_paths(
    stock_prices: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every strategy, and a volatility-targeted run that de-risks: every NAV, weight, error and trade row equal."""
    plain = parse_keeper_config({"chain": {"rpc_urls": ["http://backtest"], "deployment": "-"}})
    targeted = parse_keeper_config(
        {
            "chain": {"rpc_urls": ["http://backtest"], "deployment": "-"},
            "leverage": {"target_vol": 0.10, "min_exposure": 0.0, "bias_correction": True},
        }
    )
    configs = [BacktestConfig(keeper=plain), BacktestConfig(keeper=targeted)]
    fast = [backtest(stock_prices, c) for c in configs]
    monkeypatch.setattr(returns, "_shared_times", lambda rounds: None)
    monkeypatch.setattr(kb, "_frozen", lambda cls, values: cls(**values))
    ref = [backtest(stock_prices, c) for c in configs]
    for f, r in zip(fast, ref, strict=True):
        assert set(f.strategies) == set(r.strategies) == {"risk_parity", "equal_weight", "inverse_vol"}
        for name, s in f.strategies.items():
            assert s.rebalances > 5, name
            for field in fields(s):
                a, b = getattr(s, field.name), getattr(r.strategies[name], field.name)
                if isinstance(a, np.ndarray):
                    np.testing.assert_array_equal(a, b, err_msg=f"{name}.{field.name}")
                else:
                    assert a == b, f"{name}.{field.name}"
