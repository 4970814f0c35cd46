"""The vault's own risk model (issue 12): the permissionless poke and its exponentially weighted covariance
(checked against the Python reference model to the unit), the risk guardrail on rebalances, the DEX-vs-oracle
circuit breaker and the trigger view, on the unit tests' small world (USDC, WBTC, a no-return 18-decimal token)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brownie import accounts, chain  # type: ignore[attr-defined]

from tests.helpers.covariance import CovarianceModel, annual_vol, float_covariance, index, risk_contributions
from tests.helpers.risk import (
    HOUR,
    feed_usd,
    random_walk_step,
    refresh_all,
    seed_covariance,
    set_price,
    unit_risk_config,
)
from tests.helpers.vault import (
    MINI_ASSETS,
    MINI_BASE,
    deadline,
    mini_vault_config,
    plain,
    plan_trades,
    rebalance_params,
    reverts_with,
    values_base_units,
)

VOLS = {"WBTC": 0.6, "NRT": 0.9}
WAD = 10**18


@pytest.fixture(scope="module")
def vault_cfg():
    return mini_vault_config(MINI_ASSETS, MINI_BASE, risk=unit_risk_config())


@pytest.fixture(scope="module")
def alice_in(mini, vault, base, alice):
    mini.fund("USDC", alice, 50_000 * 10**6)
    base.approve(vault, 2**256 - 1, {"from": alice})
    vault.deposit(50_000 * 10**6, alice, {"from": alice})
    return vault


@pytest.fixture(scope="module")
def invested(mini, alice_in, keeper, trader):
    """Alice's 50k invested at about equal risk (60/40 of the risky sleeve for 60%/90% vols), then four hourly
    market steps each poked: the guardrail is active (3 returns needed)."""
    vault = alice_in
    targets = [2_000, 4_800, 3_200]
    vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})
    seed_covariance(mini, vault, VOLS, 4, trader)
    return vault


def _poked(vault, tx) -> bool:
    """Whether ``tx`` (a poke) updated the model: brownie has no return value without a trace."""
    return vault.riskState()[0] == tx.timestamp


def _send_rebalance(vault, targets, keeper, fraction=1.0):
    return vault.rebalance(
        rebalance_params(vault, targets, plan_trades(vault, targets, fraction=fraction)), {"from": keeper}
    )


# ------------------------------------------------------------------------------------------------------ poke


def test_poke__anyone__at_most_once_per_interval(mini, vault):
    mallory = accounts[7]
    first = vault.poke({"from": mallory})
    assert plain(vault.riskState()) == [first.timestamp, 0, False]
    assert vault.poke.call({"from": mallory}) is False
    again = vault.poke({"from": mallory})
    assert "CovariancePoked" not in again.events
    chain.sleep(HOUR)
    chain.mine()
    refresh_all(mini)
    assert vault.poke.call({"from": mallory}) is True
    later = vault.poke({"from": mallory})
    assert later.events["CovariancePoked"]["observations"] == 1
    assert plain(vault.riskState())[:2] == [later.timestamp, 1]


def test_poke__covariance__matches_the_reference_model_to_the_unit(mini, vault, trader):
    cfg = unit_risk_config()
    model = CovarianceModel(cfg.half_life_s, cfg.poke_interval_s)
    rng = np.random.default_rng(11)
    symbols = [MINI_BASE.symbol, *[a.symbol for a in MINI_ASSETS]]
    times, answers = [], []

    def poke_both():
        tx = vault.poke({"from": trader})
        row = [int(mini.feeds[s].latestRoundData()[1]) for s in symbols]
        poked = _poked(vault, tx)
        assert poked is model.poke(tx.timestamp, row)
        if poked:
            times.append(tx.timestamp)
            answers.append(row)

    poke_both()
    # Irregular spacing, one poke too early (refused by both), a long gap.
    for dt in (HOUR, 5_000, 1_800, HOUR + 1, 2 * HOUR, 10_000, HOUR):
        random_walk_step(mini, VOLS, dt, rng, trader)
        poke_both()
    cov = plain(vault.covariancePerSecond())
    assert model.observations == 6
    assert cov == model.cov
    # The integers compute the intended quantity: the float model agrees to 1e-9.
    exact = float_covariance(times, answers, cfg.half_life_s)
    for i in range(2):
        for j in range(2):
            assert cov[index(i, j)] / 1e22 == pytest.approx(exact[i][j], rel=1e-9, abs=1e-30)
    vols, _, _ = vault.riskContributions()
    for i in range(2):
        assert vols[i + 1] / WAD == pytest.approx(annual_vol(model.cov, i), rel=1e-9)


# ------------------------------------------------------------------------------------------------- settings


def test_set_risk_params__governance_only_and_bounded(vault, gov, alice):
    good = unit_risk_config(band_bps=800).params()
    with reverts_with("AccessControlUnauthorizedAccount"):
        vault.setRiskParams(good, {"from": alice})
    with reverts_with("RiskParityVaultThresholdOutOfBounds"):
        vault.setRiskParams(unit_risk_config(half_life_s=60).params(), {"from": gov})
    with reverts_with("RiskParityVaultThresholdOutOfBounds"):
        vault.setRiskParams(unit_risk_config(band_bps=5_001).params(), {"from": gov})
    tx = vault.setRiskParams(good, {"from": gov})
    assert "RiskParamsUpdated" in tx.events
    assert plain(vault.riskParams()) == list(good)


def test_set_twap_pair__pair_not_against_the_base__reverts(mini, vault, gov):
    wbtc, nrt = mini.tokens["WBTC"], mini.tokens["NRT"]
    nrt_pair = vault.twapPair(nrt)
    with reverts_with("RiskParityVaultInvalidTwapPair"):
        vault.setTwapPair(wbtc, nrt_pair, {"from": gov})
    with reverts_with("RiskParityVaultInvalidTwapPair"):
        vault.setTwapPair(mini.base, nrt_pair, {"from": gov})
    vault.setTwapPair(wbtc, "0x0000000000000000000000000000000000000000", {"from": gov})
    assert vault.twapPair(wbtc) == "0x0000000000000000000000000000000000000000"


# ------------------------------------------------------------------------------------------------- guardrail


def test_guardrail__before_min_observations__inactive_and_concentration_passes(alice_in, keeper):
    vault = alice_in
    assert vault.riskState()[2] is False
    tx = _send_rebalance(vault, [1_000, 500, 8_500], keeper, fraction=0.5)
    assert "RiskGuardrailChecked" not in tx.events


def test_guardrail__concentrating_targets__refused(invested, keeper):
    assert invested.riskState()[2] is True
    targets = [1_000, 500, 8_500]
    with reverts_with("RiskParityVaultTargetsOffBudget"):
        _send_rebalance(invested, targets, keeper, fraction=0.3)


def test_guardrail__lending_entry__refuses_the_same_targets(invested, keeper):
    targets = [1_000, 500, 8_500]
    params = rebalance_params(invested, targets, plan_trades(invested, targets, fraction=0.3))
    with reverts_with("RiskParityVaultTargetsOffBudget"):
        invested.rebalanceWithLending(params, [], {"from": keeper})


def test_guardrail__parity_targets_under_the_onchain_covariance__pass(invested, keeper):
    cov = plain(invested.covariancePerSecond())
    inv_vol = [1 / math.sqrt(cov[index(i, i)]) for i in range(2)]
    risky = 8_000
    w = [round(risky * v / sum(inv_vol)) for v in inv_vol]
    targets = [10_000 - sum(w), *w]
    tx = _send_rebalance(invested, targets, keeper)
    ev = tx.events["RiskGuardrailChecked"]
    assert ev["gapAfterWad"] <= max(ev["gapBeforeWad"], ev["bandWad"])
    assert ev["bandWad"] == 1_000 * 10**14
    # The vault's own risk contributions agree with the reference formula over its holdings.
    _, values, _ = values_base_units(invested)
    weights = [v / sum(values) for v in values[1:]]
    expected = risk_contributions(cov, weights)
    _, rcs, gap = invested.riskContributions()
    for i in range(2):
        assert rcs[i + 1] / WAD == pytest.approx(expected[i], abs=1e-4)
    assert gap / WAD == pytest.approx(max(abs(expected[i] - 0.5) for i in range(2)), abs=1e-4)


def _share_for_rc(cov, rc_wbtc: float) -> float:
    """WBTC's share of the risky sleeve at which its risk contribution is ``rc_wbtc`` (bisection; RC rises with
    the share)."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if risk_contributions(cov, [mid, 1 - mid])[0] < rc_wbtc:
            lo = mid
        else:
            hi = mid
    return lo


