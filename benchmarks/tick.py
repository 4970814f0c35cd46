"""Time one keeper tick (read + decide) for 5 and 16 assets with 500 rounds of feed history each, reading the
history in JSON-RPC batches against one call per round, side by side in the same run on the same chain.

    .venv/bin/python benchmarks/tick.py            # starts its own anvil on a free port; ~1 minute

Read = the keeper's feed-history read (``ChainClient.feed_history``): cold (a keeper's first tick: every round)
and warm (a later tick: one new round per feed, the rest from the cache). Decide = the engine's
``propose`` (resample -> EWMA covariance -> risk-budget solve -> policy -> plan) on those histories. Writes
benchmarks/results/tick.json and prints the table for benchmarks/README.md.
"""

from __future__ import annotations

import json
import platform
import socket
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devworld.devnet import ChainSpec, LocalChain  # noqa: E402
from keeper.chain import ChainClient, connect  # noqa: E402
from keeper.config import parse_keeper_config  # noqa: E402
from keeper.engine import propose  # noqa: E402
from keeper.outcomes import Action  # noqa: E402
from keeper.snapshot import AssetState, Snapshot  # noqa: E402
from keeper.units import BASE_PRICE, oracle_price  # noqa: E402

ROUNDS = 500
SIZES = (5, 16)
REPEATS = 5
STEP_S = 3600
RESULTS = ROOT / "benchmarks" / "results" / "tick.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _deploy_feeds(w3, n: int, sender: str) -> list[str]:
    art = json.loads((ROOT / "build" / "contracts" / "PriceFeed.json").read_text())
    contract = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    addresses = []
    for i in range(n):
        tx = contract.constructor(8, f"ASSET{i} / USD", 100 * 10**8, sender).transact({"from": sender})
        addresses.append(w3.eth.wait_for_transaction_receipt(tx)["contractAddress"])
    return addresses


def _fill_history(w3, feeds: list[str], sender: str, seed: int) -> None:
    """ROUNDS - 1 more rounds per feed, one hour apart, from a correlated random walk."""
    rng = np.random.default_rng(seed)
    n = len(feeds)
    vols = np.linspace(0.2, 1.0, n)
    prices = np.full(n, 100.0)
    selector = "0x" + w3.keccak(text="submit(int256)")[:4].hex()
    gas_price = 2 * int(w3.eth.get_block("latest")["baseFeePerGas"]) + 10**9
    nonce = w3.eth.get_transaction_count(sender)
    for _ in range(ROUNDS - 1):
        w3.provider.make_request("evm_increaseTime", [STEP_S])
        common = rng.standard_normal()
        z = 0.6 * common + 0.8 * rng.standard_normal(n)
        prices *= np.exp(vols * np.sqrt(STEP_S / 31_536_000) * z)
        # Explicit nonces: the node may take a batch's requests in any order.
        batch = [
            (
                "eth_sendTransaction",
                [
                    {
                        "from": sender,
                        "to": f,
                        "gas": hex(100_000),
                        "gasPrice": hex(gas_price),
                        "nonce": hex(nonce + k),
                        "data": selector + int(p * 1e8).to_bytes(32, "big").hex(),
                    }
                ],
            )
            for k, (f, p) in enumerate(zip(feeds, prices, strict=True))
        ]
        nonce += len(batch)
        responses = w3.provider.make_batch_request(batch)
        errors = [r["error"] for r in responses if "error" in r]
        if errors:
            raise RuntimeError(f"publishing rounds failed: {errors[0]}")
        # anvil answers with the hash before it has mined the transaction; the next step's time jump must come
        # after this step's rounds.
        w3.eth.wait_for_transaction_receipt(responses[-1]["result"], poll_latency=0.002)


