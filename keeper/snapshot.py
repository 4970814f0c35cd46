"""One tick's view of the chain: every value read at one block, converted once into the keeper's frame.

:class:`Snapshot` is immutable and built in one place (:func:`build_snapshot`, called by
:meth:`keeper.chain.ChainClient.snapshot` with what it read at block N, or by the backtest with simulated data),
so the engine never sees a raw feed answer without its decimals, nor two blocks' worth of state. Frames
(:mod:`keeper.units`): integers for the plan (raw token amounts, :class:`~keeper.units.Price` rationals, values in
base raw units); floats for the maths (whole base-asset units).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from keeper.amm import Pool
from keeper.units import BASE_PRICE, BPS, UNPRICED, WAD, Price, oracle_price

ZERO_ADDRESS = "0x" + "00" * 20
NO_DEBT_HEALTH_FACTOR = 2**256 - 1


@dataclass(frozen=True)
class FeedHistory:
    """Rounds of one feed, oldest first: raw answers (feed decimals) and their times in unix seconds."""

    round_ids: tuple[int, ...] = ()
    answers: tuple[int, ...] = ()
    updated_at: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReserveConfig:
    """An asset's reserve on the lending market (Aave V3 ``getReserveConfigurationData``)."""

    loan_to_value: float
    """Fraction (0.80 for 80%)."""
    liquidation_threshold: float
    collateral_enabled: bool


@dataclass(frozen=True)
class AssetState:
    """One registry entry at the snapshot's block."""

    token: str
    feed: str
    heartbeat_s: int
    token_decimals: int
    feed_decimals: int
    min_price: int
    max_price: int
    """The registry's bounds on the raw answer."""
    balance: int
    """Held by the vault, raw units."""
    answer: int
    """Raw feed answer (feed decimals)."""
    updated_at: int
    target_bps: int
    budget_bps: int
    collateral: int = 0
    """Supplied to the lending market, raw units (0 without leverage)."""
    # The frame, computed once by build_snapshot:
    price: Price = UNPRICED
    """The vault's price: base raw units per raw unit (integers for the plan)."""
    price_base: float = 0.0
    """Whole base units per whole token (floats for the maths)."""
    value_base: float = 0.0
    """(balance + collateral) in whole base units."""
    pool: Pool | None = None
    """The asset's pair with the base asset (None for the base asset or where there is none)."""
    history: FeedHistory = FeedHistory()
    implied_vol: float | None = None
    """Annualized, from the asset's implied-vol feed when the deployment has one."""
    reserve: ReserveConfig | None = None
    """Lending-market settings, for a levered vault."""
    symbol: str = ""
    """The token's ERC-20 symbol (for people: logs, tables); the token address is what the maths keys on."""

    @property
    def label(self) -> str:
        """The symbol, or the token's address when the token has none."""
        return self.symbol or self.token

    @property
    def value(self) -> int:
        """(balance + collateral) in base raw units at the vault's price, rounded down."""
        return self.price.value(self.balance + self.collateral)


@dataclass(frozen=True)
class LeverageParams:
    min_health_factor: float
    target_health_factor: float
    ripcord_health_factor: float
    max_leverage: float
    """Gross / NAV cap (``maxLeverageBps`` / 10,000)."""
    raw: tuple[int, ...]
    """As the vault returns them: (minHF, targetHF, ripcordHF, maxLeverageBps, rewardBps, cooldown, maxTrade)."""


@dataclass(frozen=True)
class RiskModel:
    """The vault's own risk model and circuit breaker (issue 12), read at the snapshot's block."""

    active: bool
    """The guardrail checks rebalances (band set and enough returns in)."""
    observations: int
    last_poke_at: int
    poke_interval_s: int
    band_bps: int
    covariance: tuple[int, ...]
    """``covariancePerSecond``: non-base entries, (i, j) at j (j + 1) / 2 + i, per second x 1e22."""
    breaker_tripped: bool
    breaker_token: str
    divergence_bps: int
    max_divergence_bps: int
    min_observations: int = 0
    """Returns the model needs before the guardrail checks (``riskParams``); 0 when unknown."""

    @property
    def guards_next_rebalance(self) -> bool:
        """The guardrail will check the next rebalance: it is active, or one return short of its minimum, which
        the rebalance's own poke (sent before the vault's check) may add. Inactive with enough returns means no
        band or a restarted model, which that poke cannot activate."""
        return self.active or (self.band_bps > 0 and self.observations + 1 == self.min_observations)

    def return_pending(self, at: int) -> bool:
        """Whether a poke (or a rebalance, which pokes before its guardrail check) at chain time ``at`` adds a
        return to the covariance: the vault's interval has passed since its last poke."""
        return self.last_poke_at > 0 and at >= self.last_poke_at + self.poke_interval_s


