"""Full text: the article body and metadata from an article page, with trafilatura.

Feeds often carry a title and a two-line summary; the page has the story. trafilatura finds
the main text and reads author, date, canonical URL (``rel=canonical``, ``og:url``),
language and site name from the page's metadata. What it cannot handle (not HTML, empty
extraction, a parser error) gives an ``ArticlePage`` with ``error`` set, and the entry keeps
its feed text: extraction never costs an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from newswire.tasks.encoding import to_utf8
from newswire.tasks.text import html_to_text

# Pages whose extracted text is shorter than this are paywalls, cookie walls or index
# pages; the feed's own text is then the better body.
MIN_ARTICLE_WORDS = 40


@dataclass
class ArticlePage:
    url: str
    text: str = ""
    title: str | None = None
    author: str | None = None
    date: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    site_name: str | None = None
    error: str | None = None


def _page_metadata(html: str, base_url: str) -> tuple[str | None, str | None]:
    """(canonical URL from rel=canonical or og:url, language from <html lang>)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None, None
    lang = root.get("lang") or next(iter(root.xpath('//meta[@http-equiv="content-language"]/@content')), None)
    language = lang.split("-")[0].lower() if lang else None
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        values = [v.strip() for v in root.xpath(xpath) if v and v.strip()]
        if values:
            return urljoin(base_url, values[0]), language
    return None, language


def extract_article(body: bytes, headers: dict[str, str], url: str) -> ArticlePage:
    """Main text (paragraphs separated by blank lines) and metadata of one article page."""
    import trafilatura

    page = ArticlePage(url=url)
    html = to_utf8(body, headers).body.decode("utf-8", "replace")
    if "<" not in html[:2048]:
        page.error = "not an HTML page"
        return page
    try:
        document = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            favor_recall=True,
            include_comments=False,
            include_tables=False,
            output_format="python",
        )
    except Exception as error:  # trafilatura on hostile markup: one page, not the run
        page.error = f"extraction failed: {type(error).__name__}: {error}"
        return page
    page.canonical_url, page.language = _page_metadata(html, url)
    if document is None or not getattr(document, "text", None):
        page.error = "no main text found on the page"
        return page
    page.text = html_to_text(document.text.replace("\n", "\n\n"))
    page.title = document.title
    page.author = document.author
    page.date = document.date
    page.site_name = document.sitename
    page.language = document.language or page.language
    if len(page.text.split()) < MIN_ARTICLE_WORDS:
        page.error = f"extracted text has fewer than {MIN_ARTICLE_WORDS} words (paywall or index page?)"
    return page
