"""The address book's offline checks: config/mainnet.yaml itself (format, EIP-55 checksums, routes), and a
message that names the field for each kind of mistake. No chain is needed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from keeper.artifacts import ROOT
from keeper.errors import ConfigError
from scripts.address_book import load_book

MAINNET = ROOT / "config" / "mainnet.yaml"


def test_load_book__mainnet__valid_with_checksums_and_paxg_routed_through_weth() -> None:
    book = load_book(MAINNET)
    assert book.chain_id == 1 and book.base == "USDC" and list(book.assets)[0] == "USDC"
    assert book.router == "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D"
    assert book.aave_provider == "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e"
    assert book.route_tokens("PAXG") == [
        book.assets["PAXG"].token,
        book.assets["WETH"].token,
        book.assets["USDC"].token,
    ]
    assert book.hub_of("WBTC") is None and set(book.holders) == {"USDC"}
    assert sum(book.risk_budgets_bps().values()) == 10_000
    assert all(a.min_usd is not None and a.heartbeat_s > 0 for a in book.assets.values())


def _mutated(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(MAINNET.read_text())
    change(raw)
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b: b["assets"]["WETH"].update(token=b["assets"]["WETH"]["token"].lower()),
            r"assets\.WETH\.token: 0xc02a.* is not checksummed \(EIP-55\); expected 0xC02aaA39b223FE8D0A0e5C4F27eAD",
        ),
        (lambda b: b["assets"]["LINK"].update(feed="0x1234"), r"assets\.LINK\.feed: '0x1234' is not a 0x address"),
        (lambda b: b["uniswap_v2"].pop("router02"), r"uniswap_v2\.router02: None is not a 0x address"),
        (lambda b: b.update(base="DAI"), r"base: 'DAI' must be one of the assets"),
        (lambda b: b["assets"]["PAXG"].update(route=["GHO"]), r"assets\.PAXG\.route: hub 'GHO' must be another asset"),
        (lambda b: b["assets"]["WETH"].update(route=["LINK"]), r"assets\.PAXG\.route: hub 'WETH' has a route of its"),
        (lambda b: b["assets"]["WBTC"].update(decimals="8"), r"assets\.WBTC\.decimals: '8' must be an integer"),
        (lambda b: b["assets"]["WBTC"].update(max_usd=None), r"assets\.WBTC: min_usd and max_usd go together"),
        (lambda b: b["holders"].update(DAI=b["holders"]["USDC"]), r"holders\.DAI: 'DAI' is not an asset or a hub"),
        (
            lambda b: b["assets"]["WBTC"].update(risk_budget_bps=5000),
            r"risk_budget_bps: give it for every non-base asset",
        ),
    ],
)
def test_load_book__mistake__names_the_field(tmp_path: Path, change, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_book(_mutated(tmp_path, change))
