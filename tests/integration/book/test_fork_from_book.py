"""Deploy from an address book alone onto a fork, then deposit -> keeper tick -> every exit, without internet.

The session's chain stands in for mainnet (tests/helpers/book_world.py: phase-changing feeds, PAXG routed
through WETH, an 18-decimal feed, a holder nobody has the key of). The test writes its address book in
config/mainnet.yaml's format and runs what `make fork-demo` runs (``devworld.devnet serve --fork-url ... --book ...
--fork-demo``) with anvil and with Ganache: the fork starts, scripts/deploy_book.py deploys from the book alone,
scripts/fork_demo.py funds the users by impersonation and runs deposit -> keeper tick -> every exit.
"""

from __future__ import annotations

import json

import pytest
import yaml
from brownie import web3  # type: ignore[attr-defined]

from devworld import devnet
from devworld.devnet import FORK_NETWORK
from keeper.deployments import load_deployment
from keeper.errors import ConfigError
from scripts.address_book import check_book_on_chain, load_book
from tests.helpers.book_world import HOLDER, deploy_book_world

FORK_KINDS = ["anvil", "ganache"]


@pytest.fixture(scope="module")
def stand_in(deployer):
    return deploy_book_world(deployer)


def test_check_book_on_chain__stand_in__reads_decimals_descriptions_and_routes(stand_in, tmp_path):
    book = load_book(stand_in.write_book(tmp_path / "book.yaml", web3.eth.chain_id))
    check = check_book_on_chain(book, web3)
    assert check.feeds["PAXG"].decimals == 18 and check.feeds["PAXG"].description == "XAU / USD"
    assert check.feeds["WBTC"].decimals == 8
    assert "PAXG: swaps through PAXG -> WETH -> USDC" in check.lines


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b: b["assets"]["WBTC"].update(decimals=18),
            r"assets\.WBTC\.decimals: the book says 18, the token reports 8",
        ),
        (lambda b: b["assets"]["WETH"].update(feed=HOLDER), r"assets\.WETH\.feed: no contract code"),
        (lambda b: b["assets"]["PAXG"].pop("route"), r"assets\.PAXG\.route: no Uniswap V2 pair between"),
        (lambda b: b["holders"].update(USDC=b["assets"]["USDC"]["feed"]), r"holders\.USDC: .* holds no USDC"),
        (lambda b: b.update(chain_id=1), r"chain_id: the book says 1, the node reports"),
    ],
)
def test_check_book_on_chain__mistake__names_the_field(stand_in, tmp_path, change, message):
    raw = stand_in.book(web3.eth.chain_id)
    change(raw)
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=message):
        check_book_on_chain(load_book(path), web3)


@pytest.mark.parametrize("kind", FORK_KINDS)
def test_fork_demo__from_book_alone__deposit_tick_and_every_exit(stand_in, kind, tmp_path, monkeypatch):
    upstream = web3.provider.endpoint_uri
    book = stand_in.write_book(tmp_path / "book.yaml", web3.eth.chain_id)
    monkeypatch.setenv("RP_DEPLOYMENTS_DIR", str(tmp_path))
    monkeypatch.setenv("FORK_DEMO_OUT", str(tmp_path / "demo"))
    # What `make fork-demo FORK_URL=... BOOK=...` runs: start the fork, deploy_book.py, fork_demo.py, stop.
    assert devnet.main(["serve", "--chain", kind, "--fork-url", upstream, "--book", str(book), "--fork-demo"]) == 0
    net = FORK_NETWORK[kind]
    dep = load_deployment(net, tmp_path)
    paxg = dep.assets["PAXG"]
    assert paxg.pair is None and [t for _, t in paxg.route] == [paxg.token, dep.assets["WETH"].token]
    assert (tmp_path / f"{net}.keeper.yaml").is_file()

    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert report["holder"] == HOLDER
    tick = report["tick"]
    assert tick["action"] == "rebalance" and tick["tx"], tick
    # The keeper bought the routed asset (through WETH) and the others.
    held = report["held_after_tick"]
    assert all(int(held[s]) > 0 for s in ("WBTC", "WETH", "PAXG")), held
    # Every user left: what remains is the fee recipient's (the timelock's) shares, minted as fees.
    assert report["total_supply_after"] == report["fee_recipient_shares_after"]
    users = report["users"]
    assert users["alice"]["paths"] == ["redeemWithSwap"]
    assert users["carol"]["paths"][0] == "redeem"
    assert users["bob"]["paths"] == ["redeemInKind"]
    assert all(int(users["bob"]["in_kind"][s]) > 0 for s in ("USDC", "WBTC", "WETH", "PAXG"))
    for name in ("alice", "carol"):
        # Fees, two hops of 0.3% on the PAXG slice and price impact on deep pools: under 2% all in.
        assert int(users[name]["withdrawn"]) >= int(users[name]["deposited"]) * 98 // 100, users[name]
