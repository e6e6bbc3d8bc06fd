"""The desk profile: one TOML names a desk's data files, resolved once into Settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.tasks.desk import DEFAULT_DESK, DeskError, load_desk
from newswire.tasks.enrich import draft_entry, enrich_entry
from newswire.tasks.settings import SettingsError, load_settings, resolve_data_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
CAUCASUS = REPO_ROOT / "feeds" / "regions" / "south-caucasus.toml"
TEXT = "Armenia and Azerbaijan signed the deal in Tbilisi, officials in Baku and Yerevan said."


def test_the_default_desk_names_every_bundled_file():
    for path in vars(DEFAULT_DESK).values():
        assert path.is_file() and path.is_relative_to(REPO_ROOT / "feeds")


def test_a_desk_file_swaps_only_what_it_names(tmp_path, monkeypatch):
    desk_file = tmp_path / "caucasus-desk.toml"
    desk_file.write_text(f'region = "{CAUCASUS}"\n')
    monkeypatch.setenv("NEWSWIRE_DESK", str(desk_file))
    desk = load_settings().desk
    assert desk.region == CAUCASUS
    assert (desk.catalog, desk.agencies) == (DEFAULT_DESK.catalog, DEFAULT_DESK.agencies)
    entry = enrich_entry(draft_entry("Peace deal signed", summary=TEXT), desk.enrichment_rules())
    assert entry.enrichment["in_region"] is True


def test_desk_paths_are_relative_to_the_desk_file(tmp_path):
    (tmp_path / "mine.toml").write_text("[lsh]\nbands = 64\nrows = 2\n")
    desk_file = tmp_path / "desk.toml"
    desk_file.write_text('dedupe_policy = "mine.toml"\n')
    assert load_desk(desk_file, base=DEFAULT_DESK).dedupe_policy == (tmp_path / "mine.toml").resolve()


def test_a_desk_value_that_is_not_a_path_is_refused(tmp_path):
    desk_file = tmp_path / "desk.toml"
    desk_file.write_text("region = 3\n")
    with pytest.raises(DeskError, match=r"region must be a file path"):
        load_desk(desk_file, base=DEFAULT_DESK)


def test_the_data_dir_is_resolved_in_one_place(monkeypatch, tmp_path):
    monkeypatch.delenv("NEWSWIRE_DATA_DIR", raising=False)
    monkeypatch.setenv("NEWSWIRE_HOME", str(tmp_path / "home"))
    assert resolve_data_dir() == tmp_path / "home"
    assert resolve_data_dir(tmp_path / "flag") == tmp_path / "flag"
    assert load_settings().data_dir == tmp_path / "home"
    monkeypatch.setenv("NEWSWIRE_DATA_DIR", str(tmp_path / "other"))
    with pytest.raises(SettingsError, match="NEWSWIRE_HOME"):
        load_settings()
