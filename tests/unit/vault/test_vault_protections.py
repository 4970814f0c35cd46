"""Holder protections of the vault v2 on the small world: the entry fee (the holdings' oracle lag, kept by the
vault), the share lock, the rolling loss budget, the manager's timelock, in-kind exits that skip a broken token,
`removeAsset` refusing a held token, and the delegated module refusing to run outside its vault."""

from __future__ import annotations

import pytest
from brownie import (  # type: ignore[attr-defined]
    FreezableToken,
    PriceFeed,
    RiskParityVaultAdmin,
    RiskParityVaultModule,
    chain,
)

from scripts.deploy_vault import OracleGuard, ProtectionConfig, deploy_vault, keeper_view
from tests.helpers.vault import (
    MINI_ASSETS,
    MINI_BASE,
    deadline,
    mini_vault_config,
    plain,
    plan_trades,
    rebalance_params,
    reverts_with,
    sleep_and_refresh,
)

USDC = 10**6
BPS = 10_000
LOCK_S = 3_600
DEVIATION = {"USDC": 25, "WBTC": 50, "NRT": 100}
PROTECTION = ProtectionConfig(entry_fee_floor_bps=5, share_lock_s=LOCK_S, loss_budget_bps=100, loss_period_s=86_400)


@pytest.fixture(scope="module")
def protected(mini, deployer, gov, manager, keeper, guardian, alice, bob):
    """The unit vault with the production protections: deviation thresholds, fee floor, lock, loss budget and a
    one-day risk timelock. Alice and Bob hold 1,000,000 USDC each, approved."""
    cfg = mini_vault_config(MINI_ASSETS, MINI_BASE, protection=PROTECTION, risk_timelock_s=86_400)
    cfg.oracles.update(
        {s: OracleGuard(g.heartbeat_s, g.min_usd, g.max_usd, DEVIATION[s]) for s, g in cfg.oracles.items()}
    )
    vault = deploy_vault(
        mini, deployer, cfg, governance=gov, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    ).vault
    for who in (alice, bob):
        mini.fund("USDC", who, 1_000_000 * USDC)
        mini.base.approve(vault, 2**256 - 1, {"from": who})
    return vault


@pytest.fixture(scope="module")
def invested(protected, alice, keeper, mini):
    """100,000 USDC in, 60% of it bought into WBTC and NRT, past the lock and the cooldown."""
    vault = protected
    vault.deposit(100_000 * USDC, alice, {"from": alice})
    targets = [4000, 3000, 3000]
    vault.rebalance(rebalance_params(vault, targets, plan_trades(vault, targets)), {"from": keeper})
    sleep_and_refresh(LOCK_S + 1, mini.feeds, mini.deployer)
    return vault


