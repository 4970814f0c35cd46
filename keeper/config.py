"""The keeper's settings: one YAML file plus env vars for secrets, validated at start.

Every problem is a :class:`~keeper.errors.ConfigError` that names the field and says what to write instead.
See ``config/keeper.local.yaml`` (the local world) and ``config/keeper.fork.yaml`` (a mainnet fork).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from keeper.errors import ConfigError
from keeper.outcomes import TextEnum
from keeper.units import BPS


class Estimator(TextEnum):
    """How the keeper forecasts the covariance of returns (``risk.estimator``)."""

    SAMPLE = "sample"
    EWMA = "ewma"
    LEDOIT_WOLF = "ledoit_wolf"
    GARCH = "garch"
    """EWMA correlations; each asset's variance from its own GARCH(1,1), fitted on the intervals its feed moved."""
    BLEND = "blend"
    """The average of the EWMA and GARCH covariances."""


ESTIMATORS = tuple(e.value for e in Estimator)


@dataclass(frozen=True)
class ChainSettings:
    rpc_urls: tuple[str, ...]
    chain_id: int | None
    deployment: str
    """Path of the deployment file (``deployments/<network>.json``) that holds the vault's and feeds' addresses."""
    vault: str | None
    """Vault address; defaults to the deployment file's ``vault.address``."""
    request_timeout_s: float = 10.0
    read_retries: int = 3
    retry_backoff_s: float = 0.5
    max_head_age_s: float = 120.0
    """A head block older than this (wall clock) means a stalled node: the tick skips. 0 turns the check off
    (a local chain that mines only on demand has an old head whenever it is idle)."""
    private_tx_urls: tuple[str, ...] = ()
    """Protect-style endpoints: when set, signed transactions go only there (never to rpc_urls' public mempool);
    receipts and reads still come from rpc_urls."""


@dataclass(frozen=True)
class SignerSettings:
    private_key_env: str | None = "KEEPER_PRIVATE_KEY"
    keystore: str | None = None
    password_env: str | None = None


@dataclass(frozen=True)
class TxSettings:
    gas_price_cap_gwei: float = 200.0
    gas_limit_multiplier: float = 1.1
    priority_fee_gwei: float = 1.0
    receipt_timeout_s: float = 30.0
    max_replacements: int = 3
    fee_bump_pct: float = 12.5
    deadline_s: int = 600
    confirmations: int = 2
    """Blocks on top of a rebalance's block before it counts as done; a reorg that drops it meanwhile is an error.
    A local chain that mines only on transactions needs 0."""
    confirmation_timeout_s: float = 600.0


@dataclass(frozen=True)
class RiskSettings:
    estimator: Estimator = Estimator.EWMA
    ewma_decay: float = 0.94
    interval_s: int = 3600
    """Returns are resampled to this grid (the last known price carried forward)."""
    lookback_s: int = 30 * 86400
    max_rounds: int = 500
    min_observations: int = 24
    implied_vol_weight: float = 0.0
    """0 = realized vol only; 1 = implied vol only (correlations always realized)."""


@dataclass(frozen=True)
class PolicySettings:
    trigger_rc_deviation: float = 0.05
    trigger_relative: bool = False
    """Measure the trigger as a fraction of each asset's budget (``max |RC/b - 1|``) instead of in absolute
    points, so one threshold means the same for 5 and 20 assets (0.25 = a risk share 25% off its budget)."""
    cooldown_s: int = 6 * 3600
    max_interval_s: int = 0
    """Calendar review: once the last rebalance is this old, a rebalance no longer needs the trigger nor the cost
    gate's margin (see keeper.policy). 0 = off (trigger only). At least ``cooldown_s`` when on."""
    move_fraction: float = 1.0
    """Fraction of the way from the held risk split to the solved one a rebalance aims at, at the target exposure
    (the cost gate then chooses among that move, half and a quarter of it). Below 1 each rebalance averages the
    new estimate with the holdings, which damps the estimator's noise (benchmarks/README.md, turnover against
    monthly); the exposure is not damped."""
    min_trade_usd: float = 100.0
    max_trade_usd: float | None = None
    slippage_bps: int = 50
    cash_buffer_bps: int = 200
    """Share of NAV kept in the base asset to serve plain ERC-4626 withdrawals."""
    value_per_squared_deviation: float = 0.2
    """Fraction of NAV that removing a squared deviation of 1.0 is worth (see keeper.policy)."""
    cost_multiple: float = 1.5
    gas_per_trade: int = 120_000
    eth_price_usd: float | None = None
    """Gas costs are converted at this price; None reads the WETH feed of the deployment when there is one."""


