"""The world's YAML config (``config/world.yaml``), loaded into typed, validated dataclasses.

Every problem is reported as a :class:`~keeper.errors.ConfigError` naming the file, the field and the fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from keeper.errors import ConfigError

FloatArray = npt.NDArray[np.float64]

FEED_DECIMALS = 8


@dataclass(frozen=True)
class FeedSpec:
    deviation_bps: int
    heartbeat_s: int


@dataclass(frozen=True)
class AssetSpec:
    symbol: str
    name: str
    decimals: int
    price_usd: float
    vol: float
    """Annualized volatility of log returns."""
    drift: float
    """Annualized drift of log prices."""
    feed: FeedSpec
    pool_depth_usd: float = 0.0
    """USD value of each side of the asset's pool against the base asset (0 for the base asset)."""
    implied_vol_premium: float = 0.0
    weth9: bool = False


@dataclass(frozen=True)
class RegimeSpec:
    stress_vol_multiplier: float
    stress_correlation_pull: float
    calm_to_stress_per_day: float
    stress_to_calm_per_day: float


@dataclass(frozen=True)
class WorldConfig:
    path: str
    base: str
    assets: tuple[AssetSpec, ...]
    correlation_calm: FloatArray = field(repr=False)
    regimes: RegimeSpec
    fee_bps: int
    step_s: int
    implied_vol_update_s: int

    @property
    def symbols(self) -> list[str]:
        return [a.symbol for a in self.assets]

    @property
    def risky(self) -> list[AssetSpec]:
        """The assets with a pool against the base asset (every asset but the base)."""
        return [a for a in self.assets if a.symbol != self.base]

    def asset(self, symbol: str) -> AssetSpec:
        for a in self.assets:
            if a.symbol == symbol:
                return a
        raise ConfigError(f"{self.path}: no asset with symbol {symbol!r}; known: {', '.join(self.symbols)}")


class _Reader:
    """Reads fields out of nested YAML mappings, naming the full field path in every error."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.path}: field '{where}' {problem}; {fix}")

    def mapping(self, data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(where, f"must be a mapping, got {type(data).__name__}", "see config/world.yaml")
        return data

    def get(self, data: dict[str, Any], key: str, where: str, kind: type, *, default: Any = None) -> Any:
        name = f"{where}.{key}" if where else key
        if key not in data or data[key] is None:
            if default is not None:
                return default
            raise self.fail(name, "is missing", "add it (see config/world.yaml for an example)")
        value = data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.fail(name, f"must be {kind.__name__}, got {value!r}", f"write a {kind.__name__}")
        if kind is float and not math.isfinite(value):
            raise self.fail(name, f"must be finite, got {value!r}", "write a finite number")
        return value

    def at_least(self, value: float, low: float, name: str) -> None:
        if value < low:
            raise self.fail(name, f"must be >= {low}, got {value}", f"raise it to at least {low}")


def load_world_config(path: str | Path = "config/world.yaml") -> WorldConfig:
    """Load and validate the world config.

    Raises
    ------
    ConfigError
        When the file is missing, is not YAML, or any field is missing or out of range.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"world config {p} not found; pass the path of a world YAML (default config/world.yaml)")
    try:
        raw = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML ({exc}); fix the syntax") from exc
    return parse_world_config(raw, str(p))


