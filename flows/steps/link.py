"""After the commit: link the run's new and revised stories to their translations and to
the other stories of their event (docs/linking.md).

Reads the story rows the run wrote (its own Parquet files, so the cost does not depend on
the history), profiles them (tasks/link_evidence.py), asks the link index for the stored
stories of nearby days that share a key with them, decides the links and event ids
(tasks/linking.py) and stores them, in batches; then exports the reader snapshots and
refreshes the views catalogue. A failure here costs only the links of this run, never
the run; ``newswire links --rebuild`` (``rebuild_links``) links the whole history again.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from prefect import get_run_logger, task

from newswire.flows.run import new_run_id
from newswire.tasks.link_evidence import LinkProfile, profile_of
from newswire.tasks.link_model import SentenceModel, embed_stories, load_model
from newswire.tasks.linking import (
    SAME_EVENT,
    TRANSLATION,
    LinkPolicy,
    StoryLink,
    assign_events,
    link_batch,
    with_renderings,
    with_weak_partners,
)
from newswire.tasks.settings import Settings
from newswire.warehouse import manifest as manifests
from newswire.warehouse.lake_store import LakeStore
from newswire.warehouse.story_links import UNKNOWN_DAY, KeyLookup, LinkIndex
from newswire.warehouse.views import open_reader, write_catalog
from newswire.warehouse.writer import Warehouse

# Stories profiled and looked up together: one candidate query per batch.
BATCH_SIZE = 1000
_STORY_COLUMNS = (
    "story_id, title, body, summary, language, published_at, canonical_url, countries, "
    "dateline_place, wire_agency, merged_into, withdrawn"
)


def keys_of(profile: LinkProfile) -> list[tuple[str, int, str]]:
    """The candidate keys a story is found by: its names and its figures, on its day."""
    day = UNKNOWN_DAY if profile.day is None else profile.day
    return [(f"n:{k}", day, profile.story_id) for k in profile.names] + [
        (f"f:{f}", day, profile.story_id) for f in sorted(profile.figures)
    ]


def lookup_of(
    profile: LinkProfile, policy: LinkPolicy, keys: list[tuple[str, int, str]] | None = None
) -> KeyLookup:
    """``keys``: the profile's ``keys_of`` if the caller has them (they are stored too)."""
    names = [key for key, _, _ in (keys_of(profile) if keys is None else keys)]
    day = profile.day
    if day is None:
        return KeyLookup(profile.story_id, names, None, None)
    reach = math.ceil(policy.event_window_hours / 24)
    return KeyLookup(profile.story_id, names, day - reach, day + reach)


def profile_row(profile: LinkProfile) -> dict[str, Any]:
    # A shallow copy of the fields: ``asdict`` deep-copies every frozenset and tuple
    # element by element (2 s of a 100x50 first poll's link step), and the columns below
    # are rebuilt as lists anyway.
    row = {f.name: getattr(profile, f.name) for f in fields(profile)}
    row["day"] = UNKNOWN_DAY if profile.day is None else profile.day
    for column in ("names", "terms", "figures", "dates", "countries", "sequence"):
        row[column] = list(row[column]) if column in ("names", "sequence") else sorted(row[column])
    return row


def profile_from_row(row: dict[str, Any]) -> LinkProfile:
    """A stored profile. Its keys are interned: a batch's candidates (up to
    ``MAX_CANDIDATES`` per story, tens of thousands on a first poll) repeat a few thousand
    three-letter keys, and one copy of each instead of one per profile is most of what
    the candidates of a 500x50 first poll held (about 30 KB a profile)."""
    return LinkProfile(
        story_id=row["story_id"],
        language=row["language"],
        outlet_id=row["outlet_id"],
        published_at=row["published_at"],
        names=tuple(map(sys.intern, row["names"] or ())),
        terms=frozenset(map(sys.intern, row["terms"] or ())),
        figures=frozenset(map(sys.intern, row["figures"] or ())),
        dates=frozenset(map(sys.intern, row["dates"] or ())),
        countries=frozenset(row["countries"] or ()),
        place=row["place"],
        agency=row["agency"],
        length=row["length"] or 0,
        sequence=tuple(map(sys.intern, row.get("sequence") or ())),
        embedding=row.get("embedding"),
        embedding_model=row.get("embedding_model"),
        sentences=row.get("sentences"),
    )


