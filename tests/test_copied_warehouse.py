"""A copied or moved data dir reads its own files: the manifests record paths relative to
the lake, the views are built on open from the data dir's own manifest, and a catalogue
(newswire.duckdb) that was built for another place is rebuilt on the first read."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from conftest import ingest_sample, sql_in_subprocess

pytestmark = pytest.mark.slow

COUNT = "SELECT (SELECT count(*) FROM appearance_versions) AS a, (SELECT count(*) FROM stories) AS s"


def _catalogue_counts(data_dir) -> tuple[int, int]:
    con = duckdb.connect(str(data_dir / "newswire.duckdb"), read_only=True)
    try:
        return con.execute(COUNT).fetchone()
    finally:
        con.close()


def test_a_copy_keeps_its_counts_while_the_original_grows(prefect_server, sample_server, tmp_path):
    original = tmp_path / "original"
    ingest_sample(original, sample_server, feed_ids=["24kg-en"])
    before = sql_in_subprocess(original, COUNT)[0]
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    moved = tmp_path / "moved"
    shutil.copytree(original, tmp_path / "to-move")
    (tmp_path / "to-move").rename(moved)

    ingest_sample(original, sample_server, feed_ids=["timesca-en", "asiaplus-en"])
    grown = sql_in_subprocess(original, COUNT)[0]
    assert grown["a"] > before["a"]

    for data_dir in (copy, moved):
        # `newswire sql` reads the copy's own files (and rebuilds its catalogue)...
        assert sql_in_subprocess(data_dir, COUNT)[0] == before
        # ...so the DuckDB CLI's catalogue of the copy answers the copy's counts too.
        assert _catalogue_counts(data_dir) == (before["a"], before["s"])
    assert _catalogue_counts(original) == (grown["a"], grown["s"])
