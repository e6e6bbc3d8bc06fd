"""What every flow run shares: its id, the per-feed outcomes the steps pass along, the run
summary, and the Prefect artifacts that report it.

The flows (ingest, backfill, maintain) and the steps beneath them import from here, so no
module reaches into another's private names.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswire.tasks.backfill_request import BackfillRequest
from newswire.tasks.catalog import Feed
from newswire.tasks.dedupe import DedupePlan
from newswire.tasks.documents import ParsedDocument
from newswire.tasks.drop import DropPickup
from newswire.tasks.fetch import FetchResult
from newswire.tasks.normalise import IDENTITY_COLLISION, TEXT_REPAIRED, NormalisedEntry, count_warnings
from newswire.warehouse.queries import feed_health
from newswire.warehouse.records import ArticlePage


@dataclass
class FeedOutcome:
    """What happened to one feed in this run, before dedupe."""

    feed: Feed
    result: FetchResult
    document: ParsedDocument | None = None
    entries: list[NormalisedEntry] = field(default_factory=list)
    # Why the feed's content could not be used when no document of this run says so:
    # unchanged bytes that failed to parse last time (still broken, so health and the
    # summary keep saying so), a drop folder's unreadable files, a sitemap or stored raw
    # payload a backfill could not read.
    content_error: str | None = None
    # A directory-drop feed: the files this run picked up (tasks/drop.py).
    drop: DropPickup | None = None
    # Article pages fetched for full text (landed raw), recorded so a replay reads them offline.
    article_pages: list[ArticlePage] = field(default_factory=list)

    @property
    def parse_error(self) -> str | None:
        return self.document.error if self.document else self.content_error

    @property
    def error(self) -> str | None:
        return self.result.error or self.parse_error


@dataclass
class FeedReport:
    feed_id: str
    url: str
    status: str
    entries: int = 0
    new_appearances: int = 0
    new_stories: int = 0
    error: str | None = None


@dataclass
class RunSummary:
    run_id: str
    feeds_polled: int = 0
    not_modified: int = 0
    unchanged: int = 0
    entries_seen: int = 0
    new_appearances: int = 0
    updated_appearances: int = 0
    new_stories: int = 0
    duplicates_merged: int = 0
    # Entries whose text had code points that cannot be stored (replaced, flagged), and
    # entries kept apart from another entry of their document with the same id.
    text_repaired: int = 0
    identity_collisions: int = 0
    # Entries past NEWSWIRE_MAX_ENTRIES_PER_FEED that were not read, per feed.
    entries_not_read: dict[str, int] = field(default_factory=dict)
    feeds: list[FeedReport] = field(default_factory=list)

    @property
    def errors(self) -> list[FeedReport]:
        return [report for report in self.feeds if report.error]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "feeds_polled": self.feeds_polled,
            "not_modified": self.not_modified,
            "unchanged": self.unchanged,
            "entries_seen": self.entries_seen,
            "new_appearances": self.new_appearances,
            "updated_appearances": self.updated_appearances,
            "new_stories": self.new_stories,
            "duplicates_merged": self.duplicates_merged,
            "text_repaired": self.text_repaired,
            "identity_collisions": self.identity_collisions,
            "entries_not_read": self.entries_not_read,
            "errors": {report.feed_id: report.error for report in self.errors},
        }


def new_run_id(label: str = "") -> str:
    """A unique, sortable run id: the UTC start second, an optional label, and a whole
    random UUID. The second alone, or a prefix of the Prefect flow-run id, is not unique:
    runs a Prefect server creates on a schedule start in the same second and share the
    flow-run id's first digits, and the second run then collided with the first's ledger
    row and left its staging folder behind."""
    middle = f"-{label}" if label else ""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}{middle}-{uuid.uuid4().hex}"


def feed_status(outcome: FeedOutcome, replayed: bool = False) -> str:
    """The status column of the run's table: what the fetch (or replay) of the feed gave."""
    result = outcome.result
    if replayed:
        return "replayed"
    if result.error:
        return result.error_kind or "error"
    if result.not_modified:
        return "304"
    if result.unchanged:
        return "unchanged"
    if outcome.parse_error:
        return "parse error"
    return str(result.status)


def new_per_feed(plan: DedupePlan) -> tuple[Counter[str], Counter[str]]:
    """New appearances and new stories of the plan, counted per feed."""
    appearances = Counter(w.entry.feed_id for w in plan.appearances if w.is_new)
    stories = Counter(w.representative.entry.feed_id for w in plan.stories if w.is_new)
    return appearances, stories


def summarise(
    run_id: str, outcomes: list[FeedOutcome], entries_seen: int, plan: DedupePlan, replayed: bool = False
) -> RunSummary:
    """The run's summary: plan totals plus one report per feed outcome."""
    new_by_feed, stories_by_feed = new_per_feed(plan)
    summary = RunSummary(
        run_id=run_id,
        feeds_polled=len(outcomes),
        entries_seen=entries_seen,
        new_appearances=plan.new_appearances,
        updated_appearances=plan.updated_appearances,
        new_stories=plan.new_stories,
        duplicates_merged=plan.merged,
    )
    entries = [entry for outcome in outcomes for entry in outcome.entries]
    summary.text_repaired = count_warnings(entries, TEXT_REPAIRED)
    summary.identity_collisions = count_warnings(entries, IDENTITY_COLLISION)
    for outcome in outcomes:
        result, feed_id = outcome.result, outcome.feed.id
        summary.not_modified += result.not_modified
        summary.unchanged += result.unchanged and not result.not_modified
        if outcome.document is not None and outcome.document.entries_not_read:
            summary.entries_not_read[feed_id] = outcome.document.entries_not_read
        summary.feeds.append(
            FeedReport(
                feed_id=feed_id,
                url=result.url,
                status=feed_status(outcome, replayed),
                entries=len(outcome.entries),
                new_appearances=new_by_feed.get(feed_id, 0),
                new_stories=stories_by_feed.get(feed_id, 0),
                error=outcome.error,
            )
        )
    return summary


