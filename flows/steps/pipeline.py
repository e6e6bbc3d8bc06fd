"""A run's CPU batches on the CPU task runner, and its commits in bounded parts, in one
process: the writer.

The flows hand over batches of feed outcomes (``CpuBatch``, flows/steps/prepare.py) as an
iterator, so a poll fetches its next batch of feeds only when the runner has room. At most
``in_flight_batches`` batches are on the runner at a time; results are taken back in the
order they were submitted, whatever order they finish in, so every runner gives the same
commits. The writer finishes each batch's enrichment (line sightings, article pages), then
commits the run's outcomes in parts of at most ``NEWSWIRE_COMMIT_BATCH_ENTRIES`` entries
(``cut_parts``; a feed's document is never split), each part an atomic commit of its own
(``dedupe_and_load``), so the writer's memory follows the part size, not the run's.

Part ``n`` of run ``R`` commits as ``R`` for the first part and ``R-part<n>`` after it: a
part is a run in the warehouse's ledger (its own staging, recovery and ``runs`` row), and
a crash between parts leaves the earlier parts committed and the rest for the next run,
which finds them unchanged or new like any re-poll (docs/decisions.md).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prefect import get_run_logger
from prefect.utilities.annotations import quote

from newswire.flows.run import FeedOutcome, RunSummary, merge_summaries
from newswire.flows.runtime.task_runners import cpu_task_runner, in_flight_batches
from newswire.flows.steps.collect import wants_parse
from newswire.flows.steps.enrich import finish_enrichment
from newswire.flows.steps.load import dedupe_and_load
from newswire.flows.steps.prepare import CpuBatch, PreparedBatch, prepare, prepare_batch
from newswire.tasks.cluster import Profile
from newswire.tasks.recluster import ProfileMemo
from newswire.tasks.settings import Settings
from newswire.warehouse.writer import Warehouse


@dataclass
class LoadContext:
    """What every commit of one run shares."""

    warehouse: Warehouse
    run_id: str
    started_at: datetime
    settings: Settings
    flow_name: str = "ingest"
    # Feed states read at the start of a poll (the next state is computed from them).
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    record_fetches: bool = True
    # Article pages from the raw store first (an archive replay).
    offline: bool = False
    # Called with a part's outcomes just before it is planned (a replay marks the entries
    # whose enrichment changed).
    before_load: Callable[[list[FeedOutcome]], None] | None = None


def part_id(run_id: str, number: int) -> str:
    """The commit id of part ``number`` (1-based) of run ``run_id``."""
    return run_id if number == 1 else f"{run_id}-part{number}"


def cut_parts(outcomes: deque[FeedOutcome], limit: int, final: bool) -> Iterator[list[FeedOutcome]]:
    """Take parts off the front of ``outcomes``: whole outcomes while the part stays within
    ``limit`` entries (at least one outcome per part). A part is cut only once what
    follows it is known (more than ``limit`` entries wait, or ``final``), so the parts
    depend on the order and sizes of the outcomes alone, never on when batches arrived."""
    waiting = sum(len(o.entries) for o in outcomes)
    while outcomes and (final or waiting > limit):
        part = [outcomes.popleft()]
        size = len(part[0].entries)
        while outcomes and size + len(outcomes[0].entries) <= limit:
            size += len(outcomes[0].entries)
            part.append(outcomes.popleft())
        waiting -= size
        yield part


class PartWriter:
    """The writer's side: finish each prepared batch, commit the outcomes in parts."""

    def __init__(self, context: LoadContext):
        self.context = context
        self.waiting: deque[FeedOutcome] = deque()
        # id(outcome) -> its entries' profiles from the worker, until the outcome commits.
        self.profiles_of: dict[int, list[Profile | None]] = {}
        self.summaries: list[RunSummary] = []

    def add(self, prepared: PreparedBatch) -> None:
        context = self.context
        for outcome, profiles in zip(prepared.outcomes, prepared.profiles, strict=True):
            self.profiles_of[id(outcome)] = profiles
        finish_enrichment(
            prepared.outcomes, prepared.enriched, context.warehouse, context.settings, context.offline
        )
        self.waiting.extend(prepared.outcomes)
        self._commit(final=False)

    def finish(self) -> RunSummary:
        self._commit(final=True)
        if not self.summaries:  # nothing was due: the run is still recorded, as one empty commit
            self._commit_part([])
        return merge_summaries(self.context.run_id, self.summaries)

    def _commit(self, final: bool) -> None:
        for part in cut_parts(self.waiting, self.context.settings.commit_batch_entries, final):
            self._commit_part(part)

    def _part_profiles(self, outcomes: list[FeedOutcome]) -> ProfileMemo:
        """The worker's profiles of the part's entries, keyed by the entries as they are
        now (an entry re-enriched from its page since is profiled again)."""
        memo = ProfileMemo()
        for outcome in outcomes:
            for entry, profile in zip(outcome.entries, self.profiles_of.pop(id(outcome)), strict=True):
                if profile is not None:
                    memo.remember(entry, profile)
        return memo

    def _commit_part(self, outcomes: list[FeedOutcome]) -> None:
        context = self.context
        if context.before_load is not None:
            context.before_load(outcomes)
        profiles = self._part_profiles(outcomes)
        summary = dedupe_and_load(
            quote(outcomes),
            quote(context.states),
            context.warehouse,
            part_id(context.run_id, len(self.summaries) + 1),
            context.started_at,
            context.settings,
            flow_name=context.flow_name,
            record_fetches=context.record_fetches,
            profiles=quote(profiles),
        )
        self.summaries.append(summary)

    @property
    def commit_ids(self) -> list[str]:
        return [summary.run_id for summary in self.summaries]


