"""Stateful test of the vault v2's share accounting against a Python reference model.

Random sequences of deposit / mint (for oneself or the other user) / withdraw / redeem / redeemInKind /
redeemInKindSkipping / share transfers by two users, feed price moves, donations, waits and keeper rebalances, on
a vault with its holder protections on: the entry fee (the holdings' oracle lag, kept by the vault) and the
one-hour share lock. After every step: the sum of share balances is the supply, holdings and NAV equal the model's,
every call returned exactly what the model (and the preview taken just before) said, fees and locks are the
model's, locked shares never left their owner, and no deposit-wait-redeem round trip returns more than it put in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import brownie
from brownie import chain  # type: ignore[attr-defined]
from brownie.exceptions import VirtualMachineError
from brownie.test import strategy  # type: ignore[attr-defined]

from scripts.deploy_vault import keeper_view
from tests.helpers.vault import plan_trades, rebalance_params, reverts_with, sleep_and_refresh
from tests.stateful.conftest import DEVIATION_BPS, LOCK_S, PROTECTION

VIRTUAL_SHARES = 10**6
BPS = 10_000
MAX_ENTRY_FEE_BPS = 200  # NavLogic.MAX_ENTRY_FEE_BPS
MAX_NAV_LOSS_BPS = 50  # mini_vault_config's per-rebalance bound
COOLDOWN_S = 3_600  # mini_vault_config's rebalance cooldown
# The next block's time is only known to a second or two: an exit this close to an unlock is not asserted either way.
LOCK_MARGIN_S = 10
# Rules that must wait out the lock or the cooldown (both an hour) wait this much longer, so that shares locked
# just before are not left on their unlock boundary, where the exit rules could assert nothing.
LATE_S = 60
SYMBOLS = ("USDC", "WBTC", "NRT")  # registry order; USDC is the base
# The model does not price the DEX, so a rebalance may be refused, but only by one of these named checks: price
# moves leave the pools off the oracle, large holdings move the pools, and the loss bounds then bite. The router's
# (or, for a dust trade whose output rounds to zero, the pair's) INSUFFICIENT_OUTPUT_AMOUNT is the same refusal.
REBALANCE_REFUSALS = re.compile(
    r"RiskParityVault(TradeBelowMinimum|NavLossExceeded|LossBudgetExceeded|DistanceGrew|TurnoverExceeded)\b"
    r"|UniswapV2(Router)?: INSUFFICIENT_OUTPUT_AMOUNT$"
)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass
class Model:
    """The vault as the spec says it should be: integer maths, same rounding directions."""

    decimals: list[int]
    answers: list[int]
    held: list[int]
    deviation_bps: list[int]
    shares: dict[str, int] = field(default_factory=dict)
    locks: dict[str, tuple[int, int]] = field(default_factory=dict)  # owner -> (locked shares, unlocksAt)

    @property
    def supply(self) -> int:
        return sum(self.shares.values())

    def values(self, up: bool) -> list[int]:
        """Each holding in base units at the oracle (zero for an asset not held: its feed is not even read)."""
        base_scale = 10 ** self.decimals[0] * 10**8
        out = [self.held[0]]
        for i in range(1, len(self.held)):
            num = self.held[i] * self.answers[i] * base_scale
            den = self.answers[0] * 10 ** (self.decimals[i] + 8)
            out.append(_ceil_div(num, den) if up else num // den)
        return out

    def nav(self, up: bool) -> int:
        return sum(self.values(up))

    def fee_bps(self) -> int:
        """Entry fee: the non-base holdings' deviation thresholds weighted by value over NAV (everything valued up,
        as a deposit prices it), rounded up, between the floor and the hard cap."""
        if self.supply == 0:
            return 0  # nobody to protect: no fee while the vault has no holders
        v = self.values(up=True)
        nav = sum(v)
        weighted = sum(v[i] * self.deviation_bps[i] for i in range(1, len(v)))
        lag = _ceil_div(weighted, nav) if nav else 0
        return min(max(lag, PROTECTION.entry_fee_floor_bps), MAX_ENTRY_FEE_BPS)

    def to_shares(self, assets: int, up_nav: bool, ceil: bool) -> int:
        num, den = assets * (self.supply + VIRTUAL_SHARES), self.nav(up_nav) + 1
        return _ceil_div(num, den) if ceil else num // den

    def deposit_shares(self, assets: int, fee: int) -> int:
        """Swing pricing: `assets - fee` buys shares at a NAV (rounded up) that already includes the fee."""
        return (assets - fee) * (self.supply + VIRTUAL_SHARES) // (self.nav(up=True) + fee + 1)

    def mint_assets(self, shares: int, fee_bps: int) -> int | None:
        """The inverse of `deposit_shares` for an exact fee, rounded up; None above the fee's mint bound."""
        room = (BPS - fee_bps) * (self.supply + VIRTUAL_SHARES)
        if fee_bps and shares > (room - 1) // fee_bps:
            return None
        return _ceil_div(shares * (self.nav(up=True) + 1) * BPS, room - shares * fee_bps)

    def to_assets(self, shares: int, up_nav: bool, ceil: bool) -> int:
        num, den = shares * (self.nav(up_nav) + 1), self.supply + VIRTUAL_SHARES
        return _ceil_div(num, den) if ceil else num // den

    def in_kind_slices(self, shares: int) -> list[int]:
        """Each holding's slice for `shares`, against supply plus the virtual shares, rounded down."""
        return [h * shares // (self.supply + VIRTUAL_SHARES) for h in self.held]

    def lock_entry(self, receiver: str, shares: int, now: int) -> tuple[int, int]:
        """New shares join the still-locked ones, and all of them unlock one lock period from `now`."""
        locked, until = self.locks[receiver]
        self.locks[receiver] = ((locked if now < until else 0) + shares, now + LOCK_S)
        return self.locks[receiver]


def _named(error: str) -> str:
    """A revert pattern for a custom error by name, whatever its arguments."""
    return rf"{error}\b.*"


def _burn_refusal(owner: str, balance: int, locked: int, until: int, shares: int) -> str | None:
    """What a transfer or burn of `shares` hits first in `_update`: the lock (naming exactly the model's locked
    shares and unlock time), then ERC-20's balance check. None if it goes through."""
    if locked and balance < locked + shares:
        return rf"RiskParityVaultSharesLocked: (?i:{owner}), {locked}, {until}"
    if shares > balance:
        return _named("ERC20InsufficientBalance")
    return None


class StateMachine:
    st_user = strategy("uint8", max_value=1)
    st_receiver = strategy("uint8", max_value=1)
    st_assets = strategy("uint256", min_value=1, max_value=10**12)  # up to 1M USDC
    st_fraction = strategy("uint16", min_value=1, max_value=10_000)  # bps of the user's shares
    st_asset = strategy("uint8", max_value=2)
    st_skip = strategy("uint8", min_value=1, max_value=2)  # WBTC or NRT (the base cannot be skipped)
    st_factor = strategy("uint16", min_value=5_000, max_value=20_000)  # price x 0.5 .. x 2, in bps
    st_donation = strategy("uint256", min_value=1, max_value=10**22)
    st_into_lock = strategy("bool")  # while a lock holds: reach into the locked shares, or stay clear of them
    st_dust = strategy("bool")
    st_past_lock = strategy("bool")
    st_short_wait = strategy("uint16", min_value=1, max_value=600)
    st_long_wait = strategy("uint16", min_value=LOCK_S + 1, max_value=2 * LOCK_S)
    st_cut_a = strategy("uint16", max_value=BPS)  # two cut points of [0, 10000]: three target weights
    st_cut_b = strategy("uint16", max_value=BPS)

    def __init__(cls, vault, mini, users, keeper):
        cls.vault = vault
        cls.mini = mini
        cls.users = users
        cls.keeper = keeper
        cls.tokens = [mini.tokens[s] for s in SYMBOLS]
        cls.feeds = [mini.feeds[s] for s in SYMBOLS]
        cls.initial_answers = [f.latestRoundData()[1] for f in cls.feeds]
        # The fee model reads the thresholds the vault was given, and they must be the configured ones.
        cls.deviation_bps = [int(a[7]) for a in keeper_view(vault)["assets"]]
        assert cls.deviation_bps == [DEVIATION_BPS[s] for s in SYMBOLS]

    def setup(self):
        # After brownie's revert its clock runs ahead of the chain's by the wall time since the snapshot; mining a
        # block re-syncs it, and the lock rules compare unlock times with it.
        chain.mine()
        self.model = Model(
            decimals=[t.decimals() for t in self.tokens],
            answers=[f.latestRoundData()[1] for f in self.feeds],
            held=[t.balanceOf(self.vault) for t in self.tokens],
            deviation_bps=list(self.deviation_bps),
            shares={u.address: self.vault.balanceOf(u) for u in self.users},
            locks={u.address: tuple(self.vault.lockedShares(u)) for u in self.users},
        )

    # ----------------------------------------------------------------------------------------------------------
    # helpers
    # ----------------------------------------------------------------------------------------------------------

    def _locked_now(self, user) -> int | None:
        """Shares of `user` the next block still locks; None when that block may fall either side of the unlock."""
        locked, until = self.model.locks[user.address]
        if locked == 0:
            return 0
        now = chain.time()
        if abs(until - now) <= LOCK_MARGIN_S:
            return None
        return locked if now < until else 0

    def _receiver_locked(self, receiver) -> bool:
        """For an entry paid by someone else: True (after checking the refusal) when the receiver's own lock
        still holds, or when the next block may fall either side of it (then nothing is sent)."""
        locked = self._locked_now(receiver)
        if locked is None:
            return True
        if locked:
            with reverts_with("RiskParityVaultReceiverLocked"):
                self.vault.deposit(1_000, receiver, {"from": self.users[1 - self.users.index(receiver)]})
            return True
        return False

    def _refusal(self, user, locked: int, shares: int) -> str | None:
        """`_burn_refusal` for `user` as the model stands, `locked` being what `_locked_now` said."""
        m = self.model
        return _burn_refusal(user.address, m.shares[user.address], locked, m.locks[user.address][1], shares)

    def _pick_shares(self, user, locked: int, fraction: int, into_lock: bool) -> int:
        """`fraction` (bps) of the owner's shares. While a lock holds, of its unlocked shares only, or all of those
        plus a part of the locked ones, so both outcomes come up whatever the lock's share of the balance."""
        balance = self.model.shares[user.address]
        if not locked:
            return balance * fraction // BPS
        free = balance - locked
        return free + max(1, locked * fraction // BPS) if into_lock else free * fraction // BPS

    def _credit_entry(self, receiver, assets: int, shares: int, tx) -> None:
        """Book a deposit or mint: the receiver's new shares are locked from the tx's own block time."""
        m = self.model
        m.shares[receiver.address] += shares
        m.held[0] += assets
        locked, until = m.lock_entry(receiver.address, shares, tx.timestamp)
        event = tx.events["SharesLocked"]
        assert (event["owner"], event["lockedShares"], event["unlocksAt"]) == (receiver.address, locked, until)

    def _deposit(self, payer, receiver, assets: int) -> int:
        """Deposit checked against the model (preview, fee, shares, lock). Returns the shares, 0 if refused."""
        m = self.model
        fee_bps = m.fee_bps()
        fee = _ceil_div(assets * fee_bps, BPS)
        expected = m.deposit_shares(assets, fee)
        assert self.vault.entryFeeBps() == fee_bps
        assert self.vault.previewDeposit(assets) == expected
        if payer != receiver and self._receiver_locked(receiver):
            return 0
        if expected == 0:
            # Nothing left to buy a share with once the fee is off (any 1-unit deposit, at the fee floor).
            with reverts_with("RiskParityVaultZeroShares"):
                self.vault.deposit(assets, receiver, {"from": payer})
            return 0
        tx = self.vault.deposit(assets, receiver, {"from": payer})
        assert tx.return_value == expected
        if fee:
            charged = tx.events["EntryFeeCharged"]
            assert (charged["receiver"], charged["feeBaseUnits"], charged["feeBps"]) == (receiver.address, fee, fee_bps)
        else:
            assert "EntryFeeCharged" not in tx.events
        self._credit_entry(receiver, assets, expected, tx)
        return expected

    def _check_in_kind_value(self, slices: list[int], shares: int) -> None:
        # The slices are worth no more than the shares at the oracle (in-kind never beats redeem).
        m = self.model
        value = Model(m.decimals, m.answers, slices, m.deviation_bps).nav(up=True)
        assert value <= m.to_assets(shares, up_nav=True, ceil=True)

    def _debit_in_kind(self, user, shares: int, slices: list[int], tx) -> None:
        m = self.model
        assert list(tx.return_value) == slices
        assert list(tx.events["RedeemedInKind"]["amounts"]) == slices
        m.shares[user.address] -= shares
        m.held = [h - s for h, s in zip(m.held, slices, strict=True)]

    # ----------------------------------------------------------------------------------------------------------
    # rules: entries
    # ----------------------------------------------------------------------------------------------------------

    def rule_deposit(self, st_user, st_receiver, st_assets):
        self._deposit(self.users[st_user], self.users[st_receiver], st_assets)

    def rule_mint(self, st_user, st_receiver, st_assets):
        user, receiver, m = self.users[st_user], self.users[st_receiver], self.model
        shares = st_assets * 10**5  # ~0.1 base unit per share-unit range
        fee_bps = m.fee_bps()
        expected = m.mint_assets(shares, fee_bps)
        if expected is None:
            with reverts_with("ERC4626ExceededMaxMint"):
                self.vault.mint(shares, receiver, {"from": user})
            return
        assert self.vault.previewMint(shares) == expected
        if user != receiver and self._receiver_locked(receiver):
            return
        tx = self.vault.mint(shares, receiver, {"from": user})
        assert tx.return_value == expected
        fee = _ceil_div(expected * fee_bps, BPS)
        if fee:
            charged = tx.events["EntryFeeCharged"]
            assert (charged["feeBaseUnits"], charged["feeBps"]) == (fee, fee_bps)
        else:
            assert "EntryFeeCharged" not in tx.events
        self._credit_entry(receiver, expected, shares, tx)

    # ----------------------------------------------------------------------------------------------------------
    # rules: exits and transfers (each first asks whether the owner's lock still holds)
    # ----------------------------------------------------------------------------------------------------------

    def rule_withdraw(self, st_user, st_assets):
        user, m = self.users[st_user], self.model
        locked = self._locked_now(user)
        if locked is None:
            return
        balance = m.shares[user.address]
        # The standard exits are limited by idle base and by the unlocked shares.
        assert self.vault.maxWithdraw(user) == min(m.to_assets(balance - locked, up_nav=False, ceil=False), m.held[0])
        shares = m.to_shares(st_assets, up_nav=False, ceil=True)
        assert self.vault.previewWithdraw(st_assets) == shares
        # Idle is checked before the burn, so before the lock and the balance.
        if st_assets > m.held[0]:
            refusal = _named("RiskParityVaultInsufficientIdle")
        else:
            refusal = self._refusal(user, locked, shares)
        if refusal:
            with brownie.reverts(revert_pattern=refusal):
                self.vault.withdraw(st_assets, user, user, {"from": user})
            return
        # The assets paid never exceed what the burnt shares are worth rounded down.
        assert st_assets <= m.to_assets(shares, up_nav=False, ceil=False)
        burnt = self.vault.withdraw(st_assets, user, user, {"from": user}).return_value
        assert burnt == shares
        m.shares[user.address] -= shares
        m.held[0] -= st_assets

    def rule_redeem(self, st_user, st_fraction, st_into_lock):
        user, m = self.users[st_user], self.model
        locked = self._locked_now(user)
        if locked is None:
            return
        balance = m.shares[user.address]
        assert self.vault.maxRedeem(user) == min(balance - locked, m.to_shares(m.held[0], up_nav=False, ceil=False))
        shares = self._pick_shares(user, locked, st_fraction, st_into_lock)
        assets = m.to_assets(shares, up_nav=False, ceil=False)
        assert self.vault.previewRedeem(shares) == assets
        if assets > m.held[0]:
            refusal = _named("RiskParityVaultInsufficientIdle")
        else:
            refusal = self._refusal(user, locked, shares)
        if refusal:
            with brownie.reverts(revert_pattern=refusal):
                self.vault.redeem(shares, user, user, {"from": user})
            return
        paid = self.vault.redeem(shares, user, user, {"from": user}).return_value
        assert paid == assets
        m.shares[user.address] -= shares
        m.held[0] -= assets

    def rule_redeem_in_kind(self, st_user, st_fraction, st_into_lock):
        user, m = self.users[st_user], self.model
        locked = self._locked_now(user)
        if locked is None:
            return
        shares = self._pick_shares(user, locked, st_fraction, st_into_lock)
        if shares == 0:
            return
        slices = m.in_kind_slices(shares)
        self._check_in_kind_value(slices, shares)
        refusal = self._refusal(user, locked, shares)
        if refusal:
            with brownie.reverts(revert_pattern=refusal):
                self.vault.redeemInKind(shares, user, user, {"from": user})
            return
        tx = self.vault.redeemInKind(shares, user, user, {"from": user})
        self._debit_in_kind(user, shares, slices, tx)

    def rule_redeem_in_kind_skipping(self, st_user, st_fraction, st_into_lock, st_dust, st_skip):
        """The skipped token's slice is zero and stays in the vault, with the remaining holders."""
        user, m = self.users[st_user], self.model
        locked = self._locked_now(user)
        if locked is None:
            return
        # A dust exit (a few thousand shares at most) rounds the risky slices to zero, so the skip has nothing to
        # protect; otherwise that only happens once a rebalance has sold the skipped token out.
        shares = st_fraction if st_dust else self._pick_shares(user, locked, st_fraction, st_into_lock)
        if shares == 0:
            return
        skip = self.tokens[st_skip]
        slices = m.in_kind_slices(shares)
        # Skipping a slice that is zero anyway protects nothing: refused, before the burn (so before the lock).
        if slices[st_skip] == 0:
            refusal = _named("RiskParityVaultInvalidSkip")
        else:
            slices[st_skip] = 0
            self._check_in_kind_value(slices, shares)
            refusal = self._refusal(user, locked, shares)
        if refusal:
            with brownie.reverts(revert_pattern=refusal):
                self.vault.redeemInKindSkipping(shares, user, user, [skip], {"from": user})
            return
        tx = self.vault.redeemInKindSkipping(shares, user, user, [skip], {"from": user})
        self._debit_in_kind(user, shares, slices, tx)

    def rule_transfer(self, st_user, st_fraction, st_into_lock):
        """Received shares are not locked for their new owner; locked ones cannot be sent."""
        sender, receiver, m = self.users[st_user], self.users[1 - st_user], self.model
        locked = self._locked_now(sender)
        if locked is None:
            return
        shares = self._pick_shares(sender, locked, st_fraction, st_into_lock)
        refusal = self._refusal(sender, locked, shares)
        if refusal:
            with brownie.reverts(revert_pattern=refusal):
                self.vault.transfer(receiver, shares, {"from": sender})
            return
        self.vault.transfer(receiver, shares, {"from": sender})
        m.shares[sender.address] -= shares
        m.shares[receiver.address] += shares

    def rule_round_trip(self, st_user, st_assets):
        """Deposit, wait out the lock, redeem the same shares: never more back than paid in."""
        user, m = self.users[st_user], self.model
        shares = self._deposit(user, user, st_assets)
        if shares == 0:
            return
        sleep_and_refresh(LOCK_S + LATE_S, self.mini.feeds, self.mini.deployer)
        back = m.to_assets(shares, up_nav=False, ceil=False)
        assert back <= st_assets
        # The deposit itself added st_assets to idle, so the exit always fits in it.
        assert self.vault.previewRedeem(shares) == back
        paid = self.vault.redeem(shares, user, user, {"from": user}).return_value
        assert paid == back
        m.shares[user.address] -= shares
        m.held[0] -= back

    # ----------------------------------------------------------------------------------------------------------
    # rules: the world and the keeper
    # ----------------------------------------------------------------------------------------------------------

    def rule_price_move(self, st_asset, st_factor):
        m = self.model
        init = self.initial_answers[st_asset]
        new = max(init // 50, min(init * 50, m.answers[st_asset] * st_factor // 10_000))
        self.feeds[st_asset].submit(new, {"from": self.mini.deployer})
        m.answers[st_asset] = new

    def rule_donate(self, st_asset, st_donation):
        m = self.model
        amount = st_donation // 10 ** (18 - m.decimals[st_asset])
        if amount == 0:
            return
        self.mini.fund(SYMBOLS[st_asset], self.vault, amount)
        m.held[st_asset] += amount

    def rule_wait(self, st_past_lock, st_short_wait, st_long_wait):
        """Time passes, within a lock period or past one; the reporters republish (the heartbeat is an hour)."""
        sleep_and_refresh(st_long_wait if st_past_lock else st_short_wait, self.mini.feeds, self.mini.deployer)

    def rule_rebalance(self, st_cut_a, st_cut_b):
        """A keeper rebalance to random targets. The DEX is not modelled: the new holdings are read from the chain,
        and the checks are what the vault promises about any rebalance."""
        m = self.model
        sleep_and_refresh(COOLDOWN_S + LATE_S, self.mini.feeds, self.mini.deployer)  # the keeper waits out the cooldown
        lo, hi = sorted((st_cut_a, st_cut_b))
        targets = [lo, hi - lo, BPS - hi]
        nav_before, supply, epoch = m.nav(up=False), m.supply, self.vault.epoch()
        params = rebalance_params(self.vault, targets, plan_trades(self.vault, targets), epoch=epoch)
        try:
            tx = self.vault.rebalance(params, {"from": self.keeper})
        except VirtualMachineError as exc:
            # Refused as a whole: nothing moved (the invariants check the holdings are still the model's).
            assert REBALANCE_REFUSALS.match(exc.revert_msg or ""), exc.revert_msg
            assert self.vault.epoch() == epoch
            return
        m.held = [t.balanceOf(self.vault) for t in self.tokens]
        nav_after = m.nav(up=False)
        assert self.vault.totalSupply() == supply
        assert self.vault.epoch() == epoch + 1
        # Same prices before and after: any NAV change is execution cost, bounded per rebalance.
        assert nav_after * BPS >= nav_before * (BPS - MAX_NAV_LOSS_BPS)
        event = tx.events["Rebalanced"]
        assert (event["navBeforeBaseUnits"], event["navAfterBaseUnits"]) == (nav_before, nav_after)

    # ----------------------------------------------------------------------------------------------------------
    # invariants
    # ----------------------------------------------------------------------------------------------------------

    def invariant_supply_is_sum_of_balances(self):
        balances = [self.vault.balanceOf(u) for u in self.users]
        assert sum(balances) == self.vault.totalSupply() == self.model.supply
        assert balances == [self.model.shares[u.address] for u in self.users]

    def invariant_holdings_and_nav_match_model(self):
        assert [t.balanceOf(self.vault) for t in self.tokens] == self.model.held
        assert self.vault.totalAssets() == self.model.nav(up=False)


def test_vault__random_sequences__match_reference_model(state_machine, invested_vault, mini, alice, bob, keeper):
    # `make test` runs 50 examples of up to 20 steps: about 2.5-3.5 minutes on anvil, the rule mix decides (waits and
    # rebalances cost four transactions or more). Raise RP_STATEFUL_EXAMPLES / RP_STATEFUL_STEPS to dig deeper.
    state_machine(
        StateMachine,
        invested_vault,
        mini,
        [alice, bob],
        keeper,
        settings={
            "max_examples": int(os.environ.get("RP_STATEFUL_EXAMPLES", 50)),
            "stateful_step_count": int(os.environ.get("RP_STATEFUL_STEPS", 20)),
        },
    )
