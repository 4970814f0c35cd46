"""Uniswap V2 constant-product maths, once: the integer ``getAmountOut`` the router runs and the same formula in
real numbers for cost estimates. One pool type, raw reserves.
"""

from __future__ import annotations

from dataclasses import dataclass

FEE_NUM, FEE_DEN = 997, 1000
"""Uniswap V2 keeps 0.3% of the input: 997 / 1000 of it is swapped."""


@dataclass(frozen=True)
class Pool:
    """Raw reserves of a pair between one asset and the base asset."""

    reserve_asset: int
    reserve_base: int

    def sides(self, *, sell: bool) -> tuple[int, int]:
        """(reserve in, reserve out) for selling the asset (``sell``) or buying it with base."""
        return (self.reserve_asset, self.reserve_base) if sell else (self.reserve_base, self.reserve_asset)


def amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """Uniswap V2 ``getAmountOut``: constant product with the 0.3% fee, rounded down."""
    if amount_in <= 0 or reserve_in <= 0 or reserve_out <= 0:
        return 0
    a = amount_in * FEE_NUM
    return a * reserve_out // (reserve_in * FEE_DEN + a)


def amount_out_real(amount_in: float, reserve_in: float, reserve_out: float) -> float:
    """:func:`amount_out` in real numbers (no rounding), for costing moves before they are planned."""
    if amount_in <= 0.0 or reserve_in <= 0.0 or reserve_out <= 0.0:
        return 0.0
    a = amount_in * FEE_NUM / FEE_DEN
    return a * reserve_out / (reserve_in + a)


def trade_cost(
    value: float, price: float, pool: Pool | None, asset_decimals: int, base_decimals: int, *, sell: bool
) -> float:
    """Value lost to the fee and price impact when trading ``value`` of one asset through its pool.

    ``value`` and the result are in whole base-asset units, ``price`` in whole base units per whole token; a
    missing pool loses everything (the trade cannot happen).
    """
    if value <= 0.0:
        return 0.0
    if pool is None:
        return value
    reserve_asset = pool.reserve_asset / 10**asset_decimals
    reserve_base = pool.reserve_base / 10**base_decimals
    if sell:
        return value - amount_out_real(value / price, reserve_asset, reserve_base)
    return value - amount_out_real(value, reserve_base, reserve_asset) * price
