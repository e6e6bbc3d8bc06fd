"""Enriching a batch once per distinct input (``EnrichMemo``) gives every entry exactly
what enriching it alone gives: syndicated copies share the work, never a wrong result."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from newswire.tasks import enrich as enrich_module
from newswire.tasks.catalog import Feed
from newswire.tasks.enrich import EnrichMemo, EnrichmentRules, draft_entry, enrich_entries, enrich_entry
from newswire.tasks.furniture import OutletHistory, fingerprint

BODY = (
    "ALMATY, Kazakhstan (Reuters) - Kazakhstan and Uzbekistan signed an agreement on sharing the "
    "water of the Syr Darya on Tuesday, the two countries' ministers said in a joint statement.\n\n"
    "Water and energy\n\n"
    "The deal sets quotas for the summer months, when the cotton fields of the Fergana valley need "
    "the most water, and creates a joint commission to settle disputes between the two sides.\n\n"
    "(Reporting by Mariya Gordeyeva; Editing by Mark Heinrich)"
)
TITLE = "Kazakhstan, Uzbekistan sign Syr Darya water deal"
SUMMARY = "Kazakhstan and Uzbekistan signed an agreement on sharing the water of the Syr Darya."


def feed(feed_id: str, kind: str = "outlet", country: str = "US", name: str = "", outlet: str = "") -> Feed:
    return Feed(
        id=feed_id,
        name=name or feed_id,
        url=f"https://{feed_id}.example/rss",
        kind=kind,
        language="en",
        country=country,
        outlet=outlet,
    )


def entry(entry_id: str, feed_: Feed, url: str | None = None, language: str | None = "en", **enrichment):
    made = draft_entry(TITLE, summary=SUMMARY, body=BODY, language=language, entry_id=entry_id)
    made = dataclasses.replace(made, feed_id=feed_.id, outlet_id=feed_.outlet_id, url=url)
    made.enrichment.update(enrichment)
    return made


@pytest.fixture(scope="module")
def rules() -> EnrichmentRules:
    return EnrichmentRules.load()


def test_a_batch_with_copies_equals_each_entry_enriched_alone(rules, monkeypatch):
    outlet_a, outlet_b = feed("a"), feed("b", outlet="a")  # two feeds of one outlet
    wire = feed("reuters", kind="wire", name="Reuters")
    aggregator = feed("news", kind="aggregator")
    nowhere = feed("c", country="")  # no country: the home is the entry URL's
    furniture = {fingerprint("Water and energy"): 9}
    histories = {"a": furniture, "reuters": {}, "news": {}, "c": {}}
    batch = [
        (outlet_a, [entry("1", outlet_a), entry("2", outlet_a), entry("3", outlet_a, language=None)]),
        (outlet_b, [entry("4", outlet_b)]),
        (wire, [entry("5", wire), entry("6", wire, wire_agency="AFP")]),
        (aggregator, [entry("7", aggregator)]),
        (nowhere, [entry("8", nowhere, url="https://kun.uz/1"), entry("9", nowhere, url="https://x.com/1")]),
    ]
    alone = {
        e.entry_id: enrich_entry(
            copy.deepcopy(e), rules, f, history=OutletHistory.for_stored_history(histories[f.outlet_id])
        )
        for f, entries in batch
        for e in entries
    }
    computed = []
    real = enrich_module._enrich
    monkeypatch.setattr(
        enrich_module, "_enrich", lambda e, *rest: computed.append(e.entry_id) or real(e, *rest)
    )
    memo = EnrichMemo(rules)
    together = {}
    for f, entries in batch:
        history = OutletHistory.for_stored_history(histories[f.outlet_id])
        enriched, problems = enrich_entries(entries, f, rules, history, memo)
        assert problems == []
        together.update((e.entry_id, e) for e in enriched)
    for entry_id, expected in alone.items():
        assert dataclasses.asdict(together[entry_id]) == dataclasses.asdict(expected), entry_id
    # Copies were enriched once: 2 (outlet a's copy) and 4 (the same outlet's other feed).
    assert sorted(computed) == ["1", "3", "5", "6", "7", "8", "9"]
    # The history made a difference, so keying on it matters.
    assert "Water and energy" not in alone["1"].body and "Water and energy" in alone["7"].body
    # Each copy owns its columns: changing one changes no other.
    together["2"].enrichment["countries"].append("XX")
    assert "XX" not in together["1"].enrichment["countries"]


def test_a_failing_entry_is_not_remembered(rules, monkeypatch):
    outlet = feed("a")
    calls = []

    def failing(e, *rest):
        calls.append(e.entry_id)
        raise ValueError("odd item")

    monkeypatch.setattr(enrich_module, "_enrich", failing)
    _, problems = enrich_entries([entry("1", outlet), entry("2", outlet)], outlet, rules)
    assert calls == ["1", "2"]
    assert [p.split(" ", 2)[1] for p in problems] == ["1", "2"]
