"""Character encodings of fetched documents: windows-1251, KOI8-R and UTF-8 (with BOM)
decode to the same text whether the charset comes from the HTTP header, the XML
declaration, neither, or a label that lies."""

from __future__ import annotations

import pytest

from newswire.tasks.encoding import MOJIBAKE_THRESHOLD, mojibake_score, to_utf8
from newswire.tasks.parse import parse_document

TITLE = "Президент Кыргызстана подписал указ о досрочных выборах в Жогорку Кенеш"
DESCRIPTION = "Выборы депутатов пройдут 30 ноября. Указ опубликован на сайте президента, сообщили в Бишкеке."


def _feed(declaration: str | None) -> str:
    prolog = f'<?xml version="1.0" encoding="{declaration}"?>\n' if declaration else ""
    return (
        f'{prolog}<rss version="2.0"><channel><title>Новости</title><link>https://example.kg/</link>'
        f"<item><title>{TITLE}</title><description>{DESCRIPTION}</description>"
        "<guid>https://example.kg/1</guid></item></channel></rss>"
    )


CASES = [
    # (bytes encoding, XML declaration, HTTP charset, what the label situation is)
    ("windows-1251", "windows-1251", None, "declared in the XML prolog"),
    ("windows-1251", None, "windows-1251", "declared in the HTTP header"),
    ("windows-1251", None, None, "not declared anywhere"),
    ("windows-1251", "utf-8", None, "prolog lies (says UTF-8)"),
    ("windows-1251", None, "koi8-r", "header lies (says KOI8-R)"),
    ("koi8-r", "koi8-r", None, "declared in the XML prolog"),
    ("koi8-r", None, "koi8-r", "declared in the HTTP header"),
    ("koi8-r", None, None, "not declared anywhere"),
    ("koi8-r", "windows-1251", None, "prolog lies (says windows-1251)"),
    ("utf-8-sig", None, None, "UTF-8 with BOM, no declaration"),
    ("utf-8-sig", "utf-8", "windows-1251", "UTF-8 with BOM, header lies"),
    ("utf-8", "windows-1251", None, "UTF-8 declared as windows-1251"),
    ("utf-8", None, "iso-8859-1", "UTF-8 served as Latin-1"),
]


@pytest.mark.parametrize(("encoding", "declared", "header", "situation"), CASES)
def test_cyrillic_feed_decodes_whatever_the_labels_say(encoding, declared, header, situation):
    body = _feed(declared).encode(encoding)
    headers = {"content-type": f"application/rss+xml; charset={header}" if header else "application/rss+xml"}
    document = parse_document(body, headers, "https://example.kg/rss", 1 << 20)
    assert document.error is None, situation
    entry = document.entries[0]
    assert entry.title == TITLE, situation
    assert entry.summary == DESCRIPTION, situation
    lied = "lies" in situation or "declared as" in situation or "served as" in situation
    undeclared = "not declared" in situation
    noted = any(warning.startswith("character encoding:") for warning in document.warnings)
    assert noted == (lied or undeclared), (situation, document.warnings)


def test_utf16_is_left_to_the_parser():
    body = _feed(None).encode("utf-16")
    decision = to_utf8(body, {})
    assert decision.body == body and decision.note is None


def test_mojibake_score_separates_clean_text_from_misdecoded_text():
    assert mojibake_score(TITLE) == 0
    assert mojibake_score("Café crème, naïve résumé") == 0
    for wrong in (
        TITLE.encode("koi8-r").decode("latin-1"),
        TITLE.encode("koi8-r").decode("windows-1251"),
        TITLE.encode("windows-1251").decode("koi8-r"),
        TITLE.encode("utf-8").decode("windows-1252", "replace"),
    ):
        assert mojibake_score(wrong) > 3 * MOJIBAKE_THRESHOLD, wrong


def _misread(text: str, encoding: str) -> str:
    """UTF-8 bytes decoded as ``encoding``, the way Windows tools do it (cp1252's five
    undefined bytes pass through as C1 controls)."""
    return "".join(
        bytes([b]).decode(encoding, errors="strict")
        if encoding != "cp1252" or b not in b"\x81\x8d\x8f\x90\x9d"
        else chr(b)
        for b in text.encode("utf-8")
    )


@pytest.mark.parametrize("misread_as", ["cp1251", "latin-1", "cp1252"])
def test_text_stored_as_mojibake_by_the_source_is_repaired(misread_as):
    from newswire.tasks.enrich import EnrichmentRules, draft_entry, enrich_entry

    broken = draft_entry(_misread(TITLE, misread_as), summary=_misread(DESCRIPTION, misread_as))
    entry = enrich_entry(broken, EnrichmentRules.load())
    assert entry.title == TITLE
    assert entry.summary == DESCRIPTION


def test_clean_text_is_never_repaired():
    from newswire.tasks.encoding import repair_mojibake

    for text in (
        TITLE,
        "Café crème, déjà vu",
        "Kazakhstan (Казахстан), Wi-Fi-роутер",
        "Oʻzbekiston",
        "…",
        "ИИ",
    ):
        assert repair_mojibake(text) == text
    # The corpus's double-encoded ellipsis (feedparser/encoding/bozo_double-encoded-html.xml).
    assert repair_mojibake("â\x80¦") == "…"
