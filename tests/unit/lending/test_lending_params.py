"""Leverage settings: the lending adapter (governance) and the leverage params (manager), each inside its hard
bounds with the health factors ordered 1 < ripcord < min < target; events on every setter; a vault without an
adapter refuses lending actions and the ripcord and reports an empty lending state."""

from __future__ import annotations

import brownie
import pytest
from brownie import AaveV3LendingAdapter, chain  # type: ignore[attr-defined]

from scripts.deploy_vault import LeverageConfig, keeper_view, load_vault_config
from tests.helpers.leverage import (
    SUPPLY,
    TARGETS,
    USDC,
    WAD,
    build_basket,
    deploy_levered,
    lever_up,
    seed,
    tokens,
)
from tests.helpers.vault import (
    deadline,
    rebalance_params,
    refresh_feeds,
    reverts_with,
    timelocked,
)

# (min, target, ripcord, maxLeverageBps, rewardBps, cooldownSeconds, maxTradeBaseUnits)
GOOD = (int(1.5 * WAD), int(1.8 * WAD), int(1.25 * WAD), 20_000, 50, 600, 100_000 * USDC)


def _with(**changes):
    fields = ["min", "target", "ripcord", "lev", "reward", "cooldown", "trade"]
    values = dict(zip(fields, GOOD, strict=True))
    values.update(changes)
    return tuple(values[f] for f in fields)


def test_deploy__config_leverage__params_and_defaults(vault):
    view = keeper_view(vault)
    assert tuple(view["leverage"]) == GOOD
    assert view["lastDeleverageAt"] == 0


def test_set_leverage_params__manager__stores_and_emits(vault, manager):
    params = _with(min=int(1.6 * WAD), lev=15_000, reward=100)  # the reward goes up: timelocked
    tx = timelocked(vault, "setLeverageParams", (params,), manager)
    assert tuple(tx.events["LeverageParamsUpdated"]["params"]) == params
    assert tuple(keeper_view(vault)["leverage"]) == params


def test_set_leverage_params__not_manager__reverts(vault, keeper):
    with brownie.reverts(revert_pattern=r"AccessControlUnauthorizedAccount.*"):
        vault.setLeverageParams(GOOD, {"from": keeper})


@pytest.mark.parametrize(
    "field, changes",
    [
        ("ripcordHealthFactorWad", {"ripcord": int(1.04 * WAD)}),  # below the hard floor
        ("minHealthFactorWad", {"ripcord": int(1.5 * WAD)}),  # ripcord == min
        ("minHealthFactorWad", {"ripcord": int(1.6 * WAD)}),  # ripcord > min
        ("targetHealthFactorWad", {"target": int(1.5 * WAD)}),  # target == min
        ("targetHealthFactorWad", {"target": int(5.01 * WAD)}),  # above the hard ceiling
        ("maxLeverageBps", {"lev": 9_999}),
        ("maxLeverageBps", {"lev": 30_001}),
        ("ripcordRewardBps", {"reward": 101}),
        ("ripcordCooldownSeconds", {"cooldown": 59}),
        ("ripcordCooldownSeconds", {"cooldown": 86_401}),
        ("ripcordMaxTradeBaseUnits", {"trade": 0}),
    ],
)
def test_set_leverage_params__out_of_order_or_bounds__reverts_naming_field(vault, manager, field, changes):
    with brownie.reverts(revert_pattern=rf"RiskParityVaultLeverageParamsOutOfBounds: {field}\b.*"):
        vault.setLeverageParams(_with(**changes), {"from": manager})


def test_set_lending_adapter__not_governance__reverts(vault, manager, lending):
    with brownie.reverts(revert_pattern=r"AccessControlUnauthorizedAccount.*"):
        vault.setLendingAdapter(lending, {"from": manager})


def test_set_lending_adapter__other_vault__reverts(vault, gov, world, deployer, mallory):
    other = AaveV3LendingAdapter.deploy(mallory, world.aave.pool, world.base, {"from": deployer})
    with reverts_with("RiskParityVaultAdapterVaultMismatch"):
        vault.setLendingAdapter(other, {"from": gov})


def test_set_lending_adapter__position_open__reverts(seeded, world, keeper, gov, deployer):
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 20_000 * USDC)
    replacement = AaveV3LendingAdapter.deploy(vault, world.aave.pool, world.base, {"from": deployer})
    with reverts_with("RiskParityVaultLendingPositionOpen"):
        vault.setLendingAdapter(replacement, {"from": gov})


def test_set_lending_adapter__flat_position__swaps_and_emits(vault, world, gov, deployer, lending):
    replacement = AaveV3LendingAdapter.deploy(vault, world.aave.pool, world.base, {"from": deployer})
    tx = vault.setLendingAdapter(replacement, {"from": gov})
    assert tx.events["LendingAdapterUpdated"]["previousAdapter"] == lending.address
    assert tx.events["LendingAdapterUpdated"]["newAdapter"] == replacement.address
    assert vault.lendingAdapter() == replacement.address
    vault.setLendingAdapter("0x0000000000000000000000000000000000000000", {"from": gov})
    assert keeper_view(vault)["lendingAdapter"] == "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def unlevered(world, deployer, gov, manager, keeper, guardian, alice):
    """The same vault with leverage off (config/vault.yaml's default)."""
    cfg = load_vault_config()
    assert cfg.leverage == LeverageConfig()
    vault = deploy_levered(world, deployer, gov, manager, keeper, guardian, cfg=cfg).vault
    seed(world, vault, [alice])
    return vault


def test_unlevered__lending_actions__revert_without_adapter(unlevered, keeper):
    vault = unlevered
    toks = tokens(vault)
    with reverts_with("RiskParityVaultNoLendingAdapter"):
        vault.rebalanceWithLending(
            rebalance_params(vault, TARGETS, []), [(SUPPLY, toks[1], 1, False)], {"from": keeper}
        )


def test_unlevered__deleverage__reverts_without_adapter(unlevered, world, mallory):
    with reverts_with("RiskParityVaultNoLendingAdapter"):
        unlevered.deleverage(world.tokens["WETH"], 1, deadline(), {"from": mallory})


def test_unlevered__keeper_view__lending_fields_empty(unlevered):
    v = keeper_view(unlevered)
    assert v["lendingAdapter"] == "0x0000000000000000000000000000000000000000"
    assert list(v["collateral"]) == [0] * len(v["assets"])
    assert v["debtBaseUnits"] == 0 and v["healthFactorWad"] == 0
    assert tuple(v["leverage"]) == (0,) * 7
    assert v["navBaseUnits"] == 100_000 * USDC


def test_remove_asset__collateral_supplied__reverts(seeded, world, keeper, manager, gov):
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 20_000 * USDC)
    chain.sleep(3600)
    refresh_feeds(world.feeds, world.deployer)
    # WBTC out of the targets (no trades: the distance stays) and out of the budgets.
    targets = list(TARGETS)
    targets[0], targets[1] = targets[0] + targets[1], 0
    vault.rebalance(rebalance_params(vault, targets, []), {"from": keeper})
    timelocked(vault, "setRiskBudgets", ([0, 0, 2500, 2500, 2500, 2500],), manager, world.feeds, world.deployer)
    with reverts_with("RiskParityVaultLendingPositionOpen"):
        vault.removeAsset(world.tokens["WBTC"], {"from": gov})
