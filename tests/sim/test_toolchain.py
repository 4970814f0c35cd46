"""The toolchain: npm's solc-js behind the project's adapter, as py-solc-x and brownie see it; project scripts run
through tools/run_script.py from a clone in any folder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import solcx
import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract Tiny is ERC20 { constructor() ERC20("T", "T") {} }
"""


def test_solc_adapter__version__answers_in_native_format():
    out = subprocess.run(
        ["node", str(ROOT / "tools" / "solc-adapter.js"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("solc, the solidity compiler commandline interface\nVersion: 0.8.24+commit.")


def test_solcx__installed_versions__include_the_adapter():
    assert "0.8.24" in {str(v) for v in solcx.get_installed_solc_versions()}


def test_compile_standard__npm_import_through_remapping__emits_shanghai_bytecode():
    out = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"Tiny.sol": {"content": SOURCE}},
            "settings": {
                "evmVersion": "shanghai",
                "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
                "outputSelection": {"*": {"*": ["evm.bytecode.object", "abi"]}},
            },
        },
        solc_version="0.8.24",
        allow_paths=[str(ROOT)],
    )
    bytecode = out["contracts"]["Tiny.sol"]["Tiny"]["evm"]["bytecode"]["object"]
    assert len(bytecode) > 1000
    assert "5f" in bytecode  # PUSH0 exists from Shanghai on; Ganache 7.9.2 runs it at --hardfork shanghai


def test_compile_standard__bad_source__returns_the_compiler_error():
    try:
        solcx.compile_standard(
            {"language": "Solidity", "sources": {"Bad.sol": {"content": "contract {"}}}, solc_version="0.8.24"
        )
    except solcx.exceptions.SolcError as exc:
        assert "ParserError" in str(exc)
    else:
        raise AssertionError("a syntax error compiled")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_script__clone_in_dotted_folder__runs(tmp_path):
    """`brownie run` derives a module name from the script's absolute path and fails under `v1.2/`; the project's
    entry point deploys the world from such a clone (committed files only, so this runs what a user clones)."""
    clone = tmp_path / "v1.2" / "rp"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=60)
    for shared in (".venv", "node_modules", ".solcx"):
        (clone / shared).symlink_to(ROOT / shared)
    shutil.copytree(ROOT / "build", clone / "build", symlinks=True)  # brownie finds it current: no recompiling
    config = yaml.safe_load((clone / "brownie-config.yaml").read_text())
    port = _free_port()
    config["networks"]["anvil"]["cmd_settings"]["port"] = port  # not the test session's chain, nor anyone's
    (clone / "brownie-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RP_DEPLOYMENTS_DIR")}
    env["WORLD_AAVE"] = "0"  # the world without its Aave market: the same script path, a quarter of the time

    out = subprocess.run(
        [
            str(clone / ".venv" / "bin" / "python"),
            "tools/run_script.py",
            "scripts/deploy_world.py",
            "--network",
            "anvil",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"--port {port}" in out.stdout  # brownie launched its own chain on the clone's port
    assert "World deployed on 'anvil' (chain id 1337" in out.stdout
    # The clone's own code ran: its keeper package puts deployments/ beside itself.
    assert f"Addresses written to {clone / 'deployments' / 'anvil.json'}" in out.stdout
    assert (clone / "deployments" / "anvil.json").is_file()
