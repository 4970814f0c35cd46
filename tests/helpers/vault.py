"""Shared by the vault's unit, integration, stateful and leverage tests: a small odd-token world, revert matching,
feed refreshes and a trade planner that moves the vault to target weights through the base asset."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import brownie
from brownie import (  # type: ignore[attr-defined]
    Contract,
    NoReturnToken,
    PriceFeed,
    WorldToken,
    chain,
    web3,
)

from keeper.artifacts import npm_artifact
from scripts.deploy_vault import OracleGuard, VaultConfig, keeper_view

BPS = 10_000
FEED_DECIMALS = 8


def reverts_with(error_name: str) -> Any:
    """``brownie.reverts`` matching a custom error by name (brownie renders it as ``Name: arg, arg``)."""
    return brownie.reverts(revert_pattern=rf"{error_name}\b.*")


def timelocked(
    vault: Any,
    setter: str,
    args: tuple[Any, ...],
    manager: Any,
    feeds: dict[str, Any] | None = None,
    feed_owner: Any = None,
) -> Any:
    """A risk-increasing manager change the way production makes it: ``submit`` its calldata, wait out the
    vault's risk timelock, call the setter. ``feeds`` are refreshed after the wait. Returns the setter's tx."""
    fn = getattr(vault, setter)
    delay = vault.timelockSeconds()
    if delay:
        vault.submit(fn.encode_input(*args), {"from": manager})
        chain.sleep(delay + 1)
        chain.mine()
        if feeds is not None:
            refresh_feeds(feeds, feed_owner)
    return fn(*args, {"from": manager})


def deposit(world: Any, vault: Any, holder: Any, usdc: int) -> None:
    """``usdc`` whole USDC minted to ``holder`` on the world, approved and deposited into ``vault`` for them."""
    amount = usdc * 10 ** world.base.decimals()
    world.fund("USDC", holder, amount)
    world.base.approve(vault, amount, {"from": holder})
    vault.deposit(amount, holder, {"from": holder})


def deadline(seconds: int = 600) -> int:
    return chain.time() + seconds


def refresh_feeds(feeds: dict[str, Any], owner: Any) -> None:
    """Publish every feed's latest answer again now, so a time jump does not leave them stale."""
    for feed in feeds.values():
        feed.submit(feed.latestRoundData()[1], {"from": owner})


def sleep_and_refresh(seconds: int, feeds: dict[str, Any], owner: Any) -> None:
    chain.sleep(seconds)
    chain.mine()
    refresh_feeds(feeds, owner)


# --------------------------------------------------------------------------------------------------------------
# A small world for unit tests: any mix of decimals and no-return-value tokens, real Uniswap V2
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSpec:
    symbol: str
    decimals: int
    price_usd: float
    no_return: bool = False
    pool_depth_usd: float = 10_000_000


# The unit tests' small world: a 6-decimal base, an 8-decimal token and an 18-decimal no-return-value token.
MINI_BASE = TokenSpec("USDC", 6, 1.0)
MINI_ASSETS = [TokenSpec("WBTC", 8, 90_000.0), TokenSpec("NRT", 18, 20.0, no_return=True)]
ASSETS_FOR_ORACLE_TESTS = MINI_ASSETS


@dataclass
class MiniWorld:
    """Duck-types the parts of ``scripts.world.World`` that ``deploy_vault`` and the tests use."""

    cfg: Any
    deployer: Any
    base: Any
    tokens: dict[str, Any]
    feeds: dict[str, Any]
    router: Any
    factory: Any
    specs: dict[str, TokenSpec] = field(default_factory=dict)

    def fund(self, symbol: str, to: Any, amount: int) -> None:
        token = self.tokens[symbol]
        token.mint(to, amount, {"from": self.deployer})

    def units(self, symbol: str, whole: float) -> int:
        return int(round(whole * 10 ** self.specs[symbol].decimals))


def _deploy_npm(name: str, deployer: Any, *args: Any) -> Any:
    art = npm_artifact(name)
    tx_hash = (
        web3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        .constructor(*args)
        .transact({"from": deployer.address})
    )
    receipt = web3.eth.wait_for_transaction_receipt(tx_hash)
    return Contract.from_abi(name, receipt.contractAddress, art["abi"])


