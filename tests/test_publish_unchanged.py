"""The publish step skips a publish that would read the same committed stories with the
same saved queries and alert targets as the last complete one, and runs in full
otherwise (flows/steps/publish.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import ingest_sample
from newswire.flows.steps.publish import FEED_SUFFIXES, publish_key, publish_outputs
from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.saved_queries import StoryFilters
from newswire.tasks.settings import load_settings
from newswire.warehouse.desk_queries import where_is_volatile
from newswire.warehouse.outputs import outputs_dir, published_from, story_files_digest


def test_the_same_stories_and_queries_publish_nothing_and_a_missing_file_is_written_again(
    prefect_server, sample_server, data_dir
):
    ingest_sample(data_dir, sample_server)
    settings = load_settings(str(data_dir))
    config = settings.desk.saved_queries()
    names = sorted(f"{q.name}{suffix}" for q in config.queries for suffix in FEED_SUFFIXES)
    assert published_from(data_dir) == publish_key(config, story_files_digest(data_dir)) is not None

    skipped = publish_outputs(settings)
    assert skipped.written == [] and sorted(skipped.unchanged) == names

    lost = outputs_dir(data_dir) / names[0]
    before = lost.read_bytes()
    lost.unlink()
    again = publish_outputs(settings)
    assert again.written == [names[0]] and lost.read_bytes() == before

    # A new run that commits nothing new still commits its fetches: the stories are the same.
    ingest_sample(data_dir, sample_server)
    assert published_from(data_dir) == publish_key(config, story_files_digest(data_dir))


def test_the_key_follows_stories_queries_and_alert_targets_and_a_clock_in_sql_has_none(monkeypatch):
    config = DEFAULT_DESK.saved_queries()
    monkeypatch.delenv("NEWSWIRE_ALERT_URL", raising=False)
    key = publish_key(config, "files-a")
    assert key == publish_key(config, "files-a")
    assert key != publish_key(config, "files-b")
    assert publish_key(config, None) is None
    # Setting a notify target the rules name changes what a publish would send.
    monkeypatch.setenv("NEWSWIRE_ALERT_URL", "json://127.0.0.1:9/")
    assert publish_key(config, "files-a") != key
    first = config.queries[0]
    for where, volatile in (("published_at > now() - INTERVAL 1 DAY", True), ("origin = 'wire'", False)):
        query = replace(first, filters=replace(first.filters, where=where))
        changed = replace(config, queries=[query, *config.queries[1:]])
        assert (publish_key(changed, "files-a") is None) is volatile
    assert publish_key(replace(config, queries=[replace(first, filters=StoryFilters())]), "files-a") != key


@pytest.mark.parametrize(
    ("where", "volatile"),
    [
        ("published_at > now() - INTERVAL 1 DAY", True),
        ("published_at > current_timestamp - INTERVAL 1 DAY", True),  # a keyword, no parentheses
        ("published_at::DATE = current_date", True),
        ("random() < 0.5", True),
        ("uuid() IS NOT NULL", True),
        ("origin = 'wire'", False),
        ("year(published_at) = 2025", False),  # per-query in DuckDB's catalogue, but of its argument
        ("title ILIKE '%now%'", False),  # a clock's name inside a string is no clock
        ("origin = (", True),  # unparsable: nothing may be cached on it
    ],
)
def test_a_where_is_volatile_when_duckdb_says_a_function_it_calls_is(where, volatile):
    assert where_is_volatile(where) is volatile
