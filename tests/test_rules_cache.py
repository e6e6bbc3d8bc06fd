"""The built-rules cache (tasks/rules_cache.py): a hit only for the same code and the same
bytes of every data file the build read, includes too; anything else builds afresh."""

from __future__ import annotations

import json
from pathlib import Path

from newswire.tasks import rules_cache
from newswire.tasks.datafiles import load_data_file
from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.enrich import EnrichmentRules, draft_entry, enrich_entry

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SEED = SHARED / "seed" / "theprint-reuters-central-asia-trade.txt"


class CountingBuild:
    """A build that reads a top file and the file it includes, and counts its calls."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        document = load_data_file(self.top, "test file")
        included = load_data_file(self.top.parent / document["include"], "included file")
        return {"top": document, "included": included}


def _files(tmp_path: Path) -> CountingBuild:
    (tmp_path / "part.toml").write_text('name = "first"\n')
    (tmp_path / "top.toml").write_text('include = "part.toml"\n')
    return CountingBuild(tmp_path / "top.toml")


def test_the_second_build_comes_from_disk_until_an_included_file_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWIRE_RULES_CACHE", str(tmp_path / "cache"))
    build = _files(tmp_path)
    inputs = (build.top,)
    assert rules_cache.cached_build(inputs, build)["included"]["name"] == "first"
    assert rules_cache.cached_build(inputs, build)["included"]["name"] == "first"
    assert build.calls == 1
    # The included file is not an input the caller names: the recording caught it.
    (build.top.parent / "part.toml").write_text('name = "second"\n')
    assert rules_cache.cached_build(inputs, build)["included"]["name"] == "second"
    assert build.calls == 2


def test_a_damaged_entry_is_rebuilt_and_off_stores_nothing(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("NEWSWIRE_RULES_CACHE", str(cache))
    build = _files(tmp_path)
    rules_cache.cached_build((build.top,), build)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert rules_cache.cached_build((build.top,), build)["top"]["include"] == "part.toml"
    assert build.calls == 2

    monkeypatch.setenv("NEWSWIRE_RULES_CACHE", "off")
    for stale in cache.glob("*.pickle"):
        stale.unlink()
    rules_cache.cached_build((build.top,), build)
    assert build.calls == 3 and not list(cache.glob("*.pickle"))


def test_a_bad_data_file_raises_and_is_not_cached(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("NEWSWIRE_RULES_CACHE", str(cache))
    build = _files(tmp_path)
    (tmp_path / "part.toml").write_text("name = \n")
    try:
        rules_cache.cached_build((build.top,), build)
    except ValueError as error:
        assert "part.toml" in str(error)
    else:
        raise AssertionError("a malformed include must fail the build")
    assert not list(cache.glob("*.pickle"))


def test_the_desks_rules_from_disk_enrich_the_seed_page_as_built_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWIRE_RULES_CACHE", str(tmp_path / "cache"))
    desk = DEFAULT_DESK
    inputs = (desk.region, desk.agencies, desk.boilerplate)

    def build() -> EnrichmentRules:
        return EnrichmentRules.load(region=desk.region, agencies=desk.agencies, boilerplate=desk.boilerplate)

    built = rules_cache.cached_build(inputs, build)
    stored = rules_cache.cached_build(inputs, lambda: (_ for _ in ()).throw(AssertionError("rebuilt")))
    assert stored is not built
    text = SEED.read_text(encoding="utf-8")
    one, two = (enrich_entry(draft_entry("", body=text), rules) for rules in (built, stored))
    assert json.dumps(one.enrichment, sort_keys=True, default=str) == json.dumps(
        two.enrichment, sort_keys=True, default=str
    )
    assert one.enrichment["wire_agency"] == "Reuters"


def test_the_classifier_reads_the_desks_own_stop_words_from_the_rules_as_pickled():
    """The boilerplate file's stop words (Tajik, which jusText has no list for) travel with
    the rules: a process that gets them from the cache or from its parent (a pool worker)
    classifies with them, with no process-wide list to fill first."""
    import pickle

    from newswire.tasks.boilerplate import load_boilerplate
    from newswire.tasks.furniture import features, stop_words

    rules = load_boilerplate(DEFAULT_DESK.boilerplate)
    own = [w for w in rules.stop_words if w.casefold() not in stop_words()]
    assert own, "the file lists words jusText's lists lack"
    sentence = " ".join(own[:12])
    assert features(sentence).stop_density == 0.0
    arrived = pickle.loads(pickle.dumps(rules))
    assert features(sentence, stop_words(arrived.stop_words)).stop_density == 1.0
