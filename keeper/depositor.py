"""A depositor's reads and transactions on one vault, through the keeper's door to the node (:mod:`keeper.chain`).

Every transaction is simulated first (``eth_call``, then the gas estimate, in :meth:`ChainClient.send`); a revert
becomes a :class:`~keeper.errors.RefusedError` whose message is the decoded error as a sentence
(:mod:`keeper.vault_advice`), and nothing is sent. Where the vault's own error would mislead (an exit larger than
the owner's shares reverts on idle cash first; a deposit without enough USDC reverts in the token), the depositor's
own numbers are checked first and refused with the sentence that fits.

Amounts are integers in raw units here (base units, share units with the vault's 6-digit decimals offset);
:mod:`keeper.vault_cli` parses and prints human units.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from keeper.chain import ChainClient, TxOutcome
from keeper.deployments import WorldDeployment
from keeper.errors import ConfigError, RefusedError, SimulationRevertedError, UsageError
from keeper.snapshot import ZERO_ADDRESS
from keeper.vault_advice import AdviceContext, Op, explain, fmt_time, fmt_units

log = logging.getLogger(__name__)

VAULT = "RiskParityVault"
VAULT_API = "IRiskParityVault"
TOKEN = "IERC20Metadata"
MINTABLE = "WorldToken"
SWAP_ADAPTER = "ISwapAdapter"
MODULE_VIEWS = frozenset({"entryFeeBps"})
"""Views the core's ABI lacks (they run in the module behind its fallback)."""
VIRTUAL_SHARES = 10**6
"""The vault's virtual shares (10 ** its decimals offset of 6): slices are taken against supply plus these."""
LOCAL_CHAIN_ID = 1337
"""The local world's chain id (anvil and Ganache as brownie-config.yaml starts them): dev keys only here."""
DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The local chains' public development mnemonic (every account's key is public: never use it elsewhere)."""
FAUCET_GAS_WEI = 10**18
"""Ether the faucet adds for gas when the receiver holds less."""


def dev_account(index: int) -> LocalAccount:
    """Development account ``index`` of the local chains' public mnemonic."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


@dataclass(frozen=True)
class TokenInfo:
    symbol: str
    address: str
    decimals: int
    feed: str


@dataclass(frozen=True)
class Position:
    """One account in the vault at one block (raw units)."""

    account: str
    block: int
    timestamp: int
    shares: int
    locked_shares: int
    unlocks_at: int
    value: int | None
    """``previewRedeem(shares)``: the shares at the oracle NAV; None when an oracle check fails."""
    price_problem: str | None
    """Why ``value`` is None, as a sentence."""
    max_withdraw: int | None
    max_redeem: int | None
    wallet_base: int
    wallet_wei: int
    allowance: int
    nav: int | None
    share_price: int | None
    """Base units one whole share is worth at the oracle NAV (``convertToAssets``)."""
    total_supply: int
    idle: int
    entry_fee_bps: int | None
    deposits_paused: bool


@dataclass(frozen=True)
class DepositQuote:
    assets: int
    shares: int
    fee_bps: int
    fee: int


@dataclass(frozen=True)
class Slice:
    """One token of an in-kind exit: what is paid and its value at the vault's oracle prices."""

    token: TokenInfo
    amount: int
    value: int


@dataclass(frozen=True)
class ExitQuote:
    shares: int
    oracle_value: int | None
    """``previewRedeem``; None when an oracle check fails (``price_problem`` says why)."""
    price_problem: str | None
    plain_assets: int | None
    """What a plain ``redeem`` pays, when idle cash and the lock allow it now; else None (``plain_problem``)."""
    plain_problem: str | None
    swap_expected: int | None
    """The DEX's expected output of ``redeemWithSwap``; None when it cannot sell (``swap_problem``)."""
    swap_exact: bool
    """True when ``swap_expected`` comes from simulating the exit itself, False from the adapter's quotes."""
    swap_problem: str | None
    slippage_bps: int
    swap_min_out: int | None
    in_kind: tuple[Slice, ...]
    in_kind_top_up: int
    """Base units the caller pays in for a levered in-kind exit whose USDC slice does not cover its debt share."""


