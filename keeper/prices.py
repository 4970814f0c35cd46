"""Price tables from CSV files, as spreadsheets and pandas write them (no pandas needed).

Layout: an optional date index in the first column (ISO dates or datetimes, or unix seconds), then one price
column per asset (USD per token), an optional header row. ``DataFrame.to_csv()`` writes exactly this: a header
whose first cell is the index name (empty when the index has none), ISO dates, and an empty cell for a missing
value. A missing cell takes the price of the row above (logged as a warning naming the row and column); anything
else the file cannot mean (text in a price cell, a price that is not positive, a row with too few or too many
cells, a first row with a gap, dates that do not increase, no rows) is a :class:`~keeper.errors.DataError` that
names the file, the row (as a spreadsheet numbers it, header included) and the column, and says what to change.

Frequency: with dates, a row is the median spacing between them; daily rows that skip weekends are business days
(252 a year, the convention for equities), other spacings are annualized on the calendar (365 days a year, as
:mod:`keeper.risk.returns` does for 24/7 markets). Without dates the caller gives the interval.
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import numpy.typing as npt

from keeper.errors import DataError
from keeper.risk.returns import SECONDS_PER_YEAR
from keeper.risk.types import FloatArray

logger = logging.getLogger(__name__)

BUSINESS_DAYS_PER_YEAR = 252.0
"""Trading days in a year on exchanges closed at weekends and holidays."""
_DAY = 86_400
_TIME_HEADERS = {"", "date", "datetime", "time", "timestamp", "index", "unnamed: 0"}
_MISSING = {"", "nan", "na", "n/a", "#n/a", "null", "none"}
_WEEKEND_SHARE = 0.02
"""Daily rows with at most this share on a Saturday or Sunday are business days (a stray holiday row is fine)."""


@dataclass(frozen=True)
class PriceTable:
    """Prices read from a file.

    Attributes
    ----------
    names : list of str
        Asset (column) names; ``col2``, ``col3``... when the file has no header.
    prices : FloatArray, shape (T, N)
        Positive prices, gaps forward-filled.
    times : ndarray of int64, shape (T,), or None
        Unix seconds (UTC) of each row; None when the file has no date column.
    labels : tuple of str, length T
        Each row's date as written in the file (or its data-row number when there are no dates).
    filled : tuple of (int, str)
        (file row, column name) of every cell that was forward-filled.
    """

    names: list[str]
    prices: FloatArray
    times: npt.NDArray[np.int64] | None
    labels: tuple[str, ...]
    filled: tuple[tuple[int, str], ...] = ()


def periods_per_year(times: npt.NDArray[np.int64]) -> float:
    """Rows per year implied by the dates: 252 for business-day rows, else a calendar year over the median spacing.

    Parameters
    ----------
    times : ndarray of int64, shape (T,), T >= 2
        Increasing unix seconds.
    """
    spacing = float(np.median(np.diff(times)))
    if abs(spacing - _DAY) < _DAY / 4:
        weekday = (times // _DAY + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
        if float(np.mean(weekday >= 5)) <= _WEEKEND_SHARE:
            return BUSINESS_DAYS_PER_YEAR
    return SECONDS_PER_YEAR / spacing


def _parse_time(cell: str) -> int | None:
    """Unix seconds of an ISO date/datetime (naive = UTC) or of a number of seconds; None if it is neither."""
    text = cell.strip()
    try:
        return int(float(text))
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp())


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def load_prices_csv(path: str | Path) -> PriceTable:
    """Read a price CSV (see the module docstring). Raises DataError naming the file, row and column."""
    src = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except OSError as exc:
        raise DataError(f"{src}: cannot read the price file ({exc.strerror}): check the path given to --csv") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{src}: not a text CSV file ({exc}): export the sheet as CSV (comma separated)") from exc
    if not rows:
        raise DataError(f"{src}: the file has no rows: write one row per date with one price column per asset")

    first = rows[0][1]
    # A header is a first row with a cell that is neither a price, an empty cell nor (in the first column) a date.
    header = not all(
        _is_number(c) or c.strip().lower() in _MISSING or (j == 0 and _parse_time(c) is not None)
        for j, c in enumerate(first)
    )
    body = rows[1:] if header else rows
    if not body:
        raise DataError(f"{src}: a header row and no prices: add one row per date below the header")
    lead = body[0][1][0].strip()
    has_index = (header and first[0].strip().lower() in _TIME_HEADERS) or (
        not _is_number(lead) and _parse_time(lead) is not None
    )
    skip = 1 if has_index else 0
    width = len(first)
    if width - skip < 1:
        raise DataError(f"{src}: row {rows[0][0]} has no price column: write one column per asset after the date")
    names = (
        [c.strip() or f"col{j + 1}" for j, c in enumerate(first)][skip:]
        if header
        else [f"col{j + 1}" for j in range(skip, width)]
    )

    prices = np.empty((len(body), width - skip), dtype=np.float64)
    times: list[int] = []
    labels: list[str] = []
    filled: list[tuple[int, str]] = []
    for k, (line, cells) in enumerate(body):
        if len(cells) != width:
            raise DataError(
                f"{src}: row {line} has {len(cells)} cells where {'the header' if header else f'row {rows[0][0]}'} "
                f"has {width}: every row needs {'a date and ' if skip else ''}one cell per asset "
                "(leave a cell empty, not out, for a missing price)"
            )
        if skip:
            when = _parse_time(cells[0])
            if when is None:
                raise DataError(
                    f"{src}: row {line}, column 1 (date): {cells[0]!r} is not a date: write ISO dates "
                    "(2020-03-12 or 2020-03-12T16:00:00) or unix seconds"
                )
            if times and when <= times[-1]:
                raise DataError(
                    f"{src}: row {line}, column 1 (date): {cells[0].strip()} is not after the row above "
                    f"({labels[-1]}): sort the rows by date, oldest first, one row per date"
                )
            times.append(when)
            labels.append(cells[0].strip())
        else:
            labels.append(str(k))
        for j, cell in enumerate(cells[skip:]):
            where = f"{src}: row {line}, column {j + skip + 1} ({names[j]})"
            text = cell.strip()
            if text.lower() in _MISSING:
                if k == 0:
                    raise DataError(
                        f"{where} is empty and there is no earlier price to carry forward: start the file at the "
                        "first date on which every asset has a price"
                    )
                prices[k, j] = prices[k - 1, j]
                filled.append((line, names[j]))
                logger.warning(
                    "price_forward_filled file=%s row=%d column=%s price=%g", src, line, names[j], prices[k, j]
                )
                continue
            try:
                value = float(text)
            except ValueError:
                raise DataError(
                    f"{where}: {text!r} is not a number: write the price in USD per token (e.g. 101.25), or "
                    "leave the cell empty to carry the previous price forward"
                ) from None
            if not math.isfinite(value) or value <= 0:
                raise DataError(
                    f"{where}: price {text} is not a positive finite number: a feed price must be > 0; fix the "
                    "value or leave the cell empty to carry the previous price forward"
                )
            prices[k, j] = value
    return PriceTable(
        names=names,
        prices=prices,
        times=np.asarray(times, dtype=np.int64) if skip else None,
        labels=tuple(labels),
        filled=tuple(filled),
    )
