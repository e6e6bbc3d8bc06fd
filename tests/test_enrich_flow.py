"""Full text through the real ingest flow: loopback pages, Prefect, Parquet, the views."""

from __future__ import annotations

import hashlib
import re
from itertools import count
from pathlib import Path

import pytest
from test_enrich import seed_article

from conftest import SAMPLE_DIR
from newswire.cli.demo_server import send
from newswire.warehouse.raw_store import RawStore
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow
CATALOG = SAMPLE_DIR / "catalog-fulltext.toml"
SEED_PAGE_PATH = "/pages/theprint-putin-central-asia-trade.html"


def _changing_feed(server, path: str):
    """Serve the feed with a new comment on every poll, so it is parsed every time."""
    polls = count(1)
    original = (SAMPLE_DIR / path.lstrip("/")).read_bytes().replace(b"{base}", server.base_url.encode())

    def handler(request):
        body = original + f"<!-- poll {next(polls)} -->\n".encode()
        send(request, 200, body, headers={"Content-Type": "application/rss+xml"}, server=server)

    server.routes[path] = handler


def test_full_text_feeds_get_clean_page_text_canonical_urls_and_tags(prefect_server, sample_server, data_dir):
    from newswire.flows.ingest import ingest

    _changing_feed(sample_server, "/feeds/theprint-world-fulltext.xml")
    parameters = dict(
        catalog=str(CATALOG),
        catalog_substitutions={"base": sample_server.base_url},
        data_dir=str(data_dir),
        force=True,
    )
    first = ingest(**parameters)
    assert first.errors == []
    con = open_reader(data_dir)
    rows = con.execute("""
        SELECT entry_id, title, body, summary, canonical_url, wire_agency, dateline_place, credits,
               syndicated, origin, language, script, list_transform(countries, lambda c: c.code), in_region,
               primary_country
        FROM appearances ORDER BY entry_id
    """).fetchall()
    by_id = {row[0]: row[1:] for row in rows}
    assert len(by_id) == 3

    # The seed page: trafilatura + boilerplate removal give exactly the article.
    (
        _title,
        body,
        summary,
        canonical,
        agency,
        place,
        credits,
        syndicated,
        origin,
        language,
        script,
        codes,
        in_region,
        _,
    ) = by_id["https://theprint.in/?p=2753101"]
    assert body.split("\n\n") == seed_article()
    assert canonical == sample_server.url(
        "/world/putin-urges-central-asian-states-to-step-up-trade-with-russia/2753101/"
    )
    assert (agency, place, syndicated, origin, language, script) == (
        "Reuters",
        "Moscow",
        True,
        "wire",
        "en",
        "Latin",
    )
    assert credits["writing"] == ["Mark Trevelyan"] and credits["editing"] == ["Mark Heinrich"]
    assert {"KZ", "UZ", "KG", "TM", "TJ", "RU", "CN", "BY", "UA"} <= set(codes) and in_region
    assert "Read more" not in summary and not summary.startswith("MOSCOW")

    # The page that is gone (404): the entry keeps its feed text and is still attributed.
    _, body, summary, canonical, agency, place, *_ = by_id["https://theprint.in/?p=2753188"]
    assert body == "" and summary.startswith("Kazakhstan will hold a referendum")
    assert (agency, place) == ("Reuters", "Astana")
    assert canonical.endswith("/pages/kazakhstan-referendum-removed.html")

    # The windows-1251 page served without a charset header: real Cyrillic, furniture gone.
    _, body, _, canonical, agency, place, *_, codes, in_region, primary = by_id["kaktus-48213"]
    assert body.startswith("Туркменистан за девять месяцев нарастил экспорт")
    for furniture in ("Поделиться", "Реклама", "Читайте также", "Все права защищены", "/ТАСС/"):
        assert furniture not in body
    assert (agency, place, primary) == ("TASS", "Ashgabat", "TM")
    assert canonical.endswith("/news/turkmeniya-gaz-kitai-48213.html")

    # The page landed raw like a feed payload.
    page = (
        (SAMPLE_DIR / SEED_PAGE_PATH.lstrip("/"))
        .read_bytes()
        .replace(b"{base}", sample_server.base_url.encode())
    )
    assert RawStore(data_dir / "lake").exists(hashlib.sha256(page).hexdigest())
    assert sample_server.hits[SEED_PAGE_PATH] == 1

    # A new poll of the (changed) feed does not fetch stored entries' pages again, and
    # finds them unchanged: the content hash is of the feed text, not the page.
    second = ingest(**parameters)
    assert sample_server.hits["/feeds/theprint-world-fulltext.xml"] == 2
    assert sample_server.hits[SEED_PAGE_PATH] == 1
    assert second.new_appearances == 0 and second.updated_appearances == 0
    stored_body = (
        open_reader(data_dir)
        .execute("SELECT body FROM stories WHERE title LIKE 'Putin urges%'")
        .fetchone()[0]
    )
    assert stored_body.split("\n\n") == seed_article()

    # The documented queries run against the views and answer from the enrichment columns.
    docs = (Path(__file__).parent.parent / "docs" / "enrichment.md").read_text(encoding="utf-8")
    by_agency, wire_share = re.findall(r"```sql\n(.*?)```", docs, re.DOTALL)
    con = open_reader(data_dir)
    # The sample is dated October 2025: "this week" is that week here.
    rows = con.execute(by_agency.replace("now() - INTERVAL 7 DAY", "TIMESTAMP '2025-10-06'")).fetchall()
    assert {row[0]: row[1] for row in rows} == {"Reuters": 1, "TASS": 1}
    rows = con.execute(wire_share.replace(">= 5", ">= 1")).fetchall()
    shares = {row[0]: (row[1], row[3]) for row in rows}
    assert shares["TM"] == (2, 1.0) and shares["KZ"] == (3, 1.0)


