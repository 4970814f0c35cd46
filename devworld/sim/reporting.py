"""When a Chainlink-style feed publishes a round, and how a price becomes an integer answer."""

from __future__ import annotations

from devworld.sim.config import FEED_DECIMALS


def to_answer(price_usd: float, decimals: int = FEED_DECIMALS) -> int:
    """A USD price as the integer a feed reports (8 decimals for USD feeds), rounded to nearest."""
    return int(round(price_usd * 10**decimals))


def should_publish(
    last_answer: int, last_updated_s: int, new_answer: int, now_s: int, deviation_bps: int, heartbeat_s: int
) -> bool:
    """Chainlink's trigger: the answer moved by at least the deviation threshold, or the heartbeat elapsed.

    The deviation is relative to the last published answer, in basis points.
    """
    if now_s - last_updated_s >= heartbeat_s:
        return True
    if last_answer <= 0:
        return True
    return abs(new_answer - last_answer) * 10_000 >= deviation_bps * last_answer
