"""serve's line per committed run (cli/run_lines.py), from a run's ledger summary."""

from __future__ import annotations

from datetime import UTC, datetime

from newswire.cli.run_lines import run_line

AT = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


def test_an_ingest_line_says_feeds_polled_new_stories_and_errors():
    summary = {"feeds_polled": 12, "new_stories": 7, "errors": {"akipress": "HTTP 503", "tass": "timeout"}}
    assert run_line("ingest", AT, summary) == (
        "2026-12-02 01:30:00 UTC ingest: 12 feeds polled, 7 new stories, 2 feeds with errors (akipress, tass)"
    )
    assert run_line("ingest", AT, {"feeds_polled": 1, "new_stories": 0, "errors": {}}).endswith(
        "1 feeds polled, 0 new stories, 0 feeds with errors"
    )


def test_maintain_and_other_runs_get_their_own_line():
    assert run_line("maintain", AT, {"partitions_compacted": 3, "files_removed": 9}).endswith(
        "maintain: 3 partitions compacted, 9 files removed"
    )
    assert run_line("dedupe-rebuild", AT, {}).endswith("dedupe-rebuild: committed")
