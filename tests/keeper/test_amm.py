"""Uniswap V2 maths, once: the integer getAmountOut, the same formula in reals, and the cost of a trade."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keeper.amm import Pool, amount_out, amount_out_real, trade_cost


def test_amount_out_real__constant_product__fee_and_impact() -> None:
    assert amount_out_real(1.0, 1e12, 1e12) == pytest.approx(0.997, rel=1e-9)
    assert amount_out_real(100.0, 1000.0, 1000.0) == pytest.approx(99.7 * 1000.0 / 1099.7, rel=1e-12)


def test_amount_out__router_example__matches_uniswap_integer_formula() -> None:
    # getAmountOut(1e18, 100e18, 200e18) = 1e18*997*200e18 / (100e18*1000 + 1e18*997)
    assert amount_out(10**18, 100 * 10**18, 200 * 10**18) == 10**18 * 997 * 200 * 10**18 // (
        100 * 10**18 * 1000 + 10**18 * 997
    )


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    a=st.integers(1, 10**24),
    rin=st.integers(10**6, 10**27),
    rout=st.integers(10**6, 10**27),
)
def test_amount_out__any_reserves__integer_is_the_real_formula_rounded_down(a: int, rin: int, rout: int) -> None:
    exact = amount_out_real(float(a), float(rin), float(rout))
    got = amount_out(a, rin, rout)
    assert got <= exact * (1 + 1e-9) + 1
    assert got >= exact * (1 - 1e-9) - 1


def test_trade_cost__bigger_trade__higher_cost_rate() -> None:
    pool = Pool(1000 * 10**18, 3_000_000 * 10**6)  # 1,000 ETH against 3M USDC
    small = trade_cost(1000.0, 3000.0, pool, 18, 6, sell=True) / 1000.0
    big = trade_cost(300_000.0, 3000.0, pool, 18, 6, sell=True) / 300_000.0
    assert 0.003 <= small < big


def test_trade_cost__no_pool__loses_the_whole_trade() -> None:
    assert trade_cost(500.0, 3000.0, None, 18, 6, sell=False) == 500.0
