"""``rp-vault`` on a levered vault (the world's Aave V3): the swap exit repays its debt share with a flash loan,
the in-kind exit approves and pays its debt top-up, and a plain exit beyond idle cash is refused with the doors
that work."""

from __future__ import annotations

import pytest
from brownie import Contract  # type: ignore[attr-defined]

from keeper.daemon import Keeper
from keeper.vault_advice import fmt_units
from tests.helpers.vault_cli import cli_runner, refusal
from tests.service.test_leverage_tick import _lever_up, deployment_path, isolation, levered  # noqa: F401

ALICE = 5  # dev account of the `alice` fixture: 1,000,000 USDC deposited before the market warm-up
USDC = 10**6
SHARE = 10**12


@pytest.fixture
def rp_vault(deployment_path, capsys):  # noqa: F811 - the levered module's deployment file
    return cli_runner(capsys, deployment_path, ALICE)


@pytest.fixture
def levered_up(levered, keeper_config):  # noqa: F811
    """The keeper has supplied and borrowed: the vault holds debt, and alice's shares carry a share of it."""
    keeper = Keeper(keeper_config(leverage={"target_vol": 0.5}, policy={"cooldown_s": 0}))
    _lever_up(keeper, levered["sim"])
    state = keeper.client.vault_state(keeper.vault)
    assert state.debt > 0
    levered["sim"].step()
    return levered


def test_quote__levered__simulates_the_flash_loan_swap_exit(rp_vault, levered_up):
    code, out, err = rp_vault("quote", "--shares", "100000")
    assert code == 0, err
    assert "redeem --swap     expected" in out and "(simulated" in out
    assert "redeem --in-kind" in out


def test_redeem_swap__levered__pays_near_the_oracle_value(rp_vault, levered_up, alice):
    vault, usdc = levered_up["vault"], levered_up["world"].base
    shares = 100_000 * SHARE
    oracle_value = vault.previewRedeem(shares)
    debt_before = levered_up["world"].aave.pool.getUserAccountData(vault.lendingAdapter())[1]
    before = usdc.balanceOf(alice)
    code, out, err = rp_vault("redeem", "100000", "--swap")
    assert code == 0, err
    paid = usdc.balanceOf(alice) - before
    assert 0.95 * oracle_value < paid <= oracle_value
    assert levered_up["world"].aave.pool.getUserAccountData(vault.lendingAdapter())[1] < debt_before
    assert f"-> {fmt_units(paid, 6)} USDC" in out


def test_redeem_in_kind__levered_without_usdc_for_the_debt__says_top_up_or_swap(rp_vault, levered_up, alice):
    from brownie import web3  # type: ignore[attr-defined]

    assert levered_up["world"].base.balanceOf(alice) == 0
    nonce = web3.eth.get_transaction_count(alice.address)
    line = refusal(rp_vault("redeem", "100000", "--in-kind"))
    assert "repays its share of the vault's debt" in line and "you hold 0.00 USDC" in line and "--swap" in line
    assert web3.eth.get_transaction_count(alice.address) == nonce


def test_redeem_in_kind__levered__approves_the_top_up_and_receives_collateral_slices(rp_vault, levered_up, alice):
    world = levered_up["world"]
    wbtc = Contract.from_abi("T", world.deployment.assets["WBTC"].token, world.base.abi)
    assert rp_vault("faucet", "50000")[0] == 0
    world.base.approve(levered_up["vault"], 0, {"from": alice})  # the fixture's deposit approved without limit
    before = world.base.balanceOf(alice)
    code, out, err = rp_vault("redeem", "100000", "--in-kind")
    assert code == 0, err
    assert wbtc.balanceOf(alice) > 0
    assert world.base.balanceOf(alice) < before  # the top-up left alice's wallet
    assert "approved the vault for the debt top-up" in out and "in kind -> " in out
    assert "you paid in" in out and "-" not in out.split("in kind -> ")[1].split(" (worth")[0]


def test_withdraw__levered_beyond_idle__refused_with_the_doors_that_work(rp_vault, levered_up, alice):
    vault = levered_up["vault"]
    idle = levered_up["world"].base.balanceOf(vault)
    from brownie import web3  # type: ignore[attr-defined]

    nonce = web3.eth.get_transaction_count(alice.address)
    line = refusal(rp_vault("withdraw", fmt_units(idle + 1000 * USDC, 6)))
    assert "exceeds idle cash" in line and "--swap" in line and "--in-kind" in line
    assert web3.eth.get_transaction_count(alice.address) == nonce
