"""Deploy the RiskParityVault on a deployed world (local, or a fork) and add it to deployments/<network>.json.

    .venv/bin/python tools/run_script.py scripts/deploy_vault.py --network anvil
    VAULT_CONFIG=path/to/vault.yaml .venv/bin/python tools/run_script.py scripts/deploy_vault.py --network anvil-fork

The vault is three contracts at one address's service: the core (RiskParityVault), the module it delegates to
(RiskParityVaultModule, which delegates administration to RiskParityVaultAdmin) and the lens that reads it
(RiskParityVaultLens). The module, the admin and the lens hold no state and are shared by every vault on the chain.
``vault_at(address)`` gives the vault with the whole API (core + module + admin).

The deployer wires everything (assets, budgets, adapter, roles, the risk timelock), then hands DEFAULT_ADMIN_ROLE
to an OpenZeppelin TimelockController and renounces its own: from then on every governance change waits out the
timelock delay, and every risk-increasing manager change the vault's own risk timelock. ``governance.mode`` says who
proposes to that timelock: ``timelock``, the configured proposer account; ``governor``, the holders, through a
VaultGovernor (OpenZeppelin Governor) voting with VaultVotes (the vault's shares wrapped as ERC20Votes).
Tests call ``deploy_vault`` directly, optionally with a plain account as governance.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from brownie import (  # type: ignore[attr-defined]
    AaveV3LendingAdapter,
    Contract,
    FeeLogic,
    LeverageLogic,
    RegistryLogic,
    RiskLogic,
    RiskParityVault,
    RiskParityVaultAdmin,
    RiskParityVaultLens,
    RiskParityVaultModule,
    UniswapV2SwapAdapter,
    VaultGovernor,
    VaultTimelock,
    VaultVotes,
    accounts,
    interface,
    network,
    web3,
)

from keeper.artifacts import ROOT
from keeper.deployments import deployment_path, load_deployment, save_deployment
from keeper.errors import ConfigError
from keeper.outcomes import TextEnum

DEFAULT_CONFIG = ROOT / "config" / "vault.yaml"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
UNCAPPED = 2**128 - 1  # the vault's "no deposit cap"


@dataclass(frozen=True)
class OracleGuard:
    heartbeat_s: int
    min_usd: float
    max_usd: float
    deviation_bps: int = 0
    """The feed's deviation threshold (its largest lag behind the market): prices the entry fee."""


@dataclass(frozen=True)
class ProtectionConfig:
    """Holder protections (``protection:`` in config/vault.yaml; the contract's ``ProtectionParams``)."""

    entry_fee_floor_bps: int = 0
    share_lock_s: int = 0
    loss_budget_bps: int = 100
    loss_period_s: int = 86_400

    def params(self) -> tuple[int, int, int, int]:
        return (self.entry_fee_floor_bps, self.share_lock_s, self.loss_budget_bps, self.loss_period_s)


@dataclass(frozen=True)
class FeeConfig:
    """Holder fees (``fees:`` in config/vault.yaml), paid as shares to ``recipient``: an account index, an address,
    or ``governance`` (the TimelockController, or the governance account in tests). Zero fees: no recipient needed."""

    management_bps: int = 0
    performance_bps: int = 0
    recipient: int | str = "governance"


@dataclass(frozen=True)
class LeverageConfig:
    """Optional leverage on the world's Aave V3 market (``leverage:`` in config/vault.yaml). Health factors are
    Aave's (1.0 = liquidatable), leverage is (NAV + debt) / NAV."""

    enabled: bool = False
    min_health_factor: float = 1.5
    target_health_factor: float = 1.8
    ripcord_health_factor: float = 1.25
    max_leverage: float = 2.0
    ripcord_reward_bps: int = 50
    ripcord_cooldown_s: int = 600
    ripcord_max_trade_usd: float = 100_000

    def params(self, base_decimals: int) -> tuple[int, ...]:
        """As the contract's ``LeverageParams`` struct."""
        wad = 10**18
        return (
            round(self.min_health_factor * wad),
            round(self.target_health_factor * wad),
            round(self.ripcord_health_factor * wad),
            round(self.max_leverage * 10_000),
            self.ripcord_reward_bps,
            self.ripcord_cooldown_s,
            round(self.ripcord_max_trade_usd * 10**base_decimals),
        )