def _weights_bps(share: float) -> list[int]:
    wbtc = round(8_000 * share)
    return [2_000, wbtc, 8_000 - wbtc]


def test_guardrail__trades_overshoot_honest_targets__refused(mini, invested, keeper):
    """Targets inside the band, trades that go past them (the distance to the targets still shrinks): the gap
    after is past both the gap before and the band."""
    vault = invested
    cov = plain(vault.covariancePerSecond())
    below, target = _share_for_rc(cov, 0.45), _share_for_rc(cov, 0.59)
    over = target + 0.8 * (target - below)
    assert risk_contributions(cov, [over, 1 - over])[0] - 0.5 > 0.11  # the overshoot's RC is out of the band
    _send_rebalance(vault, _weights_bps(below), keeper)
    # An hour with unchanged prices: the rebalance's poke adds a zero return, which scales the covariance and
    # leaves every risk contribution as it was.
    chain.sleep(HOUR)
    chain.mine()
    refresh_all(mini)
    trades = plan_trades(vault, _weights_bps(over))
    with reverts_with("RiskParityVaultRiskGapGrew"):
        vault.rebalance(rebalance_params(vault, _weights_bps(target), trades), {"from": keeper})


def test_should_rebalance__reports_the_gap_against_the_trigger(invested, gov, keeper):
    needed, gap, trigger = invested.shouldRebalance()
    assert trigger == 500 * 10**14
    assert gap == invested.riskContributions()[2]
    assert needed == (gap > trigger)
    # Pushing the vault off parity by price alone (NRT doubles) makes it needed.
    invested.setRebalancesPaused(True, {"from": gov})
    assert invested.shouldRebalance()[0] is False


