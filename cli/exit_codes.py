"""Exit codes a cron job or a service manager can act on (README, "Exit codes").

One meaning per code across every command: 2 means nothing was done (refused input, the
run could not start, or every selected feed failed), 3 means the work was done but some
feeds need attention. Typer's own usage errors are 2 as well (nothing was done).
"""

from __future__ import annotations

EXIT_OK = 0
# Refused before any work, the run could not start, or every selected feed failed.
EXIT_NOTHING_DONE = 2
# The run committed, but some feeds failed (ingest, backfill); or a check found failing,
# dormant or broken feeds (feeds check, feeds health); or maintain quarantined committed
# lake files that are missing or damaged (warehouse/ledger.py).
EXIT_SOME_FEEDS_FAILED = 3
# Stopped by Ctrl-C (128 + SIGINT) or SIGTERM (128 + SIGTERM), the shell's convention.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def run_exit_code(summary) -> int:
    """The code for a flow's ``RunSummary`` (flows/run.py): 0 when no feed failed (nothing
    due is fine), 2 when every polled feed failed, 3 when some did."""
    failed = len(summary.errors)
    if not failed:
        return EXIT_OK
    return EXIT_NOTHING_DONE if failed == len(summary.feeds) else EXIT_SOME_FEEDS_FAILED