class GovernanceMode(TextEnum):
    """Who proposes to the TimelockController that holds the vault's governance role."""

    TIMELOCK = "timelock"
    """The configured proposer account schedules, the executor account executes."""
    GOVERNOR = "governor"
    """The holders: a VaultGovernor proposes (after a vote of wrapped shares) and executes."""


@dataclass(frozen=True)
class GovernorConfig:
    """The holders' Governor (``governance:`` in config/vault.yaml, used when ``mode: governor``). Times are
    seconds (the votes token's clock is unix time); the quorum is a share of the wrapped shares at the snapshot."""

    voting_delay_s: int = 86_400
    voting_period_s: int = 259_200
    quorum_pct: int = 10
    proposal_threshold_shares: float = 0.0
    """Wrapped shares (whole shares) a proposer needs delegated to it at the proposal's creation."""

    def __post_init__(self) -> None:
        if not 0 <= self.voting_delay_s < 2**48:
            raise ConfigError(f"governance.voting_delay_s={self.voting_delay_s}: must be 0 .. 2^48 - 1 seconds")
        if not 0 < self.voting_period_s < 2**32:
            raise ConfigError(f"governance.voting_period_s={self.voting_period_s}: must be 1 .. 2^32 - 1 seconds")
        if not 0 < self.quorum_pct <= 100:
            raise ConfigError(f"governance.quorum_pct={self.quorum_pct}: must be 1 .. 100 (% of wrapped shares)")
        if self.proposal_threshold_shares < 0:
            raise ConfigError("governance.proposal_threshold_shares must be >= 0 (whole vault shares)")


@dataclass(frozen=True)
class RiskConfig:
    """The on-chain risk model, guardrail and DEX-vs-oracle breaker (``risk:`` in config/vault.yaml; the
    contract's ``RiskParams``). Off unless ``enabled``: the vault then never pokes and checks neither."""

    enabled: bool = False
    poke_interval_s: int = 3_600
    half_life_s: int = 604_800
    twap_window_s: int = 1_800
    band_bps: int = 1_000
    trigger_bps: int = 500
    max_divergence_bps: int = 500
    min_observations: int = 24

    def params(self) -> tuple[int, ...]:
        """As the contract's ``RiskParams`` struct."""
        return (
            self.poke_interval_s,
            self.half_life_s,
            self.twap_window_s,
            self.band_bps,
            self.trigger_bps,
            self.max_divergence_bps,
            self.min_observations,
        )


@dataclass(frozen=True)
class VaultConfig:
    name: str
    symbol: str
    assets: list[str]
    oracles: dict[str, OracleGuard]
    risk_budgets_bps: dict[str, int]
    max_slippage_bps: int
    max_nav_loss_bps: int
    max_turnover_bps: int
    cooldown_s: int
    deposit_cap_usd: float | None
    sequencer_feed: str | None
    sequencer_grace_s: int
    timelock_delay_s: int
    proposer: int | str
    executor: int | str
    roles: dict[str, int | str]
    leverage: LeverageConfig = LeverageConfig()
    protection: ProtectionConfig = ProtectionConfig()
    fees: FeeConfig = FeeConfig()
    risk_timelock_s: int = 0
    """Delay of the manager's risk-increasing changes (0: they apply at once; tests)."""
    governance_mode: GovernanceMode = GovernanceMode.TIMELOCK
    governor: GovernorConfig = field(default_factory=GovernorConfig)
    risk: RiskConfig = RiskConfig()

    @property
    def thresholds(self) -> tuple[int, int, int, int]:
        """As the contract's ``Thresholds`` struct."""
        return (self.max_slippage_bps, self.max_nav_loss_bps, self.max_turnover_bps, self.cooldown_s)


