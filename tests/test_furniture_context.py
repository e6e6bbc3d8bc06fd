"""Furniture known by its neighbours and its shape, not by an outlet's phrases: jusText's
context at the page's foot, widgets and breadcrumbs in the corpus's languages, Title Case
headlines, captions pointing into the picture, stop lists for every corpus language."""

from __future__ import annotations

import pytest

from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.furniture import (
    features,
    furniture_positions,
    is_crumbs,
    is_widget,
    stop_words,
)

STORY = [
    "Tajikistan and Kyrgyzstan agreed on Tuesday to pull back their troops from the border after "
    "a clash that the two governments blamed on each other, officials said in Dushanbe.",
    "The talks between the two presidents came after the worst fighting in years, and the "
    "sides said they would meet again next month to settle the rest of the frontier.",
    "A ceasefire has held since Sunday evening, the border guards of both countries said in a "
    "statement that was read out on state television on Monday morning.",
]


def positions(paragraphs: list[str]) -> set[int]:
    return furniture_positions(
        paragraphs, extra_stop_words=DEFAULT_DESK.enrichment_rules().boilerplate.stop_words
    )


def test_headlines_between_a_dropped_label_and_the_end_are_furniture():
    page = [
        *STORY,
        "ALSO READ",
        "Two civilians killed as troops enter the city - governor",
        "Forces move deeper",
    ]
    assert {4, 5} <= positions(page)
    assert not positions(page) & {0, 1, 2}


def test_a_sentence_under_one_pointer_inside_the_story_stays():
    page = [
        *STORY,
        "READ: The president of a university was fired",
        "“On July 1, several residents of the city",
    ]
    assert 4 not in positions(page)


@pytest.mark.parametrize(
    "line",
    ["2 hours ago", "2 часа назад", "2 soat oldin", "2 saat önce", "vor 2 Stunden", "5 min read", "22 мин",
     "Share on Facebook", "Поделиться:", "Ulashish", "Бөлісу", "Paylaş", "分享到："],
)  # fmt: skip
def test_a_widget_in_any_corpus_language_is_one(line):
    assert is_widget(line)


@pytest.mark.parametrize("line", ["He left two hours later.", "Share prices fell by 2 per cent on Monday."])
def test_a_sentence_is_no_widget(line):
    assert not is_widget(line)


def test_a_breadcrumb_is_furniture_and_a_sentence_with_a_slash_is_not():
    assert is_crumbs("World /  Russia & Central Asia") and is_crumbs("首页 > 国内新闻 > 正文")
    assert not is_crumbs("Bishkek/Moscow talks") and not is_crumbs("He said 5 > 3 in the poll.")


def test_a_title_case_headline_is_no_sentence():
    stops = stop_words()
    assert features(
        "Relatives Of Victims Of Tajik Police Crackdown Still Waiting For Answers", stops
    ).title_case
    line = "Relatives of victims of the crackdown are still waiting for answers"
    assert not features(line, stops).title_case and features(line, stops).sentence_like


def test_a_caption_pointing_into_the_picture_goes_inside_the_story_too():
    caption = (
        "Foreign Minister Cho Tae-yul, right, shakes hands with Uzbek Foreign Minister Bakhtiyor Saidov "
        "ahead of their talks in Seoul on Monday."
    )
    assert positions([STORY[0], caption, *STORY[1:]]) == {1}


def test_a_short_texts_leading_button_goes():
    assert positions(["Learn more", STORY[0]]) == {0}
    assert positions(["ASTANA", STORY[0]]) == set()  # a place in capitals may be the dateline


def test_kazakh_in_latin_letters_and_uzbek_in_cyrillic_have_function_words():
    stops = stop_words(DEFAULT_DESK.enrichment_rules().boilerplate.stop_words)
    assert {"jáne", "úshin", "boıynsha", "билан", "учун", "ҳақида"} <= stops
