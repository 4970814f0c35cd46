"""Holder fees: the management fee streamed per year and the performance fee over the share price's high-water mark,
minted as shares to the fee recipient before every deposit, exit and rebalance; bounded, set by governance only;
previews that count the fees due now. Expected amounts come from tests/helpers/fee_model.py, to the wei."""

from __future__ import annotations

from dataclasses import replace

import brownie
import pytest
from brownie import PreviewProbe, chain  # type: ignore[attr-defined]

from scripts.deploy_vault import fee_view
from tests.helpers.fee_model import FeeState, accrue
from tests.helpers.vault import deadline, plan_trades, rebalance_params, refresh_feeds, reverts_with

USDC = 10**6
DAY = 86_400
YEAR = 365 * DAY
FEE_RECIPIENT = "0x000000000000000000000000000000000000fEe1"
MANAGEMENT_BPS = 200
PERFORMANCE_BPS = 2_000


def sleep_days(days: float, mini, deployer) -> None:
    chain.sleep(int(days * DAY))
    chain.mine()
    refresh_feeds(mini.feeds, deployer)


def set_price(mini, deployer, symbol: str, factor: float) -> None:
    feed = mini.feeds[symbol]
    feed.submit(int(feed.latestRoundData()[1] * factor), {"from": deployer})


def model_state(vault) -> FeeState:
    s = vault.feeState()
    return FeeState(s["managementFeeBps"], s["performanceFeeBps"], s["highWaterMarkWad"], s["lastAccrualAt"])


def performance_shares(tx) -> int:
    """Performance fee shares minted in ``tx`` (no event: nothing minted, e.g. no time passed and no gain)."""
    return tx.events["FeesAccrued"]["performanceFeeShares"] if "FeesAccrued" in tx.events else 0


def check_accrual(vault, tx, before: FeeState, nav: int, supply: int, *, priced: bool = True, rates=None) -> None:
    """The accrual in ``tx`` minted what the model says for (NAV, supply, block time), and left its state (with
    ``rates`` set after it, for a fee setter)."""
    want = accrue(before, nav, supply, tx.timestamp, priced=priced)
    ev = tx.events["FeesAccrued"]
    assert (ev["managementFeeShares"], ev["performanceFeeShares"]) == (want.management_shares, want.performance_shares)
    assert ev["highWaterMarkWad"] == want.state.mark_wad
    after = want.state if rates is None else replace(want.state, management_bps=rates[0], performance_bps=rates[1])
    assert model_state(vault) == after


@pytest.fixture
def charging(invested, gov):
    """`invested` with 2% a year and 20% of the gain going to FEE_RECIPIENT (per test: `invested` stays fee-free)."""
    invested.setFeeRecipient(FEE_RECIPIENT, {"from": gov})
    invested.setFees(MANAGEMENT_BPS, PERFORMANCE_BPS, {"from": gov})
    return invested


# --------------------------------------------------------------------------------------------------------------
# Governance, bounds
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "keeper", "guardian", "alice"])
def test_set_fees__not_governance__reverts(invested, who, request):
    caller = request.getfixturevalue(who)
    with reverts_with("AccessControlUnauthorizedAccount"):
        invested.setFees(100, 1000, {"from": caller})
    with reverts_with("AccessControlUnauthorizedAccount"):
        invested.setFeeRecipient(caller, {"from": caller})


def test_set_fees__at_bounds__applies_and_emits(invested, gov):
    invested.setFeeRecipient(FEE_RECIPIENT, {"from": gov})
    tx = invested.setFees(500, 3000, {"from": gov})
    assert tx.events["FeesUpdated"]["managementFeeBps"] == 500
    assert tx.events["FeesUpdated"]["performanceFeeBps"] == 3000
    s = invested.feeState()
    assert (s["recipient"], s["managementFeeBps"], s["performanceFeeBps"]) == (FEE_RECIPIENT, 500, 3000)
    assert invested.MAX_MANAGEMENT_FEE_BPS() == 500 and invested.MAX_PERFORMANCE_FEE_BPS() == 3000


def test_set_fees__management_above_bound__reverts_named(invested, gov):
    invested.setFeeRecipient(FEE_RECIPIENT, {"from": gov})
    with reverts_with("RiskParityVaultManagementFeeTooHigh"):
        invested.setFees(501, 0, {"from": gov})


def test_set_fees__performance_above_bound__reverts_named(invested, gov):
    invested.setFeeRecipient(FEE_RECIPIENT, {"from": gov})
    with reverts_with("RiskParityVaultPerformanceFeeTooHigh"):
        invested.setFees(0, 3001, {"from": gov})


def test_set_fees__no_recipient__reverts(invested, gov):
    with reverts_with("RiskParityVaultNoFeeRecipient"):
        invested.setFees(100, 0, {"from": gov})


