"""Links through the real ingest flow: the bundled sample, served on loopback, ingested
by Prefect into a real warehouse; links read back through the reader views."""

from __future__ import annotations

import subprocess
import sys

from conftest import ingest_sample
from newswire.warehouse.views import open_reader

REUTERS = "Putin urges Central Asian states to step up trade with Russia"


def _story(con, title_pattern: str, language: str) -> str:
    rows = con.execute(
        "SELECT story_id FROM stories WHERE title ILIKE ? AND language = ? ORDER BY published_at",
        [title_pattern, language],
    ).fetchall()
    assert rows, f"no {language} story titled like {title_pattern!r} in the sample"
    return rows[0][0]


def test_the_reuters_story_links_to_its_russian_versions_and_the_summit_stories_share_an_event(
    prefect_server, sample_server, data_dir
):
    ingest_sample(data_dir, sample_server)
    _assert_reuters_versions_and_summit_event(open_reader(data_dir))


def test_links_rebuild_relinks_the_history_and_replaces_the_index_whole(
    prefect_server, sample_server, data_dir
):
    """``newswire links --rebuild`` after the links were lost (a failed link step, or
    rules that changed): the history is linked again, through the CLI in its own
    process, and a file a killed rebuild left behind does not get in the way."""
    from newswire.warehouse.lake_store import LakeStore
    from newswire.warehouse.story_links import LinkIndex

    ingest_sample(data_dir, sample_server)
    with LinkIndex(data_dir) as index:
        before = index.con.execute("SELECT count(*) FROM story_links").fetchall()[0][0]
        index.con.execute("DELETE FROM story_links")
        index.con.execute("DELETE FROM story_events")
        index.export_snapshots(LakeStore.for_data_dir(data_dir))
    assert open_reader(data_dir).execute("SELECT count(*) FROM story_translations").fetchall() == [(0,)]
    (data_dir / "state" / "links.rebuild.duckdb").write_bytes(b"left by a killed rebuild")

    cli = subprocess.run(
        [sys.executable, "-m", "newswire", "links", "--rebuild", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    assert "translation" in cli.stdout and "Rebuild" in cli.stdout, cli.stdout
    assert not (data_dir / "state" / "links.rebuild.duckdb").exists()
    with LinkIndex(data_dir) as index:
        after = index.con.execute("SELECT count(*) FROM story_links").fetchall()[0][0]
    assert after > 0 and abs(after - before) <= before // 5, (before, after)
    _assert_reuters_versions_and_summit_event(open_reader(data_dir))


def _assert_reuters_versions_and_summit_event(con) -> None:
    reuters = _story(con, REUTERS + "%", "en")
    russian = [
        row[0]
        for row in con.execute(
            "SELECT story_id FROM stories WHERE language = 'ru' "
            "AND title ILIKE 'Путин призвал страны Центральной Азии%'"
        ).fetchall()
    ]
    assert russian, "the sample's Russian versions of the Reuters story are missing"
    translations = {
        row[0]: row[1]
        for row in con.execute(
            "SELECT translation_id, translation_language FROM story_translations WHERE story_id = ?",
            [reuters],
        ).fetchall()
    }
    assert set(russian) <= set(translations), (translations, russian)
    # Kun.uz's Uzbek rendering is a version too: of the Russian ones directly, and so of
    # the Reuters story (renderings of one text through a third language).
    uzbek = _story(con, "Putin Markaziy Osiyo davlatlarini Rossiya bilan savdoni%", "uz")
    assert set(translations.values()) <= {"ru", "uz"}, translations
    assert translations.get(uzbek) == "uz", translations
    # Link, never merge: each version keeps its own story row.
    assert reuters not in russian
    # Other outlets' one-line reports of Putin's arrival name the same people in the same
    # order as each other: the same event, not versions of one text.
    arrivals = [
        _story(con, "Putin arrives in Dushanbe for state visit%", "en"),
        _story(con, "Putin arrives in Dushanbe on state visit%", "en"),
        _story(con, "Путин прилетел в Таджикистан%", "ru"),
        _story(con, "Путин прибыл в Душанбе%", "ru"),
    ]
    false_versions = con.execute(
        "SELECT story_id, translation_id FROM story_translations WHERE story_id IN (SELECT unnest(?))",
        [arrivals],
    ).fetchall()
    assert false_versions == [], false_versions

    # The independent reports of the Dushanbe summit: Asia-Plus in English, RIA in Russian.
    independent = [
        _story(con, "Dushanbe hosts second Russia%Central Asia summit%", "en"),
        _story(con, "Рахмон заявил о важности транспортных коридоров%", "ru"),
    ]
    events = dict(
        con.execute(
            "SELECT story_id, event_id FROM story_events WHERE story_id IN (SELECT unnest(?))",
            [[reuters, *russian, *independent]],
        ).fetchall()
    )
    assert len(events) == 1 + len(russian) + len(independent), events
    assert len(set(events.values())) == 1, events
    event = con.execute(
        "SELECT story_count, languages, outlets FROM events WHERE event_id = ?", [events[reuters]]
    ).fetchall()[0]
    assert event[0] >= 4 and {"en", "ru"} <= set(event[1]) and len(event[2]) >= 4, event
