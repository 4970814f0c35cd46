"""A flaky or dead node: reads are retried and fail over; the failure policy stops the service after N failed
ticks in a row, and every failure is journaled."""

from __future__ import annotations

import pytest

from keeper.chain import ChainClient
from keeper.daemon import EXIT_FAILURES, Keeper
from keeper.errors import NodeUnreachableError

DEAD = "http://127.0.0.1:9"  # nothing listens on the discard port


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


def test_read__first_url_dead__fails_over_to_second(vault_env, keeper_config):
    from brownie import web3  # type: ignore[attr-defined]

    cfg = keeper_config(rpc_urls=[DEAD, web3.provider.endpoint_uri])
    keeper = Keeper(cfg)
    result = keeper.tick()
    assert result.record.decision == "rebalance"
    assert keeper.client.url == web3.provider.endpoint_uri


def test_read__node_down__retries_with_backoff_then_raises(keeper_config):
    sleeps: list[float] = []
    client = ChainClient([DEAD], read_retries=3, backoff_s=0.1, timeout_s=1, sleep=sleeps.append)
    with pytest.raises(NodeUnreachableError, match="failed 3 times on http://127.0.0.1:9"):
        client.read(lambda w3: w3.eth.block_number, "block number")
    assert sleeps == [0.1, 0.2, 0.4]


def test_guarded_tick__node_down__stops_after_consecutive_failures(vault_env, keeper_config):
    keeper = Keeper(keeper_config(rpc_urls=[DEAD]))
    keeper.client._sleep = lambda s: None
    keeper.guarded_tick()
    assert keeper.exit_code is None and keeper.consecutive_failures == 1
    keeper.guarded_tick()
    assert keeper.exit_code == EXIT_FAILURES
    rows = keeper.journal.last(5)
    assert [r["decision"] for r in rows] == ["error", "error"]
    assert "NodeUnreachableError" in rows[0]["reason"]


def test_run__node_down__exits_non_zero(vault_env, keeper_config):
    keeper = Keeper(keeper_config(rpc_urls=[DEAD]))
    keeper.client._sleep = lambda s: None
    keeper.client.check_chain = lambda: 1337  # start-up check passes; the ticks then find the node down
    assert keeper.run(install_signals=False) == EXIT_FAILURES


def test_guarded_tick__success_after_failure__resets_the_count(vault_env, keeper_config):
    from brownie import web3  # type: ignore[attr-defined]

    keeper = Keeper(keeper_config(rpc_urls=[DEAD]))
    keeper.client._sleep = lambda s: None
    keeper.guarded_tick()
    assert keeper.consecutive_failures == 1
    keeper.client.urls = [web3.provider.endpoint_uri]
    keeper.client._failover = lambda: None
    keeper.client._w3 = keeper.client._connect(web3.provider.endpoint_uri)
    keeper.guarded_tick()
    assert keeper.consecutive_failures == 0 and keeper.exit_code is None
