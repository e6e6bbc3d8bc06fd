"""Hostile-input fuzzing of the per-item chain: parse -> normalise -> enrich -> dedupe plan
-> Arrow rows, all pure functions (no Prefect, no disk), as one run would call them.

Inputs are random bytes, random Unicode (lone surrogates, noncharacters, controls, format
characters) in JSON Feed and RSS shells, and structure mutations of the real feeds in
``../shared/corpus/feeds`` (cut, duplicate, swap and splice ranges; inject DOCTYPE/CDATA,
bad character references, NULs, unclosed tags, dates no calendar has). The contract a
run relies on: ``parse_document`` returns a document (maybe with ``error``), and every
entry it yields can be normalised, enriched, planned and converted to the lake's Arrow
schema. An exception anywhere in that chain would fail a run, so it is a failure here.

Shared by tests/reliability/test_fuzz.py (small budget, every ``make test``) and
benchmarks/reliability_report.py (large budget, ``make reliability``); both report the
inputs tried and the failures, each failure with its seed so it can be replayed.
"""

from __future__ import annotations

import json
import random
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newswire.tasks.catalog import Feed
from newswire.tasks.dedupe import History, plan_batch
from newswire.tasks.enrich import EnrichmentRules, enrich_entries
from newswire.tasks.fetch import FetchResult
from newswire.tasks.normalise import ITEM_SKIPPED, normalise_document
from newswire.tasks.parse import parse_document
from newswire.tasks.records import appearance_row, fetch_row, story_row
from newswire.tasks.settings import NormalisePolicy
from newswire.warehouse.schema import APPEARANCES, FETCHES, STORIES

CORPUS_FEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "feeds"
FEED = Feed(
    id="fuzz", name="Fuzz", url="https://fuzz.example/feed", kind="outlet", language="en", country="KZ"
)
POLICY = NormalisePolicy()
FETCHED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MAX_BODY_BYTES = 2 * 1024 * 1024

# Code points that break naive text handling: lone surrogates, noncharacters, C0/C1
# controls, BOM, zero-width and bidi format characters, combining marks, astral emoji.
_NASTY = (
    [chr(c) for c in (0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xFFFE, 0xFFFF, 0xFEFF, 0xFFFD)]
    + [chr(c) for c in range(0x00, 0x20)]
    + [chr(c) for c in (0x7F, 0x85, 0x9C, 0xAD, 0x200B, 0x200C, 0x200D, 0x2028, 0x2029, 0x202E, 0x2060)]
    + ["\u0301", "\U0001f600", "\U0010ffff", "\u0130", "ß", "Ǆ", "\u00a0"]
)
_SNIPPETS = [
    b"<!DOCTYPE rss [<!ENTITY a 'x'>]>",
    b"<![CDATA[<!DOCTYPE html><p>cdata</p>",
    b"]]>",
    b"&#xD800;",
    b"&#0;",
    b"&#x110000;",
    b"&#99999999999999999999;",
    b"&undefined;",
    b"\x00",
    b"\xff\xfe",
    b"\xed\xa0\x80",  # a surrogate encoded as UTF-8 (invalid UTF-8)
    b"<iframe src=x>",
    b"<embed src=y>",
    b"<object>",
    b"<script>",
    b"<title>",
    b"</item>",
    b"<item>",
    b"<entry>",
    b"<pubDate>-0001-01-01</pubDate>",
    b"<pubDate>2026-13-45T99:99:99+9999</pubDate>",
    b"<updated>0001-01-01T00:00:00Z</updated>",
    b"<guid>same</guid>",
    b"<link>/relative</link>",
    b"<link>javascript:alert(1)</link>",
    b'xml:base="../.."',
    b"Ta\xe2\x80\x8bjikistan",
    b"<" * 64,
    b"&amp;" * 16,
]


@dataclass
class FuzzReport:
    inputs: int = 0
    failures: int = 0
    entries: int = 0
    documents_with_error: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def corpus_feeds(max_bytes: int | None = None) -> list[bytes]:
    """The real corpus feeds (skipped when the shared folder is absent)."""
    if not CORPUS_FEEDS.is_dir():
        return []
    paths = sorted(
        p for p in CORPUS_FEEDS.rglob("*") if p.is_file() and p.suffix in (".xml", ".json", ".rss", ".atom")
    )
    return [p.read_bytes() for p in paths if max_bytes is None or p.stat().st_size <= max_bytes]