# ------------------------------------------------------------------------------------------------- breaker


def test_breaker__pool_pushed__stops_deposits_swap_exits_rebalances__in_kind_works__recovers(
    mini, invested, base, alice, keeper, trader
):
    vault = invested
    nrt = feed_usd(mini, "NRT")
    from tests.helpers.risk import trade_pool_to

    trade_pool_to(mini, "NRT", nrt * 0.8, trader)
    chain.sleep(1_800)
    chain.mine()
    refresh_all(mini)
    token, divergence, tripped = vault.priceDivergence()
    assert tripped is True and token == mini.tokens["NRT"] and divergence > 500
    mini.fund("USDC", alice, 1_000 * 10**6)
    with reverts_with("RiskParityVaultPriceDivergence"):
        vault.deposit(1_000 * 10**6, alice, {"from": alice})
    shares = vault.balanceOf(alice) // 10
    with reverts_with("RiskParityVaultPriceDivergence"):
        vault.redeemWithSwap(shares, alice, alice, 0, deadline(), {"from": alice})
    with reverts_with("RiskParityVaultPriceDivergence"):
        _send_rebalance(vault, [2_000, 4_800, 3_200], keeper, fraction=0.2)
    before = mini.tokens["NRT"].balanceOf(alice)
    vault.redeemInKind(shares, alice, alice, {"from": alice})
    assert mini.tokens["NRT"].balanceOf(alice) > before
    # Arbitraged back; one poke records a clean checkpoint and a window later the TWAP agrees again.
    trade_pool_to(mini, "NRT", nrt, trader)
    chain.sleep(1_800)
    chain.mine()
    refresh_all(mini)
    assert _poked(vault, vault.poke({"from": trader}))
    chain.sleep(1_800)
    chain.mine()
    refresh_all(mini)
    assert vault.priceDivergence()[2] is False
    vault.deposit(1_000 * 10**6, alice, {"from": alice})


def test_breaker__feed_moved_alone__trips_and_recovers(mini, invested, base, alice, trader):
    vault = invested
    nrt = feed_usd(mini, "NRT")
    mini.fund("USDC", alice, 2_000 * 10**6)
    set_price(mini, "NRT", nrt * 1.08, trader, pool=False)
    with reverts_with("RiskParityVaultPriceDivergence"):
        vault.deposit(1_000 * 10**6, alice, {"from": alice})
    set_price(mini, "NRT", nrt, trader, pool=False)
    vault.deposit(1_000 * 10**6, alice, {"from": alice})
