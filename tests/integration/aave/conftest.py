"""Fixtures for the Aave V3 market on the world: deployed once per module from ``scripts.aave``, with its own
lender; ``fn_isolation`` undoes each test."""

from __future__ import annotations

import pytest
from brownie import accounts  # type: ignore[attr-defined]

from scripts.aave import AaveConfig, AaveMarket, deploy_aave, load_aave_config


@pytest.fixture(scope="module")
def lender():
    """Supplies the market's opening liquidity."""
    return accounts[1]


@pytest.fixture(scope="module")
def borrower():
    """Supplies collateral and borrows the base asset."""
    return accounts[2]


@pytest.fixture(scope="module")
def liquidator():
    """Repays an unhealthy borrower's debt for their collateral plus the bonus."""
    return accounts[3]


@pytest.fixture(scope="module")
def aave_cfg() -> AaveConfig:
    return load_aave_config()


@pytest.fixture(scope="module")
def aave(world, deployer, lender) -> AaveMarket:
    return deploy_aave(world, deployer, lender=lender)
