"""Focused tests of the rules behind real-page enrichment: the dateline grammar, sign-offs
and source lines, cited agencies, homoglyphs, the furniture classifier, outlet history and
the CLDR gazetteer. Each case is a form met on the region's real pages."""

from __future__ import annotations

import pytest

from newswire.tasks.attribute import attribute
from newswire.tasks.enrich import EnrichmentRules
from newswire.tasks.furniture import OutletHistory, furniture_positions
from newswire.tasks.homoglyphs import fold_homoglyphs
from newswire.tasks.tag import tag_region


@pytest.fixture(scope="module")
def rules() -> EnrichmentRules:
    return EnrichmentRules.load()


LEAD = "The president met the delegation on Thursday and discussed trade, transport and energy."


@pytest.mark.parametrize(
    ("text", "agency", "place", "date"),
    [
        ("MOSCOW, Oct 9 (Interfax) - " + LEAD, "Interfax", "Moscow", "Oct 9"),
        ("Москва. 9 октября. INTERFAX.RU - " + LEAD, "Interfax", "Moscow", "9 октября"),
        ("TASHKENT, Uzbekistan, Oct. 9 (Trend): " + LEAD, "Trend", "Tashkent", "Oct. 9"),
        ("New Delhi [India], Oct 9 (ANI): " + LEAD, "ANI", "New Delhi", "Oct 9"),
        ("Bishkek (AKIpress) - " + LEAD, "AKIpress", "Bishkek", None),
        ("BEIJING, Oct 9 (Kyodo/AFP) - " + LEAD, "Kyodo", "Beijing", "Oct 9"),
        ("ASTANA. KAZINFORM - " + LEAD, "Kazinform", "Astana", None),
        ("Toshkent, 9 oktabr – UzA. " + LEAD, "UzA", "Tashkent", "9 oktabr"),
        ("ДУШАНБЕ, 9 окт — РИА Новости. " + LEAD, "RIA Novosti", "Dushanbe", "9 окт"),
        ("БАКУ/ Trend/ - " + LEAD, "Trend", "Baku", None),
        ("TOShKENT, 14 okt — Sputnik. " + LEAD, "Sputnik", "Tashkent", "14 okt"),
        ("AKIPRESS.COM - " + LEAD, "AKIpress", None, None),
        ("DUSHANBE, October 9 — " + LEAD, None, "Dushanbe", "October 9"),
        # the date and the agency, no place; "and agencies" in the slot; the carrier's name
        # and the date sharing the agency's brackets
        ("July 22 (Bloomberg) -- " + LEAD, "Bloomberg", None, "July 22"),
        ("Ashgabat (AsiaNews/Agencies) – " + LEAD, "AsiaNews", "Ashgabat", None),
        (
            "MOSCOW (UrduPoint News / Sputnik - 07th January, 2022) " + LEAD,
            "Sputnik",
            "Moscow",
            "07th January, 2022",
        ),
        ("ТЕГЕРАН, 19 ноя – ПРАЙМ. " + LEAD, "PRIME", "Tehran", "19 ноя"),
        ("Київ, 5 червня /Укрінформ/. " + LEAD, "Ukrinform", "Kyiv", "5 червня"),
        ("Almaty (Kazakhstan), June 5 (AFP) - " + LEAD, "AFP", "Almaty", "June 5"),
    ],
)
def test_dateline_families(rules, text, agency, place, date):
    result = attribute("Title", text, rules.agencies, place_namer=rules.gazetteer.place_name)
    assert (result.wire_agency, result.dateline_place, result.dateline_date) == (agency, place, date)
    assert result.text == LEAD


def test_dateline_after_chrome_but_not_a_headline_label(rules):
    chrome = "Share\n\n12:11, 19 March 2014\n\nPhoto: press service\n\n"
    found = attribute("T", chrome + "ALMATY, Oct 6 (Reuters) - " + LEAD, rules.agencies)
    assert (found.wire_agency, found.dateline_place) == ("Reuters", "Almaty")
    # "AP: Kyrgyz security chief warns" is a headline, "Tokayev: we will" a quote.
    for text in ("AP: Kyrgyz security chief warns of instability", "Tokayev: we will win, he said."):
        result = attribute("T", text + "\n\n" + LEAD, rules.agencies, place_namer=rules.gazetteer.place_name)
        assert result.dateline_place is None and result.wire_agency is None


def test_bylines_are_credits_not_places(rules):
    text = "By Leila Saralayeva (AP)\n\nBISHKEK, Kyrgyzstan — " + LEAD
    result = attribute("T", text, rules.agencies, place_namer=rules.gazetteer.place_name)
    assert (result.wire_agency, result.dateline_place, result.text) == ("AP", "Bishkek", LEAD)
    assert result.credits["writing"] == ["Leila Saralayeva"]


