"""Parse speed per entry: the strict lxml readers (tasks/fast_feed.py) against feedparser,
on the ingest benchmark's generated feeds in RSS 2.0 and the same items as Atom 1.0 and
RSS 1.0 (RDF).

    python benchmarks/parse_speed.py                   # 40 feeds x 50 entries, 5 rounds
    python benchmarks/parse_speed.py --feeds 100 --rounds 7

Both paths run in this process, alternately, on the same bytes (``parse_document`` with
``fast_path`` on and off); the table gives the best round's CPU µs per entry of each and
their ratio, and says how many documents the fast path took (the rest fell back).
``as_atom`` and ``as_rdf`` are also what tests/test_fast_feed.py checks the readers on.
Run it with an older version's interpreter (its checkout's venv) to compare versions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import generate_feeds

from newswire.tasks.parse import parse_document

try:
    from newswire.tasks.fast_feed import read_plain_feed
except ImportError:  # an older version on the path (RSS 2.0 only): the same rounds
    from newswire.tasks.fast_feed import read_plain_rss as read_plain_feed

HEADERS = {"content-type": "application/xml; charset=utf-8"}
LIMIT = 10_000_000


def _items(rss: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    root = etree.fromstring(rss)
    channel = root.find("channel")
    head = {child.tag: child.text or "" for child in channel if child.tag != "item"}
    items = [{child.tag: child.text or "" for child in item} for item in channel.iter("item")]
    return head, items


def _iso(rfc822: str) -> str:
    return parsedate_to_datetime(rfc822).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _extras(count: int, author: str, category: str) -> list[str]:
    """An author on every third entry, a category on every other one."""
    return [
        (author.format(n % 5) if n % 3 == 0 else "") + (category.format(n % 4) if n % 2 == 0 else "")
        for n in range(count)
    ]


def as_atom(rss: bytes) -> bytes:
    """The generated RSS document's channel and items as an Atom 1.0 feed (every third
    entry with an author, every other one with a category)."""
    head, items = _items(rss)
    extras = _extras(len(items), "<author><name>Reporter {}</name></author>", '<category term="topic{}"/>')
    entries = [
        f"<entry><title>{escape(item['title'])}</title><link href={quoteattr(item['link'])}/>"
        f"<id>{escape(item['guid'])}</id><published>{_iso(item['pubDate'])}</published>"
        f"<updated>{_iso(item['pubDate'])}</updated>{extra}"
        f"<summary>{escape(item['description'])}</summary></entry>"
        for item, extra in zip(items, extras, strict=True)
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        f"<title>{escape(head['title'])}</title><link href={quoteattr(head['link'])}/>"
        f'<link rel="self" href={quoteattr(head["link"] + "atom.xml")}/>'
        f"<id>{escape(head['link'])}</id><updated>2025-10-01T00:00:00Z</updated>{''.join(entries)}</feed>"
    ).encode()


def as_rdf(rss: bytes) -> bytes:
    """The same as RSS 1.0 (RDF) with Dublin Core dates, creators and subjects."""
    head, items = _items(rss)
    sequence = "".join(f"<rdf:li rdf:resource={quoteattr(item['link'])}/>" for item in items)
    extras = _extras(len(items), "<dc:creator>Reporter {}</dc:creator>", "<dc:subject>topic{}</dc:subject>")
    entries = [
        f"<item rdf:about={quoteattr(item['guid'])}><title>{escape(item['title'])}</title>"
        f"<link>{escape(item['link'])}</link><description>{escape(item['description'])}</description>"
        f"<dc:date>{_iso(item['pubDate'])}</dc:date>{extra}</item>"
        for item, extra in zip(items, extras, strict=True)
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel rdf:about={quoteattr(head['link'])}><title>{escape(head['title'])}</title>"
        f"<link>{escape(head['link'])}</link><description>{escape(head['title'])}</description>"
        f"<dc:language>en</dc:language><items><rdf:Seq>{sequence}</rdf:Seq></items></channel>"
        f"{''.join(entries)}</rdf:RDF>"
    ).encode()


FORMATS = {"rss": lambda body: body, "atom": as_atom, "rdf": as_rdf}


def generated_documents(directory: Path, feeds: int, entries: int) -> dict[str, list[bytes]]:
    """The ingest benchmark's generated feeds in each of the three formats."""
    generate_feeds(directory, feeds=feeds, entries=entries)
    rss = [path.read_bytes() for path in sorted((directory / "feeds").glob("*.xml"))]
    return {name: [convert(body) for body in rss] for name, convert in FORMATS.items()}


def _cpu_seconds(documents: list[bytes], fast_path: bool) -> tuple[float, int]:
    started = time.process_time()
    entries = sum(
        len(parse_document(body, HEADERS, "https://outlet.example/feed", LIMIT, fast_path=fast_path).entries)
        for body in documents
    )
    return time.process_time() - started, entries


def measure(documents: dict[str, list[bytes]], rounds: int) -> list[dict]:
    rows = []
    for name, bodies in documents.items():
        best = {True: float("inf"), False: float("inf")}
        entries = 0
        for _ in range(rounds):
            for fast_path in (False, True):  # alternately: the machine's load hits both alike
                seconds, entries = _cpu_seconds(bodies, fast_path)
                best[fast_path] = min(best[fast_path], seconds)
        taken = sum(read_plain_feed(body, HEADERS) is not None for body in bodies)
        rows.append(
            {
                "format": name,
                "documents": len(bodies),
                "fast_taken": taken,
                "entries": entries,
                "feedparser_us": 1e6 * best[False] / entries,
                "fast_us": 1e6 * best[True] / entries,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parse-speed-") as tmp:
        rows = measure(generated_documents(Path(tmp), args.feeds, args.entries), args.rounds)
    print(f"Parse speed ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, CPU µs per entry, best of {args.rounds})")
    print(
        f"{'format':<6} {'documents':>9} {'fast path took':>14} {'entries':>7} {'feedparser':>10} "
        f"{'fast':>6} {'fast / feedparser':>17}"
    )
    for r in rows:
        print(
            f"{r['format']:<6} {r['documents']:>9} {r['fast_taken']:>14} {r['entries']:>7} "
            f"{r['feedparser_us']:>10.1f} {r['fast_us']:>6.1f} {r['fast_us'] / r['feedparser_us']:>16.3f}x"
        )


if __name__ == "__main__":
    main()
