"""Country tags on forms met on the region's real pages (tests/fixtures/tagging/cases.toml):
names in scripts written without spaces, CLDR names that are everyday words, and the
primary country of a page without a headline."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newswire.tasks.tag import load_gazetteer, tag_region

CASES = tomllib.loads((Path(__file__).parent / "fixtures" / "tagging" / "cases.toml").read_text("utf-8"))[
    "case"
]


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_countries_and_primary(gazetteer, case):
    tags = tag_region(case["title"], case["text"], gazetteer, dateline=case["dateline"] or None)
    assert sorted(c["code"] for c in tags.countries) == case["countries"], case["why"]
    assert tags.primary_country == case["primary"], case["why"]
    assert tags.in_region == bool(set(case["countries"]) & gazetteer.in_region)
