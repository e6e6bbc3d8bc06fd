"""The attribution families as fixture files with their expectation beside them
(tests/fixtures/enrich/attribution/expectations.toml): the dateline grammar's families,
sign-off and source lines, agency names on a line of their own above the story, and
agencies only cited in running text. Each case is one form met on the region's pages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newswire.tasks.attribute import attribute, load_agencies
from newswire.tasks.enrich import EnrichmentRules, draft_entry, enrich_entry
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


_CAPTION = "Members of an electoral committee sort through a ballot box at a polling station in Bishkek."
_STORY = (
    "BISHKEK, Kyrgyzstan — A long line of U.S. Air Force planes stand parked beside the passenger "
    "terminal at Manas Airport, gateway to this mountainous nation.\n\nThe planes ferry fuel and "
    "soldiers daily in and out of the war zone, an important supply route for the troops."
)


def test_a_photographer_s_byline_under_a_doubled_caption_credits_nothing(rules):
    # The page prints the caption twice (alt text and caption), then its photo credit.
    body = f"{_CAPTION} {_CAPTION}\n\nBy Maxim Shubovich, AP\n\n{_STORY}"
    columns = enrich_entry(draft_entry("Kyrgyzstan election yields uncertain result", body=body), rules, None)
    assert (columns.enrichment["wire_agency"], columns.enrichment["dateline_place"]) == (None, "Bishkek")


def test_the_same_byline_above_the_story_credits_its_agency(rules):
    body = f"By Maxim Shubovich, AP\n\n{_STORY}"
    columns = enrich_entry(draft_entry("Kyrgyzstan election yields uncertain result", body=body), rules, None)
    assert columns.enrichment["wire_agency"] == "AP"


@pytest.mark.parametrize(
    ("host", "agency"),
    [("plenglish.com", "Prensa Latina"), ("www.agenzianova.com", "Agenzia Nova"), ("tdh.gov.tm", "TDH")],
)
def test_an_agency_s_own_site_names_it(host, agency):
    # Prensa Latina signs off with desk initials ("pgh/lcr") and Agenzia Nova with a desk
    # code ("(Res)"): on their own sites the site is the only credit.
    assert load_agencies().agency_for_host(host) == agency


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ("The model is TASS-based and Interfax-Kazakhstan reported it.", ["Interfax"]),
        ("ТАСС-тың хабарлауынша, келіссөздер аяқталды.", ["TASS"]),
        ("Reuters agentligiga ko'ra, AFPga ma'lum qilishdi.", ["Reuters", "AFP"]),
    ],
)
def test_a_case_ending_on_an_agency_s_name_is_still_its_citation(text, cited):
    # A hyphenated compound ("TASS-based") is no case ending; "-тың" and a glued "-ga" are.
    assert attribute("Title", text, load_agencies()).cited_agencies == cited


_BODY = (
    "The president met foreign investors today and discussed cooperation in many areas, the press "
    "service said.\n\nHe also visited a new factory in the capital and spoke to its workers."
)


@pytest.mark.parametrize(
    ("note", "agency"),
    [
        ("(With Reuters inputs)", "Reuters"),
        ("With PTI inputs", "PTI"),
        ("Mit Material von dpa", "dpa"),
        ("Материал подготовлен по информации РИА Новости", "RIA Novosti"),
        ("This article was originally published by RFE/RL.", "RFE/RL"),
        ("(With agency inputs)", None),
        ("This article was originally published by Eurasianet.", None),
    ],
)
def test_a_source_note_under_the_story_credits_its_agency_or_none(note, agency):
    # Either way the note is the copy's credit, not the story's text.
    result = attribute("Title", f"{_BODY}\n\n{note}", load_agencies())
    assert (result.wire_agency, note in result.text) == (agency, False)


def test_a_follow_prompt_naming_the_outlet_is_furniture():
    from newswire.tasks.boilerplate import is_furniture, load_boilerplate

    rules = load_boilerplate()
    assert is_furniture("Follow Trend on Telegram", rules)
    assert not is_furniture("Follow the money, the minister told reporters on Telegram.", rules)


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ("Суд приговорил руководителя информационного агентства КазТАГ Асета Матаева.", []),
        ("Дело в отношении сотрудников редакции КазТАГ начато по заявлению.", []),
        ("The head of Xinhua visited Astana on Monday.", []),
        ("The director general of Anadolu Agency met the ambassador, Anadolu Agency reports.", ["Anadolu"]),
        ("Об этом сообщает КазТАГ со ссылкой на суд.", ["KazTAG"]),
    ],
)
def test_an_agency_named_only_by_its_own_staff_is_the_subject_not_cited(text, cited):
    # Cited as soon as one mention is not of its staff or office.
    assert attribute("Title", text, load_agencies()).cited_agencies == cited


@pytest.mark.parametrize(
    ("line", "furniture"),
    [
        ("При использовании материалов ссылка на Kazinform обязательна", True),
        ("Копирование материалов разрешено только с гиперссылкой на 24.kg", True),
        ("Materiallardan foydalanilganda Kun.uz'ga havola berilishi shart", True),
        ("Использование материалов в рамках проекта обсудили министры.", False),
    ],
)
def test_a_sites_reproduction_notice_is_furniture_not_a_citation(line, furniture):
    from newswire.tasks.boilerplate import is_furniture, load_boilerplate

    assert is_furniture(line, load_boilerplate()) is furniture


def test_a_read_in_full_pointer_naming_only_an_agency_credits_it():
    assert attribute("Title", f"{_BODY}\n\nЧитать полностью: Kun.uz", load_agencies()).wire_agency == "Kun.uz"
