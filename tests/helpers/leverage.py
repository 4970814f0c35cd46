"""Shared by the leverage tests (tests/unit/lending, tests/integration/leverage; their fixtures are in
``lending_fixtures``): the world with its Aave V3 market, a levered vault on it, and keeper-side planning of
lending actions.

Lending actions are ``(kind, token, amount)`` tuples; ``kind`` follows ``IRiskParityVault.LendingKind``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from scripts.deploy_vault import FeeConfig, LeverageConfig, deploy_vault, keeper_view, load_vault_config
from scripts.world import deploy_world
from tests.helpers.vault import (
    BPS,
    deadline,
    deposit,
    plan_trades,
    rebalance_params,
    sleep_and_refresh,
)

SUPPLY, WITHDRAW, BORROW, REPAY = 0, 1, 2, 3
USDC = 10**6
WAD = 10**18
# Base buffer 10%, the rest across WBTC, WETH, LINK, XAU, TBILL (registry order).
TARGETS = [1000, 1200, 1000, 800, 2500, 3500]
VARIABLE_RATE = 2


def leverage_world(deployer: Any) -> Any:
    return deploy_world(deployer, save=False, with_aave=True)


def levered_vault_config(**leverage: Any) -> Any:
    """config/vault.yaml with leverage on, full turnover allowed (so one rebalance can build the basket), the
    DEX-vs-oracle breaker off: these tests move feeds alone (``shock``), which is exactly what trips it
    (tests/unit/vault/test_vault_risk_guard.py covers the breaker), and no holder fees: the levered exits are
    followed to the unit, down to the last holder (with fees on, the recipient always holds shares;
    tests/unit/vault/test_vault_fees.py and tests/integration/leverage/test_leverage_fees.py cover fees)."""
    cfg = load_vault_config()
    return replace(
        cfg,
        max_turnover_bps=10_000,
        leverage=LeverageConfig(enabled=True, **leverage),
        risk=replace(cfg.risk, max_divergence_bps=0),
        fees=FeeConfig(),
    )


def deploy_levered(world: Any, deployer: Any, gov: Any, manager: Any, keeper: Any, guardian: Any, **kw: Any) -> Any:
    return deploy_vault(
        world,
        deployer,
        kw.pop("cfg", None) or levered_vault_config(**kw),
        governance=gov,
        roles={"manager": manager, "keeper": keeper, "guardian": guardian},
    )


def seed(world: Any, vault: Any, who: list[Any], usdc_each: int = 100_000) -> None:
    for account in who:
        deposit(world, vault, account, usdc_each)


def tokens(vault: Any) -> list[str]:
    return [a[0] for a in vault.assets()]


def held(world: Any, vault: Any) -> list[int]:
    return [world.tokens[s].balanceOf(vault) for s in symbols(world, vault)]


def symbols(world: Any, vault: Any) -> list[str]:
    by_address = {t.address: s for s, t in world.tokens.items()}
    return [by_address[a] for a in tokens(vault)]


def build_basket(world: Any, vault: Any, keeper: Any) -> None:
    """An unlevered rebalance all the way to TARGETS, then the cooldown passes."""
    vault.rebalance(rebalance_params(vault, TARGETS, plan_trades(vault, TARGETS)), {"from": keeper})
    sleep_and_refresh(3600, world.feeds, world.deployer)


def lever_up_plan(world: Any, vault: Any, borrow_usdc: int) -> tuple[list[tuple], list[tuple]]:
    """Before the swaps: supply everything held besides the base, then borrow ``borrow_usdc``. The swaps buy the
    risky assets with it in the TARGETS proportions (the base's share stays idle, so the composition holds).
    After them: supply what was bought (the router's quote less 1%, never more than what arrived)."""
    toks = tokens(vault)
    balances = held(world, vault)
    before = [(SUPPLY, toks[i], balances[i], False) for i in range(1, len(toks)) if balances[i] > 0]
    before.append((BORROW, toks[0], borrow_usdc, False))
    trades, after = [], []
    for i in range(1, len(toks)):
        amount_in = borrow_usdc * TARGETS[i] // BPS
        trades.append((toks[0], toks[i], amount_in, 0))
        quote = world.router.getAmountsOut(amount_in, [toks[0], toks[i]])[1]
        after.append((SUPPLY, toks[i], quote * 99 // 100, True))
    return trades, before + after


def lever_up(world: Any, vault: Any, keeper: Any, borrow_usdc: int) -> Any:
    trades, actions = lever_up_plan(world, vault, borrow_usdc)
    return vault.rebalanceWithLending(rebalance_params(vault, TARGETS, trades), actions, {"from": keeper})


def shock(world: Any, symbols_: list[str], factor: float) -> None:
    """Move the feeds of ``symbols_`` by ``factor`` (0.7 = a 30% drop); the DEX pools are left where they are."""
    for s in symbols_:
        feed = world.feeds[s]
        feed.submit(int(feed.latestRoundData()[1] * factor), {"from": world.deployer})


def view(vault: Any) -> Any:
    return keeper_view(vault)


def share_price(vault: Any) -> int:
    """Assets per 10**12 shares (one base unit's worth at the offset of 6), oracle-priced."""
    return vault.convertToAssets(10**12)


__all__ = [
    "BPS",
    "BORROW",
    "REPAY",
    "SUPPLY",
    "WITHDRAW",
    "TARGETS",
    "USDC",
    "WAD",
    "deadline",
    "pytest",
]