BOUNDS = {
    # field: (low, high, the contract constant it mirrors); checked before anything is deployed.
    "thresholds.max_slippage_bps": (0, 500, "RiskParityVaultAdmin.MAX_SLIPPAGE_BPS"),
    "thresholds.max_nav_loss_bps": (0, 200, "RiskParityVaultAdmin.MAX_NAV_LOSS_BPS"),
    "thresholds.max_turnover_bps": (1, 10_000, "RiskParityVaultAdmin.MAX_TURNOVER_BPS"),
    "thresholds.cooldown_s": (900, 30 * 86_400, "RiskParityVaultAdmin.MIN_/MAX_COOLDOWN_SECONDS"),
    "risk_budgets_bps.*": (0, 5_000, "RiskParityVaultAdmin.MAX_RISK_BUDGET_BPS"),
    "oracles.*.heartbeat_s": (60, 7 * 86_400, "AssetRegistry.MIN_/MAX_HEARTBEAT_SECONDS"),
    "oracles.*.deviation_bps": (0, 1_000, "AssetRegistry.MAX_DEVIATION_BPS"),
    "sequencer.grace_s": (0, 86_400, "RiskParityVaultAdmin.MAX_SEQUENCER_GRACE_SECONDS"),
    "governance.risk_timelock_s": (0, 30 * 86_400, "RiskParityVaultAdmin.MAX_TIMELOCK_SECONDS"),
    "protection.entry_fee_floor_bps": (0, 200, "RiskParityVaultAdmin.MAX_ENTRY_FEE_FLOOR_BPS"),
    "protection.share_lock_s": (0, 86_400, "RiskParityVaultAdmin.MAX_SHARE_LOCK_SECONDS"),
    "protection.loss_budget_bps": (0, 500, "RiskParityVaultAdmin.MAX_LOSS_BUDGET_BPS"),
    "protection.loss_period_s": (3_600, 30 * 86_400, "RiskParityVaultAdmin.MIN_/MAX_LOSS_PERIOD_SECONDS"),
    "fees.management_bps": (0, 500, "RiskParityVaultAdmin.MAX_MANAGEMENT_FEE_BPS"),
    "fees.performance_bps": (0, 3_000, "RiskParityVaultAdmin.MAX_PERFORMANCE_FEE_BPS"),
    "leverage.max_leverage": (1.0, 3.0, "LeverageLogic.MIN_/MAX_MAX_LEVERAGE_BPS"),
    "leverage.ripcord_reward_bps": (0, 100, "LeverageLogic.MAX_RIPCORD_REWARD_BPS"),
    "leverage.ripcord_cooldown_s": (60, 86_400, "LeverageLogic.MIN_/MAX_RIPCORD_COOLDOWN_SECONDS"),
    "risk.poke_interval_s": (60, 86_400, "RiskLogic.MIN_/MAX_POKE_INTERVAL_SECONDS"),
    "risk.half_life_s": (3_600, 365 * 86_400, "RiskLogic.MIN_/MAX_HALF_LIFE_SECONDS"),
    "risk.twap_window_s": (60, 86_400, "RiskLogic.MIN_/MAX_TWAP_WINDOW_SECONDS"),
    "risk.band_bps": (0, 5_000, "RiskLogic.MAX_BAND_BPS"),
    "risk.max_divergence_bps": (0, 5_000, "RiskLogic.MAX_DIVERGENCE_BPS"),
}
"""The contract's hard bounds on what config/vault.yaml sets (tests compare them with the deployed constants)."""
MAX_RISKY_ASSETS = 15
"""AssetRegistry.MAX_ASSETS (16) less the base asset."""


class _Reader:
    """Fields of config/vault.yaml by dotted name, each error naming the field, the value and the fix.

    Not merged with keeper/config.py's readers (``_typed``, ``_refuse_unknown``, ``_section``): they are private
    functions of the keeper's config module, and what overlaps is a type check and a "did you mean" hint with
    different messages and rules (the keeper lists every unknown key of a section, types string fields and treats
    ``*_usd`` defaults of None as numbers; this reader names the first unknown key, keeps strings and account
    indexes as given, checks the vault's bounds, and points at config/vault.yaml). One shared reader would mean a
    public module both import and a change to keeper/config.py, which another session owns; the tests pin both
    sets of messages (tests/integration/vault/test_vault_config_validation.py, tests/service/test_config.py).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = path

    def fail(self, name: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: field '{name}' {problem} (compare with config/vault.yaml)")

    def section(self, raw: Any, name: str, *, optional: bool = False) -> dict[str, Any]:
        value = raw.get(name) if isinstance(raw, dict) else None
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            raise self.fail(name, "is missing" if value is None else f"must be a mapping, got {value!r}")
        return value

    def get(self, data: dict[str, Any], key: str, name: str, kind: type, default: Any = ...) -> Any:
        if key not in data or data[key] is None:
            if default is ...:
                raise self.fail(name, "is missing")
            return default
        value = data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(name, f"must be {kind.__name__}, got {value!r}")
        return value

    def dataclass(self, cls: type, data: Any, name: str) -> Any:
        """``cls(**data)`` with unknown keys named (and the known key each most looks like) and types checked."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise self.fail(name, f"must be a mapping, got {data!r}")
        fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
        for key in data:
            if key not in fields:
                close = difflib.get_close_matches(str(key), list(fields), n=1)
                hint = f" (did you mean {name}.{close[0]}?)" if close else ""
                raise ConfigError(f"{self.path}: unknown field '{name}.{key}'{hint}; known: {', '.join(fields)}")
        values = {}
        for key, value in data.items():
            default = fields[key].default
            # Numbers and switches are type-checked; the rest (addresses, "governance", account indexes) is kept.
            kind = next((t for t in (bool, int, float) if type(default) is t), None)
            values[key] = self.get(data, key, f"{name}.{key}", kind) if kind else value
        return cls(**values)

    def bound(self, name: str, value: float, bound_key: str | None = None) -> None:
        low, high, constant = BOUNDS[bound_key or name]
        if not low <= value <= high:
            raise self.fail(name, f"is {value:g}, outside the vault's bounds [{low:g}, {high:g}] ({constant})")


