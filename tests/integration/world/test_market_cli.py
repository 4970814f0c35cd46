"""`make market` (python -m devworld.market): a running world's market kept alive from the command line: time
moves by the world's step, feeds publish, the pools follow; bad input exits 2 with one line."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from brownie import web3  # type: ignore[attr-defined]

from keeper.deployments import save_deployment

MARKET = [sys.executable, "-m", "devworld.market"]


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture
def deployment_file(world, tmp_path):
    return str(save_deployment(replace(world.deployment, extra={}), tmp_path))


def test_market__three_steps__time_moves_by_the_step_and_feeds_publish(world, deployment_file):
    feed = world.feeds["WBTC"]
    round_before = feed.latestRoundData()[0]
    start = web3.eth.get_block("latest").timestamp
    out = subprocess.run(
        [*MARKET, "--rpc", web3.provider.endpoint_uri, "--deployment", deployment_file, "--speed", "0", "--steps", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    steps = [line for line in out.stdout.splitlines() if line.startswith("step ")]
    assert len(steps) == 3 and "WBTC" in steps[0]
    assert web3.eth.get_block("latest").timestamp >= start + 3 * world.cfg.step_s
    assert feed.latestRoundData()[0] > round_before  # a 1 h step with a 1 h heartbeat publishes every step


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "0"], "--steps 0: must be at least 1"),
        (["--speed", "-1"], "--speed -1: must be 0"),
        (["--deployment", "nowhere.json"], "nowhere.json: no such deployment file: start a world first"),
    ],
)
def test_market__bad_input__exit_2_one_line(deployment_file, args, message):
    base = ["--rpc", web3.provider.endpoint_uri, "--deployment", deployment_file]
    out = subprocess.run([*MARKET, *base, *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: {out.stderr.strip()[7:]}"] and message in out.stderr
    assert "Traceback" not in out.stderr


def test_make_demo__a_chain_already_on_its_port__refuses_to_attach_exit_2():
    # `make demo` runs tools/run_script.py with --own-chain: the chain this test session runs on is such a chain.
    from brownie import network  # type: ignore[attr-defined]

    out = subprocess.run(
        [sys.executable, "tools/run_script.py", "scripts/demo.py", "--network", network.show_active(), "--own-chain"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("error: a chain already listens on 127.0.0.1:") and "Traceback" not in out.stderr
