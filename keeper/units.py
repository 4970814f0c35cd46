"""The keeper's one unit frame, and the one place raw chain integers are converted into it.

The vault values everything in raw units of its base asset, each price the exact rational its ``Valuation``
library uses (``Price(num, den)``: base raw units per raw unit of the token, from the token's and the base's feed
answers with every decimal applied). The keeper uses the same frame twice:

- **integers for the plan** (:class:`Price`, raw token amounts, values in base raw units), so a trade's oracle
  floor is computed exactly as the vault computes it, rounding included;
- **floats for the maths** (whole base-asset units: ``price_base`` is base tokens per whole token), made from the
  same rationals once, when the snapshot is read.

A feed with 8 or 18 decimals, a base with 6 or 18: all of it is applied here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

BPS = 10_000
"""Basis points in one: weights, budgets and bounds on chain are in bps."""
WAD = 10**18
"""Fixed-point one of the vault's 18-decimal quantities (health factor, loss budget)."""


@dataclass(frozen=True)
class Price:
    """Base-asset raw units per raw unit of a token, as the exact rational ``num / den`` (the vault's ``Price``)."""

    num: int
    den: int

    def value(self, amount: int) -> int:
        """``amount`` raw units of the token in base raw units, rounded down (``Valuation.value``, Floor)."""
        return amount * self.num // self.den

    def amount_for(self, value: int) -> int:
        """Raw units of the token worth ``value`` base raw units, rounded down (0 for an unpriced token)."""
        return value * self.den // self.num if self.num > 0 else 0

    def per_whole(self, token_decimals: int, base_decimals: int) -> float:
        """Whole base tokens per whole token: the float frame's price."""
        return float(self.num / self.den * 10.0 ** (token_decimals - base_decimals))


BASE_PRICE = Price(1, 1)
UNPRICED = Price(0, 1)


def oracle_price(
    answer: int,
    feed_decimals: int,
    token_decimals: int,
    base_answer: int,
    base_feed_decimals: int,
    base_token_decimals: int,
) -> Price:
    """The vault's price of a token from its feed answer and the base's (``Valuation.pricesOfHeld``).

    ``num = answer * 10**base_token_decimals * 10**base_feed_decimals`` and
    ``den = base_answer * 10**(token_decimals + feed_decimals)``; a non-positive answer gives :data:`UNPRICED`.
    """
    if answer <= 0 or base_answer <= 0:
        return UNPRICED
    return Price(
        answer * 10**base_token_decimals * 10**base_feed_decimals,
        base_answer * 10 ** (token_decimals + feed_decimals),
    )


def oracle_amount_out(amount_in: int, price_in: Price, price_out: Price) -> int:
    """What the oracle says ``amount_in`` of one token is worth in another, rounded down (``oracleAmountOut``)."""
    if price_out.num <= 0:
        return 0
    return price_in.value(amount_in) * price_out.den // price_out.num


def less_bps(amount: int, bps: int) -> int:
    """``amount`` less ``bps`` basis points, rounded down."""
    return amount * (BPS - bps) // BPS


def to_raw(amount: float, decimals: int) -> int:
    """Whole units (float) to raw integer units, rounded down."""
    return int(amount * 10**decimals)
