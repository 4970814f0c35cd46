"""Uniswap V2 constant-product maths, once: the integer ``getAmountOut`` the router runs and the same formula in
real numbers for cost estimates. One pool type, raw reserves; a routed asset (PAXG -> WETH -> USDC) is a pool with
further legs toward the base, quoted hop by hop as the router's ``getAmountsOut`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

FEE_NUM, FEE_DEN = 997, 1000
"""Uniswap V2 keeps 0.3% of the input: 997 / 1000 of it is swapped."""


@dataclass(frozen=True)
class Pool:
    """Raw reserves of a pair between one asset and the base asset, or the first pair of the asset's route."""

    reserve_asset: int
    reserve_base: int
    """For a routed asset: the reserve of the first hub (the pair's other side), raw units of the hub."""
    then: tuple[tuple[int, int], ...] = ()
    """The route's further pairs toward the base, each (reserve on the asset's side, reserve on the base's side),
    raw units; empty for a direct pair."""

    def sides(self, *, sell: bool) -> tuple[int, int]:
        """(reserve in, reserve out) of the first pair for selling the asset (``sell``) or buying it with base."""
        return (self.reserve_asset, self.reserve_base) if sell else (self.reserve_base, self.reserve_asset)

    def legs(self, *, sell: bool) -> list[tuple[int, int]]:
        """(reserve in, reserve out) of every pair in trade order: asset to base to sell, base to asset to buy."""
        forward = [(self.reserve_asset, self.reserve_base), *self.then]
        return forward if sell else [(r_out, r_in) for r_in, r_out in reversed(forward)]

    def quote(self, amount_in: int, *, sell: bool) -> int:
        """What the router pays for ``amount_in`` (raw) along the whole route, rounded down at every hop."""
        for reserve_in, reserve_out in self.legs(sell=sell):
            amount_in = amount_out(amount_in, reserve_in, reserve_out)
        return amount_in

    def quote_real(self, amount_in: float, *, sell: bool) -> float:
        """:meth:`quote` in real numbers (raw units, no rounding)."""
        for reserve_in, reserve_out in self.legs(sell=sell):
            amount_in = amount_out_real(amount_in, float(reserve_in), float(reserve_out))
        return amount_in


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
    if not pool.then:
        reserve_asset = pool.reserve_asset / 10**asset_decimals
        reserve_base = pool.reserve_base / 10**base_decimals
        if sell:
            return value - amount_out_real(value / price, reserve_asset, reserve_base)
        return value - amount_out_real(value, reserve_base, reserve_asset) * price
    # A route's hubs have their own decimals: quote in raw units end to end.
    asset_unit, base_unit = 10.0**asset_decimals, 10.0**base_decimals
    if sell:
        return value - pool.quote_real(value / price * asset_unit, sell=True) / base_unit
    return value - pool.quote_real(value * base_unit, sell=False) / asset_unit * price
