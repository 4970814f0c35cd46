"""The arbitrageur's maths: the trade that moves a Uniswap V2 pool's mid price to a target price.

All amounts are integers in token units; prices are USD floats. Uniswap V2 charges the fee on the input:
``out = in * (1e4 - fee) * r_out / (r_in * 1e4 + in * (1e4 - fee))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ArbTrade:
    """Sell ``amount_in`` of the input side into the pool. ``sell_asset`` is True when the input is the asset."""

    sell_asset: bool
    amount_in: int


def amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """Uniswap V2's ``getAmountOut`` in integers."""
    if amount_in <= 0 or reserve_in <= 0 or reserve_out <= 0:
        return 0
    with_fee = amount_in * (10_000 - fee_bps)
    return (with_fee * reserve_out) // (reserve_in * 10_000 + with_fee)


def mid_price(reserve_asset: int, reserve_base: int, asset_decimals: int, base_decimals: int, base_usd: float) -> float:
    """The pool's mid price of one whole asset token in USD."""
    return (reserve_base / 10**base_decimals) / (reserve_asset / 10**asset_decimals) * base_usd


def trade_to_price(
    reserve_asset: int,
    reserve_base: int,
    target_base_per_asset: float,
    fee_bps: int = 30,
    *,
    min_move_bps: float = 1.0,
) -> ArbTrade | None:
    """The input that moves the pool's mid price (``reserve_base / reserve_asset``, raw units) to the target.

    Returns None when the pool is already within ``min_move_bps`` of the target.

    Buying the asset with ``d`` base moves the reserves to ``(x - out, y + d)`` where ``out = g d x / (y + g d)``
    and ``g = 1 - fee``; setting ``(y + d)(y + g d) / (x y)`` equal to ``target / (y / x)`` gives a quadratic in
    ``d``. Selling the asset is the mirror image.
    """
    x, y = float(reserve_asset), float(reserve_base)
    if x <= 0 or y <= 0 or target_base_per_asset <= 0:
        return None
    mid = y / x
    if abs(target_base_per_asset / mid - 1.0) * 10_000 < min_move_bps:
        return None
    g = 1.0 - fee_bps / 10_000
    if target_base_per_asset > mid:
        # Buy asset with base: (y + d)(y + g d) = target * x * y.
        ratio = target_base_per_asset * x * y
        d = _positive_root(g, (1.0 + g) * y, y * y - ratio)
        return ArbTrade(sell_asset=False, amount_in=int(d)) if d >= 1 else None
    # Sell asset for base: (x + d)(x + g d) = x * y / target.
    ratio = x * y / target_base_per_asset
    d = _positive_root(g, (1.0 + g) * x, x * x - ratio)
    return ArbTrade(sell_asset=True, amount_in=int(d)) if d >= 1 else None


def _positive_root(a: float, b: float, c: float) -> float:
    disc = b * b - 4.0 * a * c
    if disc <= 0:
        return 0.0
    # Numerically stable form for c < 0 (the only case here).
    return (2.0 * -c) / (b + math.sqrt(disc))
