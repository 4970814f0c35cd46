"""ABIs and bytecode: the project's build artifacts (``build/contracts``) and the protocols' npm packages."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from keeper.errors import ToolchainError

ROOT = Path(__file__).resolve().parent.parent

NPM_ARTIFACTS = {
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
}


@cache
def npm_artifact(name: str) -> dict[str, Any]:
    """``{"abi": [...], "bytecode": "0x..."}`` of a protocol contract shipped in an npm package."""
    if name not in NPM_ARTIFACTS:
        raise KeyError(f"unknown npm artifact {name!r}; known: {sorted(NPM_ARTIFACTS)}")
    path = ROOT / "node_modules" / NPM_ARTIFACTS[name]
    if not path.is_file():
        raise ToolchainError(f"{path} is missing: run 'make setup' (npm ci installs the protocol packages)")
    data = json.loads(path.read_text())
    bytecode = data.get("bytecode") or data["evm"]["bytecode"]["object"]
    return {"abi": data["abi"], "bytecode": bytecode if bytecode.startswith("0x") else "0x" + bytecode}


@cache
def project_abi(name: str) -> list[dict[str, Any]]:
    """The ABI of one of the project's contracts or interfaces, from brownie's build folder."""
    for folder in ("contracts", "interfaces"):
        path = ROOT / "build" / folder / f"{name}.json"
        if path.is_file():
            entries: list[dict[str, Any]] = json.loads(path.read_text())["abi"]
            return entries
    raise ToolchainError(f"no build artifact for {name}: run 'make setup' then '.venv/bin/brownie compile'")


def abi(name: str) -> list[dict[str, Any]]:
    """The ABI of a project contract or of a protocol contract from npm."""
    return npm_artifact(name)["abi"] if name in NPM_ARTIFACTS else project_abi(name)
