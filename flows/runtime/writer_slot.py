"""One writer at a time, across processes and across machines sharing a Prefect server.

Two locks, taken in this order:
1. with a Prefect server (``PREFECT_API_URL`` set), the global concurrency limit
   ``newswire-writer-<warehouse>`` with one slot (one limit per data directory: two desks'
   warehouses on one Prefect server do not serialise each other) — created if missing,
   taken with ``strict=True``
   because a missing limit otherwise only logs a warning and locks nothing
   (STACK-NOTES.md). It makes a scheduled ingest and a hand-triggered backfill queue up in
   Prefect, visibly, even when they run on different workers;
2. always, the warehouse's file lock (``data/writer.lock``), which is what protects the
   files in the embedded mode and against anything started outside Prefect.
The second run waits and logs why; it never fails or interleaves with the first. The
slot is a lease (``Settings.writer_lease_seconds``, at least 60 s) renewed while the holder
lives, so a killed writer cannot block the warehouse for longer than that;
``NEWSWIRE_PREFECT_WRITER_LIMIT=false`` leaves only the file lock.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from newswire.tasks.settings import Settings
from newswire.warehouse.writer import Warehouse

WRITER_LIMIT_PREFIX = "newswire-writer"


def writer_limit_name(warehouse: Warehouse) -> str:
    """The warehouse's own limit: the prefix plus a hash of its absolute data directory."""
    digest = hashlib.sha256(str(warehouse.data_dir.resolve()).encode()).hexdigest()[:12]
    return f"{WRITER_LIMIT_PREFIX}-{digest}"


def server_configured() -> bool:
    """A Prefect API server this process talks to (not the per-process ephemeral one)."""
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def ensure_writer_limit(name: str) -> bool:
    """Create the one-slot global concurrency limit unless it exists; returns whether it
    is busy (every slot taken) as it was read. Two writers started at once both find it
    missing and both create it: the second create is refused (``ObjectAlreadyExists``)
    and the limit it wanted is there, so that is success. One read answers both questions
    (each API call is ~20-60 ms of every run, an unchanged re-poll's too)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            limit = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
                return False  # just created: no slot taken
            except ObjectAlreadyExists:
                limit = client.read_global_concurrency_limit_by_name(name)
    return limit.active_slots >= limit.limit


@contextmanager
def writer_slot(
    warehouse: Warehouse, settings: Settings, logger: logging.Logger | logging.LoggerAdapter
) -> Iterator[Warehouse]:
    """Hold both locks (module docstring) for the body of a run's writing part."""
    with ExitStack() as stack:
        if settings.prefect_writer_limit and server_configured():
            from prefect.concurrency.sync import concurrency

            name = writer_limit_name(warehouse)
            lease = max(60.0, settings.writer_lease_seconds)  # Prefect refuses shorter leases
            if ensure_writer_limit(name):
                logger.warning(
                    "waiting for the Prefect concurrency limit %r: another ingest, backfill or "
                    "maintain run is writing the warehouse at %s (one writer at a time; a "
                    "writer that was killed frees it within %g s)",
                    name,
                    warehouse.data_dir,
                    lease,
                )
            stack.enter_context(concurrency(name, occupy=1, strict=True, lease_duration=lease))
        yield stack.enter_context(warehouse.writer(on_wait=logger.warning))
