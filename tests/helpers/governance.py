"""Shared by the governance tests: a governed vault's holders and a keeper configured for it."""

from __future__ import annotations

from typing import Any

from brownie import chain  # type: ignore[attr-defined]
from eth_account import Account

from devworld.devnet import MNEMONIC
from keeper.config import KeeperConfig, parse_keeper_config

# Governance times of the tests' governed vault (tests/integration/governance): a whole proposal cycle fits in
# hours of simulated market.
VOTING_DELAY_S = 3600
VOTING_PERIOD_S = 6 * 3600
TIMELOCK_S = 6 * 3600


def sleep(seconds: int) -> None:
    """Move chain time with evm_increaseTime and mine a block at it (the Governor reads block.timestamp)."""
    chain.sleep(seconds)
    chain.mine()


def keeper_config(rpc_url: str, deployment_path: str, journal_path: str) -> KeeperConfig:
    """The keeper of the tests' vault (signing with KEEPER_PRIVATE_KEY, which the caller sets)."""
    raw: dict[str, Any] = {
        "chain": {"rpc_urls": [rpc_url], "chain_id": 1337, "deployment": deployment_path, "max_head_age_s": 0},
        "policy": {"cooldown_s": 3600},
        "schedule": {"interval_s": 1, "max_consecutive_failures": 2},
        "transactions": {"receipt_timeout_s": 10, "confirmations": 0},
        "journal": journal_path,
    }
    return parse_keeper_config(raw, "governance-test-keeper.yaml")


def keeper_key(index: int) -> str:
    """The private key of development account ``index`` (the chains' shared mnemonic)."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()
