"""Trade planner: bps conversion, integer trades through the base asset, oracle floors, ordering, caps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keeper.amm import Pool, amount_out
from keeper.planner import Trade, plan_trades, weights_to_bps
from keeper.units import BASE_PRICE, BPS, Price, oracle_amount_out, oracle_price

PROPS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# Base asset: a 6-decimal USD stablecoin at index 0; then an 18-decimal ETH-like and an 8-decimal BTC-like token.
# Feed answers in 8 decimals, priced into the vault's frame as the vault does (keeper.units.oracle_price).
TOKENS = ["USDC", "WETH", "WBTC"]
DECIMALS = [6, 18, 8]
ANSWERS = [100_000_000, 3_000 * 10**8, 60_000 * 10**8]
PRICES: list[Price] = [BASE_PRICE] + [oracle_price(ANSWERS[i], 8, DECIMALS[i], ANSWERS[0], 8, 6) for i in (1, 2)]
USDC = 10**6


def reserves(depth_usd: int, answers: list[int] = ANSWERS) -> list[Pool | None]:
    out: list[Pool | None] = [None]
    for i in (1, 2):
        out.append(Pool(depth_usd * 10 ** DECIMALS[i] * 10**8 // answers[i], depth_usd * USDC))
    return out


def plan(balances: list[int], target: list[int], depth: int = 10**9, **kw) -> object:
    return plan_trades(
        tokens=TOKENS,
        balances=balances,
        prices=kw.pop("prices", PRICES),
        base_index=0,
        target_bps=target,
        pools=kw.pop("pools", reserves(depth)),
        **kw,
    )


# ---------------------------------------------------------------------------------------------------------------
# WEIGHTS -> BPS
# ---------------------------------------------------------------------------------------------------------------


@PROPS
@given(st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=40).filter(lambda w: sum(w) > 0))
def test_weights_to_bps__any_weights__sum_exactly_10000_within_one_point(w: list[float]) -> None:
    bps = weights_to_bps(w)
    assert sum(bps) == BPS
    exact = np.array(w) / sum(w) * BPS
    assert np.all(np.abs(np.array(bps) - exact) < 1.0)


def test_weights_to_bps__thirds__largest_remainder_ties_to_lower_index() -> None:
    assert weights_to_bps([1, 1, 1]) == [3334, 3333, 3333]


def test_weights_to_bps__negative_weight__rejected() -> None:
    with pytest.raises(ValueError):
        weights_to_bps([0.5, -0.1, 0.6])


# ---------------------------------------------------------------------------------------------------------------
# PLANNING
# ---------------------------------------------------------------------------------------------------------------

ALL_CASH = [1_000_000 * 10**6, 0, 0]


def test_plan_trades__all_in_base__buys_only_with_bounded_min_out() -> None:
    p = plan(ALL_CASH, [2000, 4000, 4000])
    assert [t.token_in for t in p.trades] == ["USDC", "USDC"]
    weth = p.trades[0]
    assert weth.amount_in == 400_000 * 10**6
    oracle = oracle_amount_out(weth.amount_in, PRICES[0], PRICES[1])
    assert oracle == weth.amount_in * 10**12 // 3000  # 1 USDC raw -> 1e12 / 3000 wei of WETH at $3,000
    assert weth.min_amount_out == min(oracle, amount_out(weth.amount_in, *_res(1, True))) * 9950 // BPS


def _res(i: int, buy: bool) -> tuple[int, int]:
    r = reserves(10**9)[i]
    assert r is not None
    return (r.reserve_base, r.reserve_asset) if buy else (r.reserve_asset, r.reserve_base)


def test_plan_trades__mixed__sells_before_buys() -> None:
    balances = [0, 200 * 10**18, 0]  # 600k USD of WETH only
    p = plan(balances, [0, 5000, 5000])
    assert [(t.token_in, t.token_out) for t in p.trades] == [("WETH", "USDC"), ("USDC", "WBTC")]
    # The buy spends no more base than the sell is certain to deliver.
    assert p.trades[1].amount_in <= p.trades[0].min_amount_out


def test_plan_trades__tiny_move__skipped_as_dust() -> None:
    balances = [500_000 * 10**6, 0, 0]
    balances[1] = 500_000 * 10**18 // 3000
    p = plan(balances, [5000, 5000, 0], min_trade=10 * USDC)
    assert p.trades == ()


def test_plan_trades__max_trade_size__each_trade_capped() -> None:
    cap = 50_000 * USDC
    p = plan(ALL_CASH, [2000, 4000, 4000], max_trade=cap)
    assert p.trades
    for t in p.trades:
        assert t.amount_in <= cap


def test_plan_trades__shallow_pool__trade_shrunk_to_clear_oracle_floor() -> None:
    p = plan(ALL_CASH, [2000, 4000, 4000], depth=2_000_000)
    for t in p.trades:
        assert t.amount_in < 400_000 * 10**6
        assert t.min_amount_out >= _oracle_floor(t, 200)


def test_plan_trades__trade_tuple__matches_vault_abi_order() -> None:
    t = Trade("A", "B", 1, 2)
    assert t.as_tuple() == ("A", "B", 1, 2)


def test_plan_trades__targets_not_summing_to_10000__rejected() -> None:
    with pytest.raises(ValueError):
        plan(ALL_CASH, [2000, 4000, 3999])


def _oracle_floor(t: Trade, bound_bps: int) -> int:
    """The vault's floor: oracle value less the bound, rounded up (``mulDiv(..., Ceil)``)."""
    i, o = TOKENS.index(t.token_in), TOKENS.index(t.token_out)
    return -(-oracle_amount_out(t.amount_in, PRICES[i], PRICES[o]) * (BPS - bound_bps) // BPS)


@PROPS
@given(
    cash=st.integers(0, 10**13),
    eth=st.integers(0, 10**24),
    btc=st.integers(0, 10**10),
    split=st.lists(st.integers(0, 100), min_size=3, max_size=3).filter(lambda s: sum(s) > 0),
    depth=st.integers(10**4, 10**10),
    pool_skew=st.floats(0.8, 1.25),
    slippage=st.integers(0, 150),
)
def test_plan_trades__any_state__min_out_never_below_oracle_floor(
    cash: int, eth: int, btc: int, split: list[int], depth: int, pool_skew: float, slippage: int
) -> None:
    # Pools priced off the oracle by up to ±25 % (stale or manipulated): the plan must still respect the floor.
    skewed = [ANSWERS[0], int(ANSWERS[1] * pool_skew), int(ANSWERS[2] / pool_skew)]
    p = plan(
        [cash, eth, btc],
        weights_to_bps(split),
        pools=reserves(depth, skewed),
        slippage_bps=slippage,
        oracle_bound_bps=200,
    )
    base_in = 0
    base_out = cash
    for t in p.trades:
        assert t.amount_in > 0
        assert t.min_amount_out >= _oracle_floor(t, 200)
        if t.token_out == "USDC":
            base_out += t.min_amount_out
            assert base_in == 0, "a sell came after a buy"
        else:
            base_in += t.amount_in
    assert base_in <= base_out
    balances = {"USDC": cash, "WETH": eth, "WBTC": btc}
    for t in p.trades:
        if t.token_in != "USDC":
            assert t.amount_in <= balances[t.token_in]


def test_plan_trades__routed_asset__min_out_from_the_route_quote_and_above_the_vault_floor() -> None:
    # WETH trades through a hub (its pair is against a 1:1 stable, then to USDC): two fees, one floor.
    depth = 10**7
    weth_reserve = depth * 10**18 * 10**8 // ANSWERS[1]
    routed = Pool(weth_reserve, depth * 10**18, then=((depth * 10**18, depth * USDC),))
    pools = [None, routed, reserves(10**9)[2]]
    p = plan([100_000 * USDC, 0, 0], [5_000, 5_000, 0], pools=pools, slippage_bps=20, oracle_bound_bps=130)
    weth = next(t for t in p.trades if t.token_out == "WETH")
    quote = routed.quote(weth.amount_in, sell=False)
    assert weth.min_amount_out == min(oracle_amount_out(weth.amount_in, PRICES[0], PRICES[1]), quote) * 9980 // BPS
    assert quote < amount_out(weth.amount_in, depth * USDC, weth_reserve)  # the second hop's fee shows
    floor = -(-oracle_amount_out(weth.amount_in, PRICES[0], PRICES[1]) * (BPS - 130) // BPS)
    assert weth.min_amount_out >= floor
    # With the direct pair's floor (100 bps) two fees and the tolerance do not fit: the trade is refused.
    tight = plan([100_000 * USDC, 0, 0], [5_000, 5_000, 0], pools=pools, slippage_bps=50, oracle_bound_bps=100)
    assert not any(t.token_out == "WETH" for t in tight.trades)
