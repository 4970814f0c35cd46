"""The vault levered on the world's Aave V3 market: lever up and down through the keeper's rebalance, NAV net of
debt, the health-factor and leverage post-conditions, a 30% shock and the public ripcord, every exit path while
levered (each repays its pro-rata share of the debt and takes no more than its share; `redeemWithSwap` at any
size in one transaction through an Aave flash loan), and the manager bounded in time (the forced-ripcord
attack). One module, so the world and its Aave market are deployed once per chain."""

from __future__ import annotations

import pytest
from brownie import chain  # type: ignore[attr-defined]

from scripts.deploy_vault import keeper_view
from tests.helpers.leverage import (
    BORROW,
    REPAY,
    SUPPLY,
    TARGETS,
    USDC,
    WAD,
    WITHDRAW,
    build_basket,
    held,
    lever_up,
    rebalance_params,
    share_price,
    shock,
    symbols,
    tokens,
)
from tests.helpers.vault import deadline, reverts_with, sleep_and_refresh

RISKY = ["WBTC", "WETH", "LINK", "XAU", "TBILL"]


@pytest.fixture(scope="module")
def levered(seeded, world, keeper):
    """200,000 USDC of NAV built into TARGETS, then 100,000 USDC borrowed into the basket (about 1.5x)."""
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 100_000 * USDC)
    sleep_and_refresh(3600, world.feeds, world.deployer)
    return vault


def _debt(vault) -> int:
    return keeper_view(vault)["debtBaseUnits"]


def _hf(vault) -> int:
    return keeper_view(vault)["healthFactorWad"]


# ---------------------------------------------------------------------------------------------------------------
# Lever up and down
# ---------------------------------------------------------------------------------------------------------------


def test_rebalance_with_lending__lever_up__nav_nets_debt_and_view_reports_position(levered, world, lending):
    vault = levered
    v = keeper_view(vault)
    assert v["lendingAdapter"] == lending.address
    assert 100_000 * USDC <= v["debtBaseUnits"] < 100_001 * USDC  # interest over the hour
    assert 1.5 * WAD < v["healthFactorWad"] < 2.5 * WAD
    # NAV = held + supplied - debt: what was deposited, less the swaps' fees (at most 2 x 1% of the flow).
    assert 194_000 * USDC < v["navBaseUnits"] < 200_000 * USDC
    collateral = v["collateral"]
    assert collateral[0] == 0 and all(c > 0 for c in collateral[1:])
    assert [int(x) for x in v["collateral"]] == [int(x) for x in lending.collateralBalances(tokens(vault))]
    assert v["leverage"][3] == 20_000  # maxLeverageBps from config
    # The first 15 fields keep their meaning: balances are what the vault itself holds.
    assert [int(b) for b in v["balances"]] == held(world, vault)


