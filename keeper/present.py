"""What ``rp-keeper plan``, ``once`` and ``status`` print: symbols and human units, never raw integers or addresses
where a person reads. Pure functions of a :class:`~keeper.snapshot.Snapshot` (and a proposal); no node access."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from keeper.snapshot import AssetState, Snapshot, feed_problem, utc

if TYPE_CHECKING:
    from keeper.engine import Proposal


def human(raw: int, decimals: int, *, significant: int = 6) -> str:
    """A raw token amount in whole units with thousands separators: two decimals for amounts of 1,000 and more,
    else enough decimals for ``significant`` significant digits (``0.00300053``), trailing zeros dropped."""
    value = raw / 10**decimals
    if value == 0:
        return "0"
    if abs(value) >= 1_000:
        return f"{value:,.2f}"
    digits = max(2, significant - 1 - _exponent(abs(value)))
    text = f"{value:,.{min(digits, decimals)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _exponent(x: float) -> int:
    """The power of ten of ``x``'s leading digit: 3 for 1,000 and for 9,999.99, -3 for 0.001; 0 for zero, which has
    no digit to place. ``log10`` of the double just below a power of ten can round onto it (999.9999999999999 gives
    3.0), so the result is checked against the doubles nearest the powers on each side."""
    if x <= 0.0:
        return 0
    e = math.floor(math.log10(x))
    if x < _power_of_ten(e):
        return e - 1
    if e < MAX_DOUBLE_EXPONENT and x >= _power_of_ten(e + 1):
        return e + 1
    return e


MAX_DOUBLE_EXPONENT = 308
"""The largest power of ten a double holds."""


def _power_of_ten(e: int) -> float:
    """The double nearest 10**e (as ``human`` computes its values: integers divided exactly, rounded once)."""
    return float(10**e) if e >= 0 else 1 / 10**-e


def base_symbol(s: Snapshot) -> str:
    return s.assets[0].label if s.assets else "base"


def nav_text(s: Snapshot) -> str:
    """``NAV 100,000.00 USDC``, or why the vault cannot say (``NAV unavailable: feed ... stale since ...``); never a
    misleading 0."""
    if not s.nav_ok:
        why = feed_problem(s) or "the vault's NAV read failed (a feed, a bound or the lending market): see its lens"
        return f"NAV unavailable: {why}"
    return f"NAV {human(s.nav, s.assets[0].token_decimals)} {base_symbol(s)}"


def _by_token(s: Snapshot) -> dict[str, AssetState]:
    return {a.token.lower(): a for a in s.assets}


def trade_line(s: Snapshot, token_in: str, token_out: str, amount_in: int, min_out: int) -> str:
    tokens = _by_token(s)
    a_in, a_out = tokens.get(token_in.lower()), tokens.get(token_out.lower())
    left = f"{human(amount_in, a_in.token_decimals)} {a_in.label}" if a_in else f"{amount_in} of {token_in}"
    right = f"{human(min_out, a_out.token_decimals)} {a_out.label}" if a_out else f"{min_out} of {token_out}"
    return f"sell {left} for at least {right}"


def plan_lines(s: Snapshot, p: Proposal, trigger: float) -> list[str]:
    """The plan as a person reads it: block, NAV, decision; weights, targets, RCs and budgets by symbol; trades."""
    lines = [f"block {s.block} ({utc(s.timestamp)})  epoch {s.epoch}  {nav_text(s)}", f"decision {p.action} ({p.text})"]
    if p.deviation is not None:
        after = f" -> {p.deviation_after:.2%}" if p.deviation_after is not None else ""
        lines.append(f"largest risk-contribution gap {p.deviation:.2%}{after} (trigger {trigger:.2%})")
    if p.weights is not None and p.target_weights is not None and p.risk_contributions is not None:
        lines.append(f"{'asset':<10} {'holding':>18} {'weight':>8} {'target':>8} {'RC':>7} {'budget':>7}")
        for j, i in enumerate(p.risky):
            a = s.assets[i]
            budget = p.budget[j] if p.budget is not None else 0.0
            held = human(a.balance + a.collateral, a.token_decimals)
            lines.append(
                f"{a.label:<10} {held:>18} {p.weights[j]:>8.2%} {p.target_weights[j]:>8.2%} "
                f"{p.risk_contributions[j]:>7.2%} {budget:>7.2%}"
            )
    if p.forecast_vol is not None:
        lines.append(f"forecast volatility {p.forecast_vol:.1%} a year")
    lines += [trade_line(s, *t.as_tuple()) for t in p.trades]
    tokens = _by_token(s)
    for act in p.actions:
        lent = tokens.get(act.token.lower())
        what = f"{human(act.amount, lent.token_decimals)} {lent.label}" if lent else f"{act.amount} of {act.token}"
        lines.append(f"lending {act.kind.name.lower()} {what}" + (" (after the swaps)" if act.after_swaps else ""))
    return lines


def vault_lines(s: Snapshot, share_decimals: int) -> list[str]:
    """The vault's holdings at a block: balance, value in the base asset, weight, target, budget, feed price and
    age, by symbol. ``share_decimals`` is the vault's own ``decimals()``."""
    base = base_symbol(s)
    lines = [
        f"block {s.block} ({utc(s.timestamp)})  epoch {s.epoch}  {nav_text(s)}  "
        f"supply {human(s.total_supply, share_decimals)} shares",
        f"deposits {'paused' if s.deposits_paused else 'open'}, rebalances "
        f"{'paused' if s.rebalances_paused else 'open'}" + (f", health factor {s.health_factor:.2f}" if s.debt else ""),
        f"{'asset':<10} {'holding':>18} {'value ' + base:>16} {'weight':>7} {'target':>7} {'budget':>7} "
        f"{'price':>14} {'feed age':>9}",
    ]
    total = sum(a.value_base for a in s.assets) or 1.0
    for a in s.assets:
        age = s.timestamp - a.updated_at if a.updated_at else None
        lines.append(
            f"{a.label:<10} {human(a.balance + a.collateral, a.token_decimals):>18} {a.value_base:>16,.2f} "
            f"{a.value_base / total:>7.2%} {a.target_bps / 100:>6.2f}% {a.budget_bps / 100:>6.2f}% "
            f"{a.answer / 10**a.feed_decimals:>14,.4f} {_age(age):>9}"
        )
    return lines


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7_200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
