"""``rp-vault``, the depositor's command line, on the world: the walk faucet -> deposit -> position -> quote -> exit
through each door, and every refusal as one sentence with nothing mined."""

from __future__ import annotations

from typing import Any

import pytest
from brownie import chain, web3  # type: ignore[attr-defined]

from keeper.daemon import Keeper
from keeper.vault_advice import fmt_units
from tests.helpers.vault_cli import cli_runner, refusal

ALICE, BOB = 5, 6  # dev account indexes of the `alice` and `bob` fixtures
USDC = 10**6
SHARE = 10**12


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture
def rp_vault(deployment_path, capsys):
    """``rp_vault("deposit", "1000", account=6)`` runs the CLI against the test chain as bob by default."""
    return cli_runner(capsys, deployment_path, BOB)


@pytest.fixture
def funded_bob(rp_vault, bob, vault_env):
    """bob with 100,000 test USDC from the faucet and 20,000 of it deposited, before any rebalance."""
    assert rp_vault("faucet", "100000")[0] == 0
    assert rp_vault("deposit", "20000")[0] == 0
    return bob


@pytest.fixture
def invested(funded_bob, vault_env, keeper_config):
    """The keeper has rebalanced into the basket (idle cash is a small part of NAV), and an hour of market later
    bob's shares are unlocked and the feeds fresh."""
    assert Keeper(keeper_config()).tick().record.decision == "rebalance"
    vault_env["sim"].run(2)
    return funded_bob


def nonce(account: Any) -> int:
    return web3.eth.get_transaction_count(account.address)


# ---------------------------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------------------------


def test_faucet__local_world__mints_usdc_and_gas(rp_vault, vault_env, bob):
    usdc = vault_env["world"].base
    before = usdc.balanceOf(bob)
    code, out, _ = rp_vault("faucet", "50,000")
    assert code == 0
    assert usdc.balanceOf(bob) - before == 50_000 * USDC
    assert "minted 50,000.00 USDC" in out


def test_faucet__to_a_fresh_address__adds_ether_for_gas(rp_vault, vault_env):
    fresh = "0x000000000000000000000000000000000000bEEF"
    code, out, _ = rp_vault("faucet", "10", "--to", fresh, account=None)
    assert code == 0
    assert vault_env["world"].base.balanceOf(fresh) == 10 * USDC
    assert web3.eth.get_balance(fresh) == 10**18 and "ETH for gas" in out


def test_deposit__approves_exactly_and_mints_locked_shares(rp_vault, vault_env, bob):
    vault = vault_env["vault"]
    rp_vault("faucet", "1000")
    code, out, err = rp_vault("deposit", "1,000 USDC")
    assert code == 0, err
    shares = vault.balanceOf(bob)
    assert shares > 0 and vault_env["world"].base.allowance(bob, vault) == 0  # exactly the deposit was approved
    assert "approved the vault for 1,000.00 USDC" in out
    assert f"deposited 1,000.00 USDC -> {fmt_units(shares, 12, 6)} rpUSDC" in out and "locked until" in out


def test_position__shows_shares_value_lock_and_wallet(rp_vault, funded_bob, vault_env):
    vault = vault_env["vault"]
    code, out, _ = rp_vault("position")
    assert code == 0
    assert f"{fmt_units(vault.balanceOf(funded_bob), 12, 6)} rpUSDC" in out
    assert "locked until" in out
    assert "value       19,9" in out or "value       20,0" in out  # 20,000 USDC less the entry fee
    assert "wallet      80,000.00 USDC" in out


def test_position__read_only_address__needs_no_key(rp_vault, funded_bob):
    code, out, _ = rp_vault("position", "--address", funded_bob.address, account=None)
    assert code == 0 and funded_bob.address in out


def test_quote__invested_vault__prices_each_exit(rp_vault, invested, vault_env):
    vault = vault_env["vault"]
    code, out, err = rp_vault("quote", "--deposit", "5000")
    assert code == 0, err
    assert "deposit 5,000.00 USDC -> " in out and "entry fee" in out
    # To the unit, as printed (rounded to cents, a value whose third decimal is 5 or more never matched).
    assert "oracle value" in out and f"{fmt_units(vault.previewRedeem(vault.balanceOf(invested)), 6)} USDC" in out
    assert "redeem --swap     expected" in out and "simulated" in out
    assert "--min-out defaults to" in out and "50 bps slippage" in out
    assert "redeem --in-kind" in out and "WBTC" in out


