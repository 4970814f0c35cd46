"""Stateful test of the vault's share accounting against a Python reference model.

Random sequences of deposit / mint / withdraw / redeem / redeemInKind by two users, feed price moves and
donations. After every step: the sum of share balances is the supply, balances and NAV equal the model's,
every call returned exactly what the model (and the preview taken just before) said, and no deposit-redeem
round trip ever returns more than it put in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import brownie
from brownie.test import strategy  # type: ignore[attr-defined]

VIRTUAL_SHARES = 10**6
SYMBOLS = ("USDC", "WBTC", "NRT")  # registry order; USDC is the base


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass
class Model:
    """The vault as the spec says it should be: integer maths, same rounding directions."""

    decimals: list[int]
    answers: list[int]
    held: list[int]
    shares: dict[str, int] = field(default_factory=dict)

    @property
    def supply(self) -> int:
        return sum(self.shares.values())

    def nav(self, up: bool) -> int:
        base_scale = 10 ** self.decimals[0] * 10**8
        total = self.held[0]
        for i in range(1, len(self.held)):
            num = self.held[i] * self.answers[i] * base_scale
            den = self.answers[0] * 10 ** (self.decimals[i] + 8)
            total += _ceil_div(num, den) if up else num // den
        return total

    def to_shares(self, assets: int, up_nav: bool, ceil: bool) -> int:
        num, den = assets * (self.supply + VIRTUAL_SHARES), self.nav(up_nav) + 1
        return _ceil_div(num, den) if ceil else num // den

    def to_assets(self, shares: int, up_nav: bool, ceil: bool) -> int:
        num, den = shares * (self.nav(up_nav) + 1), self.supply + VIRTUAL_SHARES
        return _ceil_div(num, den) if ceil else num // den


class StateMachine:
    st_user = strategy("uint8", max_value=1)
    st_assets = strategy("uint256", min_value=1, max_value=10**12)  # up to 1M USDC
    st_fraction = strategy("uint16", min_value=1, max_value=10_000)  # bps of the user's shares
    st_asset = strategy("uint8", max_value=2)
    st_factor = strategy("uint16", min_value=5_000, max_value=20_000)  # price x 0.5 .. x 2, in bps
    st_donation = strategy("uint256", min_value=1, max_value=10**22)

    def __init__(cls, vault, mini, users):
        cls.vault = vault
        cls.mini = mini
        cls.users = users
        cls.tokens = [mini.tokens[s] for s in SYMBOLS]
        cls.feeds = [mini.feeds[s] for s in SYMBOLS]
        cls.initial_answers = [f.latestRoundData()[1] for f in cls.feeds]

    def setup(self):
        self.model = Model(
            decimals=[t.decimals() for t in self.tokens],
            answers=[f.latestRoundData()[1] for f in self.feeds],
            held=[t.balanceOf(self.vault) for t in self.tokens],
            shares={u.address: self.vault.balanceOf(u) for u in self.users},
        )

    # ----------------------------------------------------------------------------------------------------------
    # rules
    # ----------------------------------------------------------------------------------------------------------

    def rule_deposit(self, st_user, st_assets):
        user, m = self.users[st_user], self.model
        expected = m.to_shares(st_assets, up_nav=True, ceil=False)
        preview = self.vault.previewDeposit(st_assets)
        assert preview == expected
        shares = self.vault.deposit(st_assets, user, {"from": user}).return_value
        assert shares == expected
        m.shares[user.address] += shares
        m.held[0] += st_assets

    def rule_mint(self, st_user, st_assets):
        user, m = self.users[st_user], self.model
        shares = st_assets * 10**5  # ~0.1 base unit per share-unit range
        expected = m.to_assets(shares, up_nav=True, ceil=True)
        assert self.vault.previewMint(shares) == expected
        assets = self.vault.mint(shares, user, {"from": user}).return_value
        assert assets == expected
        m.shares[user.address] += shares
        m.held[0] += assets

    def rule_withdraw(self, st_user, st_assets):
        user, m = self.users[st_user], self.model
        shares = m.to_shares(st_assets, up_nav=False, ceil=True)
        if st_assets > m.held[0]:
            with brownie.reverts(revert_pattern=r"RiskParityVaultInsufficientIdle\b.*"):
                self.vault.withdraw(st_assets, user, user, {"from": user})
            return
        if shares > m.shares[user.address]:
            with brownie.reverts(revert_pattern=r"ERC20InsufficientBalance\b.*"):
                self.vault.withdraw(st_assets, user, user, {"from": user})
            return
        assert self.vault.previewWithdraw(st_assets) == shares
        burnt = self.vault.withdraw(st_assets, user, user, {"from": user}).return_value
        assert burnt == shares
        m.shares[user.address] -= shares
        m.held[0] -= st_assets

    def rule_redeem(self, st_user, st_fraction):
        user, m = self.users[st_user], self.model
        shares = m.shares[user.address] * st_fraction // 10_000
        assets = m.to_assets(shares, up_nav=False, ceil=False)
        if assets > m.held[0]:
            with brownie.reverts(revert_pattern=r"RiskParityVaultInsufficientIdle\b.*"):
                self.vault.redeem(shares, user, user, {"from": user})
            return
        assert self.vault.previewRedeem(shares) == assets
        paid = self.vault.redeem(shares, user, user, {"from": user}).return_value
        assert paid == assets
        m.shares[user.address] -= shares
        m.held[0] -= assets

    def rule_redeem_in_kind(self, st_user, st_fraction):
        user, m = self.users[st_user], self.model
        shares = m.shares[user.address] * st_fraction // 10_000
        if shares == 0:
            return
        slices = [h * shares // (m.supply + VIRTUAL_SHARES) for h in m.held]
        # The slices are worth no more than the shares at the oracle (in-kind never beats redeem).
        value = Model(m.decimals, m.answers, slices).nav(up=True)
        assert value <= m.to_assets(shares, up_nav=True, ceil=True)
        amounts = self.vault.redeemInKind(shares, user, user, {"from": user}).return_value
        assert list(amounts) == slices
        m.shares[user.address] -= shares
        m.held = [h - s for h, s in zip(m.held, slices, strict=True)]

    def rule_round_trip(self, st_user, st_assets):
        """Deposit then redeem the same shares at once: never more back than paid in."""
        user, m = self.users[st_user], self.model
        shares = self.vault.deposit(st_assets, user, {"from": user}).return_value
        m.shares[user.address] += shares
        m.held[0] += st_assets
        back = m.to_assets(shares, up_nav=False, ceil=False)
        assert back <= st_assets
        if back <= m.held[0]:
            self.vault.redeem(shares, user, user, {"from": user})
            m.shares[user.address] -= shares
            m.held[0] -= back

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


def test_vault__random_sequences__match_reference_model(state_machine, invested_vault, mini, alice, bob):
    # Small on purpose: the whole project suite must stay fast; raise max_examples locally to dig deeper.
    state_machine(StateMachine, invested_vault, mini, [alice, bob],
                  settings={"max_examples": 12, "stateful_step_count": 12})
