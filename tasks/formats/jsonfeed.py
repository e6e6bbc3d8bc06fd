"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).

feedparser reads no JSON at all, so this maps the spec onto ``ParsedEntry``:
``id`` (1.1: an updated item keeps its id, so it is the entry identity), ``url`` /
``external_url``, ``content_html`` over ``content_text``, ``summary``,
``date_published`` / ``date_modified`` (RFC 3339), ``authors`` (1.1) or ``author`` (1.0),
``tags``, ``language`` (1.1, item then feed). Attachments (podcast audio, images) are
not story text and have no column; they stay in the raw payload. An item of the wrong shape is skipped
with a warning naming its index; the other items still load.
"""

from __future__ import annotations

import json
from typing import Any

from newswire.tasks.documents import ParsedDocument, ParsedEntry
from newswire.tasks.formats.common import as_text, read_items, stated_date


def _authors(container: dict[str, Any]) -> list[str]:
    authors = container.get("authors")
    if not isinstance(authors, list):
        single = container.get("author")
        authors = [single] if single is not None else []
    names = []
    for author in authors:
        if isinstance(author, dict):
            name = as_text(author.get("name")) or as_text(author.get("url"))
        else:
            name = as_text(author)
        if name:
            names.append(name)
    return names


def _entry(item: Any, feed_authors: list[str]) -> ParsedEntry:
    if not isinstance(item, dict):
        raise ValueError(f"is a JSON {type(item).__name__}, not an object")
    guid = as_text(item.get("id"))
    link = as_text(item.get("url")) or as_text(item.get("external_url"))
    if guid is None and link is None:
        raise ValueError("has neither an id nor a url")
    tags = item.get("tags")
    if tags is not None and not isinstance(tags, list):
        raise ValueError(f"tags is a {type(tags).__name__}, not a list")
    content_html, content_text = as_text(item.get("content_html")), as_text(item.get("content_text"))
    published, published_problem = stated_date(item.get("date_published"))
    updated, updated_problem = stated_date(item.get("date_modified"))
    problem = f"date_published {published_problem}" if published_problem else None
    problem = problem or (f"date_modified {updated_problem}" if updated_problem else None)
    return ParsedEntry(
        guid=guid,
        link=link,
        title=as_text(item.get("title")),
        summary=as_text(item.get("summary")),
        content=content_html or content_text,
        # The spec: title and summary are plain text; content_text is, content_html not.
        title_type="text/plain",
        summary_type="text/plain",
        content_type="text/html" if content_html else "text/plain",
        published=published,
        updated=updated,
        date_problem=problem,
        authors=_authors(item) or feed_authors,
        categories=[tag for tag in (as_text(t) for t in tags or []) if tag],
        language=as_text(item.get("language")),
    )


def parse_jsonfeed(body: bytes, headers: dict[str, str], url: str) -> ParsedDocument:
    try:
        feed = json.loads(body)
    except (ValueError, RecursionError) as error:
        return ParsedDocument(format="jsonfeed", error=f"not valid JSON: {error}")
    if not isinstance(feed, dict):
        return ParsedDocument(format="jsonfeed", error="a JSON Feed must be a JSON object")
    version = as_text(feed.get("version")) or ""
    label = "jsonfeed-1.1" if version.endswith("1.1") else "jsonfeed-1.0"
    document = ParsedDocument(
        format=label,
        title=as_text(feed.get("title")),
        link=as_text(feed.get("home_page_url")) or as_text(feed.get("feed_url")),
        language=as_text(feed.get("language")),
    )
    items = feed.get("items")
    if not isinstance(items, list):
        document.error = f"JSON Feed 'items' is {type(items).__name__}, not a list"
        return document
    feed_authors = _authors(feed)
    return read_items(document, items, lambda item: _entry(item, feed_authors), "JSON Feed item")
