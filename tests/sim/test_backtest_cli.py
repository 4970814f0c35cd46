"""The backtest from the command line: over a simulated world with ``python -m devworld.backtest``, over a CSV with
``rp-keeper backtest`` (the operator's CLI has no simulator)."""

from __future__ import annotations

import pytest

from devworld.backtest import main as devworld_backtest
from keeper.cli import main as keeper_cli


def test_devworld_backtest__simulated_world__prints_one_row_per_strategy(capsys):
    assert devworld_backtest(["--days", "200", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("backtest of config/world.yaml (seed 3, 200 days): ")
    assert "365 rows a year (calendar)" in lines[0]
    strategies = ["risk_parity", "equal_weight", "inverse_vol"]
    assert [line.split()[0] for line in lines if line.split() and line.split()[0] in strategies] == strategies


def test_keeper_backtest__no_csv__refused_naming_the_option(capsys):
    with pytest.raises(SystemExit) as exc:
        keeper_cli(["backtest"])
    assert exc.value.code == 2
    assert "--csv" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "error: --days 0: must be a positive number of days"),
        (["--days", "-5"], "error: --days -5: must be a positive number of days"),
        (["--interval-s", "0"], "error: --interval-s 0: must be a positive number of seconds"),
        (["--days", "30"], "error: --days 30 at --interval-s 86400 gives 31 prices; the backtest needs at least 62"),
    ],
)
def test_devworld_backtest__bad_arguments__exit_2_one_line_naming_the_fix(capsys, args, message):
    assert devworld_backtest(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)
