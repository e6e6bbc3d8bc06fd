"""One line per committed run while ``newswire serve`` runs: feeds polled, new stories,
errors. The flow runs execute in subprocesses of Prefect's runner, whose logging the CLI
keeps at WARNING; the warehouse's ``runs`` ledger is what every run writes when it commits,
so serve reads it (through the views, never the writer's state) every few seconds and
prints what is new."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

# Ten seconds: an ingest takes longer than that, and a reader connection costs ~50 ms.
POLL_SECONDS = 10.0

RUNS_QUERY = "SELECT run_id, flow, committed_at, summary FROM runs ORDER BY committed_at"


def run_line(flow: str, committed_at: datetime, summary: dict) -> str:
    """The line printed for one committed run."""
    when = f"{committed_at:%Y-%m-%d %H:%M:%S %Z}".strip()
    if "feeds_polled" in summary:
        errors = summary.get("errors") or {}
        return (
            f"{when} {flow}: {summary['feeds_polled']} feeds polled, "
            f"{summary.get('new_stories', 0)} new stories, {len(errors)} feeds with errors"
            + (f" ({', '.join(sorted(errors)[:5])}{', ...' if len(errors) > 5 else ''})" if errors else "")
        )
    if "partitions_compacted" in summary:
        return (
            f"{when} {flow}: {summary['partitions_compacted']} partitions compacted, "
            f"{summary.get('files_removed', 0)} files removed"
        )
    return f"{when} {flow}: committed"


class RunLines:
    """``with RunLines(data_dir, print): ...`` prints each run committed meanwhile."""

    def __init__(self, data_dir: Path, emit: Callable[[str], None], interval_s: float = POLL_SECONDS):
        self.data_dir, self.emit, self.interval_s = Path(data_dir), emit, interval_s
        self.seen: set[str] | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="run-lines")

    def _committed(self) -> list[tuple]:
        from newswire.warehouse.views import open_reader
        from newswire.warehouse.writer import Warehouse

        if not Warehouse.exists_at(self.data_dir):
            return []
        con = open_reader(self.data_dir)
        try:
            return con.execute(RUNS_QUERY).fetchall()
        finally:
            con.close()

    def check(self) -> None:
        """Print the runs committed since the last check (the first check only notes them)."""
        rows = self._committed()
        if self.seen is not None:
            for run_id, flow, committed_at, summary in rows:
                if run_id not in self.seen:
                    self.emit(run_line(flow, committed_at, json.loads(summary or "{}")))
        self.seen = {row[0] for row in rows}

    def _loop(self) -> None:
        while not self.stopping.wait(self.interval_s):
            try:
                self.check()
            except Exception as error:  # a reader hiccup must not end serve; say it once a poll
                self.emit(f"(could not read the runs ledger: {type(error).__name__}: {error})")

    def __enter__(self) -> RunLines:
        self.check()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