@pytest.mark.parametrize(
    ("ending", "agency"),
    [
        ("Source: Kazinform", "Kazinform"),
        ("Источник: ТАСС", "TASS"),
        ("AKIpress", "AKIpress"),
        ("(Xinhua)", "Xinhua"),
        ("© Reuters 2025", "Reuters"),
        (
            "Copyright 2022 The Associated Press. All rights reserved. This material may not be published.",
            "AP",
        ),
        # a reporter's sign-off with the agency after a comma
        ("Ziyodulla Djonibekov, UzA", "UzA"),
    ],
)
def test_signoffs_and_source_lines(rules, ending, agency):
    result = attribute("T", LEAD + "\n\n" + ending, rules.agencies)
    assert result.wire_agency == agency and result.text == LEAD


def test_an_aggregator_glues_the_source_to_the_sentence(rules):
    result = attribute("T", "Правительства развивают процессы между странами.ТАСС\n\n" + LEAD, rules.agencies)
    assert result.wire_agency == "TASS" and result.text.startswith(
        "Правительства развивают процессы между странами."
    )


def test_cited_agencies_are_not_the_wire_agency(rules):
    text = (
        "Uzbekistan and China signed the deal, reports Trend, citing Xinhua. "
        + "Президент сообщил, передает ТАСС."
    )
    result = attribute("T", text, rules.agencies)
    assert result.wire_agency is None
    assert result.cited_agencies == ["Xinhua", "TASS", "Trend"]
    # An everyday word that is also an agency's name is no citation.
    assert attribute("T", "The trend in prices went on.", rules.agencies).cited_agencies == []
    for everyday in ("He used the Signal app on his phone.", "The Central Asia plus Japan dialogue met."):
        assert attribute("T", everyday, rules.agencies).cited_agencies == []
    # A caption's bracketed credit names the photographer's agency; other languages' names
    # and citing verbs are citations.
    caption = "President Yoon on a state visit to three Central Asian countries. [Image source=Yonhap News]"
    assert attribute("T", caption + "\n\n" + LEAD, rules.agencies).cited_agencies == []
    cited = "Die Wahlbeteiligung lag bei 69 Prozent, wie die Staatsagentur Kasinform berichtete."
    assert attribute("T", cited, rules.agencies).cited_agencies == ["Kazinform"]
    cited = "Пытанні абмеркаваны ў Ташкенце, паведамілі Sputnik у МЗС Беларусі."
    assert attribute("T", cited, rules.agencies).cited_agencies == ["Sputnik"]


def test_an_aggregator_s_meta_line_names_the_source(rules):
    """The date, the source and a view counter under the headline: the copy's source."""
    text = "26.11.2022 ТАСС 131 просмотров\n\n" + LEAD
    result = attribute("T", text, rules.agencies)
    assert (result.wire_agency, result.text) == ("TASS", LEAD)
    # an everyday name there says nothing
    assert attribute("T", "26.11.2022 AP 131 views\n\n" + LEAD, rules.agencies).wire_agency is None
    # a byline without its "By", the agency after a comma; a reporter's place is no agency
    assert attribute("T", "Ziyodulla Djonibekov, UzA\n\n" + LEAD, rules.agencies).wire_agency == "UzA"
    assert attribute("T", "Marc Bennetts, Dushanbe\n\n" + LEAD, rules.agencies).wire_agency is None


def test_an_outlet_listed_as_an_agency_signs_its_own_pages(rules):
    """RFE/RL's own site is an outlet: its name in the dateline slot is its house style."""
    text = "September 27, 2007 (RFE/RL) -- " + LEAD
    own = attribute("T", text, rules.agencies, outlet_agency="RFE/RL", feed_is_wire=False)
    assert own.wire_agency is None and own.text == LEAD
    carried = attribute("T", text, rules.agencies)
    assert carried.wire_agency == "RFE/RL"


def test_wire_metadata_and_own_feed_outrank_the_text(rules):
    text = "ALMATY, Oct 6 (Reuters) - " + LEAD
    by_metadata = attribute(
        "T", text, rules.agencies, metadata_agency="ASSOCIATED PRESS", metadata_place="Oslo, Norway"
    )
    assert (by_metadata.wire_agency, by_metadata.dateline_place) == ("AP", "Oslo")
    own = attribute("T", LEAD, rules.agencies, outlet_agency="Kazinform", feed_is_wire=True)
    assert own.wire_agency == "Kazinform" and own.origin == "wire" and not own.syndicated
    assert rules.agencies.agency_for_host("www.en.inform.kz") == "Kazinform"


def test_homoglyphs_fold_into_the_word_s_script():
    assert fold_homoglyphs("ТASS and Каzinform reported") == "TASS and Kazinform reported"
    assert fold_homoglyphs("Москва и ТАСС") == "Москва и ТАСС"  # one script: untouched


def test_furniture_by_position_and_shape_keeps_every_article_line():
    article = [
        "Kazakhstan and Uzbekistan agreed on Thursday to build a new railway line to the border.",
        "A Pillar of Regional Trade",  # a subheading between article paragraphs stays
        "The two governments said the line would carry freight from next year, officials said.",
        "The project was discussed at length by the ministers of transport of both countries.",
    ]
    page = ["Home", "USD 421.58", "12:11, 19 March 2014", *article, "Leave a Reply", "Related news",
            "Another headline about something else entirely"]  # fmt: skip
    dropped = furniture_positions(page)
    kept = [p for i, p in enumerate(page) if i not in dropped]
    assert kept == article