@dataclass(frozen=True)
class LeverageSettings:
    """Volatility targeting: the risky exposure (/ NAV) is target vol / forecast vol, between ``min_exposure`` and
    the vault's cap (its maximum leverage and health-factor target when it levers, 1 less the cash buffer when it
    does not). See keeper.engine and keeper.risk.leverage."""

    target_vol: float = 0.10
    """Annualized volatility the portfolio aims at; exposure = target / forecast, capped."""
    min_exposure: float = 1.0
    """Floor on the risky exposure / NAV. 1.0 keeps the vault fully invested (vol targeting only levers up); below
    1 the keeper de-risks into the base asset when the forecast is above target (0: all cash allowed)."""
    bias_correction: bool = False
    """Scale the forecast up by the trailing realized / forecast volatility ratio (capped at 2x, never down): EWMA
    under-forecasts when volatility rises, which left realized vol far above target in turbulent years."""
    band: float = 0.10
    """A rebalance is considered when leverage is this far (in x) from its target."""
    band_reset: float = 0.0
    """Where an exposure that left the band is brought back, as a fraction of the band from the target: 0 moves the
    whole book to the target (composition and exposure); above 0 the exposure alone is brought to within
    ``band_reset x band`` of the target by scaling the held book (composition kept), so a forecast that wanders
    across the band's edge costs the distance past it, not a round trip to the target (see
    keeper.engine.exposure_move)."""
    health_factor_margin: float = 0.05
    """Delever when the health factor is within this fraction above the vault's minimum (before its ripcord)."""


@dataclass(frozen=True)
class ScheduleSettings:
    interval_s: float = 300.0
    poke_interval_s: float = 0.0
    """How often to try the vault's permissionless ``poke`` (its covariance and TWAP checkpoints); it sends only
    when the vault's own interval has passed. 0: never (others may poke; every rebalance does)."""
    max_consecutive_failures: int = 3


