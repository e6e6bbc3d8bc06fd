"""The attribution families as fixture files with their expectation beside them
(tests/fixtures/enrich/attribution/expectations.toml): the dateline grammar's families,
sign-off and source lines, agency names on a line of their own above the story, and
agencies only cited in running text. Each case is one form met on the region's pages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newswire.tasks.attribute import attribute, load_agencies
from newswire.tasks.enrich import EnrichmentRules
from newswire.tasks.homoglyphs import fold_homoglyphs

CASES = Path(__file__).parent / "fixtures" / "enrich" / "attribution"
EXPECTATIONS = tomllib.loads((CASES / "expectations.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules() -> EnrichmentRules:
    return EnrichmentRules.load()


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_attribution_family(rules, name):
    expected = EXPECTATIONS[name]
    text = fold_homoglyphs((CASES / f"{name}.txt").read_text(encoding="utf-8"))
    result = attribute("Title", text, rules.agencies, place_namer=rules.gazetteer.place_name)
    assert (result.wire_agency or "", result.dateline_place or "") == (expected["agency"], expected["place"])
    if "date" in expected:
        assert (result.dateline_date or "") == expected["date"]
    if "starts" in expected:
        assert result.text.startswith(expected["starts"])
    if "cited" in expected:
        assert result.cited_agencies == expected["cited"]
    # An agency the copy is credited to is never also one the story only cites.
    assert result.wire_agency not in result.cited_agencies


def test_every_case_file_has_an_expectation():
    assert {p.stem for p in CASES.glob("*.txt")} == set(EXPECTATIONS)


def test_an_ambiguous_agency_s_long_names_are_no_everyday_words():
    agencies = load_agencies()
    # "AP" and "Trend" alone need a citing word; "Associated Press" and "Trend.az" do not.
    assert agencies.cited_ambiguous.fullmatch("AP") and agencies.cited_ambiguous.fullmatch("Trend")
    assert agencies.cited_plain.fullmatch("Associated Press") and agencies.cited_plain.fullmatch("Trend.az")
