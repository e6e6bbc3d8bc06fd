"""Near-duplicate clustering end to end: loopback feeds -> Prefect ingest flow -> lake,
then the maintenance rebuild through the CLI.

Three outlets carry the Reuters Dushanbe story (the seed page as ThePrint published it,
the wire text in another outlet's furniture, and a "MOSCOW:" copy cut after the sixth
paragraph under a rewritten headline); a fourth outlet has an independent report on the
same summit (tests/fixtures/dedupe/)."""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import SEED_PAGE
from newswire.cli.demo_server import FeedServer
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "dedupe"
HEADLINE = "Putin urges Central Asian states to step up trade with Russia"


def _seed_paragraphs() -> tuple[list[str], list[str]]:
    """(the whole page as paragraphs, the wire story's paragraphs)."""
    page = [p.strip() for p in SEED_PAGE.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    start = next(i for i, p in enumerate(page) if p.startswith("MOSCOW (Reuters)"))
    end = next(i for i, p in enumerate(page) if p.startswith("(Reporting by"))
    return page, page[start : end + 1]


def _rss(items: list[dict[str, str]], build_date: str) -> str:
    rendered = []
    for item in items:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in item["paragraphs"])
        rendered.append(
            f"<item><title>{html.escape(item['title'])}</title><link>{item['link']}</link>"
            f'<guid isPermaLink="false">{item["link"]}</guid><pubDate>{item["date"]}</pubDate>'
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
        f"<link>https://example.org/</link><description>d</description><lastBuildDate>{build_date}"
        f"</lastBuildDate>{''.join(rendered)}</channel></rss>"
    )


def _write_site(root: Path, build_date: str) -> None:
    page, wire = _seed_paragraphs()
    furniture = (FIXTURES / "furniture-akipress.txt").read_text(encoding="utf-8")
    wrapped = [p.strip() for p in furniture.replace("{body}", "\n\n".join(wire)).split("\n\n") if p.strip()]
    cut = ["MOSCOW: " + wire[0].split(" -", 1)[1].lstrip(), *wire[1:6], "Copyright Business Recorder, 2025"]
    cut = [p.replace("’", "'").replace("“", '"').replace("”", '"').replace("–", "-") for p in cut]
    independent_title, *independent = [
        p.strip() for p in (FIXTURES / "independent-dushanbe.txt").read_text(encoding="utf-8").split("\n\n")
    ]
    feeds = {
        "theprint": [
            {"title": HEADLINE, "link": "https://theprint.in/world/putin-urges/2761400/", "paragraphs": page}
        ],
        "akipress": [{"title": HEADLINE, "link": "https://akipress.com/news:812345/", "paragraphs": wrapped}],
        "brecorder": [
            {
                "title": "Putin urges Central Asia to boost trade with Russia",
                "link": "https://www.brecorder.com/news/40385512",
                "paragraphs": cut,
            }
        ],
        "asiaplus": [
            {
                "title": independent_title,
                "link": "https://asiaplustj.info/en/news/tajikistan/politics/20251009/rahmon-hosts",
                "paragraphs": independent,
            }
        ],
    }
    dates = {
        "brecorder": "Thu, 09 Oct 2025 10:00:00 GMT",
        "theprint": "Thu, 09 Oct 2025 10:30:00 GMT",
        "akipress": "Thu, 09 Oct 2025 11:00:00 GMT",
        "asiaplus": "Thu, 09 Oct 2025 10:15:00 GMT",
    }
    (root / "feeds").mkdir(parents=True, exist_ok=True)
    catalog = []
    for outlet, items in feeds.items():
        for item in items:
            item["date"] = dates[outlet]
        (root / "feeds" / f"{outlet}.xml").write_text(_rss(items, build_date), encoding="utf-8")
        catalog.append(
            f'[[feed]]\nid = "{outlet}-world"\nname = "{outlet}"\nurl = "{{base}}/feeds/{outlet}.xml"\n'
            f'kind = "outlet"\nlanguage = "en"\ncountry = "XX"\noutlet = "{outlet}"\n'
            "allow_private_network = true\n"
        )
    (root / "catalog.toml").write_text("\n".join(catalog), encoding="utf-8")