@dataclass(frozen=True)
class KeeperConfig:
    path: str
    chain: ChainSettings
    signer: SignerSettings = field(default_factory=SignerSettings)
    tx: TxSettings = field(default_factory=TxSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    leverage: LeverageSettings = field(default_factory=LeverageSettings)
    journal: str = "keeper.sqlite"
    metrics_port: int | None = None
    dry_run: bool = False


_SECTIONS: dict[str, type] = {
    "signer": SignerSettings,
    "transactions": TxSettings,
    "risk": RiskSettings,
    "policy": PolicySettings,
    "schedule": ScheduleSettings,
    "leverage": LeverageSettings,
}


def load_keeper_config(path: str | Path, overrides: dict[str, Any] | None = None) -> KeeperConfig:
    """Read, merge env overrides (``RP_KEEPER_RPC_URLS``, comma separated) and validate a keeper YAML file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(
            f"keeper config {p} not found: pass --config with a YAML file "
            "(examples: config/keeper.local.yaml, config/keeper.fork.yaml)"
        )
    try:
        raw = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML ({exc}); fix the syntax") from exc
    return parse_keeper_config(raw, str(p), overrides)


def parse_keeper_config(
    raw: Any, path: str = "<keeper config>", overrides: dict[str, Any] | None = None
) -> KeeperConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections (chain, signer, ...)")
    known = {"chain", "journal", "metrics_port", "dry_run", *_SECTIONS}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{path}: unknown section '{key}'; known sections: {', '.join(sorted(known))}")

    chain_raw = raw.get("chain")
    if not isinstance(chain_raw, dict):
        raise ConfigError(f"{path}: section 'chain' is missing; add chain.rpc_urls and chain.deployment")
    _refuse_unknown(chain_raw, CHAIN_FIELDS, "chain", path)
    urls = os.environ.get("RP_KEEPER_RPC_URLS")
    if urls is not None:
        rpc_urls: Any = [u.strip() for u in urls.split(",") if u.strip()]
        if not rpc_urls or not all(u.startswith(("http://", "https://")) for u in rpc_urls):
            raise ConfigError(
                f"env var RP_KEEPER_RPC_URLS must be comma-separated http(s) URLs, got {urls!r} (it overrides "
                f"chain.rpc_urls of {path}): fix it or unset it"
            )
    else:
        rpc_urls = chain_raw.get("rpc_urls")
    if isinstance(rpc_urls, str):
        rpc_urls = [rpc_urls]
    if not rpc_urls or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in rpc_urls):
        got = "nothing" if rpc_urls is None else repr(rpc_urls)
        raise ConfigError(
            f"{path}: field 'chain.rpc_urls' must be a list of http(s) URLs, got {got}; "
            'e.g. rpc_urls: ["http://127.0.0.1:8545"]'
        )
    deployment = chain_raw.get("deployment")
    if not isinstance(deployment, str) or not deployment:
        raise ConfigError(
            f"{path}: field 'chain.deployment' is missing; write the deployment file's path "
            "(e.g. deployments/anvil.json)"
        )
    chain = ChainSettings(
        rpc_urls=tuple(rpc_urls),
        chain_id=_typed(chain_raw, "chain_id", int, path, "chain", optional=True),
        deployment=deployment,
        vault=_typed(chain_raw, "vault", str, path, "chain", optional=True),
        request_timeout_s=_typed(chain_raw, "request_timeout_s", float, path, "chain", default=10.0),
        read_retries=_typed(chain_raw, "read_retries", int, path, "chain", default=3),
        retry_backoff_s=_typed(chain_raw, "retry_backoff_s", float, path, "chain", default=0.5),
        max_head_age_s=_typed(chain_raw, "max_head_age_s", float, path, "chain", default=120.0),
        private_tx_urls=_urls(chain_raw.get("private_tx_urls") or [], path, "chain.private_tx_urls"),
    )
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        sections[name] = _section(raw.get(name) or {}, cls, name, path)
    estimator = sections["risk"].estimator
    if estimator not in ESTIMATORS:
        raise ConfigError(f"{path}: field 'risk.estimator' must be one of {', '.join(ESTIMATORS)}, got {estimator!r}")
    sections["risk"] = replace(sections["risk"], estimator=Estimator(estimator))
    cfg = KeeperConfig(
        path=path,
        chain=chain,
        signer=sections["signer"],
        tx=sections["transactions"],
        risk=sections["risk"],
        policy=sections["policy"],
        schedule=sections["schedule"],
        leverage=sections["leverage"],
        journal=str(raw.get("journal", "keeper.sqlite")),
        metrics_port=_typed(raw, "metrics_port", int, path, "", optional=True),
        dry_run=bool(raw.get("dry_run", False)),
    )
    for key, value in (overrides or {}).items():
        if value is not None:
            cfg = _replace(cfg, key, value)
    _validate(cfg)
    return cfg


def _urls(value: Any, path: str, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    ok = isinstance(value, list) and all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in value)
    if not ok:
        raise ConfigError(f"{path}: field '{name}' must be a list of http(s) URLs, got {value!r}")
    return tuple(value)


def _replace(cfg: KeeperConfig, key: str, value: Any) -> KeeperConfig:
    return replace(cfg, **{key: value})


def _typed(
    data: dict[str, Any], key: str, kind: type, path: str, section: str, *, default: Any = None, optional: bool = False
) -> Any:
    name = f"{section}.{key}" if section else key
    if key not in data or data[key] is None:
        if default is None and not optional:
            raise ConfigError(f"{path}: field '{name}' is missing")
        return default
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{path}: field '{name}' must be {kind.__name__}, got {value!r}")
    return value


CHAIN_FIELDS = tuple(ChainSettings.__dataclass_fields__)


def _refuse_unknown(data: dict[str, Any], known: Sequence[str], section: str, path: str) -> None:
    """ConfigError naming each unknown field of a section, with the known field it most looks like."""
    unknown = sorted(set(data) - set(known))
    if not unknown:
        return
    hints = []
    for u in unknown:
        close = difflib.get_close_matches(u, known, n=1)
        hints.append(f"{section}.{u}" + (f" (did you mean {section}.{close[0]}?)" if close else ""))
    raise ConfigError(f"{path}: unknown field(s) {', '.join(hints)}; known: {', '.join(known)}")


def _section(data: Any, cls: type, name: str, path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: section '{name}' must be a mapping")
    fields = getattr(cls, "__dataclass_fields__")  # noqa: B009 - every section class is a dataclass
    _refuse_unknown(data, tuple(fields), name, path)
    values: dict[str, Any] = {}
    for key, value in data.items():
        default = fields[key].default
        if value is None:
            values[key] = None
            continue
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, float) or (default is None and key.endswith(("_usd", "_gwei"))):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ConfigError(
                f"{path}: field '{name}.{key}' has the wrong type ({value!r}); the default is {default!r}"
            )
        values[key] = value
    return cls(**values)


def _validate(cfg: KeeperConfig) -> None:
    p = cfg.path

    def need(cond: bool, field_: str, problem: str) -> None:
        if not cond:
            raise ConfigError(f"{p}: field '{field_}' {problem}")

    need(cfg.chain.max_head_age_s >= 0, "chain.max_head_age_s", "must be >= 0 seconds (0 turns the check off)")
    need(0.0 < cfg.risk.ewma_decay < 1.0, "risk.ewma_decay", "must be in (0, 1) (RiskMetrics uses 0.94)")
    need(cfg.risk.interval_s > 0, "risk.interval_s", "must be > 0 seconds")
    need(cfg.risk.max_rounds >= 2, "risk.max_rounds", "must be >= 2")
    need(cfg.risk.min_observations >= 2, "risk.min_observations", "must be >= 2")
    need(0.0 <= cfg.risk.implied_vol_weight <= 1.0, "risk.implied_vol_weight", "must be in [0, 1]")
    need(0.0 < cfg.policy.trigger_rc_deviation < 1.0, "policy.trigger_rc_deviation", "must be in (0, 1)")
    need(cfg.policy.cooldown_s >= 0, "policy.cooldown_s", "must be >= 0")
    need(
        cfg.policy.max_interval_s == 0 or cfg.policy.max_interval_s >= cfg.policy.cooldown_s,
        "policy.max_interval_s",
        f"is {cfg.policy.max_interval_s}: must be 0 (off) or >= policy.cooldown_s = {cfg.policy.cooldown_s} seconds "
        "(the cooldown is checked first)",
    )
    need(
        0.0 < cfg.policy.move_fraction <= 1.0,
        "policy.move_fraction",
        f"is {cfg.policy.move_fraction}: must be in (0, 1] (1 = a full move to the target)",
    )
    need(0 <= cfg.policy.slippage_bps <= 1000, "policy.slippage_bps", "must be within 0..1000")
    need(0 <= cfg.policy.cash_buffer_bps < BPS, "policy.cash_buffer_bps", "must be within 0..9999")
    need(cfg.tx.gas_price_cap_gwei > 0, "transactions.gas_price_cap_gwei", "must be > 0")
    need(cfg.tx.gas_limit_multiplier >= 1.0, "transactions.gas_limit_multiplier", "must be >= 1.0")
    need(
        cfg.tx.fee_bump_pct >= 12.5,
        "transactions.fee_bump_pct",
        "must be >= 12.5 (nodes refuse smaller replacement bumps)",
    )
    need(cfg.tx.max_replacements >= 0, "transactions.max_replacements", "must be >= 0")
    need(cfg.tx.confirmations >= 0, "transactions.confirmations", "must be >= 0 (0 = done on inclusion)")
    need(cfg.tx.confirmation_timeout_s > 0, "transactions.confirmation_timeout_s", "must be > 0 seconds")
    need(
        not set(cfg.chain.private_tx_urls) & set(cfg.chain.rpc_urls),
        "chain.private_tx_urls",
        "must not repeat a public rpc_url (a private endpoint keeps transactions out of the public mempool)",
    )
    need(0.0 < cfg.leverage.target_vol < 2.0, "leverage.target_vol", "must be in (0, 2) (0.10 = 10% a year)")
    need(cfg.leverage.band > 0.0, "leverage.band", "must be > 0")
    need(
        0.0 <= cfg.leverage.band_reset < 1.0,
        "leverage.band_reset",
        "must be in [0, 1) (0 = back to the target, 0.5 = halfway between the target and the band's edge)",
    )
    need(0.0 <= cfg.leverage.min_exposure <= 1.0, "leverage.min_exposure", "must be in [0, 1] (1 = fully invested)")
    need(0.0 <= cfg.leverage.health_factor_margin < 1.0, "leverage.health_factor_margin", "must be in [0, 1)")
    need(cfg.schedule.interval_s > 0, "schedule.interval_s", "must be > 0 seconds")
    need(cfg.schedule.poke_interval_s >= 0, "schedule.poke_interval_s", "must be >= 0 seconds (0 = no pokes)")
    need(cfg.schedule.max_consecutive_failures >= 1, "schedule.max_consecutive_failures", "must be >= 1")
    if not cfg.dry_run:
        need(
            bool(cfg.signer.private_key_env or cfg.signer.keystore),
            "signer",
            "needs private_key_env or keystore (or run with dry_run: true)",
        )
