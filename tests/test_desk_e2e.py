"""What the desk reads, end to end through the real ingest flow over the sample: the saved
queries' Atom and JSON feeds under data/outputs/, alerts delivered over loopback once per
story, and a second run that changes no byte and sends nothing."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import lxml.html
import pytest

from conftest import ingest_sample
from newswire.cli.alert_receiver import AlertReceiver
from newswire.cli.demo_server import FeedServer
from newswire.cli.story_site import StorySite
from newswire.flows.steps.publish import PublishReport, send_alerts
from newswire.tasks.desk import DEFAULT_DESK, SAMPLE_DIR
from newswire.tasks.republish import FeedMeta
from newswire.tasks.saved_queries import AlertRule, StoryFilters, load_outputs
from newswire.warehouse.alert_ledger import AlertLedger
from newswire.warehouse.desk_queries import SavedQueryRefused, stories_matching
from newswire.warehouse.outputs import outputs_dir

REUTERS_OUTLETS = ["brecorder.com", "reuters.com", "theprint.in", "timesca.com"]
REUTERS_TITLE = "Putin urges Central Asian states to step up trade with Russia"

OUTPUTS = """
base_url = "http://127.0.0.1:8787"

[[query]]
name = "tajikistan"
countries = ["TJ"]
[query.alert]
notify = ["${DESK_TEST_HOOK}"]
max_age_hours = 0  # the sample is from October 2025

[[query]]
name = "reuters-carried"
agencies = ["reuters"]
min_outlets = 2

[[query]]
name = "dushanbe-ru"
keywords = ["душанбе"]
languages = ["ru"]