def _expected_fee_bps(vault) -> int:
    """The holdings' value-weighted deviation thresholds over NAV (ceil), clamped to [floor, 200]."""
    v = keeper_view(vault)
    nav = vault.totalAssets()
    weighted = 0
    for i, a in enumerate(v["assets"][1:], start=1):
        value = v["balances"][i] * v["answers"][i] * USDC // 10 ** (a[3] + a[4])
        weighted += value * a[7]
    return min(max(-(-weighted // nav), PROTECTION.entry_fee_floor_bps), 200)


# Tests of the base-only vault come first: `invested` (module scope) changes `protected` for every test after it.


def test_deposit__empty_vault__no_fee_then_the_floor(protected, alice, bob):
    vault = protected
    # Nobody holds shares yet: nobody to protect, and the share scale (decimals offset 6) stays intact.
    assert vault.entryFeeBps() == 0
    tx = vault.deposit(10_000 * USDC, alice, {"from": alice})
    assert "EntryFeeCharged" not in tx.events and tx.return_value == 10_000 * USDC * 10**6
    # Base only: nothing lags, so the fee is the floor.
    assert vault.entryFeeBps() == PROTECTION.entry_fee_floor_bps
    tx = vault.deposit(10_000 * USDC, bob, {"from": bob})
    assert tx.events["EntryFeeCharged"]["feeBaseUnits"] == 10_000 * USDC * 5 // BPS


def test_deposit__stale_feed_of_asset_not_held__does_not_block(protected, alice, mini):
    vault = protected
    chain.sleep(3_601)
    chain.mine()
    mini.feeds["USDC"].submit(mini.feeds["USDC"].latestRoundData()[1], {"from": mini.deployer})
    # WBTC's and NRT's feeds are stale now, but the vault holds neither.
    vault.deposit(1_000 * USDC, alice, {"from": alice})
    assert vault.totalAssets() >= 1_000 * USDC


# ---------------------------------------------------------------------------------------------------------------
# Entry fee
# ---------------------------------------------------------------------------------------------------------------


def test_deposit__holds_risky_assets__fee_is_value_weighted_deviation_kept_by_vault(invested, bob, alice):
    vault = invested
    fee_bps = vault.entryFeeBps()
    # About 30% WBTC at 50 bps and 30% NRT at 100 bps: roughly 45 bps (a few bps less after the swaps' fees).
    assert fee_bps == _expected_fee_bps(vault) and 30 <= fee_bps <= 50
    alice_value = vault.previewRedeem(vault.balanceOf(alice))
    preview = vault.previewDeposit(100_000 * USDC)
    tx = vault.deposit(100_000 * USDC, bob, {"from": bob})
    fee = -(-100_000 * USDC * fee_bps // BPS)
    assert tx.events["EntryFeeCharged"]["feeBaseUnits"] == fee
    assert tx.return_value == preview
    # The fee stays with the holders already in: Alice's shares are worth about the fee more.
    gained = vault.previewRedeem(vault.balanceOf(alice)) - alice_value
    assert fee * 99 // 100 <= gained <= fee
    # And Bob's shares are worth what he paid less the fee (swing pricing: none of it comes back to him).
    assert 100_000 * USDC - fee - 10 <= vault.previewRedeem(tx.return_value) <= 100_000 * USDC - fee


def test_mint__holds_risky_assets__preview_mint_includes_fee(invested, bob):
    vault = invested
    shares = 10**15
    preview = vault.previewMint(shares)
    tx = vault.mint(shares, bob, {"from": bob})
    assert tx.return_value == preview
    assert tx.events["Deposit"]["assets"] == preview and tx.events["EntryFeeCharged"]["feeBaseUnits"] > 0


def test_deposit_then_redeem__no_free_round_trip_after_lock(invested, bob, mini):
    vault = invested
    shares = vault.deposit(100_000 * USDC, bob, {"from": bob}).return_value
    sleep_and_refresh(LOCK_S + 1, mini.feeds, mini.deployer)
    assert vault.redeem(shares, bob, bob, {"from": bob}).return_value < 100_000 * USDC


# ---------------------------------------------------------------------------------------------------------------
# Share lock
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exit_", ["redeem", "withdraw", "transfer", "redeemInKind", "redeemWithSwap"])
def test_fresh_shares__any_exit_or_transfer_before_unlock__reverts_locked(protected, bob, alice, exit_):
    vault = protected
    shares = vault.deposit(10_000 * USDC, bob, {"from": bob}).return_value
    calls = {
        "redeem": lambda: vault.redeem(shares, bob, bob, {"from": bob}),
        "withdraw": lambda: vault.withdraw(1_000 * USDC, bob, bob, {"from": bob}),
        "transfer": lambda: vault.transfer(alice, 1, {"from": bob}),
        "redeemInKind": lambda: vault.redeemInKind(shares, bob, bob, {"from": bob}),
        "redeemWithSwap": lambda: vault.redeemWithSwap(shares, bob, bob, 0, deadline(), {"from": bob}),
    }
    with reverts_with("RiskParityVaultSharesLocked"):
        calls[exit_]()
    assert vault.maxRedeem(bob) == 0 and vault.maxWithdraw(bob) == 0
    locked, until = vault.lockedShares(bob)
    assert locked == shares and until > chain.time()


def test_fresh_shares__after_unlock__move_freely(protected, alice, bob, mini):
    vault = protected
    shares = vault.deposit(10_000 * USDC, bob, {"from": bob}).return_value
    sleep_and_refresh(LOCK_S + 1, mini.feeds, mini.deployer)
    assert vault.lockedShares(bob)[0] == 0 and vault.maxRedeem(bob) == shares
    vault.transfer(alice, shares // 2, {"from": bob})
    vault.redeem(shares // 2, bob, bob, {"from": bob})


def test_deposit_for_another__locks_only_the_new_shares(protected, alice, bob, mini):
    vault = protected
    old = vault.deposit(10_000 * USDC, bob, {"from": bob}).return_value
    sleep_and_refresh(LOCK_S + 1, mini.feeds, mini.deployer)
    vault.deposit(1_000 * USDC, bob, {"from": alice})  # a third party deposits for Bob
    assert vault.lockedShares(bob)[0] == vault.balanceOf(bob) - old
    vault.redeem(old, bob, bob, {"from": bob})  # what Bob held before still moves
    with reverts_with("RiskParityVaultSharesLocked"):
        vault.redeem(1, bob, bob, {"from": bob})


def test_deposit_for_another__receiver_still_locked__refused(protected, alice, bob, mallory, mini):
    """A third party cannot keep a holder's recent deposit locked for ever with dust deposits."""
    vault = protected
    vault.deposit(10_000 * USDC, bob, {"from": bob})
    mini.fund("USDC", mallory, 10)
    mini.base.approve(vault, 10, {"from": mallory})
    with reverts_with("RiskParityVaultReceiverLocked"):
        vault.deposit(2, bob, {"from": mallory})
    until = vault.lockedShares(bob)[1]
    chain.sleep(60)
    vault.deposit(1_000 * USDC, bob, {"from": bob})  # the receiver itself may extend its own lock
    assert vault.lockedShares(bob)[1] > until


# ---------------------------------------------------------------------------------------------------------------
# Rolling loss budget
# ---------------------------------------------------------------------------------------------------------------


def test_rebalance__compromised_keeper_churns_every_cooldown__loss_capped_by_rolling_budget(invested, keeper, mini):
    vault = invested
    wbtc, usdc = mini.tokens["WBTC"], mini.base
    nav_start, refused, hours = vault.totalAssets(), 0, 30
    for _ in range(hours):
        sell = wbtc.balanceOf(vault)
        # Sell all the WBTC and buy most of it back: only fees are lost; toward all-cash targets, so the
        # distance check passes and only the loss bounds can refuse.
        trades = [(wbtc, usdc, sell, 0), (usdc, wbtc, sell * 900 * 97 // 100, 0)]
        try:
            vault.rebalance(rebalance_params(vault, [10_000, 0, 0], trades), {"from": keeper})
        except Exception as exc:  # noqa: BLE001 - the refusals are what this test counts
            assert "LossBudgetExceeded" in str(exc) or "DistanceGrew" in str(exc), exc
            refused += "LossBudgetExceeded" in str(exc)
        sleep_and_refresh(3_601, mini.feeds, mini.deployer)
    lost_bps = (nav_start - vault.totalAssets()) * BPS / nav_start
    # 100 bps per day refilling linearly: over 30 hours at most 100 * (1 + 30/24) bps, and the budget did bite.
    assert refused > 0
    assert lost_bps <= 100 * (1 + hours / 24)
    assert vault.lossBudgetUsedWad() <= 100 * 10**14


# ---------------------------------------------------------------------------------------------------------------
# Manager timelock (unit level; the forced-ripcord scenario is in tests/integration/leverage)
# ---------------------------------------------------------------------------------------------------------------


def test_set_risk_budgets__always_timelocked(protected, manager, guardian):
    vault = protected
    # Even budgets equal to the current ones: any budget call is a risk decision.
    with reverts_with("RiskParityVaultChangeNotSubmitted"):
        vault.setRiskBudgets([0, 5000, 5000], {"from": manager})
    data = vault.setRiskBudgets.encode_input([0, 5000, 5000])
    vault.submit(data, {"from": manager})
    with reverts_with("RiskParityVaultChangeAlreadySubmitted"):
        vault.submit(data, {"from": manager})
    chain.sleep(86_401)
    chain.mine()
    tx = vault.setRiskBudgets([0, 5000, 5000], {"from": manager})
    assert "ChangeAccepted" in tx.events and vault.executableAt(data) == 0


def test_set_risk_budgets__by_governance__applies_at_once(protected, gov, manager):
    """Governance has waited out its own TimelockController (and, under a VaultGovernor, the holders' vote): its
    budgets apply when executed, while the manager's same call still waits out the risk timelock."""
    vault = protected
    with reverts_with("RiskParityVaultChangeNotSubmitted"):
        vault.setRiskBudgets([0, 5000, 5000], {"from": manager})
    tx = vault.setRiskBudgets([0, 5000, 5000], {"from": gov})
    assert plain(tx.events["RiskBudgetsUpdated"]["riskBudgetsBps"]) == [0, 5000, 5000]
    assert "ChangeAccepted" not in tx.events


@pytest.mark.parametrize(
    "params, timelocked",
    [
        ((10, LOCK_S, 100, 86_400), False),  # fee floor up
        ((5, 2 * LOCK_S, 50, 2 * 86_400), False),  # lock up, budget down, period up
        ((4, LOCK_S, 100, 86_400), True),  # fee floor down
        ((5, 60, 100, 86_400), True),  # lock down
        ((5, LOCK_S, 200, 86_400), True),  # budget up
        ((5, LOCK_S, 100, 3_600), True),  # period down
    ],
)
def test_set_protection_params__loosening_is_timelocked_tightening_is_not(protected, manager, params, timelocked):
    vault = protected
    if timelocked:
        with reverts_with("RiskParityVaultChangeNotSubmitted"):
            vault.setProtectionParams(params, {"from": manager})
    else:
        vault.setProtectionParams(params, {"from": manager})
        assert tuple(vault.protectionParams()) == params


@pytest.mark.parametrize(
    "params, field",
    [
        ((201, LOCK_S, 100, 86_400), "entryFeeFloorBps"),
        ((5, 86_401, 100, 86_400), "shareLockSeconds"),
        ((5, LOCK_S, 0, 86_400), "lossBudgetBps"),
        ((5, LOCK_S, 501, 86_400), "lossBudgetBps"),
        ((5, LOCK_S, 100, 3_599), "lossPeriodSeconds"),
    ],
)
def test_set_protection_params__out_of_bounds__reverts_naming_field(protected, manager, params, field):
    with reverts_with(f"RiskParityVaultProtectionOutOfBounds: {field}"):
        protected.setProtectionParams(params, {"from": manager})


def test_submit__not_manager__reverts(protected, mallory):
    with reverts_with("AccessControlUnauthorizedAccount"):
        protected.submit(protected.setThresholds.encode_input((500, 200, 10_000, 900)), {"from": mallory})


def test_revoke__nothing_submitted__reverts(protected, guardian):
    with reverts_with("RiskParityVaultNothingToRevoke"):
        protected.revoke(protected.setThresholds.encode_input((500, 200, 10_000, 900)), {"from": guardian})


# ---------------------------------------------------------------------------------------------------------------
# In-kind exit with skips, removeAsset, zero-balance assets
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_frozen(invested, gov, deployer, alice):
    """A registered token the vault holds and cannot transfer (frozen by its issuer)."""
    vault = invested
    token = FreezableToken.deploy({"from": deployer})
    feed = PriceFeed.deploy(8, "FRZ / USD", 10**8, deployer, {"from": deployer})
    vault.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": gov})
    token.mint(vault, 1_000 * 10**18, {"from": deployer})
    token.setFrozen(vault, True, {"from": deployer})
    return vault, token


def test_redeem_in_kind__frozen_token__blocks_unless_skipped(with_frozen, alice, mini):
    vault, token = with_frozen
    shares = vault.balanceOf(alice) // 2
    with reverts_with("FreezableTokenFrozen"):
        vault.redeemInKind(shares, alice, alice, {"from": alice})
    frozen_held = token.balanceOf(vault)
    tx = vault.redeemInKindSkipping(shares, alice, alice, [token], {"from": alice})
    amounts = tx.events["RedeemedInKind"]["amounts"]
    assert amounts[3] == 0 and amounts[1] > 0 and amounts[2] > 0
    assert token.balanceOf(vault) == frozen_held  # the skipped slice stays with the remaining holders


@pytest.mark.parametrize("which", ["base", "unknown", "twice"])
def test_redeem_in_kind_skipping__invalid_skip__reverts(with_frozen, alice, mini, deployer, which):
    vault, token = with_frozen
    skip = {"base": [mini.base], "unknown": [deployer], "twice": [token, token]}[which]
    with reverts_with("RiskParityVaultInvalidSkip"):
        vault.redeemInKindSkipping(vault.balanceOf(alice) // 2, alice, alice, skip, {"from": alice})


def test_remove_asset__untargeted_but_held__reverts_balance_remains(protected, gov, deployer):
    vault = protected
    token = FreezableToken.deploy({"from": deployer})
    feed = PriceFeed.deploy(8, "FRZ / USD", 10**8, deployer, {"from": deployer})
    vault.addAsset((token, feed, 3600, 1, 10**12, 50), {"from": gov})
    token.mint(vault, 1, {"from": deployer})
    with reverts_with("RiskParityVaultAssetBalanceRemains"):
        vault.removeAsset(token, {"from": gov})


# ---------------------------------------------------------------------------------------------------------------
# Delegatecall safety
# ---------------------------------------------------------------------------------------------------------------


def test_module__called_directly__refuses_and_touches_no_vault(invested, keeper, mallory, mini):
    vault = invested
    module = RiskParityVaultModule.at(vault.module())
    admin = RiskParityVaultAdmin.at(module.admin())
    before = [t.balanceOf(vault) for t in mini.tokens.values()]
    params = rebalance_params(vault, [10_000, 0, 0], [])
    with reverts_with("RiskParityVaultModuleOnlyDelegated"):
        module.rebalance(params, {"from": mallory})
    with reverts_with("RiskParityVaultModuleOnlyDelegated"):
        module.deleverage(mini.tokens["WBTC"], 1, deadline(), {"from": mallory})
    with reverts_with("RiskParityVaultModuleOnlyDelegated"):
        module.onFlashRepay(1, b"", {"from": mallory})
    with reverts_with("RiskParityVaultModuleOnlyDelegated"):
        admin.setThresholds((500, 200, 10_000, 900), {"from": mallory})
    assert [t.balanceOf(vault) for t in mini.tokens.values()] == before


def test_vault__internal_entries_called_from_outside__refused(invested, mallory):
    vault = invested
    module = RiskParityVaultModule.at(vault.module())
    data = module.swapExit.encode_input((mallory, mallory, 1, 0, deadline(), [10**9, 10**6, 0], [], 0))
    with reverts_with("RiskParityVaultInternalEntry"):
        mallory.transfer(vault, 0, data=data)


def test_vault__flash_callback_from_anyone_but_adapter__refused(invested, mallory):
    with reverts_with("RiskParityVaultUnauthorizedCallback"):
        invested.onFlashRepay(10**9, b"", {"from": mallory})
