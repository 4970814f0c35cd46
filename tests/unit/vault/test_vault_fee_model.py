"""The fee reference model (tests/helpers/fee_model.py) over a year of hourly steps, 8,760 accruals, against the
rule written in floats: what the chain is checked against (test_vault_fees.py) must itself charge what the README
says. Pure Python; the on-chain year is test_vault_fees.py's 40 long and short steps."""

from __future__ import annotations

import math
import random

from tests.helpers.fee_model import BPS, VIRTUAL_SHARES, YEAR_SECONDS, FeeState, accrue, share_price_wad

HOUR = 3600
HOURS = 365 * 24
SUPPLY0 = 150_000 * 10**12  # 150,000 USDC of shares (6 + 6 decimals)
NAV0 = 150_000 * 10**6


def _walk(seed: int) -> list[float]:
    """Hourly NAV factors: 60% annual volatility, a crash and a recovery."""
    rng = random.Random(seed)
    sigma = 0.6 / math.sqrt(HOURS)
    factors = [math.exp(rng.gauss(0.0, sigma)) for _ in range(HOURS)]
    factors[3000] *= 0.7
    factors[6000] *= 1.5
    return factors


def test_hourly_year__management_only__dilutes_by_the_compounded_rate():
    state = FeeState(200, 0, share_price_wad(NAV0, SUPPLY0), 0)
    supply, minted = SUPPLY0, 0
    for h in range(1, HOURS + 1):
        a = accrue(state, NAV0, supply, h * HOUR)
        supply, minted, state = supply + a.shares, minted + a.shares, a.state
    r = 200 * HOUR / (BPS * YEAR_SECONDS)
    expected = 1 - (1 - r) ** HOURS  # every share loses r each hour
    got = minted / (supply + VIRTUAL_SHARES)
    assert abs(got - expected) < 1e-12
    # Hourly accrual charges a little under the headline 2% (1 - e^-0.02 = 1.98%), never more.
    assert 0.0198 < got < 0.02


def test_hourly_year__one_long_step__charges_exactly_the_annual_rate():
    state = FeeState(200, 0, share_price_wad(NAV0, SUPPLY0), 0)
    a = accrue(state, NAV0, SUPPLY0, YEAR_SECONDS)
    assert abs(a.shares / (SUPPLY0 + a.shares + VIRTUAL_SHARES) - 0.02) < 1e-15


def test_hourly_year__performance_fee__matches_the_float_rule_and_the_mark_only_rises():
    state = FeeState(100, 1_000, share_price_wad(NAV0, SUPPLY0), 0)
    nav, supply = NAV0, SUPPLY0
    f_nav, f_supply, f_mark = float(NAV0), float(SUPPLY0), (NAV0 + 1) / (SUPPLY0 + VIRTUAL_SHARES)
    f_minted = minted = 0.0
    for h, factor in enumerate(_walk(7), start=1):
        nav = int(nav * factor)
        f_nav = float(nav)
        a = accrue(state, nav, supply, h * HOUR)
        assert a.state.mark_wad >= state.mark_wad
        price = (nav + 1) / (supply + a.management_shares + VIRTUAL_SHARES) * 1e18
        if price <= state.mark_wad:
            assert a.performance_shares == 0
        # The same rule in floats.
        r = 100 * HOUR / (BPS * YEAR_SECONDS)
        fm = (f_supply + VIRTUAL_SHARES) * r / (1 - r)
        s = f_supply + fm + VIRTUAL_SHARES
        gain = max(0.0, f_nav + 1 - f_mark * s)
        fee = gain * 0.1
        fp = fee * s / (f_nav + 1 - fee)
        f_mark = max(f_mark, (f_nav + 1) / (s + fp))
        f_supply += fm + fp
        f_minted += fm + fp
        supply += a.shares
        minted += a.shares
        state = a.state
    assert minted > 0
    # The mark is kept to ~12 significant digits (base units per share unit, x 1e18), so each hour's gain over it
    # is measured to a fraction of a base unit: the integer model stays within 1e-7 of the float rule.
    assert abs(minted - f_minted) / f_minted < 1e-7
    assert abs(state.mark_wad / 1e18 - f_mark) / f_mark < 1e-7
