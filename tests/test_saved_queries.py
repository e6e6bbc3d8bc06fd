"""Saved queries (feeds/outputs.toml): the file is checked entry by entry with errors that
name the file and the query, and the bundled file loads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.saved_queries import AlertRule, SavedQueryError, load_outputs


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "outputs.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_saved_queries_load():
    config = DEFAULT_DESK.saved_queries()
    names = [q.name for q in config.queries]
    assert names == ["central-asia", "tajikistan", "wire-syndicated", "energy"]
    tajikistan = config.queries[1]
    assert tajikistan.filters.countries == ("TJ",)
    assert tajikistan.alert is not None and tajikistan.alert.notify == ("${NEWSWIRE_ALERT_URL}",)


def test_filters_are_normalised(tmp_path):
    path = write(
        tmp_path,
        """
[[query]]
name = "kz"
countries = ["kz"]
languages = ["RU"]
keywords = ["Газ", "Oil"]
min_outlets = 2
where = "origin = 'wire'"
""",
    )
    (query,) = load_outputs(path).queries
    assert query.title == "kz"
    assert query.filters.countries == ("KZ",)
    assert query.filters.languages == ("ru",)
    assert query.filters.keywords == ("газ", "oil")
    assert query.filters.min_outlets == 2 and query.filters.where == "origin = 'wire'"
    assert query.alert is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('name = "Bad Name"', "query 1: name must be lower-case"),
        ('name = "a"\ncountries = ["Kazakhstan"]', "query 1 ('a'): countries: ['KAZAKHSTAN'] are not ISO"),
        ('name = "a"\ncountry = ["KZ"]', "query 1 ('a'): unknown key(s) ['country']"),
        ('name = "a"\nmin_outlets = 0', "query 1 ('a'): min_outlets must be a whole number"),
        ('name = "a"\nin_region = "yes"', "query 1 ('a'): in_region must be true or false"),
        ('name = "a"\nkeywords = [" "]', "keywords: an empty keyword"),
        ('name = "a"\nwhere = "true; DROP VIEW stories"', "without ';'"),
        ('name = "a"\n[query.alert]\nnotify = []', "alert: notify needs at least one"),
        ('name = "a"\n[query.alert]\nnotify = ["example.com"]', "are not apprise URLs"),
    ],
)
def test_a_bad_entry_is_refused_naming_file_and_entry(tmp_path, entry, message):
    path = write(tmp_path, f"[[query]]\n{entry}\n")
    with pytest.raises(SavedQueryError) as error:
        load_outputs(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_name_used_twice_is_refused(tmp_path):
    path = write(tmp_path, '[[query]]\nname = "a"\n[[query]]\nname = "a"\n')
    with pytest.raises(SavedQueryError, match=r"query 2 \('a'\): the name is used twice"):
        load_outputs(path)


def test_broken_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[[query]\n")
    with pytest.raises(SavedQueryError, match="not valid TOML"):
        load_outputs(path)


def test_notify_urls_read_variables_from_the_environment(tmp_path, monkeypatch):
    path = write(tmp_path, '[[query]]\nname = "a"\n[query.alert]\nnotify = ["json://${HOOK_HOST}/x"]\n')
    rule = load_outputs(path).queries[0].alert
    monkeypatch.delenv("HOOK_HOST", raising=False)
    assert rule.targets() == ([], ["HOOK_HOST"])
    monkeypatch.setenv("HOOK_HOST", "127.0.0.1:9")
    assert rule.targets() == (["json://127.0.0.1:9/x"], [])


@dataclass
class Story:
    story_id: str
    revision: int
    first_seen_at: datetime
    updated_at: datetime

    @property
    def published_at(self) -> datetime:
        return self.first_seen_at


NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def test_an_alert_goes_once_per_story_and_again_on_revision_only_when_asked():
    fresh = Story("s1", 1, NOW - timedelta(hours=1), NOW - timedelta(hours=1))
    old = Story("s0", 1, NOW - timedelta(days=3), NOW - timedelta(days=3))
    once = AlertRule(notify=("json://127.0.0.1:9",))
    assert once.due([fresh, old], {}, NOW) == ([fresh], [old])
    recorded = {"s1": Story("s1", 1, fresh.first_seen_at, fresh.updated_at), "s0": old}
    revised = Story("s1", 2, fresh.first_seen_at, NOW)
    assert once.due([revised, old], recorded, NOW) == ([], [])
    again = AlertRule(notify=("json://127.0.0.1:9",), on_revision=True)
    assert again.due([revised, old], recorded, NOW) == ([revised], [])
    # a revision of a story first seen long ago is news when it is new itself
    stale_revised = Story("s0", 2, old.first_seen_at, NOW - timedelta(minutes=5))
    assert again.due([stale_revised], recorded, NOW) == ([stale_revised], [])
    # max_age_hours = 0 in the file: no limit
    assert AlertRule(notify=("json://127.0.0.1:9",), max_age_hours=None).due([old], {}, NOW) == ([old], [])


def test_newswire_ingest_refuses_a_bad_saved_queries_file_before_anything_runs(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from newswire.cli.app import app

    path = write(tmp_path, '[[query]]\nname = "a"\ncountries = ["Tajikistan"]\n')
    monkeypatch.setenv("NEWSWIRE_OUTPUTS", str(path))
    result = CliRunner().invoke(app, ["ingest", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code != 0
    assert str(path) in " ".join(result.output.split()) and "TAJIKISTAN" in result.output
    assert not (tmp_path / "data").exists()
