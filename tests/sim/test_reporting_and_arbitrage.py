"""Chainlink's publish rule and the arbitrageur's maths, checked against Uniswap V2's integer formula."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devworld.sim.arbitrage import amount_out, trade_to_price
from devworld.sim.reporting import should_publish, to_answer


def test_to_answer__usd_price__scales_by_8_decimals():
    assert to_answer(3200.5) == 320_050_000_000
    assert to_answer(1.0) == 10**8


def test_should_publish__below_deviation_inside_heartbeat__does_not_publish():
    assert not should_publish(100_000, 0, 100_049, 3599, deviation_bps=50, heartbeat_s=3600)


def test_should_publish__at_deviation__publishes():
    assert should_publish(100_000, 0, 100_500, 10, deviation_bps=50, heartbeat_s=3600)
    assert should_publish(100_000, 0, 99_500, 10, deviation_bps=50, heartbeat_s=3600)


def test_should_publish__heartbeat_elapsed__publishes_unchanged_answer():
    assert should_publish(100_000, 0, 100_000, 3600, deviation_bps=50, heartbeat_s=3600)


def test_amount_out__matches_uniswap_v2_formula():
    # UniswapV2Library.getAmountOut: in * 997 * r_out / (r_in * 1000 + in * 997)
    a_in, r_in, r_out = 10**18, 100 * 10**18, 200_000 * 10**6
    assert amount_out(a_in, r_in, r_out) == (a_in * 997 * r_out) // (r_in * 1000 + a_in * 997) == 1_974_316_068


@settings(max_examples=200, deadline=None)
@given(
    reserve_asset=st.integers(10**9, 10**27),
    price=st.floats(1e-4, 1e4),
    move=st.floats(-0.5, 1.0).filter(lambda m: abs(m) > 0.001),
)
def test_trade_to_price__executed__lands_pool_mid_on_target(reserve_asset, price, move):
    reserve_base = int(reserve_asset * price)
    if reserve_base < 10**6:
        return
    target = price * (1 + move)
    trade = trade_to_price(reserve_asset, reserve_base, target)
    assert trade is not None
    assert trade.sell_asset == (target < reserve_base / reserve_asset)
    if trade.sell_asset:
        out = amount_out(trade.amount_in, reserve_asset, reserve_base)
        x, y = reserve_asset + trade.amount_in, reserve_base - out
    else:
        out = amount_out(trade.amount_in, reserve_base, reserve_asset)
        x, y = reserve_asset - out, reserve_base + trade.amount_in
    assert abs((y / x) / target - 1) < 1e-6


def test_trade_to_price__already_at_target__no_trade():
    assert trade_to_price(10**18, 3200 * 10**6, 3200 * 10**6 / 10**18) is None