def load_vault_config(path: str | Path = DEFAULT_CONFIG) -> VaultConfig:
    """Read and check ``config/vault.yaml`` before anything is deployed: every problem is a ``ConfigError`` naming
    the field, the value and the fix; values the vault would refuse are refused here against its bounds."""
    r = _Reader(path)
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the vault config ({exc}); config/vault.yaml is the example") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping (name, symbol, assets, ...)")
    assets = raw.get("assets")
    if not isinstance(assets, list) or not assets or not all(isinstance(a, str) for a in assets):
        raise r.fail("assets", f"must be a list of the world's symbols, got {assets!r}")
    if len(assets) > MAX_RISKY_ASSETS:
        raise r.fail(
            "assets", f"lists {len(assets)} assets; the vault holds at most {MAX_RISKY_ASSETS} besides the base"
        )
    oracles = {}
    for s, o in r.section(raw, "oracles").items():
        where = f"oracles.{s}"
        if not isinstance(o, dict):
            raise r.fail(where, f"must be a mapping (heartbeat_s, min_usd, max_usd), got {o!r}")
        guard = OracleGuard(
            r.get(o, "heartbeat_s", f"{where}.heartbeat_s", int),
            r.get(o, "min_usd", f"{where}.min_usd", float),
            r.get(o, "max_usd", f"{where}.max_usd", float),
            r.get(o, "deviation_bps", f"{where}.deviation_bps", int, 0),
        )
        r.bound(f"{where}.heartbeat_s", guard.heartbeat_s, "oracles.*.heartbeat_s")
        r.bound(f"{where}.deviation_bps", guard.deviation_bps, "oracles.*.deviation_bps")
        if not 0 < guard.min_usd < guard.max_usd:
            raise r.fail(where, f"needs 0 < min_usd < max_usd, got {guard.min_usd:g} and {guard.max_usd:g}")
        oracles[str(s)] = guard
    budgets = r.section(raw, "risk_budgets_bps")
    for s, b in budgets.items():
        r.get(budgets, s, f"risk_budgets_bps.{s}", int)
        r.bound(f"risk_budgets_bps.{s}", b, "risk_budgets_bps.*")
    thresholds = r.section(raw, "thresholds")
    gov = r.section(raw, "governance")
    sequencer = r.section(raw, "sequencer", optional=True)
    roles = r.section(raw, "roles")
    cfg = VaultConfig(
        name=r.get(raw, "name", "name", str),
        symbol=r.get(raw, "symbol", "symbol", str),
        assets=list(assets),
        oracles=oracles,
        risk_budgets_bps={str(s): int(b) for s, b in budgets.items()},
        max_slippage_bps=r.get(thresholds, "max_slippage_bps", "thresholds.max_slippage_bps", int),
        max_nav_loss_bps=r.get(thresholds, "max_nav_loss_bps", "thresholds.max_nav_loss_bps", int),
        max_turnover_bps=r.get(thresholds, "max_turnover_bps", "thresholds.max_turnover_bps", int),
        cooldown_s=r.get(thresholds, "cooldown_s", "thresholds.cooldown_s", int),
        deposit_cap_usd=r.get(raw, "deposit_cap_usd", "deposit_cap_usd", float, None),
        sequencer_feed=r.get(sequencer, "feed", "sequencer.feed", str, None),
        sequencer_grace_s=r.get(sequencer, "grace_s", "sequencer.grace_s", int, 0),
        timelock_delay_s=r.get(gov, "timelock_delay_s", "governance.timelock_delay_s", int),
        proposer=gov.get("proposer"),
        executor=gov.get("executor"),
        roles=dict(roles),
        leverage=r.dataclass(LeverageConfig, raw.get("leverage"), "leverage"),
        protection=r.dataclass(ProtectionConfig, raw.get("protection"), "protection"),
        fees=r.dataclass(FeeConfig, raw.get("fees"), "fees"),
        risk_timelock_s=r.get(gov, "risk_timelock_s", "governance.risk_timelock_s", int, 0),
        governance_mode=_governance_mode(path, gov.get("mode", GovernanceMode.TIMELOCK.value)),
        governor=GovernorConfig(
            voting_delay_s=r.get(
                gov, "voting_delay_s", "governance.voting_delay_s", int, GovernorConfig.voting_delay_s
            ),
            voting_period_s=r.get(
                gov, "voting_period_s", "governance.voting_period_s", int, GovernorConfig.voting_period_s
            ),
            quorum_pct=r.get(gov, "quorum_pct", "governance.quorum_pct", int, GovernorConfig.quorum_pct),
            proposal_threshold_shares=r.get(
                gov,
                "proposal_threshold_shares",
                "governance.proposal_threshold_shares",
                float,
                GovernorConfig.proposal_threshold_shares,
            ),
        ),
        risk=r.dataclass(RiskConfig, raw.get("risk"), "risk"),
    )
    for name, value in (
        ("thresholds.max_slippage_bps", cfg.max_slippage_bps),
        ("thresholds.max_nav_loss_bps", cfg.max_nav_loss_bps),
        ("thresholds.max_turnover_bps", cfg.max_turnover_bps),
        ("thresholds.cooldown_s", cfg.cooldown_s),
        ("sequencer.grace_s", cfg.sequencer_grace_s),
        ("governance.risk_timelock_s", cfg.risk_timelock_s),
        ("protection.entry_fee_floor_bps", cfg.protection.entry_fee_floor_bps),
        ("protection.share_lock_s", cfg.protection.share_lock_s),
        ("protection.loss_budget_bps", cfg.protection.loss_budget_bps),
        ("protection.loss_period_s", cfg.protection.loss_period_s),
        ("fees.management_bps", cfg.fees.management_bps),
        ("fees.performance_bps", cfg.fees.performance_bps),
        ("leverage.max_leverage", cfg.leverage.max_leverage),
        ("leverage.ripcord_reward_bps", cfg.leverage.ripcord_reward_bps),
        ("leverage.ripcord_cooldown_s", cfg.leverage.ripcord_cooldown_s),
        ("risk.poke_interval_s", cfg.risk.poke_interval_s),
        ("risk.half_life_s", cfg.risk.half_life_s),
        ("risk.twap_window_s", cfg.risk.twap_window_s),
        ("risk.band_bps", cfg.risk.band_bps),
        ("risk.max_divergence_bps", cfg.risk.max_divergence_bps),
    ):
        r.bound(name, value)
    if set(cfg.risk_budgets_bps) != set(cfg.assets) or sum(cfg.risk_budgets_bps.values()) != 10_000:
        raise ConfigError(
            f"{path}: field 'risk_budgets_bps' must name every asset in `assets` and sum to 10000, got "
            f"{sum(cfg.risk_budgets_bps.values())} over {sorted(cfg.risk_budgets_bps)} for assets {cfg.assets}"
        )
    missing = [s for s in cfg.assets if s not in cfg.oracles]
    if missing:
        raise ConfigError(f"{path}: field 'oracles' has no entry for {missing}: add heartbeat_s, min_usd, max_usd")
    if not {"manager", "keeper", "guardian"} <= set(cfg.roles):
        raise ConfigError(f"{path}: field 'roles' needs manager, keeper and guardian, got {sorted(cfg.roles)}")
    return cfg