def test_walk__redeem_swap__pays_near_the_oracle_value_and_above_the_default_min_out(rp_vault, invested, vault_env):
    vault, usdc = vault_env["vault"], vault_env["world"].base
    oracle_value = vault.previewRedeem(vault.balanceOf(invested))
    before = usdc.balanceOf(invested)
    code, out, err = rp_vault("redeem", "all", "--swap")
    assert code == 0, err
    paid = usdc.balanceOf(invested) - before
    assert vault.balanceOf(invested) == 0
    assert 0.97 * oracle_value < paid <= oracle_value
    assert f"-> {fmt_units(paid, 6)} USDC" in out and "less 50 bps" in out


def test_walk__redeem_in_kind__pays_a_slice_of_every_token(rp_vault, invested, vault_env):
    vault, dep = vault_env["vault"], vault_env["deployment"]
    from brownie import Contract  # type: ignore[attr-defined]

    shares = vault.balanceOf(invested) // 2
    code, out, err = rp_vault("redeem", f"{shares / SHARE:.12f}", "--in-kind")
    assert code == 0, err
    for symbol in ("WBTC", "WETH", "LINK", "XAU"):
        token = Contract.from_abi("T", dep.assets[symbol].token, _ERC20)
        assert token.balanceOf(invested) > 0, symbol
    assert "in kind -> " in out and "WBTC" in out


def test_walk__redeem_in_kind_skipping__leaves_that_token(rp_vault, invested, vault_env):
    dep = vault_env["deployment"]
    from brownie import Contract  # type: ignore[attr-defined]

    wbtc = Contract.from_abi("T", dep.assets["WBTC"].token, _ERC20)
    code, _, err = rp_vault("redeem", "1000", "--in-kind", "--skip", "WBTC")
    assert code == 0, err
    assert wbtc.balanceOf(invested) == 0
    assert Contract.from_abi("T", dep.assets["WETH"].token, _ERC20).balanceOf(invested) > 0


def test_walk__withdraw_and_redeem_from_idle_cash(rp_vault, funded_bob, vault_env):
    vault, usdc = vault_env["vault"], vault_env["world"].base
    chain.sleep(3601)
    chain.mine()
    vault_env["sim"].run(1)
    before = usdc.balanceOf(funded_bob)
    code, out, err = rp_vault("withdraw", "1000")
    assert code == 0, err
    assert usdc.balanceOf(funded_bob) - before == 1000 * USDC and "withdrew 1,000.00 USDC" in out
    shares = vault.balanceOf(funded_bob)
    code, out, err = rp_vault("redeem", "all")
    assert code == 0, err
    assert vault.balanceOf(funded_bob) == 0 and usdc.balanceOf(funded_bob) > before + 18_000 * USDC
    assert f"redeemed {fmt_units(shares, 12, 6)} rpUSDC" in out


def test_walk__faucet_deposit_position_quote_then_every_exit(rp_vault, vault_env, keeper_config, bob):
    """The README's walk, in order, with the keeper investing in between."""
    vault, usdc = vault_env["vault"], vault_env["world"].base
    assert rp_vault("faucet", "30000")[0] == 0
    assert rp_vault("deposit", "30000")[0] == 0
    assert Keeper(keeper_config()).tick().record.decision == "rebalance"
    vault_env["sim"].run(2)
    code, out, _ = rp_vault("position")
    assert code == 0 and "plain exit  all of it now" in out
    code, out, _ = rp_vault("quote")
    assert code == 0 and "redeem --swap     expected" in out
    assert rp_vault("withdraw", "1000")[0] == 0
    assert rp_vault("redeem", "5000", "--in-kind")[0] == 0
    code, out, err = rp_vault("redeem", "all", "--swap")
    assert code == 0, err
    assert vault.balanceOf(bob) == 0
    assert usdc.balanceOf(bob) > 29_000 * USDC - 5000 * USDC  # USDC back, less the in-kind slice's other tokens
    code, out, _ = rp_vault("position")
    assert code == 0 and "shares      0.00 rpUSDC" in out


