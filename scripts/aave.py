"""Deploy a real Aave V3 core market into the local world, from the bytecode that ``@aave/core-v3`` 1.19.3 ships.

Nothing is compiled: every contract is the package's hardhat artifact (solc 0.8.10, EVM london, so it runs on a
shanghai chain too), with the Pool's and the configurator's logic libraries linked in by ``link_bytecode``. The
order is the one Aave's own deploy scripts use: addresses provider -> ACL -> libraries -> Pool -> configurator ->
AaveOracle over the world's feeds -> data provider -> token implementations -> rate strategies -> reserves ->
risk parameters; then a lender supplies the opening liquidity. Seven reserves take 61 transactions and about 69M gas
(initReserves alone ~2.3M per reserve), 1-2 s on anvil and 3 s on Ganache.

    market = deploy_aave(world, deployer, lender=accounts[1])
    world.deployment.extra["aave"] = market.to_json()      # the deployment file's "aave" section
    market = load_aave(world.deployment.extra["aave"])     # later, from the saved addresses

A library for ``scripts/deploy_world.py`` and the tests; it has no ``main()``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from brownie import Contract, web3  # type: ignore[attr-defined]

from keeper.artifacts import ROOT
from keeper.errors import ConfigError, ToolchainError

log = logging.getLogger(__name__)

DEFAULT_CONFIG = ROOT / "config" / "aave.yaml"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
BPS = 10_000
RAY_PER_BPS = 10**23  # 1 bp = 1e-4 = 1e23 / 1e27 in ray
ORACLE_BASE_UNIT = 10**8  # AaveOracle with a USD base currency: prices as the feeds report them (8 decimals)
VARIABLE_RATE = 2  # Aave's interestRateMode for variable-rate debt (stable borrowing stays disabled)
# configurator.initReserves measured ~2.3M gas per reserve (it deploys three proxies); the headroom covers longer
# token names and the estimate's buffer.
GAS_PER_RESERVE_INIT = 3_000_000

FLASHLOAN_PREMIUM_BPS = 5

# Libraries in deploy order: FlashLoanLogic links BorrowLogic, so it comes after it.
POOL_LIBRARIES = (
    "SupplyLogic",
    "BorrowLogic",
    "LiquidationLogic",
    "EModeLogic",
    "BridgeLogic",
    "PoolLogic",
    "FlashLoanLogic",
)
CONFIGURATOR_LIBRARIES = ("ConfiguratorLogic",)

_PLACEHOLDER = re.compile(r"__\$[0-9a-fA-F]{34}\$__")
_ADDRESS = re.compile(r"(0x)?[0-9a-fA-F]{40}")


# ---------------------------------------------------------------------------------------------------------------
# Artifacts
# ---------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=64)  # about twenty artifacts are ever read
def aave_artifact(name: str) -> dict[str, Any]:
    """``{"abi", "bytecode", "link_references"}`` of an Aave V3 core contract, from the hardhat artifacts that
    ``@aave/core-v3`` ships (found by contract name; the package's mocks are never picked).

    ``bytecode`` still holds a ``__$<34 hex>$__`` placeholder wherever ``link_references``
    (``{source: {library: [{"start": byte offset, "length": 20}]}}``) says a library address goes.
    """
    root = ROOT / "node_modules" / "@aave" / "core-v3" / "artifacts" / "contracts"
    if not root.is_dir():
        raise ToolchainError(f"{root} is missing: run 'make setup' (npm ci installs @aave/core-v3)")
    found = [p for p in sorted(root.rglob(f"{name}.sol/{name}.json")) if "mocks" not in p.relative_to(root).parts]
    if len(found) != 1:
        raise KeyError(f"{len(found)} Aave V3 artifacts named {name!r} under {root} (expected exactly one)")
    data = json.loads(found[0].read_text())
    return {"abi": data["abi"], "bytecode": data["bytecode"], "link_references": data.get("linkReferences") or {}}


# ---------------------------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateStrategyConfig:
    """A DefaultReserveInterestRateStrategy's parameters in basis points (converted to ray when deployed)."""

    optimal_usage_bps: int
    base_variable_bps: int
    variable_slope1_bps: int
    variable_slope2_bps: int
    stable_slope1_bps: int
    stable_slope2_bps: int
    base_stable_offset_bps: int
    stable_excess_offset_bps: int
    optimal_stable_to_total_debt_bps: int

    def constructor_args_ray(self) -> list[int]:
        """The constructor's arguments after the provider, in its order, in ray (1e27)."""
        return [
            bps * RAY_PER_BPS
            for bps in (
                self.optimal_usage_bps,
                self.base_variable_bps,
                self.variable_slope1_bps,
                self.variable_slope2_bps,
                self.stable_slope1_bps,
                self.stable_slope2_bps,
                self.base_stable_offset_bps,
                self.stable_excess_offset_bps,
                self.optimal_stable_to_total_debt_bps,
            )
        ]


@dataclass(frozen=True)
class ReserveConfig:
    symbol: str
    ltv_bps: int
    liquidation_threshold_bps: int
    liquidation_bonus_bps: int
    """Includes the 100%: 10_500 pays the liquidator a 5% bonus."""
    reserve_factor_bps: int
    borrowing_enabled: bool
    rate_strategy: str
    supply_usd: float
    """USD value the lender supplies at deploy time, at the feed price; 0 for none."""


@dataclass(frozen=True)
class AaveConfig:
    market_id: str
    rate_strategies: dict[str, RateStrategyConfig]
    reserves: dict[str, ReserveConfig]


_STABLE_DEFAULTS = {  # Aave's own defaults for the (disabled) stable rate, used when a strategy omits them
    "base_stable_offset_bps": 200,
    "stable_excess_offset_bps": 500,
    "optimal_stable_to_total_debt_bps": 2000,
}


def load_aave_config(path: str | Path = DEFAULT_CONFIG) -> AaveConfig:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"Aave config {p} not found; pass the path of an Aave YAML (default config/aave.yaml)")
    try:
        raw = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from exc
    return parse_aave_config(raw, str(p))


