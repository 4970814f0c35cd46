"""The dashboard's JSON (``/api/state``) without a chain: symbols not addresses, a NAV that says why it is
unavailable instead of 0, the keeper's health from its journal, a node error as a banner string, and the server's
routes, host check and package data."""

from __future__ import annotations

import ast
import json
import re
import threading
from pathlib import Path

import pytest
import requests

from keeper.config import parse_keeper_config
from keeper.dashboard import (
    Dashboard,
    KeeperHealth,
    journal_json,
    json_safe,
    keeper_health,
    share_price,
    vault_json,
)
from keeper.engine import propose
from keeper.errors import ConfigError, NodeUnreachableError
from keeper.journal import Journal, TickRecord
from keeper.outcomes import Action, Reason, Status
from keeper.snapshot import build_snapshot

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_700_000_000
USDC, WBTC = "0x" + "11" * 20, "0x" + "22" * 20
ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _snapshot(*, wbtc_updated_at: int = NOW, nav_ok: bool = True, supply: int = 100_000 * 10**12):
    configs = [(USDC, "0xfeed01", 86_400, 6, 8, 1, 2**200), (WBTC, "0xfeed02", 3_600, 8, 8, 1, 2**200)]
    view = (
        3, 0, (100, 50, 5000, 3600), False, False, 0,
        supply,  # 12-decimal shares
        nav_ok, 150_000 * 10**6, configs, [5000, 5000], [0, 10_000],
        [100_000 * 10**6, 5 * 10**7],  # 100,000 USDC and 0.5 WBTC at 100,000 USD
        [10**8, 100_000 * 10**8], [NOW, wbtc_updated_at],
    )  # fmt: skip
    return build_snapshot(view, block=7, timestamp=NOW, head_age_s=0, symbols=["USDC", "WBTC"])


def _config(tmp_path: Path):
    raw = {
        "chain": {"rpc_urls": ["http://127.0.0.1:1"], "deployment": "x.json"},
        "journal": str(tmp_path / "journal.sqlite"),
        "schedule": {"interval_s": 60, "max_consecutive_failures": 3},
    }
    return parse_keeper_config(raw, "dash.yaml")


def test_vault_json__numbers_by_symbol_never_addresses() -> None:
    v = vault_json(_snapshot(), 12)
    assert v["nav_ok"] and v["nav"] == 150_000.0 and v["nav_text"] == "NAV 150,000.00 USDC"
    assert v["share_price"] == pytest.approx(1.5, rel=1e-9)  # 150,000 USDC over 100,000 shares
    assert v["total_supply"] == "100,000.00"  # in the vault's own decimals() (12 here)
    assert vault_json(_snapshot(), 18)["total_supply"] == "0.1"
    rows = {a["symbol"]: a for a in v["assets"]}
    assert set(rows) == {"USDC", "WBTC"}
    assert rows["WBTC"]["holding"] == "0.5" and rows["WBTC"]["weight"] == pytest.approx(50_000 / 150_000)
    assert rows["WBTC"]["budget"] == 1.0 and rows["WBTC"]["feed_age_s"] == 0 and not rows["WBTC"]["stale"]
    assert v["health_factor"] is None  # no debt: the page says so instead of an infinite number
    assert not ADDRESS.search(json.dumps(v, allow_nan=False))


def test_share_price__empty_vault__reads_one_like_convert_to_assets() -> None:
    empty = build_snapshot(
        (0, 0, (100, 50, 5000, 3600), False, False, 0, 0, True, 0, [(USDC, "0xf", 1, 6, 8, 1, 2)], [10_000], [0],
         [0], [10**8], [NOW]),
        block=1, timestamp=NOW, head_age_s=0,
    )  # fmt: skip
    assert share_price(empty) == 1.0  # convertToAssets(1e12): 1e12 * (0 + 1) / (0 + 1e6) = 1e6 raw = 1 USDC


def test_vault_json__stale_feed__nav_unavailable_with_the_reason_never_zero() -> None:
    v = vault_json(_snapshot(wbtc_updated_at=NOW - 5_400, nav_ok=False), 12)
    assert v["nav"] is None and v["share_price"] is None and v["leverage"] is None
    assert v["nav_text"].startswith("NAV unavailable: feed 0xfeed02 for WBTC is stale since 2023-11-14 21:43:20 UTC")
    wbtc = next(a for a in v["assets"] if a["symbol"] == "WBTC")
    assert wbtc["stale"] and wbtc["feed_age_s"] == 5_400 and wbtc["weight"] is None


def test_keeper_health__journal_rows__ok_failing_silent_and_no_ticks() -> None:
    def row(decision: str, at: float) -> dict:
        return {"decision": decision, "started_at": at, "status": "ok", "reason": decision}

    health = keeper_health([], now=NOW, interval_s=60, max_failures=3)
    assert health["health"] == KeeperHealth.NO_TICKS
    health = keeper_health([row("hold", NOW - 30)], now=NOW, interval_s=60, max_failures=3)
    assert health["health"] == KeeperHealth.OK and health["last_tick_age_s"] == 30
    failing = [row("error", NOW - 10), row("error", NOW - 70), row("rebalance", NOW - 130), row("error", NOW - 190)]
    health = keeper_health(failing, now=NOW, interval_s=60, max_failures=3)
    assert health["health"] == KeeperHealth.FAILING and health["consecutive_failures"] == 2
    assert not health["consecutive_failures_capped"]
    health = keeper_health([row("hold", NOW - 181)], now=NOW, interval_s=60, max_failures=3)
    assert health["health"] == KeeperHealth.SILENT


