"""The service as operators run it: `rp-keeper run` stops cleanly on SIGTERM, a killed keeper resumes from its
journal without trading twice, and a bad config stops it at start with a message naming the field."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from brownie import web3  # type: ignore[attr-defined]

from keeper.journal import Journal

RP_KEEPER = [sys.executable, "-m", "keeper"]


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture
def config_file(vault_env, tmp_path, key_of):
    def write(**policy) -> Path:
        raw = {
            "chain": {
                "rpc_urls": [web3.provider.endpoint_uri],
                "chain_id": 1337,
                "deployment": vault_env["deployment_path"],
            },
            "policy": {"cooldown_s": 7 * 86400, **policy},
            "schedule": {"interval_s": 0.5, "max_consecutive_failures": 3},
            "transactions": {"confirmations": 0},  # anvil mines only on transactions
            "journal": str(tmp_path / "journal.sqlite"),
        }
        path = tmp_path / "keeper.yaml"
        path.write_text(yaml.safe_dump(raw))
        return path

    return write


def _env(key_of) -> dict[str, str]:
    return {**os.environ, "KEEPER_PRIVATE_KEY": key_of(3)}


def _wait_for(predicate, timeout_s: float = 30.0) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_run__sigterm__stops_cleanly_with_exit_code_0(config_file, key_of, tmp_path):
    path = config_file()
    proc = subprocess.Popen([*RP_KEEPER, "run", "-c", str(path)], env=_env(key_of), stderr=subprocess.PIPE, text=True)
    journal = Journal(tmp_path / "journal.sqlite")
    _wait_for(lambda: journal.count() >= 2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "keeper stop exit_code=0" in err


def test_run__killed_and_restarted__resumes_from_journal_without_double_trading(
    vault_env, config_file, key_of, tmp_path
):
    path = config_file()
    proc = subprocess.Popen([*RP_KEEPER, "run", "-c", str(path)], env=_env(key_of), stderr=subprocess.DEVNULL)
    journal = Journal(tmp_path / "journal.sqlite")
    _wait_for(lambda: journal.count("rebalance") >= 1 and journal.count() >= 2)
    proc.kill()
    proc.wait(timeout=10)
    before = journal.count()
    vault_env["sim"].run(2)
    out = subprocess.run(
        [*RP_KEEPER, "run", "-c", str(path), "--max-ticks", "2"],
        env=_env(key_of),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert f"resumed_ticks={before}" in out.stderr
    assert journal.count() == before + 2
    assert journal.count("rebalance") == 1
    assert vault_env["vault"].epoch() == 1
    assert [r["reason"] for r in journal.last(2)] == ["cooldown", "cooldown"]


def test_once__bad_config__exits_2_naming_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "chain": {"rpc_urls": ["http://127.0.0.1:8545"], "deployment": "x.json"},
                "policy": {"trigger_rc_deviation": 3},
            }
        )
    )
    out = subprocess.run([*RP_KEEPER, "once", "-c", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "field 'policy.trigger_rc_deviation' must be in (0, 1)" in out.stderr
    assert "Traceback" not in out.stderr


def test_once__missing_key_env__exits_2_saying_which_variable(config_file):
    path = config_file()
    env = {k: v for k, v in os.environ.items() if k != "KEEPER_PRIVATE_KEY"}
    out = subprocess.run([*RP_KEEPER, "once", "-c", str(path)], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 2
    assert "env var KEEPER_PRIVATE_KEY is not set" in out.stderr
