"""``rp-keeper dashboard``: one page, served on 127.0.0.1, for the people who would rather look than read.

The page (``keeper/dashboard_static/``: HTML, CSS and plain-SVG charts in JavaScript, no third-party code) polls
``/api/state`` every few seconds. Each request reads one snapshot through the keeper's own path
(:meth:`keeper.daemon.Keeper.decide`: ``chain.snapshot`` then ``engine.propose``, dry-run, as ``rp-keeper plan``
does) and the keeper's journal, and answers one JSON document built by the pure functions below. A node that
does not answer becomes an ``error`` string the page shows as a banner; the journal part still answers.

Served with the standard library's ``ThreadingHTTPServer``: three static files and one JSON route need no
framework. Bound to 127.0.0.1 only, and requests naming another host are refused (a page elsewhere cannot reach
it through DNS rebinding).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from keeper.errors import ConfigError, KeeperError
from keeper.outcomes import Action, TextEnum
from keeper.present import base_symbol, human, nav_text, trade_line
from keeper.snapshot import Snapshot, utc

if TYPE_CHECKING:
    from keeper.config import KeeperConfig
    from keeper.daemon import Keeper
    from keeper.engine import Proposal

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8050
REFRESH_S = 5.0
"""How often the page asks for a new state."""
SHARE_DECIMALS_OFFSET = 6
"""The vault's ERC-4626 decimals offset (``_decimalsOffset``): the virtual shares in its share price."""
RECENT_TICKS = 100
"""Journal rows the deviation chart and the failure count look at."""
RECENT_REBALANCES = 10
HISTORY_POINTS = 500
"""Share-price points the server keeps (one per new block it read) for the page's chart."""
SILENT_INTERVALS = 3
"""A keeper whose last tick is older than this many schedule intervals is reported silent."""
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class KeeperHealth(TextEnum):
    """The keeper as its journal shows it."""

    OK = "ok"
    """The last tick succeeded and is recent."""
    FAILING = "failing"
    """The last tick (or several in a row) failed."""
    SILENT = "silent"
    """No tick for SILENT_INTERVALS schedule intervals: the daemon is stopped or stuck."""
    NO_TICKS = "no_ticks"
    """The journal is empty: the keeper never ran against it."""


# ---------------------------------------------------------------------------------------------------------------
# The state document: pure functions of a snapshot, a proposal and journal rows
# ---------------------------------------------------------------------------------------------------------------


def _finite(x: float | None) -> float | None:
    """JSON has no Inf or NaN: those become null (the page says what null means where it shows one)."""
    return float(x) if x is not None and math.isfinite(x) else None


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (anywhere in nested dicts and lists) replaced by None, so the answer
    is always valid JSON whatever a number came out as."""
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def share_price(s: Snapshot) -> float:
    """Base-asset units per whole share, as the vault's ``convertToAssets(10**decimals)`` prices it (virtual shares
    and assets included, so an empty vault reads 1)."""
    offset = 10**SHARE_DECIMALS_OFFSET
    return float(offset * (s.nav + 1) / (s.total_supply + offset))


def vault_json(s: Snapshot, share_decimals: int) -> dict[str, Any]:
    """The vault at the snapshot's block: NAV (or why there is none), share price, leverage, health factor,
    pauses, and one row per registry entry by symbol (holding, value, weight of NAV, target, budget, feed age).
    ``share_decimals`` is the vault's own ``decimals()``."""
    nav_ok = s.nav_ok
    nav_base = s.nav / s.base_unit if nav_ok else None
    gross = sum(a.value_base for a in s.assets)
    assets = []
    for a in s.assets:
        age = s.timestamp - a.updated_at if a.updated_at else None
        assets.append(
            {
                "symbol": a.label,
                "holding": human(a.balance + a.collateral, a.token_decimals),
                "supplied": human(a.collateral, a.token_decimals) if a.collateral else None,
                "value": a.value_base,
                "weight": a.value_base / s.nav_base if nav_ok and s.nav_base > 0 else None,
                "target": a.target_bps / 10_000,
                "budget": a.budget_bps / 10_000,
                "price": a.answer / 10**a.feed_decimals,
                "feed_age_s": age,
                "heartbeat_s": a.heartbeat_s,
                "stale": age is None or age > a.heartbeat_s or a.answer <= 0,
            }
        )
    lev = s.leverage
    return {
        "block": s.block,
        "chain_time": s.timestamp,
        "chain_time_text": utc(s.timestamp),
        "head_age_s": _finite(s.head_age_s),
        "epoch": s.epoch,
        "base": base_symbol(s),
        "nav_ok": nav_ok,
        "nav": nav_base,
        "nav_text": nav_text(s),
        "share_price": share_price(s) if nav_ok else None,
        "total_supply": human(s.total_supply, share_decimals),
        "gross": gross,
        "debt": s.debt / s.base_unit,
        "leverage": s.gross_leverage if nav_ok else None,
        "max_leverage": lev.max_leverage if lev else None,
        "health_factor": _finite(s.health_factor) if s.debt else None,
        "min_health_factor": lev.min_health_factor if lev else None,
        "ripcord_health_factor": lev.ripcord_health_factor if lev else None,
        "loss_budget_used": s.loss_budget_used,
        "deposits_paused": s.deposits_paused,
        "rebalances_paused": s.rebalances_paused,
        "assets": assets,
    }