def merge_summaries(run_id: str, parts: list[RunSummary]) -> RunSummary:
    """One run's summary from the summaries of its commits (a large run commits in
    batches, flows/steps/pipeline.py): totals added, every feed's report kept."""
    merged = RunSummary(run_id=run_id)
    for part in parts:
        for name in (
            "feeds_polled",
            "not_modified",
            "unchanged",
            "entries_seen",
            "new_appearances",
            "updated_appearances",
            "new_stories",
            "duplicates_merged",
            "text_repaired",
            "identity_collisions",
        ):
            setattr(merged, name, getattr(merged, name) + getattr(part, name))
        for feed_id, count in part.entries_not_read.items():
            merged.entries_not_read[feed_id] = merged.entries_not_read.get(feed_id, 0) + count
        merged.feeds += part.feeds
    return merged


def per_feed_reports(reports: list[FeedReport]) -> list[FeedReport]:
    """One report row per feed (a backfill fetches many documents of each): entries summed,
    the status says how many documents, the first error is kept with a count of others."""
    merged: dict[str, FeedReport] = {}
    documents: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for report in reports:
        documents[report.feed_id] += 1
        errors[report.feed_id] += bool(report.error)
        kept = merged.setdefault(report.feed_id, replace(report, entries=0, error=None))
        kept.entries += report.entries
        kept.error = kept.error or report.error
    for feed_id, kept in merged.items():
        if kept.status != "replayed":
            kept.status = f"{documents[feed_id]} documents"
        if errors[feed_id] > 1:
            kept.error += f" (and {errors[feed_id] - 1} more failed documents)"
    return list(merged.values())


# -- artifacts ---------------------------------------------------------------------------


def publish_run_summary(summary: RunSummary, key: str = "ingest-summary") -> None:
    """The run's table artifact: one row per feed, the totals in the description."""
    from prefect.artifacts import create_table_artifact

    rows = [
        {
            "feed": report.feed_id,
            "status": report.status,
            "entries": report.entries,
            "new appearances": report.new_appearances,
            "new stories": report.new_stories,
            "error": report.error or "",
        }
        for report in summary.feeds
    ]
    create_table_artifact(
        key=key,
        table=rows,
        description=(
            f"Run {summary.run_id}: {summary.feeds_polled} feeds polled, "
            f"{summary.not_modified} not modified, "
            f"{summary.new_appearances} new appearances, {summary.new_stories} new stories, "
            f"{summary.duplicates_merged} duplicates merged, {len(summary.errors)} feeds with errors."
        ),
    )


def publish_feed_health(data_dir: Path) -> list[dict[str, Any]]:
    """The ``feed-health`` artifact: failing and dormant feeds with their last error."""
    from prefect.artifacts import create_table_artifact

    rows = feed_health(data_dir)
    create_table_artifact(
        key="feed-health",
        table=[{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]
        or [{"feed_id": "", "health": "all feeds active"}],
        description=f"{sum(r['health'] == 'dormant' for r in rows)} dormant, "
        f"{sum(r['health'] == 'failing' for r in rows)} failing feeds. Dormant feeds are still "
        "retried daily; fix or remove them in the catalogue.",
    )
    return rows


def backfill_markdown(
    request: BackfillRequest, summary: RunSummary, feeds: list[Feed], documents: int
) -> str:
    lines = [
        f"# Backfill {summary.run_id}",
        "",
        f"- **source**: `{request.source}`, **range**: {request.start} .. {request.end}",
        f"- **feeds**: {len(feeds)} ({', '.join(f.id for f in feeds[:20])}{' …' if len(feeds) > 20 else ''})",
        f"- **budgets**: {request.max_pages} pages per feed, {request.max_items} items",
        f"- **documents**: {documents}; **entries in range**: {summary.entries_seen}",
        f"- **new appearances**: {summary.new_appearances}, **updated**: {summary.updated_appearances}, "
        f"**new stories**: {summary.new_stories}, **merged duplicates**: {summary.duplicates_merged}",
        "",
    ]
    if summary.errors:
        lines += ["## Errors", "", "| feed | URL | error |", "|---|---|---|"]
        lines += [f"| {r.feed_id} | {r.url} | {(r.error or '').replace('|', '/')} |" for r in summary.errors]
    else:
        lines.append("No errors.")
    return "\n".join(lines)


def publish_backfill_report(request: BackfillRequest, summary: RunSummary, feeds: list[Feed]) -> RunSummary:
    """A backfill's summary folded to one row per feed, published as the
    ``backfill-summary`` table and the ``backfill-report`` markdown artifacts."""
    from prefect.artifacts import create_markdown_artifact

    documents = len(summary.feeds)
    summary.feeds = per_feed_reports(summary.feeds)
    summary.feeds_polled = len(summary.feeds)
    publish_run_summary(summary, key="backfill-summary")
    create_markdown_artifact(
        key="backfill-report",
        markdown=backfill_markdown(request, summary, feeds, documents),
        description=f"Backfill {summary.run_id}: {request.source} {request.start}..{request.end}",
    )
    return summary
