"""An empty vault (kept apart: the other modules fill their vault at module scope)."""

from __future__ import annotations

from tests.helpers.vault import rebalance_params, reverts_with

USDC = 10**6


def test_deposit__empty_vault__mints_assets_times_offset(funded, alice, base):
    vault = funded
    tx = vault.deposit(1_000 * USDC, alice, {"from": alice})
    assert vault.balanceOf(alice) == 1_000 * USDC * 10**6
    assert tx.events["Deposit"]["shares"] == 1_000 * USDC * 10**6
    assert base.balanceOf(vault) == 1_000 * USDC


def test_rebalance__empty_vault__reverts(vault, keeper):
    with reverts_with("RiskParityVaultEmpty"):
        vault.rebalance(rebalance_params(vault, [7000, 1500, 1500], []), {"from": keeper})