def _assignments(data_dir: Path) -> dict[str, str]:
    con = open_reader(data_dir)
    rows = con.execute("SELECT feed_id, story_id FROM appearances").fetchall()
    con.close()
    return dict(rows)


def _rebuild(data_dir: Path, *options: str) -> str:
    cli = subprocess.run(
        [sys.executable, "-m", "newswire", "dedupe", "--rebuild", "--data-dir", str(data_dir), *options],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(cli.stdout.split())


def test_wire_copies_become_one_story_and_stay_so(prefect_server, data_dir, tmp_path):
    from newswire.flows.ingest import ingest

    site = tmp_path / "site"
    _write_site(site, "Thu, 09 Oct 2025 12:00:00 GMT")
    with FeedServer(site) as server:
        run = lambda: ingest(  # noqa: E731
            catalog=str(site / "catalog.toml"),
            catalog_substitutions={"base": server.base_url},
            data_dir=str(data_dir),
            force=True,
        )
        first = run()
        assert first.new_appearances == 4 and first.new_stories == 2 and first.duplicates_merged == 2

        con = open_reader(data_dir)
        stories = con.execute(
            "SELECT story_id, appearance_count, outlets, representative_feed_id, revision, signature "
            "FROM stories ORDER BY appearance_count DESC"
        ).fetchall()
        assert len(stories) == 2
        reuters, independent = stories
        assert reuters[1] == 3 and reuters[2] == ["akipress", "brecorder", "theprint"]
        assert independent[1] == 1 and independent[2] == ["asiaplus"]
        # The cut copy came first, but the story is made once per run from all its copies:
        # the earliest full copy (ThePrint) is the representative of its first revision.
        assert reuters[3] == "theprint-world" and reuters[4] == 1
        versions = con.execute(
            "SELECT representative_feed_id FROM story_versions WHERE story_id = ? ORDER BY revision",
            [reuters[0]],
        ).fetchall()
        assert [v[0] for v in versions] == ["theprint-world"]
        assert len(reuters[5]) == 4 * 128
        con.close()
        before = _assignments(data_dir)

        # The same items again, in re-published documents (new lastBuildDate, so the feeds
        # are fetched and parsed again, not answered 304): no cluster changes.
        _write_site(site, "Thu, 09 Oct 2025 13:00:00 GMT")
        second = run()
        assert second.not_modified == 0 and second.entries_seen == 4
        assert second.new_stories == second.new_appearances == second.duplicates_merged == 0
    assert _assignments(data_dir) == before
    con = open_reader(data_dir)
    assert con.execute("SELECT count(*) FROM story_versions").fetchone()[0] == 2
    con.close()

    # Re-clustering the history with unchanged thresholds moves nothing, twice over.
    for _ in range(2):
        said = _rebuild(data_dir)
        assert "4 appearances in 2 stories; 0 appearances moved, 0 stories rewritten" in said
    assert _assignments(data_dir) == before

    # Thresholds no copy can pass split the story; the desk's thresholds merge it back.
    strict = tmp_path / "strict.toml"
    strict.write_text("[verify]\nmin_containment = 1.01\nmin_shared_sentences = 1000\n", encoding="utf-8")
    assert "4 appearances in 4 stories; 2 appearances moved" in _rebuild(data_dir, "--policy", str(strict))
    assert len(set(_assignments(data_dir).values())) == 4
    assert "4 appearances in 2 stories; 2 appearances moved" in _rebuild(data_dir)
    assert _assignments(data_dir) == before
    con = open_reader(data_dir)
    assert con.execute("SELECT count(*) FROM stories").fetchone()[0] == 2
    con.close()
    # The README's count over the raw files agrees: the stories the split made and the
    # merge retired are marked in the Parquet (a revision with merged_into set).
    files = str(data_dir / "lake" / "stories" / "**" / "*.parquet")
    raw = duckdb.sql(
        "SELECT count(*) FROM (SELECT arg_max_null(merged_into, revision) AS m, "
        "arg_max_null(withdrawn, revision) AS w "
        f"FROM read_parquet('{files}', hive_partitioning = true) GROUP BY story_id) "
        "WHERE m IS NULL AND w IS NOT TRUE"
    ).fetchall()[0][0]
    assert raw == 2
