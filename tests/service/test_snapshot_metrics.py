"""One snapshot per tick at one block, a stalled node's head refused, and the gauges an operator alerts on."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
from brownie import web3  # type: ignore[attr-defined]

from keeper.daemon import Keeper
from keeper.outcomes import Action, Reason


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


def _record_requests(keeper: Keeper) -> list[tuple[str, Any]]:
    """Every JSON-RPC request the keeper's client sends from now on (batches flattened)."""
    seen: list[tuple[str, Any]] = []
    provider = keeper.client.w3.provider
    one, batch = provider.make_request, provider.make_batch_request

    def make_request(method, params):
        seen.append((method, params))
        return one(method, params)

    def make_batch_request(requests_):
        seen.extend((m, p) for m, p in requests_)
        return batch(requests_)

    provider.make_request = make_request  # type: ignore[method-assign]
    provider.make_batch_request = make_batch_request  # type: ignore[method-assign]
    return seen


def test_snapshot__one_tick__every_state_read_pinned_to_the_same_block(vault_env, keeper_config):
    keeper = Keeper(keeper_config())
    keeper.read()  # warm the caches (lens address, pair tokens, feed history)
    seen = _record_requests(keeper)
    snap = keeper.read()
    calls = [params for method, params in seen if method == "eth_call"]
    assert len(calls) > 10  # lens view, feeds, rounds, reserves...
    assert {params[1] for params in calls} == {hex(snap.block)}
    assert snap.assets[1].pool is not None and snap.assets[1].history.round_ids
    # The head block is read once (its number, time and base fee); nothing reads another block.
    blocks = [params[0] for method, params in seen if method == "eth_getBlockByNumber"]
    assert len(blocks) <= 1 and all(b in ("latest", hex(snap.block)) for b in blocks)


def test_tick__node_head_older_than_max_age__skips_as_stale_head_and_sends_nothing(vault_env, keeper_config):
    vault = vault_env["vault"]
    keeper = Keeper(keeper_config(chain={"max_head_age_s": 120}))
    head = web3.eth.get_block("latest")["timestamp"]
    keeper.client.clock = lambda: head + 600.0  # the node stopped following the chain ten minutes ago
    result = keeper.tick()
    assert (result.record.decision, result.record.reason) == (Action.SKIP, Reason.STALE_HEAD)
    assert "600s old" in result.record.detail
    assert vault.epoch() == 0 and result.record.tx_hash is None
    assert keeper.journal.last(1)[0]["reason"].startswith("stale_head: block")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> dict[str, float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_metrics__after_a_tick__scrape_shows_the_gauges_operators_alert_on(vault_env, keeper_config):
    keeper = Keeper(keeper_config())
    port = _free_port()
    keeper.metrics.serve(port)
    result = keeper.tick()
    m = _scrape(port)
    snap = result.state
    assert snap is not None
    assert m["rp_chain_block"] == snap.block
    assert m["rp_keeper_rc_deviation"] == pytest.approx(result.record.deviation)
    assert m["rp_vault_health_factor"] == float("inf")  # no debt on this vault
    assert m["rp_vault_leverage"] == pytest.approx(1.0, abs=1e-6)
    oldest = max(snap.timestamp - a.updated_at for a in snap.assets)
    assert m["rp_vault_oldest_feed_age_seconds"] == oldest and 0 <= oldest <= max(a.heartbeat_s for a in snap.assets)
    assert m["rp_chain_head_age_seconds"] == pytest.approx(snap.head_age_s)
    balance = web3.eth.get_balance(keeper.client.signer.address)
    assert m["rp_keeper_balance_eth"] == pytest.approx(balance / 1e18)
    assert m["rp_vault_loss_budget_used"] >= 0.0
    assert m['rp_keeper_ticks_total{decision="rebalance"}'] == 1.0
