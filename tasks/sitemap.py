"""Sitemaps for backfills: find them, read them, keep the URLs in a date range, and turn
an article page into an entry.

News sites list their articles in XML sitemaps (sitemaps.org), often split by month under
a sitemap index, and Google News sitemaps add ``<news:publication_date>`` and
``<news:title>`` per URL. Where a site says where its sitemaps are: the catalogue's
``sitemap`` key, else ``Sitemap:`` lines of its robots.txt, else ``/sitemap.xml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from newswire.tasks.documents import ParsedEntry
from newswire.tasks.formats.common import parse_datetime
from newswire.tasks.xml_safety import defuse_xml, hardened_parser

_PARSER = hardened_parser(recover=True)


@dataclass
class SitemapEntry:
    loc: str
    lastmod: datetime | None = None
    publication_date: datetime | None = None
    title: str | None = None
    language: str | None = None

    @property
    def date(self) -> datetime | None:
        """The article's date: its news publication date when given, else lastmod."""
        return self.publication_date or self.lastmod


@dataclass
class Sitemap:
    kind: str  # "index" | "urlset" | "invalid"
    entries: list[SitemapEntry] = field(default_factory=list)
    error: str | None = None


def _child_text(element, name: str) -> str | None:
    for child in element.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip() or None
    return None


def parse_sitemap(body: bytes) -> Sitemap:
    try:
        body, _ = defuse_xml(body)  # UnsafeDocument is a ValueError
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as error:
        return Sitemap("invalid", error=f"not a sitemap: {error}")
    if root is None:
        return Sitemap("invalid", error="not a sitemap: empty or unparseable document")
    kind = etree.QName(root).localname
    if kind not in ("sitemapindex", "urlset"):
        return Sitemap("invalid", error=f"not a sitemap: root element <{kind}>")
    sitemap = Sitemap("index" if kind == "sitemapindex" else "urlset")
    for item in root:
        if not isinstance(item.tag, str) or etree.QName(item).localname not in ("sitemap", "url"):
            continue
        loc = _child_text(item, "loc")
        if not loc:
            continue
        sitemap.entries.append(
            SitemapEntry(
                loc=loc,
                lastmod=parse_datetime(_child_text(item, "lastmod")),
                publication_date=parse_datetime(_child_text(item, "publication_date")),
                title=_child_text(item, "title"),
                language=_child_text(item, "language"),
            )
        )
    return sitemap


def wanted(entry: SitemapEntry, start: date, end: date, is_index: bool) -> bool:
    """Keep a child sitemap unless it was last modified before the range began (its URLs
    cannot be newer than its lastmod); keep a URL whose date is in the range. An undated
    child sitemap is walked; an undated URL is not fetched (its date is unknown)."""
    if is_index:
        return entry.lastmod is None or entry.lastmod.date() >= start
    return entry.date is not None and start <= entry.date.date() <= end


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    return [
        urljoin(base_url, line.split(":", 1)[1].strip())
        for line in robots_txt.splitlines()
        if line.lower().startswith("sitemap:") and line.split(":", 1)[1].strip()
    ]


def site_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _meta(tree, *names: str) -> str | None:
    for name in names:
        for attribute in ("property", "name", "itemprop"):
            found = tree.xpath(f'//meta[@{attribute}="{name}"]/@content')
            if found and found[0].strip():
                return found[0].strip()
    return None


def article_entry(html: bytes, url: str, listed: SitemapEntry) -> ParsedEntry:
    """An article page as a feed entry: title, date, description and body paragraphs from
    the page's own metadata, falling back to what the sitemap said."""
    tree = lxml.html.fromstring(html, base_url=url)
    for unwanted in tree.xpath("//script|//style|//nav|//header|//footer|//aside|//form"):
        unwanted.drop_tree()
    headline = tree.xpath("string(//h1)").strip() or None
    title = _meta(tree, "og:title", "headline") or headline or listed.title or tree.findtext(".//title")
    published = parse_datetime(
        _meta(tree, "article:published_time", "datePublished", "pubdate")
        or next(iter(tree.xpath("//time/@datetime")), None)
    )
    container = next(iter(tree.xpath("//article")), tree)
    paragraphs = [p.text_content().strip() for p in container.iter("p")]
    content = "".join(f"<p>{escape(p)}</p>" for p in paragraphs if p)
    canonical = next(iter(tree.xpath('//link[@rel="canonical"]/@href')), None)
    return ParsedEntry(
        guid=None,
        link=urljoin(url, canonical) if canonical else url,
        title=title,
        summary=_meta(tree, "og:description", "description"),
        content=content or None,
        published=published or listed.publication_date or listed.lastmod,
        updated=parse_datetime(_meta(tree, "article:modified_time", "dateModified")),
        authors=[a for a in [_meta(tree, "author", "article:author")] if a],
        language=listed.language or tree.get("lang"),
    )
