"""The compiler toolchain: npm's solc-js behind the project's adapter, as py-solc-x and brownie see it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import solcx

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
