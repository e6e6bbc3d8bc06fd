"""After the commit: what the desk reads. Each saved query (feeds/outputs.toml) is
republished as ``data/outputs/<name>.atom.xml`` and ``<name>.json`` and, when it has an
alert rule, notifies once per new story through apprise.

Runs inside the writer slot right after ``dedupe_and_load`` committed, so it reads exactly
what that run published and no other writer can interleave its own outputs. A query that
fails (its ``where`` no longer fits the view, a notify target is down) is logged and costs
only itself: the other queries are still written and alerted.

A publish that would read the same committed story files with the same saved queries
and alert targets as the last complete one (no error, every file there) is skipped: its
feeds would be the same bytes and it would have no alert to send. That is most of an
unchanged re-poll's publishing (0.4 s at 4,000 stories, 1.7 s at 21,000: the queries
read the whole ``stories`` view). A query whose ``where`` calls a clock or random
function can change with time alone, so with one of those every publish runs.
"""

from __future__ import annotations

import hashlib
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from newswire import __version__
from newswire.tasks.republish import FeedMeta, alert_message, atom_feed, json_feed
from newswire.tasks.saved_queries import AlertRule, OutputsConfig, SavedQuery
from newswire.tasks.settings import Settings
from newswire.warehouse.alert_ledger import AlertLedger
from newswire.warehouse.desk_queries import SavedQueryRefused, stories_matching, where_is_volatile
from newswire.warehouse.outputs import (
    outputs_dir,
    published_from,
    record_published,
    story_files_digest,
    write_if_changed,
)
from newswire.warehouse.views import open_reader


@dataclass
class PublishReport:
    """What one publish step did, for the run log and the CLI."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    alerts_sent: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def feed_meta(config: OutputsConfig, query: SavedQuery) -> FeedMeta:
    return FeedMeta(name=query.name, title=query.title, base_url=config.base_url)


@dataclass(frozen=True)
class PublishState:
    """What a publish would start from: the saved queries, the key of the story files they
    read (with the queries and alert targets), the output files' names, and whether the
    last complete publish had the same key and left every file (then a publish now would
    write the same bytes and send no alert)."""

    config: OutputsConfig
    key: str | None
    names: list[str]
    up_to_date: bool


def publish_state(settings: Settings) -> PublishState:
    config = settings.desk.saved_queries()
    key = publish_key(config, story_files_digest(settings.data_dir))
    names = [f"{query.name}{suffix}" for query in config.queries for suffix in FEED_SUFFIXES]
    target = outputs_dir(settings.data_dir)
    up_to_date = (
        key is not None
        and published_from(settings.data_dir) == key
        and all((target / n).is_file() for n in names)
    )
    return PublishState(config, key, names, up_to_date)


def report_unchanged(names: list[str], logger) -> PublishReport:
    logger.info(
        "outputs: %d files unchanged (the same stories and saved queries as the last publish)", len(names)
    )
    return PublishReport(unchanged=names)


def publish_step(settings: Settings) -> PublishReport:
    """The flow's publish step: the ``publish-outputs`` task when it has work, else only
    its log line, without a task run on the Prefect API (an unchanged re-poll's case)."""
    state = publish_state(settings)
    if state.up_to_date:
        return report_unchanged(state.names, get_run_logger())
    return publish_outputs(settings, state)


@task(name="publish-outputs", cache_policy=NO_CACHE)
def publish_outputs(settings: Settings, state: PublishState | None = None) -> PublishReport:
    """Write every saved query's feeds, then send its alerts. ``state``: the publish
    state the caller read just now (``publish_step``), else read here."""
    logger = get_run_logger()
    state = state or publish_state(settings)
    if state.up_to_date:
        return report_unchanged(state.names, logger)
    config, key = state.config, state.key
    report = PublishReport()
    target = outputs_dir(settings.data_dir)
    record_published(settings.data_dir, None)  # a publish cut short leaves no key behind
    with AlertLedger(settings.data_dir) as ledger, closing(open_reader(settings.data_dir)) as reader:
        for query in config.queries:
            try:
                publish_query(config, query, target, ledger, report, settings, logger, reader)
            except SavedQueryRefused as error:
                report.errors[query.name] = f"{config.path}: query {query.name!r}: {error}"
                logger.error("%s", report.errors[query.name])
            except Exception as error:
                # The run is committed already: a bug here must cost this query's outputs,
                # not fail the run or the other queries.
                report.errors[query.name] = f"query {query.name!r}: {type(error).__name__}: {error}"
                logger.exception("saved query %r not published", query.name)
    logger.info(
        "outputs: %d files written, %d unchanged, %d alerts sent",
        len(report.written),
        len(report.unchanged),
        report.alerts_sent,
    )
    if not report.errors:
        record_published(settings.data_dir, key)
    return report


FEED_SUFFIXES = (".atom.xml", ".json")


def publish_key(config: OutputsConfig, story_files: str | None) -> str | None:
    """What a publish's outputs and alerts follow from: the committed story files, the
    saved queries, the alert targets as the environment fills them in, and this
    version's code. None when that does not settle them (no manifest yet, or a ``where``
    with a clock or random function)."""
    if story_files is None or any(
        q.filters.where and where_is_volatile(q.filters.where) for q in config.queries
    ):
        return None
    targets = [q.alert.targets() if q.alert is not None else None for q in config.queries]
    parts = [__version__, story_files, config.base_url, repr(config.queries), repr(targets)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def publish_query(
    config, query: SavedQuery, target, ledger, report: PublishReport, settings, logger, reader
) -> None:
    """One saved query: its two feed files, then its alerts (``reader``: one open reader for
    all the run's queries)."""
    stories = stories_matching(settings.data_dir, query.filters, query.limit, reader)
    meta = feed_meta(config, query)
    for suffix, document in zip(FEED_SUFFIXES, (atom_feed, json_feed), strict=True):
        name = f"{query.name}{suffix}"
        changed = write_if_changed(target / name, document(meta, stories))
        (report.written if changed else report.unchanged).append(name)
    if query.alert is not None:
        report.alerts_sent += send_alerts(meta, query.alert, stories, ledger, report, logger)


def send_alerts(meta: FeedMeta, rule: AlertRule, stories, ledger: AlertLedger, report, logger) -> int:
    """Notify the rule's targets of each due story; each send is recorded right after it
    succeeded, so a failed one is retried next run and a sent one never repeats."""
    import apprise

    urls, missing = rule.targets()
    if missing:
        logger.warning("alerts of %r are off: %s not set in the environment", meta.name, ", ".join(missing))
        return 0
    notifier = apprise.Apprise()
    for position, url in enumerate(urls, start=1):
        if not notifier.add(url):
            # By position, not by value: a filled-in URL may hold a token from the environment.
            report.errors[meta.name] = f"alert: notify URL #{position} is not one apprise knows"
            logger.error("saved query %r: %s", meta.name, report.errors[meta.name])
            return 0
    send, too_old = rule.due(stories, ledger.entries(meta.name), datetime.now(UTC))
    for story in too_old:
        ledger.record(meta.name, story.story_id, story.revision, "too-old")
    sent = 0
    for story in send:
        message = alert_message(meta, story)
        if not notifier.notify(title=message.title, body=message.body):
            report.errors[meta.name] = f"alert for {story.story_id} not delivered; retried next run"
            logger.error("saved query %r: %s", meta.name, report.errors[meta.name])
            break
        ledger.record(meta.name, story.story_id, story.revision, "sent")
        sent += 1
    return sent
