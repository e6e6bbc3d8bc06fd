"""The republished feeds of a saved query: Atom 1.0 (RFC 4287) and JSON Feed 1.1, one entry
per story with every outlet that carried it.

Both are written here with lxml and json rather than feedgen: feedgen 1.0 drops ``rel`` and
``title`` from every entry link (docs/decisions.md), and an entry's outlets are exactly such
links (``rel="related" title="reuters.com"``).

Pure: stories in, bytes out. The bytes depend only on the stories — no generation time, a
fixed entry order (the query's), sorted outlets — so a run that changes no story writes the
same bytes and a reader polling the file sees nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The Atom <updated> of a feed with no entries: a fixed instant, not "now", so an empty feed
# is byte-identical from run to run as well.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
# Category schemes, so a reader can tell a country from the dateline and the agency.
COUNTRY_SCHEME = "urn:iso:std:iso:3166:-1:alpha-2"
DATELINE_SCHEME = "urn:newswire:dateline"
AGENCY_SCHEME = "urn:newswire:wire-agency"


class OutletLinkLike(Protocol):
    outlet: str
    url: str | None


class FeedStory(Protocol):
    """What a feed entry is written from (warehouse/desk_queries.py DeskStory)."""

    story_id: str
    revision: int
    title: str
    body: str
    url: str | None
    language: str | None
    published_at: datetime
    updated_at: datetime
    wire_agency: str | None
    dateline: str | None
    dateline_place: str | None
    countries: tuple[str, ...]
    primary_country: str | None
    outlets: Sequence[OutletLinkLike]


@dataclass(frozen=True)
class FeedMeta:
    """One saved query as a feed: its name (file name), title and where it is served."""

    name: str
    title: str
    base_url: str

    @property
    def atom_url(self) -> str:
        return f"{self.base_url}/feeds/{self.name}.atom.xml"

    @property
    def json_url(self) -> str:
        return f"{self.base_url}/feeds/{self.name}.json"

    @property
    def page_url(self) -> str:
        return f"{self.base_url}/queries/{self.name}"

    def story_page_url(self, story_id: str) -> str:
        return f"{self.base_url}/stories/{story_id}"


def entry_summary(story: FeedStory) -> str:
    """One line a reader shows under the title: who wrote it, where, and who carried it."""
    lead = " — ".join(p for p in (story.wire_agency, story.dateline) if p)
    outlets = ", ".join(o.outlet for o in story.outlets)
    carried = f"carried by {len(story.outlets)} outlet{'s' if len(story.outlets) != 1 else ''}: {outlets}"
    carried = carried[0].upper() + carried[1:]
    return f"{lead}. {carried}" if lead else carried


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")


def atom_entry_id(story_id: str) -> str:
    """RFC 4287 wants an IRI as an entry's id; the story id in a URN is one, and stable."""
    return f"urn:newswire:story:{story_id}"


def feed_updated(stories: Sequence[FeedStory]) -> datetime:
    """The newest entry's update time: changes exactly when an entry does."""
    return max((_utc(s.updated_at) for s in stories), default=EMPTY_FEED_UPDATED)