def deploy_mini_world(deployer: Any, base: TokenSpec, assets: list[TokenSpec]) -> MiniWorld:
    tx = {"from": deployer}
    tokens: dict[str, Any] = {}
    feeds: dict[str, Any] = {}
    for spec in [base, *assets]:
        if spec.no_return:
            tokens[spec.symbol] = NoReturnToken.deploy(spec.symbol, spec.symbol, spec.decimals, tx)
        else:
            tokens[spec.symbol] = WorldToken.deploy(spec.symbol, spec.symbol, spec.decimals, deployer, tx)
        feeds[spec.symbol] = PriceFeed.deploy(
            FEED_DECIMALS, f"{spec.symbol} / USD", round(spec.price_usd * 10**FEED_DECIMALS), deployer, tx
        )
    weth = _deploy_npm("WETH9", deployer)
    factory = _deploy_npm("UniswapV2Factory", deployer, deployer.address)
    router = _deploy_npm("UniswapV2Router02", deployer, factory.address, weth.address)
    world = MiniWorld(
        SimpleNamespace(base=base.symbol),
        deployer,
        tokens[base.symbol],
        tokens,
        feeds,
        router,
        factory,
        {s.symbol: s for s in [base, *assets]},
    )
    for spec in assets:
        amount = world.units(spec.symbol, spec.pool_depth_usd / spec.price_usd)
        amount_base = world.units(base.symbol, spec.pool_depth_usd / base.price_usd)
        world.fund(spec.symbol, deployer, amount)
        world.fund(base.symbol, deployer, amount_base)
        tokens[spec.symbol].approve(router, amount, tx)
        tokens[base.symbol].approve(router, amount_base, tx)
        router.addLiquidity(
            tokens[spec.symbol], tokens[base.symbol], amount, amount_base, 0, 0, deployer, deadline(), tx
        )
    return world


def mini_vault_config(assets: list[TokenSpec], base: TokenSpec, **overrides: Any) -> VaultConfig:
    """A vault config for a mini world: loose price bounds, equal budgets, 1 h cooldown."""
    n = len(assets)
    budgets = {a.symbol: BPS // n for a in assets}
    budgets[assets[0].symbol] += BPS - sum(budgets.values())
    oracles = {s.symbol: OracleGuard(3600, s.price_usd / 100, s.price_usd * 100) for s in [base, *assets]}
    values: dict[str, Any] = dict(
        name="Test Vault",
        symbol="tVAULT",
        assets=[a.symbol for a in assets],
        oracles=oracles,
        risk_budgets_bps=budgets,
        max_slippage_bps=100,
        max_nav_loss_bps=50,
        max_turnover_bps=10_000,
        cooldown_s=3600,
        deposit_cap_usd=None,
        sequencer_feed=None,
        sequencer_grace_s=0,
        timelock_delay_s=0,
        proposer=1,
        executor=1,
        roles={},
    )
    values.update(overrides)
    return VaultConfig(**values)


# --------------------------------------------------------------------------------------------------------------
# Keeper-side helpers
# --------------------------------------------------------------------------------------------------------------


def values_base_units(vault: Any) -> tuple[list[int], list[int], list[str]]:
    """(balances, oracle values in base units, tokens) per registry entry, from the keeper view."""
    view = keeper_view(vault)
    assets = view["assets"]
    base_feed, base_dec = assets[0][1], assets[0][3]
    zero = "0x0000000000000000000000000000000000000000"
    base_price = view["answers"][0] if base_feed != zero else 1
    base_scale = 10**base_dec * (10 ** assets[0][4] if base_feed != zero else 1)
    values = []
    for i, a in enumerate(assets):
        if i == 0:
            values.append(view["balances"][0])
            continue
        values.append(view["balances"][i] * view["answers"][i] * base_scale // (base_price * 10 ** (a[3] + a[4])))
    return list(view["balances"]), values, [a[0] for a in assets]


def plan_trades(vault: Any, targets_bps: list[int], *, fraction: float = 1.0) -> list[tuple[Any, ...]]:
    """Trades that move ``fraction`` of the way to ``targets_bps``: sell overweight assets for base first,
    then buy underweight ones with base (scaled down to the base on hand). minAmountOut is 0: the vault's own
    oracle floor applies."""
    balances, values, tokens = values_base_units(vault)
    nav = sum(values)
    gaps = {i: (targets_bps[i] * nav // BPS - values[i]) * fraction for i in range(1, len(tokens))}
    sells, proceeds = [], 0.0
    for i, gap in gaps.items():
        if gap < 0 and values[i] > 0:
            share = min(1.0, -gap / values[i])
            amount = int(balances[i] * share)
            if amount > 0:
                sells.append((tokens[i], tokens[0], amount, 0))
                proceeds += values[i] * share
    buys_wanted = {i: int(gap) for i, gap in gaps.items() if gap > 0}
    available = balances[0] + int(proceeds * 0.98)  # leave room for fees and price impact
    total = sum(buys_wanted.values())
    scale = min(1.0, available / total) if total else 0.0
    buys = [(tokens[0], tokens[i], int(g * scale), 0) for i, g in buys_wanted.items() if int(g * scale) > 0]
    return sells + buys


def rebalance_params(vault: Any, targets_bps: list[int], trades: list[tuple[Any, ...]], **kw: Any) -> tuple:
    return (kw.get("epoch", vault.epoch()), kw.get("deadline", deadline()), targets_bps, trades)


def plain(value: Any) -> Any:
    """A contract return value as plain Python lists/ints/strs (brownie's ReturnValue refuses some compares)."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    return str(value)
