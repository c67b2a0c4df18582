"""Where the embedded mode's bus parks what no handler could take: a small SQLite file beside
the services' databases, so a parked event outlives a restart, as it does in RabbitMQ's
dead-letter queues, and stays visible until an operator replays it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from cascade_shared.envelope import Envelope, utcnow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS parked (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    envelope TEXT NOT NULL,
    error TEXT,
    parked_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_parked_service ON parked (service, seq);
"""


@dataclass(frozen=True)
class Parked:
    seq: int
    service: str
    envelope: Envelope
    error: str | None
    parked_at: str


class ParkedStore:
    """Parked events by service, in arrival order. Each call is one short transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def add(self, service: str, envelope: Envelope, error: str | None) -> int:
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO parked (service, event_id, event_type, envelope, error, parked_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    service,
                    str(envelope.id),
                    envelope.type,
                    envelope.to_json().decode(),
                    (error or "")[:2000] or None,
                    utcnow().isoformat(),
                ),
            )
            return int(cursor.lastrowid or 0)

    def count(self, service: str) -> int:
        with closing(self._connect()) as db:
            row = db.execute("SELECT count(*) FROM parked WHERE service = ?", (service,)).fetchone()
            return int(row[0])

    def list(self, service: str) -> list[Parked]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT seq, service, envelope, error, parked_at FROM parked"
                " WHERE service = ? ORDER BY seq",
                (service,),
            ).fetchall()
        return [Parked(r[0], r[1], Envelope.from_json(r[2]), r[3], r[4]) for r in rows]

    def remove(self, seq: int) -> None:
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM parked WHERE seq = ?", (seq,))
