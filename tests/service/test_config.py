"""Keeper config validation: every bad field is named with the fix; secrets only come from env vars."""

from __future__ import annotations

import pytest

from keeper.config import load_keeper_config, parse_keeper_config
from keeper.errors import ConfigError

BASE = {"chain": {"rpc_urls": ["http://127.0.0.1:8545"], "deployment": "deployments/anvil.json"}}


def _with(**sections):
    raw = {"chain": dict(BASE["chain"])}
    for k, v in sections.items():
        if isinstance(v, dict):
            raw.setdefault(k, {}).update(v)
        else:
            raw[k] = v
    return raw


@pytest.mark.parametrize(
    "path", ["config/keeper.local.yaml", "config/keeper.fork.yaml", "config/keeper.ganache-fork.yaml"]
)
def test_load_keeper_config__shipped_examples__are_valid(path):
    cfg = load_keeper_config(path)
    assert cfg.chain.rpc_urls and cfg.signer.private_key_env == "KEEPER_PRIVATE_KEY"


@pytest.mark.parametrize(
    "raw, message",
    [
        ({}, "section 'chain' is missing"),
        ({"chain": {"deployment": "x.json"}}, "'chain.rpc_urls' must be a list of http"),
        ({"chain": {"rpc_urls": ["ws://x"], "deployment": "x.json"}}, "'chain.rpc_urls' must be a list of http"),
        ({"chain": {"rpc_urls": ["http://x"]}}, "'chain.deployment' is missing"),
        (_with(policy={"trigger_rc_deviation": 0}), "'policy.trigger_rc_deviation' must be in"),
        (_with(policy={"slippage_bps": "lots"}), "'policy.slippage_bps' has the wrong type"),
        (_with(policy={"triger": 1}), "unknown field\\(s\\) policy.triger;"),
        (
            _with(policy={"trigger_rc_deviaton": 0.1}),
            "policy.trigger_rc_deviaton \\(did you mean policy.trigger_rc_deviation\\?\\)",
        ),
        (
            {"chain": {"rpc_url": "http://x", "deployment": "x.json"}},
            "unknown field\\(s\\) chain.rpc_url \\(did you mean chain.rpc_urls\\?\\)",
        ),
        (
            _with(risk={"estimator": "kalman"}),
            "'risk.estimator' must be one of sample, ewma, ledoit_wolf, garch, blend",
        ),
        (_with(leverage={"min_exposure": 1.5}), "'leverage.min_exposure' must be in \\[0, 1\\]"),
        (_with(leverage={"band_reset": 1.0}), "'leverage.band_reset' must be in \\[0, 1\\)"),
        (_with(chain={"max_head_age_s": -1}), "'chain.max_head_age_s' must be >= 0"),
        (_with(transactions={"fee_bump_pct": 5}), "'transactions.fee_bump_pct' must be >= 12.5"),
        (_with(schedule={"max_consecutive_failures": 0}), "'schedule.max_consecutive_failures' must be >= 1"),
        (_with(signer={"private_key_env": None}), "'signer' needs private_key_env or keystore"),
        (_with(extra={"a": 1}), "unknown section 'extra'"),
    ],
)
def test_parse_keeper_config__bad_field__names_it(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_keeper_config(raw, "k.yaml")


def test_parse_keeper_config__rpc_env_override__replaces_urls(monkeypatch):
    monkeypatch.setenv("RP_KEEPER_RPC_URLS", "http://a:1, http://b:2")
    assert parse_keeper_config(_with()).chain.rpc_urls == ("http://a:1", "http://b:2")


def test_parse_keeper_config__bad_rpc_env_override__blames_the_env_var_not_the_file(monkeypatch):
    monkeypatch.setenv("RP_KEEPER_RPC_URLS", "localhost:8545")
    with pytest.raises(ConfigError, match="^env var RP_KEEPER_RPC_URLS must be comma-separated http\\(s\\) URLs"):
        parse_keeper_config(_with(), "k.yaml")


def test_load_keeper_config__missing_file__says_where_examples_are():
    with pytest.raises(ConfigError, match="config/keeper.local.yaml"):
        load_keeper_config("nope.yaml")