def _governance_mode(path: str | Path, value: Any) -> GovernanceMode:
    try:
        return GovernanceMode(str(value))
    except ValueError:
        choices = ", ".join(m.value for m in GovernanceMode)
        raise ConfigError(f"{path}: governance.mode={value!r}: choose one of {choices}") from None


@dataclass
class DeployedVault:
    vault: Any
    adapter: Any
    timelock: Any | None
    """None when governance is a plain account (tests)."""
    lending_adapter: Any | None = None
    """The AaveV3LendingAdapter when leverage is on."""
    governor: Any | None = None
    """The VaultGovernor proposing to ``timelock`` (``governance.mode: governor``)."""
    votes: Any | None = None
    """VaultVotes, the governor's votes token (the vault's shares wrapped)."""


def deployment_section(deployed: DeployedVault, cfg: VaultConfig, base: str, block: int) -> dict[str, Any]:
    """The ``vault`` section of a deployment file (what the keeper, the demos and ``rp-vault`` read): the vault, its
    adapters, lens and module, its governance, the registry's symbols (``base`` first) and the block it was
    deployed by. Written by this script and by ``scripts/deploy_book.py``."""
    vault = deployed.vault
    return {
        "address": vault.address,
        "adapter": deployed.adapter.address,
        "lending_adapter": deployed.lending_adapter.address if deployed.lending_adapter else None,
        "lens": vault.lens(),
        "module": vault.module(),
        "timelock": deployed.timelock.address if deployed.timelock else None,
        "governance_mode": cfg.governance_mode.value,
        "governor": deployed.governor.address if deployed.governor else None,
        "votes": deployed.votes.address if deployed.votes else None,
        "assets": [base, *cfg.assets],
        "block": block,
    }


