"""The alert ledger: which story each saved query has already alerted on, at which revision.

Alerts go out after the run's commit (flows/steps/publish.py), and each one is recorded here
in its own transaction right after it was sent, so a rerun, a revision (unless the query
asks) or a crash-and-restart does not alert again. The one window left is a crash between
the send and its record: that story is alerted twice, never missed (docs/decisions.md).
Its own small DuckDB file under ``data/state/``, used only under the writer slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

LEDGER_FILE = "alerts.duckdb"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    query VARCHAR NOT NULL,
    story_id VARCHAR NOT NULL,
    revision INTEGER NOT NULL,
    -- 'sent', or 'too-old': first seen before the rule's max age, recorded without a send
    outcome VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (query, story_id)
)
"""


@dataclass(frozen=True)
class LedgerEntry:
    story_id: str
    revision: int
    outcome: str


class AlertLedger:
    """Open for the length of one publish step."""

    def __init__(self, data_dir: Path) -> None:
        path = Path(data_dir) / "state" / LEDGER_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        self.con.execute(_SCHEMA)

    def entries(self, query: str) -> dict[str, LedgerEntry]:
        rows = self.con.execute(
            "SELECT story_id, revision, outcome FROM alerts WHERE query = ?", [query]
        ).fetchall()
        return {row[0]: LedgerEntry(*row) for row in rows}

    def record(self, query: str, story_id: str, revision: int, outcome: str) -> None:
        self.con.execute(
            """
            INSERT INTO alerts VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (query, story_id) DO UPDATE
            SET revision = excluded.revision, outcome = excluded.outcome, recorded_at = excluded.recorded_at
            """,
            [query, story_id, revision, outcome, datetime.now(UTC)],
        )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> AlertLedger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
