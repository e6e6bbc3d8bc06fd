"""The story page's HTML: server-rendered, no script, no build step, one small stylesheet.

Pure functions from the desk's records (warehouse/desk_queries.py) to a page; every value
from a feed goes through ``html.escape`` — titles and bodies are other people's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from newswire.warehouse.desk_queries import DeskStory, StoryDetail

# Latest stories per saved query on the front page; the query's own page lists its limit.
FRONT_PAGE_STORIES = 10
NO_TEXT = "<em>No text: the feeds carry a headline only.</em>"

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; }
header a { color: inherit; text-decoration: none; }
h1 { font-size: 1.5rem; margin: .2rem 0 1rem; } h2 { font-size: 1.2rem; margin: 1.6rem 0 .4rem; }
.query-head { display: flex; gap: 1rem; align-items: baseline; border-bottom: 2px solid #333; }
.query-head small a { margin-left: .5rem; }
article.story { padding: .6rem 0; border-bottom: 1px solid #ddd; }
article.story h3 { font-size: 1.05rem; margin: 0 0 .2rem; }
.meta { color: #555; font-size: .9rem; }
.meta > span + span::before { content: " · "; }
.agency { font-weight: 600; color: #a33; }
.country { display: inline-block; border: 1px solid #999; border-radius: 3px; padding: 0 .25rem;
           font-size: .8rem; margin-right: .15rem; }
ul.outlets { margin: .25rem 0 0; padding: 0; list-style: none; font-size: .9rem; }
ul.outlets li { display: inline; margin-right: .7rem; }
.body { white-space: pre-wrap; max-width: 45rem; }
table { border-collapse: collapse; font-size: .9rem; } td, th { border-bottom: 1px solid #ddd;
padding: .2rem .5rem; text-align: left; vertical-align: top; }
"""


def page(title: str, content: str) -> bytes:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}</style></head><body>"
        '<header><a href="/">newswire — what the desk reads</a></header>'
        f"{content}</body></html>\n"
    ).encode()


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def story_meta(story: DeskStory) -> str:
    """Agency, dateline, published time, countries and outlet count: one line."""
    parts = []
    if story.wire_agency:
        parts.append(f'<span class="agency">{escape(story.wire_agency)}</span>')
    if story.dateline:
        parts.append(f'<span class="dateline">{escape(story.dateline)}</span>')
    parts.append(f'<span class="published">{_when(story.published_at)}</span>')
    if story.countries:
        codes = "".join(f'<span class="country">{escape(c)}</span>' for c in story.countries)
        parts.append(f'<span class="countries">{codes}</span>')
    count = len(story.outlets)
    parts.append(f'<span class="outlet-count">{count} outlet{"s" if count != 1 else ""}</span>')
    return f'<div class="meta">{"".join(parts)}</div>'


def outlet_list(story: DeskStory) -> str:
    items = "".join(_outlet(o.outlet, o.url) for o in story.outlets)
    return f'<ul class="outlets">{items}</ul>'


def _outlet(outlet: str, url: str | None) -> str:
    """An outlet with its link; a wire item without a public link is the name alone."""
    if not url:
        return f'<li><span class="outlet">{escape(outlet)}</span></li>'
    return f'<li><a class="outlet" href="{escape(url)}">{escape(outlet)}</a></li>'


def story_card(story: DeskStory) -> str:
    return (
        f'<article class="story" id="{escape(story.story_id)}">'
        f'<h3><a href="/stories/{escape(story.story_id)}">{escape(story.title)}</a></h3>'
        f"{story_meta(story)}{outlet_list(story)}</article>"
    )


def query_section(name: str, title: str, stories: Sequence[DeskStory], heading: str = "h2") -> str:
    feeds = (
        f'<small><a href="/queries/{escape(name)}">all</a>'
        f'<a href="/feeds/{escape(name)}.atom.xml">Atom</a>'
        f'<a href="/feeds/{escape(name)}.json">JSON Feed</a></small>'
    )
    cards = "".join(story_card(s) for s in stories) or "<p>No story matches yet.</p>"
    return (
        f'<section class="query" id="query-{escape(name)}"><div class="query-head">'
        f"<{heading}>{escape(title)}</{heading}>{feeds}</div>{cards}</section>"
    )


def error_section(name: str, title: str, message: str) -> str:
    return (
        f'<section class="query" id="query-{escape(name)}"><h2>{escape(title)}</h2>'
        f'<p class="error">This saved query cannot run: {escape(message)}</p></section>'
    )


def _linked(text: str, url: str | None) -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>' if url else escape(text)


def story_page(detail: StoryDetail) -> bytes:
    story = detail.story
    revisions = "".join(
        f"<tr><td>{r.revision}</td><td>{_when(r.changed_at)}</td><td>{escape(r.title)}</td>"
        f"<td>{escape(r.wire_agency or '')}</td><td>{escape(r.representative_feed_id)}</td></tr>"
        for r in detail.revisions
    )
    appearances = "".join(
        f"<tr><td>{escape(a.outlet)}</td><td>{_linked(a.title, a.url)}</td>"
        f"<td>{escape(a.feed_id)}</td><td>{_when(a.published_at)}</td><td>{_when(a.first_seen_at)}</td>"
        f"<td>{a.revision}</td></tr>"
        for a in detail.appearances
    )
    content = (
        f'<article class="story-detail" id="{escape(story.story_id)}">'
        f"<h1>{escape(story.title)}</h1>{story_meta(story)}{outlet_list(story)}"
        f"<p>{_linked('Representative copy', story.url)} · story id "
        f"<code>{escape(story.story_id)}</code> · revision {story.revision}</p>"
        f'<div class="body">{escape(story.body) or NO_TEXT}</div>'
        "<h2>Revisions</h2><table class=revisions><tr><th>rev</th><th>seen</th><th>title</th>"
        f"<th>agency</th><th>feed</th></tr>{revisions}</table>"
        "<h2>Appearances</h2><table class=appearances><tr><th>outlet</th><th>title</th><th>feed</th>"
        f"<th>published</th><th>first seen</th><th>rev</th></tr>{appearances}</table></article>"
    )
    return page(story.title, content)