def test_set_fee_recipient__zero_while_charging__reverts(charging, gov):
    with reverts_with("RiskParityVaultNoFeeRecipient"):
        charging.setFeeRecipient("0x0000000000000000000000000000000000000000", {"from": gov})


def test_set_fee_recipient__accrues_to_the_old_recipient_first(charging, gov, bob, mini, deployer):
    sleep_days(30, mini, deployer)
    tx = charging.setFeeRecipient(bob, {"from": gov})
    assert tx.events["FeesAccrued"]["recipient"] == FEE_RECIPIENT
    assert tx.events["FeeRecipientUpdated"]["newRecipient"] == bob
    assert charging.balanceOf(FEE_RECIPIENT) == tx.events["FeesAccrued"]["managementFeeShares"] > 0


def test_set_fees__accrues_at_the_old_rate_first(charging, gov, mini, deployer):
    before = model_state(charging)
    nav, supply = charging.totalAssets(), charging.totalSupply()
    sleep_days(60, mini, deployer)
    nav = charging.totalAssets()
    set_price(mini, deployer, "WBTC", 1.1)
    nav = charging.totalAssets()
    tx = charging.setFees(0, 0, {"from": gov})
    check_accrual(charging, tx, before, nav, supply, rates=(0, 0))
    assert tx.events["FeesAccrued"]["performanceFeeShares"] > 0
    # Off: time passes, nothing more accrues.
    minted = charging.totalSupply()
    sleep_days(60, mini, deployer)
    tx = charging.accrueFees({"from": gov})
    assert "FeesAccrued" not in tx.events and charging.totalSupply() == minted


def test_turning_fees_on__charges_nothing_for_the_time_and_gains_before(invested, gov, mini, deployer):
    sleep_days(200, mini, deployer)
    set_price(mini, deployer, "WBTC", 1.5)
    invested.setFeeRecipient(FEE_RECIPIENT, {"from": gov})
    invested.setFees(MANAGEMENT_BPS, PERFORMANCE_BPS, {"from": gov})
    assert [int(x) for x in invested.pendingFeeShares()] == [0, 0]
    assert invested.balanceOf(FEE_RECIPIENT) == 0


# --------------------------------------------------------------------------------------------------------------
# Accrual before every entry, exit and rebalance
# --------------------------------------------------------------------------------------------------------------


def _deposit(vault, alice, bob, keeper, base):
    return vault.deposit(1_000 * USDC, alice, {"from": alice})


def _mint(vault, alice, bob, keeper, base):
    return vault.mint(10**15, alice, {"from": alice})


def _withdraw(vault, alice, bob, keeper, base):
    return vault.withdraw(1_000 * USDC, bob, bob, {"from": bob})


def _redeem(vault, alice, bob, keeper, base):
    return vault.redeem(10**15, bob, bob, {"from": bob})


def _redeem_in_kind(vault, alice, bob, keeper, base):
    return vault.redeemInKind(10**15, bob, bob, {"from": bob})


def _redeem_in_kind_skipping(vault, alice, bob, keeper, base):
    return vault.redeemInKindSkipping(10**15, bob, bob, [vault.assets()[2][0]], {"from": bob})


def _redeem_with_swap(vault, alice, bob, keeper, base):
    return vault.redeemWithSwap(10**15, bob, bob, 0, deadline(), {"from": bob})


def _rebalance(vault, alice, bob, keeper, base):
    # Back toward the base: `invested` bought the assets, so their pools sit above the oracle prices.
    targets = [5500, 2250, 2250]
    return vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})


def _rebalance_with_lending(vault, alice, bob, keeper, base):
    targets = [5500, 2250, 2250]
    return vault.rebalanceWithLending(
        rebalance_params(vault, targets, plan_trades(vault, targets)), [], {"from": keeper}
    )


PATHS = {
    "deposit": (_deposit, "Deposit"),
    "mint": (_mint, "Deposit"),
    "withdraw": (_withdraw, "Withdraw"),
    "redeem": (_redeem, "Withdraw"),
    "redeemInKind": (_redeem_in_kind, "RedeemedInKind"),
    "redeemInKindSkipping": (_redeem_in_kind_skipping, "RedeemedInKind"),
    "redeemWithSwap": (_redeem_with_swap, "Withdraw"),
    "rebalance": (_rebalance, "Rebalanced"),
    "rebalanceWithLending": (_rebalance_with_lending, "Rebalanced"),
}