def test_journal_json__rebalance_trades__sentences_with_symbols() -> None:
    trades = json.dumps([[USDC, WBTC, 280 * 10**6, 300_053]])
    row = {
        "id": 4, "started_at": NOW, "block": 9, "chain_time": NOW, "epoch": 3, "decision": "rebalance",
        "status": "ok", "reason": "deviation_above_threshold", "deviation": 0.2, "deviation_after": 0.01,
        "tx_hash": "0xab", "gas_used": 500_000, "trades": trades,
    }  # fmt: skip
    j = journal_json([row], [row], {"total": 1}, _snapshot())
    assert j["rebalances_recent"][0]["trades"] == ["sell 280 USDC for at least 0.00300053 WBTC"]
    assert j["ticks"][0]["deviation"] == 0.2 and j["total"] == 1


class _NodeDown:
    """A keeper whose node does not answer, with a real journal."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def decide(self):
        raise NodeUnreachableError("reading vault keeper view failed 1 times on http://127.0.0.1:1: check the node(s)")


class _Vault:
    """The chain client's ``call`` for the one view the page reads outside the snapshot: ``decimals()``."""

    def call(self, contract: str, address: str, fn: str) -> int:
        assert (contract, fn) == ("RiskParityVault", "decimals")
        return 12


class _Fine(_NodeDown):
    def __init__(self, journal: Journal, cfg) -> None:
        super().__init__(journal)
        self.cfg = cfg
        self.client, self.vault = _Vault(), "0x" + "11" * 20

    def decide(self):
        s = _snapshot()
        return s, propose(s, self.cfg)


@pytest.fixture
def served(tmp_path):
    servers = []

    def serve(keeper_kind):
        cfg = _config(tmp_path)
        journal = Journal(cfg.journal)
        journal.record(TickRecord(Action.HOLD, Reason.BELOW_THRESHOLD, Status.OK, block=6, chain_time=NOW - 60))
        keeper = keeper_kind(journal) if keeper_kind is _NodeDown else keeper_kind(journal, cfg)
        server = Dashboard(cfg, keeper=keeper, clock=lambda: NOW).serve(0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def _get(server, path: str, host: str | None = None) -> requests.Response:
    url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    with requests.Session() as session:
        session.trust_env = False
        return session.get(url, headers={"Host": host} if host else {}, timeout=10)


def test_api_state__node_down__error_for_the_banner_and_the_journal_still_answers(served) -> None:
    server = served(_NodeDown)
    assert server.server_address[0] == "127.0.0.1"
    answer = _get(server, "/api/state")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    state = answer.json()
    assert state["error"].startswith("reading vault keeper view failed") and "vault" not in state
    assert state["journal"]["total"] == 1 and state["keeper"]["last_decision"] == "hold"


def test_api_state__vault_read__plan_rows_by_symbol_and_valid_json(served) -> None:
    answer = _get(served(_Fine), "/api/state")
    text = answer.text
    assert "NaN" not in text and "Infinity" not in text
    state = json.loads(text)
    assert state["error"] is None and state["vault"]["nav"] == 150_000.0
    assert state["plan"]["decision"] == "skip" and state["plan"]["reason"] == "insufficient_history"
    assert state["history"] == [{"block": 7, "chain_time": NOW, "share_price": state["vault"]["share_price"],
                                 "nav": 150_000.0}]  # fmt: skip


def test_server__routes_host_check_and_headers(served) -> None:
    server = served(_NodeDown)
    page = _get(server, "/")
    assert page.status_code == 200 and 'id="nav"' in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert _get(server, "/dashboard.js").headers["Content-Type"].startswith("text/javascript")
    assert _get(server, "/../pyproject.toml").status_code == 404
    assert _get(server, "/api/state", host="attacker.example:80").status_code == 403


def test_pyproject__package_data__ships_every_dashboard_file() -> None:
    section = re.search(
        r"^\[tool\.setuptools\.package-data\]\nkeeper = (\[[^\]]*\])", (ROOT / "pyproject.toml").read_text(), re.M
    )
    assert section is not None
    data = ast.literal_eval(section.group(1))
    shipped = {p.name for pattern in data for p in (ROOT / "keeper").glob(pattern)}
    files = {p.name for p in (ROOT / "keeper" / "dashboard_static").iterdir()}
    assert shipped == files and {"index.html", "dashboard.js", "dashboard.css"} <= files


def test_serve__port_taken__config_error_naming_the_port_and_the_fix(tmp_path) -> None:
    cfg = _config(tmp_path)
    dash = Dashboard(cfg, keeper=_NodeDown(Journal(cfg.journal)))
    taken = dash.serve(0)
    try:
        with pytest.raises(
            ConfigError, match=rf"--port {taken.port}: cannot listen on 127.0.0.1:{taken.port} .*another --port"
        ):
            dash.serve(taken.port)
        with pytest.raises(ConfigError, match="--port 70000: must be 0-65535"):
            dash.serve(70_000)
    finally:
        taken.server_close()


def test_json_safe__non_finite_floats_anywhere__become_null() -> None:
    state = {"a": float("inf"), "b": [1.5, float("nan"), {"c": -float("inf")}], "d": (2, "x")}
    assert json.dumps(json_safe(state), allow_nan=False) == '{"a": null, "b": [1.5, null, {"c": null}], "d": [2, "x"]}'