# ---------------------------------------------------------------------------------------------------------------
# Refusals: one sentence, exit code 1, nothing mined
# ---------------------------------------------------------------------------------------------------------------


def test_deposit__more_than_the_wallet__says_get_usdc_and_sends_nothing(rp_vault, bob, vault_env):
    n = nonce(bob)
    line = refusal(rp_vault("deposit", "5000000"))
    assert "you hold" in line and "needs 5,000,000.00 USDC" in line and "rp-vault faucet" in line
    assert nonce(bob) == n


def test_deposit__paused__says_wait_for_governance(rp_vault, funded_bob, vault_env, gov):
    vault_env["vault"].setDepositsPaused(True, {"from": gov})
    n = nonce(funded_bob)
    line = refusal(rp_vault("deposit", "100"))
    assert "deposits are paused" in line and "every exit still works" in line
    assert nonce(funded_bob) == n
    code, out, _ = rp_vault("quote")
    assert code == 0 and "deposit 1,000.00 USDC: not now: deposits are paused" in out


def test_deposit__above_the_cap__names_the_room_left(rp_vault, funded_bob, vault_env, gov):
    vault = vault_env["vault"]
    vault.setDepositCap(vault.totalAssets() + 500 * USDC, {"from": gov})
    line = refusal(rp_vault("deposit", "1000"))
    assert line.startswith("refused: deposit cap: the vault takes at most 500.00 USDC more")


def test_deposit__stale_feed__names_the_symbol_and_the_time(rp_vault, invested, vault_env):
    chain.sleep(6 * 3600)  # past the crypto feeds' 4,500 s heartbeat
    chain.mine()
    n = nonce(invested)
    line = refusal(rp_vault("deposit", "100"))
    assert "feed for WBTC is stale since" in line and "UTC" in line and "wait for the feed" in line
    assert nonce(invested) == n


def test_redeem__stale_feed__points_to_in_kind_which_still_pays(rp_vault, invested, vault_env):
    chain.sleep(6 * 3600)
    chain.mine()
    line = refusal(rp_vault("redeem", "10"))
    assert "stale since" in line and "--in-kind" in line
    code, out, _ = rp_vault("position")
    assert code == 0 and "value       unavailable: feed for WBTC is stale" in out
    assert rp_vault("redeem", "10", "--in-kind")[0] == 0


def test_withdraw__more_than_your_shares__says_so_not_idle_cash(rp_vault, funded_bob):
    n = nonce(funded_bob)
    line = refusal(rp_vault("withdraw", "900000"))
    assert "exceeds your shares" in line and "idle" not in line
    assert nonce(funded_bob) == n


def test_redeem__locked_shares__says_until_when(rp_vault, funded_bob):
    line = refusal(rp_vault("redeem", "all"))
    assert "share lock" in line and "locked until" in line and "UTC (in " in line


def test_withdraw__more_than_idle_cash__points_to_swap_and_in_kind(rp_vault, invested, vault_env, alice):
    vault = vault_env["vault"]
    idle = vault_env["world"].base.balanceOf(vault)
    assert vault.previewRedeem(vault.balanceOf(alice)) > idle + 1000 * USDC  # alice owns more than idle cash
    n = nonce(alice)
    line = refusal(rp_vault("withdraw", fmt_units(idle + 1000 * USDC, 6), account=ALICE))
    assert "exceeds idle cash" in line and "--swap" in line and "--in-kind" in line
    assert "a plain exit can take at most" in line
    assert nonce(alice) == n


def test_redeem_swap__min_out_above_the_dex__says_slippage(rp_vault, invested):
    n = nonce(invested)
    line = refusal(rp_vault("redeem", "all", "--swap", "--min-out", "10,000,000"))
    assert line.startswith("refused: slippage: the swap exit would pay") and "--min-out" in line
    assert nonce(invested) == n


def test_redeem_swap__deadline_passed__says_give_a_later_one(rp_vault, invested):
    line = refusal(rp_vault("redeem", "all", "--swap", "--deadline", "1000000000"))
    assert "deadline" in line and "has passed" in line