def test_lines_an_outlet_repeats_are_its_furniture():
    history = OutletHistory()
    for n in range(3):
        history.add_item(["Exchange rates", "Astana +7 °С", f"Story number {n} says something new today."])
    # Scoring a set: each item's own lines are in the counts, and only the others count.
    assert history.is_furniture("Exchange rates", own_item_counted=True)
    assert history.is_furniture("Astana +7 °С", own_item_counted=True)
    assert not history.is_furniture("Story number 1 says something new today.", own_item_counted=True)
    stored = OutletHistory.for_stored_history(history.seen)
    assert stored.is_furniture("Exchange rates")  # three items carried it


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Qozogʻiston va Xitoy savdo hajmi oshdi", {"KZ", "CN"}),  # Uzbek Latin, CLDR
        ("Kazakistan ile Türkiye arasında ticaret", {"KZ", "TR"}),  # Turkish
        ("Prezident Kazachstánu odmítl vyznamenání", {"KZ"}),  # Czech case ending, by stem
        ("Atlanta, Georgia officials said", {"US"}),  # the US state
        ("Turkmen communities in Iran protested", {"IR"}),  # an ethnic group abroad
        ("Того же дня в Казахстане", {"KZ"}),  # "того" is a pronoun, not Togo
        ("Memleket basshysy qatar jumystardy tapsyrdy", set()),  # "qatar" is a row in Kazakh
    ],
)
def test_cldr_gazetteer_and_its_guards(rules, text, codes):
    tags = tag_region("", text, rules.gazetteer)
    assert {c["code"] for c in tags.countries} == codes


def test_primary_country_weighs_the_region_against_what_the_text_is_about(rules):
    """A regional country in the headline wins when the text comes back to it; a headline
    mention the text never returns to does not outweigh a story that is all about Japan
    (the dev labels: "Kazakhs Association founded in Japan" is Japan's story)."""
    title = "Reforms in Kazakhstan draw Japanese interest"
    text = "Japanese investors praised Kazakhstan's reforms at a forum in Almaty. Kazakhstan plans more."
    assert tag_region(title, text, rules.gazetteer).primary_country == "KZ"
    text = "Tokyo investors gathered. Japan's economy grew. Japan's exports rose in Japan."
    assert tag_region(title, text, rules.gazetteer).primary_country == "JP"


def test_primary_country_of_a_visit_or_statement_is_the_headline_actors(rules):
    """The corpus's rule for visits, meetings, calls, agreements and statements: the
    country of the actor the headline reports, though the text names the other as often
    ("Japan smiles at Kazakhstan" on the Kazakh president's visit to Japan); a joint
    subject's first named ("Russia and Uzbekistan signed")."""
    title = "Japan smiles at Kazakhstan"
    text = "Tokyo hosted the forum on Kazakhstan's reforms. Japan's ambassador spoke."
    assert tag_region(title, text, rules.gazetteer).primary_country == "JP"
    text = "Russia and Uzbekistan signed a labour migration agreement. Russia will host the next round."
    assert tag_region("", text, rules.gazetteer).primary_country == "RU"
    title = "Erdoğan receives Mirziyoyev in Ankara"
    text = (
        "Turkish President Recep Tayyip Erdoğan welcomed Uzbek President Shavkat Mirziyoyev."
        " Uzbekistan and Turkey signed agreements."
    )
    assert tag_region(title, text, rules.gazetteer).primary_country == "TR"


def test_primary_country_model_reads_the_dateline(rules):
    """Russia named first and most, Uzbekistan a regional country: the desk's region wins,
    unless the story was filed from Moscow."""
    text = "Labour migration to Russia from Uzbekistan grew. Russia will host the next talks in Russia."
    assert tag_region("", text, rules.gazetteer).primary_country == "UZ"
    assert tag_region("", text, rules.gazetteer, dateline="Moscow").primary_country == "RU"


def test_a_dateline_country_is_a_counted_mention(rules):
    """Filed from Bishkek, a story that names no country still tags Kyrgyzstan, once."""
    tags = tag_region("", "The summit opened with a minute of silence.", rules.gazetteer, dateline="Bishkek")
    assert tags.countries == [{"code": "KG", "mentions": 1}] and tags.in_region


def test_outlet_home_country_from_the_catalog_or_the_country_domain():
    from newswire.tasks.primary import outlet_home

    known = frozenset({"KZ", "UZ", "GB", "RU", "TV"})
    assert outlet_home("KZ", "https://example.com/a", known) == "KZ"
    assert outlet_home("", "https://kun.uz/news/1", known) == "UZ"
    assert outlet_home(None, "https://www.bbc.co.uk/news", known) == "GB"
    assert outlet_home("", "https://tass.ru./x", known) == "RU"
    assert outlet_home("", "https://example.tv/x", known) is None  # sold as a generic name
    assert outlet_home("", "https://reuters.com/x", known) is None
    assert outlet_home("", None, known) is None
