"""Turning feed HTML into clean text that compares equal when the words are equal.

Feeds carry titles and summaries as HTML fragments, double-escaped entities, CDATA,
non-breaking spaces and decomposed Unicode. Everything stored and hashed goes through
here, so two outlets' copies of one sentence produce the same characters.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

import lxml.html
from lxml import etree

# Elements whose end is a paragraph break in text form.
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
    "hr",
    "dd",
    "dt",
}
# Elements whose text is never reader-visible prose.
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "template", "svg")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!][^>]*>|&[#a-zA-Z0-9]+;")


def fold_whitespace(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def clean_line(text: str | None) -> str:
    """One line of plain text (titles, names): HTML stripped, entities decoded, NFC."""
    if not text:
        return ""
    return fold_whitespace(html_to_text(text).replace("\n", " "))


def html_to_text(fragment: str | None) -> str:
    """Readable text from an HTML fragment: paragraphs separated by a blank line."""
    if not fragment:
        return ""
    fragment = _CONTROL.sub("", fragment)
    # Double-escaped feeds ("&amp;#8217;") need one extra round of unescaping.
    if "&amp;" in fragment and re.search(r"&amp;(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", fragment):
        fragment = fragment.replace("&amp;", "&")
    text = _text_from_markup(fragment) if _LOOKS_LIKE_HTML.search(fragment) else fragment
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    paragraphs = [fold_whitespace(line) for line in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def _text_from_markup(fragment: str) -> str:
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return re.sub(r"<[^>]+>", " ", fragment)
    for element in root.iter(*_DROP_TAGS):
        element.drop_tree()
    parts: list[str] = []

    def walk(element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.lower() in _BLOCK_TAGS:
            parts.append("\n")
        if element.text and tag:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag.lower() in _BLOCK_TAGS:
            parts.append("\n")

    walk(root)
    # Inline text keeps its spaces; block boundaries become line breaks.
    return "".join(parts)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_FOLD_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
    }
)
_WORD = re.compile(r"\w+", re.UNICODE)


def comparison_form(text: str) -> str:
    """Lower-cased words only, quotes and dashes folded: equal for copies that differ
    only in typography, markup or spacing."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD_QUOTES).casefold()
    return " ".join(_WORD.findall(text))


def content_hash(*texts: str) -> str:
    """Stable hash of the comparison form of the given texts (title, body...)."""
    joined = "\n".join(comparison_form(text) for text in texts if text)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]
