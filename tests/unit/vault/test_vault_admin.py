"""Registry, roles, bounded setters and pauses: one behaviour per test."""

from __future__ import annotations

import pytest
from brownie import PriceFeed, StealingSwapAdapter, WorldToken  # type: ignore[attr-defined]

from scripts.deploy_vault import keeper_view
from tests.helpers.vault import plain, reverts_with

ZERO = "0x0000000000000000000000000000000000000000"


def _new_asset(deployer, decimals=18, price=10**8):
    token = WorldToken.deploy("New", "NEW", decimals, deployer, {"from": deployer})
    feed = PriceFeed.deploy(8, "NEW / USD", price, deployer, {"from": deployer})
    return token, feed


def test_constructor__defaults__registry_thresholds_and_roles(vault, mini, gov, keeper):
    assets = vault.assets()
    assert [a[0] for a in assets] == [mini.tokens[s].address for s in ("USDC", "WBTC", "NRT")]
    assert [a[3] for a in assets] == [6, 8, 18]
    assert plain(vault.thresholds()) == [100, 50, 10_000, 3600]
    assert plain(vault.riskBudgetsBps()) == [0, 5000, 5000]
    assert plain(vault.targetWeightsBps()) == [0, 0, 0]
    assert vault.decimals() == 12  # 6 + the decimals offset of 6
    assert vault.hasRole(vault.DEFAULT_ADMIN_ROLE(), gov)
    assert vault.hasRole(vault.KEEPER_ROLE(), keeper)
    assert vault.epoch() == 0 and vault.lastRebalanceAt() == 0


def test_add_asset__new_token__appends_with_zero_budget(vault, gov, deployer):
    token, feed = _new_asset(deployer)
    tx = vault.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": gov})
    assert tx.events["AssetAdded"]["token"] == token
    assert plain(vault.assets()[-1][:5]) == [token.address, feed.address, 3600, 18, 8]
    assert plain(vault.riskBudgetsBps()) == [0, 5000, 5000, 0]


def test_add_asset__duplicate__reverts_already_registered(vault, gov, mini):
    params = (mini.tokens["WBTC"], mini.feeds["WBTC"], 3600, 1, 10**15, 50)
    with reverts_with("RiskParityVaultAssetAlreadyRegistered"):
        vault.addAsset(params, {"from": gov})


def test_add_asset__seventeenth__reverts_too_many(vault, gov, deployer):
    for _ in range(13):
        token, feed = _new_asset(deployer)
        vault.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": gov})
    token, feed = _new_asset(deployer)
    with reverts_with("RiskParityVaultTooManyAssets"):
        vault.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": gov})


@pytest.mark.parametrize(
    "heartbeat,min_price,max_price",
    [(59, 1, 10), (7 * 86400 + 1, 1, 10), (3600, 0, 10), (3600, 11, 10)],
)
def test_add_asset__bad_oracle_params__reverts(vault, gov, deployer, heartbeat, min_price, max_price):
    token, feed = _new_asset(deployer)
    with reverts_with("RiskParityVaultInvalidOracleParams"):
        vault.addAsset((token, feed, heartbeat, min_price, max_price, 50), {"from": gov})


def test_add_asset__no_feed__reverts_zero_address(vault, gov, deployer):
    token, _ = _new_asset(deployer)
    with reverts_with("RiskParityVaultZeroAddress"):
        vault.addAsset((token, ZERO, 3600, 1, 10, 50), {"from": gov})


def test_add_asset__not_governance__reverts(vault, manager, deployer):
    token, feed = _new_asset(deployer)
    with reverts_with("AccessControlUnauthorizedAccount"):
        vault.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": manager})


def test_set_asset_oracle__new_bounds__stored_and_emitted(vault, gov, mini):
    tx = vault.setAssetOracle((mini.tokens["WBTC"], mini.feeds["WBTC"], 7200, 2, 10**16, 50), {"from": gov})
    assert "AssetOracleUpdated" in tx.events
    assert vault.assets()[1][2] == 7200 and plain(vault.assets()[1][5:]) == [2, 10**16, 50]


