"""Every command line a user meets, swept with bad input: exit code 2 and one readable error line (argparse's usage
line may precede it), never a traceback. No chain is needed: each input is refused before anything runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

PY = sys.executable
BAD_YAML = "chain: [unclosed"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD_YAML)
    (tmp_path / "typo.yaml").write_text("chain:\n  rpc_url: http://127.0.0.1:8545\n  deployment: d.json\n")
    (tmp_path / "prices.csv").write_text("date,A,B\n2024-01-01,1,2\n2024-01-02,x,3\n")
    return tmp_path


SWEEP = [
    ([PY, "-m", "keeper", "once", "-c", "{d}/nope.yaml"], "nope.yaml"),
    ([PY, "-m", "keeper", "plan", "-c", "{d}/bad.yaml"], "not valid YAML"),
    ([PY, "-m", "keeper", "status", "-c", "{d}/typo.yaml"], "did you mean chain.rpc_urls?"),
    ([PY, "-m", "keeper", "backtest", "--csv", "{d}/nope.csv"], "cannot read the price file"),
    ([PY, "-m", "keeper", "backtest", "--csv", "{d}/prices.csv"], "prices.csv"),
    ([PY, "-m", "keeper", "backtest", "--csv", "{d}/prices.csv", "--vol-target", "5"], "--vol-target 5"),
    ([PY, "-m", "keeper", "backtest", "--csv", "{d}/prices.csv", "--window", "1"], "--window 1"),
    ([PY, "-m", "keeper", "backtest"], "--csv"),
    ([PY, "-m", "keeper", "dashboard", "-c", "{d}/nope.yaml"], "nope.yaml"),
    ([PY, "-m", "keeper.vault_cli", "position", "--deployment", "{d}/nope.json"], "nope.json"),
    ([PY, "-m", "keeper.vault_cli", "deposit", "lots"], "lots"),
    ([PY, "-m", "devworld.market", "--steps", "0"], "--steps 0"),
    ([PY, "-m", "devworld.market", "--deployment", "{d}/nope.json"], "nope.json"),
    ([PY, "-m", "devworld.backtest", "--days", "-5"], "--days -5"),
    ([PY, "-m", "devworld.backtest", "--interval-s", "0"], "--interval-s 0"),
    ([PY, "tools/run_script.py", "scripts/nope.py"], "nope.py"),
]


@pytest.mark.parametrize(("argv", "needle"), SWEEP, ids=[" ".join(a[2:5]) for a, _ in SWEEP])
def test_cli__bad_input__exit_2_one_readable_line(files, argv, needle):
    out = subprocess.run([a.format(d=files) for a in argv], capture_output=True, text=True, timeout=120)
    lines = [line for line in out.stderr.splitlines() if line.strip() and " INFO " not in line]
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    errors = [line for line in lines if "error" in line.lower()]
    assert len(errors) == 1 and needle in errors[0], out.stderr
    # Before the error line, only argparse's usage (its first line starts with "usage:", the rest are indented).
    before = lines[: lines.index(errors[0])]
    assert not before or (before[0].startswith("usage:") and all(b.startswith(" ") for b in before[1:])), out.stderr