def _state(feeds: list[str], histories, timestamp: int) -> Snapshot:
    """A vault of 400k USDC and 600k USD spread over the feeds' tokens, in the keeper's frame."""
    assets = [
        AssetState(
            token="0x" + "00" * 19 + "01",
            feed="0x" + "00" * 20,
            heartbeat_s=10**9,
            token_decimals=6,
            feed_decimals=8,
            min_price=1,
            max_price=10**30,
            balance=400_000 * 10**6,
            answer=10**8,
            updated_at=timestamp,
            target_bps=0,
            budget_bps=0,
            price=BASE_PRICE,
            price_base=1.0,
            value_base=400_000.0,
        )
    ]
    for i, f in enumerate(feeds):
        h = histories[f]
        price = oracle_price(h.answers[-1], 8, 18, 10**8, 8, 6)
        balance = (600_000 // len(feeds)) * 10**18 * 10**8 // h.answers[-1]
        assets.append(
            AssetState(
                token=f"0x{i + 2:040x}",
                feed=f,
                heartbeat_s=10**9,
                token_decimals=18,
                feed_decimals=8,
                min_price=1,
                max_price=10**30,
                balance=balance,
                answer=h.answers[-1],
                updated_at=h.updated_at[-1],
                target_bps=0,
                budget_bps=10_000 // len(feeds),
                price=price,
                price_base=price.per_whole(18, 6),
                value_base=price.value(balance) / 10**6,
                history=h,
            )
        )
    return Snapshot(
        block=0,
        timestamp=timestamp,
        head_age_s=0.0,
        epoch=0,
        last_rebalance_at=0,
        max_slippage_bps=100,
        max_nav_loss_bps=50,
        max_turnover_bps=5000,
        cooldown_s=3600,
        deposits_paused=False,
        rebalances_paused=False,
        total_supply=1,
        nav_ok=True,
        nav=10**12,
        assets=tuple(assets),
    )


def main() -> None:
    cfg = parse_keeper_config(
        {
            "chain": {"rpc_urls": ["http://127.0.0.1:1"], "deployment": "x"},
            "risk": {"interval_s": STEP_S, "lookback_s": ROUNDS * STEP_S},
            "dry_run": True,
        }
    )
    rows = []
    with LocalChain(ChainSpec(kind="anvil", port=_free_port())) as chain:
        w3 = connect(chain.url)
        sender = w3.eth.accounts[0]
        for n in SIZES:
            t0 = time.perf_counter()
            feeds = _deploy_feeds(w3, n, sender)
            _fill_history(w3, feeds, sender, seed=n)
            print(f"{n} feeds x {ROUNDS} rounds published in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
            for batched in (True, False):
                client = ChainClient([chain.url])
                cold, warm, decide = [], [], []
                for _ in range(REPEATS):
                    client.clear_history_cache()
                    t = time.perf_counter()
                    hist = client.feed_history(feeds, ROUNDS, batched=batched)
                    cold.append(time.perf_counter() - t)
                    w3.provider.make_request("evm_increaseTime", [STEP_S])
                    for f in feeds:  # one new round per feed, as between two ticks
                        w3.eth.send_transaction(
                            {
                                "from": sender,
                                "to": f,
                                "data": "0x"
                                + w3.keccak(text="submit(int256)")[:4].hex()
                                + (hist[f].answers[-1]).to_bytes(32, "big").hex(),
                            }
                        )
                    t = time.perf_counter()
                    hist = client.feed_history(feeds, ROUNDS, batched=batched)
                    warm.append(time.perf_counter() - t)
                    now = int(w3.eth.get_block("latest")["timestamp"])
                    snap = _state(feeds, hist, now)
                    t = time.perf_counter()
                    p = propose(snap, cfg)
                    decide.append(time.perf_counter() - t)
                assert all(len(h.round_ids) == ROUNDS for h in hist.values()), [len(h.round_ids) for h in hist.values()]
                assert p.action in (Action.HOLD, Action.REBALANCE, Action.SKIP)
                rows.append(
                    {
                        "assets": n,
                        "rounds": ROUNDS,
                        "mode": "batched" if batched else "one_call_per_round",
                        "read_cold_ms": statistics.median(cold) * 1e3,
                        "read_warm_ms": statistics.median(warm) * 1e3,
                        "decide_ms": statistics.median(decide) * 1e3,
                        "tick_cold_ms": statistics.median(c + d for c, d in zip(cold, decide, strict=True)) * 1e3,
                        "tick_warm_ms": statistics.median(c + d for c, d in zip(warm, decide, strict=True)) * 1e3,
                        "decision": p.action.value,
                        "reason": p.text,
                    }
                )
    result = {"machine": f"{platform.platform()}, {platform.python_version()}", "repeats": REPEATS, "rows": rows}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print("| assets | history read | read, cold | read, warm | decide | tick, cold | tick, warm |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['assets']} | {r['mode'].replace('_', ' ')} | {r['read_cold_ms']:.0f} ms | "
            f"{r['read_warm_ms']:.1f} ms | {r['decide_ms']:.1f} ms | {r['tick_cold_ms']:.0f} ms | "
            f"{r['tick_warm_ms']:.1f} ms |"
        )
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
