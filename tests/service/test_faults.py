"""Node and transaction faults on anvil, one test per scenario: an RPC URL failing (5xx, 429, a JSON-RPC error
object, a timeout), a revert at the gas estimate, a transaction mined but reverted, a dropped transaction, a
nonce gap, a reorg before the confirmations, and the start-up checks. (Stuck transaction, gas above the cap and
two keepers: test_transactions.py.)"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from brownie import accounts, web3  # type: ignore[attr-defined]

import keeper.chain
from keeper.daemon import EXIT_CONFIG, Keeper
from keeper.errors import ConfigError, NonceGapError, SignerError, SimulationRevertedError, TransactionStuckError


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    yield
    web3.provider.make_request("evm_setAutomine", [True])


def _in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``fn`` in a thread; its result or exception lands in the returned dict under "out"."""
    box: dict[str, Any] = {}

    def go() -> None:
        try:
            box["out"] = fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            box["out"] = exc

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t, box


def _send(sender: str, to: str, data: str = "0x", *, priority_gwei: float = 1.0) -> str:
    tx = {
        "from": sender,
        "to": to,
        "data": data,
        "value": 0,
        "maxPriorityFeePerGas": int(priority_gwei * 10**9),
        "maxFeePerGas": 100 * 10**9,
    }
    return web3.eth.send_transaction(tx).hex()


# ---------------------------------------------------------------------------------------------------------------
# Reads: fail over on node faults, never on answers
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["http_502", "http_429", "rpc_error", "timeout"])
def test_read__first_url_5xx_429_rpc_error_or_timeout__fails_over_and_tick_succeeds(
    vault_env, keeper_config, rpc_proxy, fault
):
    bad = rpc_proxy(fault=fault, delay_s=3.0)
    anvil = web3.provider.endpoint_uri
    keeper = Keeper(keeper_config(rpc_urls=[bad.url, anvil], chain={"request_timeout_s": 1.0}))
    sleeps: list[float] = []
    keeper.client._sleep = sleeps.append
    result = keeper.tick()
    assert result.record.decision == "rebalance" and result.outcome is not None
    assert vault_env["vault"].epoch() == 1
    assert bad.methods, "the failing URL was asked first"
    assert keeper.client.url == anvil
    assert sleeps and sleeps[0] == keeper.cfg.chain.retry_backoff_s  # backed off before asking again


def test_snapshot__batch_answered_with_error_objects__fails_over_and_reads_the_same_block(
    vault_env, keeper_config, rpc_proxy
):
    # The node answers single requests but every item of a batch with -32000 (a pruned or lagging node does this).
    bad = rpc_proxy(fault="rpc_error_in_batch")
    anvil = web3.provider.endpoint_uri
    keeper = Keeper(keeper_config(rpc_urls=[bad.url, anvil]))
    keeper.client._sleep = lambda _s: None
    snap = keeper.read()
    assert "eth_call" in bad.methods and keeper.client.url == anvil
    assert snap.assets[1].history.round_ids and snap.assets[1].pool is not None


def test_read__execution_revert__answered_without_failover(vault_env, keeper_config, rpc_proxy):
    first = rpc_proxy()
    keeper = Keeper(keeper_config(rpc_urls=[first.url, web3.provider.endpoint_uri]))
    sleeps: list[float] = []
    keeper.client._sleep = sleeps.append
    snap, proposal = keeper.decide()
    data = keeper.rebalance_calldata(snap, proposal)
    keeper.tick()  # moves the epoch: the old calldata now reverts
    sleeps.clear()  # the tick may have polled for its receipt; only the revert's handling is under test
    with pytest.raises(SimulationRevertedError) as err:
        keeper.client.simulate({"from": keeper.client.signer.address, "to": keeper.vault, "data": data})
    assert err.value.error_name == "RiskParityVaultWrongEpoch"
    assert keeper.client.url == first.url and sleeps == []


# ---------------------------------------------------------------------------------------------------------------
# The send pipeline
# ---------------------------------------------------------------------------------------------------------------


def test_send__estimate_revert_after_state_moved__decoded_like_simulation(vault_env, keeper_config, gov):
    vault = vault_env["vault"]
    vault.grantRole(vault.KEEPER_ROLE(), accounts[6], {"from": gov})
    keeper = Keeper(keeper_config())
    simulate = keeper.client.simulate

    def simulate_then_another_keeper_rebalances(call: dict[str, Any]) -> None:
        simulate(call)
        _send(accounts[6].address, keeper.vault, call["data"])  # lands between our simulation and our estimate

    keeper.client.simulate = simulate_then_another_keeper_rebalances  # type: ignore[method-assign]
    nonce = web3.eth.get_transaction_count(keeper.client.signer.address)
    result = keeper.tick()
    assert result.record.decision == "skip"
    assert "gas estimate reverted: RiskParityVaultWrongEpoch(0, 1)" in result.record.text
    assert vault.epoch() == 1  # the other keeper's rebalance
    assert web3.eth.get_transaction_count(keeper.client.signer.address) == nonce  # nothing sent


