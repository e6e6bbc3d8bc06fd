"""The furniture classifier on excerpts of real pages (tests/fixtures/furniture): each case
lists the lines that must go and the article lines that must stay, so a rule that starts
cutting the story or stops catching a kind of furniture fails here by name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newswire.tasks.boilerplate import load_boilerplate, remove_boilerplate
from newswire.tasks.text import comparison_form

CASES = Path(__file__).parent / "fixtures" / "furniture"
EXPECTATIONS = tomllib.loads((CASES / "expectations.toml").read_text(encoding="utf-8"))["case"]


@pytest.fixture(scope="module")
def rules():
    return load_boilerplate()


@pytest.mark.parametrize("case", EXPECTATIONS, ids=[c["file"] for c in EXPECTATIONS])
def test_furniture_goes_and_the_story_stays(rules, case):
    lines = (CASES / case["file"]).read_text(encoding="utf-8").split("\n")
    clean = remove_boilerplate("\n".join(lines), rules, case["title"])
    kept = {comparison_form(p) for p in clean.split("\n\n")}
    cut = [n for n in case["article"] if comparison_form(lines[n - 1]) not in kept]
    left = [n for n in case["furniture"] if comparison_form(lines[n - 1]) in kept]
    assert not cut, f"{case['file']}: article lines cut: {cut} ({case['why']})"
    assert not left, f"{case['file']}: furniture lines left: {left} ({case['why']})"
