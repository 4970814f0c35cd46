"""Price CSVs as pandas and spreadsheets write them (keeper.prices): the layouts read, the errors named, the
frequency inferred from the dates."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from keeper.errors import DataError, KeeperError
from keeper.prices import load_prices_csv, periods_per_year


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------------------------------
# Layouts that read
# ---------------------------------------------------------------------------------------------------------------


def test_load_prices_csv__pandas_header_with_empty_index_cell__dates_and_names_read(tmp_path: Path) -> None:
    path = write(tmp_path, ",BTC,ETH\n2020-03-11,7900.5,195.0\n2020-03-12,4900,110.25\n2020-03-13,5600,133\n")
    table = load_prices_csv(path)
    assert table.names == ["BTC", "ETH"]
    assert table.labels == ("2020-03-11", "2020-03-12", "2020-03-13")
    assert table.times is not None and list(np.diff(table.times)) == [86400, 86400]
    np.testing.assert_allclose(table.prices[1], [4900.0, 110.25])
    assert table.filled == ()


def test_load_prices_csv__named_index_and_datetimes__read(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,A\n2020-01-01 00:00:00,1\n2020-01-01T01:00:00+00:00,2\n2020-01-01 02:00:00,3\n")
    table = load_prices_csv(path)
    assert table.names == ["A"]
    assert table.times is not None and list(np.diff(table.times)) == [3600, 3600]


def test_load_prices_csv__no_header_no_dates__columns_numbered(tmp_path: Path) -> None:
    table = load_prices_csv(write(tmp_path, "1.0,2.0\n1.1,2.2\n"))
    assert table.names == ["col1", "col2"] and table.times is None
    assert table.prices.shape == (2, 2)


def test_load_prices_csv__empty_cell__forward_filled_with_warning_naming_row_and_column(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, ",A,B\n2020-01-01,1.0,10.0\n2020-01-02,,11.0\n2020-01-03,1.2,\n")
    with caplog.at_level(logging.WARNING, logger="keeper.prices"):
        table = load_prices_csv(path)
    np.testing.assert_allclose(table.prices, [[1.0, 10.0], [1.0, 11.0], [1.2, 11.0]])
    assert table.filled == ((3, "A"), (4, "B"))
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 2
    assert "row=3" in messages[0] and "column=A" in messages[0] and str(path) in messages[0]


# ---------------------------------------------------------------------------------------------------------------
# Errors that name the file, row and column
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (",A,B\n2020-01-01,1.0,2.0\n2020-01-02,1.1,abc\n", r"row 3, column 3 \(B\): 'abc' is not a number"),
        (",A,B\n2020-01-01,1.0,2.0\n2020-01-02,1.1,-2\n", r"row 3, column 3 \(B\): price -2 is not a positive"),
        (",A,B\n2020-01-01,1.0,2.0\n2020-01-02,0,2\n", r"row 3, column 2 \(A\): price 0 is not a positive"),
        (",A,B\n2020-01-01,1.0,2.0\n2020-01-02,1.1,inf\n", r"row 3, column 3 \(B\): price inf is not a positive"),
        (",A,B\n2020-01-01,1.0,2.0\n2020-01-02,1.1\n", r"row 3 has 2 cells where the header has 3"),
        (",A,B\n2020-01-01,1.0,2.0\n2020-01-02,1.1,2,3\n", r"row 3 has 4 cells where the header has 3"),
        (",A,B\n2020-01-01,,2.0\n2020-01-02,1.1,2\n", r"row 2, column 2 \(A\) is empty and there is no earlier"),
        (",A\n2020-01-02,1\n2020-01-01,1\n", r"row 3, column 1 \(date\): 2020-01-01 is not after the row above"),
        (",A\n2020-01-01,1\nyesterday,1\n", r"row 3, column 1 \(date\): 'yesterday' is not a date"),
        (",A,B\n", r"a header row and no prices"),
        ("\n\n", r"the file has no rows"),
    ],
    ids=[
        "text",
        "negative",
        "zero",
        "inf",
        "short_row",
        "long_row",
        "gap_in_first_row",
        "unsorted",
        "bad_date",
        "header_only",
        "empty",
    ],
)
def test_load_prices_csv__bad_file__data_error_names_file_row_and_column(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=expected) as info:
        load_prices_csv(path)
    assert isinstance(info.value, KeeperError)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_load_prices_csv__missing_file__data_error_says_check_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read the price file.*--csv"):
        load_prices_csv(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------------------------------------------
# Frequency
# ---------------------------------------------------------------------------------------------------------------


def _unix(days: list[date]) -> np.ndarray:
    return np.array([(d - date(1970, 1, 1)).days * 86400 for d in days], dtype=np.int64)


def test_periods_per_year__business_days__252() -> None:
    days = [date(2008, 1, 1) + timedelta(days=k) for k in range(400)]
    weekdays = [d for d in days if d.weekday() < 5 and d != date(2008, 7, 4)]
    assert periods_per_year(_unix(weekdays)) == 252.0


def test_periods_per_year__calendar_days__365() -> None:
    days = [date(2020, 1, 1) + timedelta(days=k) for k in range(400)]
    assert periods_per_year(_unix(days)) == pytest.approx(365.0)


def test_periods_per_year__weekly__52() -> None:
    weeks = [date(2020, 1, 3) + timedelta(weeks=k) for k in range(100)]
    assert periods_per_year(_unix(weeks)) == pytest.approx(365 / 7)


def test_backtest__business_day_csv__annualized_by_252_not_365(tmp_path: Path) -> None:
    from keeper.backtest import BacktestConfig, backtest

    rng = np.random.default_rng(1)
    days = [d for d in (date(2010, 1, 4) + timedelta(days=k) for k in range(140)) if d.weekday() < 5]
    px = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(days), 2)), axis=0))
    lines = [",A,B"] + [f"{d.isoformat()},{a:.6f},{b:.6f}" for d, (a, b) in zip(days, px, strict=True)]
    result = backtest(write(tmp_path, "\n".join(lines) + "\n"), BacktestConfig(window=30))
    assert result.periods_per_year == 252.0
    r = result.strategies["equal_weight"]
    rets = r.nav[1:] / r.nav[:-1] - 1
    assert r.realized_vol == pytest.approx(np.std(rets, ddof=1) * np.sqrt(252))
    assert result.labels[0] == days[31].isoformat()
