"""config/aave.yaml loads into typed values, and a wrong field fails with a message that names it."""

from __future__ import annotations

import copy

import pytest
import yaml

from keeper.errors import ConfigError
from scripts.aave import DEFAULT_CONFIG, RAY_PER_BPS, load_aave_config, parse_aave_config

RAW = yaml.safe_load(DEFAULT_CONFIG.read_text())


def _with(path: str, value):
    raw = copy.deepcopy(RAW)
    *parents, leaf = path.split(".")
    node = raw
    for key in parents:
        node = node[key]
    node[leaf] = value
    return raw


def test_load_aave_config__project_file__covers_every_world_asset():
    cfg = load_aave_config()
    assert set(cfg.reserves) == {"USDC", "WBTC", "WETH", "LINK", "XAU", "TBILL", "BOND"}
    for r in cfg.reserves.values():
        assert r.ltv_bps <= r.liquidation_threshold_bps < 10_000
        assert r.liquidation_threshold_bps * r.liquidation_bonus_bps <= 10_000 * 10_000


def test_rate_strategy__bps__converts_to_ray_in_constructor_order():
    s = load_aave_config().rate_strategies["weth"]
    args = s.constructor_args_ray()
    assert len(args) == 9
    assert args[0] == 9000 * RAY_PER_BPS == 9 * 10**26  # optimal usage 90% in ray
    assert args[2] == 270 * RAY_PER_BPS  # variable slope 1
    assert args[4:6] == args[2:4]  # stable slopes default to the variable ones


@pytest.mark.parametrize(
    "path, value, names",
    [
        ("reserves.WETH.ltv_bps", 9000, "reserves.WETH"),
        ("reserves.WETH.liquidation_bonus_bps", 500, "reserves.WETH"),
        ("reserves.WETH.liquidation_bonus_bps", 12500, "reserves.WETH"),
        ("reserves.WETH.rate_strategy", "nope", "reserves.WETH.rate_strategy"),
        ("reserves.WETH.borrowing_enabled", "yes", "reserves.WETH.borrowing_enabled"),
        ("reserves.WETH.supply_usd", -1, "reserves.WETH.supply_usd"),
        ("reserves.WETH.reserve_factor_bps", 1.5, "reserves.WETH.reserve_factor_bps"),
        ("rate_strategies.weth.optimal_usage_bps", 10_001, "rate_strategies.weth.optimal_usage_bps"),
        ("market_id", "", "market_id"),
    ],
)
def test_parse_aave_config__bad_field__raises_config_error_naming_it(path, value, names):
    with pytest.raises(ConfigError, match=names.replace(".", r"\.")):
        parse_aave_config(_with(path, value))