def atom_feed(meta: FeedMeta, stories: Sequence[FeedStory]) -> bytes:
    """The Atom 1.0 document (RFC 4287) of the stories, in the order given."""
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _text(feed, "id", f"urn:newswire:query:{meta.name}")
    _text(feed, "title", meta.title)
    _text(feed, "updated", _iso(feed_updated(stories)))
    _link(feed, meta.atom_url, "self", type="application/atom+xml")
    _link(feed, meta.page_url, "alternate", type="text/html")
    # Our name without a version: a version would change every file's bytes on an upgrade.
    _text(feed, "generator", "newswire")
    for story in stories:
        entry = etree.SubElement(feed, f"{{{ATOM_NS}}}entry")
        _text(entry, "id", atom_entry_id(story.story_id))
        _text(entry, "title", story.title)
        _text(entry, "published", _iso(story.published_at))
        _text(entry, "updated", _iso(story.updated_at))
        if story.wire_agency:
            author = etree.SubElement(entry, f"{{{ATOM_NS}}}author")
            _text(author, "name", story.wire_agency)
        _link(entry, story.url or meta.story_page_url(story.story_id), "alternate", type="text/html")
        for outlet in story.outlets:
            # A wire item has no public link: the story page stands in for it.
            _link(entry, outlet.url or meta.story_page_url(story.story_id), "related", title=outlet.outlet)
        if story.wire_agency:
            _category(entry, story.wire_agency, AGENCY_SCHEME)
        if story.dateline:
            _category(entry, story.dateline, DATELINE_SCHEME)
        for code in story.countries:
            _category(entry, code, COUNTRY_SCHEME)
        _text(entry, "summary", entry_summary(story))
        if story.body:
            _text(entry, "content", story.body).set("type", "text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _text(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    element.text = _xml_safe(text)
    return element


def _link(parent: etree._Element, href: str, rel: str, **attributes: str) -> None:
    etree.SubElement(parent, f"{{{ATOM_NS}}}link", href=href, rel=rel, **attributes)


def _category(parent: etree._Element, term: str, scheme: str) -> None:
    etree.SubElement(parent, f"{{{ATOM_NS}}}category", term=_xml_safe(term), scheme=scheme)


def _xml_safe(text: str) -> str:
    """Without the control characters XML 1.0 cannot carry (a feed may have sent one)."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


def json_feed(meta: FeedMeta, stories: Sequence[FeedStory]) -> bytes:
    """The JSON Feed 1.1 document of the stories, in the order given. newswire's own fields
    (revision, dateline, outlets) go in the ``_newswire`` extension object the spec allows."""
    document = {
        "version": JSON_FEED_VERSION,
        "title": meta.title,
        "home_page_url": meta.page_url,
        "feed_url": meta.json_url,
        "items": [_json_item(meta, story) for story in stories],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_item(meta: FeedMeta, story: FeedStory) -> dict:
    item: dict = {
        "id": story.story_id,
        "url": story.url or meta.story_page_url(story.story_id),
        "title": story.title,
        "content_text": story.body or entry_summary(story),
        "summary": entry_summary(story),
        "date_published": _iso(story.published_at),
        "date_modified": _iso(story.updated_at),
    }
    if story.wire_agency:
        item["authors"] = [{"name": story.wire_agency}]
    if story.countries:
        item["tags"] = list(story.countries)
    if story.language:
        item["language"] = story.language
    item["_newswire"] = {
        "about": "https://jsonfeed.org/version/1.1#extensions",
        "revision": story.revision,
        "wire_agency": story.wire_agency,
        "dateline": story.dateline,
        "countries": list(story.countries),
        "primary_country": story.primary_country,
        "story_page": meta.story_page_url(story.story_id),
        "outlets": [{"outlet": o.outlet, "url": o.url} for o in story.outlets],
    }
    return item


@dataclass(frozen=True)
class AlertMessage:
    title: str
    body: str


def alert_message(meta: FeedMeta, story: FeedStory) -> AlertMessage:
    """What a desk hears about a new story of a saved query: the title, then agency and
    dateline, countries, every outlet with its link, and the story page."""
    lines = [" — ".join(p for p in (story.wire_agency or "(no agency)", story.dateline) if p)]
    if story.countries:
        lines.append("Countries: " + ", ".join(story.countries))
    lines.append(f"Outlets ({len(story.outlets)}):")
    lines.extend(f"- {o.outlet}: {o.url}" if o.url else f"- {o.outlet}" for o in story.outlets)
    lines.append(f"Story: {meta.story_page_url(story.story_id)}")
    lines.append(f"Saved query: {meta.title} ({meta.name})")
    return AlertMessage(title=story.title, body="\n".join(lines))
