"""config/vault.yaml checked before anything is deployed: a typo, a wrong type or a value the vault would refuse
names the field, the value and the bound; the bounds are the deployed contracts' own constants."""

from __future__ import annotations

import re

import pytest
import yaml

from keeper.errors import ConfigError
from scripts.deploy_vault import BOUNDS, DEFAULT_CONFIG, load_vault_config


def _write(tmp_path, change) -> str:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    change(raw)
    path = tmp_path / "vault.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def _drop(section: str, key: str):
    return lambda raw: raw[section].pop(key)


def _set(section: str, key: str, value):
    def change(raw):
        raw.setdefault(section, {})[key] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_drop("thresholds", "max_slippage_bps"), "field 'thresholds.max_slippage_bps' is missing"),
        (_set("thresholds", "max_slippage_bps", "lots"), "field 'thresholds.max_slippage_bps' must be int, got 'lots'"),
        (
            _set("thresholds", "max_slippage_bps", 900),
            "field 'thresholds.max_slippage_bps' is 900, outside the vault's bounds [0, 500] "
            "(RiskParityVaultAdmin.MAX_SLIPPAGE_BPS)",
        ),
        (_set("thresholds", "cooldown_s", 60), "field 'thresholds.cooldown_s' is 60, outside the vault's bounds"),
        (_set("oracles", "WBTC", {"heartbeat_s": 10, "min_usd": 1, "max_usd": 2}), "'oracles.WBTC.heartbeat_s' is 10"),
        (
            _set("fees", "management_bps", 800),
            "field 'fees.management_bps' is 800, outside the vault's bounds [0, 500]",
        ),
        (_set("leverage", "max_leverage", 4.0), "field 'leverage.max_leverage' is 4, outside the vault's bounds"),
        (
            _set("leverage", "max_leverag", 2.0),
            "unknown field 'leverage.max_leverag' (did you mean leverage.max_leverage?)",
        ),
        (_set("risk", "band_bps", 6000), "field 'risk.band_bps' is 6000, outside the vault's bounds [0, 5000]"),
        (_set("protection", "share_lock_s", 2 * 86_400), "field 'protection.share_lock_s' is 172800"),
        (_set("risk_budgets_bps", "WBTC", 6000), "field 'risk_budgets_bps.WBTC' is 6000, outside"),
    ],
)
def test_load_vault_config__bad_field__names_field_value_and_bound(tmp_path, change, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_vault_config(_write(tmp_path, change))


def test_load_vault_config__shipped__valid():
    assert load_vault_config().max_slippage_bps <= BOUNDS["thresholds.max_slippage_bps"][1]


CONSTANTS = {
    "thresholds.max_slippage_bps": ("MAX_SLIPPAGE_BPS", 1),
    "thresholds.max_nav_loss_bps": ("MAX_NAV_LOSS_BPS", 1),
    "thresholds.max_turnover_bps": ("MAX_TURNOVER_BPS", 1),
    "risk_budgets_bps.*": ("MAX_RISK_BUDGET_BPS", 1),
    "sequencer.grace_s": ("MAX_SEQUENCER_GRACE_SECONDS", 1),
    "governance.risk_timelock_s": ("MAX_TIMELOCK_SECONDS", 1),
    "protection.entry_fee_floor_bps": ("MAX_ENTRY_FEE_FLOOR_BPS", 1),
    "protection.share_lock_s": ("MAX_SHARE_LOCK_SECONDS", 1),
    "protection.loss_budget_bps": ("MAX_LOSS_BUDGET_BPS", 1),
    "fees.management_bps": ("MAX_MANAGEMENT_FEE_BPS", 1),
    "fees.performance_bps": ("MAX_PERFORMANCE_FEE_BPS", 1),
}


def test_bounds__upper_bounds_equal_the_deployed_vaults_constants(vault):
    for field, (getter, scale) in CONSTANTS.items():
        assert BOUNDS[field][1] * scale == getattr(vault, getter)(), field
    assert BOUNDS["thresholds.cooldown_s"][:2] == (vault.MIN_COOLDOWN_SECONDS(), vault.MAX_COOLDOWN_SECONDS())
    assert BOUNDS["protection.loss_period_s"][:2] == (vault.MIN_LOSS_PERIOD_SECONDS(), vault.MAX_LOSS_PERIOD_SECONDS())
