"""The link index: story profiles, candidate keys, links and event ids (docs/linking.md).

Its own DuckDB file, ``data/state/links.duckdb`` (like the alert ledger), opened only
under the writer slot; the tables are ``sql/links/NNN_*.sql``, applied in order. A batch's
candidates are found with one join of its keys against ``link_keys`` restricted to the
batch's days (rows arrive in about day order, so DuckDB's zone maps skip the other days'
row groups): the cost per item does not grow with the history. Readers get
``story_links`` and ``story_events`` as Parquet snapshots under ``lake/state/``.

Takes and returns plain records (rows as dicts, ``ProfileRow``); it never imports tasks/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newswire.warehouse import arrow_columns, lake
from newswire.warehouse.lake_store import LakeStore

INDEX_FILE = "links.duckdb"
SNAPSHOTS = ("story_links", "story_events")
# The link index shares the writer's memory budget on 2 cores. DuckDB fills the limit with
# the candidate query's join of a large batch (a 500x50 first poll's 1,000-story batch
# against 21k stored profiles: +514 MB of RSS at 512 MB, +147 MB at 128 MB, 3.2 s against
# 3.8 s, the same candidates); what does not fit is re-read or spilled beside the index.
MEMORY_LIMIT = "128MB"
# A key held by more stories than this within a batch's days says nothing about any one
# pair ("Kazakhstan" on a busy day); such keys are ignored for finding candidates.
MAX_STORIES_PER_KEY = 400
# Candidate rows fetched (and converted) at a time.
FETCH_ROWS = 2048
# Candidates per batch story, the ones sharing the most keys first.
MAX_CANDIDATES = 200
UNKNOWN_DAY = -1

PROFILE_COLUMNS = (
    "story_id",
    "day",
    "published_at",
    "language",
    "outlet_id",
    "names",
    "terms",
    "figures",
    "dates",
    "countries",
    "place",
    "agency",
    "length",
    "sequence",
    "embedding",
    "embedding_model",
    "sentences",
)


@dataclass(frozen=True)
class KeyLookup:
    """A batch story's candidate keys and the days to look in."""

    story_id: str
    keys: list[str]
    first_day: int | None  # None: any day (the story's own time is unknown)
    last_day: int | None


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("newswire.warehouse").joinpath("sql/links")
    steps = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            steps.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(steps)


