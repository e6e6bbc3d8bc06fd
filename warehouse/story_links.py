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
import pyarrow as pa

from newswire.warehouse import lake
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
        rows = [(lk.story_id, key, lk.first_day, lk.last_day) for lk in lookups for key in lk.keys]
        if not rows:
            return []
        batch = pa.table(
            {
                "batch_id": [r[0] for r in rows],
                "key": [r[1] for r in rows],
                "lo": pa.array([r[2] for r in rows], pa.int32()),
                "hi": pa.array([r[3] for r in rows], pa.int32()),
            }
        )
        dated = [lk for lk in lookups if lk.first_day is not None]
        lo = min((lk.first_day for lk in dated), default=0)
        hi = max((lk.last_day for lk in dated), default=0)
        self.con.register("batch_keys", batch)
        try:
            # Three scans that each read only what they can match: the batch's days (zone
            # maps prune the rest), stories of unknown day, and — only for batch stories of
            # unknown day, which ingest never has — every day.
            result = self.con.execute(
                f"""
                WITH hits AS (
                    SELECT b.batch_id, k.key, k.story_id
                    FROM (SELECT * FROM link_keys WHERE day BETWEEN ? AND ?) AS k
                    JOIN batch_keys AS b ON k.key = b.key AND k.day BETWEEN b.lo AND b.hi
                    UNION ALL
                    SELECT b.batch_id, k.key, k.story_id
                    FROM (SELECT * FROM link_keys WHERE day = {UNKNOWN_DAY}) AS k
                    JOIN batch_keys AS b ON k.key = b.key
                    UNION ALL
                    SELECT b.batch_id, k.key, k.story_id
                    FROM link_keys AS k JOIN batch_keys AS b ON k.key = b.key
                    WHERE b.lo IS NULL AND k.day <> {UNKNOWN_DAY}
                ),
                common AS (
                    SELECT batch_id, key FROM hits GROUP BY batch_id, key
                    HAVING count(*) > {MAX_STORIES_PER_KEY}
                ),
                ranked AS (
                    SELECT h.batch_id, h.story_id, count(DISTINCT h.key) AS shared,
                           row_number() OVER (
                               PARTITION BY h.batch_id ORDER BY count(DISTINCT h.key) DESC, h.story_id
                           ) AS rank
                    FROM hits AS h ANTI JOIN common AS c ON h.batch_id = c.batch_id AND h.key = c.key
                    WHERE h.story_id <> h.batch_id
                    GROUP BY h.batch_id, h.story_id
                )
                SELECT p.* FROM (
                    SELECT * FROM link_profiles WHERE day BETWEEN ? AND ?
                    UNION ALL SELECT * FROM link_profiles WHERE day = {UNKNOWN_DAY}
                    UNION ALL SELECT * FROM link_profiles
                    WHERE ? AND day <> {UNKNOWN_DAY} AND NOT (day BETWEEN ? AND ?)
                ) AS p
                WHERE p.story_id IN (SELECT story_id FROM ranked WHERE rank <= {MAX_CANDIDATES})
                """,
                [lo, hi, lo, hi, len(dated) < len(lookups), lo, hi],
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
            self.con.unregister("batch_keys")

    def events_of(self, story_ids: list[str]) -> dict[str, str]:
        if not story_ids:
            return {}
        self.con.register("wanted", pa.table({"story_id": story_ids}))
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
                con.register("_merge", pa.table({"old_id": list(merge), "new_id": list(merge.values())}))
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
        self.con.register("_gone", pa.table({"story_id": pa.array(story_ids, pa.string())}))
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
        self.con.register("_rows", pa.table(columns))
        try:
            self.con.execute(f"INSERT INTO {table} SELECT {', '.join(columns)} FROM _rows")
        finally:
            self.con.unregister("_rows")

    def _upsert(self, table: str, columns: dict[str, list]) -> None:
        """``INSERT OR REPLACE`` of whole columns (keys unique within ``columns``)."""
        self.con.register("_rows", pa.table(columns))
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
