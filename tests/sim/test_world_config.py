"""config/world.yaml is validated field by field, with messages that name the field and the fix."""

from __future__ import annotations

import copy

import pytest
import yaml

from devworld.sim.config import load_world_config, parse_world_config
from keeper.errors import ConfigError

RAW = yaml.safe_load(open("config/world.yaml"))


def _with(mutate) -> dict:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    return raw


def test_load_world_config__shipped_file__has_seven_assets_with_real_decimals():
    cfg = load_world_config("config/world.yaml")
    assert {a.symbol: a.decimals for a in cfg.assets} == {
        "USDC": 6,
        "WBTC": 8,
        "WETH": 18,
        "LINK": 18,
        "XAU": 18,
        "TBILL": 6,
        "BOND": 18,
    }
    assert cfg.base == "USDC" and [a.symbol for a in cfg.risky] == ["WBTC", "WETH", "LINK", "XAU", "TBILL", "BOND"]


def test_load_world_config__missing_file__names_path():
    with pytest.raises(ConfigError, match="nope.yaml not found"):
        load_world_config("nope.yaml")


def test_load_world_config__bad_yaml__says_not_valid_yaml(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text("assets: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_world_config(p)


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda r: r["assets"][1].pop("decimals"), r"assets\[1\]\(WBTC\).decimals' is missing"),
        (lambda r: r["assets"][2].update(price_usd=-3), r"assets\[2\]\(WETH\).price_usd' must be > 0"),
        (lambda r: r["assets"][2].update(price_usd="cheap"), r"assets\[2\]\(WETH\).price_usd' must be float"),
        (lambda r: r["assets"][3]["feed"].update(heartbeat_s=0), r"feed.heartbeat_s' must be >= 1"),
        (lambda r: r["assets"][3].pop("pool_depth_usd"), r"assets\[3\]\(LINK\).pool_depth_usd' is missing"),
        (lambda r: r.update(base="DAI"), r"'base' names 'DAI'"),
        (lambda r: r["correlations"].update({"WBTC/DOGE": 0.5}), r"correlations.WBTC/DOGE"),
        (lambda r: r["correlations"].update({"WBTC/WETH": 1.2}), r"must be a number in \(-1, 1\)"),
        (lambda r: r["correlations"].update({"WBTC/WETH": 0.99, "WBTC/LINK": -0.9}), "positive definite"),
        (lambda r: r["regimes"].update(stress_vol_multiplier=0.5), "stress_vol_multiplier' must be >= 1"),
        (lambda r: r["assets"][0].update(symbol="WBTC"), "duplicate symbols"),
        (lambda r: r.pop("simulator"), "'simulator' must be a mapping"),
    ],
)
def test_parse_world_config__bad_field__error_names_field(mutate, field):
    with pytest.raises(ConfigError, match=field):
        parse_world_config(_with(mutate), "w.yaml")
