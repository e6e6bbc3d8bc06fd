"""Furniture known by its form and place on the page: dates written with the month's name,
captions ending with the picture's place and date, the page's header above a dateline lead,
and notices where the site addresses its reader. Through the enrichment stage, so the
dateline grammar that finds the lead is the real one."""

from __future__ import annotations

import pytest

from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.enrich import draft_entry, enrich_entry
from newswire.tasks.furniture import ends_with_picture_credit, is_dated_caption, is_named_date, is_stamp


@pytest.mark.parametrize(
    "line",
    ["November 8, 2018", "Updated: 9:06pm, 1 May, 2021", "Май 1, 2023 15:46", "8 ноября 2018 г., 10:15"],
)
def test_a_date_with_the_months_name_is_a_stamp(line):
    assert is_stamp(line) and is_named_date(line)


@pytest.mark.parametrize("line", ["In May 2020 he left the post.", "April.", "Georgia", "May"])
def test_a_sentence_or_a_bare_month_is_no_stamp(line):
    assert not is_named_date(line)


def test_a_caption_ends_with_the_pictures_place_and_date():
    caption = "A governor talks to reporters in Termez, Uzbekistan, Nov. 3, 2021."
    assert is_dated_caption(caption, len(caption.split()))
    sentence = "The agreement between the two governments was signed on March 5, 2020."
    assert not is_dated_caption(sentence, len(sentence.split()))


LEAD = (
    "BISHKEK, Kyrgyzstan (AP) — Voters in Kyrgyzstan cast their ballots on Sunday in a "
    "presidential election that could bring a peaceful transfer of power in the country."
)
SECOND = (
    "Observers have praised the wide range of candidates on offer, and the turnout was "
    "higher than it was at the last election, the commission said on Sunday evening."
)
CAPTION = (
    "The outgoing president casts her ballot at a polling station during the presidential "
    "election in the capital, where voting began early in the morning and long queues formed."
)


def enriched(body: str, title: str = "Voters in Kyrgyzstan cast ballots") -> str:
    entry = draft_entry(title, body=body, language="en", entry_id="t")
    return enrich_entry(entry, DEFAULT_DESK.enrichment_rules()).body


def test_prose_between_the_headline_and_the_dateline_lead_is_the_pages():
    body = enriched("\n\n".join(["Voters in Kyrgyzstan cast ballots", CAPTION, LEAD, SECOND]))
    assert "casts her ballot" not in body
    assert "Voters in Kyrgyzstan cast their ballots" in body and "Observers have praised" in body


def test_a_story_above_the_next_items_dateline_stays():
    # Three paragraphs of prose above a dateline: that dateline opens the next item, not this one.
    story = [CAPTION, SECOND, "The election is the third since the constitution was changed in 2021."]
    body = enriched("\n\n".join([*story, LEAD, SECOND]))
    assert "casts her ballot" in body


def test_the_page_addressing_its_reader_goes_below_the_story():
    notice = "If you are a free subscriber, click here to upgrade your account and read on."
    quoted = "“If you want to vote, register on the commission's website,” the chairman said."
    body = enriched("\n\n".join([LEAD, SECOND, quoted, notice]))
    assert "click here" not in body
    assert "register on the commission" in body


@pytest.mark.parametrize(
    "caption",
    [
        "President Xi Jinping arrives in Astana, Kazakhstan, for the summit and a state visit at the "
        "invitation of the Kazakh president, who welcomed him at the airport. [Photo/Xinhua]",
        "Bakiyev came to power in 2005 after protests toppled his predecessor [AP]",
        "Chinese President Xi Jinping shakes hands with the Kyrgyz president at Manas airport on "
        "Wednesday. Photo: People’s Daily",
        "Workers perform maintenance on an oil pumping unit near Atyrau, Kazakhstan. Photographer: "
        "Andrey Rudakov/BloombergPhotograph by Andrey Rudakov — Bloomberg via Getty Images",
    ],
)
def test_a_caption_closing_with_its_pictures_credit_is_one_whatever_its_length(caption):
    assert ends_with_picture_credit(caption)
    body = enriched("\n\n".join([LEAD, caption, SECOND, SECOND.replace("Observers", "Monitors")]))
    assert caption[:30] not in body and "Voters in Kyrgyzstan cast their ballots" in body


@pytest.mark.parametrize(
    "sentence",
    [
        "The photo agency said it had 40 photographers in the region (AP).",
        "“The photo: that is what people remember,” the curator said of the exhibition.",
        "Photographers from Reuters and AP were at the scene, the police said.",
    ],
)
def test_prose_naming_a_photo_is_no_credited_caption(sentence):
    assert not ends_with_picture_credit(sentence)


@pytest.mark.parametrize("line", ["18:00, 23 Tamyz 2024", "5 luglio 2023", "1 iyul 2021"])
def test_a_date_in_any_language_the_datelines_know_is_a_stamp(line):
    # Kazakh in Latin letters, Italian, Uzbek: the month names are the dateline grammar's.
    assert is_stamp(line) and is_named_date(line)