def test_guarded_tick__mined_but_reverted__journaled_with_decoded_reason_as_failed_tick(
    vault_env, keeper_config, gov, pending_from, wait_until
):
    vault = vault_env["vault"]
    keeper = Keeper(keeper_config(transactions={"receipt_timeout_s": 30}))
    me = keeper.client.signer.address
    web3.provider.make_request("evm_setAutomine", [False])
    thread, _ = _in_thread(keeper.guarded_tick)
    ours = wait_until(lambda: pending_from(me), "the keeper's rebalance in the mempool")[0]
    # The guardian's pause pays a higher tip, so the block orders it first and the rebalance then reverts.
    _send(gov.address, vault.address, vault.setRebalancesPaused.encode_input(True), priority_gwei=20)
    wait_until(lambda: pending_from(gov.address), "the pause in the mempool")
    web3.provider.make_request("evm_mine", [])
    thread.join(timeout=60)
    receipt = web3.eth.get_transaction_receipt(ours["hash"])
    assert receipt["status"] == 0
    assert keeper.consecutive_failures == 1
    row = keeper.journal.last(1)[0]
    assert row["status"] == "failed" and row["tx_hash"] == ours["hash"]
    assert row["reason"].startswith(
        f"tick_failed: TransactionRevertedError: transaction {ours['hash']} reverted in block"
    )
    assert "RiskParityVaultRebalancesPaused" in row["reason"]


def test_send__dropped_tx__rebroadcast_byte_for_byte_with_same_hash(vault_env, keeper_config, pending_from, wait_until):
    keeper = Keeper(keeper_config(transactions={"receipt_timeout_s": 30, "max_replacements": 0}))
    me = keeper.client.signer.address
    nonce = web3.eth.get_transaction_count(me)
    snap, proposal = keeper.decide()
    data = keeper.rebalance_calldata(snap, proposal)
    web3.provider.make_request("evm_setAutomine", [False])
    thread, box = _in_thread(lambda: keeper.client.send(keeper.vault, data))
    first = wait_until(lambda: pending_from(me), "the keeper's rebalance in the mempool")[0]
    raw = web3.provider.make_request("eth_getRawTransactionByHash", [first["hash"]])["result"]
    web3.provider.make_request("anvil_dropTransaction", [first["hash"]])
    assert pending_from(me) == []
    again = wait_until(lambda: pending_from(me), "the keeper to re-broadcast")[0]
    assert again["hash"] == first["hash"]
    assert web3.provider.make_request("eth_getRawTransactionByHash", [again["hash"]])["result"] == raw
    web3.provider.make_request("evm_mine", [])
    thread.join(timeout=60)
    outcome = box["out"]
    assert not isinstance(outcome, Exception), outcome
    assert outcome.tx_hash == first["hash"] and outcome.replacements == 0
    assert keeper.client.rebroadcasts >= 1
    assert web3.eth.get_transaction_count(me) == nonce + 1  # one nonce used: never re-signed
    assert vault_env["vault"].epoch() == 1


@pytest.mark.parametrize("origin", ["another_process", "before_restart"])
def test_send__nonce_gap__refused_with_what_to_do(vault_env, keeper_config, pending_from, origin):
    cfg = keeper_config(transactions={"receipt_timeout_s": 0.5, "max_replacements": 0})
    me = Keeper(cfg).client.signer.address
    web3.provider.make_request("evm_setAutomine", [False])
    if origin == "another_process":
        _send(me, me)  # the same key used elsewhere
    else:
        earlier = Keeper(cfg)
        with pytest.raises(TransactionStuckError):
            earlier.tick()  # left pending; then the keeper restarts
    assert len(pending_from(me)) == 1
    restarted = Keeper(cfg)
    with pytest.raises(NonceGapError, match=r"pending transaction\(s\) \(nonces \d+\.\.\d+.*cancel.*refuses to send"):
        restarted.tick()
    assert len(pending_from(me)) == 1  # nothing queued behind it


