"""MEV against the keeper's rebalance, measured on anvil with automine off.

An attacker (mallory) watches the public mempool (``txpool_content``), finds the keeper's pending rebalance,
front-runs its largest buy with a higher tip and back-runs it with a lower one, then the block is mined. What the
attacker extracts is bounded by the keeper's ``policy.slippage_bps`` (every trade carries a min-out); a front-run
greedier than that makes the rebalance revert on its min-out instead. Sent through ``chain.private_tx_urls`` the
rebalance never shows in the public mempool. The numbers land in benchmarks/results/mev_sandwich.json.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from brownie import accounts, web3  # type: ignore[attr-defined]

from keeper.artifacts import abi
from keeper.daemon import Keeper
from keeper.errors import TransactionRevertedError

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "mev_sandwich.json"
ATTACKER_USDC = 5_000_000


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    yield
    web3.provider.make_request("evm_setAutomine", [True])


@pytest.fixture
def attacker(vault_env):
    """mallory, holding base-asset cash and the router's allowance for every token of the world."""
    world = vault_env["world"]
    mallory = accounts[7]
    world.fund(world.cfg.base, mallory, ATTACKER_USDC * 10**6)
    for token in world.tokens.values():
        token.approve(world.router, 2**256 - 1, {"from": mallory})
    return mallory


def _amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """Uniswap V2's getAmountOut (0.3% fee)."""
    a = amount_in * 997
    return a * reserve_out // (reserve_in * 1000 + a)


def _largest_front_run(victim_in: int, min_out: int, reserve_in: int, reserve_out: int) -> int:
    """The largest front-run (base in) after which the victim still gets ``min_out``: the most a sandwich can
    push the price without making the victim revert."""
    lo, hi = 0, reserve_in
    while lo < hi:
        mid = (lo + hi + 1) // 2
        got = _amount_out(mid, reserve_in, reserve_out)
        if _amount_out(victim_in, reserve_in + mid, reserve_out - got) >= min_out:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _best_sandwich_profit(victim_in: int, reserve_in: int, reserve_out: int, largest: int) -> int:
    """The model's best net profit over front-runs up to ``largest`` (the pool's fees included, gas not)."""
    best = 0
    for step in range(1, 401):
        a = largest * step // 400
        x = _amount_out(a, reserve_in, reserve_out)
        y = _amount_out(victim_in, reserve_in + a, reserve_out - x)
        best = max(best, _amount_out(x, reserve_out - x - y, reserve_in + a + victim_in) - a)
    return best


def _record(key: str, value: dict[str, Any]) -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    data["about"] = (
        "Sandwich of the keeper's largest buy on anvil (tests/service/test_mev.py): the attacker front-runs with "
        "the largest amount that keeps the rebalance above its min-out, back-runs, and keeps the difference in "
        "base-asset units (USDC, 6 decimals). allowance = amount_in * (quote - min_out) / quote, the most the "
        "keeper's slippage setting lets a trade lose. Gas is not counted."
    )
    data[key] = value
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _pending_rebalance(me: str, pending_from: Any, wait_until: Any, node: str | None = None) -> dict[str, Any]:
    return wait_until(lambda: pending_from(me, node), "the keeper's rebalance in the mempool")[0]


def _trades(keeper: Keeper, tx_input: str) -> list[tuple[str, str, int, int]]:
    _, args = keeper.client.contract("IRiskParityVault", keeper.vault).decode_function_input(tx_input)
    params = args["params"]
    trades = params["trades"] if isinstance(params, dict) else params[3]
    return [tuple(t.values()) if isinstance(t, dict) else tuple(t) for t in trades]  # type: ignore[misc]


