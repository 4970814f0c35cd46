"""``rp-keeper backtest`` end to end through ``keeper.cli.main``: real daily stock prices (shipped inside skfolio's
wheel, so offline) written as pandas writes them, the table, ``--out`` files, ``--vol-target``, and the one-line
error with exit code 2."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from keeper.cli import main

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "keeper.local.yaml")
STOCKS = ["AAPL", "AMD", "BAC", "BBY", "CVX"]
STRATEGIES = ["risk_parity", "equal_weight", "inverse_vol"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def sp500_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five of skfolio's 20 US stocks, daily closes 2005-2012 (2008 included), as ``DataFrame.to_csv`` writes an
    unnamed date index: an empty first header cell, ISO dates."""
    datasets = pytest.importorskip("skfolio.datasets")
    prices = datasets.load_sp500_dataset().loc["2005":"2012", STOCKS].rename_axis(None)
    path = tmp_path_factory.mktemp("sp500") / "stocks.csv"
    prices.to_csv(path)
    assert path.read_text().startswith(",AAPL,AMD,BAC,BBY,CVX\n2005-01-03,")
    return path


@pytest.fixture(scope="module")
def runs(sp500_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same slice without a vol target (the config's: fully invested) and with a 10% target."""
    results: dict[str, Any] = {}
    for name, extra in (("plain", []), ("target", ["--vol-target", "0.10"])):
        out = tmp_path_factory.mktemp(name)
        code, stdout, stderr = run("backtest", "--csv", str(sp500_csv), "-c", CONFIG, "--out", str(out), *extra)
        report = json.loads((out / "report.json").read_text())
        results[name] = {"code": code, "stdout": stdout, "stderr": stderr, "out": out, "report": report}
    return results


def test_backtest_cli__real_stocks__one_table_without_log_lines(runs: dict[str, Any]) -> None:
    r = runs["plain"]
    assert r["code"] == 0 and r["stderr"] == ""
    lines = r["stdout"].splitlines()
    assert len(lines) < 15  # the table, its legend and the file list: the ~700 log lines went to backtest.log
    assert "252 rows a year (business days)" in lines[0] and "estimator ewma" in lines[1]
    header = next(line for line in lines if line.startswith("strategy"))
    for column in ("first", "last", "return", "vol", "Sharpe", "max DD", "turn/yr", "cost/yr", "rebal", "RC err"):
        assert column in header
    rows = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in STRATEGIES}
    assert set(rows) == set(STRATEGIES)
    assert rows["risk_parity"][1] == r["report"]["first_date"] and rows["risk_parity"][2] == "2012-12-31"
    assert "risk-free rate 0" in r["stdout"]
    log = (r["out"] / "backtest.log").read_text().splitlines()
    assert len(log) > 100 and not any(" INFO " in line for line in lines)


def test_backtest_cli__real_stocks__report_json_and_series_csv_written(runs: dict[str, Any]) -> None:
    rep, out = runs["plain"]["report"], runs["plain"]["out"]
    assert rep["assets"] == STOCKS and rep["periods_per_year"] == 252.0 and rep["risk_free_rate"] == 0.0
    assert rep["first_date"] > "2005-03" and rep["last_date"] == "2012-12-31"
    assert rep["keeper"]["estimator"] == "ewma" and rep["target_vol"] is None
    for name in STRATEGIES:
        s = rep["strategies"][name]
        assert 0.1 < s["volatility"] < 0.6 and 0.2 < s["max_drawdown"] < 0.9  # 2008 is in the window
        assert s["turnover_per_year"] > 0 and s["costs_usd"] > 0 and s["rebalances"] > 10
        assert set(s["vol_by_year"]) == {str(y) for y in range(2005, 2013)}
    rp, ew = rep["strategies"]["risk_parity"], rep["strategies"]["equal_weight"]
    assert rp["rc_error_realized"] < ew["rc_error_realized"]  # realized, not the model's: could fail
    with open(out / "series.csv", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == [
        "date",
        "share_price",
        "leverage",
        *STOCKS,
        "share_price_equal_weight",
        "share_price_inverse_vol",
    ]
    assert len(table) - 1 == rep["rows"] and table[1][0] == rep["first_date"] and float(table[1][1]) == 1.0
    assert 0.9 < float(table[-1][2]) <= 1.0  # fully invested but for the cash buffer
    for png in ("share_price.png", "drawdown.png", "risk_contributions.png", "exposure.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_backtest_cli__vol_target_10pct__realized_vol_of_risk_parity_lower_and_near_target(
    runs: dict[str, Any],
) -> None:
    plain = runs["plain"]["report"]["strategies"]["risk_parity"]
    target = runs["target"]["report"]
    rp = target["strategies"]["risk_parity"]
    assert target["target_vol"] == 0.10 and target["keeper"]["min_exposure"] == 0.0
    assert rp["volatility"] < 0.6 * plain["volatility"]
    assert 0.085 < rp["volatility"] < 0.125
    assert rp["mean_exposure"] < 0.8 and rp["max_drawdown"] < plain["max_drawdown"]
    assert "vol/tgt" in runs["target"]["stdout"] and "vol target 10.0% (min exposure 0)" in runs["target"]["stdout"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--csv", "{bad}"], "row 3, column 3 (B): 'oops' is not a number"),
        (["--csv", "{missing}"], "cannot read the price file"),
        (["--csv", "{good}", "--vol-target", "5"], "--vol-target 5: must be in (0, 2)"),
        (["--csv", "{good}"], "more than window + 1 = 61 rows"),
    ],
    ids=["bad_cell", "missing_file", "bad_vol_target", "too_short"],
)
def test_backtest_cli__bad_input__one_line_error_and_exit_code_2(
    tmp_path: Path, argv: list[str], expected: str
) -> None:
    (tmp_path / "bad.csv").write_text(",A,B\n2020-01-01,1.0,2.0\n2020-01-02,1.1,oops\n")
    (tmp_path / "good.csv").write_text(",A,B\n2020-01-01,1.0,2.0\n2020-01-02,1.1,2.1\n")
    paths = {k: str(tmp_path / f"{k}.csv") for k in ("bad", "missing", "good")}
    out = str(tmp_path / "out")  # the log file goes there, not to a temporary file
    code, stdout, stderr = run("backtest", "-c", CONFIG, "--out", out, *(a.format(**paths) for a in argv))
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: ") and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert expected in stderr