def test_redeem_in_kind__skip_a_token_without_slice__says_invalid_skip(rp_vault, funded_bob, vault_env):
    chain.sleep(3601)
    chain.mine()
    vault_env["sim"].run(1)
    line = refusal(rp_vault("redeem", "10", "--in-kind", "--skip", "WBTC"))  # the vault holds no WBTC yet
    assert "--skip WBTC: not a registered non-base asset with a slice" in line


# ---------------------------------------------------------------------------------------------------------------
# Bad input: exit code 2, one line, nothing ran
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("deposit", "0"), "must be more than 0"),
        (("deposit", "ten"), "is not a number"),
        (("deposit", "1.0000001"), "more than 6 decimals"),
        (("redeem", "-5"), "must be more than 0"),
        (("redeem", "1", "--swap", "--in-kind"), "not both"),
        (("redeem", "1", "--min-out", "5"), "belong to 'redeem --swap'"),
        (("redeem", "1", "--in-kind", "--skip", "DOGE"), "'DOGE' is not one of the vault's tokens"),
        (("redeem", "1", "--in-kind", "--skip", "USDC"), "base asset cannot be skipped"),
        (("redeem", "1", "--swap", "--deadline", "soon"), "--deadline 'soon'"),
        (("quote", "--slippage-bps", "20000"), "outside 0..9,999"),
        (("faucet", "--to", "0x1234"), "is not an address"),
        (("deposit", "1", "--dev-account", "42"), "outside the local world's accounts"),
    ],
)
def test_bad_input__one_line_exit_2(rp_vault, funded_bob, argv, expected, vault_env):
    if argv[0] == "redeem":
        chain.sleep(3601)
        chain.mine()
        vault_env["sim"].run(1)
    account = None if "--dev-account" in argv else BOB
    line = refusal(rp_vault(*argv, account=account), code=2)
    assert expected in line


def test_no_key__transaction_command__says_how_to_give_one(rp_vault, monkeypatch):
    monkeypatch.delenv("RP_VAULT_PRIVATE_KEY", raising=False)
    line = refusal(rp_vault("deposit", "10", account=None), code=2)
    assert "no key: export RP_VAULT_PRIVATE_KEY" in line and "--dev-account" in line


def test_key_from_env__signs_as_that_account(rp_vault, monkeypatch, key_of, vault_env, bob):
    monkeypatch.setenv("RP_VAULT_PRIVATE_KEY", key_of(BOB))
    assert rp_vault("faucet", "10", account=None)[0] == 0
    assert vault_env["world"].base.balanceOf(bob) >= 10 * USDC


def test_wrong_chain_deployment__says_which_chain(rp_vault, tmp_path, vault_env):
    import json

    raw = json.loads(open(vault_env["deployment_path"]).read())
    raw["chain_id"] = 1
    path = tmp_path / "mainnet.json"
    path.write_text(json.dumps(raw))
    line = refusal(rp_vault("position", "--deployment", str(path)), code=2)
    assert "is chain 1337 but the deployment file" in line


_ERC20 = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "a", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


@pytest.fixture
def public_chain_id():
    """The test chain answers as chain 31337 (not the local world's 1337) for one test."""
    web3.provider.make_request("anvil_setChainId", [31337])
    try:
        yield 31337
    finally:
        web3.provider.make_request("anvil_setChainId", [1337])


def test_faucet__not_the_local_world__refused(rp_vault, public_chain_id, vault_env):
    fresh = "0x000000000000000000000000000000000000bEEF"
    line = refusal(rp_vault("faucet", "10", "--to", fresh, account=None), code=2)
    assert "faucet runs only on the local world (chain id 1337)" in line and "chain 31337" in line
    assert vault_env["world"].base.balanceOf(fresh) == 0


def test_dev_account__not_the_local_world__refused(rp_vault, public_chain_id, vault_env, tmp_path):
    import json

    raw = json.loads(open(vault_env["deployment_path"]).read())
    raw["chain_id"] = public_chain_id
    path = tmp_path / "public.json"
    path.write_text(json.dumps(raw))
    line = refusal(rp_vault("deposit", "10", "--deployment", str(path)), code=2)
    assert "--dev-account works only on the local world (chain id 1337); this is chain 31337" in line