def _nasty_text(rng: random.Random, length: int) -> str:
    pieces = []
    for _ in range(length):
        roll = rng.random()
        if roll < 0.3:
            pieces.append(rng.choice(_NASTY))
        elif roll < 0.5:
            pieces.append(chr(rng.randrange(0x20, 0x3000)))
        else:
            pieces.append(rng.choice("abcdefghij Бишкек Астана <>&\"'/"))
    return "".join(pieces)


def _json_escaped(text: str) -> str:
    """A JSON string literal keeping lone surrogates as ``\\udxxx`` escapes (what makes
    ``json.loads`` hand us unencodable strings)."""
    return json.dumps(text, ensure_ascii=True)


def random_unicode_jsonfeed(rng: random.Random) -> bytes:
    items = []
    for number in range(rng.randrange(1, 6)):
        fields = {
            "id": _nasty_text(rng, 8) if rng.random() < 0.8 else None,
            "url": "https://fuzz.example/" + _nasty_text(rng, 6),
            "title": _nasty_text(rng, 20),
            "summary": _nasty_text(rng, 40),
            "content_html": "<p>" + _nasty_text(rng, 60) + "</p>",
            "date_published": rng.choice(
                ["2026-01-05T10:00:00Z", "-0001-01-01", "2026-13-01", _nasty_text(rng, 5)]
            ),
            "tags": [_nasty_text(rng, 5)],
            "authors": [{"name": _nasty_text(rng, 6)}],
            "language": _nasty_text(rng, 2),
        }
        literal = ", ".join(
            f'"{key}": {_json_escaped(value) if isinstance(value, str) else json.dumps(value)}'
            for key, value in fields.items()
            if not isinstance(value, list)
        )
        literal += ', "tags": [' + _json_escaped(fields["tags"][0]) + "]"
        literal += ', "authors": [{"name": ' + _json_escaped(fields["authors"][0]["name"]) + "}]"
        items.append("{" + literal + f', "external_url": "https://fuzz.example/{number}"' + "}")
    title = _json_escaped(_nasty_text(rng, 10))
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": '
        + title
        + ', "items": ['
        + ", ".join(items)
        + "]}"
    ).encode("ascii")


def random_unicode_rss(rng: random.Random) -> bytes:
    def text() -> str:
        # XML-escape, then pick an encoding that can carry (or mangle) what is left.
        raw = _nasty_text(rng, rng.randrange(1, 40))
        return raw.replace("&", "&amp;").replace("<", "&lt;")

    items = "".join(
        f"<item><title>{text()}</title><link>https://fuzz.example/{n}/{text()}</link>"
        f"<guid>{text()}</guid><description>{text()}</description><pubDate>{text()}</pubDate></item>"
        for n in range(rng.randrange(1, 6))
    )
    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{text()}</title>{items}</channel></rss>"
    )
    return document.encode("utf-8", "surrogatepass")


def mutate(rng: random.Random, seed: bytes) -> bytes:
    body = bytearray(seed)
    for _ in range(rng.randrange(1, 6)):
        if not body:
            body += rng.choice(_SNIPPETS)
            continue
        op = rng.randrange(7)
        start = rng.randrange(len(body))
        end = min(len(body), start + rng.randrange(1, 2048))
        if op == 0:  # cut a range
            del body[start:end]
        elif op == 1:  # duplicate a range (repeated items, guids, links)
            body[end:end] = body[start:end] * rng.randrange(1, 4)
        elif op == 2:  # inject a hostile snippet
            body[start:start] = rng.choice(_SNIPPETS)
        elif op == 3:  # flip bytes
            for position in range(start, min(end, start + 16)):
                body[position] = rng.randrange(256)
        elif op == 4:  # truncate
            del body[start:]
        elif op == 5:  # swap two ranges
            other = rng.randrange(len(body))
            a, b = sorted((start, other))
            body[a:b] = body[a:b][::-1] if b - a < 4096 else body[a:b]
        else:  # splice nasty text into the document's own encoding
            body[start:start] = _nasty_text(rng, 12).encode("utf-8", "surrogatepass")
    return bytes(body)


