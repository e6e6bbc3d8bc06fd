"""One writer at a time, across processes and across machines sharing a Prefect server.

Two locks, taken in this order:
1. with a Prefect server (``PREFECT_API_URL`` set), the global concurrency limit
   ``newswire-writer`` with one slot — created if missing, and taken with ``strict=True``
   because a missing limit otherwise only logs a warning and locks nothing
   (STACK-NOTES.md). It makes a scheduled ingest and a hand-triggered backfill queue up in
   Prefect, visibly, even when they run on different workers;
2. always, the warehouse's file lock (``data/writer.lock``), which is what protects the
   files in the embedded mode and against anything started outside Prefect.
The second run waits and logs why; it never fails or interleaves with the first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from warehouse.writer import Warehouse

WRITER_LIMIT = "newswire-writer"


def server_configured() -> bool:
    """A Prefect API server this process talks to (not the per-process ephemeral one)."""
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def ensure_writer_limit() -> None:
    """Create the one-slot global concurrency limit unless it exists."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
        except ObjectNotFound:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=WRITER_LIMIT, limit=1))


def _limit_busy() -> bool:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
    return limit.active_slots >= limit.limit


@contextmanager
def writer_slot(warehouse: Warehouse, logger: logging.Logger | logging.LoggerAdapter) -> Iterator[Warehouse]:
    with ExitStack() as stack:
        if server_configured():
            from prefect.concurrency.sync import concurrency

            ensure_writer_limit()
            if _limit_busy():
                logger.warning(
                    "waiting for the Prefect concurrency limit %r: another ingest, backfill or "
                    "maintain run is writing the warehouse at %s (one writer at a time)",
                    WRITER_LIMIT,
                    warehouse.data_dir,
                )
            stack.enter_context(concurrency(WRITER_LIMIT, occupy=1, strict=True))
        yield stack.enter_context(warehouse.writer(on_wait=logger.warning))