@pytest.mark.parametrize("path", PATHS)
def test_every_entry_exit_and_rebalance__accrues_first__as_the_model(
    charging, path, alice, bob, keeper, base, mini, deployer
):
    vault = charging
    sleep_days(30, mini, deployer)
    # A gain over the mark that moves no oracle (a rebalance then trades at pool prices that still match them).
    mini.fund("USDC", vault, 3_000 * USDC)
    before = model_state(vault)
    nav, supply = vault.totalAssets(), vault.totalSupply()
    fn, event = PATHS[path]
    tx = fn(vault, alice, bob, keeper, base)
    if path in ("deposit", "mint"):
        # Entries price (and accrue) at NAV rounded up: at most a unit per asset above totalAssets().
        priced = tx.events["FeesAccrued"]["navBaseUnits"]
        assert nav <= priced <= nav + len(vault.assets())
        nav = priced
    check_accrual(vault, tx, before, nav, supply)
    ev = tx.events["FeesAccrued"]
    assert ev["managementFeeShares"] > 0 and ev["performanceFeeShares"] > 0
    assert vault.balanceOf(FEE_RECIPIENT) == ev["managementFeeShares"] + ev["performanceFeeShares"]
    # Before the path's own mint, burn or trades.
    names = [e.name for e in tx.events]
    assert names.index("FeesAccrued") < names.index(event)


def test_accrue_fees__anyone__mints_to_the_recipient(charging, mallory, mini, deployer):
    sleep_days(10, mini, deployer)
    tx = charging.accrueFees({"from": mallory})
    assert charging.balanceOf(FEE_RECIPIENT) == tx.events["FeesAccrued"]["managementFeeShares"] > 0
    assert charging.balanceOf(mallory) == 0


def test_redeem_in_kind__oracle_broken__accrues_the_management_fee_only(charging, bob, mini, deployer):
    vault = charging
    sleep_days(30, mini, deployer)
    set_price(mini, deployer, "WBTC", 1.3)
    before = model_state(vault)
    supply = vault.totalSupply()
    mini.feeds["WBTC"].submit(-1, {"from": deployer})
    with brownie.reverts(revert_pattern=r"OracleReader.*"):
        vault.accrueFees({"from": bob})
    tx = vault.redeemInKind(10**15, bob, bob, {"from": bob})
    check_accrual(vault, tx, before, 0, supply, priced=False)
    ev = tx.events["FeesAccrued"]
    assert ev["performanceFeeShares"] == 0 and ev["navBaseUnits"] == 0 and ev["managementFeeShares"] > 0


# --------------------------------------------------------------------------------------------------------------
# High-water mark
# --------------------------------------------------------------------------------------------------------------


def test_high_water_mark__below_the_mark__no_performance_fee_and_the_mark_stays(charging, alice, mini, deployer):
    vault = charging
    set_price(mini, deployer, "WBTC", 1.4)
    vault.accrueFees({"from": alice})
    mark = vault.feeState()["highWaterMarkWad"]
    set_price(mini, deployer, "WBTC", 0.7)  # below the mark
    sleep_days(1, mini, deployer)
    tx = vault.accrueFees({"from": alice})
    assert tx.events["FeesAccrued"]["managementFeeShares"] > 0 and performance_shares(tx) == 0
    assert vault.feeState()["highWaterMarkWad"] == mark
    set_price(mini, deployer, "WBTC", 1.2)  # up again, still below the old high
    tx = vault.accrueFees({"from": alice})
    assert performance_shares(tx) == 0
    assert vault.feeState()["highWaterMarkWad"] == mark


def test_high_water_mark__above_the_mark__charges_the_gain_over_it_and_moves_up(charging, alice, mini, deployer):
    vault = charging
    set_price(mini, deployer, "WBTC", 0.8)
    vault.accrueFees({"from": alice})
    mark = vault.feeState()["highWaterMarkWad"]
    set_price(mini, deployer, "WBTC", 1.5)
    before = model_state(vault)
    nav, supply = vault.totalAssets(), vault.totalSupply()
    tx = vault.accrueFees({"from": alice})
    check_accrual(vault, tx, before, nav, supply)
    assert tx.events["FeesAccrued"]["performanceFeeShares"] > 0
    assert vault.feeState()["highWaterMarkWad"] > mark
    # After the fee the price is the new mark: a second accrual charges no performance fee.
    tx = vault.accrueFees({"from": alice})
    assert performance_shares(tx) == 0


# --------------------------------------------------------------------------------------------------------------
# Previews count the pending fees
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def probe(charging, mini, deployer, base):
    """A PreviewProbe holding 20k USDC and (unlocked) shares bought with 10k of them."""
    p = PreviewProbe.deploy({"from": deployer})
    mini.fund("USDC", p, 20_000 * USDC)
    p.deposit(charging, 10_000 * USDC, {"from": deployer})
    chain.sleep(3_601)
    chain.mine()
    refresh_feeds(mini.feeds, deployer)
    return p


