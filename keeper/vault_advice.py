"""What a depositor is told when the vault would refuse: a decoded revert as one sentence that says what to do.

Pure functions over the decoded error (:class:`keeper.chain.ErrorDecoder`) and what the command knows (which
exit, the token symbols, the chain's clock); ``rp-vault`` (:mod:`keeper.vault_cli`) prints the sentence. Amounts
are formatted in human units with their symbols, times in UTC with how far away they are on the chain's clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from keeper.outcomes import TextEnum


class Op(TextEnum):
    """The ``rp-vault`` command a transaction belongs to (its advice differs: a deposit cannot use --in-kind)."""

    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"
    REDEEM = "redeem"
    REDEEM_SWAP = "redeem --swap"
    REDEEM_IN_KIND = "redeem --in-kind"
    FAUCET = "faucet"
    READ = "read"
    """position and quote: views, nothing to send."""


PLAIN_EXITS = (Op.WITHDRAW, Op.REDEEM)


@dataclass(frozen=True)
class AdviceContext:
    """What a sentence needs besides the error: the command, the symbols and the chain's clock."""

    op: Op
    base_symbol: str
    base_decimals: int
    share_symbol: str
    share_decimals: int
    now: int
    """The head block's timestamp (the vault's clock, which on a dev chain can run ahead of the wall clock)."""
    symbols: Mapping[str, str] = field(default_factory=dict)
    """Lowercase token or feed address -> the asset's symbol."""


def fmt_units(amount: int, decimals: int, places: int | None = None) -> str:
    """``amount`` raw units as a human number with thousands separators: all significant decimals up to
    ``places`` (default: the token's decimals, trailing zeros dropped, at least two)."""
    shown = decimals if places is None else min(places, decimals)
    value = Decimal(amount) / Decimal(10) ** decimals
    text = f"{value:,.{shown}f}"
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0").ljust(min(2, shown), "0")
        text = f"{whole}.{frac}" if frac else whole
    return text


def fmt_time(ts: int, now: int) -> str:
    """``2026-11-30 03:10:00 UTC (in 52 min)`` against the chain's clock ``now``."""
    when = datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    delta = ts - now
    if delta == 0:
        return when
    return f"{when} ({'in ' + _age(delta) if delta > 0 else _age(-delta) + ' ago'})"


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def symbol_of(address: object, ctx: AdviceContext) -> str:
    text = str(address)
    return ctx.symbols.get(text.lower(), text)


def _base(amount: object, ctx: AdviceContext) -> str:
    return f"{fmt_units(int(str(amount)), ctx.base_decimals)} {ctx.base_symbol}"


def _shares(amount: object, ctx: AdviceContext) -> str:
    return f"{fmt_units(int(str(amount)), ctx.share_decimals, 6)} {ctx.share_symbol} shares"


def _oracle_fix(ctx: AdviceContext) -> str:
    if ctx.op == Op.DEPOSIT:
        return "wait for the feed to publish (a deposit prices every asset the vault holds); exits in kind still work"
    if ctx.op in PLAIN_EXITS:
        return "wait for the feed, or exit with 'rp-vault redeem --in-kind' (or --swap), which need no oracle"
    return "wait for the feed to publish; 'rp-vault redeem --in-kind' and '--swap' need no oracle and still work"


def _idle_fix(ctx: AdviceContext) -> str:
    return (
        "use 'rp-vault redeem SHARES --swap' (sells your slice of every asset on the DEX) or "
        "'rp-vault redeem SHARES --in-kind' (pays your slice of every token)"
    )


