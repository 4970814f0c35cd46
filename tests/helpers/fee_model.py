"""A Python reference model of the vault's holder fees (contracts/libraries/FeeLogic.sol), in integers, to the wei.

It is written from the rule in FeeLogic's NatSpec, not from its code: management fee as a dilution of every share
(virtual ones included) by r = fee x elapsed / year, performance fee on the share price's gain over the high-water
mark, paid as shares at Morpho Vault V2's conversion, the mark only moving up. The on-chain tests feed it the NAV,
supply and block time of each accrual and expect the same shares and mark.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

BPS = 10_000
WAD = 10**18
YEAR_SECONDS = 365 * 86_400
VIRTUAL_SHARES = 10**6
MAX_RATE = BPS * YEAR_SECONDS // 2


def _div_up(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class FeeState:
    management_bps: int
    performance_bps: int
    mark_wad: int = 0
    last_accrual_at: int = 0


@dataclass(frozen=True)
class Accrual:
    management_shares: int
    performance_shares: int
    state: FeeState

    @property
    def shares(self) -> int:
        return self.management_shares + self.performance_shares


def accrue(state: FeeState, nav: int, supply: int, now: int, *, priced: bool = True) -> Accrual:
    """One accrual at block time ``now`` with oracle NAV ``nav`` (base units) over ``supply`` shares."""
    m = 0
    if supply:
        rate = min(state.management_bps * (now - state.last_accrual_at), MAX_RATE)
        m = (supply + VIRTUAL_SHARES) * rate // (BPS * YEAR_SECONDS - rate)
    if not priced:
        return Accrual(m, 0, replace(state, last_accrual_at=now))
    s = supply + m + VIRTUAL_SHARES
    p = 0
    if supply and state.mark_wad:
        mark_assets = _div_up(state.mark_wad * s, WAD)
        if nav + 1 > mark_assets:
            fee = (nav + 1 - mark_assets) * state.performance_bps // BPS
            p = fee * s // (nav + 1 - fee)
    mark = max(state.mark_wad, (nav + 1) * WAD // (s + p))
    return Accrual(m, p, replace(state, mark_wad=mark, last_accrual_at=now))


def share_price_wad(nav: int, supply: int) -> int:
    """The price the mark is kept in: base units per share unit, x 1e18."""
    return (nav + 1) * WAD // (supply + VIRTUAL_SHARES)
