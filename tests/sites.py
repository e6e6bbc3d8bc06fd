"""A synthetic news site served by the loopback FeedServer, for backfill and polling tests.

One article per ``gap`` going back from ``newest``, exposed the ways real sites expose
their past: a WordPress feed paged with ``?paged=N`` (404 past the end), an RFC 5005
archived feed (``rel="prev-archive"`` chain, one document per 10 articles), a sitemap
index with monthly Google News sitemaps, and the article pages themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from urllib.parse import parse_qs, urlsplit

from newswire.cli.demo_server import FeedServer, send

PAGE_SIZE = 10
WORDS = (
    "Kazakhstan", "Uzbekistan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "ministers", "met", "in",
    "Astana", "to", "discuss", "water", "sharing", "rail", "freight", "energy", "tariffs", "and",
    "border", "crossings", "along", "the", "Fergana", "valley",
)  # fmt: skip


@dataclass
class Article:
    number: int
    published: datetime
    slug: str

    @property
    def title(self) -> str:
        return f"Regional report {self.number}: {WORDS[self.number % len(WORDS)]} talks continue"

    @property
    def text(self) -> str:
        words = [WORDS[(self.number * 7 + i) % len(WORDS)] for i in range(16)]
        return f"Story number {self.number}. " + " ".join(words) + "."


class NewsSite:
    def __init__(self, server: FeedServer, prefix: str, newest: datetime, count: int, gap: timedelta):
        self.server = server
        self.prefix = prefix
        self.articles = [
            Article(n, newest - n * gap, f"{prefix.strip('/')}-story-{n}") for n in range(count)
        ]  # newest first
        self.summary_suffix = ""
        server.routes[f"{prefix}/wp/feed/"] = self._wordpress_feed
        server.routes[f"{prefix}/archive/feed.xml"] = lambda h: self._archive(h, 0)
        for index in range(1, self._archive_count()):
            server.routes[f"{prefix}/archive/{index}.xml"] = lambda h, i=index: self._archive(h, i)
        server.routes[f"{prefix}/sitemap_index.xml"] = self._sitemap_index
        for month in self._months():
            server.routes[f"{prefix}/sitemap-{month}.xml"] = lambda h, m=month: self._news_sitemap(h, m)
        for article in self.articles:
            server.routes[f"{prefix}/articles/{article.slug}.html"] = lambda h, a=article: self._page(h, a)

    def url(self, path: str) -> str:
        return self.server.url(self.prefix + path)

    def article_url(self, article: Article) -> str:
        return self.url(f"/articles/{article.slug}.html")

    def in_range(self, start, end) -> list[Article]:
        return [a for a in self.articles if start <= a.published.date() <= end]

    # -- documents -----------------------------------------------------------------------

    def rss(self, articles: list[Article], links: dict[str, str]) -> bytes:
        atom_links = "".join(f'<atom:link rel="{rel}" href="{escape(href)}"/>' for rel, href in links.items())
        items = "".join(
            f"<item><guid isPermaLink='false'>{a.slug}</guid><title>{escape(a.title)}</title>"
            f"<link>{escape(self.article_url(a))}</link>"
            f"<pubDate>{format_datetime(a.published)}</pubDate>"
            f"<description>{escape(a.text + self.summary_suffix)}</description></item>"
            for a in articles
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Synthetic wire</title>'
            f"<link>{self.url('/')}</link><description>test</description>{atom_links}{items}"
            "</channel></rss>"
        ).encode()

    def _wordpress_feed(self, handler) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        page = int(query.get("paged", ["1"])[0])
        chunk = self.articles[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if not chunk:
            send(handler, 404, b"<html>Page not found</html>")
            return
        send(handler, 200, self.rss(chunk, {}), {"Content-Type": "application/rss+xml"})

    def _archive_count(self) -> int:
        return -(-len(self.articles) // PAGE_SIZE)

    def _archive(self, handler, index: int) -> None:
        chunk = self.articles[index * PAGE_SIZE : (index + 1) * PAGE_SIZE]
        links = {"current": self.url("/archive/feed.xml")}
        if index + 1 < self._archive_count():
            links["prev-archive"] = self.url(f"/archive/{index + 1}.xml")
        send(handler, 200, self.rss(chunk, links), {"Content-Type": "application/rss+xml"})

    def _months(self) -> list[str]:
        return sorted({a.published.strftime("%Y-%m") for a in self.articles})

    def _sitemap_index(self, handler) -> None:
        newest_in = {
            m: max(a.published for a in self.articles if a.published.strftime("%Y-%m") == m)
            for m in self._months()
        }
        entries = "".join(
            f"<sitemap><loc>{self.url(f'/sitemap-{m}.xml')}</loc><lastmod>{newest.isoformat()}</lastmod></sitemap>"
            for m, newest in newest_in.items()
        )
        body = f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
        send(handler, 200, body.encode(), {"Content-Type": "application/xml"})

    def _news_sitemap(self, handler, month: str) -> None:
        urls = "".join(
            f"<url><loc>{escape(self.article_url(a))}</loc><news:news><news:publication>"
            "<news:name>Synthetic wire</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
            f"<news:title>{escape(a.title)}</news:title></news:news></url>"
            for a in self.articles
            if a.published.strftime("%Y-%m") == month
        )
        body = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>"
        )
        send(handler, 200, body.encode(), {"Content-Type": "application/xml"})

    def _page(self, handler, article: Article) -> None:
        body = (
            f"<html lang='en'><head><title>{escape(article.title)} | Synthetic wire</title>"
            f"<meta property='og:title' content='{escape(article.title)}'>"
            f"<meta property='article:published_time' content='{article.published.isoformat()}'>"
            f"<link rel='canonical' href='{escape(self.article_url(article))}'></head>"
            "<body><nav><p>Home | World | Sport</p></nav>"
            f"<article><h1>{escape(article.title)}</h1><p>{escape(article.text)}</p></article>"
            "<footer><p>Copyright Synthetic wire</p></footer></body></html>"
        )
        send(handler, 200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def write_catalog(path, feeds: list[dict]) -> str:
    """A catalogue TOML for test feeds on the loopback server (private network allowed)."""
    blocks = []
    for feed in feeds:
        table = {"kind": "outlet", "language": "en", "country": "KZ", "allow_private_network": True} | feed
        lines = ["[[feed]]"]
        for key, value in table.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, list):
                lines.append(f"{key} = [{', '.join(repr(v) for v in value)}]".replace("'", '"'))
            else:
                lines.append(f'{key} = "{value}"')
        blocks.append("\n".join(lines))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return str(path)
