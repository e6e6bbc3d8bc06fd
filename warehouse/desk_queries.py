"""The read-side queries of what a desk reads: the stories of a saved query (the republished
feeds, the alerts, the story page) and one story with its revisions and appearances.

Like warehouse/queries.py they go through the reader connection only (views over the Parquet
lake), so they answer while an ingest runs. A saved query's filters become bound parameters;
its free ``where`` is the desk's own SQL, checked to be one expression over the ``stories``
view (``check_where``) and run on an in-memory connection that holds nothing but views.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb

from newswire.warehouse.views import open_reader


class StoryFilterSpec(Protocol):
    """The filters of a saved query (tasks/saved_queries.py StoryFilters)."""

    countries: tuple[str, ...]
    primary_country: tuple[str, ...]
    in_region: bool | None
    agencies: tuple[str, ...]
    languages: tuple[str, ...]
    outlets: tuple[str, ...]
    keywords: tuple[str, ...]
    min_outlets: int
    where: str | None


@dataclass(frozen=True)
class OutletLink:
    """One outlet that carried a story, and the link to its copy (its earliest one)."""

    outlet: str
    # None for a wire item (ninjs, NewsML-G2, a drop folder) that names no link.
    url: str | None


@dataclass(frozen=True)
class DeskStory:
    """A story as a desk reads it: the clean representative copy and every outlet."""

    story_id: str
    revision: int
    title: str
    body: str
    url: str | None
    language: str | None
    published_at: datetime
    # The later of the story's latest revision and its latest appearance: a correction or a
    # new outlet carrying it updates the entry; a re-poll that changes nothing does not.
    updated_at: datetime
    first_seen_at: datetime
    wire_agency: str | None
    dateline_place: str | None
    dateline_date: str | None
    countries: tuple[str, ...]
    primary_country: str | None
    in_region: bool | None
    outlets: tuple[OutletLink, ...]

    @property
    def dateline(self) -> str | None:
        parts = [p for p in (self.dateline_place, self.dateline_date) if p]
        return ", ".join(parts) or None


@dataclass(frozen=True)
class StoryRevision:
    revision: int
    title: str
    changed_at: datetime
    representative_feed_id: str
    url: str | None
    wire_agency: str | None


@dataclass(frozen=True)
class StoryAppearance:
    outlet: str
    feed_id: str
    title: str
    url: str | None
    published_at: datetime
    first_seen_at: datetime
    revision: int


@dataclass(frozen=True)
class StoryDetail:
    story: DeskStory
    revisions: tuple[StoryRevision, ...]
    appearances: tuple[StoryAppearance, ...]


class SavedQueryRefused(ValueError):
    """A saved query's ``where`` is not one valid expression over the stories view."""


_STORY_COLUMNS = """
    story_id, revision, coalesce(title, '') AS title, coalesce(nullif(body, ''), summary, '') AS body,
    coalesce(canonical_url, url) AS url, language,
    published_at, greatest(changed_at, coalesce(last_seen_at, changed_at)) AS updated_at, first_seen_at,
    wire_agency, dateline_place, dateline_date,
    [c.code FOR c IN coalesce(countries, [])] AS country_codes, primary_country, in_region
"""

# Newest first; the story id breaks ties so two runs over the same lake list the same order.
_STORIES_QUERY = """
SELECT {columns} FROM stories
WHERE {conditions}
ORDER BY published_at DESC, story_id
LIMIT ?
"""

# One link per outlet: its earliest copy (then the smallest id, so the choice is stable).
_OUTLETS_QUERY = """
SELECT story_id, outlet_id, first(coalesce(canonical_url, url) ORDER BY published_at, appearance_id) AS url
FROM appearances
WHERE list_contains(?, story_id)
GROUP BY story_id, outlet_id
ORDER BY story_id, outlet_id
"""


def filter_conditions(filters: StoryFilterSpec) -> tuple[str, list[Any]]:
    """The WHERE of a saved query over the stories view, and its parameters."""
    conditions, parameters = ["true"], []

    def add(sql: str, *values: Any) -> None:
        conditions.append(sql)
        parameters.extend(values)

    if filters.countries:
        add("len(list_intersect([c.code FOR c IN coalesce(countries, [])], ?)) > 0", list(filters.countries))
    if filters.primary_country:
        add("list_contains(?, primary_country)", list(filters.primary_country))
    if filters.in_region is not None:
        add("coalesce(in_region, false) = ?", filters.in_region)
    if filters.agencies:
        add("list_contains(?, lower(wire_agency))", [a.lower() for a in filters.agencies])
    if filters.languages:
        add("list_contains(?, language)", list(filters.languages))
    if filters.outlets:
        add("len(list_intersect(outlets, ?)) > 0", list(filters.outlets))
    if filters.keywords:
        text = "lower(coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(body, ''))"
        add(f"list_bool_or([contains({text}, k) FOR k IN ?::VARCHAR[]])", list(filters.keywords))
    if filters.min_outlets > 1:
        add("len(outlets) >= ?", filters.min_outlets)
    if filters.where:
        conditions.append(f"({filters.where})")
    return " AND ".join(conditions), parameters


