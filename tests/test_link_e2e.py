"""Links through the real ingest flow: the bundled sample, served on loopback, ingested
by Prefect into a real warehouse; links read back through the reader views."""

from __future__ import annotations

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
    con = open_reader(data_dir)
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
    assert set(translations.values()) == {"ru"}
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
