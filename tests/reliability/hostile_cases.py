"""The hostile-document cases of tests/fixtures/hostile/expectations.toml, loaded and built.

Shared by tests/reliability/test_hostile_documents.py and benchmarks/reliability_report.py
so the suite and the published table exercise exactly the same documents.
"""

from __future__ import annotations

import gzip
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
# The fetcher's cap: parse_document never sees more (tasks/settings.py FetchLimits).
MAX_BODY_BYTES = 10 * 1024 * 1024


def _rss(items: str, prolog: str = "", encoding: str = "utf-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>{prolog}<rss version="2.0"><channel>'
        f"<title>Hostile</title>{items}</channel></rss>"
    )


def _item(title: str, link: str, description: str = "") -> str:
    return f"<item><title>{title}</title><link>{link}</link><description>{description}</description></item>"


def _quadratic(prolog_padding: str = "", encoding: str = "utf-8") -> str:
    # 40 KB entity x 180 references = 7.2 MB: under expat's 8 MiB amplification threshold,
    # so the parser itself would expand it; only our defusing stops it.
    entity = "A" * 40_000
    return _rss(
        _item("Blowup", "https://example.org/blowup", "&a;" * 180),
        prolog=f'{prolog_padding}<!DOCTYPE rss [<!ENTITY a "{entity}">]>',
        encoding=encoding,
    )


def quadratic_blowup() -> bytes:
    return _quadratic().encode()


def quadratic_blowup_after_padding() -> bytes:
    # A DOCTYPE may follow any number of comments: a check of only the first 64 KB misses it.
    return _quadratic(prolog_padding="<!--" + "pad " * 20_000 + "-->").encode()


def quadratic_blowup_utf16() -> bytes:
    # In UTF-16 "<!DOCTYPE" is not the ASCII bytes a byte search looks for.
    return _quadratic(encoding="utf-16").encode("utf-16")


def deep_nesting() -> bytes:
    depth = 1_000_000
    return _rss(_item("Deep", "https://example.org/deep") + "<x>" * depth + "</x>" * depth).encode()


def one_huge_element() -> bytes:
    return _rss(_item("Huge", "https://example.org/huge", "B" * (MAX_BODY_BYTES - 1000))).encode()


def huge_title() -> bytes:
    return _rss(
        _item("T" * (MAX_BODY_BYTES - 2000), "https://example.org/huge-title")
        + _item("Normal title", "https://example.org/normal")
    ).encode()


def json_nesting_bomb() -> bytes:
    return (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    )


def gzip_bomb() -> bytes:
    # 100 MB of zeros in ~100 KB, served without Content-Encoding (the parser sniffs it).
    return gzip.compress(b"\0" * (100 * 1024 * 1024), compresslevel=9)


def podcast_shared_link() -> bytes:
    """131 episodes, 130 guids (one reused with other content), nearly all linking to the
    show's home page: every episode is its own appearance."""
    items = []
    for number in range(131):
        guid = f"episode-{min(number, 129)}"
        link = "https://podcast.example/" if number % 10 else f"https://podcast.example/show?ep={number}"
        items.append(
            f"<item><guid isPermaLink=\"false\">{guid}</guid>"
            f"<title>Episode {number}: the week in Central Asia</title><link>{link}</link>"
            f"<description>Show notes for episode {number}.</description>"
            f"<pubDate>Mon, 05 Jan 2026 {number // 60:02}:{number % 60:02}:00 GMT</pubDate></item>"
        )
    return _rss("".join(items)).encode()


def thousand_guids_one_link() -> bytes:
    return _rss(
        "".join(
            f"<item><guid>urn:item:{number}</guid><title>Wire item {number}</title>"
            f"<link>https://wire.example/latest</link><description>Item {number}.</description></item>"
            for number in range(1000)
        )
    ).encode()