def link_profiles(
    index: LinkIndex, profiles: list[LinkProfile], run_id: str, policy: LinkPolicy
) -> list[StoryLink]:
    """One batch: candidates from the index, links, event ids, stored in one transaction."""
    if not profiles:
        return []
    keys = [keys_of(p) for p in profiles]
    lookups = [lookup_of(p, policy, k) for p, k in zip(profiles, keys, strict=True)]
    candidates = index.candidates(lookups, convert=profile_from_row)
    links = link_batch(profiles, candidates, policy)
    links = with_renderings(
        profiles, candidates, with_weak_partners(profiles, candidates, links, policy), policy
    )
    batch_ids = {p.story_id for p in profiles}
    touched = batch_ids | {x.story_id for x in links} | {x.other_story_id for x in links}
    # A revised story's stored event was its old text's: it joins the event its links
    # reach now (the store replaces its links and event in the same transaction).
    known = {k: v for k, v in index.events_of(sorted(touched)).items() if k not in batch_ids}
    published = {p.story_id: p.published_at for p in (*candidates, *profiles) if p.published_at is not None}
    plan = assign_events([p.story_id for p in profiles], links, known, policy, published)
    index.store(
        [profile_row(p) for p in profiles],
        [key for own in keys for key in own],
        [asdict(x) for x in plan.links],
        plan.assign,
        plan.merge,
        run_id,
    )
    return plan.links


def _outlet(url: str | None) -> str | None:
    if not url:
        return None
    host = url.split("/")[2] if "//" in url else url
    return host.removeprefix("www.")


def run_story_files(store: LakeStore, run_id: str) -> list[str]:
    """The story files ``run_id`` wrote (its own: nothing of the history is read)."""
    return runs_story_files(store, [run_id])


def runs_story_files(store: LakeStore, run_ids: list[str]) -> list[str]:
    """The story files these runs wrote. The current manifest names them: one small read
    for all of them, where listing the ``stories`` tree grew with the history (a recursive
    LIST per run on an object store)."""
    current = manifests.read_current(store)
    if current is None:
        return []
    names = {f"part-{run_id}.parquet" for run_id in run_ids}
    return [store.uri(f.path) for f in current.files_of("stories") if f.path.rsplit("/", 1)[-1] in names]


def _read_run(store: LakeStore, files: list[str], columns: str) -> tuple[duckdb.DuckDBPyConnection, Any]:
    con = duckdb.connect(":memory:")
    store.register(con)
    result = con.execute(
        f"SELECT {columns} FROM read_parquet(?, union_by_name = true) ORDER BY published_at, story_id",
        [files],
    )
    return con, result


def run_story_batches(store: LakeStore, run_id: str) -> Iterator[list[dict[str, Any]]]:
    """The live story rows ``run_id`` wrote (``_live``), in order of publication,
    ``BATCH_SIZE`` at a time: one batch of rows held at once, where all of a first
    poll's rows with their texts were held through its whole link step."""
    files = run_story_files(store, run_id)
    if not files:
        return
    con, result = _read_run(store, files, _STORY_COLUMNS)
    try:
        columns = [d[0] for d in result.description]
        batch: list[dict[str, Any]] = []
        while chunk := result.fetchmany(BATCH_SIZE):
            for values in chunk:
                row = dict(zip(columns, values, strict=True))
                if _live(row):
                    batch.append(row)
                    if len(batch) == BATCH_SIZE:
                        yield batch
                        batch = []
        if batch:
            yield batch
    finally:
        con.close()


def run_story_states(store: LakeStore, run_id: str) -> tuple[int, list[str]]:
    """How many of the story rows ``run_id`` wrote are live, and the ids of the others
    (merged into another by dedupe, withdrawn): their columns alone, not their texts."""
    files = run_story_files(store, run_id)
    if not files:
        return 0, []
    con, result = _read_run(store, files, "story_id, merged_into, withdrawn")
    try:
        rows = [
            dict(zip(("story_id", "merged_into", "withdrawn"), r, strict=True)) for r in result.fetchall()
        ]
    finally:
        con.close()
    live = sum(_live(r) for r in rows)
    return live, [r["story_id"] for r in rows if not _live(r)]


def story_profile(row: dict[str, Any]) -> LinkProfile:
    published: datetime | None = row["published_at"]
    return profile_of(
        row["story_id"],
        row["title"] or "",
        row["body"] or row["summary"] or "",
        language=row["language"],
        outlet_id=_outlet(row["canonical_url"]),
        published_at=published,
        enrichment={
            "countries": row["countries"],
            "dateline_place": row["dateline_place"],
            "wire_agency": row["wire_agency"],
        },
    )


def with_embeddings(
    profiles: list[LinkProfile], rows: list[dict[str, Any]], model: SentenceModel | None
) -> list[LinkProfile]:
    """The profiles with the model's vectors of their stories' titles and leads and of
    their sentences, the batch embedded at once (the only time a story is embedded: the
    vectors are stored with its profile). No model: the profiles as they are."""
    if model is None:
        return profiles
    vectors = embed_stories(model, [(r["title"] or "", r["body"] or r["summary"] or "") for r in rows])
    return [
        replace(p, embedding=v.lead, embedding_model=model.name, sentences=v.sentences)
        for p, v in zip(profiles, vectors, strict=True)
    ]