def explain(name: str | None, args: Sequence[object], ctx: AdviceContext) -> str:
    """The decoded revert ``name(args)`` as one sentence for a depositor, ending in what to do."""
    a = list(args)
    if name == "RiskParityVaultZeroShares":
        return (
            f"a deposit of {_base(a[0], ctx)} buys 0 shares at the vault's NAV: deposit more (amounts are in "
            f"whole {ctx.base_symbol}, e.g. 'rp-vault deposit 1000')"
        )
    if name == "RiskParityVaultZeroAmount":
        return "the amount is 0: give a positive number of shares (or 'all')"
    if name == "RiskParityVaultDepositsPaused":
        return (
            "deposits are paused (by the guardian or governance): wait until governance unpauses them; "
            "'rp-vault position' shows the state, and every exit still works"
        )
    if name == "ERC4626ExceededMaxDeposit":
        if int(str(a[2])) == 0:
            return "deposit cap reached: the vault takes no more deposits now; try again after others exit"
        return f"deposit cap: the vault takes at most {_base(a[2], ctx)} more now: deposit at most that"
    if name == "RiskParityVaultReceiverLocked":
        return (
            f"receiver {a[0]} has locked shares until {fmt_time(int(str(a[1])), ctx.now)}: only it can deposit "
            "for itself until then; deposit to your own account, or wait"
        )
    if name == "RiskParityVaultSharesLocked":
        return (
            f"share lock: {_shares(a[1], ctx)} from your latest deposit are locked until "
            f"{fmt_time(int(str(a[2])), ctx.now)}: exit at most your unlocked shares now ('rp-vault position' "
            "shows them), or wait"
        )
    if name == "RiskParityVaultInsufficientIdle":
        return (
            f"exceeds idle cash: this exit needs {_base(a[0], ctx)} of the vault's idle cash and it holds "
            f"{_base(a[1], ctx)} (the rest is invested): {_idle_fix(ctx)}"
        )
    if name == "ERC20InsufficientBalance":
        if ctx.op in (Op.DEPOSIT, Op.REDEEM_IN_KIND):
            return (
                f"you hold {_base(a[1], ctx)}, this needs {_base(a[2], ctx)}: get more {ctx.base_symbol} first "
                "(on the local world: 'rp-vault faucet')"
            )
        return f"exceeds your shares: you own {_shares(a[1], ctx)} and this exit burns {_shares(a[2], ctx)}"
    if name == "ERC20InsufficientAllowance":
        return (
            f"the vault may spend {_base(a[1], ctx)} of yours and needs {_base(a[2], ctx)}: run the command again "
            "(rp-vault approves exactly what a transaction needs before sending it)"
        )
    if name == "ERC4626ExceededMaxRedeem" or name == "ERC4626ExceededMaxWithdraw":
        unit = _shares if name.endswith("Redeem") else _base
        return f"exceeds what you can exit now ({unit(a[2], ctx)}): exit at most that ('rp-vault position')"
    if name == "RiskParityVaultInsufficientOutput":
        return (
            f"slippage: the swap exit would pay {_base(a[0], ctx)}, below your minimum {_base(a[1], ctx)}: run "
            "'rp-vault quote' for the DEX's price now, then lower --min-out or raise --slippage-bps"
        )
    if name == "RiskParityVaultDeadlinePassed":
        return (
            f"the deadline {fmt_time(int(str(a[0])), ctx.now)} has passed on the chain's clock: give a later "
            "--deadline (seconds from now, e.g. --deadline 600)"
        )
    if name == "RiskParityVaultNoSwapAdapter":
        return "this vault has no swap adapter, so it cannot sell your slice: use 'rp-vault redeem SHARES --in-kind'"
    if name == "RiskParityVaultUnsellableSlice":
        sym = symbol_of(a[0], ctx)
        return (
            f"the DEX would pay nothing for your slice of {sym}: use 'rp-vault redeem SHARES --in-kind' "
            f"(add '--skip {sym}' to leave that token to the other holders)"
        )
    if name == "RiskParityVaultInvalidSkip":
        return (
            f"--skip {symbol_of(a[0], ctx)}: not a registered non-base asset with a slice in this exit: drop it "
            "or name a token the vault holds ('rp-vault quote' lists them)"
        )
    if name == "OracleReaderStalePrice":
        updated, heartbeat = int(str(a[1])), int(str(a[2]))
        return (
            f"feed for {symbol_of(a[0], ctx)} is stale since {fmt_time(updated + heartbeat, ctx.now)}: its last "
            f"answer is {_age(ctx.now - updated)} old and the vault accepts {heartbeat:,} s; {_oracle_fix(ctx)}"
        )
    if name == "OracleReaderNonPositivePrice":
        return f"feed for {symbol_of(a[0], ctx)} answers {a[1]} (not a positive price): {_oracle_fix(ctx)}"
    if name == "OracleReaderPriceOutOfBounds":
        return (
            f"feed for {symbol_of(a[0], ctx)} answers {a[1]}, outside the vault's bounds [{a[2]}, {a[3]}] "
            f"(feed units): {_oracle_fix(ctx)}"
        )
    if name == "OracleReaderIncompleteRound":
        return f"feed for {symbol_of(a[0], ctx)} has an incomplete round {a[1]}: {_oracle_fix(ctx)}"
    if name == "OracleReaderSequencerDown":
        return f"the L2 sequencer is down, so the vault does not price anything: {_oracle_fix(ctx)}"
    if name == "OracleReaderSequencerGracePeriod":
        ends = int(str(a[1])) + int(str(a[2]))
        return f"the L2 sequencer is back but in its grace period until {fmt_time(ends, ctx.now)}: {_oracle_fix(ctx)}"
    if name == "RiskParityVaultHealthFactorTooLow":
        return (
            f"this exit would leave the vault's health factor at {int(str(a[0])) / 1e18:.2f}, below "
            f"{int(str(a[1])) / 1e18:.2f}: exit fewer shares, or use 'rp-vault redeem SHARES --swap', which repays "
            "your share of the debt with a flash loan"
        )
    if name == "RiskParityVaultLeverageTooHigh":
        return (
            f"this plain exit would raise the vault's leverage to {int(str(a[0])) / 1e4:.2f}x, above "
            f"{int(str(a[1])) / 1e4:.2f}x: use 'rp-vault redeem SHARES --swap' or '--in-kind'"
        )
    if name == "RiskParityVaultReentrantView":
        return "the vault is inside one of its own calls: try again in the next block"
    detail = f"{name}({', '.join(str(x) for x in a)})" if name else "a revert the vault's ABI does not name"
    return f"the vault refused ({detail}): nothing was sent; 'rp-vault position' and 'rp-vault quote' show the state"


__all__ = ["AdviceContext", "Op", "explain", "fmt_time", "fmt_units"]
