"""Feed rounds are kept and readable one by one, like a Chainlink aggregator's history."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


def test_get_round_data__after_several_rounds__returns_each_round_with_its_time(world, deployer):
    feed = world.feeds["WBTC"]
    published = []
    for i, price in enumerate([91_000, 89_500, 92_250, 92_300]):
        chain.sleep(600 + i)
        tx = feed.submit(price * 10**8, {"from": deployer})
        published.append((price * 10**8, tx.timestamp))
    assert feed.latestRound() == 5
    for round_id, (answer, ts) in enumerate(published, start=2):
        rid, got, started, updated, answered_in = feed.getRoundData(round_id)
        assert (rid, got, started, updated, answered_in) == (round_id, answer, ts, ts, round_id)
        assert feed.getAnswer(round_id) == answer and feed.getTimestamp(round_id) == ts
    assert feed.latestRoundData()[1] == published[-1][0]
    assert feed.latestTimestamp() == published[-1][1]


def test_get_round_data__unknown_round__reverts_with_named_error(world):
    feed = world.feeds["WETH"]
    with brownie.reverts("PriceFeedRoundNotFound: 0, 1"):
        feed.getRoundData(0)
    with brownie.reverts("PriceFeedRoundNotFound: 2, 1"):
        feed.getRoundData(2)


def test_submit__emits_chainlink_events(world, deployer):
    tx = world.feeds["LINK"].submit(16 * 10**8, {"from": deployer})
    assert tx.events["AnswerUpdated"]["current"] == 16 * 10**8
    assert tx.events["AnswerUpdated"]["roundId"] == 2
    assert tx.events["NewRound"]["roundId"] == 2