def test_guarded_tick__reorg_drops_rebalance_before_confirmations__reorg_error_journaled(
    vault_env, keeper_config, wait_until
):
    keeper = Keeper(keeper_config(transactions={"confirmations": 2}))
    me = keeper.client.signer.address
    nonce = web3.eth.get_transaction_count(me)
    keeper.check()
    # anvil_reorg answers "Required data unavailable" on this chain (brownie's isolation reverts snapshots), so
    # the reorg is a revert to a snapshot taken before the rebalance: its block leaves the chain the same way.
    before = web3.provider.make_request("evm_snapshot", [])["result"]
    # Drop the block only once the keeper holds the receipt and counts confirmations: earlier, the transaction
    # is merely missing, and the keeper rightly re-broadcasts it byte for byte (a different scenario).
    confirming = threading.Event()
    await_confirmations = keeper.client._await_confirmations

    def entered(receipt: Any) -> Any:
        confirming.set()
        return await_confirmations(receipt)

    keeper.client._await_confirmations = entered  # type: ignore[method-assign]
    thread, _ = _in_thread(keeper.guarded_tick)
    wait_until(lambda: web3.eth.get_transaction_count(me) > nonce, "the rebalance to be mined")
    assert confirming.wait(30), "the keeper never started counting confirmations"
    mined_at = web3.eth.block_number
    assert vault_env["vault"].epoch() == 1
    assert web3.provider.make_request("evm_revert", [before])["result"] is True
    for _ in range(3):
        web3.provider.make_request("evm_mine", [])  # the new branch grows past the old one
    thread.join(timeout=60)
    assert web3.eth.block_number >= mined_at + 2
    assert vault_env["vault"].epoch() == 0
    assert keeper.consecutive_failures == 1
    row = keeper.journal.last(1)[0]
    assert row["status"] == "failed" and row["reason"].startswith("tick_failed: ReorgError: transaction ")
    assert row["tx_hash"] and f"mined in block {mined_at}" in row["reason"]


def test_send__confirmations__done_only_after_blocks_on_top(vault_env, keeper_config, wait_until):
    keeper = Keeper(keeper_config(transactions={"confirmations": 2}))
    me = keeper.client.signer.address
    nonce = web3.eth.get_transaction_count(me)
    thread, box = _in_thread(keeper.tick)
    wait_until(lambda: web3.eth.get_transaction_count(me) > nonce, "the rebalance to be mined")
    web3.provider.make_request("evm_mine", [])
    assert thread.is_alive() and "out" not in box  # one block on top: not done yet
    web3.provider.make_request("evm_mine", [])
    thread.join(timeout=60)
    result = box["out"]
    assert not isinstance(result, Exception), result
    assert web3.eth.block_number >= result.outcome.block + 2
    assert result.record.decision == "rebalance" and result.record.status == "ok"


# ---------------------------------------------------------------------------------------------------------------
# Start-up checks: a refusal with what to fix, exit code 2, no tick
# ---------------------------------------------------------------------------------------------------------------


def _break_lens_code(vault_env: dict[str, Any]) -> None:
    web3.provider.make_request("anvil_setCode", [vault_env["vault"].lens(), "0x"])


STARTUP_FAULTS = {
    "wrong_chain_id": (lambda env: None, {"chain": {"chain_id": 1}}, ConfigError, "is chain 1337"),
    "no_vault_code": (
        lambda env: None,
        {"chain": {"vault": "0x000000000000000000000000000000000000dEaD"}},
        ConfigError,
        "no contract code at vault",
    ),
    "signer_without_keeper_role": (
        lambda env: None,
        {"signer": {"private_key_env": "NOT_A_KEEPER_KEY"}},
        SignerError,
        "lacks KEEPER_ROLE on vault .*grantRole",
    ),
    "lens_without_code": (_break_lens_code, {}, ConfigError, "which has no code"),
    "lens_of_another_version": (lambda env: None, {}, ConfigError, "reports VERSION 1, this keeper reads version 99"),
}


@pytest.mark.parametrize("fault", list(STARTUP_FAULTS))
def test_run__startup_check_fails__refuses_with_fix_and_exits_2(vault_env, keeper_config, key_of, monkeypatch, fault):
    prepare, sections, error, message = STARTUP_FAULTS[fault]
    monkeypatch.setenv("NOT_A_KEEPER_KEY", key_of(7))
    if fault == "lens_of_another_version":
        monkeypatch.setattr(keeper.chain, "LENS_VERSION", 99)
    prepare(vault_env)
    k = Keeper(keeper_config(**sections))
    with pytest.raises(error, match=message):
        k.check()
    assert k.run(install_signals=False) == EXIT_CONFIG
    assert k.journal.count() == 0  # refused before any tick


def test_check__dry_run_without_key__skips_role_check_and_passes(vault_env, keeper_config, monkeypatch):
    cfg = replace(keeper_config(), dry_run=True)
    monkeypatch.delenv("KEEPER_PRIVATE_KEY")
    k = Keeper(cfg)
    assert k.client.signer is None
    k.check()  # chain, vault code and lens are fine, and there is no signer whose role to check
