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


# PAXG -> WETH -> USDC: 500 PAXG against 400 WETH (PAXG at 2,400 USD, WETH at 3,000), then 1,000 WETH against 3M USDC.
ROUTE = Pool(500 * 10**18, 400 * 10**18, then=((1_000 * 10**18, 3_000_000 * 10**6),))


def test_pool_quote__route__chains_the_router_formula_hop_by_hop() -> None:
    a = 3 * 10**18
    weth = amount_out(a, 500 * 10**18, 400 * 10**18)
    assert ROUTE.quote(a, sell=True) == amount_out(weth, 1_000 * 10**18, 3_000_000 * 10**6)
    usdc = 7_000 * 10**6
    weth_bought = amount_out(usdc, 3_000_000 * 10**6, 1_000 * 10**18)
    assert ROUTE.quote(usdc, sell=False) == amount_out(weth_bought, 400 * 10**18, 500 * 10**18)
    direct = Pool(500 * 10**18, 1_200_000 * 10**6)
    assert direct.quote(a, sell=True) == amount_out(a, 500 * 10**18, 1_200_000 * 10**6)


def test_trade_cost__route__pays_both_fees_and_matches_the_integer_quote() -> None:
    value = 24_000.0  # 10 PAXG at 2,400
    cost = trade_cost(value, 2_400.0, ROUTE, 18, 6, sell=True)
    assert cost == pytest.approx(value - ROUTE.quote(10 * 10**18, sell=True) / 1e6, rel=1e-6)
    assert cost > value * (1 - 0.997 * 0.997)  # two 0.3% fees at least
    buy = trade_cost(value, 2_400.0, ROUTE, 18, 6, sell=False)
    assert buy == pytest.approx(value - ROUTE.quote(24_000 * 10**6, sell=False) / 1e18 * 2_400.0, rel=1e-6)
