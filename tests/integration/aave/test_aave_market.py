"""A real Aave V3 market (npm bytecode) on the world: wiring, reserves, oracle, and a borrower's whole life from
supply to liquidation. Amounts are written in whole tokens through ``world.units``."""

from __future__ import annotations

import json

import pytest
import yaml
from brownie import chain, reverts  # type: ignore[attr-defined]

from keeper.errors import ConfigError
from scripts.aave import DEFAULT_CONFIG, VARIABLE_RATE, deploy_aave, load_aave

MAX_UINT = 2**256 - 1
SECONDS_PER_YEAR = 365 * 24 * 3600
RAY = 10**27


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


def _supply(world, aave, who, symbol: str, amount: int) -> None:
    world.fund(symbol, who, amount)
    world.tokens[symbol].approve(aave.pool, amount, {"from": who})
    aave.pool.supply(world.tokens[symbol], amount, who, 0, {"from": who})


def _borrow(world, aave, who, symbol: str, amount: int) -> None:
    aave.pool.borrow(world.tokens[symbol], amount, VARIABLE_RATE, 0, who, {"from": who})


def _percent_mul(value: int, bps: int) -> int:
    return (value * bps + 5_000) // 10_000  # Aave's PercentageMath: half up


def _wad_div(a: int, b: int) -> int:
    return (a * 10**18 + b // 2) // b  # Aave's WadRayMath: half up


# ---------------------------------------------------------------------------------------------------------------
# Deployment
# ---------------------------------------------------------------------------------------------------------------


def test_deploy_aave__world__provider_points_at_every_core_contract(aave, world, deployer):
    p = aave.provider
    assert p.getPool() == aave.pool.address
    assert p.getPoolConfigurator() == aave.configurator.address
    assert p.getPriceOracle() == aave.oracle.address
    assert p.getPoolDataProvider() == aave.data_provider.address
    assert p.getACLManager() == aave.acl.address
    assert p.getMarketId() == "Risk Parity World Aave V3 Market"
    assert aave.pool.ADDRESSES_PROVIDER() == p.address
    assert aave.acl.isPoolAdmin(deployer) and p.owner() == deployer
    assert list(aave.pool.getReservesList()) == [world.tokens[s].address for s in aave.symbols]


def test_deploy_aave__reserves__carry_config_risk_parameters(aave, aave_cfg, world):
    for sym, r in aave_cfg.reserves.items():
        token = world.tokens[sym]
        decimals, ltv, threshold, bonus, factor, collateral, borrowing, stable, active, frozen = (
            aave.data_provider.getReserveConfigurationData(token)
        )
        assert (decimals, ltv, threshold, bonus, factor) == (
            world.cfg.asset(sym).decimals,
            r.ltv_bps,
            r.liquidation_threshold_bps,
            r.liquidation_bonus_bps,
            r.reserve_factor_bps,
        )
        assert collateral and active and not frozen and not stable
        assert borrowing == r.borrowing_enabled
        assert aave.a_tokens[sym].UNDERLYING_ASSET_ADDRESS() == token.address
        assert aave.a_tokens[sym].symbol() == f"aWld{sym}"
        assert aave.variable_debt_tokens[sym].UNDERLYING_ASSET_ADDRESS() == token.address
        assert aave.data_provider.getInterestRateStrategyAddress(token) == aave.rate_strategies[r.rate_strategy]


def test_deploy_aave__lender__supplied_config_usd_at_feed_price(aave, aave_cfg, world, lender):
    for sym, r in aave_cfg.reserves.items():
        expected = world.units(sym, r.supply_usd / world.feed_price(sym))
        assert aave.a_tokens[sym].balanceOf(lender) == expected
        assert world.tokens[sym].balanceOf(aave.a_tokens[sym]) == expected
    assert aave.lender == lender.address


def test_load_aave__saved_section__rebuilds_the_same_market(aave, world):
    section = json.loads(json.dumps(aave.to_json()))  # survives the deployment file's round trip
    loaded = load_aave(section)
    assert loaded.to_json() == aave.to_json()
    assert loaded.pool.getReserveData(world.tokens["USDC"])[8] == aave.a_tokens["USDC"].address


def test_deploy_aave__reserve_not_in_world__raises_config_error_before_any_transaction(world, deployer, tmp_path):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["reserves"]["DOGE"] = dict(raw["reserves"]["LINK"])
    path = tmp_path / "aave.yaml"
    path.write_text(yaml.safe_dump(raw))
    nonce = deployer.nonce
    with pytest.raises(ConfigError, match=r"reserves \['DOGE'\] are not world assets"):
        deploy_aave(world, deployer, path)
    assert deployer.nonce == nonce


# ---------------------------------------------------------------------------------------------------------------
# Oracle
# ---------------------------------------------------------------------------------------------------------------


def test_aave_oracle__world_feeds__returns_feed_prices_in_8_decimals(aave, world):
    assert aave.oracle.BASE_CURRENCY_UNIT() == 10**8
    for sym in aave.symbols:
        token = world.tokens[sym]
        assert aave.oracle.getSourceOfAsset(token) == world.feeds[sym].address
        assert aave.oracle.getAssetPrice(token) == world.feeds[sym].latestAnswer() > 0


def test_aave_oracle__feed_submits_new_round__follows_it(aave, world, deployer):
    world.feeds["WBTC"].submit(81_234_56000000, {"from": deployer})
    assert aave.oracle.getAssetPrice(world.tokens["WBTC"]) == 81_234_56000000


# ---------------------------------------------------------------------------------------------------------------
# A borrower's life
# ---------------------------------------------------------------------------------------------------------------


def test_supply_borrow_repay_withdraw__time_passes__interest_accrues_and_position_closes(aave, world, borrower, lender):
    usdc, weth = world.tokens["USDC"], world.tokens["WETH"]
    collateral, borrowed = world.units("WETH", 10), world.units("USDC", 10_000)
    _supply(world, aave, borrower, "WETH", collateral)
    _borrow(world, aave, borrower, "USDC", borrowed)
    assert usdc.balanceOf(borrower) == borrowed
    rate = aave.pool.getReserveData(usdc)[4]  # currentVariableBorrowRate, ray per year
    lender_before = aave.a_tokens["USDC"].balanceOf(lender)
    start = chain[-1].timestamp

    chain.sleep(30 * 24 * 3600)
    chain.mine()

    debt = int(aave.variable_debt_tokens["USDC"].balanceOf(borrower))  # plain int: brownie's Wei refuses approx
    elapsed = chain[-1].timestamp - start
    assert rate > 0
    assert debt - borrowed == pytest.approx(borrowed * rate * elapsed / (RAY * SECONDS_PER_YEAR), rel=1e-3)
    assert aave.a_tokens["USDC"].balanceOf(lender) > lender_before  # lenders earn the interest

    world.fund("USDC", borrower, world.units("USDC", 1))  # the interest, more than enough
    usdc.approve(aave.pool, MAX_UINT, {"from": borrower})
    aave.pool.repay(usdc, MAX_UINT, VARIABLE_RATE, borrower, {"from": borrower})
    assert aave.variable_debt_tokens["USDC"].balanceOf(borrower) == 0
    aave.pool.withdraw(weth, MAX_UINT, borrower, {"from": borrower})
    assert weth.balanceOf(borrower) == collateral  # nobody borrowed WETH: no supply interest on it
    assert aave.a_tokens["WETH"].balanceOf(borrower) == 0
    assert aave.pool.getUserAccountData(borrower)[5] == MAX_UINT  # no debt: infinite health factor


def test_get_user_account_data__weth_collateral_usdc_debt__matches_hand_computation(aave, aave_cfg, world, borrower):
    weth_cfg = aave_cfg.reserves["WETH"]
    collateral, borrowed = world.units("WETH", 7.5), world.units("USDC", 12_345)
    _supply(world, aave, borrower, "WETH", collateral)
    _borrow(world, aave, borrower, "USDC", borrowed)

    total_collateral, total_debt, available, threshold, ltv, hf = aave.pool.getUserAccountData(borrower)

    weth_price, usdc_price = world.feeds["WETH"].latestAnswer(), world.feeds["USDC"].latestAnswer()
    debt_usdc = int(aave.variable_debt_tokens["USDC"].balanceOf(borrower))  # borrowed plus any second of interest
    expected_collateral = collateral * weth_price // 10**18  # 1e8 USD
    expected_debt = debt_usdc * usdc_price // 10**6
    assert debt_usdc == pytest.approx(borrowed, rel=1e-9)
    assert total_collateral == expected_collateral == 7.5 * 3_200 * 10**8
    assert total_debt == expected_debt
    assert (ltv, threshold) == (weth_cfg.ltv_bps, weth_cfg.liquidation_threshold_bps)
    assert available == _percent_mul(expected_collateral, weth_cfg.ltv_bps) - expected_debt
    assert hf == _wad_div(_percent_mul(expected_collateral, weth_cfg.liquidation_threshold_bps), expected_debt)
    assert hf / 1e18 == pytest.approx(7.5 * 3_200 * 0.83 / 12_345, rel=1e-6)


def test_borrow__above_ltv__reverts(aave, world, borrower):
    _supply(world, aave, borrower, "WETH", world.units("WETH", 1))
    with reverts("36"):  # COLLATERAL_CANNOT_COVER_NEW_BORROW: 1 WETH at $3,200 x 80% LTV < $2,600
        _borrow(world, aave, borrower, "USDC", world.units("USDC", 2_600))


def test_borrow__collateral_only_reserve__reverts(aave, world, borrower):
    _supply(world, aave, borrower, "WETH", world.units("WETH", 1))
    with reverts("30"):  # BORROWING_NOT_ENABLED
        _borrow(world, aave, borrower, "XAU", 1)


def test_liquidation_call__weth_feed_drops_12_percent__liquidator_repays_half_for_collateral_plus_bonus(
    aave, aave_cfg, world, deployer, borrower, liquidator
):
    usdc, weth = world.tokens["USDC"], world.tokens["WETH"]
    _supply(world, aave, borrower, "WETH", world.units("WETH", 10))
    _borrow(world, aave, borrower, "USDC", world.units("USDC", 24_000))  # 75% of $32,000: HF 1.107
    world.fund("USDC", liquidator, world.units("USDC", 24_000))
    usdc.approve(aave.pool, MAX_UINT, {"from": liquidator})
    with reverts("45"):  # HEALTH_FACTOR_NOT_BELOW_THRESHOLD
        aave.pool.liquidationCall(weth, usdc, borrower, MAX_UINT, False, {"from": liquidator})

    world.feeds["WETH"].submit(2_816 * 10**8, {"from": deployer})  # -12%: HF 0.974, between 0.95 and 1
    hf_before = aave.pool.getUserAccountData(borrower)[5]
    debt_before = int(aave.variable_debt_tokens["USDC"].balanceOf(borrower))
    assert 0.95e18 < hf_before < 1e18
    aave.pool.liquidationCall(weth, usdc, borrower, MAX_UINT, False, {"from": liquidator})

    repaid = world.units("USDC", 24_000) - int(usdc.balanceOf(liquidator))
    seized = int(weth.balanceOf(liquidator))
    bonus = aave_cfg.reserves["WETH"].liquidation_bonus_bps / 10_000
    assert repaid == pytest.approx(debt_before / 2, rel=1e-6)  # close factor 50% above HF 0.95
    assert seized / 1e18 == pytest.approx(repaid / 1e6 * 1.0 / 2_816 * bonus, rel=1e-6)
    assert int(aave.variable_debt_tokens["USDC"].balanceOf(borrower)) == pytest.approx(debt_before / 2, rel=1e-6)
    assert aave.pool.getUserAccountData(borrower)[5] > hf_before
