"""UniswapV2SwapAdapter: only its vault calls it, exact approvals, no leftovers, quotes that never revert."""

from __future__ import annotations

from brownie import UniswapV2SwapAdapter, chain  # type: ignore[attr-defined]

from tests.helpers.vault import deadline, reverts_with

ZERO = "0x0000000000000000000000000000000000000000"


def test_constructor__zero_vault__reverts(mini, deployer):
    with reverts_with("UniswapV2SwapAdapterZeroAddress"):
        UniswapV2SwapAdapter.deploy(ZERO, mini.router, [], {"from": deployer})


def test_swap_exact_in__not_vault__reverts(deployed, mini, alice):
    with reverts_with("UniswapV2SwapAdapterOnlyVault"):
        deployed.adapter.swapExactIn(mini.base, mini.tokens["WBTC"], 1, 0, alice, deadline(), {"from": alice})


def test_swap_exact_in__as_vault__exact_approval_and_nothing_left(mini, deployer, alice):
    # An adapter bound to Alice (standing in for a vault) to drive it directly.
    adapter = UniswapV2SwapAdapter.deploy(alice, mini.router, [], {"from": deployer})
    usdc, wbtc = mini.base, mini.tokens["WBTC"]
    mini.fund("USDC", adapter, 1_000 * 10**6)
    quote = adapter.quoteExactIn(usdc, wbtc, 1_000 * 10**6)
    tx = adapter.swapExactIn(usdc, wbtc, 1_000 * 10**6, quote, alice, deadline(), {"from": alice})
    assert tx.return_value == quote == wbtc.balanceOf(alice)
    assert usdc.balanceOf(adapter) == 0 and usdc.allowance(adapter, mini.router) == 0


def test_swap_exact_in__deadline_passed__router_reverts(mini, deployer, alice):
    adapter = UniswapV2SwapAdapter.deploy(alice, mini.router, [], {"from": deployer})
    mini.fund("USDC", adapter, 10**6)
    with reverts_with("UniswapV2Router: EXPIRED"):
        past = chain[-1].timestamp - 1
        adapter.swapExactIn(mini.base, mini.tokens["WBTC"], 10**6, 0, alice, past, {"from": alice})


def test_quote_exact_in__dust__zero_not_revert(deployed, mini):
    assert deployed.adapter.quoteExactIn(mini.tokens["NRT"], mini.base, 1) == 0


def test_quote_exact_in__no_pool__zero_not_revert(deployed, mini):
    assert deployed.adapter.quoteExactIn(mini.tokens["NRT"], mini.tokens["WBTC"], 10**18) == 0


def test_route_of__hub__paths_through_it_both_ways_and_not_to_itself(mini, deployer, alice):
    usdc, wbtc, nrt = mini.base, mini.tokens["WBTC"], mini.tokens["NRT"]
    adapter = UniswapV2SwapAdapter.deploy(alice, mini.router, [(nrt, usdc)], {"from": deployer})
    assert adapter.routeOf(wbtc, nrt) == [wbtc, usdc, nrt]
    assert adapter.routeOf(nrt, wbtc) == [nrt, usdc, wbtc]
    assert adapter.routeOf(nrt, usdc) == [nrt, usdc]
    assert adapter.routeOf(usdc, wbtc) == [usdc, wbtc]


def test_swap_exact_in__routed__pays_the_whole_route_and_floors_its_output(mini, deployer, alice):
    usdc, wbtc, nrt = mini.base, mini.tokens["WBTC"], mini.tokens["NRT"]
    adapter = UniswapV2SwapAdapter.deploy(alice, mini.router, [(nrt, usdc)], {"from": deployer})
    amount = 10**6  # 0.01 WBTC, about 900 USD
    mini.fund("WBTC", adapter, 2 * amount)
    expected = mini.router.getAmountsOut(amount, [wbtc, usdc, nrt])[-1]
    assert adapter.quoteExactIn(wbtc, nrt, amount) == expected > 0
    # The minimum applies to the route's final output, not to the first hop's.
    with reverts_with("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"):
        adapter.swapExactIn(wbtc, nrt, amount, expected + 1, alice, deadline(), {"from": alice})
    tx = adapter.swapExactIn(wbtc, nrt, amount, expected, alice, deadline(), {"from": alice})
    assert tx.return_value == expected == nrt.balanceOf(alice)
    assert usdc.balanceOf(adapter) == 0 and wbtc.allowance(adapter, mini.router) == 0


def test_constructor__hub_that_routes_or_self_hop__reverts(mini, deployer, alice):
    usdc, wbtc, nrt = mini.base, mini.tokens["WBTC"], mini.tokens["NRT"]
    with reverts_with("UniswapV2SwapAdapterBadHop"):
        UniswapV2SwapAdapter.deploy(alice, mini.router, [(nrt, nrt)], {"from": deployer})
    with reverts_with("UniswapV2SwapAdapterBadHop"):
        UniswapV2SwapAdapter.deploy(alice, mini.router, [(nrt, wbtc), (wbtc, usdc)], {"from": deployer})
