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
_DROP_TAGS = ("script", "style", "noscript", "template", "svg")
# Embedded players. Their content is fallback markup, but feeds often leave them unclosed
# (``<iframe src=...>`` then the article), and an HTML parser then puts the rest of the
# text inside them: so closed pairs are cut out and lone tags removed, before parsing.
# Tag lengths are bounded so a hostile "<iframe" without ">" costs linear time.
_EMBED_OPEN = {tag: re.compile(rf"<{tag}\b[^>]{{0,4000}}>", re.I) for tag in ("iframe", "object")}
_EMBED_TAG = re.compile(r"</?(?:iframe|object|embed|param)\b[^>]{0,4000}>", re.I)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# The same blanks but the plain space: without them (and without a double space), folding
# would only replace each single space by itself.
_OTHER_SPACES = re.compile(r"[\t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")
# Invisible format characters that sit inside words (CMS hyphenation, copy-paste from
# Word): removed, never turned into a space, or "Ta\u200bjikistan" is two words and no
# country. Zero-width space, soft hyphen, word joiner, invisible operators, BOM.
_INVISIBLE = re.compile("[\u200b\u00ad\u2060-\u2064\ufeff]")
# ZWNJ shapes Persian, Arabic and Indic script; next to Latin or Cyrillic it is noise.
_ZWNJ_OUTSIDE_JOINING_SCRIPTS = re.compile("(?<![\u0590-\u0dff])\u200c(?![\u0590-\u0dff])")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!][^>]*>|&[#a-zA-Z0-9]+;")
# Lone surrogates cannot be encoded (UTF-8, Arrow, hashing all fail); a JSON "\ud800" or
# a decoder's surrogateescape produces them. Noncharacters U+FFFE/U+FFFF are not text.
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
PLAIN_TEXT_TYPES = frozenset({"text/plain", "text"})


def fold_whitespace(text: str) -> str:
    """Runs of spaces and tabs (any Unicode space, not line breaks) as one space, stripped.
    ASCII text without a double space or a tab, form feed or vertical tab has nothing to
    fold: the regular expression is skipped (a paragraph is folded several times)."""
    if text.isascii() and "  " not in text and "\t" not in text and "\f" not in text and "\v" not in text:
        return text.strip()
    # (Cyrillic, Arabic, ... text: one scan for a blank to fold instead of a substitution
    # at every space)
    if "  " not in text and _OTHER_SPACES.search(text) is None:
        return text.strip()
    return _SPACES.sub(" ", text).strip()


def valid_unicode(text: str) -> tuple[str, int]:
    """``text`` with every code point that cannot be stored (lone surrogates,
    noncharacters) replaced by U+FFFD, and how many were replaced."""
    repaired, count = _UNENCODABLE.subn("\ufffd", text)
    return repaired, count


def without_invisible(text: str) -> str:
    """``text`` minus zero-width and soft-hyphen characters inside words."""
    return _ZWNJ_OUTSIDE_JOINING_SCRIPTS.sub("", _INVISIBLE.sub("", text))


def clean_line(text: str | None, content_type: str | None = None) -> str:
    """One line of plain text (titles, names): HTML stripped, entities decoded, NFC.
    ``content_type`` is what the document declared (``text/plain`` keeps ``<blink>``)."""
    if not text:
        return ""
    return fold_whitespace(html_to_text(text, content_type).replace("\n", " "))


def html_to_text(fragment: str | None, content_type: str | None = None) -> str:
    """Readable text from an HTML fragment: paragraphs separated by a blank line. When the
    document declares the field plain text (Atom ``type="text"``, an RSS title, JSON
    Feed ``content_text``), angle brackets are text, not markup: "History of the <blink>
    tag" keeps its tag. Without a declaration, markup is sniffed."""
    if not fragment:
        return ""
    fragment = _CONTROL.sub("", fragment)
    # Double-escaped feeds ("&amp;#8217;") need one extra round of unescaping.
    if "&amp;" in fragment and re.search(r"&amp;(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", fragment):
        fragment = fragment.replace("&amp;", "&")
    plain = (content_type or "").strip().lower() in PLAIN_TEXT_TYPES
    text = fragment if plain or not _LOOKS_LIKE_HTML.search(fragment) else _text_from_markup(fragment)
    text = without_invisible(html.unescape(text))
    text = unicodedata.normalize("NFC", text)
    paragraphs = [fold_whitespace(line) for line in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def _without_embeds(fragment: str) -> str:
    """Closed ``<iframe>``/``<object>`` elements cut out; unclosed ones and every
    ``<embed>`` lose only their tag, so the text after them stays. Linear: each search
    moves forward, and an open tag with no close ends the search for that tag."""
    for tag, opening in _EMBED_OPEN.items():
        lower = fragment.lower()
        pieces, position = [], 0
        while match := opening.search(fragment, position):
            close = lower.find(f"</{tag}", match.end())
            if close == -1:
                break
            end = lower.find(">", close)
            pieces.append(fragment[position : match.start()])
            position = len(fragment) if end == -1 else end + 1
        pieces.append(fragment[position:])
        fragment = " ".join(pieces)
    return _EMBED_TAG.sub(" ", fragment)


def _text_from_markup(fragment: str) -> str:
    fragment = _without_embeds(fragment)
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


_WORD = re.compile(r"\w+", re.UNICODE)


def comparison_form(text: str) -> str:
    """Lower-cased words only, quotes and dashes folded: equal for copies that differ
    only in typography, markup or spacing."""
    # (Quotes and dashes are no word characters: the words alone are the form, whichever
    # quote or dash a copy typed. A table folding them first cost more than the rest
    # together, a dict lookup per character of non-ASCII text, and changed no word.)
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def content_hash(*texts: str) -> str:
    """Stable hash of the comparison form of the given texts (title, body...)."""
    joined = "\n".join(comparison_form(text) for text in texts if text)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]