def plan_json(s: Snapshot, p: Proposal, trigger: float) -> dict[str, Any]:
    """What the keeper would do now (``rp-keeper plan``): decision and reason, the largest risk-contribution gap,
    and weights against targets and risk contributions against budget for the risk-budgeted assets, by symbol."""
    rows = []
    if p.weights is not None and p.target_weights is not None and p.risk_contributions is not None:
        for j, i in enumerate(p.risky):
            rows.append(
                {
                    "symbol": s.assets[i].label,
                    "weight": float(p.weights[j]),
                    "target": float(p.target_weights[j]),
                    "rc": float(p.risk_contributions[j]),
                    "budget": float(p.budget[j]) if p.budget is not None else None,
                }
            )
    return {
        "decision": p.action.value,
        "reason": p.reason.value,
        "text": p.text,
        "deviation": _finite(p.deviation),
        "deviation_after": _finite(p.deviation_after),
        "trigger": trigger,
        "forecast_vol": _finite(p.forecast_vol),
        "exposure_target": _finite(p.exposure_target),
        "leverage_target": _finite(p.leverage_target),
        "rows": rows,
        "trades": [trade_line(s, *t.as_tuple()) for t in p.trades],
    }


def _trades_text(row: dict[str, Any], s: Snapshot | None) -> list[str]:
    """A journaled rebalance's trades as sentences with symbols (addresses when no snapshot could be read)."""
    try:
        trades = json.loads(row["trades"]) if row.get("trades") else []
    except ValueError:
        return [str(row["trades"])]
    out = []
    for t in trades:
        token_in, token_out, amount_in, min_out = t
        if s is not None:
            out.append(trade_line(s, str(token_in), str(token_out), int(amount_in), int(min_out)))
        else:
            out.append(f"sell {amount_in} of {token_in} for at least {min_out} of {token_out}")
    return out


def _tick_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["started_at"],
        "block": row["block"],
        "chain_time": row["chain_time"],
        "epoch": row["epoch"],
        "decision": row["decision"],
        "status": row["status"],
        "reason": row["reason"],
        "deviation": _finite(row["deviation"]),
        "deviation_after": _finite(row["deviation_after"]),
        "tx_hash": row["tx_hash"],
        "gas_used": row["gas_used"],
    }


def keeper_health(
    recent: Sequence[dict[str, Any]], *, now: float, interval_s: float, max_failures: int
) -> dict[str, Any]:
    """The keeper's health from its journal's recent rows (newest first): the last tick, how long ago (wall
    clock), the failed ticks in a row at the top of the journal, and one :class:`KeeperHealth` verdict."""
    if not recent:
        return {"health": KeeperHealth.NO_TICKS.value, "consecutive_failures": 0, "max_failures": max_failures}
    failures = 0
    for row in recent:
        if row["decision"] != Action.ERROR.value:
            break
        failures += 1
    last = recent[0]
    age = max(0.0, now - float(last["started_at"]))
    if failures:
        health = KeeperHealth.FAILING
    elif age > SILENT_INTERVALS * interval_s:
        health = KeeperHealth.SILENT
    else:
        health = KeeperHealth.OK
    return {
        "health": health.value,
        "last_tick_at": float(last["started_at"]),
        "last_tick_age_s": age,
        "last_decision": last["decision"],
        "last_status": last["status"],
        "last_reason": last["reason"],
        "consecutive_failures": failures,
        "consecutive_failures_capped": failures == len(recent),
        "max_failures": max_failures,
        "interval_s": interval_s,
    }


def journal_json(
    recent: Sequence[dict[str, Any]],
    rebalances: Sequence[dict[str, Any]],
    counts: dict[str, Any],
    s: Snapshot | None,
) -> dict[str, Any]:
    """The journal as the page shows it: totals, the last rebalances with their trades by symbol, and the recent
    ticks' risk-contribution gaps (oldest first, for the chart)."""
    return {
        **counts,
        "rebalances_recent": [{**_tick_json(r), "trades": _trades_text(r, s)} for r in rebalances],
        "ticks": [_tick_json(r) for r in reversed(recent)],
    }


# ---------------------------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Point:
    block: int
    chain_time: int
    share_price: float | None
    nav: float | None


