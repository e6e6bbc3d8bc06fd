"""Garbage collection tuned for a run: the long-lived objects frozen, young collections rarer.

A flow process holds a few hundred thousand long-lived objects before the first feed is
fetched (Prefect's client and settings, pydantic models and validators, the enrichment
rules). Every full collection walks all of them, and a poll allocates enough for a
dozen full collections: about a sixth of a 5,000-entry poll's CPU went to the collector
(benchmarks/ingest.py). ``gc.freeze`` moves what is alive at the start of the run to
the permanent generation, which no collection walks; the run's own objects are collected
as before. A higher first-generation threshold makes the young collections, which run
every few hundred allocations of the parse and enrichment loops, rarer; it costs at most
that many more young objects alive at a time. Reference cycles are collected the same
either way: only the moment changes, never what a run writes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between young collections during a run (CPython's default is 700).
RUN_GEN0_THRESHOLD = 20_000

_frozen = False


def freeze_long_lived() -> None:
    """Once per process: freeze what is alive (imports, the Prefect client, settings) out
    of every later collection's walk. No full collection first: it would walk them all
    once more (0.3 s) to free the little cyclic garbage start-up left, which then stays."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.freeze()


@contextmanager
def run_collections() -> Iterator[None]:
    """The run's collector settings (``freeze_long_lived``, ``RUN_GEN0_THRESHOLD``), the
    process's own thresholds restored afterwards (a served flow process runs other work)."""
    freeze_long_lived()
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], RUN_GEN0_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
