"""Every command line a user meets, swept with bad input: exit code 2 and one readable error line (argparse's usage
line may precede it), never a traceback. No chain is needed: each input is refused before anything runs, and a
node that is down is one error line too (the retries' warnings only with -v)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys

import pytest

from keeper.cli import _log_level

PY = sys.executable
BAD_YAML = "chain: [unclosed"
DEAD = "http://127.0.0.1:9"
"""Nothing listens on the discard port."""
HOLDER = "0x00000000000000000000000000000000000000a1"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD_YAML)
    (tmp_path / "typo.yaml").write_text("chain:\n  rpc_url: http://127.0.0.1:8545\n  deployment: d.json\n")
    (tmp_path / "prices.csv").write_text("date,A,B\n2024-01-01,1,2\n2024-01-02,x,3\n")
    token, feed = "0x00000000000000000000000000000000000000b1", "0x00000000000000000000000000000000000000c1"
    deployment = {
        "network": "anvil",
        "chain_id": 1337,
        "block": 1,
        "deployer": HOLDER,
        "config": "config/world.yaml",
        "base": "USDC",
        "assets": {"USDC": {"token": token, "decimals": 6, "feed": feed}},
        "uniswap": {"factory": HOLDER, "router": HOLDER, "weth": HOLDER, "fee_bps": 30},
        "vault": {"address": HOLDER},
    }
    (tmp_path / "deployment.json").write_text(json.dumps(deployment))
    (tmp_path / "down.yaml").write_text(
        f"chain:\n  rpc_urls: [{DEAD}]\n  chain_id: 1337\n  deployment: {tmp_path}/deployment.json\n"
        f"  read_retries: 2\n  retry_backoff_s: 0.05\njournal: {tmp_path}/journal.sqlite\n"
    )
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


NODE_DOWN = {
    "rp-vault position": (
        [PY, "-m", "keeper.vault_cli", "position", "--deployment", "{d}/deployment.json", "--rpc-url", DEAD],
        "--rpc-url (or RP_VAULT_RPC_URL) names the node",
    ),
    "rp-keeper once": ([PY, "-m", "keeper", "once", "-c", "{d}/down.yaml"], "RP_KEEPER_RPC_URLS"),
    "rp-keeper plan": ([PY, "-m", "keeper", "plan", "-c", "{d}/down.yaml"], "RP_KEEPER_RPC_URLS"),
    "rp-keeper status": ([PY, "-m", "keeper", "status", "-c", "{d}/down.yaml"], "RP_KEEPER_RPC_URLS"),
}


def _down(argv: list[str], files, *, verbose: bool) -> subprocess.CompletedProcess[str]:
    argv = [a.format(d=files) for a in argv]
    if verbose:  # rp-keeper takes -v before its command, rp-vault after
        argv = [*argv[:3], "-v", *argv[3:]] if argv[2] == "keeper" else [*argv, "-v"]
    if argv[2] == "keeper.vault_cli":
        argv += ["--address", HOLDER]
    env_key = {"KEEPER_PRIVATE_KEY": "0x" + "11" * 32}  # `once` signs: the key is checked before the node
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env={**_env(), **env_key})


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("RP_VAULT_", "RP_KEEPER_"))}


@pytest.mark.parametrize("name", NODE_DOWN)
def test_cli__node_down__one_error_line_naming_the_url_and_the_fix_exit_2(files, name):
    argv, fix = NODE_DOWN[name]
    out = _down(argv, files, verbose=False)
    assert out.returncode == 2, out.stderr
    [line] = out.stderr.strip().splitlines()  # no warning per retry before it
    assert line.startswith("error: reading ") and f"failed 2 times on {DEAD} (connection refused" in line, line
    assert "check the node is running" in line and fix in line and "'make world' starts the local one" in line


@pytest.mark.parametrize("name", ["rp-vault position", "rp-keeper plan"])
def test_cli__node_down_verbose__shows_each_retry(files, name):
    out = _down(NODE_DOWN[name][0], files, verbose=True)
    assert out.returncode == 2
    retries = [line for line in out.stderr.splitlines() if "WARNING keeper.chain rpc read failed" in line]
    assert len(retries) == 2 and out.stderr.strip().splitlines()[-1].startswith("error: reading ")


@pytest.mark.parametrize(
    ("command", "verbose", "level"),
    [
        ("once", False, logging.ERROR),
        ("plan", False, logging.ERROR),
        ("status", False, logging.ERROR),
        ("plan", True, logging.DEBUG),
        ("run", False, logging.INFO),  # the daemon's log keeps every retry and failover warning
        ("dashboard", False, logging.INFO),
    ],
)
def test_rp_keeper_log_level__one_shot_commands_quiet_services_not(command, verbose, level):
    assert _log_level(argparse.Namespace(command=command, verbose=verbose)) == level