def test_remove_asset__budgeted__reverts_still_targeted(vault, gov, mini):
    with reverts_with("RiskParityVaultAssetStillTargeted"):
        vault.removeAsset(mini.tokens["WBTC"], {"from": gov})


def test_remove_asset__base__reverts(vault, gov, base):
    with reverts_with("RiskParityVaultCannotRemoveBase"):
        vault.removeAsset(base, {"from": gov})


def test_remove_asset__unbudgeted__shifts_registry_and_budgets(vault, gov, manager, mini):
    # Budgets must sum to 10,000 with each <= 5,000: add a third asset to carry the other half first.
    token, feed = _new_asset(mini.deployer)
    vault.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": gov})
    vault.setRiskBudgets([0, 0, 5000, 5000], {"from": manager})
    tx = vault.removeAsset(mini.tokens["WBTC"], {"from": gov})
    assert tx.events["AssetRemoved"]["balanceLeft"] == 0
    assert [a[0] for a in vault.assets()] == [mini.base.address, mini.tokens["NRT"].address, token.address]
    assert plain(vault.riskBudgetsBps()) == [0, 5000, 5000]


def test_set_risk_budgets__valid__stored_and_emitted(vault, manager):
    tx = vault.setRiskBudgets([0, 5000, 5000], {"from": manager})
    assert plain(tx.events["RiskBudgetsUpdated"]["riskBudgetsBps"]) == [0, 5000, 5000]


@pytest.mark.parametrize(
    "budgets,error",
    [
        ([0, 5000], "RiskParityVaultWrongLength"),
        ([0, 5000, 4999], "RiskParityVaultWeightsDoNotSum"),
        ([1, 4999, 5000], "RiskParityVaultBudgetOutOfBounds"),
        ([0, 6000, 4000], "RiskParityVaultBudgetOutOfBounds"),
    ],
)
def test_set_risk_budgets__invalid__reverts(vault, manager, budgets, error):
    with reverts_with(error):
        vault.setRiskBudgets(budgets, {"from": manager})


def test_set_risk_budgets__neither_manager_nor_governance__reverts(vault, keeper, guardian):
    for who in (keeper, guardian):
        with reverts_with("AccessControlUnauthorizedAccount"):
            vault.setRiskBudgets([0, 5000, 5000], {"from": who})


@pytest.mark.parametrize(
    "budgets,error",
    [([0, 5000], "RiskParityVaultWrongLength"), ([1, 4999, 5000], "RiskParityVaultBudgetOutOfBounds")],
)
def test_set_risk_budgets__governance_out_of_bounds__reverts(vault, gov, budgets, error):
    with reverts_with(error):
        vault.setRiskBudgets(budgets, {"from": gov})


@pytest.mark.parametrize(
    "thresholds",
    [
        (0, 50, 100, 3600),
        (501, 50, 100, 3600),
        (100, 0, 100, 3600),
        (100, 201, 100, 3600),
        (100, 50, 0, 3600),
        (100, 50, 10_001, 3600),
        (100, 50, 100, 899),
        (100, 50, 100, 30 * 86400 + 1),
    ],
)
def test_set_thresholds__outside_hard_bounds__reverts(vault, manager, thresholds):
    with reverts_with("RiskParityVaultThresholdOutOfBounds"):
        vault.setThresholds(thresholds, {"from": manager})


def test_set_thresholds__at_hard_bounds__stored_and_emitted(vault, manager):
    tx = vault.setThresholds((500, 200, 10_000, 900), {"from": manager})
    assert "ThresholdsUpdated" in tx.events
    assert plain(vault.thresholds()) == [500, 200, 10_000, 900]


def test_set_deposit_cap__cap__limits_max_deposit_and_deposit(funded, gov, alice):
    vault = funded
    vault.setDepositCap(1_000 * 10**6, {"from": gov})
    assert vault.maxDeposit(alice) == 1_000 * 10**6
    vault.deposit(600 * 10**6, alice, {"from": alice})
    assert vault.maxDeposit(alice) == 400 * 10**6
    with reverts_with("ERC4626ExceededMaxDeposit"):
        vault.deposit(401 * 10**6, alice, {"from": alice})


