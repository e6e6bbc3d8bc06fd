"""Walking a feed's older pages, for backfills.

Two ways a feed exposes its past:
- RFC 5005 (Feed Paging and Archiving): an archived feed links to the previous archive
  document with ``rel="prev-archive"``; a paged feed links to the next (older) page with
  ``rel="next"``. Both appear as ``<atom:link>`` in RSS or ``<link>`` in Atom.
- CMS conventions without links: WordPress answers ``/feed/?paged=N``, many others
  (Drupal views, Ghost, Django feeds) ``?page=N``. Which one a site honours is found by
  trying: a convention that returns the same items as the page before is not honoured.

Everything here is pure: the flow fetches, these functions decide where to go next and
when to stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from newswire.tasks.xml_safety import defuse_xml, hardened_parser

# RFC 5005 relations that lead to older entries, in order of preference.
OLDER_RELATIONS = ("prev-archive", "next")
# CMS paging parameters, most common first (WordPress powers most news sites that have one).
PAGE_PARAMETERS = ("paged", "page")
_PARSER = hardened_parser(recover=True)


def feed_links(body: bytes, base_url: str) -> dict[str, str]:
    """rel -> absolute href of the document-level links (``atom:link`` in RSS channels,
    ``link`` children of an Atom feed). Entry-level links are ignored."""
    try:
        body, _ = defuse_xml(body)  # UnsafeDocument is a ValueError
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return {}
    if root is None:
        return {}
    container = root
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname == "channel":
            container = child
            break
    links: dict[str, str] = {}
    for child in container:
        if not isinstance(child.tag, str) or etree.QName(child).localname != "link":
            continue
        rel, href = child.get("rel"), child.get("href")
        if rel and href and rel not in links:
            links[rel] = urljoin(base_url, href.strip())
    return links


def cms_page_url(feed_url: str, parameter: str, page: int) -> str:
    """``feed_url`` with ``parameter=page`` set (replacing any value already there)."""
    parts = urlsplit(feed_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != parameter]
    query.append((parameter, str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass
class PageWalk:
    """Where one feed's walk stands. ``convention`` is 'rfc5005', a CMS parameter name, or
    None until the first page tells us."""

    feed_url: str
    page: int = 1
    convention: str | None = None
    seen_entry_ids: frozenset[str] = frozenset()
    finished: str | None = None  # why the walk stopped
    # Every CMS paging convention was tried and none is honoured: the feed simply has no
    # older pages, which is not an error of the feed.
    conventions_exhausted: bool = False

    def next_url(self, body: bytes, current_url: str, entry_ids: list[str], oldest: date | None, start: date):
        """The URL of the next older page, or None (and ``finished`` says why)."""
        new_ids = set(entry_ids) - self.seen_entry_ids
        if not entry_ids:
            self.finished = "page has no entries"
            return None
        if not new_ids:
            if self.convention in PAGE_PARAMETERS and self.page == 2:
                return self._try_next_convention()
            self.finished = "page repeats entries already seen (end of archive)"
            return None
        self.seen_entry_ids = self.seen_entry_ids | new_ids
        if oldest is not None and oldest < start:
            self.finished = f"passed the start date ({oldest} < {start})"
            return None
        links = feed_links(body, current_url)
        for rel in OLDER_RELATIONS:
            if rel in links and links[rel] != current_url:
                self.convention = "rfc5005"
                self.page += 1
                return links[rel]
        if self.convention == "rfc5005":
            self.finished = "no older archive link"
            return None
        if self.convention is None:
            self.convention = PAGE_PARAMETERS[0]
        self.page += 1
        return cms_page_url(self.feed_url, self.convention, self.page)

    def page_failed(self, error: str) -> str | None:
        """A page fetch failed: on page 2 of a guessed CMS convention, try the next one."""
        if self.convention in PAGE_PARAMETERS and self.page == 2:
            return self._try_next_convention()
        self.finished = f"page {self.page} failed: {error}"
        return None

    def _try_next_convention(self) -> str | None:
        index = PAGE_PARAMETERS.index(self.convention) + 1
        if index >= len(PAGE_PARAMETERS):
            self.conventions_exhausted = True
            self.finished = "the feed has no older pages (no RFC 5005 links; ?paged=/?page= not honoured)"
            return None
        self.convention = PAGE_PARAMETERS[index]
        return cms_page_url(self.feed_url, self.convention, self.page)


def in_range(moment: datetime, start: date, end: date) -> bool:
    return start <= moment.date() <= end
