from __future__ import annotations

from tests.integration.vault.vault_helpers import plan_trades, rebalance_params


def test_rebalance__to_equal_weights__moves_through_router(world, seeded, keeper):
    vault = seeded
    n = len(vault.assets())
    targets = [1000] + [9000 // (n - 1)] * (n - 1)
    targets[1] += 10_000 - sum(targets)
    trades = plan_trades(vault, targets, fraction=0.5)
    tx = vault.rebalance(rebalance_params(vault, targets, trades), {"from": keeper})
    print(tx.gas_used, tx.events["Rebalanced"])
    assert vault.epoch() == 1