def parse_aave_config(raw: Any, path: str = "<aave config>") -> AaveConfig:
    """Validate a parsed ``config/aave.yaml``; every error names the field and what to change."""

    def fail(where: str, problem: str) -> ConfigError:
        return ConfigError(f"{path}: {where} {problem} (see config/aave.yaml for the expected shape)")

    def mapping(data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict) or not data:
            raise fail(where, "must be a non-empty mapping")
        return data

    def bps(
        data: dict[str, Any], key: str, where: str, *, low: int = 0, high: int | None = None, default: int | None = None
    ) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"{where}.{key}", f"must be an integer number of basis points, got {value!r}")
        if value < low or (high is not None and value > high):
            raise fail(f"{where}.{key}", f"must be within [{low}, {high if high is not None else 'inf'}], got {value}")
        return value

    top = mapping(raw, "the file")
    market_id = top.get("market_id")
    if not isinstance(market_id, str) or not market_id:
        raise fail("market_id", "must be a non-empty string")

    strategies: dict[str, RateStrategyConfig] = {}
    for name, s in mapping(top.get("rate_strategies"), "rate_strategies").items():
        where = f"rate_strategies.{name}"
        s = mapping(s, where)
        slope1 = bps(s, "variable_slope1_bps", where)
        slope2 = bps(s, "variable_slope2_bps", where)
        strategies[name] = RateStrategyConfig(
            optimal_usage_bps=bps(s, "optimal_usage_bps", where, low=1, high=BPS),
            base_variable_bps=bps(s, "base_variable_bps", where),
            variable_slope1_bps=slope1,
            variable_slope2_bps=slope2,
            stable_slope1_bps=bps(s, "stable_slope1_bps", where, default=slope1),
            stable_slope2_bps=bps(s, "stable_slope2_bps", where, default=slope2),
            **{
                k: bps(s, k, where, high=BPS if k.startswith("optimal") else None, default=v)
                for k, v in _STABLE_DEFAULTS.items()
            },
        )

    reserves: dict[str, ReserveConfig] = {}
    for sym, r in mapping(top.get("reserves"), "reserves").items():
        where = f"reserves.{sym}"
        r = mapping(r, where)
        ltv = bps(r, "ltv_bps", where, high=BPS - 1)
        threshold = bps(r, "liquidation_threshold_bps", where, high=BPS - 1)
        bonus = bps(r, "liquidation_bonus_bps", where, high=2 * BPS)
        if ltv > threshold:
            raise fail(where, f"has ltv_bps {ltv} above liquidation_threshold_bps {threshold}: lower the LTV")
        if threshold and (bonus <= BPS or threshold * bonus > BPS * BPS):
            raise fail(
                where,
                f"has liquidation_bonus_bps {bonus}: it includes the 100% (e.g. 10500) and "
                f"threshold x bonus must stay <= 100% (threshold {threshold})",
            )
        strategy = r.get("rate_strategy")
        if strategy not in strategies:
            raise fail(f"{where}.rate_strategy", f"is {strategy!r}; known strategies: {sorted(strategies)}")
        borrowing = r.get("borrowing_enabled")
        if not isinstance(borrowing, bool):
            raise fail(f"{where}.borrowing_enabled", "must be true or false")
        supply = r.get("supply_usd", 0)
        if isinstance(supply, bool) or not isinstance(supply, (int, float)) or supply < 0:
            raise fail(f"{where}.supply_usd", f"must be a non-negative number of USD, got {supply!r}")
        reserves[sym] = ReserveConfig(
            symbol=sym,
            ltv_bps=ltv,
            liquidation_threshold_bps=threshold,
            liquidation_bonus_bps=bonus,
            reserve_factor_bps=bps(r, "reserve_factor_bps", where, high=BPS - 1),
            borrowing_enabled=borrowing,
            rate_strategy=strategy,
            supply_usd=float(supply),
        )
    return AaveConfig(market_id=market_id, rate_strategies=strategies, reserves=reserves)