@dataclass(frozen=True)
class Snapshot:
    """The vault and its market at one block."""

    block: int
    timestamp: int
    head_age_s: float
    """Wall clock minus the block's timestamp when it was read (a stalled node's head grows old)."""
    epoch: int
    last_rebalance_at: int
    max_slippage_bps: int
    max_nav_loss_bps: int
    max_turnover_bps: int
    cooldown_s: int
    deposits_paused: bool
    rebalances_paused: bool
    total_supply: int
    nav_ok: bool
    nav: int
    """The vault's own NAV in base raw units (meaningless when ``nav_ok`` is False)."""
    assets: tuple[AssetState, ...]
    lending_adapter: str | None = None
    debt: int = 0
    """Base raw units owed to the lending market."""
    health_factor_wad: int = NO_DEBT_HEALTH_FACTOR
    leverage: LeverageParams | None = None
    last_deleverage_at: int = 0
    loss_budget_used: float = 0.0
    """Share of the rolling loss budget used (1.0 = exhausted)."""
    sequencer_down: bool = False
    """An L2 sequencer uptime feed says down or still in its grace period (the vault then refuses to price)."""
    gas_price_wei: int = 0
    """Base fee of the block plus the configured priority fee."""
    eth_price_base: float = 0.0
    """One ETH in whole base units (gas costs); 0 when unknown."""
    risk: RiskModel | None = None
    """None for a vault without the on-chain risk model."""

    @property
    def base(self) -> AssetState:
        return self.assets[0]

    @property
    def base_unit(self) -> int:
        return int(10 ** self.assets[0].token_decimals)

    @property
    def nav_base(self) -> float:
        """Held plus supplied minus debt, in whole base units, at the keeper's frame (the vault's prices)."""
        return sum(a.value_base for a in self.assets) - self.debt / self.base_unit

    @property
    def gross_leverage(self) -> float:
        """Held plus supplied over NAV (1 without debt; 0 when NAV is not positive)."""
        nav = self.nav_base
        return sum(a.value_base for a in self.assets) / nav if nav > 0 else 0.0

    @property
    def health_factor(self) -> float:
        return float("inf") if self.health_factor_wad >= NO_DEBT_HEALTH_FACTOR else self.health_factor_wad / WAD