@pytest.mark.sweep
def test_every_corpus_feed_ingests_through_the_flow_without_mojibake(prefect_server, data_dir, tmp_path):
    """The real corpus served over HTTP and ingested by the real flow: broken documents are
    recorded errors, nothing raises, and Cyrillic titles (windows-1251, KOI8-R) read right."""
    from test_enrich import corpus_feeds

    from conftest import CORPUS_DIR
    from newswire.cli.demo_server import FeedServer
    from newswire.flows.ingest import ingest
    from newswire.tasks.encoding import mojibake_score

    feeds = corpus_feeds()
    ids = {path: "c" + hashlib.sha1(path.encode()).hexdigest()[:12] for path, _ in feeds}
    catalog = tmp_path / "corpus.toml"
    catalog.write_text(
        "".join(
            f'[[feed]]\nid = "{ids[path]}"\nname = "{path}"\nurl = "{{base}}/{path}"\nkind = "outlet"\n'
            'language = "en"\ncountry = "US"\nallow_private_network = true\n\n'
            for path, _ in feeds
        ),
        encoding="utf-8",
    )
    with FeedServer(CORPUS_DIR / "feeds") as server:
        summary = ingest(
            catalog=str(catalog),
            catalog_substitutions={"base": server.base_url},
            data_dir=str(data_dir),
            force=True,
        )
    assert summary.feeds_polled == len(feeds)
    # Every error is a recorded parse error of a broken or not-yet-supported document.
    assert all(report.status == "parse error" for report in summary.errors), [
        (r.feed_id, r.status, r.error) for r in summary.errors
    ]
    assert summary.new_appearances > 500
    con = open_reader(data_dir)
    cyrillic_feeds = [ids[path] for path, encoding in feeds if "1251" in encoding or "koi8" in path.lower()]
    titles = con.execute(
        "SELECT feed_id, title FROM appearances WHERE list_contains(?, feed_id)", [cyrillic_feeds]
    ).fetchall()
    assert {feed_id for feed_id, _ in titles} == set(cyrillic_feeds)
    for feed_id, title in titles:
        assert re.search(r"[\u0400-\u04ff]", title) and mojibake_score(title) == 0, (feed_id, title)


def test_pages_are_capped_per_feed_and_the_cap_is_logged(caplog):
    import logging
    from types import SimpleNamespace

    from newswire.flows.steps.enrich import cap_per_feed
    from newswire.tasks.settings import EnrichPolicy, Settings

    busy, quiet = (
        SimpleNamespace(feed=SimpleNamespace(id="busy")),
        SimpleNamespace(feed=SimpleNamespace(id="quiet")),
    )
    wanted = [(busy, i, None) for i in range(5)] + [(quiet, 0, None)]
    logger = logging.getLogger("test-cap")
    with caplog.at_level(logging.WARNING, logger="test-cap"):
        capped = cap_per_feed(wanted, Settings(enrich=EnrichPolicy(max_pages_per_feed=2)), logger)
    assert [(o.feed.id, i) for o, i, _ in capped] == [("busy", 0), ("busy", 1), ("quiet", 0)]
    assert "feed busy: 5 new entries want their article page, fetching 2" in caplog.text