[[query]]
name = "broken"
where = "no_such_column = 1"
"""


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def desk_run(prefect_server, tmp_path_factory):
    """Two ingests of the sample with these saved queries; what each left behind."""
    root = tmp_path_factory.mktemp("desk")
    outputs_file = root / "outputs.toml"
    outputs_file.write_text(OUTPUTS, encoding="utf-8")
    data_dir = root / "data"
    with pytest.MonkeyPatch.context() as env, FeedServer(SAMPLE_DIR) as server, AlertReceiver() as hook:
        env.setenv("NEWSWIRE_OUTPUTS", str(outputs_file))
        env.setenv("DESK_TEST_HOOK", hook.apprise_url)
        ingest_sample(data_dir, server)
        first = digests(outputs_dir(data_dir))
        mtimes = {p.name: p.stat().st_mtime_ns for p in outputs_dir(data_dir).iterdir()}
        alerts_first = list(hook.received)
        ingest_sample(data_dir, server)
        second = digests(outputs_dir(data_dir))
        yield {
            "data_dir": data_dir,
            "config": load_outputs(outputs_file),
            "first": first,
            "second": second,
            "mtimes": mtimes,
            "alerts_first": alerts_first,
            "alerts_all": list(hook.received),
        }


def test_each_saved_query_has_its_atom_and_json_feed(desk_run):
    names = set(desk_run["first"])
    for query in ("tajikistan", "reuters-carried", "dushanbe-ru"):
        assert {f"{query}.atom.xml", f"{query}.json"} <= names
    # the broken query costs only itself
    assert not any(name.startswith("broken") for name in names)


def test_the_reuters_story_is_one_entry_with_every_outlet(desk_run):
    folder = outputs_dir(desk_run["data_dir"])
    atom = feedparser.parse((folder / "reuters-carried.atom.xml").read_bytes())
    entries = [e for e in atom.entries if e.title == REUTERS_TITLE]
    assert len(entries) == 1
    related = sorted(link.title for link in entries[0].links if link.rel == "related")
    assert related == REUTERS_OUTLETS
    items = json.loads((folder / "reuters-carried.json").read_text())["items"]
    (item,) = [i for i in items if i["title"] == REUTERS_TITLE]
    assert [o["outlet"] for o in item["_newswire"]["outlets"]] == REUTERS_OUTLETS
    assert item["authors"] == [{"name": "Reuters"}]
    assert "TJ" in item["tags"] and item["id"] == entries[0].id.removeprefix("urn:newswire:story:")
    assert all(len(i["_newswire"]["outlets"]) >= 2 for i in items)


def test_keywords_match_in_any_script_and_filters_combine(desk_run):
    items = json.loads((outputs_dir(desk_run["data_dir"]) / "dushanbe-ru.json").read_text())["items"]
    assert items
    for item in items:
        assert item["language"] == "ru"
        assert "душанбе" in (item["title"] + " " + item["content_text"]).lower()


def test_a_where_that_does_not_fit_the_view_is_refused(desk_run):
    broken = desk_run["config"].queries[-1]
    with pytest.raises(SavedQueryRefused, match="no_such_column"):
        stories_matching(desk_run["data_dir"], broken.filters, 10)
    with pytest.raises(SavedQueryRefused, match="syntax error"):
        stories_matching(desk_run["data_dir"], StoryFilters(where="true) UNION (SELECT 1"), 10)


def test_alerts_are_sent_once_per_story(desk_run):
    alerts = desk_run["alerts_first"]
    items = json.loads((outputs_dir(desk_run["data_dir"]) / "tajikistan.json").read_text())["items"]
    assert len(alerts) == len(items) > 0
    assert sorted(a["title"] for a in alerts) == sorted(i["title"] for i in items)
    (reuters,) = [a for a in alerts if a["title"] == REUTERS_TITLE]
    assert reuters["message"].startswith("Reuters — Moscow")
    for outlet in REUTERS_OUTLETS:
        assert f"- {outlet}: http" in reuters["message"]
    assert "http://127.0.0.1:8787/stories/s" in reuters["message"]


def test_a_second_run_changes_no_output_file_and_sends_no_alert(desk_run):
    assert desk_run["second"] == desk_run["first"]
    folder = outputs_dir(desk_run["data_dir"])
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == desk_run["mtimes"]
    assert desk_run["alerts_all"] == desk_run["alerts_first"]


def test_a_failed_delivery_is_retried_and_a_sent_one_never_repeats(desk_run, tmp_path):
    stories = stories_matching(desk_run["data_dir"], StoryFilters(agencies=("Reuters",), min_outlets=2), 10)
    fresh = [s for s in stories if s.first_seen_at > datetime.now(UTC) - timedelta(hours=1)]
    assert len(fresh) >= 2
    # published in October 2025: the default age limit records them without sending
    too_old = AlertRule(notify=("json://127.0.0.1:9/",)).due(fresh, {}, datetime.now(UTC))
    assert too_old == ([], sorted(fresh, key=lambda s: (s.first_seen_at, s.story_id)))
    meta = FeedMeta(name="retry", title="retry", base_url="http://127.0.0.1:8787")
    logger = logging.getLogger("test")
    with AlertReceiver() as hook, AlertLedger(tmp_path) as ledger:
        rule = AlertRule(notify=(hook.apprise_url,), max_age_hours=None)
        hook.fail_next = 1  # the receiver answers 500 once: the first story is not delivered
        report = PublishReport()
        assert send_alerts(meta, rule, fresh, ledger, report, logger) == 0
        assert "retried next run" in report.errors["retry"]
        assert ledger.entries("retry") == {}
        assert send_alerts(meta, rule, fresh, ledger, PublishReport(), logger) == len(fresh)
        assert send_alerts(meta, rule, fresh, ledger, PublishReport(), logger) == 0
        assert set(ledger.entries("retry")) == {s.story_id for s in fresh}
        delivered = [a["title"] for a in hook.received]
        assert sorted(delivered) == sorted(s.title for s in fresh)


# -- the story page, in a real headless browser ------------------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium(tmp_path: Path, *arguments: str) -> str:
    """Debian's chromium, headless with a fresh profile; its stdout."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install -y chromium)")
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    result = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def by_class(element, tag: str, name: str) -> list:
    return element.xpath(f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")


@pytest.fixture
def story_site(desk_run):
    desk = replace(DEFAULT_DESK, outputs=desk_run["config"].path)
    with StorySite(desk_run["data_dir"], desk, port=0) as site:
        yield site


def test_the_story_page_lists_the_reuters_story_with_its_outlets(story_site, tmp_path):
    dom = lxml.html.fromstring(chromium(tmp_path, "--dump-dom", story_site.url("/")))
    section = dom.get_element_by_id("query-reuters-carried")
    (card,) = [a for a in by_class(section, "article", "story") if REUTERS_TITLE in a.text_content()]
    assert sorted(a.text_content() for a in by_class(card, "a", "outlet")) == REUTERS_OUTLETS
    assert by_class(card, "*", "agency")[0].text_content() == "Reuters"
    assert by_class(card, "*", "outlet-count")[0].text_content() == "4 outlets"
    assert "TJ" in [c.text_content() for c in by_class(card, "*", "country")]
    # the broken saved query says why, and costs only itself
    assert "no_such_column" in dom.get_element_by_id("query-broken").text_content()

    story_path = card.xpath(".//h3/a")[0].get("href")
    screenshot = tmp_path / "story.png"
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,1400", story_site.url(story_path))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = lxml.html.fromstring(chromium(tmp_path, "--dump-dom", story_site.url(story_path)))
    assert page.xpath("//h1")[0].text_content() == REUTERS_TITLE
    assert "Putin" in by_class(page, "div", "body")[0].text_content()
    outlets = sorted(
        row.xpath("./td")[0].text_content()
        for row in by_class(page, "table", "appearances")[0].xpath(".//tr")[1:]
    )
    assert sorted(set(outlets)) == REUTERS_OUTLETS
    assert len(by_class(page, "table", "revisions")[0].xpath(".//tr")) >= 2


def test_the_site_serves_the_feed_files_and_refuses_unknown_paths(story_site):
    with urllib.request.urlopen(story_site.url("/feeds/tajikistan.json")) as response:
        assert response.headers["Content-Type"].startswith("application/feed+json")
        assert response.read() == (outputs_dir(story_site.data_dir) / "tajikistan.json").read_bytes()
    for path in ("/feeds/../state/alerts.duckdb", "/stories/nope", "/queries/nope"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(story_site.url(path))
        assert error.value.code == 404


def test_newswire_serve_serves_the_story_page(desk_run, prefect_server, tmp_path):
    """The real command: `newswire serve` (against the session's Prefect server, with a
    catalogue of one unreachable loopback feed and a day's interval) answers on --web-port."""
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[[feed]]\nid = "closed"\nname = "closed"\nurl = "http://127.0.0.1:9/feed.xml"\n'
        'kind = "outlet"\nlanguage = "en"\ncountry = "KZ"\nallow_private_network = true\n',
        encoding="utf-8",
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "NEWSWIRE_OUTPUTS": str(desk_run["config"].path)}
    command = [sys.executable, "-m", "newswire", "serve", "--catalog", str(catalog), "--interval", "1440"]
    command += ["--web-port", str(port), "--data-dir", str(desk_run["data_dir"])]
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=15) as response:
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # A first answer slower than the socket timeout (a loaded machine) is a retry.
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "newswire serve never answered"
                time.sleep(0.5)
        dom = lxml.html.fromstring(chromium(tmp_path, "--dump-dom", f"http://127.0.0.1:{port}/"))
        section = dom.get_element_by_id("query-reuters-carried")
        (card,) = [a for a in by_class(section, "article", "story") if REUTERS_TITLE in a.text_content()]
        assert sorted(a.text_content() for a in by_class(card, "a", "outlet")) == REUTERS_OUTLETS
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