class LinkIndex:
    """Open for the length of one link step (``with LinkIndex(data_dir) as index``)."""

    def __init__(self, data_dir: Path, file_name: str = INDEX_FILE) -> None:
        """``file_name``: another index file beside the live one (a rebuild's, which
        replaces the live one when it is complete: ``replace_live``)."""
        self.data_dir = Path(data_dir)
        self.path = path = self.data_dir / "state" / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path), config={"memory_limit": MEMORY_LIMIT})
        self._migrate()

    def _migrate(self) -> None:
        has_meta = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'link_index_meta'"
        ).fetchall()[0][0]
        version = 0
        if has_meta:
            version = int(
                self.con.execute("SELECT value FROM link_index_meta WHERE name = 'version'").fetchall()[0][0]
            )
        for number, sql in _migrations():
            if number > version:
                self.con.execute("BEGIN")
                self.con.execute(sql)
                self.con.execute(
                    "INSERT OR REPLACE INTO link_index_meta VALUES ('version', ?)", [str(number)]
                )
                self.con.execute("COMMIT")

    # -- reads ---------------------------------------------------------------------------

    def candidates(
        self, lookups: list[KeyLookup], convert: Callable[[dict[str, Any]], Any] | None = None
    ) -> list[Any]:
        """Profiles of the stored stories that share keys with a batch story in its days,
        the ones sharing the most first, at most ``MAX_CANDIDATES`` per batch story: as
        row dicts, or each as ``convert`` makes it of its row dict."""
        dated = [lk for lk in lookups if lk.first_day is not None]
        lo = min((lk.first_day for lk in dated), default=0)
        hi = max((lk.last_day for lk in dated), default=0)
        undated = len(dated) < len(lookups)
        wanted = _ranked_candidates(self.con, lookups, lo, hi)
        if not wanted:
            return []
        self.con.register(
            "_wanted", arrow_columns.table({"story_id": arrow_columns.column(wanted, pa.string())})
        )
        try:
            result = self.con.execute(
                f"""
                SELECT p.* FROM (
                    SELECT * FROM link_profiles WHERE day BETWEEN ? AND ?
                    UNION ALL SELECT * FROM link_profiles WHERE day = {UNKNOWN_DAY}
                    UNION ALL SELECT * FROM link_profiles
                    WHERE ? AND day <> {UNKNOWN_DAY} AND NOT (day BETWEEN ? AND ?)
                ) AS p
                WHERE p.story_id IN (SELECT story_id FROM _wanted)
                """,
                [lo, hi, undated, lo, hi],
            )
            columns = [d[0] for d in result.description]
            if convert is None:
                return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
            # In chunks, each row converted as it comes: the raw rows of a large batch's
            # candidates are never all held beside what they convert to.
            converted = []
            while chunk := result.fetchmany(FETCH_ROWS):
                converted += [convert(dict(zip(columns, row, strict=True))) for row in chunk]
            return converted
        finally:
            self.con.unregister("_wanted")

    def events_of(self, story_ids: list[str]) -> dict[str, str]:
        if not story_ids:
            return {}
        self.con.register("wanted", arrow_columns.table({"story_id": story_ids}))
        try:
            rows = self.con.execute(
                "SELECT e.story_id, e.event_id FROM story_events AS e JOIN wanted USING (story_id)"
            ).fetchall()
        finally:
            self.con.unregister("wanted")
        return dict(rows)

    def event_count(self) -> int:
        """Events of two or more stories."""
        return self.con.execute(
            "SELECT count(*) FROM (SELECT event_id FROM story_events GROUP BY event_id HAVING count(*) >= 2)"
        ).fetchall()[0][0]

    # -- writes --------------------------------------------------------------------------

    def store(
        self,
        profiles: list[dict[str, Any]],
        keys: list[tuple[str, int, str]],
        links: list[dict[str, Any]],
        assign: dict[str, str],
        merge: dict[str, str],
        run_id: str,
    ) -> None:
        """One transaction: the batch's profiles and keys, its links, its event ids, and
        the events a link joined. A revised story's profile, keys, links and event are
        replaced whole: its links were decided on its old text, and the batch's links are
        the decisions on the new one (a link to it from a story not looked at again is
        decided again here, since that story is its candidate)."""
        now = datetime.now(UTC)
        ids = [p["story_id"] for p in profiles]
        con = self.con
        con.execute("BEGIN")
        try:
            self._delete(ids)
            self._append("link_profiles", {c: [p[c] for p in profiles] for c in PROFILE_COLUMNS})
            self._append(
                "link_keys",
                {"key": [k[0] for k in keys], "day": [k[1] for k in keys], "story_id": [k[2] for k in keys]},
            )
            if links:
                # Set-based, not executemany: DuckDB runs executemany row by row (12.7 s of
                # a 100x50 first poll's 52 s link step). A pair decided twice keeps its
                # last decision, as the row-by-row INSERT OR REPLACE did.
                latest = {(x["story_id"], x["other_story_id"]): x for x in links}
                self._upsert(
                    "story_links",
                    {
                        "story_id": [k[0] for k in latest],
                        "other_story_id": [k[1] for k in latest],
                        "kind": [x["kind"] for x in latest.values()],
                        "score": [float(x["score"]) for x in latest.values()],
                        "evidence": [json.dumps(x["evidence"], ensure_ascii=False) for x in latest.values()],
                        "run_id": [run_id] * len(latest),
                        "linked_at": [now] * len(latest),
                    },
                )
            if merge:
                # Every member of an absorbed event moves at once; the surviving ids are
                # never themselves absorbed (tasks/linking.py:assign_events), so one
                # joined UPDATE equals the one-by-one updates.
                con.register(
                    "_merge", arrow_columns.table({"old_id": list(merge), "new_id": list(merge.values())})
                )
                try:
                    con.execute(
                        "UPDATE story_events SET event_id = _merge.new_id, run_id = ?, assigned_at = ? "
                        "FROM _merge WHERE story_events.event_id = _merge.old_id",
                        [run_id, now],
                    )
                finally:
                    con.unregister("_merge")
            if assign:
                self._upsert(
                    "story_events",
                    {
                        "story_id": list(assign),
                        "event_id": list(assign.values()),
                        "run_id": [run_id] * len(assign),
                        "assigned_at": [now] * len(assign),
                    },
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _delete(self, story_ids: list[str]) -> None:
        """Everything the index holds of ``story_ids`` (inside the caller's transaction)."""
        self.con.register(
            "_gone", arrow_columns.table({"story_id": arrow_columns.column(story_ids, pa.string())})
        )
        try:
            for table in ("link_profiles", "link_keys", "story_events"):
                self.con.execute(f"DELETE FROM {table} WHERE story_id IN (SELECT story_id FROM _gone)")
            self.con.execute(
                "DELETE FROM story_links WHERE story_id IN (SELECT story_id FROM _gone) "
                "OR other_story_id IN (SELECT story_id FROM _gone)"
            )
        finally:
            self.con.unregister("_gone")

    def forget(self, story_ids: list[str]) -> None:
        """Drop the profiles, keys, links and events of stories that are no longer live
        (merged into another by dedupe, withdrawn): no later story is linked to them."""
        if not story_ids:
            return
        self.con.execute("BEGIN")
        try:
            self._delete(story_ids)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _append(self, table: str, columns: dict[str, list]) -> None:
        if not next(iter(columns.values())):
            return
        self.con.register("_rows", arrow_columns.table(columns))
        try:
            self.con.execute(f"INSERT INTO {table} SELECT {', '.join(columns)} FROM _rows")
        finally:
            self.con.unregister("_rows")

    def _upsert(self, table: str, columns: dict[str, list]) -> None:
        """``INSERT OR REPLACE`` of whole columns (keys unique within ``columns``)."""
        self.con.register("_rows", arrow_columns.table(columns))
        try:
            self.con.execute(f"INSERT OR REPLACE INTO {table} SELECT {', '.join(columns)} FROM _rows")
        finally:
            self.con.unregister("_rows")

    def bulk_load(self, profiles: list[dict[str, Any]], keys: list[tuple[str, int, str]]) -> None:
        """History for the benchmark: profiles and keys appended without links."""
        self.con.execute("BEGIN")
        self._append("link_profiles", {c: [p[c] for p in profiles] for c in PROFILE_COLUMNS})
        self._append(
            "link_keys",
            {"key": [k[0] for k in keys], "day": [k[1] for k in keys], "story_id": [k[2] for k in keys]},
        )
        self.con.execute("COMMIT")

    def export_snapshots(self, store: LakeStore) -> None:
        """``story_links`` and ``story_events`` as Parquet for readers (who must not open
        the index): rewritten whole after each run that linked anything, atomically on
        disk and on an object store alike."""
        for name in SNAPSHOTS:
            table = self.con.sql(f"SELECT * FROM {name} ORDER BY story_id").to_arrow_table()
            store.write_bytes(f"state/{name}.parquet", lake.parquet_bytes(table))

    def close(self) -> None:
        self.con.close()

    def replace_live(self) -> None:
        """Make this (rebuilt) index the live one, atomically: checkpointed and closed,
        then renamed over ``INDEX_FILE``. A crash before the rename leaves the live index
        as it was; the next rebuild starts its file anew (``discard``)."""
        self.con.execute("CHECKPOINT")
        self.close()
        os.replace(self.path, self.path.with_name(INDEX_FILE))

    @staticmethod
    def discard(data_dir: Path, file_name: str) -> None:
        """Remove an index file a killed rebuild left (and its write-ahead log)."""
        path = Path(data_dir) / "state" / file_name
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def __enter__(self) -> LinkIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- candidate ranking --------------------------------------------------------------------
#
# Which stored stories a batch's stories are compared with. The stored keys are read where
# a batch story can match them — the batch's days (zone maps prune the rest), stories of
# unknown day, and, only for batch stories of unknown day (which ingest never has), every
# day — in two small reads: counts per key and day, which say which keys are held by more
# than ``MAX_STORIES_PER_KEY`` stories in a batch story's days (ignored for it), then the
# postings of the other keys only. The ranking itself is numpy on those postings: joined in
# SQL, every batch story times every stored story of each of its keys was millions of
# string rows grouped with a distinct count, spilled at the index's memory limit (7.6 s
# of a 100x50 first poll's 20 s link step, growing with the square of a first poll).
# The choice is the one the join made: per batch story, the stored stories (not itself)
# sharing the most of its kept keys, ties by story id, at most ``MAX_CANDIDATES``.

_DAY_SHIFT = 1 << 33  # days as non-negative offsets inside a (key, day) sort key


def _key_day(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    return (codes.astype(np.int64) << 34) + (days.astype(np.int64) + _DAY_SHIFT)


def _ranked_candidates(
    con: duckdb.DuckDBPyConnection, lookups: list[KeyLookup], lo: int, hi: int
) -> list[str]:
    """The story ids of the batch's candidates (see above); ``lo``..``hi`` the days of
    the batch's dated stories."""
    key_list = sorted({key for lk in lookups for key in lk.keys})
    if not key_list:
        return []
    key_code = {key: i for i, key in enumerate(key_list)}
    batch_code: dict[str, int] = {}
    row_story, row_key, row_lo, row_hi, row_dated = [], [], [], [], []
    for lk in lookups:
        story = batch_code.setdefault(lk.story_id, len(batch_code))
        for key in lk.keys:
            row_story.append(story)
            row_key.append(key_code[key])
            row_dated.append(lk.first_day is not None)
            row_lo.append(lk.first_day if lk.first_day is not None else 0)
            row_hi.append(lk.last_day if lk.last_day is not None else 0)
    story_of = np.asarray(row_story, dtype=np.int64)
    key_of = np.asarray(row_key, dtype=np.int64)
    dated = np.asarray(row_dated, dtype=bool)
    # A dated story's first scan is its own days within the batch's.
    first = np.maximum(np.asarray(row_lo, dtype=np.int64), lo)
    last = np.minimum(np.asarray(row_hi, dtype=np.int64), hi)
    any_undated = not bool(dated.all())
    con.register("_keys", arrow_columns.table({"key": arrow_columns.column(key_list, pa.string())}))
    try:
        total = _key_counts(con, key_code, key_of, first, last, dated, lo, hi, any_undated)
        # Stories per (batch story, key) over its rows; the keys held by too many are not
        # a batch story's way to its candidates.
        pair = story_of * len(key_list) + key_of
        pairs, where = np.unique(pair, return_inverse=True)
        common = np.bincount(where, weights=total, minlength=len(pairs)) > MAX_STORIES_PER_KEY
        kept = ~common[where]
        if not kept.any():
            return []
        postings = _postings(con, key_code, np.unique(key_of[kept]), lo, hi, bool((kept & ~dated).any()))
    finally:
        con.unregister("_keys")
    if postings is None:
        return []
    sort_key, stories, names = postings
    rank_of = np.empty(len(names), dtype=np.int64)
    rank_of[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    own = {name: i for i, name in enumerate(names) if name in batch_code}
    own_code = np.full(len(batch_code), -1, dtype=np.int64)
    for name, story in batch_code.items():
        if name in own:
            own_code[story] = own[name]
    # Each kept row's postings: a slice of its key's days (or all of its key, undated),
    # and its key's unknown-day stories.
    codes = key_of[kept]
    start_day = np.where(
        dated[kept], _key_day(codes, first[kept]), _key_day(codes, np.full(len(codes), -_DAY_SHIFT))
    )
    end_day = np.where(
        dated[kept], _key_day(codes, last[kept]), _key_day(codes, np.full(len(codes), _DAY_SHIFT - 1))
    )
    starts = np.searchsorted(sort_key, start_day, "left")
    ends = np.maximum(np.searchsorted(sort_key, end_day, "right"), starts)
    unknown = _key_day(codes, np.full(len(codes), UNKNOWN_DAY))
    unknown_starts = np.searchsorted(sort_key, unknown, "left")
    unknown_ends = np.searchsorted(sort_key, unknown, "right")
    owners = story_of[kept]
    order = np.argsort(owners, kind="stable")
    bounds = np.searchsorted(owners[order], np.arange(len(batch_code) + 1))
    width = len(key_list)
    chosen: set[int] = set()
    for story in range(len(batch_code)):
        rows = order[bounds[story] : bounds[story + 1]]
        if not len(rows):
            continue
        parts = [
            stories[a:b] * width + code
            for a, b, ua, ub, code in zip(
                starts[rows], ends[rows], unknown_starts[rows], unknown_ends[rows], codes[rows], strict=True
            )
            for a, b in ((a, b), (ua, ub))
            if b > a
        ]
        if not parts:
            continue
        # Deduplicated and counted on a sort: np.unique (numpy 2's hash-based one) took
        # twice as long over a batch.
        hit = np.sort(np.concatenate(parts))
        hit = hit[np.r_[True, hit[1:] != hit[:-1]]] // width  # (story, key) once each
        first = np.flatnonzero(np.r_[True, hit[1:] != hit[:-1]])
        found, shared = hit[first], np.diff(np.r_[first, len(hit)])
        mine = found != own_code[story]
        found, shared = found[mine], shared[mine]
        if len(found) > MAX_CANDIDATES:
            best = np.lexsort((rank_of[found], -shared))[:MAX_CANDIDATES]
            found = found[best]
        chosen.update(found.tolist())
    return [names[i] for i in sorted(chosen)]


def _key_counts(
    con: duckdb.DuckDBPyConnection,
    key_code: dict[str, int],
    key_of: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    dated: np.ndarray,
    lo: int,
    hi: int,
    any_undated: bool,
) -> np.ndarray:
    """Per lookup row, the stored key rows it matches: its days (dated), its key's
    unknown-day rows, and every other day's (undated), as the three scans count them."""
    by_day = con.execute(
        "SELECT key, day, count(*) FROM link_keys WHERE day BETWEEN ? AND ? "
        "AND key IN (SELECT key FROM _keys) GROUP BY key, day",
        [lo, hi],
    ).fetchall()
    unknown = np.zeros(len(key_code), dtype=np.int64)
    for key, n in con.execute(
        f"SELECT key, count(*) FROM link_keys WHERE day = {UNKNOWN_DAY} "
        "AND key IN (SELECT key FROM _keys) GROUP BY key"
    ).fetchall():
        unknown[key_code[key]] = n
    other = np.zeros(len(key_code), dtype=np.int64)
    if any_undated:
        for key, n in con.execute(
            f"SELECT key, count(*) FROM link_keys WHERE day <> {UNKNOWN_DAY} "
            "AND key IN (SELECT key FROM _keys) GROUP BY key"
        ).fetchall():
            other[key_code[key]] = n
    total = unknown[key_of] + np.where(dated, 0, other[key_of])
    if by_day:
        codes = np.fromiter((key_code[k] for k, _, _ in by_day), dtype=np.int64, count=len(by_day))
        days = np.fromiter((d for _, d, _ in by_day), dtype=np.int64, count=len(by_day))
        counts = np.fromiter((n for _, _, n in by_day), dtype=np.int64, count=len(by_day))
        order = np.argsort(_key_day(codes, days), kind="stable")
        sort_key = _key_day(codes, days)[order]
        cumulative = np.concatenate(([0], np.cumsum(counts[order])))
        a = np.searchsorted(sort_key, _key_day(key_of, first), "left")
        b = np.maximum(np.searchsorted(sort_key, _key_day(key_of, last), "right"), a)
        total += np.where(dated, cumulative[b] - cumulative[a], 0)
    return total


def _postings(
    con: duckdb.DuckDBPyConnection,
    key_code: dict[str, int],
    wanted: np.ndarray,
    lo: int,
    hi: int,
    undated: bool,
) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """The stored rows of the ``wanted`` key codes a batch story can match, sorted by
    (key, day): their sort keys, their story codes and the story ids of those codes."""
    names = list(key_code)
    con.register(
        "_kept",
        arrow_columns.table({"key": arrow_columns.column([names[i] for i in wanted.tolist()], pa.string())}),
    )
    try:
        table = con.sql(
            f"""
            SELECT key, day, story_id FROM link_keys
            WHERE day BETWEEN ? AND ? AND key IN (SELECT key FROM _kept)
            UNION ALL
            SELECT key, day, story_id FROM link_keys
            WHERE day = {UNKNOWN_DAY} AND key IN (SELECT key FROM _kept)
            UNION ALL
            SELECT key, day, story_id FROM link_keys
            WHERE ? AND day <> {UNKNOWN_DAY} AND NOT (day BETWEEN ? AND ?) AND key IN (SELECT key FROM _kept)
            """,
            params=[lo, hi, undated, lo, hi],
        ).to_arrow_table()
    finally:
        con.unregister("_kept")
    if not table.num_rows:
        return None
    codes = pc.index_in(table["key"], value_set=arrow_columns.column(names, pa.string())).to_numpy()
    days = table["day"].to_numpy()
    encoded = pc.dictionary_encode(table["story_id"]).combine_chunks()
    stories = encoded.indices.to_numpy().astype(np.int64)
    sort_key = _key_day(codes, days)
    order = np.argsort(sort_key, kind="stable")
    return sort_key[order], stories[order], encoded.dictionary.to_pylist()


# -- reader views (warehouse/views.py creates them over the snapshots) --------------------

_EMPTY = {
    "story_links": "SELECT NULL::VARCHAR AS story_id, NULL::VARCHAR AS other_story_id, "
    "NULL::VARCHAR AS kind, NULL::DOUBLE AS score, NULL::JSON AS evidence, NULL::VARCHAR AS run_id, "
    "NULL::TIMESTAMPTZ AS linked_at WHERE false",
    "story_events": "SELECT NULL::VARCHAR AS story_id, NULL::VARCHAR AS event_id, NULL::VARCHAR AS run_id, "
    "NULL::TIMESTAMPTZ AS assigned_at WHERE false",
}


def reader_views(store: LakeStore) -> dict[str, str]:
    """The link views, in creation order: the two snapshots (empty until a run linked
    anything), ``story_translations`` (each story's versions in other languages, both
    directions) and ``events`` (one row per event of two or more live stories)."""
    views = {}
    for name in SNAPSHOTS:
        relative = f"state/{name}.parquet"
        path = store.uri(relative).replace("'", "''")
        views[name] = f"SELECT * FROM read_parquet('{path}')" if store.exists(relative) else _EMPTY[name]
    views["story_translations"] = """
        WITH both_ways AS (
            SELECT story_id, other_story_id, score, evidence FROM story_links WHERE kind = 'translation'
            UNION ALL
            SELECT other_story_id, story_id, score, evidence FROM story_links WHERE kind = 'translation'
        )
        SELECT b.story_id, s.language, b.other_story_id AS translation_id, o.language AS translation_language,
               o.title AS translation_title, o.url AS translation_url,
               o.published_at AS translation_published_at,
               b.score, b.evidence
        FROM both_ways AS b
        JOIN stories AS s ON s.story_id = b.story_id
        JOIN stories AS o ON o.story_id = b.other_story_id
    """
    views["events"] = """
        SELECT e.event_id,
               count(*) AS story_count,
               list(DISTINCT s.language ORDER BY s.language) AS languages,
               list_sort(list_distinct(flatten(list(s.outlets)))) AS outlets,
               min(s.published_at) AS first_published_at,
               max(s.published_at) AS last_published_at,
               arg_min(s.title, s.published_at) AS first_title,
               list(s.story_id ORDER BY s.published_at) AS story_ids
        FROM story_events AS e
        JOIN stories AS s USING (story_id)
        GROUP BY e.event_id
        HAVING count(*) >= 2
    """
    return views
