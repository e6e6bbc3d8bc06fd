"""Wire versions (pure rules), the catalogue's drop-directory key, and picking files up
from a drop directory (real files in a temporary directory, no Prefect)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import CORPUS_DIR
from newswire.tasks.catalog import CatalogError, parse_catalog
from newswire.tasks.dedupe import History, plan_batch
from newswire.tasks.drop import pick_up_drop
from newswire.tasks.normalise import NormalisedEntry
from newswire.tasks.settings import DropPolicy, Settings
from newswire.tasks.wire_versions import change_hash, drop_superseded, loaded_versions, newer_version_rule

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _entry(guid: str, version: int | None, status: str = "usable", content: str = "h1") -> NormalisedEntry:
    return NormalisedEntry(
        feed_id="wire",
        outlet_id="wire",
        entry_id=guid,
        guid=guid,
        url=None,
        canonical_url=None,
        title="t",
        summary="",
        body="",
        published_at=NOW,
        date_issue=None,
        updated_at=None,
        language="en",
        authors=[],
        categories=[],
        content_hash=content,
        word_count=1,
        enrichment={"wire_version": version, "pubstatus": status, "withdrawn": status != "usable"},
    )


def test_a_kill_notice_with_the_same_text_is_still_a_change():
    usable, killed = _entry("g", 2), _entry("g", 2, "canceled")
    assert usable.change_hash != killed.change_hash
    assert _entry("g", 2).change_hash != _entry("g", 3).change_hash
    # Non-wire entries keep their plain content hash (existing state stays valid).
    assert change_hash("abc", {}) == "abc"


def test_older_versions_arriving_late_are_superseded_and_batches_apply_oldest_first():
    batch = [_entry("a", 5), _entry("a", 3), _entry("b", 1), _entry("a", 4), _entry("c", None)]
    kept, superseded = drop_superseded(batch, known_versions={"a": 4, "b": 2})
    assert [(e.guid, e.enrichment["wire_version"]) for e in superseded] == [("b", 1), ("a", 3)]
    assert [(e.guid, e.enrichment["wire_version"]) for e in kept] == [("c", None), ("a", 4), ("a", 5)]
    assert loaded_versions(kept) == {"a": 5}


def test_wire_guid_is_the_strongest_story_key():
    entry = _entry("urn:x", 1)
    assert entry.story_keys[0] == "guid:urn:x"
    assert "guid:urn:x" not in replace(entry, enrichment={}).story_keys


def test_a_newer_version_takes_over_the_story_whoever_carried_it_first():
    """An outlet's copy arrives first and the wire item joins it by content hash; the
    agency's kill (version 2) must still withdraw the story, and a version 3 arriving
    through a second agency feed must become the current row."""
    text = dict(content_hash="same-text", word_count=40)
    outlet = replace(_entry("https://outlet.example/a", None, **{"content": "same-text"}), **text)
    outlet = replace(outlet, feed_id="outlet", outlet_id="outlet", enrichment={})
    wire_v1 = replace(_entry("urn:wire:1", 1), **text)
    history = History()
    first = plan_batch([outlet, wire_v1], history, NOW, takes_over=newer_version_rule([outlet, wire_v1], {}))
    assert first.new_stories == 1 and first.merged == 1
    story_id = first.stories[0].story_id
    assert history.stories[story_id].representative_appearance_id == first.appearances[0].appearance_id

    kill = replace(_entry("urn:wire:1", 2, "canceled"), **text)
    second = plan_batch([kill], history, NOW, takes_over=newer_version_rule([kill], {"urn:wire:1": 1}))
    assert [(w.story_id, w.representative.entry.enrichment["withdrawn"]) for w in second.stories] == [
        (story_id, True)
    ]
    other_feed = replace(_entry("urn:wire:1", 3), feed_id="wire-ftp", content_hash="new-text", word_count=40)
    third = plan_batch(
        [other_feed], history, NOW, takes_over=newer_version_rule([other_feed], {"urn:wire:1": 2})
    )
    assert third.merged == 1 and [w.representative.entry.feed_id for w in third.stories] == ["wire-ftp"]
    # The same version again, or a first version, does not take over.
    assert not newer_version_rule([], {"urn:wire:1": 3})(other_feed)
    assert not newer_version_rule([wire_v1], {})(wire_v1)


CATALOG = """
[[feed]]
id = "ap-drop"
name = "AP by SFTP"
path = "{path}"
kind = "wire"
language = "en"
country = "US"
format = "ninjs"
"""


def test_catalogue_drop_directory_is_resolved_and_validated(tmp_path: Path):
    catalog_file = tmp_path / "catalog.toml"
    (tmp_path / "drops" / "ap").mkdir(parents=True)
    feed = parse_catalog(CATALOG.format(path="drops/ap"), catalog_file)[0]
    assert feed.path == str(tmp_path / "drops" / "ap")
    assert feed.url == (tmp_path / "drops" / "ap").as_uri()
    with pytest.raises(CatalogError, match=r"either url .* or path"):
        parse_catalog(CATALOG.format(path="x") + 'url = "https://example.org"\n', catalog_file)
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(CatalogError, match="is a file"):
        parse_catalog(CATALOG.format(path="a-file"), catalog_file)
    with pytest.raises(CatalogError, match="non-empty string"):
        parse_catalog(CATALOG.format(path=" "), catalog_file)
    # An http(s) URL is still required of polled feeds.
    with pytest.raises(CatalogError, match="not an http"):
        parse_catalog(CATALOG.replace('path = "{path}"', 'url = "ftp://x/y"'), catalog_file)


def _age(path: Path, seconds: float) -> None:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def test_drop_pickup_takes_settled_files_once(tmp_path: Path):
    drop = tmp_path / "drop"
    (drop / "2026-11-27").mkdir(parents=True)
    story = (CORPUS_DIR / "wire/ninjs/3.0/ntb_text.json").read_bytes()
    (drop / "2026-11-27" / "ntb.json").write_bytes(story)
    (drop / "2026-11-27" / "Қазақ news #1.json").write_bytes(story)  # percent-encoded in its URL
    (drop / "broken.json").write_bytes(b'{"uri": "urn:x", "headline": ')
    (drop / "upload.json.part").write_bytes(story)
    (drop / ".hidden.json").write_bytes(story)
    for path in drop.rglob("*"):
        _age(path, 3600)
    (drop / "still-arriving.json").write_bytes(story)  # modified just now
    feed = parse_catalog(CATALOG.format(path=str(drop)), tmp_path / "c.toml")[0]
    settings = Settings(data_dir=tmp_path / "data")

    first = pick_up_drop(feed, {}, settings)
    names = sorted(Path(f.path).name for f in first.files)
    assert names == ["broken.json", "ntb.json", "Қазақ news #1.json"]
    assert first.waiting == 1 and first.result.status == 200
    assert {e.guid for e in first.entries} == {"urn:8d19cf88-b3ab-4972-8fec-1207599f2872"}
    assert "1 of 3 dropped files" in first.parse_error and "broken.json" in first.parse_error
    rows = first.fetch_rows("run1")
    assert len({row["fetch_id"] for row in rows}) == 3
    assert {row["url"] for row in rows} == {Path(f.path).as_uri() for f in first.files}

    state = first.state_rows("run1")
    known: dict[str, list] = {}
    for row in state:
        known.setdefault(row["path"], []).append((row["sha256"], row["size"], row["mtime_ns"]))
    again = pick_up_drop(feed, known, replace(settings, drop=DropPolicy(min_file_age_seconds=0)))
    assert [Path(f.path).name for f in again.files] == ["still-arriving.json"]

    # The per-run caps leave the rest for the next run, oldest first.
    _age(drop / "2026-11-27" / "ntb.json", 7200)
    capped = pick_up_drop(feed, {}, replace(settings, drop=DropPolicy(max_files_per_run=1)))
    assert [Path(f.path).name for f in capped.files] == ["ntb.json"] and capped.waiting == 3
    small_budget = DropPolicy(max_bytes_per_run=len(story) + 10)
    assert len(pick_up_drop(feed, {}, replace(settings, drop=small_budget)).files) == 1

    # Touched but unchanged: recognised by its hash, not read as new. Rewritten: new.
    ntb = drop / "2026-11-27" / "ntb.json"
    _age(ntb, 60)
    assert pick_up_drop(feed, known, settings).files == []
    updated = json.loads(story)
    updated["version"] = "7"
    ntb.write_text(json.dumps(updated))
    _age(ntb, 60)
    changed = pick_up_drop(feed, known, settings)
    assert [e.enrichment["wire_version"] for e in changed.entries] == [7]


def test_missing_drop_directory_is_a_feed_error_that_says_what_to_do(tmp_path: Path):
    feed = parse_catalog(CATALOG.format(path=str(tmp_path / "nowhere")), tmp_path / "c.toml")[0]
    pickup = pick_up_drop(feed, {}, Settings(data_dir=tmp_path))
    assert pickup.result.error_kind == "drop"
    assert "does not exist" in pickup.result.error and "ap-drop" in pickup.result.error


def test_feeds_check_reads_a_drop_directory_without_storing(tmp_path: Path):
    from typer.testing import CliRunner

    from newswire.cli.app import app

    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "ntb.json").write_bytes((CORPUS_DIR / "wire/ninjs/3.0/ntb_text.json").read_bytes())
    (drop / "kill.xml").write_bytes(b"<newsItem guid='x'")
    for path in drop.iterdir():
        _age(path, 3600)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG.format(path="drop").replace('format = "ninjs"\n', ""), encoding="utf-8")
    result = CliRunner().invoke(app, ["feeds", "check", "--catalog", str(catalog)], terminal_width=200)
    assert result.exit_code == 3, result.output
    assert "2 files" in result.output and "ninjs-3" in result.output
    assert "1 of 2 dropped files" in result.output and "kill.xml" in result.output
