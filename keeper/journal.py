"""The keeper's journal: one SQLite row per tick (block, decision and its reason, deviation, targets, trades, tx).

SQLite is the embedded default: one file, no server, atomic writes. A restarted keeper reads its last rebalance
and last tick from here.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keeper.outcomes import Action, Reason, Status

SCHEMA = """
CREATE TABLE IF NOT EXISTS ticks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at    REAL    NOT NULL,   -- wall clock, unix seconds
    block         INTEGER,
    chain_time    INTEGER,            -- block timestamp, unix seconds
    epoch         INTEGER,
    decision      TEXT    NOT NULL,   -- rebalance | hold | skip | error
    reason        TEXT    NOT NULL,
    deviation     REAL,               -- risk-contribution deviation before
    deviation_after REAL,             -- expected after the move
    targets_bps   TEXT,               -- JSON list, registry order
    trades        TEXT,               -- JSON list of [tokenIn, tokenOut, amountIn, minAmountOut]
    tx_hash       TEXT,
    gas_used      INTEGER,
    status        TEXT    NOT NULL    -- ok | dry_run | failed
);
CREATE INDEX IF NOT EXISTS ticks_decision ON ticks (decision);
"""


@dataclass(frozen=True)
class TickRecord:
    decision: Action
    reason: Reason
    status: Status
    detail: str = ""
    """Stored after the reason in the journal's ``reason`` column (``reason: detail``)."""
    block: int | None = None
    chain_time: int | None = None
    epoch: int | None = None
    deviation: float | None = None
    deviation_after: float | None = None
    targets_bps: list[int] | None = None
    trades: list[list[Any]] | None = None
    tx_hash: str | None = None
    gas_used: int | None = None

    @property
    def text(self) -> str:
        """``reason`` or ``reason: detail``."""
        return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value


class Journal:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(SCHEMA)

    def record(self, rec: TickRecord) -> int:
        cur = self._db.execute(
            "INSERT INTO ticks (started_at, block, chain_time, epoch, decision, reason, deviation, deviation_after,"
            " targets_bps, trades, tx_hash, gas_used, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                time.time(),
                rec.block,
                rec.chain_time,
                rec.epoch,
                rec.decision.value,
                rec.text,
                rec.deviation,
                rec.deviation_after,
                json.dumps(rec.targets_bps) if rec.targets_bps is not None else None,
                json.dumps(rec.trades, default=str) if rec.trades is not None else None,
                rec.tx_hash,
                rec.gas_used,
                rec.status.value,
            ),
        )
        self._db.commit()
        return int(cur.lastrowid or 0)

    def last(self, n: int = 20) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM ticks ORDER BY id DESC LIMIT ?", (n,)).fetchall()
        return [dict(r) for r in rows]

    def last_rebalance(self) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT * FROM ticks WHERE decision = 'rebalance' AND status = 'ok' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return dict(row) if row else None

    def last_of(self, decision: Action, n: int = 10) -> list[dict[str, Any]]:
        """The last ``n`` ticks that decided ``decision`` (any status), newest first."""
        rows = self._db.execute(
            "SELECT * FROM ticks WHERE decision = ? ORDER BY id DESC LIMIT ?", (Action(decision).value, n)
        ).fetchall()
        return [dict(r) for r in rows]

    def count(self, decision: Action | str | None = None) -> int:
        if decision is None:
            return int(self._db.execute("SELECT COUNT(*) FROM ticks").fetchone()[0])
        kind = Action(decision).value
        return int(self._db.execute("SELECT COUNT(*) FROM ticks WHERE decision = ?", (kind,)).fetchone()[0])

    def gas_total(self) -> int:
        return int(self._db.execute("SELECT COALESCE(SUM(gas_used), 0) FROM ticks").fetchone()[0])

    def close(self) -> None:
        self._db.close()
