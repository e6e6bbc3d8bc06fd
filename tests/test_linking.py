"""Linking's pure parts: evidence that survives translation, pair decisions on real
pages (tests/fixtures/real/links), and event ids that only ever merge."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.tasks.link_evidence import day_months, figures, name_key, profile_of
from newswire.tasks.linking import (
    SAME_EVENT,
    TRANSLATION,
    LinkPolicy,
    StoryLink,
    assign_events,
    decide,
    key_weights,
)

ITEMS = Path(__file__).parent / "fixtures" / "real" / "links" / "items"


@pytest.mark.parametrize(
    "spellings",
    [
        ("Токаев", "Тоқаев", "To‘qayev", "Tokayev", "Токаевым"),
        ("Mirziyoyev", "Мирзиёев", "Mirziyoyevning", "Мирзиеев"),
        ("Khujand", "Худжанд", "Хўжанд"),
        ("Emomali", "Имомали"),
        ("Tashkent", "Ташкент", "Toshkent"),
    ],
)
def test_one_name_in_every_script_and_case_has_one_key(spellings):
    assert len({name_key(word) for word in spellings}) == 1


def test_figures_are_written_one_way_and_days_and_years_are_not_figures():
    english = figures("7,820,204 people or 63.66% of 12,284,487 voted on 6 October 2024")
    russian = figures("7 820 204 человека, или 63,66% от 12 284 487, 6 октября 2024 года")
    assert english == russian == {"7820204", "63.66", "12284487"}


def test_day_and_month_dates_in_the_region_s_languages():
    assert day_months("13 марта") == day_months("March 13") == day_months("13-mart kuni") == {"03-13"}
    assert day_months("14 наурызда") == {"03-14"}
    assert day_months("Marat 12 said") == frozenset()


def _page(item_id: str, language: str, published: str):
    url, _, text = (ITEMS / f"{item_id}.txt").read_text(encoding="utf-8").partition("\n")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return profile_of(
        item_id,
        lines[0],
        "\n".join(lines[1:]),
        language=language,
        outlet_id=url.split("/")[2],
        published_at=datetime.fromisoformat(published).replace(tzinfo=UTC),
        enrichment={},
    )


def test_an_agency_s_own_editions_are_translations_and_another_call_is_not_linked():
    english = _page("l01-inform-en", "en", "2022-12-22T12:00")
    russian = _page("l01-standard-ru", "ru", "2022-12-22T14:00")
    other_call = _page("n05-inform-en", "en", "2020-07-24T12:00")
    weights = key_weights([english, russian, other_call])
    link = decide(english, russian, weights, LinkPolicy())
    assert link is not None and link.kind == TRANSLATION, link
    assert {"tkv", "mrz"} <= set(link.evidence["names"])
    # Two years apart: the same two presidents, never one event.
    assert decide(english, other_call, weights, LinkPolicy()) is None


def test_events_only_merge_and_the_smaller_stored_id_survives():
    links = [StoryLink("a", "b", SAME_EVENT, 0.5, {}), StoryLink("b", "c", TRANSLATION, 0.7, {})]
    plan = assign_events(["b"], links, {"a": "e2", "c": "e1"})
    assert plan.merge == {"e2": "e1"}
    assert plan.assign == {"a": "e1", "b": "e1"}
    alone = assign_events(["x"], [], {})
    assert list(alone.assign) == ["x"] and alone.merge == {}