def _library(container: Any, tx: dict[str, Any]) -> Any:
    """The newest deployment of a linked library still on this chain, else a new one. brownie links a contract
    against ``container[-1]``, and a reverted test chain can leave a stale entry there."""
    if len(container) and web3.eth.get_code(container[-1].address):
        return container[-1]
    return container.deploy(tx)


def deploy_libraries(tx: dict[str, Any]) -> None:
    """The vault's external libraries and its shared stateless contracts, in link order (the admin links the
    four libraries, the module LeverageLogic, RiskLogic, FeeLogic and the admin, the core LeverageLogic, RiskLogic
    and FeeLogic)."""
    for container in (LeverageLogic, RegistryLogic, RiskLogic, FeeLogic, RiskParityVaultAdmin, RiskParityVaultLens):
        _library(container, tx)
    admin = RiskParityVaultAdmin[-1]
    if not (
        len(RiskParityVaultModule)
        and web3.eth.get_code(RiskParityVaultModule[-1].address)
        and RiskParityVaultModule[-1].admin() == admin.address
    ):
        RiskParityVaultModule.deploy(admin, tx)


def vault_abi() -> list[dict[str, Any]]:
    """The vault's whole ABI: the core's, then what the module and the admin add (reached through fallbacks)."""
    seen: set[tuple[str, str, str]] = set()
    out: list[dict[str, Any]] = []
    abis = (
        RiskParityVault.abi,
        RiskParityVaultModule.abi,
        RiskParityVaultAdmin.abi,
        interface.IRiskParityVault.abi,
        LeverageLogic.abi,
        RegistryLogic.abi,
        RiskLogic.abi,
        FeeLogic.abi,
    )
    for abi in abis:
        for e in abi:
            if abi is not RiskParityVault.abi and (
                e["type"] in ("constructor", "fallback", "receive") or e.get("name") == "admin"
            ):
                continue
            if abi in (LeverageLogic.abi, RegistryLogic.abi, RiskLogic.abi, FeeLogic.abi) and e["type"] == "function":
                continue
            key = (e["type"], e.get("name", ""), ",".join(i["type"] for i in e.get("inputs", [])))
            if key not in seen:
                seen.add(key)
                out.append(e)
    return out


def vault_at(address: Any) -> Any:
    """The vault at ``address`` with its whole API (core, module and admin functions, events and errors)."""
    return Contract.from_abi("RiskParityVault", str(address), vault_abi())


def lens_of(vault: Any) -> Any:
    return RiskParityVaultLens.at(vault.lens())


def keeper_view(vault: Any) -> Any:
    """``lens.keeperView(vault)``: everything the keeper reads, in one call."""
    return lens_of(vault).keeperView(vault)


def fee_view(vault: Any) -> Any:
    """``lens.feeView(vault)``: fee settings and high-water mark, the fee shares due now, the recipient's shares."""
    return lens_of(vault).feeView(vault)


def _account(ref: int | str | Any) -> Any:
    """``accounts[i]`` for an index, the account or address itself otherwise."""
    return accounts[ref] if isinstance(ref, int) else ref


