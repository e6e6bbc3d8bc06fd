"""The per-paragraph memos (tasks/memo.py) and the text helpers made faster with them:
same answers as computing afresh, never one rules object's answer for another's."""

from __future__ import annotations

import re

from newswire.tasks.attribute import load_agencies, parse_credits
from newswire.tasks.memo import Same, per_rules
from newswire.tasks.tag import fold
from newswire.tasks.text import comparison_form, fold_whitespace


class Rules:
    """An unhashable stand-in for a rules object (it holds a dict)."""

    def __init__(self, word: str) -> None:
        self.table = {"word": word}

    __hash__ = None  # type: ignore[assignment]


def test_a_memo_answers_once_per_text_and_rules_object() -> None:
    calls: list[tuple[str, str]] = []

    @per_rules()
    def mentions(text: str, rules: Rules) -> bool:
        calls.append((text, rules.table["word"]))
        return rules.table["word"] in text

    tass, other_tass, afp = Rules("TASS"), Rules("TASS"), Rules("AFP")
    assert mentions("says TASS", tass) and mentions("says TASS", tass)
    assert not mentions("says TASS", afp)
    assert mentions("says TASS", other_tass)  # equal rules, another object: asked again
    assert calls == [("says TASS", "TASS"), ("says TASS", "AFP"), ("says TASS", "TASS")]


def test_same_is_identity() -> None:
    rules = Rules("x")
    assert Same(rules) == Same(rules) and hash(Same(rules)) == hash(Same(rules))
    assert Same(rules) != Same(Rules("x"))


def test_a_remembered_result_is_each_callers_own() -> None:
    @per_rules(fresh=list)
    def names(text: str, rules: Rules) -> list[str]:
        return text.split()

    rules = Rules("x")
    first = names("Jane Doe", rules)
    first.append("changed by the caller")
    assert names("Jane Doe", rules) == ["Jane", "Doe"]


def test_remembered_credits_are_not_changed_by_a_caller() -> None:
    rules = load_agencies()
    line = "(Reporting by Jane Doe; Editing by John Roe)"
    credits, agencies = parse_credits(line, rules)
    assert credits["reporting"] == ["Jane Doe"] and credits["editing"] == ["John Roe"]
    credits["reporting"].append("Someone Else")
    agencies.append("AFP")
    again = parse_credits(line, rules)
    assert again is not None and again[0]["reporting"] == ["Jane Doe"] and again[1] == []
    assert parse_credits("The minister said reporting by others was wrong.", rules) is None


_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def test_fold_whitespace_of_non_ascii_text_is_the_substitution() -> None:
    for text in (
        "Токаев провёл встречу",
        " Токаев\u00a0провёл  встречу ",
        "Токаев\tпровёл\u2003встречу\u3000",
        "Токаев\nпровёл",
        "",
    ):
        assert fold_whitespace(text) == _SPACES.sub(" ", text).strip()


def test_comparison_form_ignores_typographic_quotes_and_dashes() -> None:
    typed = "«Казахстан» — партнёр: ‘it’s’ “agreed” – 2024"
    plain = '"Казахстан" - партнёр: \'it\'s\' "agreed" - 2024'
    assert comparison_form(typed) == comparison_form(plain) == "казахстан партнёр it s agreed 2024"


def test_fold_unifies_apostrophes_and_drops_diacritics() -> None:
    assert fold("Kazakistan’dan") == fold("Kazakistan'dan") == "kazakistan'dan"
    assert fold("Провёл Йошкар") == "провел иошкар"
    assert fold("Türkmenistan`ın") == "turkmenistan'ın"