def test_rebalance_with_lending__lever_down__repays_from_sold_collateral(levered, world, keeper):
    vault = levered
    toks = tokens(vault)
    coll = keeper_view(vault)["collateral"]
    debt_before = _debt(vault)
    # Withdraw a fifth of every collateral (before the swaps), sell it, repay with the proceeds (after them).
    withdraws = [(WITHDRAW, toks[i], coll[i] // 5, False) for i in range(1, len(toks))]
    sells = [(toks[i], toks[0], coll[i] // 5, 0) for i in range(1, len(toks))]
    proceeds = sum(world.router.getAmountsOut(t[2], [t[0], t[1]])[1] for t in sells)
    # The base's share of the repay comes from idle base, so the composition holds while the basket shrinks.
    repay = proceeds * 10_000 // (10_000 - TARGETS[0]) - 10
    params = rebalance_params(vault, TARGETS, sells)
    vault.rebalanceWithLending(params, withdraws + [(REPAY, toks[0], repay, True)], {"from": keeper})
    assert debt_before - repay <= _debt(vault) < debt_before - repay + USDC
    assert keeper_view(vault)["healthFactorWad"] > 2 * WAD


def test_rebalance_with_lending__repay_above_debt__repays_the_debt_only(levered, world, keeper):
    vault = levered
    toks = tokens(vault)
    world.fund("USDC", vault, 150_000 * USDC)  # a donation: enough idle base to repay everything
    vault.rebalanceWithLending(rebalance_params(vault, TARGETS, []), [(REPAY, toks[0], 10**30, True)], {"from": keeper})
    assert _debt(vault) == 0
    assert _hf(vault) == 2**256 - 1


# ---------------------------------------------------------------------------------------------------------------
# Post-conditions
# ---------------------------------------------------------------------------------------------------------------


def test_rebalance__levered_after_price_drop__needs_lending_actions(levered, world, keeper):
    vault = levered
    shock(world, RISKY, 0.7)
    assert _hf(vault) < 1.5 * WAD
    with reverts_with("RiskParityVaultHealthFactorTooLow"):
        vault.rebalance(rebalance_params(vault, TARGETS, []), {"from": keeper})


def test_rebalance_with_lending__base_as_collateral__reverts(levered, world, keeper):
    vault = levered
    toks = tokens(vault)
    with reverts_with("RiskParityVaultInvalidLendingAction"):
        vault.rebalanceWithLending(
            rebalance_params(vault, TARGETS, []), [(SUPPLY, toks[0], USDC, True)], {"from": keeper}
        )
    with reverts_with("RiskParityVaultInvalidLendingAction"):
        vault.rebalanceWithLending(
            rebalance_params(vault, TARGETS, []), [(BORROW, toks[1], 1, False)], {"from": keeper}
        )


# ---------------------------------------------------------------------------------------------------------------
# Shock and ripcord
# ---------------------------------------------------------------------------------------------------------------


def test_shock__30_percent_at_1_5x__stays_above_ripcord(levered, world, mallory):
    vault = levered
    shock(world, RISKY, 0.7)
    hf = _hf(vault)
    ripcord = keeper_view(vault)["leverage"][2]
    assert ripcord < hf < 1.5 * WAD
    with reverts_with("RiskParityVaultHealthFactorNotBelowRipcord"):
        vault.deleverage(world.tokens["TBILL"], 10**6, deadline(), {"from": mallory})


# ---------------------------------------------------------------------------------------------------------------
# Exits while levered
# ---------------------------------------------------------------------------------------------------------------


def _supply(vault) -> int:
    return vault.totalSupply() + 10**6  # the vault's virtual shares


def _assert_debt_share(repaid: int, debt_before: int, shares: int, supply: int) -> None:
    """Rounded up against the redeemer; the debt read before the transaction may have accrued a little
    interest by the time it runs (Ganache mines each transaction at wall-clock time)."""
    assert -(-debt_before * shares // supply) <= repaid <= -(-(debt_before + debt_before // 10**5) * shares // supply)


def test_redeem__levered__repays_pro_rata_debt_and_keeps_share_price(levered, world, alice):
    vault = levered
    shares = vault.balanceOf(alice) // 20
    debt, supply, price = _debt(vault), _supply(vault), share_price(vault)
    expected_assets = vault.previewRedeem(shares)
    tx = vault.redeem(shares, alice, alice, {"from": alice})
    # The preview is of the block before the redeem's: Aave interest accrues in between (on Ganache, whose block
    # times follow the wall clock, by a wei or so), so the two agree to within a millionth, not to the wei.
    assert abs(tx.events["Withdraw"]["assets"] - expected_assets) <= expected_assets // 10**6
    repaid = tx.events["ExitDebtRepaid"]["debtBaseUnits"]
    _assert_debt_share(repaid, debt, shares, supply)
    assert _debt(vault) <= debt - repaid + debt // 10**5
    assert share_price(vault) >= price


def test_withdraw__levered__max_withdraw_is_honest(levered, world, alice):
    vault = levered
    most = vault.maxWithdraw(alice)
    assert 0 < most < vault.previewRedeem(vault.balanceOf(alice))
    price = share_price(vault)
    vault.withdraw(most, alice, alice, {"from": alice})
    assert share_price(vault) >= price
    with reverts_with("RiskParityVaultInsufficientIdle"):
        vault.withdraw(vault.maxWithdraw(alice) + 10 * USDC, alice, alice, {"from": alice})


def test_redeem_with_swap__levered__sells_collateral_and_repays_pro_rata(levered, world, alice):
    vault = levered
    shares = vault.balanceOf(alice) // 5
    debt, supply, price = _debt(vault), _supply(vault), share_price(vault)
    fair = vault.previewRedeem(shares)
    tx = vault.redeemWithSwap(shares, alice, alice, fair * 97 // 100, deadline(), {"from": alice})
    _assert_debt_share(tx.events["ExitDebtRepaid"]["debtBaseUnits"], debt, shares, supply)
    assert fair * 97 // 100 <= tx.return_value <= fair
    assert share_price(vault) >= price


def test_redeem_in_kind__levered__collateral_net_of_debt(levered, world, bob):
    vault = levered
    shares = vault.balanceOf(bob) // 5
    syms = symbols(world, vault)
    coll, debt, supply = keeper_view(vault)["collateral"], _debt(vault), _supply(vault)
    held_before = held(world, vault)
    base_slice = held_before[0] * shares // supply
    # The base slice does not cover this exit's debt share: Bob pays the difference (with a margin for interest).
    world.fund("USDC", bob, debt * shares // supply)
    world.base.approve(vault, debt * shares // supply, {"from": bob})
    before = {s: world.tokens[s].balanceOf(bob) for s in syms}
    price = share_price(vault)
    tx = vault.redeemInKind(shares, bob, bob, {"from": bob})
    debt_share = tx.events["ExitDebtRepaid"]["debtBaseUnits"]
    _assert_debt_share(debt_share, debt, shares, supply)
    top_up = max(0, debt_share - base_slice)
    assert top_up > 0
    amounts = tx.events["RedeemedInKind"]["amounts"]
    assert list(tx.return_value) == list(amounts)
    for i, s in enumerate(syms):
        got = world.tokens[s].balanceOf(bob) - before[s]
        if i == 0:
            assert amounts[0] == 0 and got == -top_up
        else:
            expected = held_before[i] * shares // supply + coll[i] * shares // supply
            assert got == amounts[i]
            assert expected <= got <= expected + expected // 10**5 + 1  # aTokens accrue interest too
    assert share_price(vault) >= price


def test_redeem_in_kind__levered_without_top_up_allowance__reverts(levered, world, bob):
    vault = levered
    with reverts_with("ERC20InsufficientAllowance"):
        vault.redeemInKind(vault.balanceOf(bob) // 5, bob, bob, {"from": bob})


def test_redeem_in_kind__levered_vault_oracle_stale__still_pays(levered, world, bob):
    vault = levered
    # Stale for the vault (heartbeat 4,500 s); Aave reads the same answers without an age check.
    chain.sleep(5_000)
    chain.mine()
    with reverts_with("OracleReaderStalePrice"):
        vault.totalAssets()
    world.fund("USDC", bob, 50_000 * USDC)
    world.base.approve(vault, 50_000 * USDC, {"from": bob})
    vault.redeemInKind(vault.balanceOf(bob) // 10, bob, bob, {"from": bob})


def test_exits__levered_all_holders_leave__debt_fully_repaid(levered, world, alice, bob):
    vault = levered
    for who in (alice, bob):
        world.fund("USDC", who, 200_000 * USDC)
        world.base.approve(vault, 200_000 * USDC, {"from": who})
        vault.redeemInKind(vault.balanceOf(who), who, who, {"from": who})
    # Only the virtual shares' part is left: dust.
    assert _debt(vault) < 10
    chain.mine()


# ---------------------------------------------------------------------------------------------------------------
# Levered exits in one transaction: `redeemWithSwap` repays the exit's debt share with an Aave V3 flash loan
# (`flashLoanSimple` on the real Pool) before it withdraws the collateral, so any size leaves at once, the last
# holder included (all of the collateral: far beyond the headroom the old collateral-first exit had), and the
# flash loan's premium is the exiting holder's cost, not the others'.
# ---------------------------------------------------------------------------------------------------------------


def test_redeem_with_swap__levered_whole_balance__one_transaction_repays_with_flash_loan(levered, alice):
    vault = levered
    shares = vault.balanceOf(alice)  # half the vault in one go
    debt = _debt(vault)
    price, fair = share_price(vault), vault.previewRedeem(shares)
    tx = vault.redeemWithSwap(shares, alice, alice, fair * 97 // 100, deadline(), {"from": alice})
    assert vault.balanceOf(alice) == 0
    assert tx.events["ExitDebtRepaid"]["debtBaseUnits"] * 2 >= debt  # half the shares, half the debt (rounded up)
    assert fair * 97 // 100 <= tx.return_value <= fair
    # The remaining holder is not worse off: the premium and the slippage are the exit's own.
    assert share_price(vault) >= price
    assert _hf(vault) >= 1.5 * WAD


def test_redeem_with_swap__levered_last_holder__leaves_everything_repaid(levered, alice, bob):
    vault = levered
    for who in (alice, bob):
        shares = vault.balanceOf(who)
        fair = vault.previewRedeem(shares)
        got = vault.redeemWithSwap(shares, who, who, fair * 97 // 100, deadline(), {"from": who}).return_value
        assert got >= fair * 97 // 100
    assert vault.totalSupply() == 0
    assert _debt(vault) == 0


def test_redeem_with_swap__levered_flash_exit__premium_paid_by_the_exit(levered, world, alice):
    vault = levered
    assert world.aave.pool.FLASHLOAN_PREMIUM_TOTAL() > 0
    price = share_price(vault)
    vault.redeemWithSwap(vault.balanceOf(alice) // 4, alice, alice, 0, deadline(), {"from": alice})
    assert share_price(vault) >= price


# ---------------------------------------------------------------------------------------------------------------
# A manager bounded in time: risk-increasing changes (a ripcord above a healthy position, a bigger reward, a
# shorter cooldown, a bigger trade, looser slippage) wait out the vault's risk timelock and the guardian can
# revoke them; risk-reducing ones apply at once. The review's forced-ripcord attack: holders lost 0.32% in 7 min.
# ---------------------------------------------------------------------------------------------------------------

# (min, target, ripcord, maxLeverageBps, rewardBps, cooldownSeconds, maxTradeBaseUnits)
FORCED_RIPCORD = (int(4.95 * WAD), int(5 * WAD), int(4.9 * WAD), 20_000, 100, 60, 2**128 - 1)
LOOSE_SLIPPAGE = (500, 50, 5_000, 3_600)


def test_manager__forced_ripcord_on_healthy_vault__refused_without_timelock(levered, world, manager, mallory):
    vault = levered
    assert 1.5 * WAD < _hf(vault) < 4.9 * WAD
    with reverts_with("RiskParityVaultChangeNotSubmitted"):
        vault.setLeverageParams(FORCED_RIPCORD, {"from": manager})
    with reverts_with("RiskParityVaultChangeNotSubmitted"):
        vault.setThresholds(LOOSE_SLIPPAGE, {"from": manager})
    amount = world.units("TBILL", 25_000 / world.feed_price("TBILL"))
    with reverts_with("RiskParityVaultHealthFactorNotBelowRipcord"):
        vault.deleverage(world.tokens["TBILL"], amount, deadline(), {"from": mallory})


def test_manager__submitted_forced_ripcord__guardian_revokes_it_in_time(levered, world, manager, guardian):
    vault = levered
    data = vault.setLeverageParams.encode_input(FORCED_RIPCORD)
    tx = vault.submit(data, {"from": manager})
    at = tx.events["ChangeSubmitted"]["executableAt"]
    assert at == tx.timestamp + vault.timelockSeconds() and vault.executableAt(data) == at
    with reverts_with("RiskParityVaultChangeTimelocked"):
        vault.setLeverageParams(FORCED_RIPCORD, {"from": manager})
    vault.revoke(data, {"from": guardian})
    sleep_and_refresh(vault.timelockSeconds() + 1, world.feeds, world.deployer)
    with reverts_with("RiskParityVaultChangeNotSubmitted"):
        vault.setLeverageParams(FORCED_RIPCORD, {"from": manager})
    assert tuple(vault.leverageParams())[2] == int(1.25 * WAD)


def test_manager__submitted_change__applies_after_timelock_once(levered, world, manager):
    vault = levered
    data = vault.setThresholds.encode_input(LOOSE_SLIPPAGE)
    vault.submit(data, {"from": manager})
    sleep_and_refresh(vault.timelockSeconds() + 1, world.feeds, world.deployer)
    tx = vault.setThresholds(LOOSE_SLIPPAGE, {"from": manager})
    assert "ChangeAccepted" in tx.events and tuple(vault.thresholds()) == LOOSE_SLIPPAGE
    assert vault.executableAt(data) == 0  # consumed: the same change cannot be replayed later


def test_manager__lowers_risk__applies_at_once(levered, manager):
    vault = levered
    safer = (int(1.6 * WAD), int(1.9 * WAD), int(1.25 * WAD), 15_000, 25, 1_200, 50_000 * USDC)
    tx = vault.setLeverageParams(safer, {"from": manager})
    assert "ChangeAccepted" not in tx.events and tuple(vault.leverageParams()) == safer
    tighter = (50, 25, 2_500, 7_200)
    vault.setThresholds(tighter, {"from": manager})
    assert tuple(vault.thresholds()) == tighter


def test_revoke__not_guardian__reverts(levered, manager, mallory):
    vault = levered
    data = vault.setThresholds.encode_input(LOOSE_SLIPPAGE)
    vault.submit(data, {"from": manager})
    with reverts_with("AccessControlUnauthorizedAccount"):
        vault.revoke(data, {"from": mallory})
