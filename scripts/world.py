"""Deploy the local DeFi world with brownie: tokens, Chainlink-style feeds, real Uniswap V2, seeded pools.

Used by ``scripts/deploy_world.py`` (the command), the tests' ``world`` fixture and the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brownie import Contract, PriceFeed, WorldToken, chain, network, web3  # type: ignore[attr-defined]

import scripts.brownie_compat  # noqa: F401  (brownie/anvil receipt race; see the module)
from devworld.sim.config import FEED_DECIMALS, WorldConfig, load_world_config
from devworld.sim.reporting import to_answer
from keeper.artifacts import ROOT, abi, npm_artifact
from keeper.deployments import AssetDeployment, WorldDeployment, load_deployment, save_deployment

DEFAULT_CONFIG = ROOT / "config" / "world.yaml"
DEADLINE_S = 3600


@dataclass
class World:
    """A deployed world as brownie contract objects. ``tokens``, ``feeds``, ``iv_feeds`` and ``pairs`` are keyed
    by symbol; the base asset has no pair and no implied-vol feed."""

    cfg: WorldConfig
    deployer: Any
    base: Any
    tokens: dict[str, Any]
    feeds: dict[str, Any]
    iv_feeds: dict[str, Any]
    factory: Any
    router: Any
    weth: Any
    pairs: dict[str, Any] = field(default_factory=dict)
    deployment: WorldDeployment | None = None
    aave: Any = None
    """The Aave V3 market (scripts.aave.AaveMarket) when deployed with ``with_aave=True``."""

    def fund(self, symbol: str, to: Any, amount: int) -> None:
        """Give ``to`` ``amount`` (token units) of an asset: minted, or wrapped from the deployer's ether."""
        if self.cfg.asset(symbol).weth9:
            self.weth.deposit({"from": self.deployer, "value": amount})
            self.weth.transfer(to, amount, {"from": self.deployer})
        else:
            self.tokens[symbol].mint(to, amount, {"from": self.deployer})

    def units(self, symbol: str, whole: float) -> int:
        """``whole`` tokens in the token's units."""
        return int(round(whole * 10 ** self.cfg.asset(symbol).decimals))

    def feed_price(self, symbol: str) -> float:
        """The feed's latest answer as a USD float."""
        return self.feeds[symbol].latestRoundData()[1] / 10**FEED_DECIMALS


def _deploy_npm(name: str, deployer: Any, *args: Any) -> Any:
    """Deploy a protocol contract from its npm bytecode and wrap it as a brownie Contract."""
    art = npm_artifact(name)
    factory = web3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    tx_hash = factory.constructor(*args).transact({"from": deployer.address})
    receipt = web3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt.status != 1 or not receipt.contractAddress:
        raise RuntimeError(f"deploying {name} from npm bytecode failed (tx {tx_hash.hex()})")
    return Contract.from_abi(name, receipt.contractAddress, art["abi"])


