"""`rp-keeper dashboard` on the world, looked at in a real headless Chromium: the page shows the vault's numbers
from the chain by symbol, updates itself after a keeper tick rebalances, says why NAV is unavailable instead of 0,
and shows a node that does not answer as a banner.

``DASHBOARD_SCREENSHOT=docs/dashboard.png`` also saves the page after the rebalance there (the README's picture).
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
import yaml
from brownie import chain, web3  # type: ignore[attr-defined]

from keeper.config import load_keeper_config
from keeper.daemon import Keeper
from keeper.outcomes import Action, Status
from tests.helpers.browser import full_page_screenshot, headless_chromium

URL_LINE = re.compile(r"dashboard on (http://127\.0\.0\.1:\d+/)")
WBTC_WEIGHT = '#assets tr[data-symbol="WBTC"] [data-field="weight"]'
PAGE_WAIT_S = 30.0
"""The page polls every 5 s; a state read on a busy 2-core machine takes a few more."""


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


def _config_file(vault_env, tmp_path, rpc_url: str) -> str:
    raw = {
        "chain": {
            "rpc_urls": [rpc_url],
            "chain_id": 1337,
            "deployment": vault_env["deployment_path"],
            "max_head_age_s": 0,
        },
        "transactions": {"confirmations": 0},
        "journal": str(tmp_path / "journal.sqlite"),
    }
    path = tmp_path / "keeper.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dashboard(vault_env, tmp_path) -> Iterator[Callable[..., tuple[str, str]]]:
    """Factory: ``dashboard(rpc_url=None)`` starts `rp-keeper dashboard --port 0` (no key in its environment) and
    returns (its URL, its config file); stopped with SIGTERM afterwards, which must exit 0."""
    procs: list[subprocess.Popen[str]] = []

    def start(rpc_url: str | None = None) -> tuple[str, str]:
        path = _config_file(vault_env, tmp_path, rpc_url or web3.provider.endpoint_uri)
        env = {k: v for k, v in os.environ.items() if k != "KEEPER_PRIVATE_KEY"}
        log = open(tmp_path / "dashboard.log", "w")  # noqa: SIM115 - the process writes it until teardown
        proc = subprocess.Popen(
            [sys.executable, "-m", "keeper", "dashboard", "-c", path, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
        procs.append(proc)
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        found = URL_LINE.search(line)
        assert found, f"no URL line from rp-keeper dashboard: {line!r}; log: {(tmp_path / 'dashboard.log').read_text()}"
        return found.group(1), path

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


@pytest.fixture
def browser() -> Iterator[object]:
    driver = headless_chromium()
    yield driver
    driver.quit()


def _wait_for(condition: Callable[[], object], what: str, timeout_s: float = PAGE_WAIT_S) -> object:
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except Exception as exc:  # noqa: BLE001 - the page is still being drawn; retried until the deadline
            last = exc
        else:
            if last:
                return last
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def _text(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _weight_on_chain(vault_env, symbol: str) -> float:
    """The asset's share of NAV from the chain itself: its balance at its feed price over the base's feed price,
    over ``totalAssets()``."""
    world, vault = vault_env["world"], vault_env["vault"]
    token = world.tokens[symbol]
    held = token.balanceOf(vault) / 10 ** token.decimals()
    value = held * world.feed_price(symbol) / world.feed_price("USDC")
    return value / (vault.totalAssets() / 10**6)


def test_dashboard__chromium__shows_chain_numbers_and_updates_after_a_rebalance(
    vault_env, dashboard, browser, key_of, monkeypatch, tmp_path
):
    url, config = dashboard()
    browser.get(url)
    nav = vault_env["vault"].totalAssets() / 10**6
    _wait_for(lambda: _text(browser, "#nav") == f"{nav:,.2f} USDC", f"NAV {nav:,.2f} USDC on the page")
    assert "rebalances open" in _text(browser, "#pauses") and _text(browser, "#banner") == ""
    assert _text(browser, WBTC_WEIGHT) == "0.00%"  # all cash so far
    symbols = [_text(browser, f"#assets tbody tr:nth-child({i}) td:first-child") for i in range(1, 7)]
    assert symbols == ["USDC", "WBTC", "WETH", "LINK", "XAU", "TBILL"]
    assert _text(browser, "#plan-decision") == "rebalance" and "USDC for at least" in _text(browser, "#plan-trades")
    block_before = _text(browser, "#block")

    monkeypatch.setenv("KEEPER_PRIVATE_KEY", key_of(3))
    keeper = Keeper(load_keeper_config(config))
    result = keeper.tick()
    assert (result.record.decision, result.record.status) == (Action.REBALANCE, Status.OK)

    _wait_for(lambda: _text(browser, "#block") != block_before, "the page to read the block after the rebalance")
    wbtc = _wait_for(lambda: _text(browser, WBTC_WEIGHT) != "0.00%" and _text(browser, WBTC_WEIGHT), "WBTC bought")
    assert float(str(wbtc).rstrip("%")) == pytest.approx(100 * _weight_on_chain(vault_env, "WBTC"), abs=0.006)
    rebalance_row = _wait_for(lambda: _text(browser, "#rebalances tbody tr:first-child"), "the journal's rebalance")
    assert " ok " in f" {rebalance_row} " and "USDC for at least" in str(rebalance_row) and "WBTC" in str(rebalance_row)
    assert _text(browser, "#keeper-health") == "ok" and "1 rebalances" in _text(browser, "#keeper-detail")
    assert browser.find_elements("css selector", "#chart-weights svg rect.now")
    # The chart's filled bars are the weights now, no longer all zero.
    widths = [float(r.get_attribute("width")) for r in browser.find_elements("css selector", "#chart-weights rect.now")]
    assert sum(w > 0 for w in widths[1:]) >= 4  # widths[0] is the legend's swatch
    assert "0x" not in _text(browser, "#assets") and "0x" not in _text(browser, "#chart-weights")

    # Hours of market and a tick after each: the journal's gap chart draws one point per tick.
    for _ in range(4):
        vault_env["sim"].step()
        assert keeper.tick().record.deviation is not None
    path = _wait_for(
        lambda: (
            (d := browser.find_element("css selector", "#chart-deviation path.line").get_attribute("d"))
            and d.count("L") == 4
            and d
        ),
        "the gap chart's five points",
    )
    assert str(path).startswith("M")
    assert browser.find_elements("css selector", "#chart-deviation circle.mark")  # the rebalance, marked
    assert browser.find_elements("css selector", "#chart-price path.line")

    shot = tmp_path / "dashboard.png"
    full_page_screenshot(browser, str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("DASHBOARD_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["DASHBOARD_SCREENSHOT"])


def test_dashboard__stale_feed__nav_unavailable_with_the_reason_not_zero(vault_env, dashboard, browser):
    chain.sleep(200_000)
    chain.mine()
    url, _ = dashboard()
    browser.get(url)
    nav = str(_wait_for(lambda: _text(browser, "#nav").startswith("NAV unavailable") and _text(browser, "#nav"), "NAV"))
    assert re.match(r"NAV unavailable: feed 0x[0-9a-fA-F]{40} for [A-Z]+ is stale since ", nav), nav
    assert "0.00" not in _text(browser, "#nav") and _text(browser, "#share-price") == "unavailable"
    assert "(stale)" in _text(browser, '#assets tr[data-symbol="WBTC"] [data-field="feed-age"]')


def test_dashboard__node_down__banner_and_the_journal_part_still_shown(vault_env, dashboard, browser):
    url, _ = dashboard(rpc_url=f"http://127.0.0.1:{_free_port()}")
    browser.get(url)
    banner = str(_wait_for(lambda: _text(browser, "#banner"), "the node error banner"))
    assert banner.startswith("Node error: reading ") and "check the node" in banner
    assert _text(browser, "#keeper-health") == "no ticks yet" and _text(browser, "#nav") == "-"