def _sandwich(vault_env, keeper: Keeper, attacker, tx: dict[str, Any], greed: float) -> dict[str, Any]:
    """Send the front-run (tip 5 gwei) and the back-run (0.5 gwei) around the keeper's rebalance (tip 1 gwei).

    The back-run is returned unsent (``plan["back_run"]``) when ``greed`` > 1: that attacker sells in the next
    block, which leaves the rebalance's block as the state its revert replays on.
    """
    world = vault_env["world"]
    base = world.base.address
    buys = [t for t in _trades(keeper, tx["input"]) if t[0].lower() == base.lower()]
    token_in, token_out, amount_in, min_out = max(buys, key=lambda t: t[2])
    pair = web3.eth.contract(address=world.factory.getPair(base, token_out), abi=abi("UniswapV2Pair"))
    r0, r1, _ = pair.functions.getReserves().call()
    reserve_in, reserve_out = (r0, r1) if pair.functions.token0().call().lower() == base.lower() else (r1, r0)
    quote = _amount_out(amount_in, reserve_in, reserve_out)
    front = int(_largest_front_run(amount_in, min_out, reserve_in, reserve_out) * greed)
    bought = _amount_out(front, reserve_in, reserve_out)
    deadline = web3.eth.get_block("latest")["timestamp"] + 3600
    nonce = web3.eth.get_transaction_count(attacker.address)
    # The back-run bids below the keeper in both fee fields: anvil orders its pool by the fee cap, a builder by
    # the tip; either way the block is front-run, rebalance, back-run.
    legs = ((front, [base, token_out], 5.0, 200.0), (bought, [token_out, base], 0.5, 0.5))
    txs = [
        {
            "from": attacker.address,
            "to": world.router.address,
            "data": world.router.swapExactTokensForTokens.encode_input(amount, 0, path, attacker.address, deadline),
            "nonce": nonce + i,
            "gas": 300_000,
            "maxPriorityFeePerGas": int(tip_gwei * 10**9),
            "maxFeePerGas": int(cap_gwei * 10**9),
        }
        for i, (amount, path, tip_gwei, cap_gwei) in enumerate(legs)
    ]
    for t in txs if greed <= 1 else txs[:1]:
        web3.eth.send_transaction(t)
    return {
        "token_out": token_out,
        "amount_in": amount_in,
        "min_out": min_out,
        "quote": quote,
        "front_run_in": front,
        "victim_out_after_front_run": _amount_out(amount_in, reserve_in + front, reserve_out - bought),
        "allowance": amount_in * (quote - min_out) // quote,
        "pool_base_reserve": reserve_in,
        "best_profit_model": _best_sandwich_profit(
            amount_in, reserve_in, reserve_out, _largest_front_run(amount_in, min_out, reserve_in, reserve_out)
        ),
        "back_run": txs[1] if greed > 1 else None,
    }


def _attack(vault_env, keeper_config, attacker, pending_from, wait_until, *, slippage_bps: int, greed: float):
    world = vault_env["world"]
    keeper = Keeper(keeper_config(policy={"slippage_bps": slippage_bps}, transactions={"receipt_timeout_s": 60}))
    me = keeper.client.signer.address
    usdc_before = world.base.balanceOf(attacker)
    web3.provider.make_request("evm_setAutomine", [False])
    box: dict[str, Any] = {}

    def tick() -> None:
        try:
            box["out"] = keeper.tick()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            box["out"] = exc

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    tx = _pending_rebalance(me, pending_from, wait_until)
    plan = _sandwich(vault_env, keeper, attacker, tx, greed)
    token = next(t for t in world.tokens.values() if t.address.lower() == plan["token_out"].lower())
    got_before = token.balanceOf(vault_env["vault"])
    sent = 2 if plan["back_run"] is None else 1
    wait_until(lambda: len(pending_from(attacker.address)) == sent, "the attack in the mempool")
    web3.provider.make_request("evm_mine", [])
    thread.join(timeout=90)
    if plan["back_run"] is not None:
        web3.eth.send_transaction(plan["back_run"])
        web3.provider.make_request("evm_mine", [])
    profit = world.base.balanceOf(attacker) - usdc_before
    return keeper, tx, plan, box["out"], profit, token.balanceOf(vault_env["vault"]) - got_before