def _asset_params(world: Any, symbol: str, guard: OracleGuard) -> tuple[Any, ...]:
    """As the contract's ``AssetParams`` struct."""
    feed = world.feeds[symbol]
    scale = 10 ** feed.decimals()
    return (
        world.tokens[symbol],
        feed,
        guard.heartbeat_s,
        round(guard.min_usd * scale),
        round(guard.max_usd * scale),
        guard.deviation_bps,
    )


def swap_hops(world: Any) -> list[tuple[str, str]]:
    """The swap adapter's ``Hop[]``: (token, hub) for each asset the world routes through a hub
    (``world.routes``: symbol -> hub token address; a world without it trades on direct pairs only)."""
    routes: dict[str, str] = getattr(world, "routes", None) or {}
    return [(str(world.tokens[s]), str(via)) for s, via in routes.items()]


def deploy_vault(
    world: Any,
    deployer: Any,
    cfg: VaultConfig,
    *,
    governance: Any | None = None,
    roles: dict[str, Any] | None = None,
) -> DeployedVault:
    """Deploy and wire the vault and its Uniswap V2 adapter on ``world``.

    ``governance``: an account to hold DEFAULT_ADMIN_ROLE directly (tests); by default a TimelockController
    configured from ``cfg`` gets it, proposed to by ``cfg.proposer`` or, with ``cfg.governance_mode`` GOVERNOR, by
    a VaultGovernor of the holders. ``roles``: accounts for manager/keeper/guardian, overriding ``cfg.roles``.
    """
    if governance is not None and cfg.governance_mode is GovernanceMode.GOVERNOR:
        raise ConfigError("governance.mode: governor deploys its own timelock; pass no `governance` account")
    tx = {"from": deployer}
    base = world.cfg.base
    base_guard = cfg.oracles[base]
    _, base_feed, *base_rest = _asset_params(world, base, base_guard)
    cap = UNCAPPED if cfg.deposit_cap_usd is None else round(cfg.deposit_cap_usd * 10 ** world.base.decimals())
    deploy_libraries(tx)
    init = (
        world.base,
        cfg.name,
        cfg.symbol,
        deployer,
        (ZERO_ADDRESS, base_feed, *base_rest),
        cfg.thresholds,
        cfg.protection.params(),
        cap,
        cfg.sequencer_feed or ZERO_ADDRESS,
        cfg.sequencer_grace_s,
        0,
        RiskParityVaultModule[-1],
        RiskParityVaultLens[-1],
    )
    vault = vault_at(RiskParityVault.deploy(init, tx).address)
    for symbol in cfg.assets:
        vault.addAsset(_asset_params(world, symbol, cfg.oracles[symbol]), tx)
    manager_role = vault.MANAGER_ROLE()
    vault.grantRole(manager_role, deployer, tx)
    vault.setRiskBudgets([0] + [cfg.risk_budgets_bps[s] for s in cfg.assets], tx)
    vault.renounceRole(manager_role, deployer, tx)
    adapter = UniswapV2SwapAdapter.deploy(vault, world.router, swap_hops(world), tx)
    vault.setSwapAdapter(adapter, tx)
    lending = None
    if cfg.leverage.enabled:
        lending = _enable_leverage(world, vault, cfg.leverage, tx)
    if cfg.risk.enabled:
        _enable_risk_guard(world, vault, cfg, tx)

    who = {k: _account(v) for k, v in cfg.roles.items()} | (roles or {})
    vault.grantRole(manager_role, who["manager"], tx)
    vault.grantRole(vault.KEEPER_ROLE(), who["keeper"], tx)
    vault.grantRole(vault.GUARDIAN_ROLE(), who["guardian"], tx)

    if cfg.risk_timelock_s:
        vault.setTimelock(cfg.risk_timelock_s, tx)

    timelock = governor = votes = None
    if governance is None and cfg.governance_mode is GovernanceMode.GOVERNOR:
        timelock, governor, votes = _deploy_governor(vault, cfg, who["guardian"], tx)
        governance = timelock
    elif governance is None:
        timelock = VaultTimelock.deploy(
            cfg.timelock_delay_s, [_account(cfg.proposer)], [_account(cfg.executor)], ZERO_ADDRESS, tx
        )
        governance = timelock
    _set_fees(vault, cfg.fees, governance, tx)
    admin_role = vault.DEFAULT_ADMIN_ROLE()
    if governance != deployer:
        vault.grantRole(admin_role, governance, tx)
        vault.renounceRole(admin_role, deployer, tx)
    return DeployedVault(vault, adapter, timelock, lending, governor, votes)


