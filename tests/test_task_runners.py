"""The CPU stages on every task runner, and a run committed in several parts, through the
real ingest flow (loopback feed server, Prefect test server, DuckDB, Parquet): the same
stories, appearances, story ids and enrichment columns whichever runner ran them, and
nothing lost or doubled when a run is cut into parts."""

from __future__ import annotations

import pytest

from conftest import SAMPLE_DIR
from newswire.flows.run import FeedOutcome
from newswire.flows.steps.pipeline import cut_parts, part_id
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow

# Run- and time-specific columns: everything else must be equal across runners.
VOLATILE = ("run_id", "first_seen_at", "changed_at", "last_seen_at")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """The sample's feeds and its full-text feeds (article pages fetched and extracted by
    the writer after the workers enriched the feed text) in one catalogue."""
    path = tmp_path_factory.mktemp("catalog") / "catalog.toml"
    path.write_text(
        "\n".join(
            (SAMPLE_DIR / name).read_text(encoding="utf-8")
            for name in ("catalog.toml", "catalog-fulltext.toml")
        ),
        encoding="utf-8",
    )
    return path


def _tables(data_dir) -> dict[str, list[dict]]:
    """Every row of both tables but for the run- and time-specific columns; a published
    date guessed from the fetch time is a time of the run too."""
    con = open_reader(data_dir)
    try:
        tables = {}
        for table, key in (("appearances", "appearance_id"), ("stories", "story_id")):
            present = {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}
            volatile = ", ".join(c for c in VOLATILE if c in present)
            result = con.execute(
                f"SELECT * EXCLUDE ({volatile}, published_at), "
                "CASE WHEN published_guessed THEN NULL ELSE published_at END AS published_at "
                f"FROM {table} ORDER BY {key}, revision"
            )
            names = [d[0] for d in result.description]
            tables[table] = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        return tables
    finally:
        con.close()


def _assert_same(tables: dict[str, list[dict]], expected: dict[str, list[dict]]) -> None:
    """Row for row equal; a failure names the table, the row's id and the columns."""
    for table in ("appearances", "stories"):
        assert len(tables[table]) == len(expected[table]), table
        for row, wanted in zip(tables[table], expected[table], strict=True):
            differ = {k: (row[k], wanted[k]) for k in row if row[k] != wanted[k]}
            assert not differ, (table, row["appearance_id" if table == "appearances" else "story_id"], differ)


def _groups(tables: dict[str, list[dict]]) -> set[frozenset[str]]:
    """The appearances of each story, as a set of groups (story ids left out)."""
    by_story: dict[str, set[str]] = {}
    for row in tables["appearances"]:
        by_story.setdefault(row["story_id"], set()).add(row["appearance_id"])
    return {frozenset(group) for group in by_story.values()}


def _ingest(data_dir, server, catalog, monkeypatch, **environment):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    from newswire.flows.ingest import ingest

    return ingest(
        catalog=str(catalog),
        catalog_substitutions={"base": server.base_url},
        data_dir=str(data_dir),
        force=True,
    )


@pytest.fixture(scope="module")
def server():
    """One server for the module: the tables hold its address (article URLs)."""
    from newswire.cli.demo_server import FeedServer

    with FeedServer(SAMPLE_DIR) as running:
        yield running


@pytest.fixture(scope="module")
def thread_tables(prefect_server, tmp_path_factory, catalog, server):
    data_dir = tmp_path_factory.mktemp("thread") / "data"
    with pytest.MonkeyPatch.context() as monkeypatch:
        summary = _ingest(data_dir, server, catalog, monkeypatch, NEWSWIRE_TASK_RUNNER="thread")
    tables = _tables(data_dir)
    # Something to compare: stories from several feeds, enrichment filled, full text fetched.
    assert summary.new_appearances == len({row["appearance_id"] for row in tables["appearances"]}) > 50
    assert any(row["feed_id"] == "theprint-world-fulltext" and row["body"] for row in tables["appearances"])
    return tables


