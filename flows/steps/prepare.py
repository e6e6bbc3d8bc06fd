"""The CPU stages of a run over one batch of feeds: parse and normalise the fetched
bodies, enrich every entry, and compute each entry's near-duplicate profile — one Prefect
task per batch, on the runner ``NEWSWIRE_TASK_RUNNER`` chooses (flows/runtime/task_runners.py).

Everything that crosses to a worker is a named, picklable record: ``CpuBatch`` in,
``PreparedBatch`` out (feeds, fetch results, documents and entries are dataclasses too).
Nothing here opens the warehouse: the outlets' furniture history comes in with the
batch, read once per run by the writer, and the line sightings, article pages and the
dedupe decisions are the writer's (flows/steps/pipeline.py). The enrichment rules are
the desk's, built once per worker process (``DeskProfile.enrichment_rules`` keeps them
for the process's life), never per task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from newswire.flows.run import FeedOutcome
from newswire.flows.runtime.gc_tuning import run_collections
from newswire.flows.steps.collect import parse_fetched, wants_parse
from newswire.flows.steps.enrich import EnrichedBatch, enrich_outcomes
from newswire.tasks.cluster import Profile
from newswire.tasks.recluster import ProfileMemo
from newswire.tasks.settings import Settings


@dataclass
class CpuBatch:
    """One batch of feed outcomes for the CPU stages, as sent to a worker."""

    outcomes: list[FeedOutcome]
    settings: Settings
    # Stored line counts of the batch's outlets (outlet id -> fingerprint -> items), read
    # by the writer before the run's first batch; None: the state was not readable (then
    # nothing is learnt or recorded, as in tasks/enrich.py).
    histories: dict[str, dict[str, int]] | None
    # Whether fetched bodies are still to be parsed (a poll); a backfill's page walk and a
    # drop pick-up parsed theirs already.
    parse: bool = True


@dataclass
class PreparedBatch:
    """What a worker hands back: the outcomes with their entries enriched, what the
    writer's half of enrichment needs, and one profile per entry (None for an entry that
    wants its article page: its text changes before dedupe, so the writer profiles it)."""

    outcomes: list[FeedOutcome]
    enriched: EnrichedBatch
    profiles: list[list[Profile | None]] = field(default_factory=list)


def prepare(batch: CpuBatch, logger) -> PreparedBatch:
    """Parse (when asked), enrich and profile one batch, in this process."""
    settings = batch.settings
    if batch.parse:
        for outcome in batch.outcomes:
            if wants_parse(outcome):
                parse_fetched(outcome, settings, logger)
    if not any(outcome.entries for outcome in batch.outcomes):
        nothing = EnrichedBatch(prints=None if batch.histories is None else [])
        return PreparedBatch(batch.outcomes, nothing, [[] for _ in batch.outcomes])
    rules = settings.desk.enrichment_rules()  # built once per process (tasks/desk.py)
    enriched = enrich_outcomes(batch.outcomes, rules, batch.histories, settings, logger)
    later = {(w.outcome_index, w.position) for w in enriched.wanted}
    memo = ProfileMemo()  # syndicated copies in one batch share one profile (and one pickle)
    profiles = [
        [
            None if (index, position) in later else memo(entry)
            for position, entry in enumerate(outcome.entries)
        ]
        for index, outcome in enumerate(batch.outcomes)
    ]
    return PreparedBatch(batch.outcomes, enriched, profiles)


@task(name="parse-enrich-profile", cache_policy=NO_CACHE, persist_result=False)
def prepare_batch(batch: CpuBatch) -> PreparedBatch:
    """The CPU stages of one batch of feeds, as a Prefect task on the CPU task runner
    (in a worker process, its long-lived objects frozen out of collections as the flow's)."""
    with run_collections():
        return prepare(batch, get_run_logger())
