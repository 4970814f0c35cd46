"""Holder fees on the levered paths: a rebalance with lending actions and the public ripcord mint the fees due
first, at the oracle NAV (debt subtracted), as the reference model says."""

from __future__ import annotations

from tests.helpers.fee_model import FeeState, accrue
from tests.helpers.leverage import USDC, build_basket, lever_up, shock
from tests.helpers.vault import deadline, sleep_and_refresh

FEE_RECIPIENT = "0x000000000000000000000000000000000000fEe1"
RISKY = ["WBTC", "WETH", "LINK", "XAU", "TBILL"]


def _charge(vault, gov) -> None:
    vault.setFeeRecipient(FEE_RECIPIENT, {"from": gov})
    vault.setFees(200, 2_000, {"from": gov})


def _state(vault) -> FeeState:
    s = vault.feeState()
    return FeeState(s["managementFeeBps"], s["performanceFeeBps"], s["highWaterMarkWad"], s["lastAccrualAt"])


def _check_first(vault, tx, before: FeeState, nav: int, supply: int, event: str) -> None:
    """The model at the NAV the accrual priced (Aave's interest moves it between the read and the block by a few
    units at most), to the wei."""
    ev = tx.events["FeesAccrued"]
    assert abs(ev["navBaseUnits"] - nav) <= nav // 10**7
    want = accrue(before, ev["navBaseUnits"], supply, tx.timestamp)
    assert (ev["managementFeeShares"], ev["performanceFeeShares"]) == (want.management_shares, want.performance_shares)
    assert ev["managementFeeShares"] > 0 and _state(vault) == want.state
    names = [e.name for e in tx.events]
    assert names.index("FeesAccrued") < names.index(event)


def test_rebalance_with_lending__fees_on__accrues_first_at_the_net_nav(seeded, world, keeper, gov):
    vault = seeded
    build_basket(world, vault, keeper)
    _charge(vault, gov)
    sleep_and_refresh(7 * 86_400, world.feeds, world.deployer)
    before, nav, supply = _state(vault), vault.totalAssets(), vault.totalSupply()
    tx = lever_up(world, vault, keeper, 50_000 * USDC)
    _check_first(vault, tx, before, nav, supply, "LendingActionExecuted")


def test_deleverage__fees_on__accrues_first(seeded, world, keeper, gov, mallory):
    vault = seeded
    build_basket(world, vault, keeper)
    lever_up(world, vault, keeper, 122_000 * USDC)
    _charge(vault, gov)
    sleep_and_refresh(86_400, world.feeds, world.deployer)
    shock(world, RISKY, 0.7)
    before, nav, supply = _state(vault), vault.totalAssets(), vault.totalSupply()
    amount = world.units("TBILL", 25_000 / world.feed_price("TBILL"))
    tx = vault.deleverage(world.tokens["TBILL"], amount, deadline(), {"from": mallory})
    _check_first(vault, tx, before, nav, supply, "Deleveraged")