def test_set_deposit_cap__above_uint128__reverts(vault, gov):
    with reverts_with("RiskParityVaultDepositCapTooLarge"):
        vault.setDepositCap(2**128, {"from": gov})


def test_set_swap_adapter__adapter_of_another_vault__reverts_mismatch(vault, gov, deployer, alice):
    other = StealingSwapAdapter.deploy(alice, {"from": deployer})
    with reverts_with("RiskParityVaultAdapterVaultMismatch"):
        vault.setSwapAdapter(other, {"from": gov})


def test_set_swap_adapter__own__emits(vault, gov, deployer):
    new = StealingSwapAdapter.deploy(vault, {"from": deployer})
    tx = vault.setSwapAdapter(new, {"from": gov})
    assert tx.events["SwapAdapterUpdated"]["newAdapter"] == new
    assert vault.swapAdapter() == new


def test_set_deposits_paused__guardian_pauses__deposits_revert(funded, guardian, alice):
    vault = funded
    tx = vault.setDepositsPaused(True, {"from": guardian})
    assert tx.events["DepositsPausedSet"]["paused"] is True
    assert vault.maxDeposit(alice) == 0 and vault.maxMint(alice) == 0
    with reverts_with("RiskParityVaultDepositsPaused"):
        vault.deposit(10**6, alice, {"from": alice})
    with reverts_with("RiskParityVaultDepositsPaused"):
        vault.mint(10**12, alice, {"from": alice})


def test_set_deposits_paused__guardian_unpauses__reverts(vault, guardian):
    vault.setDepositsPaused(True, {"from": guardian})
    with reverts_with("RiskParityVaultUnauthorizedUnpause"):
        vault.setDepositsPaused(False, {"from": guardian})


def test_set_deposits_paused__governance_unpauses__deposits_work(funded, guardian, gov, alice):
    vault = funded
    vault.setDepositsPaused(True, {"from": guardian})
    vault.setDepositsPaused(False, {"from": gov})
    vault.deposit(10**6, alice, {"from": alice})
    assert vault.balanceOf(alice) > 0


def test_set_rebalances_paused__stranger__reverts(vault, alice):
    with reverts_with("AccessControlUnauthorizedAccount"):
        vault.setRebalancesPaused(True, {"from": alice})


def test_set_rebalances_paused__guardian__pauses(vault, guardian):
    vault.setRebalancesPaused(True, {"from": guardian})
    assert vault.rebalancesPaused() is True


def test_keeper_view__fresh__one_call_state(funded, alice, mini):
    vault = funded
    vault.deposit(1_000 * 10**6, alice, {"from": alice})
    v = keeper_view(vault)
    assert v["epoch"] == 0 and v["navOk"] is True
    assert v["navBaseUnits"] == 1_000 * 10**6
    assert plain(v["balances"]) == [1_000 * 10**6, 0, 0]
    assert v["answers"][1] == mini.feeds["WBTC"].latestRoundData()[1]
    assert plain(v["riskBudgetsBps"]) == [0, 5000, 5000]
    assert plain(v["thresholds"]) == [100, 50, 10_000, 3600]


def test_keeper_view__bad_oracle_of_held_asset__nav_not_ok_instead_of_revert(vault, mini, deployer):
    mini.fund("WBTC", vault, 10**8)
    mini.feeds["WBTC"].submit(0, {"from": deployer})
    v = keeper_view(vault)
    assert v["navOk"] is False and v["answers"][1] == 0 and v["entryFeeBps"] == 0


def test_keeper_view__bad_oracle_of_asset_not_held__nav_still_ok(vault, mini, deployer):
    mini.feeds["WBTC"].submit(0, {"from": deployer})
    v = keeper_view(vault)
    assert v["navOk"] is True and v["answers"][1] == 0
