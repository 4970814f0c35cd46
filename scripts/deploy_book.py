"""Deploy the vault, its adapters and its governance onto whatever chain brownie is attached to, from an address
book alone (``config/mainnet.yaml`` format, :mod:`scripts.address_book`); no world is deployed.

    BOOK=config/mainnet.yaml .venv/bin/python tools/run_script.py scripts/deploy_book.py --network anvil-fork
    make fork-vault FORK_URL=<rpc> BOOK=config/mainnet.yaml        # starts the fork and runs this

The book is checked against the chain first (code at every address, token decimals, feeds' decimals and
descriptions, a pair for every hop of every route, the holders' balances) and what was read is printed. The
vault takes its parameters (thresholds, protections, governance, roles, leverage) from ``VAULT_CONFIG``
(default ``config/vault.yaml``) and its assets, oracle guards, budgets and swap routes from the book. Writes
``deployments/<network>.json`` (the keeper's deployment file, with the book's path) and
``deployments/<network>.keeper.yaml`` (a keeper config for this chain, from ``config/keeper.fork.yaml``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from brownie import Contract, accounts, network, web3  # type: ignore[attr-defined]

from keeper.artifacts import ROOT, abi
from keeper.deployments import AssetDeployment, WorldDeployment, deployment_path, save_deployment
from keeper.errors import ConfigError
from scripts.address_book import AddressBook, BookCheck, check_book_on_chain, load_book
from scripts.deploy_vault import (
    DEFAULT_CONFIG,
    OracleGuard,
    VaultConfig,
    deploy_vault,
    deployment_section,
    load_vault_config,
)

KEEPER_TEMPLATE = ROOT / "config" / "keeper.fork.yaml"
HEARTBEAT_MARGIN = 1.25
"""The vault accepts an answer up to the feed's heartbeat plus a quarter (the reporter's latency)."""
GANACHE_FORK_NETWORK = "mainnet-fork"
"""brownie's name for the Ganache fork; Ganache reports the chain id it was started with, not the upstream's."""


MAX_SLIPPAGE_BPS = 500
"""The vault's hard bound on ``maxSlippageBps``."""


def vault_config_for(book: AddressBook, base_cfg: VaultConfig) -> VaultConfig:
    """``base_cfg`` with the book's assets, oracle guards and risk budgets.

    A routed trade pays the pool fee once per hop, and the vault's floor (``maxSlippageBps`` below the oracle
    value) applies to the whole route: the floor is widened by one fee per extra hop of the longest route, so a
    routed trade has the same room for price impact and the keeper's tolerance as a direct one.
    """
    oracles = {}
    for s, a in book.assets.items():
        if a.min_usd is None or a.max_usd is None:
            raise ConfigError(f"{book.path}: assets.{s}: min_usd and max_usd are needed to deploy a vault on it")
        oracles[s] = OracleGuard(round(a.heartbeat_s * HEARTBEAT_MARGIN), a.min_usd, a.max_usd, a.deviation_bps)
    extra_hops = max((len(a.route) for a in book.risky), default=0)
    slippage = min(MAX_SLIPPAGE_BPS, base_cfg.max_slippage_bps + book.fee_bps * extra_hops)
    return replace(
        base_cfg,
        max_slippage_bps=slippage,
        assets=[a.symbol for a in book.risky],
        oracles=oracles,
        risk_budgets_bps=book.risk_budgets_bps(),
    )


def book_world(book: AddressBook, check: BookCheck) -> Any:
    """The parts of ``scripts.world.World`` that ``deploy_vault`` reads, at the book's addresses."""
    tokens = {s: Contract.from_abi(s, a.token, abi("WorldToken")) for s, a in book.assets.items()}
    feeds = {s: Contract.from_abi(f"{s} feed", a.feed, abi("PriceFeed")) for s, a in book.assets.items()}
    router = Contract.from_abi("UniswapV2Router02", book.router, abi("UniswapV2Router02"))
    factory = Contract.from_abi("UniswapV2Factory", book.factory, abi("UniswapV2Factory"))
    hubs = {a.symbol: hub for a in book.risky if (hub := book.hub_of(a.symbol))}
    aave = SimpleNamespace(pool=check.aave_pool) if check.aave_pool else None
    # factory: the risk guard's TWAP breaker reads each asset's direct pair with the base (a routed asset has none
    # and is left out of the breaker).
    return SimpleNamespace(
        cfg=SimpleNamespace(base=book.base), base=tokens[book.base], tokens=tokens, feeds=feeds, router=router,
        factory=factory, routes=hubs, aave=aave,
    )  # fmt: skip


def _pair(factory: Any, a: str, b: str) -> str:
    return str(factory.getPair(a, b))