class Dashboard:
    """One keeper config's page: reads the chain the way ``rp-keeper plan`` does and the keeper's journal.

    Never signs: the config's signer is dropped and dry-run forced, so the page needs no key. Reads are retried
    once (the page asks again in a few seconds anyway)."""

    def __init__(self, cfg: KeeperConfig, *, keeper: Keeper | None = None, clock: Any = time.time) -> None:
        from keeper.config import SignerSettings
        from keeper.daemon import Keeper

        self.cfg = replace(
            cfg,
            dry_run=True,
            signer=SignerSettings(private_key_env=None),
            chain=replace(cfg.chain, read_retries=1),
        )
        self.keeper = keeper or Keeper(self.cfg)
        self.clock = clock
        self._lock = threading.Lock()
        self._history: deque[_Point] = deque(maxlen=HISTORY_POINTS)
        self._share_decimals: int | None = None

    def state(self) -> dict[str, Any]:
        """One state document: the chain part from one snapshot (or ``error`` saying why not) and the journal."""
        with self._lock:
            return self._state()

    def _state(self) -> dict[str, Any]:
        snap: Snapshot | None = None
        out: dict[str, Any] = {
            "generated_at": self.clock(),
            "refresh_s": REFRESH_S,
            "trigger": self.cfg.policy.trigger_rc_deviation,
            "error": None,
        }
        try:
            snap, proposal = self.keeper.decide()
            if self._share_decimals is None:  # fixed at deployment: read once
                self._share_decimals = int(self.keeper.client.call("RiskParityVault", self.keeper.vault, "decimals"))
            out["vault"] = vault_json(snap, self._share_decimals)
            out["plan"] = plan_json(snap, proposal, self.cfg.policy.trigger_rc_deviation)
            self._remember(out["vault"])
        except KeeperError as exc:
            out["error"] = " ".join(str(exc).split())
        except Exception as exc:  # noqa: BLE001 - the page shows what failed instead of the server dying
            log.exception("dashboard state read failed")
            out["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        if out["error"]:
            log.warning("dashboard chain read failed: %s", out["error"])
        journal = self.keeper.journal
        recent = journal.last(RECENT_TICKS)
        counts: dict[str, Any] = {
            "path": self.cfg.journal,
            "total": journal.count(),
            "rebalances": journal.count(Action.REBALANCE),
            "errors": journal.count(Action.ERROR),
        }
        out["journal"] = journal_json(recent, journal.last_of(Action.REBALANCE, RECENT_REBALANCES), counts, snap)
        out["keeper"] = keeper_health(
            recent,
            now=self.clock(),
            interval_s=self.cfg.schedule.interval_s,
            max_failures=self.cfg.schedule.max_consecutive_failures,
        )
        out["history"] = [p.__dict__ for p in self._history]
        return dict(json_safe(out))

    def _remember(self, vault: dict[str, Any]) -> None:
        if self._history and vault["block"] < self._history[-1].block:
            self._history.clear()  # the chain went back (a reorg or a development chain's revert)
        if not self._history or vault["block"] > self._history[-1].block:
            self._history.append(_Point(vault["block"], vault["chain_time"], vault["share_price"], vault["nav"]))

    def serve(self, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
        """Bind on 127.0.0.1 (``port`` 0 picks a free one); the caller runs ``serve_forever``."""
        if not 0 <= port <= 65_535:
            raise ConfigError(f"--port {port}: must be 0-65535 (0 picks a free port)")
        try:
            server = _Server((HOST, port), _Handler)
        except OSError as exc:
            raise ConfigError(
                f"--port {port}: cannot listen on {HOST}:{port} ({exc.strerror}): stop what uses it or pick "
                "another --port"
            ) from None
        server.dashboard = self
        server.daemon_threads = True
        return server


class _Server(ThreadingHTTPServer):
    dashboard: Dashboard

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def static_text(name: str) -> bytes:
    """A file of the page, from the installed package."""
    return (resources.files("keeper") / "dashboard_static" / name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "rp-keeper-dashboard"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        host = (self.headers.get("Host") or "").lower()
        if host not in {f"{HOST}:{self.server.port}", f"localhost:{self.server.port}"}:
            self._send(HTTPStatus.FORBIDDEN, b"only http://127.0.0.1:PORT/ is served\n", "text/plain")
            return
        path = urlsplit(self.path).path
        if path == "/api/state":
            body = json.dumps(self.server.dashboard.state(), allow_nan=False).encode()
            self._send(HTTPStatus.OK, body, "application/json")
        elif path in STATIC_FILES:
            name, kind = STATIC_FILES[path]
            self._send(HTTPStatus.OK, static_text(name), kind)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away mid-answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        log.debug("dashboard request " + format, *args)