@dataclass
class HostileCase:
    name: str
    body: bytes
    error: str | None
    min_entries: int = 0
    max_amplification: float | None = None
    forbidden: list[str] = field(default_factory=list)
    # Expectations about the normalised entries (the content cases; see expectations.toml).
    headers: dict[str, str] = field(default_factory=dict)
    entries: int | None = None
    titles: list[str] | None = None
    contains: list[str] = field(default_factory=list)
    urls: list[str] | None = None
    date_issues: list[str] | None = None
    entry_warnings: list[str] = field(default_factory=list)


def load_cases(substitutions: dict[str, str] | None = None) -> list[HostileCase]:
    spec = tomllib.loads((FIXTURES / "expectations.toml").read_text())
    cases = []
    for name, case in spec.items():
        if "file" in case:
            body = (FIXTURES / case["file"]).read_bytes()
            for key, value in (substitutions or {}).items():
                body = body.replace(b"{" + key.encode() + b"}", value.encode())
        else:
            body = globals()[case["generator"]]()
        cases.append(
            HostileCase(
                name=name,
                body=body,
                error=case.get("error"),
                min_entries=case.get("min_entries", 0),
                max_amplification=case.get("max_amplification"),
                forbidden=case.get("forbidden", []),
                headers=case.get("headers", {}),
                entries=case.get("entries"),
                titles=case.get("titles"),
                contains=case.get("contains", []),
                urls=case.get("urls"),
                date_issues=case.get("date_issues"),
                entry_warnings=case.get("entry_warnings", []),
            )
        )
    return cases


def case_names() -> list[str]:
    return list(tomllib.loads((FIXTURES / "expectations.toml").read_text()))


def check_case(case: HostileCase, document, entries) -> list[str]:
    """Broken expectations of one case (empty = it held)."""
    problems = []
    if case.error == "" and document.error:
        problems.append(f"expected to parse, got error {document.error!r}")
    if case.error and case.error not in (document.error or ""):
        problems.append(f"expected an error containing {case.error!r}, got {document.error!r}")
    if len(entries) < case.min_entries:
        problems.append(f"expected at least {case.min_entries} entries, got {len(entries)}")
    fields = [
        text
        for entry in document.entries
        for text in (entry.title, entry.summary, entry.content)
        if isinstance(text, str)
    ]
    if case.max_amplification is not None:
        longest = max((len(text) for text in fields), default=0)
        if longest > case.max_amplification * len(case.body):
            problems.append(f"a field of {longest:,} chars from a {len(case.body):,}-byte document")
    for text in case.forbidden:
        if any(text in value for value in fields):
            problems.append(f"{text!r} reached a parsed field")
    return problems + _entry_problems(case, entries)


def _entry_problems(case: HostileCase, entries) -> list[str]:
    problems = []
    texts = [text for entry in entries for text in (entry.title, entry.summary, entry.body)]
    for entry in entries:
        try:
            "".join([entry.entry_id, *texts, *(entry.canonical_url or ""), *entry.warnings]).encode("utf-8")
        except UnicodeEncodeError as error:
            problems.append(f"entry {entry.entry_id!r} is not valid Unicode: {error}")
            break
    if case.entries is not None and len(entries) != case.entries:
        problems.append(f"expected exactly {case.entries} entries, got {len(entries)}")
    if case.titles is not None and [e.title for e in entries] != case.titles:
        problems.append(f"titles {[e.title for e in entries]!r}, expected {case.titles!r}")
    for text in case.contains:
        if not any(text in value for value in texts):
            problems.append(f"{text!r} is in no title, summary or body")
    if case.urls is not None and [e.canonical_url for e in entries] != case.urls:
        problems.append(f"urls {[e.canonical_url for e in entries]!r}, expected {case.urls!r}")
    if case.date_issues is not None and [e.date_issue or "" for e in entries] != case.date_issues:
        found = [e.date_issue or "" for e in entries]
        problems.append(f"date issues {found!r}, expected {case.date_issues!r}")
    for text in case.entry_warnings:
        if not any(text in warning for entry in entries for warning in entry.warnings):
            problems.append(f"no entry warning mentions {text!r}")
    return problems