# Sweeps (make test-all): each ingest starts its own pool or cluster (~10 s of worker
# start-up each on 2 cores), ~100 s for the module; the cut rule below stays in make test.
@pytest.mark.sweep
@pytest.mark.parametrize("runner", ["process", "dask"])
def test_every_runner_gives_the_thread_runners_tables(
    runner, thread_tables, server, catalog, data_dir, monkeypatch
):
    # A 2-worker pool / local Dask cluster; small batches so both workers get some.
    _ingest(
        data_dir,
        server,
        catalog,
        monkeypatch,
        NEWSWIRE_TASK_RUNNER=runner,
        NEWSWIRE_CPU_WORKERS="2",
        NEWSWIRE_FEEDS_PER_TASK="3",
    )
    _assert_same(_tables(data_dir), thread_tables)


@pytest.mark.sweep
def test_a_run_cut_into_parts_loses_and_doubles_nothing(
    thread_tables, server, catalog, data_dir, monkeypatch
):
    summary = _ingest(data_dir, server, catalog, monkeypatch, NEWSWIRE_COMMIT_BATCH_ENTRIES="15")
    reader = open_reader(data_dir)
    try:
        runs = reader.execute("SELECT run_id FROM runs WHERE flow = 'ingest'").fetchall()
    finally:
        reader.close()
    # Several commits, one per part, the first under the run's own id.
    parts = sorted(run for (run,) in runs)
    assert len(parts) > 3 and summary.run_id in parts
    assert all(p == summary.run_id or p.startswith(f"{summary.run_id}-part") for p in parts)
    tables = _tables(data_dir)
    appearance_ids = [row["appearance_id"] for row in tables["appearances"]]
    assert len(appearance_ids) == len(set(appearance_ids))  # no appearance twice
    assert sorted(appearance_ids) == sorted(row["appearance_id"] for row in thread_tables["appearances"])
    assert summary.new_appearances == len(appearance_ids)
    # Every appearance as in the one-commit run, and grouped into the same stories. A story
    # whose copies fell into different parts may carry another copy's id (as after two
    # polls): the grouping is what must not change.
    without_story = [{k: v for k, v in row.items() if k != "story_id"} for row in tables["appearances"]]
    assert without_story == [
        {k: v for k, v in row.items() if k != "story_id"} for row in thread_tables["appearances"]
    ]
    assert _groups(tables) == _groups(thread_tables)
    current = [row for row in tables["stories"] if not row["merged_into"]]
    assert len(current) == len([row for row in thread_tables["stories"] if not row["merged_into"]])
    assert {row["story_id"] for row in current} == {row["story_id"] for row in tables["appearances"]}
    # A second poll finds everything stored: no part left anything to load.
    again = _ingest(data_dir, server, catalog, monkeypatch, NEWSWIRE_COMMIT_BATCH_ENTRIES="15")
    assert again.new_appearances == 0 and again.new_stories == 0


def _outcome(entries: int) -> FeedOutcome:
    outcome = FeedOutcome.__new__(FeedOutcome)
    outcome.entries = [object()] * entries
    return outcome


def test_parts_depend_on_the_outcomes_alone_not_on_when_batches_arrive():
    from collections import deque

    sizes = [4, 0, 7, 3, 12, 1, 1, 5, 0]

    def cut(arrivals: list[int]) -> list[list[int]]:
        waiting, parts, taken = deque(), [], 0
        for count in arrivals:
            waiting.extend(_outcome(n) for n in sizes[taken : taken + count])
            taken += count
            parts += [[len(o.entries) for o in part] for part in cut_parts(waiting, 10, final=False)]
        parts += [[len(o.entries) for o in part] for part in cut_parts(waiting, 10, final=True)]
        return parts

    one_at_a_time = cut([1] * len(sizes))
    assert one_at_a_time == cut([len(sizes)]) == cut([3, 3, 3])
    # Within the limit, or one outcome bigger than it alone; nothing lost, order kept.
    assert one_at_a_time == [[4, 0], [7, 3], [12], [1, 1, 5, 0]]
    assert part_id("R", 1) == "R" and part_id("R", 3) == "R-part3"
