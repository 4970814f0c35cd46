"""Runtime size of every deployed contract of the vault, against the EIP-170 limit.

    .venv/bin/python benchmarks/sizes.py      # from the repo root; compiles first (brownie's build/)

Writes benchmarks/results/sizes.json (contract -> runtime bytes of the optimized build, with link placeholders
counted at their 20-byte size) and prints the table that goes into benchmarks/README.md. Targets (issue 9): the
core at most 18,000 bytes, every deployed contract under 24,576.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "sizes.json"
EIP170 = 24_576
CORE_TARGET = 18_000

# Everything the deploy script puts on chain for a vault (the module, admin, lens and libraries are shared; the
# votes wrapper and the Governor only with `governance.mode: governor`).
DEPLOYED = [
    "RiskParityVault",
    "RiskParityVaultModule",
    "RiskParityVaultAdmin",
    "RiskParityVaultLens",
    "LeverageLogic",
    "RegistryLogic",
    "RiskLogic",
    "FeeLogic",
    "UniswapV2SwapAdapter",
    "AaveV3LendingAdapter",
    "VaultTimelock",
    "VaultVotes",
    "VaultGovernor",
]


def runtime_bytes(name: str) -> int:
    data = json.loads((ROOT / "build" / "contracts" / f"{name}.json").read_text())
    code = data["deployedBytecode"]
    code = code[2:] if code.startswith("0x") else code
    return len(code) // 2  # placeholders (__$...$__) are 40 characters, the 20 bytes of the address they hold


def main() -> int:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "brownie"), "compile"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    sizes = {name: runtime_bytes(name) for name in DEPLOYED}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(sizes, indent=2) + "\n")
    print("| contract | runtime bytes | room under 24,576 | target |")
    print("|---|---:|---:|---|")
    for name, size in sizes.items():
        target = f"<= {CORE_TARGET:,} (core)" if name == "RiskParityVault" else "< 24,576"
        print(f"| `{name}` | {size:,} | {EIP170 - size:,} | {target} |")
    print(f"\nwritten to {RESULTS}")
    ok = sizes["RiskParityVault"] <= CORE_TARGET and all(s < EIP170 for s in sizes.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
