"""Catalogue validation: errors name the file, the feed and the key; nothing half-applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.tasks.catalog import DEFAULT_CATALOG, CatalogError, load_catalog, parse_catalog, select_feeds

GOOD = """
[defaults]
poll_interval_minutes = 20

[[feed]]
id = "a"
name = "A"
url = "https://a.example/rss"
kind = "outlet"
language = "en"
country = "KZ"
"""


def test_shipped_catalogue_is_valid_and_covers_the_region():
    feeds = load_catalog(DEFAULT_CATALOG)
    assert len(feeds) >= 30
    assert {f.country for f in feeds} >= {"KZ", "UZ", "KG", "TJ", "TM"}
    assert {f.language for f in feeds} >= {"en", "ru"}
    assert {f.kind for f in feeds} == {"outlet", "wire", "aggregator"}


def test_defaults_apply():
    (feed,) = parse_catalog(GOOD, Path("c.toml"))
    assert feed.poll_interval_minutes == 20 and feed.outlet_id == "a"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('kind = "outlet"', 'kind = "blog"'), "kind 'blog' is not one of"),
        (
            lambda t: t.replace('url = "https://a.example/rss"', 'url = "a.example/rss"'),
            "is not an http(s) URL",
        ),
        (lambda t: t + 'colour = "red"\n', "unknown key(s) ['colour']"),
        (lambda t: t.replace('country = "KZ"', 'country = "Kazakhstan"'), "ISO 3166-1"),
        (lambda t: t + t.split("[defaults]\npoll_interval_minutes = 20\n")[1], "duplicate id 'a'"),
        (lambda t: t.replace('name = "A"\n', ""), "missing required key(s) ['name']"),
        (lambda t: t.replace("[[feed]]", "[[feed]\n"), "not valid TOML"),
    ],
)
def test_bad_catalogue_names_the_problem(edit, message):
    with pytest.raises(CatalogError) as error:
        parse_catalog(edit(GOOD), Path("feeds/x.toml"))
    assert "feeds/x.toml" in str(error.value) and message in str(error.value)


def test_unknown_feed_id_is_an_error_not_an_empty_run():
    feeds = parse_catalog(GOOD, Path("c.toml"))
    with pytest.raises(CatalogError, match="unknown feed id"):
        select_feeds(feeds, ids=["nope"])
