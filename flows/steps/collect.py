"""Wire sources in the ingest flow: directory drops and wire versions.

Kept out of flows/ingest.py so the flow body stays the outline of DESIGN.md's data flow;
ingest calls these at three points: picking up drop directories next to the HTTP fetch
batches, filtering superseded versions before dedupe, and adding the wire state to the
run's single commit.
"""

from __future__ import annotations

from collections.abc import Callable

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.catalog import Feed
from tasks.dedupe import DedupePlan
from tasks.drop import DropPickup, pick_up_drop
from tasks.normalise import NormalisedEntry
from tasks.settings import Settings
from tasks.wire_versions import drop_superseded, loaded_versions, newer_version_rule
from warehouse import wire_state
from warehouse.raw_store import RawStore
from warehouse.writer import CommitBatch, Warehouse


def known_drop_files(warehouse: Warehouse, feeds: list[Feed]) -> dict[str, dict[str, list]]:
    """Files already picked up, per drop feed (read under the writer lock)."""
    with warehouse.state() as con:
        return wire_state.known_drop_files(con, [feed.id for feed in feeds])


@task(name="pick-up-drops", cache_policy=NO_CACHE, persist_result=False)
def pick_up_drops(
    feeds: list[Feed], known_files: dict[str, dict[str, list]], settings: Settings
) -> list[DropPickup]:
    """Directory-drop feeds: each new file is landed raw, parsed and normalised like a fetch."""
    logger = get_run_logger()
    raw = RawStore(settings.data_dir / "lake")
    pickups = []
    for feed in feeds:
        pickup = pick_up_drop(feed, known_files.get(feed.id, {}), settings)
        for dropped in pickup.files:
            if dropped.result.body is not None:
                raw.land(dropped.result.body, dropped.result.body_sha256)
        problem = pickup.result.error or pickup.parse_error
        if problem:
            logger.warning("drop feed %s (%s): %s", feed.id, feed.path, problem)
        logger.info(
            "drop feed %s: %d new files, %d entries, %d files waiting (too recent or over the per-run cap)",
            feed.id,
            len(pickup.files),
            len(pickup.entries),
            pickup.waiting,
        )
        pickups.append(pickup)
    return pickups


def without_superseded(
    warehouse: Warehouse, entries: list[NormalisedEntry]
) -> tuple[list[NormalisedEntry], Callable[[NormalisedEntry], bool]]:
    """The batch minus wire versions older than one already loaded (logged), oldest
    version first, and the dedupe ``takes_over`` rule for newer versions."""
    with warehouse.state() as con:
        known_versions = wire_state.known_versions(con, [e.guid for e in entries if e.guid])
    entries, superseded = drop_superseded(entries, known_versions)
    for entry in superseded:
        get_run_logger().info(
            "feed %s: %s version %s skipped, version %s is already loaded",
            entry.feed_id,
            entry.guid,
            entry.enrichment.get("wire_version"),
            known_versions[entry.guid],
        )
    return entries, newer_version_rule(entries, known_versions)


def add_wire_state(batch: CommitBatch, plan: DedupePlan, pickups: list[DropPickup]) -> None:
    """Per-file fetch rows and drop-file state of the pickups, and the versions loaded."""
    batch.fetch_rows += [row for pickup in pickups for row in pickup.fetch_rows(batch.run_id)]
    batch.drop_files = [row for pickup in pickups for row in pickup.state_rows(batch.run_id)]
    batch.wire_versions = loaded_versions(w.entry for w in plan.appearances)
