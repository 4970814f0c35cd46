"""The transaction pipeline on a live node: stuck transactions are replaced with a fee bump, two keepers racing
produce one rebalance, reverts decode to the vault's named errors, the gas price cap holds."""

from __future__ import annotations

import threading
import time

import pytest
from brownie import accounts, web3  # type: ignore[attr-defined]

from keeper.daemon import Keeper
from keeper.errors import GasPriceTooHighError, SimulationRevertedError


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    yield
    web3.provider.make_request("evm_setAutomine", [True])


def _mine_later(delay_s: float, blocks: int = 1) -> threading.Thread:
    def go() -> None:
        time.sleep(delay_s)
        for _ in range(blocks):
            web3.provider.make_request("evm_mine", [])

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def test_send__automine_off__stuck_transaction_is_replaced_with_bumped_fee(vault_env, keeper_config):
    keeper = Keeper(keeper_config(transactions={"receipt_timeout_s": 1.0, "max_replacements": 3}))
    snap, proposal = keeper.decide()
    data = keeper.rebalance_calldata(snap, proposal)
    web3.provider.make_request("evm_setAutomine", [False])
    miner = _mine_later(2.5)
    outcome = keeper.client.send(keeper.vault, data)
    miner.join()
    assert outcome is not None and outcome.replacements >= 2
    tx = web3.eth.get_transaction(outcome.tx_hash)
    first_max_fee = 2 * web3.eth.get_block(outcome.block - 1)["baseFeePerGas"] + 10**9
    assert tx["maxFeePerGas"] >= first_max_fee * 1.125**2
    assert vault_env["vault"].epoch() == 1


def test_tick__two_keepers_at_once__one_rebalances_other_reverts_on_epoch(
    vault_env, keeper_config, gov, key_of, monkeypatch
):
    vault = vault_env["vault"]
    vault.grantRole(vault.KEEPER_ROLE(), accounts[6], {"from": gov})
    monkeypatch.setenv("KEEPER2_KEY", key_of(6))
    k1 = Keeper(keeper_config(transactions={"receipt_timeout_s": 20}))
    k2 = Keeper(keeper_config(transactions={"receipt_timeout_s": 20}, signer={"private_key_env": "KEEPER2_KEY"}))
    web3.provider.make_request("evm_setAutomine", [False])
    results: dict[str, object] = {}

    def run(name: str, k: Keeper) -> None:
        try:
            results[name] = k.tick()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[name] = exc

    threads = [threading.Thread(target=run, args=(n, k)) for n, k in (("k1", k1), ("k2", k2))]
    for t in threads:
        t.start()
    # Both simulated against the same state and broadcast; one block then includes both.
    deadline = time.time() + 15
    while time.time() < deadline:
        status = web3.provider.make_request("txpool_status", [])["result"]
        if int(status["pending"], 16) >= 2:
            break
        time.sleep(0.05)
    web3.provider.make_request("evm_mine", [])
    for t in threads:
        t.join(timeout=30)
    assert vault.epoch() == 1
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["TickResult", "TransactionRevertedError"]
    loser = next(r for r in results.values() if isinstance(r, Exception))
    receipt = web3.eth.get_transaction_receipt(str(loser).split()[1])
    assert receipt["status"] == 0 and receipt["gasUsed"] < 100_000  # reverted at the epoch check, early


def test_simulate__stale_epoch__decodes_named_error(vault_env, keeper_config):
    keeper = Keeper(keeper_config())
    snap, proposal = keeper.decide()
    data = keeper.rebalance_calldata(snap, proposal)
    keeper.tick()  # moves the epoch
    with pytest.raises(SimulationRevertedError) as err:
        keeper.client.send(keeper.vault, data)
    assert err.value.error_name == "RiskParityVaultWrongEpoch"
    assert err.value.error_args == (0, 1)


def test_tick__gas_price_above_cap__skips_without_sending(vault_env, keeper_config):
    keeper = Keeper(keeper_config(transactions={"gas_price_cap_gwei": 0.000001}))
    nonce = web3.eth.get_transaction_count(keeper.client.signer.address)
    result = keeper.tick()
    assert result.record.decision == "skip" and result.record.reason.startswith("gas_price_cap")
    assert web3.eth.get_transaction_count(keeper.client.signer.address) == nonce
    with pytest.raises(GasPriceTooHighError, match="above the cap"):
        keeper.client._check_cap(10**9)
