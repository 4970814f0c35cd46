"""Fixtures for the keeper service against the world on anvil: a vault with depositors and an hour-by-hour
feed history, the keeper's key, and a factory for keeper configs with a fresh journal."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from brownie import accounts, web3  # type: ignore[attr-defined]
from eth_account import Account

from devworld.devnet import MNEMONIC
from devworld.sim.runner import MarketSimulator
from keeper.config import KeeperConfig, parse_keeper_config
from keeper.deployments import save_deployment
from scripts.deploy_vault import deploy_vault, load_vault_config

WARMUP_HOURS = 36
DEPOSIT_USDC = 1_000_000


def _key_of(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


@pytest.fixture(scope="session")
def key_of():
    """The private key of development account ``index`` (the chains' shared mnemonic)."""
    return _key_of


@pytest.fixture(scope="module")
def vault_env(world, deployer, gov, alice, tmp_path_factory):
    """World + vault (a plain account as governance) + one deposit + WARMUP_HOURS of market history."""
    deployed = deploy_vault(world, deployer, load_vault_config(), governance=gov)
    vault = deployed.vault
    directory = tmp_path_factory.mktemp("deployments")
    dep = replace(world.deployment, extra={"vault": {"address": vault.address}})
    path = save_deployment(dep, directory)
    world.fund("USDC", alice, DEPOSIT_USDC * 10**6)
    world.base.approve(vault, 2**256 - 1, {"from": alice})
    vault.deposit(DEPOSIT_USDC * 10**6, alice, {"from": alice})
    sim = MarketSimulator(web3, dep, world.cfg, seed=5, reporter=deployer.address, arbitrageur=accounts[9].address)
    sim.run(WARMUP_HOURS)
    return {"vault": vault, "deployment": dep, "deployment_path": str(path), "sim": sim, "world": world}


@pytest.fixture
def deployment_path(vault_env) -> str:
    """The deployment file the keeper reads; a module with its own vault overrides this fixture."""
    return vault_env["deployment_path"]


@pytest.fixture
def keeper_config(deployment_path, tmp_path, monkeypatch):
    """Factory: a validated KeeperConfig for the local vault; keyword overrides per section."""
    monkeypatch.setenv("KEEPER_PRIVATE_KEY", _key_of(3))

    def make(*, rpc_urls: list[str] | None = None, **sections: dict[str, Any]) -> KeeperConfig:
        raw: dict[str, Any] = {
            "chain": {
                "rpc_urls": rpc_urls or [web3.provider.endpoint_uri],
                "chain_id": 1337,
                "deployment": deployment_path,
                "read_retries": 2,
                "retry_backoff_s": 0.05,
                # fn_isolation reverts to module snapshots whose heads are minutes old: the stale-head test
                # turns the check on itself.
                "max_head_age_s": 0,
            },
            "policy": {"cooldown_s": 3600},
            "schedule": {"interval_s": 1, "max_consecutive_failures": 2},
            "transactions": {"receipt_timeout_s": 10},
            "journal": str(tmp_path / "journal.sqlite"),
        }
        for name, values in sections.items():
            raw.setdefault(name, {}).update(values)
        return parse_keeper_config(raw, "test-keeper.yaml")

    return make


@pytest.fixture(autouse=True)
def only_on_anvil():
    if not web3.client_version.lower().startswith("anvil"):
        pytest.skip("keeper service tests drive anvil-specific RPCs (automine, mempool)")