def check_where(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Refuse a ``where`` that is not exactly one expression over the stories view (a second
    statement, a parenthesis that closes the query's own, an unknown column) before it is
    ever run for real."""
    try:
        # Parsed as an expression on its own first: "true) UNION (SELECT ..." is not one.
        duckdb.SQLExpression(where)
        con.execute(f"SELECT * FROM stories WHERE ({where}) LIMIT 0")
    except duckdb.Error as error:
        raise SavedQueryRefused(f"where {where!r}: {error}") from error


# The SQL standard's niladic functions: DuckDB's parser keeps them as bare names (column
# references) and binds them to functions later, so the catalogue below does not list them.
_NILADIC_CLOCK = frozenset(
    {"current_date", "current_time", "current_timestamp", "localtime", "localtimestamp"}
)
_VOLATILE_FUNCTIONS_SQL = """
    SELECT DISTINCT lower(function_name) FROM duckdb_functions()
    WHERE stability = 'VOLATILE' OR has_side_effects
       OR (stability = 'CONSISTENT_WITHIN_QUERY' AND len(parameters) = 0)
"""


@functools.lru_cache(maxsize=256)
def where_is_volatile(where: str) -> bool:
    """Whether a desk's ``where`` can answer differently with the same rows (a clock, random,
    a sequence): then its outputs are not settled by the stored stories alone.

    Asks DuckDB rather than a list of names: the expression is parsed by DuckDB's own parser
    and every function it calls is looked up in DuckDB's catalogue, where a function's
    stability is recorded (``now()`` and ``current_date`` are consistent within one query
    only, ``random()`` is volatile). A function of its arguments that DuckDB marks as
    per-query only because of the session's time zone (``year(ts)``) takes arguments, so it
    is not counted. A ``where`` DuckDB cannot parse counts as volatile: nothing may be cached
    on it. The answer is the string's alone, so it is asked once per process (~10-35 ms a
    call: a connection and DuckDB's function catalogue; a publish asks it per query).
    """
    con = duckdb.connect()
    try:
        volatile = {row[0] for row in con.execute(_VOLATILE_FUNCTIONS_SQL).fetchall()}
        parsed = con.execute("SELECT json_serialize_sql(?)", [f"SELECT 1 WHERE ({where})"]).fetchone()[0]
    finally:
        con.close()
    tree = json.loads(parsed)
    if tree.get("error"):
        return True
    return any(
        name in volatile or name in _NILADIC_CLOCK for name in _called_names(tree["statements"])
    )


def _called_names(node: Any):
    """Every function name and bare column name in a serialized DuckDB parse tree."""
    if isinstance(node, dict):
        if node.get("class") == "FUNCTION":
            yield str(node.get("function_name", "")).lower()
        elif node.get("class") == "COLUMN_REF" and len(node.get("column_names", ())) == 1:
            yield str(node["column_names"][0]).lower()
        for value in node.values():
            yield from _called_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _called_names(value)


def stories_matching(
    data_dir: Path, filters: StoryFilterSpec, limit: int, con: duckdb.DuckDBPyConnection | None = None
) -> list[DeskStory]:
    """The newest ``limit`` live stories that pass the filters, each with its outlets.
    ``con``: a reader already open on ``data_dir`` (the publish step runs every saved query
    through one: opening a reader with its views costs more than most queries)."""
    if con is not None:
        return _stories_matching(con, filters, limit)
    con = open_reader(data_dir)
    try:
        return _stories_matching(con, filters, limit)
    finally:
        con.close()


def _stories_matching(
    con: duckdb.DuckDBPyConnection, filters: StoryFilterSpec, limit: int
) -> list[DeskStory]:
    if filters.where:
        check_where(con, filters.where)
    conditions, parameters = filter_conditions(filters)
    cursor = con.execute(
        _STORIES_QUERY.format(columns=_STORY_COLUMNS, conditions=conditions), [*parameters, limit]
    )
    return _with_outlets(con, _dicts(cursor))


def story_detail(data_dir: Path, story_id: str) -> StoryDetail | None:
    """One live story, its revisions (oldest first) and its appearances (earliest first)."""
    con = open_reader(data_dir)
    try:
        rows = _dicts(
            con.execute(
                _STORIES_QUERY.format(columns=_STORY_COLUMNS, conditions="story_id = ?"), [story_id, 1]
            )
        )
        if not rows:
            return None
        (story,) = _with_outlets(con, rows)
        revisions = con.execute(
            """
            SELECT revision, coalesce(title, ''), changed_at, representative_feed_id, url, wire_agency
            FROM story_versions WHERE story_id = ? ORDER BY revision
            """,
            [story_id],
        ).fetchall()
        appearances = con.execute(
            """
            SELECT outlet_id, feed_id, coalesce(title, ''), coalesce(canonical_url, url), published_at,
                   first_seen_at, revision
            FROM appearances WHERE story_id = ? ORDER BY published_at, outlet_id, appearance_id
            """,
            [story_id],
        ).fetchall()
    finally:
        con.close()
    return StoryDetail(
        story=story,
        revisions=tuple(StoryRevision(*row) for row in revisions),
        appearances=tuple(StoryAppearance(*row) for row in appearances),
    )


def _dicts(cursor) -> list[dict[str, Any]]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _with_outlets(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> list[DeskStory]:
    links: dict[str, list[OutletLink]] = {row["story_id"]: [] for row in rows}
    if rows:
        for story_id, outlet, url in con.execute(_OUTLETS_QUERY, [list(links)]).fetchall():
            links[story_id].append(OutletLink(outlet=outlet, url=url))
    stories = []
    for row in rows:
        codes = row.pop("country_codes")
        stories.append(DeskStory(**row, countries=tuple(codes or ()), outlets=tuple(links[row["story_id"]])))
    return stories
