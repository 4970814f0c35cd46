"""Deploy the local DeFi world on the connected chain and write deployments/<network>.json.

.venv/bin/python tools/run_script.py scripts/deploy_world.py --network anvil
WORLD_CONFIG=path/to/world.yaml .venv/bin/python tools/run_script.py scripts/deploy_world.py --network ganache-cli
FORK_URL=http://host:8545 .venv/bin/python tools/run_script.py scripts/deploy_world.py --network anvil-fork
WORLD_AAVE=0 ...                 # without the Aave V3 market
"""

from __future__ import annotations

import os

from brownie import accounts, network  # type: ignore[attr-defined]

from keeper.deployments import deployment_path
from scripts.world import DEFAULT_CONFIG, deploy_world


def main() -> None:
    with_aave = os.environ.get("WORLD_AAVE", "1") != "0"
    world = deploy_world(accounts[0], os.environ.get("WORLD_CONFIG", DEFAULT_CONFIG), with_aave=with_aave)
    dep = world.deployment
    assert dep is not None
    print(f"\nWorld deployed on '{network.show_active()}' (chain id {dep.chain_id}, block {dep.block})")
    print(f"  Uniswap V2 factory {dep.factory}  router {dep.router}")
    for sym, a in dep.assets.items():
        price = world.feed_price(sym)
        pair = f"pair {a.pair}" if a.pair else "(base asset)"
        print(f"  {sym:<6} {a.decimals:>2} dec  token {a.token}  feed {a.feed}  ${price:,.2f}  {pair}")
    if world.aave is not None:
        print(
            f"  Aave V3 pool {world.aave.pool.address}  oracle {world.aave.oracle.address}  "
            f"reserves {', '.join(world.aave.symbols)}"
        )
    print(f"Addresses written to {deployment_path(dep.network)}")
