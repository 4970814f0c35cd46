"""The world's PriceFeed as a proxy whose aggregator changes (round id = phaseId << 64 | aggregatorRoundId), and
the keeper reading its history across the phase changes, skipping rounds that have no data."""

from __future__ import annotations

import pytest
from brownie import PriceFeed, PriceFeedPhase, chain, web3  # type: ignore[attr-defined]

from keeper.chain import ChainClient
from tests.helpers.vault import reverts_with

PHASE = 1 << 64


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture
def feed(deployer):
    """XAU / USD with 18 decimals: rounds 1-3 in phase 0, 1-2 in phase 1 (with one empty round), 1-2 in phase 2."""
    f = PriceFeed.deploy(18, "XAU / USD", 2_000 * 10**18, deployer, {"from": deployer})
    for price in (2_010, 2_020):
        chain.sleep(3_600)
        f.submit(price * 10**18, {"from": deployer})
    f.startNewPhase({"from": deployer})  # phase 1, round 1 repeats 2,020
    f.skipRounds(1, {"from": deployer})  # phase 1 round 2 has no data
    chain.sleep(3_600)
    f.submit(2_030 * 10**18, {"from": deployer})  # phase 1 round 3
    f.startNewPhase({"from": deployer})  # phase 2, round 1 repeats 2,030
    chain.sleep(3_600)
    f.submit(2_040 * 10**18, {"from": deployer})  # phase 2 round 2
    return f


def test_start_new_phase__round_ids_carry_the_phase(feed):
    rid, answer, _, updated, answered = feed.latestRoundData()
    assert rid == answered == 2 * PHASE + 2 and answer == 2_040 * 10**18
    assert feed.phaseId() == 2 and feed.latestRound() == 2 * PHASE + 2
    assert feed.getRoundData(PHASE + 3)[1] == 2_030 * 10**18
    assert feed.getRoundData(3)[1] == 2_020 * 10**18  # phase 0 keeps its plain ids
    with reverts_with("PriceFeedRoundNotFound"):
        feed.getRoundData(PHASE + 2)  # skipped: no data
    with reverts_with("PriceFeedRoundNotFound"):
        feed.getRoundData(4)  # beyond phase 0's last round


def test_phase_aggregators__each_phase_reads_its_own_rounds(feed):
    assert feed.phaseAggregators(3) == "0x0000000000000000000000000000000000000000"
    old = PriceFeedPhase.at(feed.phaseAggregators(1))
    assert old.latestRound() == 3 and old.phaseId() == 1 and old.decimals() == 18
    assert list(old.getRoundData(3)[:2]) == [3, 2_030 * 10**18]
    assert PriceFeedPhase.at(feed.phaseAggregators(0)).latestRound() == 3
    assert PriceFeedPhase.at(feed.phaseAggregators(2)).latestRound() == 2


def test_feed_history__across_phases__walks_back_and_skips_empty_rounds(feed):
    client = ChainClient([web3.provider.endpoint_uri])
    history = client.feed_history([feed.address], 10)[feed.address]
    assert history.round_ids == (1, 2, 3, PHASE + 1, PHASE + 3, 2 * PHASE + 1, 2 * PHASE + 2)
    assert [a // 10**18 for a in history.answers] == [2_000, 2_010, 2_020, 2_020, 2_030, 2_030, 2_040]
    assert list(history.updated_at) == sorted(history.updated_at)


def test_feed_history__fewer_rounds_than_the_phase__stays_in_it(feed):
    client = ChainClient([web3.provider.endpoint_uri])
    assert client.feed_history([feed.address], 2)[feed.address].round_ids == (2 * PHASE + 1, 2 * PHASE + 2)
    # Asking for more later reuses the cache and still crosses the boundaries (empty round counted, not shown).
    history = client.feed_history([feed.address], 5)[feed.address]
    assert history.round_ids == (PHASE + 1, PHASE + 3, 2 * PHASE + 1, 2 * PHASE + 2)


def test_feed_history__plain_feed__unchanged(deployer):
    plain = PriceFeed.deploy(8, "ETH / USD", 3_000 * 10**8, deployer, {"from": deployer})
    plain.submit(3_100 * 10**8, {"from": deployer})
    history = ChainClient([web3.provider.endpoint_uri]).feed_history([plain.address], 10)[plain.address]
    assert history.round_ids == (1, 2) and history.answers == (3_000 * 10**8, 3_100 * 10**8)
