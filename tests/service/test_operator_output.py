"""What an operator reads from `rp-keeper plan`, `once` and `status` on the world: symbols and human units, a NAV
that says why it is unavailable instead of 0, and every failed tick or start-up check in the journal with its
decoded error."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml
from brownie import chain, web3  # type: ignore[attr-defined]

from keeper.cli import main
from keeper.errors import SimulationRevertedError
from keeper.journal import Journal

RP_KEEPER = [sys.executable, "-m", "keeper"]
ADDRESS_PREFIX = "0x"


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture
def config_path(vault_env, tmp_path):
    raw = {
        "chain": {
            "rpc_urls": [web3.provider.endpoint_uri],
            "chain_id": 1337,
            "deployment": vault_env["deployment_path"],
        },
        "transactions": {"confirmations": 0},
        "journal": str(tmp_path / "journal.sqlite"),
    }
    path = tmp_path / "keeper.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _run(args, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KEEPER_PRIVATE_KEY"}
    if key:
        env["KEEPER_PRIVATE_KEY"] = key
    return subprocess.run([*RP_KEEPER, *args], capture_output=True, text=True, timeout=120, env=env)


def _table_rows(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    return [line for line in lines[start + 1 :] if line and not line.startswith(("sell", "lending", "forecast"))]


def test_plan__symbols_and_human_units(config_path, key_of):
    out = _run(["plan", "-c", str(config_path)], key_of(3))
    assert out.returncode == 0, out.stderr
    assert re.search(r"NAV [\d,]+\.\d\d USDC", out.stdout), out.stdout  # about the 1,000,000 USDC deposited
    rows = _table_rows(out.stdout, "asset")
    assert rows and {r.split()[0] for r in rows} <= {"WBTC", "WETH", "LINK", "XAU", "TBILL"}
    # The deposit sits in USDC: the plan sells USDC for every budgeted asset, each line in symbols and whole units.
    sells = [line for line in out.stdout.splitlines() if line.startswith("sell")]
    amount = r"\d{1,3}(,\d{3})*(\.\d+)?"
    bought = [re.fullmatch(rf"sell {amount} USDC for at least {amount} (?P<symbol>[A-Z]+)", line) for line in sells]
    assert sells and all(bought), out.stdout
    assert {m["symbol"] for m in bought if m} == {"WBTC", "WETH", "LINK", "XAU", "TBILL"}, out.stdout


def test_status__stale_feed__nav_unavailable_naming_the_asset_not_zero(config_path, key_of):
    chain.sleep(200_000)
    chain.mine()
    out = _run(["status", "-c", str(config_path)], key_of(3))
    assert out.returncode == 0, out.stderr
    assert "NAV unavailable: feed " in out.stdout and " is stale since " in out.stdout
    assert "NAV 0.00" not in out.stdout
    rows = _table_rows(out.stdout, "asset")
    assert {r.split()[0] for r in rows} == {"USDC", "WBTC", "WETH", "LINK", "XAU", "TBILL"}
    assert not any(r.startswith(ADDRESS_PREFIX) for r in rows)


def test_once__signer_without_keeper_role__journaled_and_exit_2_naming_role_and_fix(config_path, key_of, tmp_path):
    out = _run(["once", "-c", str(config_path)], key_of(5))
    assert out.returncode == 2
    assert "lacks KEEPER_ROLE" in out.stderr and "grantRole" in out.stderr and "Traceback" not in out.stderr
    rows = Journal(tmp_path / "journal.sqlite").last(5)
    assert [(r["decision"], r["status"]) for r in rows] == [("error", "failed")]
    assert rows[0]["reason"].startswith("startup_check: SignerError: signer ")


def test_once__tick_reverts__journaled_with_decoded_error_and_exit_1(
    config_path, key_of, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("KEEPER_PRIVATE_KEY", key_of(3))
    role = bytes.fromhex("fc8737ab85eb45125971625a9ebdb75cc78e01d5c1fa80c4c6e5203f47bc4fab")
    who = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"

    def revert(self, **_):
        raise SimulationRevertedError(
            "gas estimate reverted: AccessControlUnauthorizedAccount: ...", "AccessControlUnauthorizedAccount",
            (who, role),
        )  # fmt: skip

    monkeypatch.setattr("keeper.daemon.Keeper.tick", revert)
    assert main(["once", "-c", str(config_path)]) == 1
    assert "tick failed and was journaled" in capsys.readouterr().err
    journal = Journal(tmp_path / "journal.sqlite")
    assert journal.count("error") == 1
    assert journal.last(1)[0]["reason"].startswith("tick_failed: SimulationRevertedError: gas estimate reverted")