# ---------------------------------------------------------------------------------------------------------------
# Linking
# ---------------------------------------------------------------------------------------------------------------


def link_bytecode(
    bytecode: str, link_references: dict[str, dict[str, list[dict[str, int]]]], addresses: dict[str, str]
) -> str:
    """Write library addresses into an unlinked creation bytecode.

    Parameters
    ----------
    bytecode
        ``0x``-prefixed hex holding a 40-character ``__$<34 hex>$__`` placeholder at each linked position.
    link_references
        A hardhat/solc artifact's ``linkReferences``: ``{source path: {library name: [{"start": byte offset,
        "length": 20}, ...]}}``.
    addresses
        Library name -> deployed address (any case, with or without ``0x``).

    Returns
    -------
    The linked bytecode, ``0x``-prefixed, with no placeholder left. Raises ``ValueError`` if a referenced
    library has no address, an offset does not point at a placeholder, or a placeholder is left unlinked.
    """
    head, body = ("0x", bytecode[2:]) if bytecode.startswith("0x") else ("0x", bytecode)
    code = list(body)
    for source, libraries in link_references.items():
        for library, refs in libraries.items():
            if library not in addresses:
                raise ValueError(f"bytecode links {source}:{library} but no address was given for {library}")
            address = addresses[library]
            if not _ADDRESS.fullmatch(address):
                raise ValueError(f"address for {library} is not 20 bytes of hex: {address!r}")
            hex_address = address[-40:].lower()
            for ref in refs:
                start, length = 2 * ref["start"], 2 * ref["length"]
                if length != 40 or not _PLACEHOLDER.fullmatch(body[start : start + length]):
                    raise ValueError(f"no library placeholder for {library} at byte {ref['start']}")
                code[start : start + length] = hex_address
    linked = "".join(code)
    if "__$" in linked:
        raise ValueError(f"bytecode still has an unlinked placeholder at hex offset {linked.index('__$')}")
    return head + linked