class Depositor:
    """One account's view of and actions on one vault. ``client`` carries the account's signer (or none, for
    reads); ``account`` is the address read for (the signer's, or one given for position and quote)."""

    def __init__(self, client: ChainClient, vault: str, deployment: WorldDeployment, account: str) -> None:
        self.client = client
        self.vault = Web3.to_checksum_address(vault)
        self.deployment = deployment
        self.account = Web3.to_checksum_address(account)

    # ------------------------------------------------------------ what the vault is

    @cached_property
    def tokens(self) -> tuple[TokenInfo, ...]:
        """The registry, base first, with the deployment's symbols (an unknown token shows its address)."""
        by_address = {a.token.lower(): s for s, a in self.deployment.assets.items()}
        rows = self.client.call(VAULT_API, self.vault, "assets")
        return tuple(
            TokenInfo(by_address.get(str(r[0]).lower(), str(r[0])), str(r[0]), int(r[3]), str(r[1])) for r in rows
        )

    @property
    def base(self) -> TokenInfo:
        return self.tokens[0]

    @cached_property
    def share_symbol(self) -> str:
        return str(self.client.call(VAULT, self.vault, "symbol"))

    @cached_property
    def share_decimals(self) -> int:
        return int(self.client.call(VAULT, self.vault, "decimals"))

    def context(self, op: Op, now: int | None = None) -> AdviceContext:
        symbols = {t.address.lower(): t.symbol for t in self.tokens}
        symbols.update({t.feed.lower(): t.symbol for t in self.tokens if t.feed != ZERO_ADDRESS})
        return AdviceContext(
            op=op,
            base_symbol=self.base.symbol,
            base_decimals=self.base.decimals,
            share_symbol=self.share_symbol,
            share_decimals=self.share_decimals,
            now=self.now() if now is None else now,
            symbols=symbols,
        )

    def now(self) -> int:
        return int(self.client.latest_block()["timestamp"])

    def refused(self, exc: SimulationRevertedError, op: Op) -> RefusedError:
        return RefusedError(explain(exc.error_name, exc.error_args, self.context(op)), exc.error_name)

    def _view(self, function: str, *args: object, op: Op = Op.READ) -> int:
        """A view of the vault (core or module: the interface's ABI has both), a revert refused as a sentence."""
        try:
            return int(self.client.call(VAULT_API if function in MODULE_VIEWS else VAULT, self.vault, function, *args))
        except SimulationRevertedError as exc:
            raise self.refused(exc, op) from None

    def token_by_symbol(self, symbol: str) -> TokenInfo:
        for t in self.tokens:
            if t.symbol.lower() == symbol.lower() or t.address.lower() == symbol.lower():
                return t
        raise UsageError(f"{symbol!r} is not one of the vault's tokens ({', '.join(t.symbol for t in self.tokens)})")

    # ------------------------------------------------------------ reads

    def position(self) -> Position:
        block = self.client.latest_block()
        now = int(block["timestamp"])
        c = self.client
        shares = int(c.call(VAULT, self.vault, "balanceOf", self.account))
        locked, unlocks_at = (int(x) for x in c.call(VAULT_API, self.vault, "lockedShares", self.account))
        if unlocks_at <= now:
            locked = 0
        problem: str | None = None
        value = max_withdraw = max_redeem = nav = fee = price = None
        try:
            value = int(c.call(VAULT, self.vault, "previewRedeem", shares))
            max_withdraw = int(c.call(VAULT, self.vault, "maxWithdraw", self.account))
            max_redeem = int(c.call(VAULT, self.vault, "maxRedeem", self.account))
            nav = int(c.call(VAULT, self.vault, "totalAssets"))
            fee = int(c.call(VAULT_API, self.vault, "entryFeeBps"))
            price = int(c.call(VAULT, self.vault, "convertToAssets", 10**self.share_decimals))
        except SimulationRevertedError as exc:
            problem = explain(exc.error_name, exc.error_args, self.context(Op.READ, now))
        return Position(
            account=self.account,
            block=int(block["number"]),
            timestamp=now,
            shares=shares,
            locked_shares=locked,
            unlocks_at=unlocks_at,
            value=value,
            price_problem=problem,
            max_withdraw=max_withdraw,
            max_redeem=max_redeem,
            wallet_base=self._base_balance(self.account),
            wallet_wei=c.balance_of(self.account),
            allowance=int(c.call(TOKEN, self.base.address, "allowance", self.account, self.vault)),
            nav=nav,
            share_price=price,
            total_supply=int(c.call(VAULT, self.vault, "totalSupply")),
            idle=self._base_balance(self.vault),
            entry_fee_bps=fee,
            deposits_paused=bool(c.call(VAULT_API, self.vault, "depositsPaused")),
        )

    def _base_balance(self, who: str) -> int:
        return int(self.client.call(TOKEN, self.base.address, "balanceOf", who))

    def quote_deposit(self, assets: int) -> DepositQuote:
        """What a deposit of ``assets`` buys now; RefusedError when the vault would refuse it (paused, cap,
        a bad feed, too small to buy a share)."""
        self._check_deposit(assets)
        shares = self._view("previewDeposit", assets, op=Op.DEPOSIT)
        fee_bps = self._view("entryFeeBps", op=Op.DEPOSIT)
        if int(self.client.call(VAULT, self.vault, "totalSupply")) == 0:
            fee_bps = 0  # the vault charges no fee while nobody holds shares
        return DepositQuote(assets, shares, fee_bps, -(-assets * fee_bps // 10_000))

    def quote_exit(self, shares: int, *, slippage_bps: int, deadline: int, skip: Sequence[str] = ()) -> ExitQuote:
        """The three exits of ``shares`` now: plain (idle cash), swap (the DEX's expected output, with the
        minimum a ``--slippage-bps`` tolerance gives) and in kind (each token's slice at oracle value)."""
        now = self.now()
        oracle_value: int | None = None
        price_problem = plain_problem = swap_problem = None
        try:
            oracle_value = int(self.client.call(VAULT, self.vault, "previewRedeem", shares))
        except SimulationRevertedError as exc:
            price_problem = explain(exc.error_name, exc.error_args, self.context(Op.REDEEM, now))
        plain: int | None = None
        if price_problem is None:
            try:
                self._check_exit(shares, Op.REDEEM, now)
                plain = oracle_value
            except RefusedError as exc:
                plain_problem = str(exc)
        else:
            plain_problem = price_problem
        state = self.client.vault_state(self.vault)
        supply = state.total_supply + VIRTUAL_SHARES
        skipped = {self.token_by_symbol(s).address.lower() for s in skip}
        held = [a.balance * shares // supply for a in state.assets]
        collateral = [a.collateral * shares // supply for a in state.assets]
        for i, a in enumerate(state.assets):
            if i and a.token.lower() in skipped:
                held[i] = collateral[i] = 0
        debt_share = -(-state.debt * shares // supply)
        top_up = max(0, debt_share - held[0])
        slices = []
        for i, (t, a) in enumerate(zip(self.tokens, state.assets, strict=True)):
            amount = (held[0] + top_up - debt_share if i == 0 else held[i]) + collateral[i]
            slices.append(Slice(t, amount, a.price.value(amount)))
        swap_expected, exact = self._swap_expected(shares, held, collateral, debt_share, deadline)
        if swap_expected is None:
            swap_problem = "the DEX quotes nothing for this exit (no swap adapter, or a slice no pool buys)"
        min_out = None if swap_expected is None else swap_expected * (10_000 - slippage_bps) // 10_000
        return ExitQuote(
            shares=shares,
            oracle_value=oracle_value,
            price_problem=price_problem,
            plain_assets=plain,
            plain_problem=plain_problem,
            swap_expected=swap_expected,
            swap_exact=exact,
            swap_problem=swap_problem,
            slippage_bps=slippage_bps,
            swap_min_out=min_out,
            in_kind=tuple(slices),
            in_kind_top_up=top_up,
        )

    def _swap_expected(
        self, shares: int, held: list[int], collateral: list[int], debt_share: int, deadline: int
    ) -> tuple[int | None, bool]:
        """The swap exit's output: the exit itself simulated from the account when it can exit these shares now
        (exact: fees, price impact, a levered exit's flash loan), else the adapter's quotes for every slice
        (the same pools; a levered exit's flash-loan premium is not counted)."""
        if self._exitable(shares):
            try:
                out = self.client.call(
                    VAULT_API, self.vault, "redeemWithSwap", shares, self.account, self.account, 0, deadline,
                    sender=self.account,
                )  # fmt: skip
                return int(out), True
            except SimulationRevertedError as exc:
                log.info("swap exit simulation reverted error=%s: quoting slices instead", exc.error_name)
        adapter = str(self.client.call(VAULT_API, self.vault, "swapAdapter"))
        if adapter == ZERO_ADDRESS:
            return None, False
        total = held[0] - debt_share
        for i, t in enumerate(self.tokens[1:], start=1):
            amount = held[i] + collateral[i]
            if amount == 0:
                continue
            out = int(self.client.call(SWAP_ADAPTER, adapter, "quoteExactIn", t.address, self.base.address, amount))
            if out == 0:
                return None, False
            total += out
        return max(total, 0), False

    def _exitable(self, shares: int) -> bool:
        balance = int(self.client.call(VAULT, self.vault, "balanceOf", self.account))
        locked, unlocks_at = (int(x) for x in self.client.call(VAULT_API, self.vault, "lockedShares", self.account))
        if unlocks_at <= self.now():
            locked = 0
        return 0 < shares <= balance - locked

    # ------------------------------------------------------------ checks the vault's own errors would blur

    def _check_exit(self, shares: int, op: Op, now: int, assets: int | None = None) -> None:
        """Refuse an exit larger than the account's shares, or its unlocked shares, with that reason (the vault
        checks idle cash first and would blame it); then a plain exit larger than idle cash allows."""
        ctx = self.context(op, now)
        balance = int(self.client.call(VAULT, self.vault, "balanceOf", self.account))
        if shares > balance:
            own = f"{fmt_units(balance, self.share_decimals, 6)} {self.share_symbol} shares"
            if assets is not None:
                worth = self._view("previewRedeem", balance, op=op)
                own += f" worth {fmt_units(worth, self.base.decimals)} {self.base.symbol}"
                asked = f"{fmt_units(assets, self.base.decimals)} {self.base.symbol}"
            else:
                asked = f"{fmt_units(shares, self.share_decimals, 6)} shares"
            raise RefusedError(f"exceeds your shares: you own {own} and asked for {asked}; exit at most that", None)
        locked, unlocks_at = (int(x) for x in self.client.call(VAULT_API, self.vault, "lockedShares", self.account))
        if unlocks_at > now and shares > balance - locked:
            raise RefusedError(explain("RiskParityVaultSharesLocked", (self.account, locked, unlocks_at), ctx), None)
        if op in (Op.WITHDRAW, Op.REDEEM):
            limit = self._view("maxRedeem", self.account, op=op)
            if shares > limit:
                idle = self._base_balance(self.vault)
                need = assets if assets is not None else self._view("previewRedeem", shares, op=op)
                can = self._view("maxWithdraw", self.account, op=op)
                raise RefusedError(
                    explain("RiskParityVaultInsufficientIdle", (need, idle), ctx)
                    + f"; a plain exit can take at most {fmt_units(can, self.base.decimals)} {self.base.symbol} now",
                    "RiskParityVaultInsufficientIdle",
                )

    def _check_deposit(self, assets: int) -> None:
        """Paused, cap and zero shares, with their sentences (the simulation would find them too, but only after
        an approval was mined)."""
        ctx = self.context(Op.DEPOSIT)
        if bool(self.client.call(VAULT_API, self.vault, "depositsPaused")):
            raise RefusedError(explain("RiskParityVaultDepositsPaused", (), ctx), "RiskParityVaultDepositsPaused")
        max_deposit = self._view("maxDeposit", self.account, op=Op.DEPOSIT)
        if assets > max_deposit:
            args = (self.account, assets, max_deposit)
            raise RefusedError(explain("ERC4626ExceededMaxDeposit", args, ctx), "ERC4626ExceededMaxDeposit")
        if self._view("previewDeposit", assets, op=Op.DEPOSIT) == 0:
            raise RefusedError(explain("RiskParityVaultZeroShares", (assets,), ctx), "RiskParityVaultZeroShares")

    def _check_base(self, needed: int, op: Op) -> None:
        have = self._base_balance(self.account)
        if have < needed:
            raise RefusedError(
                explain("ERC20InsufficientBalance", (self.account, have, needed), self.context(op)),
                "ERC20InsufficientBalance",
            )

    # ------------------------------------------------------------ transactions

    def _send(self, to: str, data: str, op: Op, *, value: int = 0) -> TxOutcome:
        try:
            outcome = self.client.send(to, data, value=value)
        except SimulationRevertedError as exc:
            raise self.refused(exc, op) from None
        assert outcome is not None  # send returns None only for a dry run
        log.info("tx mined op=%s hash=%s block=%d gas=%d", op, outcome.tx_hash, outcome.block, outcome.gas_used)
        return outcome

    def _approve(self, amount: int, op: Op) -> TxOutcome | None:
        """Approve the vault for exactly ``amount`` of the base asset, unless it already may spend that much."""
        allowance = int(self.client.call(TOKEN, self.base.address, "allowance", self.account, self.vault))
        if allowance >= amount:
            return None
        data = self.client.calldata(TOKEN, self.base.address, "approve", self.vault, amount)
        return self._send(self.base.address, data, op)

    def deposit(self, assets: int) -> tuple[list[TxOutcome], int]:
        """Deposit ``assets`` base units for the account; (transactions, shares minted)."""
        self._check_base(assets, Op.DEPOSIT)
        self._check_deposit(assets)
        before = int(self.client.call(VAULT, self.vault, "balanceOf", self.account))
        txs = [tx for tx in [self._approve(assets, Op.DEPOSIT)] if tx is not None]
        data = self.client.calldata(VAULT, self.vault, "deposit", assets, self.account)
        txs.append(self._send(self.vault, data, Op.DEPOSIT))
        return txs, int(self.client.call(VAULT, self.vault, "balanceOf", self.account)) - before

    def withdraw(self, assets: int) -> tuple[TxOutcome, int]:
        """Withdraw ``assets`` base units from idle cash; (transaction, shares burnt)."""
        shares = self._view("previewWithdraw", assets, op=Op.WITHDRAW)
        self._check_exit(shares, Op.WITHDRAW, self.now(), assets=assets)
        before = int(self.client.call(VAULT, self.vault, "balanceOf", self.account))
        data = self.client.calldata(VAULT, self.vault, "withdraw", assets, self.account, self.account)
        tx = self._send(self.vault, data, Op.WITHDRAW)
        return tx, before - int(self.client.call(VAULT, self.vault, "balanceOf", self.account))

    def redeem(self, shares: int) -> tuple[TxOutcome, int]:
        """Redeem ``shares`` for idle cash; (transaction, base units received)."""
        self._check_exit(shares, Op.REDEEM, self.now())
        data = self.client.calldata(VAULT, self.vault, "redeem", shares, self.account, self.account)
        return self._paid(Op.REDEEM, data)

    def redeem_with_swap(self, shares: int, min_out: int, deadline: int) -> tuple[TxOutcome, int]:
        self._check_exit(shares, Op.REDEEM_SWAP, self.now())
        data = self.client.calldata(
            VAULT_API, self.vault, "redeemWithSwap", shares, self.account, self.account, min_out, deadline
        )
        return self._paid(Op.REDEEM_SWAP, data)

    def redeem_in_kind(self, shares: int, skip: Sequence[str] = ()) -> tuple[list[TxOutcome], list[Slice]]:
        """Redeem ``shares`` for a slice of every token (``skip`` symbols left out); a levered exit's USDC top-up
        is approved first. (transactions, what arrived per token)."""
        now = self.now()
        self._check_exit(shares, Op.REDEEM_IN_KIND, now)
        skip_tokens = [self.token_by_symbol(s) for s in skip]
        if any(t.address == self.base.address for t in skip_tokens):
            raise UsageError(f"--skip {self.base.symbol}: the base asset cannot be skipped (it settles the exit)")
        quote = self.quote_exit(shares, slippage_bps=0, deadline=now + 600, skip=skip)
        txs: list[TxOutcome] = []
        if quote.in_kind_top_up:
            top_up = quote.in_kind_top_up + 1  # the debt share rounds up, and accrues interest until mined
            have = self._base_balance(self.account)
            if have < top_up:
                base = f"{self.base.symbol}"
                raise RefusedError(
                    "a levered in-kind exit repays its share of the vault's debt, and your "
                    f"{base} slice does not cover it: this one needs {fmt_units(top_up, self.base.decimals)} {base} "
                    f"from you and you hold {fmt_units(have, self.base.decimals)} {base}: get {base} first (on the "
                    "local world: 'rp-vault faucet'), or use 'rp-vault redeem SHARES --swap', which repays the debt "
                    "with a flash loan",
                    "ERC20InsufficientBalance",
                )
            txs += [tx for tx in [self._approve(top_up, Op.REDEEM_IN_KIND)] if tx is not None]
        before = [self._token_balance(t) for t in self.tokens]
        if skip_tokens:
            data = self.client.calldata(
                VAULT_API, self.vault, "redeemInKindSkipping", shares, self.account, self.account,
                [t.address for t in skip_tokens],
            )  # fmt: skip
        else:
            data = self.client.calldata(VAULT_API, self.vault, "redeemInKind", shares, self.account, self.account)
        txs.append(self._send(self.vault, data, Op.REDEEM_IN_KIND))
        after = [self._token_balance(t) for t in self.tokens]
        prices = {a.token.lower(): a.price for a in self.client.vault_state(self.vault).assets}
        got = [
            Slice(t, a - b, prices[t.address.lower()].value(a - b))
            for t, b, a in zip(self.tokens, before, after, strict=True)
        ]
        return txs, got

    def _token_balance(self, t: TokenInfo) -> int:
        return int(self.client.call(TOKEN, t.address, "balanceOf", self.account))

    def _paid(self, op: Op, data: str) -> tuple[TxOutcome, int]:
        before = self._base_balance(self.account)
        tx = self._send(self.vault, data, op)
        return tx, self._base_balance(self.account) - before


def faucet(client: ChainClient, deployment: WorldDeployment, to: str, amount: int) -> list[TxOutcome]:
    """Mint ``amount`` of the local world's base asset to ``to`` from the world's minter (its deployer, dev
    account 0), plus ether for gas when ``to`` has less than 1. ``client`` must carry the minter's key."""
    chain_id = client.check_chain()
    if chain_id != LOCAL_CHAIN_ID:
        raise UsageError(
            f"faucet runs only on the local world (chain id {LOCAL_CHAIN_ID}); {client.url} is chain {chain_id}: "
            "buy the base asset on that chain instead"
        )
    minter = dev_account(0)
    if deployment.deployer.lower() != minter.address.lower():
        raise ConfigError(
            f"the world's minter {deployment.deployer} is not dev account 0 ({minter.address}): this faucet can "
            "only mint on a world deployed by 'make world' or scripts/deploy_world.py"
        )
    if client.signer is None or client.signer.address != minter.address:
        raise UsageError("faucet needs the minter's key: it signs with dev account 0 itself")
    if deployment.base not in deployment.assets:
        raise ConfigError(f"the deployment file names base {deployment.base!r} but lists no such asset: redeploy")
    base = deployment.assets[deployment.base].token
    to = Web3.to_checksum_address(to)
    txs: list[TxOutcome] = []
    try:
        txs.append(_must(client.send(base, client.calldata(MINTABLE, base, "mint", to, amount))))
        if client.balance_of(to) < FAUCET_GAS_WEI:
            txs.append(_must(client.send(to, "0x", value=FAUCET_GAS_WEI)))
    except SimulationRevertedError as exc:
        raise RefusedError(
            f"the world's base token refused to mint ({exc}): is {base} the world's WorldToken USDC?", exc.error_name
        ) from None
    return txs


def _must(outcome: TxOutcome | None) -> TxOutcome:
    assert outcome is not None  # send returns None only for a dry run
    return outcome


__all__ = [
    "DEV_MNEMONIC",
    "LOCAL_CHAIN_ID",
    "DepositQuote",
    "Depositor",
    "ExitQuote",
    "Position",
    "Slice",
    "TokenInfo",
    "dev_account",
    "faucet",
    "fmt_time",
]