def parse_world_config(raw: Any, path: str = "<world config>") -> WorldConfig:
    """Validate an already-parsed YAML document; see :func:`load_world_config`."""
    r = _Reader(path)
    top = r.mapping(raw, "<top level>")
    base = r.get(top, "base", "", str)
    raw_assets = top.get("assets")
    if not isinstance(raw_assets, list) or len(raw_assets) < 2:
        raise r.fail("assets", "must be a list of at least two assets (the base and one more)", "add assets")
    listed = [item.get("symbol") if isinstance(item, dict) else None for item in raw_assets]
    if len(set(listed)) != len(listed):
        raise r.fail("assets", f"has duplicate symbols {listed}", "give every asset its own symbol")
    if base not in listed:
        raise r.fail("base", f"names {base!r}, which is not among the assets {listed}", "name one of them")
    assets: list[AssetSpec] = []
    for i, item in enumerate(raw_assets):
        where = f"assets[{i}]"
        a = r.mapping(item, where)
        symbol = r.get(a, "symbol", where, str)
        where = f"assets[{i}]({symbol})"
        decimals = r.get(a, "decimals", where, int)
        if not 0 <= decimals <= 36:
            raise r.fail(f"{where}.decimals", f"must be within 0..36, got {decimals}", "use the token's decimals")
        price = r.get(a, "price_usd", where, float)
        if price <= 0:
            raise r.fail(f"{where}.price_usd", f"must be > 0, got {price}", "write the USD price")
        vol = r.get(a, "vol", where, float)
        r.at_least(vol, 0.0, f"{where}.vol")
        feed_raw = r.mapping(a.get("feed"), f"{where}.feed")
        feed = FeedSpec(
            deviation_bps=r.get(feed_raw, "deviation_bps", f"{where}.feed", int),
            heartbeat_s=r.get(feed_raw, "heartbeat_s", f"{where}.feed", int),
        )
        r.at_least(feed.deviation_bps, 1, f"{where}.feed.deviation_bps")
        r.at_least(feed.heartbeat_s, 1, f"{where}.feed.heartbeat_s")
        if symbol == base:
            depth = r.get(a, "pool_depth_usd", where, float, default=0.0)
        else:
            depth = r.get(a, "pool_depth_usd", where, float)
            r.at_least(depth, 1.0, f"{where}.pool_depth_usd")
        assets.append(
            AssetSpec(
                symbol=symbol,
                name=r.get(a, "name", where, str, default=symbol),
                decimals=decimals,
                price_usd=price,
                vol=vol,
                drift=r.get(a, "drift", where, float, default=0.0),
                feed=feed,
                pool_depth_usd=depth,
                implied_vol_premium=r.get(a, "implied_vol_premium", where, float, default=0.0),
                weth9=r.get(a, "weth9", where, bool, default=False),
            )
        )
    symbols = [a.symbol for a in assets]
    if sum(a.weth9 for a in assets) > 1:
        raise r.fail("assets", "marks more than one asset weth9: true", "mark at most one")

    corr = np.eye(len(assets))
    pairs = top.get("correlations") or {}
    r.mapping(pairs, "correlations")
    for key, value in pairs.items():
        parts = str(key).split("/")
        if len(parts) != 2 or parts[0] not in symbols or parts[1] not in symbols or parts[0] == parts[1]:
            raise r.fail(f"correlations.{key}", "must be 'SYM1/SYM2' of two different assets", f"use {symbols}")
        if not isinstance(value, (int, float)) or not -1.0 < float(value) < 1.0:
            raise r.fail(f"correlations.{key}", f"must be a number in (-1, 1), got {value!r}", "fix the value")
        i, j = symbols.index(parts[0]), symbols.index(parts[1])
        corr[i, j] = corr[j, i] = float(value)
    if np.linalg.eigvalsh(corr).min() <= 0:
        raise r.fail("correlations", "do not form a positive definite matrix", "lower the largest correlations")

    reg = r.mapping(top.get("regimes"), "regimes")
    regimes = RegimeSpec(
        stress_vol_multiplier=r.get(reg, "stress_vol_multiplier", "regimes", float),
        stress_correlation_pull=r.get(reg, "stress_correlation_pull", "regimes", float),
        calm_to_stress_per_day=r.get(reg, "calm_to_stress_per_day", "regimes", float),
        stress_to_calm_per_day=r.get(reg, "stress_to_calm_per_day", "regimes", float),
    )
    r.at_least(regimes.stress_vol_multiplier, 1.0, "regimes.stress_vol_multiplier")
    for name in ("stress_correlation_pull", "calm_to_stress_per_day", "stress_to_calm_per_day"):
        v = getattr(regimes, name)
        if not 0.0 <= v < 1.0:
            raise r.fail(f"regimes.{name}", f"must be in [0, 1), got {v}", "write a probability/fraction")

    uni = r.mapping(top.get("uniswap", {"fee_bps": 30}), "uniswap")
    sim = r.mapping(top.get("simulator"), "simulator")
    step_s = r.get(sim, "step_s", "simulator", int)
    r.at_least(step_s, 1, "simulator.step_s")
    return WorldConfig(
        path=path,
        base=base,
        assets=tuple(assets),
        correlation_calm=corr,
        regimes=regimes,
        fee_bps=r.get(uni, "fee_bps", "uniswap", int),
        step_s=step_s,
        implied_vol_update_s=r.get(sim, "implied_vol_update_s", "simulator", int, default=86400),
    )
