"""The literal prefilters (tasks/prefilter.py) never skip text their regex matches: the
folding agrees with ``re.IGNORECASE`` on every code point, and every prefiltered rule
accepts every paragraph its regex matches on the dev real pages, the hand-written
fixtures and case-folding traps (ſ, the Kelvin sign, dotless ı, dotted İ, ᲀ)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from newswire.tasks.attribute import load_agencies
from newswire.tasks.boilerplate import load_boilerplate
from newswire.tasks.evaluation import load_real_part
from newswire.tasks.prefilter import Prefiltered, anchors, fold

FIXTURES = Path(__file__).parent / "fixtures"


def test_fold_agrees_with_ignorecase_on_every_code_point():
    """Two characters ``re.IGNORECASE`` takes for one letter fold alike: ``re`` compares
    simple lower-case forms (``_sre.unicode_tolower``) and a table of extra pairs
    (``re._casefix``); every class they make must have one folded form."""
    import _sre
    from re import _casefix

    by_lower: dict[int, set[int]] = defaultdict(set)
    for code in range(0x110000):
        by_lower[_sre.unicode_tolower(code)].add(code)
    split = []
    for lower, members in by_lower.items():
        same = set(members) | {lower}
        for extra in _casefix._EXTRA_CASES.get(lower, ()):
            same |= by_lower.get(extra, set()) | {extra}
        if len({fold(chr(c)) for c in same}) > 1:
            split.append(sorted(same))
    assert split == []


@pytest.mark.parametrize(
    ("letter", "partner"),
    [("s", "ſ"), ("k", "\u212a"), ("i", "ı"), ("i", "İ"), ("в", "ᲀ"), ("σ", "ς"), ("ss", "ß")],
)
def test_fold_takes_the_traps_alike(letter, partner):
    if len(partner) == len(letter):  # (ß is two letters folded, one for ``re``)
        assert re.fullmatch(re.escape(letter), partner, re.IGNORECASE)
    assert fold(partner) == fold(letter)


def test_anchors_of_small_patterns():
    assert anchors(re.compile("(?i)foo|bar")) == {"foo", "bar"}
    assert anchors(".*generated from (?:the )?x") == {"generated from "}
    assert anchors(r"(?:ab)+\d") == {"ab"}
    assert anchors(r"a?\d") is None  # nothing is required
    assert anchors(r"\w+") is None


def _paragraphs() -> list[str]:
    texts = [item.text for item in load_real_part(FIXTURES / "real" / "enrich" / "dev")]
    texts += [item.title for item in load_real_part(FIXTURES / "real" / "enrich" / "dev")]
    for folder in ("enrich/attribution", "furniture", "wire"):
        texts += [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / folder).glob("*.txt"))]
    paragraphs = {" ".join(line.split()) for text in texts for line in text.split("\n")}
    return sorted(p for p in paragraphs if p)


# Paragraphs the rules match once written with letters ``re`` folds together.
TRAPS = [
    "This story was auto-generated from Reuters.",
    "THIS STORY WAS AUTO-GENERATED FROM REUTERS.",
    "This story was auto-generated from A\u212aIpress.",
    "This article has not been edıted by NDTV staff and is published from a syndicated feed.",
    "This artİcle has not been edİted by our news staff and is auto-generated from a syndicated feed.",
    "Story publiſhed by arrangement with Reuters.",
    "This story was first published by Reuters.",
    "Новость по материалам ТАСС",
    "Новость ПО МАТЕРИАЛАМ «ТАСС».",
    "Статья пᲂ материалам ТАСС",
    "Continue readİng →",
    "Some news. READ MORE »",
    "Пᲂдробнее",
    "Read the full ſtory",
]


def _prefiltered_rules() -> list[tuple[str, Prefiltered, str]]:
    agencies = load_agencies()
    boilerplate = load_boilerplate()
    rules = [
        (f"syndication note form {i}", p, "fullmatch")
        for i, p in enumerate(agencies.any_syndication)
        if isinstance(p, Prefiltered)
    ]
    rules.append(("inline boilerplate", boilerplate.any_inline, "search"))
    assert all(isinstance(p, Prefiltered) for _, p, _ in rules)
    return rules


@pytest.mark.parametrize(("name", "rule", "method"), _prefiltered_rules(), ids=lambda v: str(v)[:30])
def test_prefilter_accepts_every_paragraph_the_regex_matches(name, rule, method):
    matched = 0
    for paragraph in _paragraphs() + TRAPS:
        if getattr(rule.regex, method)(paragraph) is not None:
            matched += 1
            assert rule.may_match(paragraph), (name, paragraph)
            assert getattr(rule, method)(paragraph) is not None
    assert matched > 0  # the check saw the rule match something


def test_traps_are_matched_through_the_prefilter():
    """Each trap is matched by its rule (so it tests something) and still is behind the
    prefilter."""
    rules = _prefiltered_rules()
    for trap in TRAPS:
        assert any(getattr(rule.regex, method)(trap) for _, rule, method in rules), trap
        assert any(getattr(rule, method)(trap) for _, rule, method in rules), trap


def test_prefilter_skips_paragraphs_without_anchors():
    """It does skip: a plain sentence of a story is not run through the note forms."""
    note = next(p for p in load_agencies().any_syndication if isinstance(p, Prefiltered))
    assert not note.may_match("The president met the minister in Astana on Tuesday.")
