"""One keeper tick against the world: rebalance when the deviation passes the threshold, hold otherwise, and
never send a transaction on a stale feed."""

from __future__ import annotations

import pytest
from brownie import chain  # type: ignore[attr-defined]

from keeper.daemon import Keeper


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


def test_tick__deviation_above_threshold__rebalances_through_router(vault_env, keeper_config):
    vault = vault_env["vault"]
    keeper = Keeper(keeper_config())
    epoch = vault.epoch()
    result = keeper.tick()
    assert result.record.decision == "rebalance" and result.record.status == "ok"
    assert result.record.deviation > keeper.cfg.policy.trigger_rc_deviation
    assert vault.epoch() == epoch + 1
    assert list(vault.targetWeightsBps()) == result.record.targets_bps
    # The vault now holds the risky assets it bought through the real router.
    state = keeper.client.vault_state(keeper.vault)
    assert all(a.balance > 0 for a in state.assets[1:])
    assert keeper.journal.last(1)[0]["tx_hash"] == result.record.tx_hash


def test_tick__deviation_below_threshold__holds_without_transaction(vault_env, keeper_config):
    vault = vault_env["vault"]
    keeper = Keeper(keeper_config(policy={"trigger_rc_deviation": 0.99}))
    nonce = keeper.client.w3.eth.get_transaction_count(keeper.client.signer.address)
    result = keeper.tick()
    assert result.record.decision == "hold" and result.record.reason == "below_threshold"
    assert result.record.tx_hash is None
    assert vault.epoch() == 0
    assert keeper.client.w3.eth.get_transaction_count(keeper.client.signer.address) == nonce


def test_tick__stale_feed__skips_with_reason_and_sends_nothing(vault_env, keeper_config, caplog):
    keeper = Keeper(keeper_config())
    nonce = keeper.client.w3.eth.get_transaction_count(keeper.client.signer.address)
    chain.sleep(6 * 3600)  # past the 4,500 s heartbeat the vault accepts for WBTC, WETH and LINK
    chain.mine()
    with caplog.at_level("INFO", logger="keeper.daemon"):
        result = keeper.tick()
    assert result.record.decision == "skip"
    assert result.record.reason == "stale_oracle" and result.record.detail.startswith("feed")
    assert "stale" in caplog.text
    assert keeper.client.w3.eth.get_transaction_count(keeper.client.signer.address) == nonce
    assert vault_env["vault"].epoch() == 0


def test_tick__inside_cooldown__holds(vault_env, keeper_config):
    keeper = Keeper(keeper_config(policy={"cooldown_s": 7 * 86400}))
    assert keeper.tick().record.decision == "rebalance"
    vault_env["sim"].run(6)
    result = keeper.tick()
    assert (result.record.decision, result.record.reason) == ("hold", "cooldown")


def test_tick__dry_run__simulates_but_sends_nothing(vault_env, keeper_config):
    keeper = Keeper(keeper_config())
    result = keeper.tick(dry_run=True)
    assert (result.record.decision, result.record.status) == ("rebalance", "dry_run")
    assert vault_env["vault"].epoch() == 0


def test_tick__feed_answers_zero__skips_naming_the_feed_and_sends_nothing(vault_env, keeper_config, deployer):
    from brownie import PriceFeed  # type: ignore[attr-defined]

    keeper = Keeper(keeper_config())
    weth = next(a for a in vault_env["deployment"].assets.values() if a.symbol == "WETH")
    PriceFeed.at(weth.feed).submit(0, {"from": deployer})  # a broken reporter publishes 0
    result = keeper.tick()
    assert (result.record.decision, result.record.reason) == ("skip", "stale_oracle")
    assert weth.feed.lower() in result.record.detail.lower() and "not positive" in result.record.detail
    assert vault_env["vault"].epoch() == 0 and result.record.tx_hash is None