def utc(ts: int) -> str:
    """Unix seconds as ``YYYY-MM-DD HH:MM:SS UTC`` (for messages people read)."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _feed_of(a: AssetState) -> str:
    return f"feed {a.feed} for {a.label}"


def feed_problem(s: Snapshot) -> str | None:
    """The first feed the vault would refuse, as a sentence with the asset's symbol and what to do; None if none.

    Only assets the vault holds, lends, targets or budgets count (the vault prices those): a feed is refused when
    its answer is not positive, older than its heartbeat, or outside the registry's bounds.
    """
    for a in s.assets:
        if a.balance == 0 and a.collateral == 0 and a.budget_bps == 0 and a.target_bps == 0:
            continue
        if a.answer <= 0:
            return (
                f"{_feed_of(a)} answers {a.answer} (not positive): the vault refuses it until the feed publishes again"
            )
        age = s.timestamp - a.updated_at
        if a.updated_at == 0 or age > a.heartbeat_s:
            since = "never published" if a.updated_at == 0 else f"stale since {utc(a.updated_at + a.heartbeat_s)}"
            return (
                f"{_feed_of(a)} is {since} (answer {age:,} s old, heartbeat {a.heartbeat_s:,} s): wait for the feed to "
                "publish (on the local world: keep `make market` running)"
            )
        if not a.min_price <= a.answer <= a.max_price:
            return (
                f"{_feed_of(a)} answers {a.answer}, outside the registry's bounds [{a.min_price}, {a.max_price}]: "
                "governance must check the feed or widen the bounds (setAssetOracle)"
            )
    return None


def build_snapshot(
    view: Sequence[Any],
    *,
    block: int,
    timestamp: int,
    head_age_s: float,
    histories: Sequence[FeedHistory] | None = None,
    pools: Sequence[Pool | None] | None = None,
    implied_vols: Sequence[float | None] | None = None,
    reserves: Sequence[ReserveConfig] | None = None,
    sequencer_down: bool = False,
    gas_price_wei: int = 0,
    eth_answer: tuple[int, int] | None = None,
    symbols: Sequence[str] | None = None,
    risk: RiskModel | None = None,
) -> Snapshot:
    """Decode the lens's ``keeperView`` tuple and put everything into the keeper's frame.

    ``eth_answer`` is (raw answer, feed decimals) of an ETH/USD feed, for gas costs in base units.
    """
    (epoch, last_rebalance_at, thresholds, deposits_paused, rebalances_paused, _cap, total_supply, nav_ok, nav,
     configs, targets, budgets, balances, answers, updated_at) = view[:15]  # fmt: skip
    n = len(configs)
    collateral = [0] * n
    lending: dict[str, Any] = {}
    if len(view) >= 21 and view[15] and view[15] != ZERO_ADDRESS:
        collateral = [int(c) for c in view[16]] or collateral
        raw = tuple(int(x) for x in view[19])
        lending = dict(
            lending_adapter=view[15],
            debt=int(view[17]),
            health_factor_wad=int(view[18]),
            leverage=LeverageParams(raw[0] / WAD, raw[1] / WAD, raw[2] / WAD, raw[3] / BPS, raw),
            last_deleverage_at=int(view[20]),
        )
    loss_used = int(view[23]) / WAD if len(view) >= 24 else 0.0
    base_cfg = configs[0]
    base_dec, base_fd, base_answer = int(base_cfg[3]), int(base_cfg[4]), int(answers[0])
    rows = []
    for i, a in enumerate(configs):
        dec, fd = int(a[3]), int(a[4])
        price = BASE_PRICE if i == 0 else oracle_price(int(answers[i]), fd, dec, base_answer, base_fd, base_dec)
        held = int(balances[i]) + collateral[i]
        rows.append(
            AssetState(
                token=a[0],
                feed=a[1],
                heartbeat_s=int(a[2]),
                token_decimals=dec,
                feed_decimals=fd,
                min_price=int(a[5]),
                max_price=int(a[6]),
                balance=int(balances[i]),
                answer=int(answers[i]),
                updated_at=int(updated_at[i]),
                target_bps=int(targets[i]) if i < len(targets) else 0,
                budget_bps=int(budgets[i]) if i < len(budgets) else 0,
                collateral=collateral[i],
                price=price,
                price_base=price.per_whole(dec, base_dec),
                value_base=price.value(held) / 10**base_dec,
                pool=pools[i] if pools else None,
                history=histories[i] if histories else FeedHistory(),
                implied_vol=implied_vols[i] if implied_vols else None,
                reserve=reserves[i] if reserves else None,
                symbol=symbols[i] if symbols else "",
            )
        )
    eth_price_base = 0.0
    if eth_answer and eth_answer[0] > 0 and base_answer > 0:
        eth_price_base = eth_answer[0] / 10 ** eth_answer[1] / (base_answer / 10**base_fd)
    max_slippage, max_nav_loss, max_turnover, cooldown = thresholds
    return Snapshot(
        block=block,
        timestamp=timestamp,
        head_age_s=head_age_s,
        epoch=int(epoch),
        last_rebalance_at=int(last_rebalance_at),
        max_slippage_bps=int(max_slippage),
        max_nav_loss_bps=int(max_nav_loss),
        max_turnover_bps=int(max_turnover),
        cooldown_s=int(cooldown),
        deposits_paused=bool(deposits_paused),
        rebalances_paused=bool(rebalances_paused),
        total_supply=int(total_supply),
        nav_ok=bool(nav_ok),
        nav=int(nav),
        assets=tuple(rows),
        loss_budget_used=loss_used,
        sequencer_down=sequencer_down,
        gas_price_wei=gas_price_wei,
        eth_price_base=eth_price_base,
        risk=risk,
        **lending,
    )