# ---------------------------------------------------------------------------------------------------------------
# The deployed market
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class AaveMarket:
    """A deployed Aave V3 market as brownie contract objects. ``pool`` and ``configurator`` are the proxies with
    the Pool and PoolConfigurator ABIs. Token dicts are keyed by the world's asset symbol."""

    market_id: str
    provider: Any
    acl: Any
    pool: Any
    configurator: Any
    oracle: Any
    data_provider: Any
    underlying: dict[str, str]
    a_tokens: dict[str, Any]
    variable_debt_tokens: dict[str, Any]
    stable_debt_tokens: dict[str, Any]
    rate_strategies: dict[str, Any]
    treasury: str
    lender: str | None
    """The account that supplied the opening liquidity."""
    implementations: dict[str, str] = field(default_factory=dict)
    """Contract or library name -> address of the pieces behind the proxies."""
    gas_used: int = 0
    """Total gas of the deploy (0 when loaded)."""

    @property
    def symbols(self) -> list[str]:
        return list(self.underlying)

    def to_json(self) -> dict[str, Any]:
        """The deployment file's ``aave`` section: every address, as ``load_aave`` reads it back."""
        return {
            "market_id": self.market_id,
            "pool_addresses_provider": self.provider.address,
            "acl_manager": self.acl.address,
            "pool": self.pool.address,
            "pool_configurator": self.configurator.address,
            "oracle": self.oracle.address,
            "pool_data_provider": self.data_provider.address,
            "treasury": self.treasury,
            "lender": self.lender,
            "rate_strategies": {name: c.address for name, c in self.rate_strategies.items()},
            "reserves": {
                sym: {
                    "underlying": self.underlying[sym],
                    "a_token": self.a_tokens[sym].address,
                    "variable_debt_token": self.variable_debt_tokens[sym].address,
                    "stable_debt_token": self.stable_debt_tokens[sym].address,
                }
                for sym in self.underlying
            },
            "implementations": dict(self.implementations),
        }


def _at(name: str, address: str) -> Any:
    return Contract.from_abi(name, address, aave_artifact(name)["abi"])


def load_aave(section: dict[str, Any]) -> AaveMarket:
    """Brownie objects for a market deployed earlier, from its deployment-file section (``AaveMarket.to_json``)."""
    try:
        reserves = section["reserves"]
        return AaveMarket(
            market_id=section["market_id"],
            provider=_at("PoolAddressesProvider", section["pool_addresses_provider"]),
            acl=_at("ACLManager", section["acl_manager"]),
            pool=_at("Pool", section["pool"]),
            configurator=_at("PoolConfigurator", section["pool_configurator"]),
            oracle=_at("AaveOracle", section["oracle"]),
            data_provider=_at("AaveProtocolDataProvider", section["pool_data_provider"]),
            underlying={s: r["underlying"] for s, r in reserves.items()},
            a_tokens={s: _at("AToken", r["a_token"]) for s, r in reserves.items()},
            variable_debt_tokens={s: _at("VariableDebtToken", r["variable_debt_token"]) for s, r in reserves.items()},
            stable_debt_tokens={s: _at("StableDebtToken", r["stable_debt_token"]) for s, r in reserves.items()},
            rate_strategies={
                n: _at("DefaultReserveInterestRateStrategy", a) for n, a in section["rate_strategies"].items()
            },
            treasury=section["treasury"],
            lender=section.get("lender"),
            implementations=dict(section.get("implementations", {})),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"the deployment's 'aave' section is incomplete ({exc!r}): redeploy the Aave market") from exc


# ---------------------------------------------------------------------------------------------------------------
# Deploy
# ---------------------------------------------------------------------------------------------------------------