def prepare_and_load(batches: Iterable[CpuBatch], context: LoadContext) -> tuple[RunSummary, list[str]]:
    """Run ``batches`` through the CPU stages on the run's CPU task runner and commit
    their outcomes in bounded parts. Returns the run's summary and its commit ids.

    The runner starts with the first batch that has work: an unchanged re-poll (every
    feed 304 or the same bytes) prepares its empty batches here and starts no worker."""
    writer = PartWriter(context)
    window = in_flight_batches(context.settings)
    clock = WriterClock()
    with ExitStack() as stack:
        runner = None
        running: deque = deque()
        for batch in batches:  # a poll fetches the next batch of feeds here
            clock.lap("fetching")
            if not has_work(batch):
                running.append(Prepared(prepare(batch, get_run_logger())))
                continue
            if runner is None:
                runner = stack.enter_context(cpu_task_runner(context.settings))
                clock.lap("starting the task runner")
            running.append(runner.submit(prepare_batch, {"batch": batch}))
            while len(running) >= window:
                _take(running.popleft(), writer, clock)
        while running:
            _take(running.popleft(), writer, clock)
    summary = writer.finish()
    clock.lap("writing")
    get_run_logger().info("writer: %s", clock.report(len(writer.summaries)))
    return summary, writer.commit_ids


def has_work(batch: CpuBatch) -> bool:
    """Whether the batch has anything to parse or enrich."""
    return any(outcome.entries or (batch.parse and wants_parse(outcome)) for outcome in batch.outcomes)


@dataclass
class Prepared:
    """A batch prepared in the writer's process, queued with the runner's futures."""

    value: PreparedBatch

    def result(self, raise_on_failure: bool = True) -> PreparedBatch:
        return self.value


def _take(future, writer: PartWriter, clock: WriterClock) -> None:
    prepared = future.result(raise_on_failure=True)
    clock.lap("waiting")
    writer.add(prepared)
    clock.lap("writing")


class WriterClock:
    """Where the writer's time goes: starting the runner, fetching batches, waiting for
    the CPU stages, and its own work (finishing enrichment, dedupe, commits). Much
    waiting means the workers are the bottleneck; little, the writer is."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self._last = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        self.seconds[what] += now - self._last
        self._last = now

    def report(self, commits: int) -> str:
        parts = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in self.seconds.items())
        return f"{parts}; {commits} commit(s)"