def random_input(rng: random.Random, seeds: list[bytes]) -> tuple[str, bytes, dict[str, str]]:
    roll = rng.random()
    headers = {}
    if rng.random() < 0.2:
        headers["content-type"] = rng.choice(
            [
                "application/rss+xml; charset=windows-1251",
                "text/xml",
                "application/json; charset=utf-16",
                "text/html; charset=koi8-r",
            ]
        )
    if rng.random() < 0.1:
        headers["content-location"] = rng.choice(
            ["/other/", "https://cdn.example/x/", "::bad::", "javascript:x"]
        )
    if roll < 0.15 or not seeds:
        return "random-bytes", rng.randbytes(rng.randrange(0, 4096)), headers
    if roll < 0.3:
        return "unicode-jsonfeed", random_unicode_jsonfeed(rng), headers
    if roll < 0.45:
        return "unicode-rss", random_unicode_rss(rng), headers
    return "corpus-mutation", mutate(rng, rng.choice(seeds)), headers


def run_chain(body: bytes, headers: dict[str, str], rules: EnrichmentRules) -> tuple[int, bool]:
    """One input through the chain a run applies; raises on any failure. Returns the
    entries that came out and whether the document was refused (a per-feed error)."""
    document = parse_document(body, headers, FEED.url, MAX_BODY_BYTES)
    result = FetchResult(
        feed_id=FEED.id, url=FEED.url, fetched_at=FETCHED_AT, status=200, body=body, headers=headers
    )
    FETCHES.to_arrow([fetch_row(result, "fuzz-run", document)])
    if document.error:
        return 0, True
    entries = normalise_document(document, FEED, FETCHED_AT, FEED.url, POLICY, raw_sha256="0" * 64)
    # Contained, so a run would survive it, but an item lost to a bug: a failure here.
    skipped = [warning for warning in document.warnings if warning.startswith(ITEM_SKIPPED)]
    if skipped:
        raise AssertionError(skipped[0])
    entries, _ = enrich_entries(entries, FEED, rules)
    plan = plan_batch(entries, History(), FETCHED_AT)
    APPEARANCES.to_arrow([appearance_row(write, "fuzz-run", FETCHED_AT) for write in plan.appearances])
    STORIES.to_arrow([story_row(write, "fuzz-run", FETCHED_AT) for write in plan.stories])
    if len(plan.appearances) != len(entries):
        raise AssertionError(f"{len(entries)} entries but {len(plan.appearances)} appearances planned")
    for row in (appearance_row(write, "fuzz-run", FETCHED_AT) for write in plan.appearances):
        if not 1990 <= int(row["date"][:4]) <= FETCHED_AT.year + 1:
            raise AssertionError(f"partition date={row['date']}")
    return len(entries), False


def fuzz(seed: int, max_inputs: int, max_seconds: float, seed_max_bytes: int | None = None) -> FuzzReport:
    """Up to ``max_inputs`` inputs or ``max_seconds``, whichever comes first."""
    rng = random.Random(seed)
    seeds = corpus_feeds(seed_max_bytes)
    rules = EnrichmentRules.load()
    report = FuzzReport()
    started = time.monotonic()
    while report.inputs < max_inputs and time.monotonic() - started < max_seconds:
        case_seed = rng.randrange(1 << 30)
        kind, body, headers = random_input(random.Random(case_seed), seeds)
        report.inputs += 1
        report.by_kind[kind] = report.by_kind.get(kind, 0) + 1
        try:
            entries, refused = run_chain(body, headers, rules)
        except Exception as error:
            report.failures += 1
            if len(report.examples) < 5:
                where = traceback.extract_tb(error.__traceback__)[-1]
                report.examples.append(
                    f"{kind} seed {case_seed}: {type(error).__name__}: {str(error)[:200]} "
                    f"({Path(where.filename).name}:{where.lineno})"
                )
            continue
        report.entries += entries
        report.documents_with_error += refused
    report.seconds = time.monotonic() - started
    return report
