"""Differential check against feedparser over its own test fixtures (tests/fixtures/feedparser/):
every entry feedparser finds in a fixture must be stored by the real ingest, except the
cases listed with a reason in ``expectations.toml``.

Each fixture is served over loopback with the HTTP headers its comment block declares
(``Header: Content-type: …``, as feedparser's own test runner does), as one feed of one
catalogue, and the whole set goes through one real ingest (Prefect flow, DuckDB,
Parquet). feedparser's side is ``feedparser.parse(bytes, response_headers=…)`` on the
same bytes and headers. Shared by tests/reliability/test_feedparser_differential.py (a
pinned sample) and benchmarks/reliability_report.py ``--differential`` (every fixture).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import feedparser

from newswire.cli.demo_server import FeedServer, send
from newswire.warehouse.views import open_reader

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feedparser"
EXPECTATIONS = FIXTURES / "expectations.toml"
_COMMENT = re.compile(rb"<!--(.*?)-->", re.S)


@dataclass(frozen=True)
class Fixture:
    name: str  # path under tests/fixtures/feedparser/, e.g. "wellformed/rss/item_guid.xml"
    body: bytes
    headers: dict[str, str]


@dataclass
class Outcome:
    """One fixture's counts: entries feedparser found, appearances stored, and the
    feedparser ids (guid / Atom id) that no stored appearance carries."""

    fixture: str
    feedparser_entries: int
    stored: int = 0
    missing_ids: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def lost(self) -> int:
        return max(0, self.feedparser_entries - self.stored)


def load_fixtures(names: list[str] | None = None) -> list[Fixture]:
    """The fixtures (all, or those named), with the response headers their comment declares."""
    paths = [FIXTURES / name for name in names] if names else sorted(FIXTURES.rglob("*.xml"))
    fixtures = []
    for path in paths:
        body = path.read_bytes()
        headers: dict[str, str] = {}
        comment = _COMMENT.search(body)
        for line in comment.group(1).splitlines() if comment else []:
            line = line.strip()
            if line.startswith(b"Header:"):
                key, _, value = line[len(b"Header:") :].decode("ascii", "replace").strip().partition(":")
                headers[key.strip()] = value.strip()
        fixtures.append(Fixture(str(path.relative_to(FIXTURES)), body, headers))
    return fixtures


def load_expectations() -> dict[str, dict]:
    """fixture name -> {"stored": N, "reason": "..."} for the known, explained losses."""
    return tomllib.loads(EXPECTATIONS.read_text(encoding="utf-8")) if EXPECTATIONS.exists() else {}


def _catalog(fixtures: list[Fixture]) -> tuple[str, dict[str, str]]:
    lines, feed_ids = [], {}
    for number, fixture in enumerate(fixtures):
        feed_id = f"fp-{number:04d}"
        feed_ids[feed_id] = fixture.name
        lines.append(
            f'[[feed]]\nid = "{feed_id}"\nname = "feedparser {fixture.name}"\n'
            f'url = "{{base}}/fp/{number}"\nkind = "outlet"\nlanguage = "en"\ncountry = "KZ"\n'
            "allow_private_network = true\n"
        )
    return "\n".join(lines), feed_ids


def run_differential(fixtures: list[Fixture], work_dir: Path) -> list[Outcome]:
    """Serve ``fixtures`` over loopback, ingest them in one real run, compare with feedparser."""
    from newswire.flows.ingest import ingest

    catalog_text, feed_ids = _catalog(fixtures)
    catalog = work_dir / "feedparser-catalog.toml"
    catalog.write_text(catalog_text, encoding="utf-8")
    data_dir = work_dir / "data"
    with FeedServer() as server:
        for number, fixture in enumerate(fixtures):
            server.routes[f"/fp/{number}"] = lambda handler, f=fixture: send(handler, 200, f.body, f.headers)
        summary = ingest(
            catalog=str(catalog),
            catalog_substitutions={"base": server.base_url},
            data_dir=str(data_dir),
            force=True,
        )
    errors = {report.feed_id: report.error for report in summary.feeds if report.error}
    con = open_reader(data_dir)
    try:
        rows = con.execute(
            "SELECT feed_id, count(*), list(guid) FROM appearances GROUP BY feed_id"
        ).fetchall()
    finally:
        con.close()
    stored = {feed_id: (count, set(guids)) for feed_id, count, guids in rows}
    outcomes = []
    for feed_id, name in feed_ids.items():
        fixture = next(f for f in fixtures if f.name == name)
        parsed = feedparser.parse(
            fixture.body, response_headers={k.lower(): v for k, v in fixture.headers.items()}
        )
        count, guids = stored.get(feed_id, (0, set()))
        ids = [entry.get("id") for entry in parsed.entries if entry.get("id")]
        outcomes.append(
            Outcome(
                fixture=name,
                feedparser_entries=len(parsed.entries),
                stored=count,
                missing_ids=[i for i in ids if i not in guids],
                error=errors.get(feed_id),
            )
        )
    return outcomes


def unexplained(outcomes: list[Outcome], expectations: dict[str, dict]) -> list[str]:
    """Problems: a loss (fewer appearances, or a feedparser id not stored) not listed in
    the expectations, a listed loss whose count changed, and a listed case that no longer
    loses anything (the list must stay true)."""
    problems = []
    for outcome in outcomes:
        expected = expectations.get(outcome.fixture)
        losing = outcome.lost or outcome.missing_ids
        if expected is None and losing:
            problems.append(
                f"{outcome.fixture}: feedparser finds {outcome.feedparser_entries} entries, "
                f"{outcome.stored} stored; ids not stored: {outcome.missing_ids}; error: {outcome.error}"
            )
        elif expected is not None and (outcome.stored != expected["stored"] or not losing):
            problems.append(
                f"{outcome.fixture}: listed as storing {expected['stored']} ({expected['reason']}), "
                f"now stores {outcome.stored} of feedparser's {outcome.feedparser_entries}"
            )
    return problems