def deployment_for(book: AddressBook, net: str, vault_section: dict[str, Any]) -> WorldDeployment:
    """The deployment file for a vault on the book's market: pairs (or route legs) per asset, the router's WETH."""
    factory = Contract.from_abi("UniswapV2Factory", book.factory, abi("UniswapV2Factory"))
    router = Contract.from_abi("UniswapV2Router02", book.router, abi("UniswapV2Router02"))
    base = book.base_asset.token
    assets = {}
    for s, a in book.assets.items():
        path = book.route_tokens(s) if s != book.base else []
        legs = tuple((_pair(factory, path[i], path[i + 1]), path[i]) for i in range(len(path) - 1))
        assets[s] = AssetDeployment(
            symbol=s,
            token=a.token,
            decimals=a.decimals,
            feed=a.feed,
            iv_feed=None,
            pair=_pair(factory, a.token, base) if len(legs) == 1 else None,
            route=legs if len(legs) > 1 else (),
        )
    return WorldDeployment(
        network=net,
        chain_id=web3.eth.chain_id,
        block=web3.eth.block_number,
        deployer=accounts[0].address,
        config=book.path,
        base=book.base,
        assets=assets,
        factory=book.factory,
        router=book.router,
        weth=str(router.WETH()),
        fee_bps=book.fee_bps,
        extra={"book": book.path, "vault": vault_section},
    )


def write_keeper_config(dep_path: Path, net: str, rpc_url: str, chain_id: int) -> Path:
    """``<deployments>/<network>.keeper.yaml``: config/keeper.fork.yaml pointed at this chain and deployment."""
    cfg = yaml.safe_load(KEEPER_TEMPLATE.read_text())
    cfg["chain"].update({"rpc_urls": [rpc_url], "chain_id": chain_id, "deployment": str(dep_path)})
    # Beside the deployment, and new with the vault: an old journal's last rebalance would hold the keeper in a
    # cooldown that belongs to another vault.
    journal = dep_path.with_name(f"{net}.keeper.sqlite")
    journal.unlink(missing_ok=True)
    cfg["journal"] = str(journal)
    path = dep_path.with_name(f"{net}.keeper.yaml")
    header = f"# Written by scripts/deploy_book.py for the vault on '{net}' (template: config/keeper.fork.yaml).\n"
    path.write_text(header + yaml.safe_dump(cfg, sort_keys=False))
    return path


def align_clock(check: BookCheck) -> int:
    """Move the chain's clock to the book's newest feed round when it is behind it; returns the seconds moved.

    A Ganache 7 fork stamps its blocks with the wall clock, not after its fork block, so a fork of a chain whose
    time ran ahead (the tests' stand-in moves time forward to build feed history) starts in that chain's past:
    every round then looks newer than "now" and the keeper sees no history. A fork of a live chain is never
    behind its feeds, and nothing moves.
    """
    head = int(web3.eth.get_block("latest")["timestamp"])
    behind = max(f.updated_at for f in check.feeds.values()) - head
    if behind <= 0:
        return 0
    web3.provider.make_request("evm_increaseTime", [behind + 1])
    web3.provider.make_request("evm_mine", [])
    return behind + 1


def main() -> None:
    book_path = os.environ.get("BOOK")
    if not book_path:
        raise ConfigError("BOOK is not set: BOOK=config/mainnet.yaml (an address book, see scripts/address_book.py)")
    book = load_book(book_path)
    net = network.show_active()
    check = check_book_on_chain(book, web3, check_chain_id=net != GANACHE_FORK_NETWORK)
    moved = align_clock(check)
    print(f"== Address book {book.path} on '{net}' (chain id {web3.eth.chain_id}, block {web3.eth.block_number})")
    for line in check.lines:
        print(f"   {line}")
    if moved:
        print(f"   the chain's clock was {moved} s behind the newest feed round: moved forward")
    cfg = vault_config_for(book, load_vault_config(os.environ.get("VAULT_CONFIG", DEFAULT_CONFIG)))
    if cfg.leverage.enabled and check.aave_pool is None:
        raise ConfigError(f"{book.path}: aave_v3.pool_addresses_provider is needed for leverage.enabled")
    world = book_world(book, check)
    deployed = deploy_vault(world, accounts[0], cfg)
    vault = deployed.vault
    section = deployment_section(deployed, cfg, book.base, web3.eth.block_number)
    dep_path = save_deployment(deployment_for(book, net, section))
    keeper_path = write_keeper_config(dep_path, net, web3.provider.endpoint_uri, web3.eth.chain_id)
    print(f"== RiskParityVault {vault.address} on '{net}'")
    print(f"   swap adapter {deployed.adapter.address}  timelock {section['timelock']}")
    print(f"   thresholds {cfg.thresholds} (maxSlippageBps widened by one pool fee per extra route hop)")
    print(f"   assets {', '.join(section['assets'])}; routes {world.routes or 'direct'}")
    print(f"   deployment {deployment_path(net)}; keeper config {keeper_path}")
