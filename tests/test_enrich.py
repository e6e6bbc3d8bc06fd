"""Enrichment on real inputs: the seed page, every corpus feed, a second region file."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import CORPUS_DIR, SAMPLE_DIR, SEED_PAGE
from newswire.tasks.catalog import Feed
from newswire.tasks.encoding import mojibake_score
from newswire.tasks.enrich import EnrichmentRules, draft_entry, enrich_entries, enrich_entry, needs_full_text
from newswire.tasks.extract import extract_article
from newswire.tasks.normalise import NormalisedEntry, normalise_document
from newswire.tasks.parse import parse_document
from newswire.tasks.settings import NormalisePolicy, load_settings
from newswire.tasks.tag import load_gazetteer, tag_region

SEED_HTML = SAMPLE_DIR / "pages" / "theprint-putin-central-asia-trade.html"
SEED_TITLE = "Putin urges Central Asian states to step up trade with Russia"


def make_feed(name: str, **options) -> Feed:
    return Feed(
        id="f",
        name=name,
        url="https://example.org/feed",
        kind="outlet",
        language="en",
        country="US",
        **options,
    )


THEPRINT = make_feed("ThePrint - World")


@pytest.fixture(scope="module")
def rules() -> EnrichmentRules:
    return EnrichmentRules.load()


def make_entry(title: str, body: str = "", summary: str = "", language: str | None = "en") -> NormalisedEntry:
    return draft_entry(title, summary=summary, body=body, language=language)


def seed_article() -> list[str]:
    """The article paragraphs of the seed, read independently of our code: from the line
    after the dateline to the last line before the credit line, dateline prefix removed."""
    lines = [line.strip() for line in SEED_PAGE.read_text(encoding="utf-8").splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith("MOSCOW (Reuters) -"))
    end = next(i for i, line in enumerate(lines) if line.startswith("(Reporting by"))
    article = lines[start:end]
    article[0] = article[0].removeprefix("MOSCOW (Reuters) -")
    return article


@pytest.mark.parametrize("source", ["seed text", "seed page via trafilatura"])
def test_seed_becomes_the_clean_tagged_article(rules, source):
    if source == "seed text":
        body = SEED_PAGE.read_text(encoding="utf-8")
    else:
        html = SEED_HTML.read_bytes().replace(b"{base}", b"https://theprint.in")
        page = extract_article(html, {"content-type": "text/html"}, "https://theprint.in/world/putin/")
        assert page.error is None
        assert page.canonical_url == (
            "https://theprint.in/world/putin-urges-central-asian-states-to-step-up-trade-with-russia/2753101/"
        )
        assert page.site_name == "ThePrint"
        body = page.text
    entry = enrich_entry(make_entry(SEED_TITLE, body=body), rules, THEPRINT)

    article = seed_article()
    assert entry.body.split("\n\n") == article
    assert entry.body.startswith("President Vladimir Putin on Thursday urged")
    assert entry.body.endswith("improve trade payment and settlement systems.")
    for furniture in (
        "scorecardresearch",
        "Support Our Journalism",
        "Follow Us",
        "Text Size",
        "Subscribe to",
        "LEAVE A REPLY",
        "Please enter",
        "Most Popular",
        "Reporting by",
        "auto generated",
        "India needs fair",
        "preferred source",
    ):
        assert furniture not in entry.body
    columns = entry.enrichment
    assert columns["wire_agency"] == "Reuters"
    assert columns["dateline_place"] == "Moscow"
    assert columns["credits"]["writing"] == ["Mark Trevelyan"]
    assert columns["credits"]["editing"] == ["Mark Heinrich"]
    assert columns["credits"]["reporting"] == []  # "Reporting by Reuters" is the agency
    assert "auto generated from the Reuters news service" in columns["syndication_note"]
    assert columns["syndicated"] is True
    assert columns["origin"] == "wire"
    assert entry.language == "en"
    assert columns["script"] == "Latin"
    codes = {c["code"] for c in columns["countries"]}
    assert {"KZ", "UZ", "KG", "TM", "TJ", "RU", "CN", "BY", "UA"} <= codes
    assert "IN" not in codes  # only the reader appeal ("India needs ...") named India
    assert columns["in_region"] is True
    assert 0 < columns["region_score"] < 1
    # The hash is of the clean text: another outlet's copy with other furniture matches.
    other = enrich_entry(
        make_entry(
            SEED_TITLE + " - Reuters",
            body="MOSCOW: " + "\n\n".join(article) + "\n\nCopyright Business Recorder, 2025",
        ),
        rules,
    )
    assert other.content_hash == entry.content_hash
    assert other.enrichment["title_flags"] == ["source:Reuters"]
    assert entry.word_count == len(SEED_TITLE.split()) + len(" ".join(article).split())


def corpus_feeds() -> list[tuple[str, str]]:
    with open(CORPUS_DIR / "feeds" / "MANIFEST.tsv", encoding="utf-8") as handle:
        return [(row["path"], row["encoding"]) for row in csv.DictReader(handle, delimiter="\t")]


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def test_every_corpus_feed_parses_normalises_and_enriches(rules):
    """Every real feed in the corpus: no exception, and Cyrillic titles read as Cyrillic."""
    feed = make_feed("Corpus")
    checked_cyrillic = 0
    for path, encoding in corpus_feeds():
        body = (CORPUS_DIR / "feeds" / path).read_bytes()
        document = parse_document(body, {}, "http://corpus.example/feed", 10 * 1024 * 1024)
        if document.error:
            continue
        entries = normalise_document(
            document, feed, datetime.now(UTC), "http://corpus.example/", NormalisePolicy()
        )
        entries, problems = enrich_entries(entries, feed, rules)
        assert problems == [], path
        for entry in entries:
            assert entry.enrichment["origin"] in ("wire", "staff", "unknown")
            if _CYRILLIC.search(entry.title):
                checked_cyrillic += 1
                assert mojibake_score(entry.title) == 0, (path, encoding, entry.title)
        if any(word in encoding.lower() for word in ("1251", "koi8")) or "koi8" in path:
            assert entries and all(_CYRILLIC.search(e.title) for e in entries if e.title), (path, encoding)
    assert checked_cyrillic >= 60  # windows-1251 x2 (60 entries) + two KOI8-R files


def test_koi8r_without_any_declaration_is_detected():
    body = (CORPUS_DIR / "feeds" / "feedparser/illformed/chardet/koi8r.xml").read_bytes()
    document = parse_document(body, {"content-type": "application/xml"}, "http://x/", 1 << 20)
    assert document.entries[0].title == "Как пережить новогоднюю ночь"
    assert any("koi8-r" in warning for warning in document.warnings)


def test_utf8_declared_as_windows_1251_is_fixed():
    body = (
        '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Президент Казахстана провел встречу в Астане</title></item></channel></rss>"
    )
    document = parse_document(
        body.encode("utf-8"), {"content-type": "text/xml; charset=windows-1251"}, "http://x/", 1 << 20
    )
    assert document.entries[0].title == "Президент Казахстана провел встречу в Астане"
    assert any("bytes are UTF-8" in warning for warning in document.warnings)


def test_second_region_file_tags_its_countries_by_configuration():
    caucasus = load_gazetteer(Path(__file__).parent.parent / "feeds" / "regions" / "south-caucasus.toml")
    tags = tag_region(
        "Пашинян и Алиев встретились в Тбилиси",
        "Переговоры Азербайджана и Армении прошли в Грузии при посредничестве России. "
        "In Baku, officials said Yerevan agreed.",
        caucasus,
    )
    codes = {c["code"]: c["mentions"] for c in tags.countries}
    assert set(codes) == {"AM", "AZ", "GE", "RU"}
    assert tags.in_region and tags.primary_country in {"AM", "AZ", "GE"}
    # The same text under the Central Asia file: the Caucasus countries are out of region.
    central_asia = load_gazetteer()
    assert tag_region("Aliyev in Baku", "Azerbaijan and Armenia", central_asia).in_region is False


def test_cli_enriches_a_page_and_names_a_broken_data_file(tmp_path):
    from typer.testing import CliRunner

    from newswire.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, ["enrich", str(SEED_HTML)])
    assert result.exit_code == 0, result.output
    assert "Reuters" in result.output and "Moscow" in result.output
    assert "President Vladimir Putin on Thursday urged" in result.output
    assert "Support Our Journalism" not in result.output

    broken = tmp_path / "region.toml"
    broken.write_text('[region]\ncountries = ["KZ"]\n[[country]]\ncode = "kz"\n', encoding="utf-8")
    result = runner.invoke(app, ["enrich", str(SEED_HTML), "--region", str(broken)])
    assert result.exit_code == 2
    assert str(broken) in result.output and "ISO 3166-1" in result.output


@pytest.mark.parametrize(
    ("title", "clean", "flags"),
    [
        (
            "UPDATE 2-Kazakhstan says CPC oil exports back to normal",
            "Kazakhstan says CPC oil exports back to normal",
            ["UPDATE 2"],
        ),
        (
            "REFILE-EXCLUSIVE-Rosatom in talks on second Uzbek plant",
            "Rosatom in talks on second Uzbek plant",
            ["REFILE", "EXCLUSIVE"],
        ),
        (
            "CORRECTED-Turkmen leader visits Beijing - Reuters",
            "Turkmen leader visits Beijing",
            ["CORRECTED", "source:Reuters"],
        ),
        (
            "Putin urges Central Asian states to step up trade | ThePrint",
            "Putin urges Central Asian states to step up trade",
            ["source:ThePrint"],
        ),
        ("Kyrgyz-Tajik border talks - what we know", "Kyrgyz-Tajik border talks - what we know", []),
    ],
)
def test_wire_prefixes_and_outlet_suffixes_leave_the_title_as_flags(rules, title, clean, flags):
    entry = enrich_entry(make_entry(title, summary="Text of the story."), rules)
    assert (entry.title, entry.enrichment["title_flags"]) == (clean, flags)


@pytest.mark.parametrize(
    ("text", "declared", "language", "script"),
    [
        (
            "Oʻzbekiston Respublikasi Prezidenti Shavkat Mirziyoyev Toshkentda "
            "xorijiy investorlar bilan uchrashdi.",
            "uz",
            "uz",
            "Latin",
        ),
        (
            "Ўзбекистон Республикаси Президенти Шавкат Мирзиёев Тошкентда хорижий инвесторлар билан учрашди.",
            "uz",
            "uz",
            "Cyrillic",
        ),
        (
            "Қазақстан Республикасының Президенті Қасым-Жомарт Тоқаев Астанада "
            "шетелдік инвесторлармен кездесті.",
            None,
            "kk",
            "Cyrillic",
        ),
        (
            "Президент Казахстана Касым-Жомарт Токаев провел встречу с иностранными инвесторами в Астане.",
            "en",
            "ru",
            "Cyrillic",
        ),
        (
            "Kazakhstan's president met foreign investors in Astana on Thursday to discuss new projects.",
            "ru",
            "en",
            "Latin",
        ),
    ],
)
def test_language_and_script(rules, text, declared, language, script):
    entry = enrich_entry(make_entry("", summary=text, language=declared), rules)
    assert (entry.language, entry.enrichment["script"]) == (language, script)


def test_region_is_chosen_by_configuration(monkeypatch):
    text = "Armenia and Azerbaijan signed the deal in Tbilisi, officials in Baku and Yerevan said."
    central_asia = enrich_entry(make_entry("Peace deal signed", summary=text), EnrichmentRules.load())
    monkeypatch.setenv(
        "NEWSWIRE_ENRICH_REGION", str(Path(__file__).parent.parent / "feeds/regions/south-caucasus.toml")
    )
    caucasus_rules = load_settings().desk.enrichment_rules()
    caucasus = enrich_entry(make_entry("Peace deal signed", summary=text), caucasus_rules)
    assert central_asia.enrichment["in_region"] is False
    assert caucasus.enrichment["in_region"] is True and caucasus.enrichment["region_score"] == 1.0
    assert {c["code"] for c in caucasus.enrichment["countries"]} == {"AM", "AZ", "GE"}


def test_which_entries_get_their_article_page():
    from newswire.tasks.settings import EnrichPolicy

    short = make_entry("Title", summary="Two words")
    short.url = "https://example.org/a"
    long = make_entry("Title", summary=" ".join(["word"] * 60))
    long.url = "https://example.org/b"
    plain, full = make_feed("Plain"), make_feed("Full", full_text=True)
    assert needs_full_text(long, full, EnrichPolicy()) is True
    assert needs_full_text(short, plain, EnrichPolicy()) is False  # off unless the operator asks
    assert needs_full_text(short, plain, EnrichPolicy(full_text_below_words=40)) is True
    assert needs_full_text(long, plain, EnrichPolicy(full_text_below_words=40)) is False
    no_link = make_entry("Title", summary="Two words")
    assert needs_full_text(no_link, full, EnrichPolicy()) is False