def _deploy_governor(vault: Any, cfg: VaultConfig, guardian: Any, tx: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The holders' governance: VaultVotes over the vault's shares, a VaultGovernor voting with it, and the
    TimelockController it alone proposes to and executes through. The guardian may cancel a queued operation (as
    it may revoke a manager's pending change); nobody else holds a role, and the timelock administers itself."""
    deployer = tx["from"]
    timelock = VaultTimelock.deploy(cfg.timelock_delay_s, [], [], deployer, tx)
    votes = VaultVotes.deploy(vault, f"{cfg.name} Votes", f"v{cfg.symbol}", tx)
    g = cfg.governor
    threshold = round(g.proposal_threshold_shares * 10 ** vault.decimals())
    governor = VaultGovernor.deploy(votes, timelock, g.voting_delay_s, g.voting_period_s, threshold, g.quorum_pct, tx)
    for role in (timelock.PROPOSER_ROLE(), timelock.CANCELLER_ROLE(), timelock.EXECUTOR_ROLE()):
        timelock.grantRole(role, governor, tx)
    timelock.grantRole(timelock.CANCELLER_ROLE(), guardian, tx)
    timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer, tx)
    return timelock, governor, votes


def _set_fees(vault: Any, fees: FeeConfig, governance: Any, tx: dict[str, Any]) -> None:
    """Recipient, then rates, while the deployer still holds governance: later changes wait out the timelock."""
    if not (fees.management_bps or fees.performance_bps):
        return
    recipient = governance if fees.recipient == "governance" else _account(fees.recipient)
    vault.setFeeRecipient(recipient, tx)
    vault.setFees(fees.management_bps, fees.performance_bps, tx)


def _enable_leverage(world: Any, vault: Any, lev: LeverageConfig, tx: dict[str, Any]) -> Any:
    """Deploy the Aave V3 lending adapter on ``world.aave`` and set the leverage params (deployer as manager)."""
    aave = getattr(world, "aave", None)
    if aave is None:
        raise ConfigError("leverage.enabled needs the world's Aave V3 market (deploy_world(..., with_aave=True))")
    lending = AaveV3LendingAdapter.deploy(vault, aave.pool, world.base, tx)
    vault.setLendingAdapter(lending, tx)
    manager_role = vault.MANAGER_ROLE()
    vault.grantRole(manager_role, tx["from"], tx)
    vault.setLeverageParams(lev.params(world.base.decimals()), tx)
    vault.renounceRole(manager_role, tx["from"], tx)
    return lending


def _enable_risk_guard(world: Any, vault: Any, cfg: VaultConfig, tx: dict[str, Any]) -> None:
    """Governance's risk model settings and each asset's Uniswap V2 pair against the base (the breaker's TWAP);
    the deployer still holds governance here."""
    vault.setRiskParams(cfg.risk.params(), tx)
    pairs = getattr(world, "pairs", {}) or {}
    for symbol in cfg.assets:
        pair = pairs[symbol].address if symbol in pairs else world.factory.getPair(world.tokens[symbol], world.base)
        if pair != ZERO_ADDRESS:
            vault.setTwapPair(world.tokens[symbol], pair, tx)


def main() -> None:
    from scripts.world import load_world

    cfg = load_vault_config(os.environ.get("VAULT_CONFIG", DEFAULT_CONFIG))
    world = load_world()
    deployed = deploy_vault(world, accounts[0], cfg)
    vault = deployed.vault
    dep = load_deployment(network.show_active())
    section = deployment_section(deployed, cfg, world.cfg.base, network.web3.eth.block_number)
    save_deployment(replace(dep, extra={**dep.extra, "vault": section}))
    print(f"\nRiskParityVault {vault.address} on '{network.show_active()}'")
    print(f"  adapter {deployed.adapter.address}  timelock {section['timelock']} (delay {cfg.timelock_delay_s} s)")
    if deployed.governor:
        g = cfg.governor
        print(
            f"  governor {section['governor']}  votes {section['votes']} (delay {g.voting_delay_s} s, period "
            f"{g.voting_period_s} s, quorum {g.quorum_pct}% of wrapped shares)"
        )
    print(f"  assets {', '.join(section['assets'])}  thresholds {cfg.thresholds}")
    print(f"Address written to {deployment_path(dep.network)}")
