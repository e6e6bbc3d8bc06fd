"""Improved rules applied to history: ``backfill --source archive`` re-enriches stored
payloads and writes a revision where the enrichment changed, not only where the text
did (a region or agency change used to be invisible to a replay). Through the real
flows: ingest the sample over loopback, replay with the same rules (nothing changes),
replay under another region file (the entries whose tags change get revisions, the rest
none), replay again (nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conftest import SAMPLE_CATALOG, ingest_sample
from newswire.tasks.reprocess import enrichment_digest, mark_enrichment_changes
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow
CAUCASUS = Path(__file__).parent.parent / "feeds" / "regions" / "south-caucasus.toml"


def _rows(data_dir: Path) -> dict[str, tuple]:
    con = open_reader(data_dir)
    try:
        rows = con.execute(
            "SELECT appearance_id, revision, in_region, region_score, primary_country, countries "
            "FROM appearances"
        ).fetchall()
    finally:
        con.close()
    return {row[0]: row[1:] for row in rows}


def test_archive_replay_revises_what_new_rules_change(prefect_server, sample_server, data_dir, monkeypatch):
    from newswire.flows.backfill import backfill

    first = ingest_sample(data_dir, sample_server)
    assert first.new_appearances > 0
    before = _rows(data_dir)
    run = dict(
        start=date(2000, 1, 1),
        end=datetime.now(UTC).date(),
        catalog=str(SAMPLE_CATALOG),
        data_dir=str(data_dir),
        catalog_substitutions={"base": sample_server.base_url},
        source="archive",
    )
    same_rules = backfill(**run)
    assert same_rules.updated_appearances == same_rules.new_appearances == 0, same_rules

    monkeypatch.setenv("NEWSWIRE_ENRICH_REGION", str(CAUCASUS))
    replay = backfill(**run)
    after = _rows(data_dir)
    changed = {key for key in after if after[key][1:] != before[key][1:]}
    assert changed, "the Caucasus file moves Central Asian stories out of the region"
    assert replay.updated_appearances == len(changed)
    assert {key for key in after if after[key][0] == before[key][0] + 1} == changed
    assert all(after[key][0] == before[key][0] for key in after if key not in changed)
    again = backfill(**run)
    assert again.updated_appearances == again.new_appearances == 0


def test_digest_ignores_how_a_value_came_back_from_parquet():
    from newswire.tasks.enrich import draft_entry

    entry = draft_entry("t", body="b", language="en", entry_id="e1")
    entry.feed_id = "f"
    entry.enrichment.update(
        countries=[{"code": "KZ", "mentions": 2}],
        credits={"reporting": [], "writing": ["A"], "editing": [], "additional_reporting": []},
        region_score=0.333333,
        title_flags=[],
    )
    stored = {
        "countries": [{"code": "KZ", "mentions": 2}],
        "credits": {"writing": ["A"], "reporting": [], "editing": [], "additional_reporting": []},
        "region_score": 0.3333,
        "title_flags": [],
        "language": "en",
        "enrichment_digest": None,
    }
    assert mark_enrichment_changes([entry], {("f", "e1"): stored}) == 0
    assert "enrichment_digest" not in entry.enrichment
    stored["countries"] = [{"code": "UZ", "mentions": 2}]
    assert mark_enrichment_changes([entry], {("f", "e1"): stored}) == 1
    assert entry.enrichment["enrichment_digest"] == enrichment_digest({**entry.enrichment, "language": "en"})