def link_runs(
    data_dir: Path, run_ids: list[str], policy: LinkPolicy | None = None, model_name: str = "none"
) -> tuple[int, int]:
    """Link the stories of each of ``run_ids`` in turn (one run's commits), then export the
    reader snapshots and refresh the catalogue once; returns (stories profiled, links made).
    ``model_name``: the sentence model whose vectors are evidence (NEWSWIRE_LINK_MODEL)."""
    policy = policy or LinkPolicy()
    store = LakeStore.for_data_dir(data_dir)
    states = [run_story_states(store, run_id) for run_id in run_ids]
    gone = sorted({story_id for _, run_gone in states for story_id in run_gone})
    if not any(live for live, _ in states) and not gone:
        return 0, 0
    model = load_model(model_name)
    profiled = made = 0
    with LinkIndex(data_dir) as index:
        index.forget(gone)
        for run_id, (live, _) in zip(run_ids, states, strict=True):
            if not live:
                continue
            for batch in run_story_batches(store, run_id):
                profiles = with_embeddings([story_profile(r) for r in batch], batch, model)
                made += len(link_profiles(index, profiles, run_id, policy))
                profiled += len(batch)
        index.export_snapshots(store)
    write_catalog(data_dir, store)
    return profiled, made


def _live(row: dict[str, Any]) -> bool:
    """A story row that is linked: not merged into another by dedupe, not withdrawn."""
    return not row["merged_into"] and not row["withdrawn"]


# The index a rebuild writes beside the live one, renamed over it when complete.
REBUILD_FILE = "links.rebuild.duckdb"


@dataclass
class LinkRebuildReport:
    run_id: str
    stories: int = 0
    translations: int = 0
    same_event: int = 0
    events: int = 0  # events of two or more stories


def rebuild_links(
    data_dir: Path, policy: LinkPolicy | None = None, model_name: str = "none", run_id: str | None = None
) -> LinkRebuildReport:
    """Link the whole stored history again with the current rules and model (``newswire
    links --rebuild``): after a change of ``LinkPolicy`` or of ``NEWSWIRE_LINK_MODEL``,
    after an upgrade of the evidence, or when a run's link step failed. Every live story,
    in order of publication, goes through the per-run path (``link_profiles``) into a new
    index beside the live one, which replaces it only when complete: a killed rebuild
    leaves the live links as they were. Holds the writer lock, so no run links meanwhile;
    one batch of stories in memory at a time."""
    policy = policy or LinkPolicy()
    run_id = run_id or new_run_id("links")
    report = LinkRebuildReport(run_id=run_id)
    warehouse = Warehouse(data_dir)
    with warehouse.writer():
        model = load_model(model_name)
        LinkIndex.discard(data_dir, REBUILD_FILE)
        index = LinkIndex(data_dir, REBUILD_FILE)
        reader = open_reader(data_dir)
        try:
            result = reader.execute(f"SELECT {_STORY_COLUMNS} FROM stories ORDER BY published_at, story_id")
            columns = [d[0] for d in result.description]
            while batch := [dict(zip(columns, row, strict=True)) for row in result.fetchmany(BATCH_SIZE)]:
                profiles = with_embeddings([story_profile(r) for r in batch], batch, model)
                links = link_profiles(index, profiles, run_id, policy)
                report.stories += len(batch)
                report.translations += sum(x.kind == TRANSLATION for x in links)
                report.same_event += sum(x.kind == SAME_EVENT for x in links)
            report.events = index.event_count()
            index.replace_live()
        except BaseException:
            index.close()
            LinkIndex.discard(data_dir, REBUILD_FILE)
            raise
        finally:
            reader.close()
        store = LakeStore.for_data_dir(data_dir)
        with LinkIndex(data_dir) as live:
            live.export_snapshots(store)
        write_catalog(data_dir, store)
    return report


def link_step(settings: Settings, commit_ids: list[str]) -> tuple[int, int]:
    """The flow's link step: the ``link-stories`` task when the run's commits wrote story
    rows, else nothing (``link_runs`` would link and forget none, and log nothing), without
    a task run on the Prefect API (an unchanged re-poll's case)."""
    try:
        store = LakeStore.for_data_dir(settings.data_dir)
        wrote_stories = bool(runs_story_files(store, commit_ids))
    except Exception:  # the task says what is wrong, and costs only the run's links
        wrote_stories = True
    return link_stories(settings, commit_ids) if wrote_stories else (0, 0)


@task(name="link-stories")
def link_stories(settings: Settings, commit_ids: list[str]) -> tuple[int, int]:
    """The flow's link step over the run's commits (one, or one per part of a large run);
    a failure is logged and costs only this run's links."""
    logger = get_run_logger()
    started = time.perf_counter()
    try:
        profiled, made = link_runs(settings.data_dir, commit_ids, model_name=settings.link_model)
    except Exception as error:
        logger.warning("linking the stories of run %s failed: %s", commit_ids[0], error)
        return 0, 0
    if profiled:
        logger.info(
            "linked %d stories of run %s: %d links (%.1f s)",
            profiled,
            commit_ids[0],
            made,
            time.perf_counter() - started,
        )
    return profiled, made
