"""``rp-vault`` (also ``python -m keeper.vault_cli``): the depositor's command line.

    rp-vault faucet 100000 --dev-account 5        # local world only: test USDC from the world's minter
    rp-vault deposit 10000 --dev-account 5
    rp-vault position --dev-account 5
    rp-vault quote --dev-account 5                # what each exit of all your shares pays now
    rp-vault redeem all --swap --dev-account 5    # or --in-kind [--skip WBTC], or a plain redeem / withdraw

Amounts are human numbers (``1,000.5``; an optional unit such as ``USDC`` or ``shares`` may follow). The vault and
its tokens come from the deployment file, the node from ``--rpc-url``. Every transaction is simulated first; a
transaction the vault would refuse is not sent, and the reason is printed as one sentence saying what to do.

Exit codes: 0 done, 1 the vault would refuse (nothing sent), 2 bad input or setup (nothing ran); one line on
stderr for 1 and 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from eth_account.signers.local import LocalAccount
from web3 import Web3

from keeper.chain import ChainClient, TxOutcome, load_signer
from keeper.deployments import WorldDeployment, load_deployment
from keeper.depositor import LOCAL_CHAIN_ID, Depositor, ExitQuote, Position, Slice, dev_account, faucet
from keeper.errors import (
    ConfigError,
    KeeperError,
    NodeUnreachableError,
    RefusedError,
    SignerError,
    TransactionRevertedError,
    UsageError,
)
from keeper.vault_advice import fmt_time, fmt_units

log = logging.getLogger("keeper.vault_cli")

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
DEFAULT_DEPLOYMENT = "anvil"
DEFAULT_SLIPPAGE_BPS = 50
DEFAULT_DEADLINE_S = 600
DEFAULT_FAUCET = "100000"
DEV_ACCOUNTS = 10
"""The local chains start 10 funded accounts (brownie-config.yaml): 0 deployer, 1 gov ... 5 alice, 6 bob, 7 mallory."""
SHARE_PLACES = 6


# ---------------------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------------------


def parse_amount(text: str, decimals: int, unit: str, *, what: str) -> int:
    """A human amount (``1,000.5``, ``1_000``, optionally followed by ``unit``) in raw units; UsageError naming
    the input and the fix when it is not a positive number with at most ``decimals`` decimals."""
    raw = text.strip()
    if raw.lower().endswith(unit.lower()):
        raw = raw[: -len(unit)].strip()
    cleaned = raw.replace(",", "").replace("_", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise UsageError(f"{what} {text!r} is not a number: write it like 1000 or 1,000.50 (in {unit})") from None
    if not value.is_finite():
        raise UsageError(f"{what} {text!r} is not a number: write it like 1000 or 1,000.50 (in {unit})")
    if value <= 0:
        raise UsageError(f"{what} {text!r} must be more than 0 {unit}")
    scaled = value * Decimal(10) ** decimals
    if scaled != scaled.to_integral_value():
        raise UsageError(f"{what} {text!r} has more than {decimals} decimals, the most {unit} has: round it")
    return int(scaled)


def parse_deadline(text: str | None, now: int) -> int:
    """Seconds from now (``600``), or a unix time (any value from 1,000,000,000 on); default 600 s from now."""
    if text is None:
        return now + DEFAULT_DEADLINE_S
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--deadline {text!r}: give seconds from now (e.g. 600) or a unix time") from None
    if value < 0:
        raise UsageError(f"--deadline {text!r}: must not be negative (seconds from now, e.g. 600)")
    return value if value >= 10**9 else now + value


def _bps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of basis points (50 = 0.5%)") from None
    if not 0 <= value < 10_000:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..9,999 basis points (50 = 0.5%)")
    return value


def _account_index(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an account number (0..{DEV_ACCOUNTS - 1})") from None
    if not 0 <= value < DEV_ACCOUNTS:
        raise argparse.ArgumentTypeError(f"{value} is outside the local world's accounts 0..{DEV_ACCOUNTS - 1}")
    return value


def _address(text: str) -> str:
    if not Web3.is_address(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an address (0x followed by 40 hex digits)")
    return Web3.to_checksum_address(text)


# ---------------------------------------------------------------------------------------------------------------
# Setup: deployment, node, key
# ---------------------------------------------------------------------------------------------------------------


class Session:
    """What every command needs: the deployment, the client (with the key when one is given), the vault."""

    def __init__(self, args: argparse.Namespace, *, needs_key: bool) -> None:
        self.deployment: WorldDeployment = load_deployment(args.deployment)
        self.client = ChainClient([args.rpc_url], read_retries=2, backoff_s=0.2)
        chain_id = self.client.check_chain()
        if chain_id != self.deployment.chain_id:
            raise ConfigError(
                f"{args.rpc_url} is chain {chain_id} but the deployment file {args.deployment} is for chain "
                f"{self.deployment.chain_id}: point --rpc-url (or RP_VAULT_RPC_URL) at the chain it was deployed on"
            )
        self.chain_id = chain_id
        self.signer = _signer(args, chain_id)
        self.client.signer = self.signer
        if needs_key and self.signer is None:
            raise SignerError(
                f"no key: export {args.key_env}=0x<hex private key>, or give --keystore FILE (password in "
                f"{args.password_env}), or on the local world --dev-account N (5 = alice, 6 = bob)"
            )
        account = self.signer.address if self.signer is not None else args.address
        if account is None:
            raise UsageError("whose position? give --address 0x..., or a key (--dev-account N on the local world)")
        self.account: str = account
        self.vault = args.vault or _vault_of(self.deployment, args.deployment)
        self.depositor = Depositor(self.client, self.vault, self.deployment, self.account)


def _vault_of(dep: WorldDeployment, source: str) -> str:
    section = dep.extra.get("vault")
    address = section.get("address") if isinstance(section, dict) else None
    if not address:
        raise ConfigError(
            f"the deployment file {source} has no vault: deploy one ('.venv/bin/python tools/run_script.py "
            "scripts/deploy_vault.py --network anvil') or pass --vault 0x..."
        )
    return str(address)


def _signer(args: argparse.Namespace, chain_id: int) -> LocalAccount | None:
    if args.dev_account is not None:
        if chain_id != LOCAL_CHAIN_ID:
            raise UsageError(
                f"--dev-account works only on the local world (chain id {LOCAL_CHAIN_ID}); this is chain "
                f"{chain_id}: use {args.key_env} or --keystore"
            )
        return dev_account(args.dev_account)
    if args.keystore:
        return load_signer(keystore=args.keystore, password_env=args.password_env)
    if os.environ.get(args.key_env):
        return load_signer(private_key_env=args.key_env)
    return None


# ---------------------------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------------------------


def _tx(tx: TxOutcome) -> str:
    return f"tx {tx.tx_hash} (block {tx.block}, gas {tx.gas_used:,})"


class Fmt:
    """Human units of one vault: ``base(123456789)`` -> ``123.456789 USDC``."""

    def __init__(self, d: Depositor) -> None:
        self.d = d

    def base(self, amount: int) -> str:
        return f"{fmt_units(amount, self.d.base.decimals)} {self.d.base.symbol}"

    def shares(self, amount: int) -> str:
        return f"{fmt_units(amount, self.d.share_decimals, SHARE_PLACES)} {self.d.share_symbol}"

    def slices(self, slices: Sequence[Slice]) -> str:
        parts = [f"{fmt_units(s.amount, s.token.decimals, 8)} {s.token.symbol}" for s in slices if s.amount]
        return ", ".join(parts) or "nothing"


def print_position(p: Position, f: Fmt) -> None:
    d = f.d
    print(f"account {p.account} in vault {d.vault} (block {p.block}, {fmt_time(p.timestamp, p.timestamp)})")
    if p.shares == 0 and p.wallet_base == 0:
        print("  (nothing here yet: on the local world 'rp-vault faucet' gives test USDC, then 'rp-vault deposit')")
    lock = ""
    if p.locked_shares:
        lock = f"; {f.shares(p.locked_shares)} locked until {fmt_time(p.unlocks_at, p.timestamp)}"
    print(f"  shares      {f.shares(p.shares)}{lock}")
    if p.value is None:
        print(f"  value       unavailable: {p.price_problem}")
    else:
        per_share = f.base(p.share_price or 0)
        print(f"  value       {f.base(p.value)} at the oracle NAV ({per_share} per share)")
        if p.shares == 0:
            pass
        elif (p.max_redeem or 0) >= p.shares:
            print("  plain exit  all of it now, from idle cash (withdraw or redeem)")
        else:
            print(
                f"  plain exit  up to {f.base(p.max_withdraw or 0)} now from idle cash (withdraw, or redeem "
                f"{f.shares(p.max_redeem or 0)}); the rest: redeem --swap or --in-kind"
            )
    print(f"  wallet      {f.base(p.wallet_base)}, {p.wallet_wei / 1e18:,.4f} ETH for gas")
    nav = "unavailable" if p.nav is None else f.base(p.nav)
    fee = "unavailable" if p.entry_fee_bps is None else f"{p.entry_fee_bps} bps"
    state = "paused" if p.deposits_paused else "open"
    print(
        f"  vault       NAV {nav}, {f.shares(p.total_supply)} issued, idle cash {f.base(p.idle)}, "
        f"entry fee {fee}, deposits {state}"
    )


def print_exit_quote(q: ExitQuote, f: Fmt, mine: bool) -> None:
    who = "all yours" if mine else "given"
    print(f"exit of {f.shares(q.shares)} ({who}):")
    if q.oracle_value is None:
        print(f"  oracle value      unavailable: {q.price_problem}")
    else:
        print(f"  oracle value      {f.base(q.oracle_value)} (the vault's NAV share)")
    if q.plain_assets is not None:
        print(f"  redeem            {f.base(q.plain_assets)} from idle cash")
    else:
        print(f"  redeem            not now: {q.plain_problem}")
    if q.swap_expected is None or q.swap_min_out is None:
        print(f"  redeem --swap     not possible: {q.swap_problem}")
    else:
        how = "simulated" if q.swap_exact else "from the DEX's quotes"
        gap = ""
        if q.oracle_value:
            gap = f", {(q.swap_expected - q.oracle_value) / q.oracle_value:+.2%} against the oracle value"
        print(f"  redeem --swap     expected {f.base(q.swap_expected)} ({how}{gap})")
        print(
            f"                    --min-out defaults to {f.base(q.swap_min_out)} ({q.slippage_bps} bps slippage "
            "below the expected output; --slippage-bps changes it)"
        )
    total = sum(s.value for s in q.in_kind)
    print(f"  redeem --in-kind  {f.slices(q.in_kind)} (worth {f.base(total)} at oracle prices)")
    for s in q.in_kind:
        if s.amount:
            amount = fmt_units(s.amount, s.token.decimals, 8)
            print(f"                    {s.token.symbol:<6} {amount:>22}  {f.base(s.value)}")
    if q.in_kind_top_up:
        print(f"                    you pay in {f.base(q.in_kind_top_up)} to cover your share of the vault's debt")


# ---------------------------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------------------------


def cmd_position(args: argparse.Namespace) -> int:
    s = Session(args, needs_key=False)
    print_position(s.depositor.position(), Fmt(s.depositor))
    return 0


def cmd_quote(args: argparse.Namespace) -> int:
    s = Session(args, needs_key=False)
    d, f = s.depositor, Fmt(s.depositor)
    now = d.now()
    print(f"quote for {d.account} at block {d.client.latest_block()['number']} ({fmt_time(now, now)})")
    deposit = parse_amount(args.deposit, d.base.decimals, d.base.symbol, what="--deposit")
    try:
        q = d.quote_deposit(deposit)
        fee = f"entry fee {q.fee_bps} bps = {f.base(q.fee)}, kept by the vault for its holders"
        print(f"deposit {f.base(q.assets)} -> {f.shares(q.shares)} ({fee})")
    except RefusedError as exc:
        print(f"deposit {f.base(deposit)}: not now: {exc}")
    mine = args.shares is None or args.shares.lower() == "all"
    shares = _shares_arg(d, args.shares or "all", what="--shares")
    if shares == 0:
        print(f"exit: {d.account} holds no shares (quote someone's with --address, or --shares N)")
        return 0
    q_exit = d.quote_exit(shares, slippage_bps=args.slippage_bps, deadline=now + DEFAULT_DEADLINE_S, skip=args.skip)
    print_exit_quote(q_exit, f, mine)
    return 0


def _shares_arg(d: Depositor, text: str, *, what: str) -> int:
    if text.strip().lower() == "all":
        return int(d.client.call("RiskParityVault", d.vault, "balanceOf", d.account))
    return parse_amount(text, d.share_decimals, "shares", what=what)


def cmd_deposit(args: argparse.Namespace) -> int:
    s = Session(args, needs_key=True)
    d, f = s.depositor, Fmt(s.depositor)
    assets = parse_amount(args.amount, d.base.decimals, d.base.symbol, what="amount")
    fee_bps = d.quote_deposit(assets).fee_bps
    txs, minted = d.deposit(assets)
    for tx in txs[:-1]:
        print(f"approved the vault for {f.base(assets)}: {_tx(tx)}")
    p = d.position()
    lock = f", locked until {fmt_time(p.unlocks_at, p.timestamp)}" if p.locked_shares else ""
    print(f"deposited {f.base(assets)} -> {f.shares(minted)} (entry fee {fee_bps} bps){lock}: {_tx(txs[-1])}")
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    s = Session(args, needs_key=True)
    d, f = s.depositor, Fmt(s.depositor)
    if args.amount.strip().lower() == "max":
        assets = d.position().max_withdraw or 0
        if assets == 0:
            raise RefusedError("nothing can leave through a plain withdraw now ('rp-vault position' says why)")
    else:
        assets = parse_amount(args.amount, d.base.decimals, d.base.symbol, what="amount")
    tx, burnt = d.withdraw(assets)
    print(f"withdrew {f.base(assets)} for {f.shares(burnt)}: {_tx(tx)}")
    return 0


def cmd_redeem(args: argparse.Namespace) -> int:
    if args.swap and args.in_kind:
        raise UsageError("redeem takes --swap or --in-kind, not both")
    if not args.swap and (args.min_out is not None or args.deadline is not None):
        raise UsageError("--min-out and --deadline belong to 'redeem --swap'")
    if not args.in_kind and args.skip:
        raise UsageError("--skip belongs to 'redeem --in-kind'")
    s = Session(args, needs_key=True)
    d, f = s.depositor, Fmt(s.depositor)
    shares = _shares_arg(d, args.shares, what="shares")
    if shares == 0:
        raise UsageError(f"{d.account} holds no shares of this vault: nothing to redeem")
    if args.swap:
        now = d.now()
        deadline = parse_deadline(args.deadline, now)
        if args.min_out is not None:
            min_out = parse_amount(args.min_out, d.base.decimals, d.base.symbol, what="--min-out")
            note = "your minimum"
        else:
            q = d.quote_exit(shares, slippage_bps=args.slippage_bps, deadline=deadline)
            if q.swap_min_out is None:
                raise RefusedError(f"the swap exit cannot be quoted: {q.swap_problem}; use --in-kind")
            min_out = q.swap_min_out
            note = f"expected {f.base(q.swap_expected or 0)} less {args.slippage_bps} bps"
        tx, paid = d.redeem_with_swap(shares, min_out, deadline)
        print(
            f"redeemed {f.shares(shares)} through the DEX -> {f.base(paid)} "
            f"(min-out {f.base(min_out)}: {note}): {_tx(tx)}"
        )
    elif args.in_kind:
        txs, got = d.redeem_in_kind(shares, args.skip)
        for tx in txs[:-1]:
            print(f"approved the vault for the debt top-up: {_tx(tx)}")
        received = [g for g in got if g.amount > 0]
        paid_in = -sum(g.amount for g in got if g.amount < 0)
        debt = f"; you paid in {f.base(paid_in)} for your share of the vault's debt" if paid_in else ""
        print(
            f"redeemed {f.shares(shares)} in kind -> {f.slices(received)} (worth "
            f"{f.base(sum(g.value for g in received))} at oracle prices){debt}: {_tx(txs[-1])}"
        )
    else:
        tx, paid = d.redeem(shares)
        print(f"redeemed {f.shares(shares)} -> {f.base(paid)} from idle cash: {_tx(tx)}")
    return 0


def cmd_faucet(args: argparse.Namespace) -> int:
    deployment = load_deployment(args.deployment)
    client = ChainClient([args.rpc_url], read_retries=2, backoff_s=0.2)
    signer = _signer(args, client.check_chain())
    to = args.to or (signer.address if signer is not None else args.address)
    if to is None:
        raise UsageError("faucet for whom? give --to 0x..., or --dev-account N")
    base = deployment.assets.get(deployment.base)
    decimals = base.decimals if base is not None else 6
    amount = parse_amount(args.amount, decimals, deployment.base, what="amount")
    client.signer = dev_account(0)
    txs = faucet(client, deployment, to, amount)
    print(f"minted {fmt_units(amount, decimals)} {deployment.base} to {to}: {_tx(txs[0])}")
    if len(txs) > 1:
        print(f"sent 1 ETH for gas to {to}: {_tx(txs[1])}")
    return 0


# ---------------------------------------------------------------------------------------------------------------
# Parser and main
# ---------------------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad input is one line (and exit code 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def _common() -> _Parser:
    c = _Parser(add_help=False)
    c.add_argument(
        "--deployment",
        default=os.environ.get("RP_VAULT_DEPLOYMENT", DEFAULT_DEPLOYMENT),
        help="network name (deployments/<name>.json) or path of the deployment file; env RP_VAULT_DEPLOYMENT "
        f"(default {DEFAULT_DEPLOYMENT})",
    )
    c.add_argument(
        "--rpc-url",
        default=os.environ.get("RP_VAULT_RPC_URL", DEFAULT_RPC_URL),
        help=f"JSON-RPC URL of the node; env RP_VAULT_RPC_URL (default {DEFAULT_RPC_URL})",
    )
    c.add_argument(
        "--vault",
        type=_address,
        default=os.environ.get("RP_VAULT_ADDRESS"),
        help="vault address (default: the deployment file's); env RP_VAULT_ADDRESS",
    )
    key = c.add_argument_group("key (transactions; position and quote use it for the address)")
    key.add_argument(
        "--key-env",
        default="RP_VAULT_PRIVATE_KEY",
        help="env var holding your hex private key (default RP_VAULT_PRIVATE_KEY)",
    )
    key.add_argument("--keystore", help="encrypted JSON keystore file instead of a key in the environment")
    key.add_argument(
        "--password-env", default="RP_VAULT_KEYSTORE_PASSWORD", help="env var holding the keystore's password"
    )
    key.add_argument(
        "--dev-account",
        type=_account_index,
        help="local world only (chain id 1337): sign as development account N of the public mnemonic "
        "(5 alice, 6 bob, 7 mallory)",
    )
    key.add_argument("--address", type=_address, help="read-only: whose position or quote to show")
    c.add_argument(
        "-v", "--verbose", action="store_true", help="log the node calls, retries and transactions to stderr"
    )
    return c


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="rp-vault",
        description="Deposit into and exit from the risk parity vault.",
        epilog="Exit codes: 0 done; 1 the vault would refuse (nothing sent); 2 bad input or setup.",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _common()

    position = sub.add_parser("position", parents=[common], help="your shares, their value and what can leave now")
    position.set_defaults(fn=cmd_position)

    quote = sub.add_parser("quote", parents=[common], help="shares a deposit buys; what each exit pays now")
    quote.add_argument("--deposit", default="1000", help="deposit to quote, in the base asset (default 1000)")
    quote.add_argument("--shares", help="shares to quote the exits of (default: all of the account's)")
    quote.add_argument(
        "--slippage-bps",
        type=_bps,
        default=DEFAULT_SLIPPAGE_BPS,
        help=f"below the swap's expected output for the default --min-out (default {DEFAULT_SLIPPAGE_BPS} = 0.5%%)",
    )
    quote.add_argument("--skip", action="append", default=[], metavar="SYMBOL", help="leave out of the in-kind slice")
    quote.set_defaults(fn=cmd_quote)

    deposit = sub.add_parser("deposit", parents=[common], help="deposit the base asset (approves exactly that first)")
    deposit.add_argument("amount", help="in the base asset, e.g. 10000 or 10,000.50")
    deposit.set_defaults(fn=cmd_deposit)

    withdraw = sub.add_parser("withdraw", parents=[common], help="take an amount of the base asset from idle cash")
    withdraw.add_argument("amount", help="in the base asset, or 'max' (what idle cash and your lock allow)")
    withdraw.set_defaults(fn=cmd_withdraw)

    redeem = sub.add_parser("redeem", parents=[common], help="burn shares: from idle cash, --swap or --in-kind")
    redeem.add_argument("shares", help="shares to burn (12 decimals), or 'all'")
    redeem.add_argument("--swap", action="store_true", help="sell your slice of every asset on the DEX for USDC")
    redeem.add_argument("--min-out", help="--swap: least USDC to accept (default: the quote less --slippage-bps)")
    redeem.add_argument(
        "--slippage-bps",
        type=_bps,
        default=DEFAULT_SLIPPAGE_BPS,
        help=f"--swap: tolerance of the default --min-out (default {DEFAULT_SLIPPAGE_BPS})",
    )
    redeem.add_argument("--deadline", help="--swap: seconds from now (default 600) or a unix time")
    redeem.add_argument("--in-kind", action="store_true", help="take your slice of every token (needs no oracle)")
    redeem.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="SYMBOL",
        help="--in-kind: leave this token to the other holders (repeatable)",
    )
    redeem.set_defaults(fn=cmd_redeem)

    fc = sub.add_parser("faucet", parents=[common], help="local world only: mint test USDC (and gas ether)")
    fc.add_argument("amount", nargs="?", default=DEFAULT_FAUCET, help=f"base asset to mint (default {DEFAULT_FAUCET})")
    fc.add_argument("--to", type=_address, help="receiver (default: the --dev-account or key's address)")
    fc.set_defaults(fn=cmd_faucet)
    return p


AMOUNT_WORDS = ("max", "all")


def _check_amounts(args: argparse.Namespace) -> None:
    """The amounts given on the command line are positive numbers (any unit suffix aside); their decimals are
    checked against the token once it is read."""
    for attr, what in (("amount", "amount"), ("min_out", "--min-out"), ("deposit", "--deposit")):
        text = getattr(args, attr, None)
        if not isinstance(text, str) or text.strip().lower() in AMOUNT_WORDS:
            continue
        number = re.sub(r"\s*[A-Za-z]+$", "", text.strip()).replace(",", "").replace("_", "")
        try:
            value = Decimal(number)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            raise UsageError(f"{what} {text!r} is not a number: write it like 1000 or 1,000.50")
        if value <= 0:
            raise UsageError(f"{what} {text!r} must be more than 0")


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # a bad argument (one line already printed) or --help
        return int(exc.code or 0)
    # Quiet unless -v: a node that is down is one error line, not a warning per retry before it.
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    try:
        _check_amounts(args)  # before any node is contacted: a typo never waits on a connection
        return int(args.fn(args) or 0)
    except RefusedError as exc:
        print(f"refused: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except TransactionRevertedError as exc:  # the state moved between the simulation and the block
        print(f"failed: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except NodeUnreachableError as exc:
        hint = "--rpc-url (or RP_VAULT_RPC_URL) names the node, 'make world' starts the local one"
        print(f"error: {' '.join(str(exc).split())}: {hint}", file=sys.stderr)
        return 2
    except KeeperError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