class _Sender:
    """Sends the deploy's transactions from one account and adds up their gas."""

    def __init__(self, account: Any) -> None:
        self.account = account
        self.gas_used = 0
        self.count = 0

    def deploy(self, name: str, *args: Any, libraries: dict[str, str] | None = None) -> Any:
        art = aave_artifact(name)
        bytecode = link_bytecode(art["bytecode"], art["link_references"], libraries or {})
        factory = web3.eth.contract(abi=art["abi"], bytecode=bytecode)
        tx_hash = factory.constructor(*args).transact({"from": self.account.address})
        receipt = web3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt.status != 1 or not receipt.contractAddress:
            raise RuntimeError(f"deploying Aave's {name} from npm bytecode failed (tx {tx_hash.hex()})")
        self.gas_used += receipt.gasUsed
        self.count += 1
        return Contract.from_abi(name, receipt.contractAddress, art["abi"])

    def send(self, method: Any, *args: Any) -> Any:
        tx = method(*args, {"from": self.account})
        self.gas_used += tx.gas_used
        self.count += 1
        return tx


def deploy_aave(world: Any, deployer: Any, config_path: str | Path = DEFAULT_CONFIG, lender: Any = None) -> AaveMarket:
    """Deploy an Aave V3 market over ``world`` (a ``scripts.world.World``) from ``deployer``, which keeps every
    admin role (ACL admin, pool admin, addresses-provider owner) and is the treasury.

    Reserves are the config's symbols (each must be a world asset), priced by AaveOracle straight from the world's
    feeds, so a ``world.feeds[sym].submit`` moves Aave's price too. ``lender`` (default: the deployer) is funded
    with and supplies each reserve's ``supply_usd`` at the current feed price.
    """
    cfg = load_aave_config(config_path)
    unknown = sorted(set(cfg.reserves) - set(world.tokens))
    if unknown:
        raise ConfigError(
            f"{config_path}: reserves {unknown} are not world assets ({sorted(world.tokens)}): "
            "remove them or add them to the world config"
        )
    started = time.monotonic()
    tx = _Sender(deployer)
    symbols = list(cfg.reserves)
    impls: dict[str, str] = {}

    # Addresses provider and roles. The ACL manager's constructor reads the ACL admin, so that is set first.
    provider = tx.deploy("PoolAddressesProvider", cfg.market_id, deployer.address)
    tx.send(provider.setACLAdmin, deployer)
    acl = tx.deploy("ACLManager", provider.address)
    tx.send(provider.setACLManager, acl)
    tx.send(acl.addPoolAdmin, deployer)

    # Pool and configurator: implementations are initialized too, so nobody else can initialize them.
    libraries: dict[str, str] = {}
    for name in POOL_LIBRARIES + CONFIGURATOR_LIBRARIES:
        libraries[name] = tx.deploy(name, libraries=libraries).address
    impls.update(libraries)
    pool_impl = tx.deploy("Pool", provider.address, libraries=libraries)
    tx.send(pool_impl.initialize, provider)
    tx.send(provider.setPoolImpl, pool_impl)
    pool = _at("Pool", provider.getPool())
    configurator_impl = tx.deploy("PoolConfigurator", libraries=libraries)
    tx.send(configurator_impl.initialize, provider)
    tx.send(provider.setPoolConfiguratorImpl, configurator_impl)
    configurator = _at("PoolConfigurator", provider.getPoolConfigurator())
    impls.update(Pool=pool_impl.address, PoolConfigurator=configurator_impl.address)

    # Prices: the world's feeds as AaveOracle sources, USD base with the feeds' own 8 decimals.
    assets = [world.tokens[s].address for s in symbols]
    oracle = tx.deploy(
        "AaveOracle",
        provider.address,
        assets,
        [world.feeds[s].address for s in symbols],
        ZERO_ADDRESS,
        ZERO_ADDRESS,
        ORACLE_BASE_UNIT,
    )
    tx.send(provider.setPriceOracle, oracle)
    data_provider = tx.deploy("AaveProtocolDataProvider", provider.address)
    tx.send(provider.setPoolDataProvider, data_provider)

    # Token implementations take the pool *proxy*: initReserves clones them behind proxies that call the pool.
    a_token_impl = tx.deploy("AToken", pool.address)
    stable_impl = tx.deploy("StableDebtToken", pool.address)
    variable_impl = tx.deploy("VariableDebtToken", pool.address)
    impls.update(
        AToken=a_token_impl.address, StableDebtToken=stable_impl.address, VariableDebtToken=variable_impl.address
    )
    strategies = {
        name: tx.deploy("DefaultReserveInterestRateStrategy", provider.address, *s.constructor_args_ray())
        for name, s in cfg.rate_strategies.items()
    }

    inputs = [
        (
            a_token_impl.address,
            stable_impl.address,
            variable_impl.address,
            world.tokens[s].decimals(),
            strategies[cfg.reserves[s].rate_strategy].address,
            world.tokens[s].address,
            deployer.address,
            ZERO_ADDRESS,
            f"Aave World {s}",
            f"aWld{s}",
            f"Aave World Variable Debt {s}",
            f"variableDebtWld{s}",
            f"Aave World Stable Debt {s}",
            f"stableDebtWld{s}",
            b"",
        )
        for s in symbols
    ]
    batch = max(1, web3.eth.get_block("latest")["gasLimit"] // GAS_PER_RESERVE_INIT)
    for i in range(0, len(inputs), batch):
        tx.send(configurator.initReserves, inputs[i : i + batch])

    for s in symbols:
        r = cfg.reserves[s]
        asset = world.tokens[s].address
        tx.send(
            configurator.configureReserveAsCollateral,
            asset,
            r.ltv_bps,
            r.liquidation_threshold_bps,
            r.liquidation_bonus_bps,
        )
        if r.borrowing_enabled:
            tx.send(configurator.setReserveBorrowing, asset, True)
            # Flash loans on what can be borrowed, as on mainnet (the vault's levered exits repay with one).
            tx.send(configurator.setReserveFlashLoaning, asset, True)
        if r.reserve_factor_bps:
            tx.send(configurator.setReserveFactor, asset, r.reserve_factor_bps)

    # Mainnet's flash-loan premium (5 bps, all to the suppliers).
    tx.send(configurator.updateFlashloanPremiumTotal, FLASHLOAN_PREMIUM_BPS)

    a_tokens, variable_debt, stable_debt = {}, {}, {}
    for s in symbols:
        a, stable, variable = data_provider.getReserveTokensAddresses(world.tokens[s].address)
        a_tokens[s] = _at("AToken", a)
        stable_debt[s] = _at("StableDebtToken", stable)
        variable_debt[s] = _at("VariableDebtToken", variable)

    lender = lender if lender is not None else deployer
    supplier = _Sender(lender)
    for s in symbols:
        usd = cfg.reserves[s].supply_usd
        if usd <= 0:
            continue
        amount = world.units(s, usd / world.feed_price(s))
        world.fund(s, lender, amount)
        supplier.send(world.tokens[s].approve, pool, amount)
        supplier.send(pool.supply, world.tokens[s], amount, lender, 0)

    market = AaveMarket(
        market_id=cfg.market_id,
        provider=provider,
        acl=acl,
        pool=pool,
        configurator=configurator,
        oracle=oracle,
        data_provider=data_provider,
        underlying={s: world.tokens[s].address for s in symbols},
        a_tokens=a_tokens,
        variable_debt_tokens=variable_debt,
        stable_debt_tokens=stable_debt,
        rate_strategies=strategies,
        treasury=deployer.address,
        lender=lender.address,
        implementations=impls,
        gas_used=tx.gas_used + supplier.gas_used,
    )
    log.info(
        "aave_deployed pool=%s reserves=%d txs=%d gas=%d seconds=%.1f",
        pool.address,
        len(symbols),
        tx.count + supplier.count,
        market.gas_used,
        time.monotonic() - started,
    )
    return market