@pytest.mark.parametrize("slippage_bps", [25, 50])
def test_sandwich__public_mempool__extraction_bounded_by_slippage_setting(
    vault_env, keeper_config, attacker, pending_from, wait_until, slippage_bps
):
    keeper, tx, plan, result, profit, got = _attack(
        vault_env, keeper_config, attacker, pending_from, wait_until, slippage_bps=slippage_bps, greed=1.0
    )
    assert not isinstance(result, Exception), result
    assert result.record.decision == "rebalance" and result.outcome.tx_hash == tx["hash"]
    block = web3.eth.get_block(result.outcome.block)
    assert len(block["transactions"]) == 3  # front-run, rebalance, back-run
    assert plan["min_out"] <= got < plan["quote"]  # the rebalance was hurt, but not below its min-out
    assert profit <= plan["allowance"]
    assert plan["best_profit_model"] <= plan["allowance"]  # no front-run size does better
    _record(
        f"sandwich_slippage_{slippage_bps}bps",
        {
            "slippage_bps": slippage_bps,
            "trade_value_base_units": plan["amount_in"],
            "front_run_base_units": plan["front_run_in"],
            "attacker_profit_base_units": profit,
            "attacker_profit_bps_of_trade": round(profit * 10_000 / plan["amount_in"], 2),
            "keeper_shortfall_vs_quote_bps": round((plan["quote"] - got) * 10_000 / plan["quote"], 2),
            "keeper_loss_base_units": plan["amount_in"] * (plan["quote"] - got) // plan["quote"],
            "pool_base_reserve_base_units": plan["pool_base_reserve"],
            "best_attacker_profit_over_front_run_sizes_model_base_units": plan["best_profit_model"],
            "allowance_base_units": plan["allowance"],
            "allowance_bps_of_trade": round(plan["allowance"] * 10_000 / plan["amount_in"], 2),
            "rebalance_reverted": False,
        },
    )


def test_sandwich__front_run_beyond_slippage__rebalance_reverts_on_min_out(
    vault_env, keeper_config, attacker, pending_from, wait_until
):
    keeper, tx, plan, result, profit, got = _attack(
        vault_env, keeper_config, attacker, pending_from, wait_until, slippage_bps=50, greed=2.0
    )
    assert plan["victim_out_after_front_run"] < plan["min_out"]
    assert isinstance(result, TransactionRevertedError), result
    assert result.tx_hash == tx["hash"]
    assert "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT" in str(result)  # the min-out held
    assert got == 0 and vault_env["vault"].epoch() == 0
    assert profit < 0  # the attacker paid both swaps' fees for nothing
    _record(
        "greedy_front_run_slippage_50bps",
        {
            "slippage_bps": 50,
            "trade_value_base_units": plan["amount_in"],
            "front_run_base_units": plan["front_run_in"],
            "attacker_profit_base_units": profit,
            "rebalance_reverted": True,
            "decoded_reason": str(result).split(": ", 1)[1],
        },
    )


def test_tick__private_tx_urls__rebalance_lands_unseen_by_public_mempool(
    vault_env, keeper_config, rpc_proxy, pending_from
):
    public = rpc_proxy()
    builder = rpc_proxy(builder=True, lock=public.lock)
    keeper = Keeper(keeper_config(rpc_urls=[public.url], chain={"private_tx_urls": [builder.url]}))
    me = keeper.client.signer.address
    web3.provider.make_request("evm_setAutomine", [False])
    seen: list[dict[str, Any]] = []
    done = threading.Event()

    def watch() -> None:  # the attacker's view: the public node's mempool
        while not done.is_set():
            seen.extend(pending_from(me, public.url))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = keeper.tick()
    finally:
        done.set()
        watcher.join(timeout=10)
    assert result.record.decision == "rebalance" and vault_env["vault"].epoch() == 1
    assert public.count("txpool_content") > 0  # the watcher was looking
    assert seen == []
    assert public.count("eth_sendRawTransaction") == 0
    assert builder.count("eth_sendRawTransaction") == 1
    assert public.count("eth_getTransactionReceipt") > 0  # receipts still come from the public node
    _record(
        "private_endpoint",
        {
            "rebalance_seen_in_public_mempool": False,
            "public_node_eth_sendRawTransaction_calls": 0,
            "private_endpoint_eth_sendRawTransaction_calls": 1,
            "attacker_profit_base_units": 0,
        },
    )
