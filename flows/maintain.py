"""The maintain flow: nightly housekeeping of the lake.

First checks every committed file against the run ledger, hash included
(warehouse/ledger.py): a missing or damaged one is reported by path and quarantined, never
compacted away. Then compacts each date partition's small Parquet files into a few large
ones (same rows, same query results), applies the retention policy when one is configured
(warehouse/retention.py), refreshes the DuckDB views catalogue, and reports what it did —
as a Prefect table artifact and in the run ledger (``newswire stats``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from newswire.flows.run import new_run_id, publish_feed_health
from newswire.flows.runtime.heartbeats import in_process_flow
from newswire.flows.runtime.writer_slot import writer_slot
from newswire.tasks.settings import Settings, load_settings
from newswire.warehouse.compact import MAX_FILES_PER_PARTITION, CompactionReport, compact
from newswire.warehouse.retention import PruneReport, prune
from newswire.warehouse.views import write_catalog
from newswire.warehouse.writer import Warehouse


@task(name="compact-partitions", cache_policy=NO_CACHE, persist_result=False)
def compact_partitions(warehouse: Warehouse, run_id: str, started_at: datetime, max_files: int):
    return compact(warehouse, run_id, started_at, max_files=max_files)


@task(name="prune-retention", cache_policy=NO_CACHE, persist_result=False)
def prune_retention(warehouse: Warehouse, settings: Settings) -> PruneReport:
    return prune(
        warehouse,
        new_run_id("prune"),
        datetime.now(UTC),
        raw_days=settings.retention.raw_days,
        fetches_days=settings.retention.fetches_days,
        dry_run=False,
    )


@in_process_flow(name="maintain", log_prints=True)
def maintain(
    data_dir: str | None = None,
    max_files_per_partition: Annotated[int, Field(ge=1, le=1000)] = MAX_FILES_PER_PARTITION,
) -> CompactionReport:
    """Compact small Parquet files per partition, refresh the views, report."""
    logger = get_run_logger()
    settings = load_settings(data_dir)
    warehouse = Warehouse(settings.data_dir)
    run_id = new_run_id()
    with writer_slot(warehouse, settings, logger):
        checked = warehouse.verify(deep=True)
        report = compact_partitions(warehouse, run_id, datetime.now(UTC), max_files_per_partition)
        report.files_checked = checked.files_checked
        report.quarantined = [str(d) for d in checked.quarantined + checked.still_quarantined]
        for damage in report.quarantined:
            logger.error("maintain: lake file quarantined: %s", damage)
        # Retention only when the operator configured it (NEWSWIRE_RETENTION_*_DAYS).
        if settings.retention.raw_days or settings.retention.fetches_days:
            pruned = prune_retention(warehouse, settings)
            logger.info("maintain: retention %s", pruned.as_dict())
        write_catalog(settings.data_dir)
    logger.info(
        "maintain %s: %d partition(s) compacted, %d file(s) removed",
        run_id,
        len(report.partitions),
        report.files_removed,
    )
    create_table_artifact(
        key="maintain-summary",
        table=[
            {
                "table": p.table,
                "partition": p.partition,
                "files before": p.files_before,
                "files after": p.files_after,
                "rows": p.rows,
                "MB before": round(p.bytes_before / 1e6, 2),
            }
            for p in report.partitions
        ]
        or [{"table": "", "partition": "nothing to compact"}],
        description=f"Run {run_id}: {len(report.partitions)} partitions compacted, "
        f"{report.files_removed} files removed; views refreshed.",
    )
    publish_feed_health(settings.data_dir)
    return report