def deploy_world(
    deployer: Any, config_path: str | Path = DEFAULT_CONFIG, *, save: bool = True, with_aave: bool = False
) -> World:
    """Deploy every piece of the world from ``deployer`` and (by default) write ``deployments/<network>.json``.

    ``with_aave`` adds a real Aave V3 market (``config/aave.yaml``) with the deployer as its lender.
    """
    cfg = load_world_config(config_path)
    tx = {"from": deployer}
    weth = _deploy_npm("WETH9", deployer)
    tokens: dict[str, Any] = {}
    feeds: dict[str, Any] = {}
    iv_feeds: dict[str, Any] = {}
    for a in cfg.assets:
        tokens[a.symbol] = weth if a.weth9 else WorldToken.deploy(a.name, a.symbol, a.decimals, deployer, tx)
        feeds[a.symbol] = PriceFeed.deploy(FEED_DECIMALS, f"{a.symbol} / USD", to_answer(a.price_usd), deployer, tx)
        if a.symbol != cfg.base:
            iv_feeds[a.symbol] = PriceFeed.deploy(
                FEED_DECIMALS,
                f"{a.symbol} / USD 30d implied vol",
                to_answer(a.vol + a.implied_vol_premium),
                deployer,
                tx,
            )
    factory = _deploy_npm("UniswapV2Factory", deployer, deployer.address)
    router = _deploy_npm("UniswapV2Router02", deployer, factory.address, weth.address)
    world = World(cfg, deployer, tokens[cfg.base], tokens, feeds, iv_feeds, factory, router, weth)

    base_spec = cfg.asset(cfg.base)
    for a in cfg.risky:
        amount_asset = world.units(a.symbol, a.pool_depth_usd / a.price_usd)
        amount_base = world.units(cfg.base, a.pool_depth_usd / base_spec.price_usd)
        world.fund(a.symbol, deployer, amount_asset)
        world.fund(cfg.base, deployer, amount_base)
        tokens[a.symbol].approve(router, amount_asset, tx)
        world.base.approve(router, amount_base, tx)
        router.addLiquidity(
            tokens[a.symbol],
            world.base,
            amount_asset,
            amount_base,
            amount_asset,
            amount_base,
            deployer,
            chain.time() + DEADLINE_S,
            tx,
        )
        pair_address = factory.getPair(tokens[a.symbol], world.base)
        world.pairs[a.symbol] = Contract.from_abi("UniswapV2Pair", pair_address, abi("UniswapV2Pair"))

    world.deployment = WorldDeployment(
        network=network.show_active(),
        chain_id=web3.eth.chain_id,
        block=web3.eth.block_number,
        deployer=deployer.address,
        config=str(Path(config_path).resolve().relative_to(ROOT)) if _inside_root(config_path) else str(config_path),
        base=cfg.base,
        assets={
            a.symbol: AssetDeployment(
                symbol=a.symbol,
                token=tokens[a.symbol].address,
                decimals=a.decimals,
                feed=feeds[a.symbol].address,
                iv_feed=iv_feeds[a.symbol].address if a.symbol in iv_feeds else None,
                pair=world.pairs[a.symbol].address if a.symbol in world.pairs else None,
            )
            for a in cfg.assets
        },
        factory=factory.address,
        router=router.address,
        weth=weth.address,
        fee_bps=cfg.fee_bps,
        extra={},
    )
    if with_aave:
        from scripts.aave import deploy_aave

        world.aave = deploy_aave(world, deployer)
        world.deployment.extra["aave"] = world.aave.to_json()
    if save:
        save_deployment(world.deployment)
    return world


def load_world(network_name: str | None = None, deployer: Any = None) -> World:
    """Brownie objects for a world deployed earlier on the connected chain, from its deployment file."""
    dep = load_deployment(network_name or network.show_active())
    cfg = load_world_config(ROOT / dep.config if not Path(dep.config).is_absolute() else dep.config)
    tokens = {
        s: Contract.from_abi("WorldToken", a.token, abi("WETH9" if a.token == dep.weth else "WorldToken"))
        for s, a in dep.assets.items()
    }
    feeds = {s: Contract.from_abi("PriceFeed", a.feed, PriceFeed.abi) for s, a in dep.assets.items()}
    iv_feeds = {s: Contract.from_abi("PriceFeed", a.iv_feed, PriceFeed.abi) for s, a in dep.assets.items() if a.iv_feed}
    pair_abi = abi("UniswapV2Pair")
    pairs = {s: Contract.from_abi("UniswapV2Pair", a.pair, pair_abi) for s, a in dep.assets.items() if a.pair}
    factory = Contract.from_abi("UniswapV2Factory", dep.factory, abi("UniswapV2Factory"))
    router = Contract.from_abi("UniswapV2Router02", dep.router, abi("UniswapV2Router02"))
    weth = Contract.from_abi("WETH9", dep.weth, abi("WETH9"))
    from brownie import accounts  # type: ignore[attr-defined]

    owner = deployer or accounts.at(dep.deployer, force=True)
    world = World(cfg, owner, tokens[dep.base], tokens, feeds, iv_feeds, factory, router, weth, pairs, dep)
    if "aave" in dep.extra:
        from scripts.aave import load_aave

        world.aave = load_aave(dep.extra["aave"])
    return world


def _inside_root(path: str | Path) -> bool:
    try:
        Path(path).resolve().relative_to(ROOT)
        return True
    except ValueError:
        return False
