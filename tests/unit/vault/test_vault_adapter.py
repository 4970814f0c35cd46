"""UniswapV2SwapAdapter: only its vault calls it, exact approvals, no leftovers, quotes that never revert."""

from __future__ import annotations

from brownie import UniswapV2SwapAdapter, chain  # type: ignore[attr-defined]

from tests.helpers.vault import deadline, reverts_with

ZERO = "0x0000000000000000000000000000000000000000"


def test_constructor__zero_vault__reverts(mini, deployer):
    with reverts_with("UniswapV2SwapAdapterZeroAddress"):
        UniswapV2SwapAdapter.deploy(ZERO, mini.router, {"from": deployer})


def test_swap_exact_in__not_vault__reverts(deployed, mini, alice):
    with reverts_with("UniswapV2SwapAdapterOnlyVault"):
        deployed.adapter.swapExactIn(mini.base, mini.tokens["WBTC"], 1, 0, alice, deadline(), {"from": alice})


def test_swap_exact_in__as_vault__exact_approval_and_nothing_left(mini, deployer, alice):
    # An adapter bound to Alice (standing in for a vault) to drive it directly.
    adapter = UniswapV2SwapAdapter.deploy(alice, mini.router, {"from": deployer})
    usdc, wbtc = mini.base, mini.tokens["WBTC"]
    mini.fund("USDC", adapter, 1_000 * 10**6)
    quote = adapter.quoteExactIn(usdc, wbtc, 1_000 * 10**6)
    tx = adapter.swapExactIn(usdc, wbtc, 1_000 * 10**6, quote, alice, deadline(), {"from": alice})
    assert tx.return_value == quote == wbtc.balanceOf(alice)
    assert usdc.balanceOf(adapter) == 0 and usdc.allowance(adapter, mini.router) == 0


def test_swap_exact_in__deadline_passed__router_reverts(mini, deployer, alice):
    adapter = UniswapV2SwapAdapter.deploy(alice, mini.router, {"from": deployer})
    mini.fund("USDC", adapter, 10**6)
    with reverts_with("UniswapV2Router: EXPIRED"):
        past = chain[-1].timestamp - 1
        adapter.swapExactIn(mini.base, mini.tokens["WBTC"], 10**6, 0, alice, past, {"from": alice})


def test_quote_exact_in__dust__zero_not_revert(deployed, mini):
    assert deployed.adapter.quoteExactIn(mini.tokens["NRT"], mini.base, 1) == 0


def test_quote_exact_in__no_pool__zero_not_revert(deployed, mini):
    assert deployed.adapter.quoteExactIn(mini.tokens["NRT"], mini.tokens["WBTC"], 10**18) == 0