@pytest.mark.parametrize(
    "call,amount",
    [
        ("deposit", 1_234 * USDC),
        ("mint", 10**15 + 7),
        ("withdraw", 777 * USDC),
        ("redeem", 10**15 + 3),
        ("redeemMax", 0),
    ],
)
def test_preview__with_fees_pending__equals_the_call_in_the_same_block(charging, probe, call, amount, mini, deployer):
    vault = charging
    sleep_days(45, mini, deployer)
    set_price(mini, deployer, "WBTC", 1.25)
    m, p = vault.pendingFeeShares()
    assert m > 0 and p > 0
    args = (vault,) if call == "redeemMax" else (vault, amount)
    tx = getattr(probe, call)(*args, {"from": deployer})
    ev = tx.events["Compared"]
    assert ev["preview"] == ev["result"]
    assert tx.events["FeesAccrued"]["managementFeeShares"] > 0


def test_convert_to_assets__counts_pending_fee_shares(charging, mini, deployer):
    vault = charging
    sleep_days(90, mini, deployer)
    m, p = vault.pendingFeeShares()
    nav, supply = vault.totalAssets(), vault.totalSupply()
    shares = 10**18
    assert vault.convertToAssets(shares) == shares * (nav + 1) // (supply + m + p + 10**6)
    assert vault.convertToAssets(shares) < shares * (nav + 1) // (supply + 10**6)


# --------------------------------------------------------------------------------------------------------------
# The reference model over a year
# --------------------------------------------------------------------------------------------------------------

# (hours since the last step, WBTC price factor, NRT price factor): a year in 41 steps, hourly clusters and long
# gaps, up and down through the mark.
YEAR_STEPS: list[tuple[int, float, float]] = (
    [(1, 1.002, 0.999)] * 6
    + [(24 * 7, 1.05, 1.01), (24 * 14, 0.9, 1.02), (24 * 30, 0.95, 0.97), (24 * 30, 1.2, 1.05)]
    + [(1, 0.998, 1.001)] * 6
    + [(24 * 45, 1.1, 0.9), (24 * 20, 0.85, 1.0), (24 * 31, 1.3, 1.1), (3, 1.0, 1.0), (24 * 60, 0.92, 0.95)]
    + [(1, 1.01, 1.0)] * 6
    + [(24 * 25, 1.07, 1.04), (24 * 10, 1.0, 1.0), (24 * 40, 0.97, 1.08), (24 * 15, 1.04, 0.98), (24 * 13, 1.02, 1.0)]
    + [(2, 1.0, 1.001)] * 6
    + [(24 * 8, 1.01, 1.01)] * 2
    + [(24 * 8, 1.0, 1.02)]
)


def test_reference_model__a_year_of_accruals__matches_to_the_wei(charging, alice, mini, deployer):
    vault = charging
    state = model_state(vault)
    hours = 0
    for step_hours, wbtc, nrt in YEAR_STEPS:
        hours += step_hours
        chain.sleep(step_hours * 3600)
        chain.mine()
        set_price(mini, deployer, "WBTC", wbtc)
        set_price(mini, deployer, "NRT", nrt)
        refresh_feeds({"USDC": mini.feeds["USDC"]}, deployer)
        nav, supply, minted = vault.totalAssets(), vault.totalSupply(), vault.balanceOf(FEE_RECIPIENT)
        tx = vault.accrueFees({"from": alice})
        want = accrue(state, nav, supply, tx.timestamp)
        assert vault.totalSupply() == supply + want.shares
        assert vault.balanceOf(FEE_RECIPIENT) == minted + want.shares
        assert model_state(vault) == want.state
        state = want.state
    assert hours >= 365 * 24


# --------------------------------------------------------------------------------------------------------------
# Lens
# --------------------------------------------------------------------------------------------------------------


def test_lens_fee_view__pending_and_minted__and_no_revert_on_a_bad_oracle(charging, alice, mini, deployer):
    vault = charging
    sleep_days(20, mini, deployer)
    vault.accrueFees({"from": alice})
    sleep_days(10, mini, deployer)
    state, pending_m, pending_p, held = fee_view(vault)
    assert [pending_m, pending_p] == [int(x) for x in vault.pendingFeeShares()] and pending_m > 0
    assert held == vault.balanceOf(FEE_RECIPIENT) > 0
    assert state[0] == FEE_RECIPIENT and state[3] == vault.feeState()["highWaterMarkWad"]
    mini.feeds["WBTC"].submit(-1, {"from": deployer})
    state, pending_m, pending_p, held = fee_view(vault)
    assert (pending_m, pending_p) == (0, 0) and held == vault.balanceOf(FEE_RECIPIENT)
