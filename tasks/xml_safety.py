"""Defusing XML before any parser sees it: no DTD, so no entity is ever expanded or fetched.

News feeds never need a DTD. With one, a 100 KB document can expand to gigabytes
(billion laughs, quadratic blowup: feedparser turned one into a 100 MB field, see
STACK-NOTES.md), or name an external entity (``SYSTEM "file:///etc/passwd"`` or
``"http://169.254.169.254/..."``) that a less careful parser would read or fetch.
``defuse_xml`` removes every ``<!DOCTYPE ...>`` (with its internal subset) and every
``<!ENTITY ...>`` wherever it appears — not only in the first bytes, since a prolog can
be padded with comments — after transcoding UTF-16/32 documents to UTF-8 so the search
cannot be dodged by encoding. References to removed entities are left for the parser to
report as undefined. Element nesting deeper than ``MAX_ELEMENT_DEPTH`` is refused too
(feedparser spends ~10 us per level: 1.4 million levels fit in a 10 MB body, ~20 s of CPU
for nothing). Linear time: every search moves forward.

Every XML parser in newswire (RSS/Atom here, NewsML-G2 and others in their modules)
should call it first; ``parse_document`` does for every non-JSON body.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

_DECLARATION = re.compile(rb"<!(doctype|entity)", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
# Digits bounded: a reference of a million digits is not a code point either, and int()
# of it would cost quadratic time.
_CHARACTER_REFERENCE = re.compile(rb"&#(x[0-9A-Fa-f]{1,16}|X[0-9A-Fa-f]{1,16}|[0-9]{1,20});")
_XML_DECL_ENCODING = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2")
# A removal can join two halves into a new declaration (``<!DOC<!ENTITY x>TYPE``); a few
# passes undo any honest document, more means the document is built to get past us.
_MAX_PASSES = 4
# libxml2's own default limit; real feeds nest under 20 (rss > channel > item > field,
# Atom xhtml content a few levels more).
MAX_ELEMENT_DEPTH = 256
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE_PREFIXES = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


class UnsafeDocument(ValueError):
    """The document is built to hurt a parser (declarations that rebuild themselves,
    absurd nesting); refused whole."""


def to_utf8_if_wide(body: bytes) -> tuple[bytes, bool]:
    """UTF-16/32 documents (by BOM or by the shape of ``<``) transcoded to UTF-8 with the
    XML declaration's encoding updated; other bodies unchanged."""
    encoding = None
    for bom, name in _WIDE_BOMS:
        if body.startswith(bom):
            encoding, body = name, body[len(bom) :]
            break
    else:
        for prefix, name in _WIDE_PREFIXES:
            if body.startswith(prefix):
                encoding = name
                break
    if encoding is None:
        return body, False
    text = body.decode(encoding, errors="replace").encode("utf-8")
    return _XML_DECL_ENCODING.sub(rb'\1"utf-8"', text, count=1), True


def with_utf8_charset(headers: dict[str, str]) -> dict[str, str]:
    """Response headers for a body transcoded to UTF-8: a ``charset=utf-16`` left in
    Content-Type would make the parser decode the new bytes as UTF-16."""
    content_type = headers.get("content-type")
    if not content_type:
        return headers
    return {**headers, "content-type": re.sub(r"charset=[^;]*", "charset=utf-8", content_type, flags=re.I)}


def _declaration_end(body: bytes, start: int, kind: bytes) -> int:
    """Index just past the declaration starting at ``start`` (the end of the body if it
    never closes: an unterminated DTD takes the rest of the document with it)."""
    if kind.lower() == b"doctype":
        close = body.find(b">", start)
        bracket = body.find(b"[", start)
        if bracket != -1 and (close == -1 or bracket < close):
            subset_end = body.find(b"]", bracket)
            close = -1 if subset_end == -1 else body.find(b">", subset_end)
    else:
        close = body.find(b">", start)
    return len(body) if close == -1 else close + 1


def _declarations(body: bytes):
    """Matches of ``<!DOCTYPE``/``<!ENTITY`` that are markup, not text: after the first
    element has started (where no parser looks for a DTD any more, feedparser's loose
    mode included), a CDATA section is text and may say ``<!DOCTYPE`` (an HTML snippet);
    it is skipped. Before the first element every match counts, CDATA or not."""
    root = _FIRST_ELEMENT.search(body)
    root_start = root.start() if root else len(body)
    position, match = 0, _DECLARATION.search(body)
    while match is not None:
        cdata = body.find(b"<![CDATA[", max(position, root_start), match.start())
        if cdata != -1:
            end = body.find(b"]]>", cdata + 9)
            if end == -1:
                return  # the rest of the document is one unterminated CDATA section: text
            position = end + 3
            if match.start() < position:
                match = _DECLARATION.search(body, position)
            continue
        yield match
        position = match.end()
        match = _DECLARATION.search(body, position)


def _prolog_comments(body: bytes) -> list[tuple[int, int]]:
    """(start, end) of each comment before the root element, read as an XML parser reads
    the prolog (whitespace, ``<?…?>``, ``<!--…-->``, declarations, in sequence) until
    anything else."""
    spans, position = [], 3 if body.startswith(codecs.BOM_UTF8) else 0
    while position < len(body):
        if body[position : position + 1].isspace():
            position += 1
        elif body.startswith(b"<?", position):
            end = body.find(b"?>", position + 2)
            if end == -1:
                break
            position = end + 2
        elif body.startswith(b"<!--", position):
            end = body.find(b"-->", position + 4)
            if end == -1:
                break
            spans.append((position, end + 3))
            position = end + 3
        elif declaration := _DECLARATION.match(body, position):
            position = _declaration_end(body, position, declaration.group(1))
        else:
            break
    return spans


def _remove_declarations(body: bytes) -> tuple[bytes, int]:
    """Every declaration of ``_declarations`` cut out. One inside a comment of the prolog
    ("<!DOCTYPE" quoted in a comment, as feedparser's own fixtures do) is still cut
    (feedparser reads entity declarations before the root with a regex, comments or not)
    but never past the comment's end: cutting to the next ">" ate the "-->" and left the
    document an unclosed comment."""
    pieces, position, removed = [], 0, 0
    comments = _prolog_comments(body)
    for match in _declarations(body):
        if match.start() < position:
            continue
        pieces.append(body[position : match.start()])
        position = _declaration_end(body, match.start(), match.group(1))
        enclosing = next((end for start, end in comments if start < match.start() < end), None)
        if enclosing is not None:
            position = min(position, enclosing - 3)
        removed += 1
    pieces.append(body[position:])
    return b"".join(pieces), removed


def replace_invalid_character_references(body: bytes) -> tuple[bytes, int]:
    """``body`` with every numeric character reference to a code point XML 1.0 forbids
    (surrogates such as ``&#xD800;``, C0 controls, U+FFFE/U+FFFF, beyond U+10FFFF)
    replaced by ``&#xFFFD;``, and how many there were. feedparser's strict parser
    rejects such a document and its lenient one crashes encoding the character, so one
    bad reference would cost the whole feed."""
    count = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal count
        digits = match.group(1)
        try:
            code = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
        except ValueError:
            return match.group(0)
        if _xml_char(code):
            return match.group(0)
        count += 1
        return b"&#xFFFD;"

    return _CHARACTER_REFERENCE.sub(replace, body), count


def _xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def exceeds_depth(body: bytes, limit: int = MAX_ELEMENT_DEPTH) -> bool:
    """Whether elements nest deeper than ``limit`` (CDATA sections and comments skipped:
    HTML inside CDATA is text to the feed parser)."""
    depth, position, find = 0, 0, body.find
    while (start := find(b"<", position)) != -1:
        if body.startswith(b"<![CDATA[", start):
            end = find(b"]]>", start + 9)
            position = len(body) if end == -1 else end + 3
            continue
        if body.startswith(b"<!--", start):
            end = find(b"-->", start + 4)
            position = len(body) if end == -1 else end + 3
            continue
        close = find(b">", start)
        if close == -1:
            return False
        marker = body[start + 1 : start + 2]
        if marker == b"/":
            depth -= 1
        elif marker not in (b"!", b"?") and body[close - 1 : close] != b"/":
            depth += 1
            if depth > limit:
                return True
        position = close + 1
    return False


def defuse_xml(body: bytes) -> tuple[bytes, list[str]]:
    """``body`` without any DTD declaration, plus warnings saying what was changed.
    Raises ``UnsafeDocument`` for a document crafted to rebuild declarations."""
    warnings = []
    body, transcoded = to_utf8_if_wide(body)
    if transcoded:
        warnings.append("UTF-16/32 document transcoded to UTF-8 before parsing")
    total = 0
    for _ in range(_MAX_PASSES):
        body, removed = _remove_declarations(body)
        total += removed
        if not removed:
            break
    else:
        if next(_declarations(body), None) is not None:
            raise UnsafeDocument(
                "the document rebuilds DOCTYPE/ENTITY declarations each time they are removed; "
                "refused as hostile"
            )
    if exceeds_depth(body):
        raise UnsafeDocument(
            f"elements nest deeper than {MAX_ELEMENT_DEPTH} levels; no feed does that, refused as hostile"
        )
    if total:
        warnings.append(f"DOCTYPE/ENTITY declarations removed before parsing ({total})")
    return body, warnings


def hardened_parser(recover: bool = False) -> etree.XMLParser:
    """lxml set up for untrusted documents, to use after ``defuse_xml``: no network, no
    entity expansion, no DTD loading, no huge-tree mode (lxml's own depth and size limits
    stay on), comments and processing instructions dropped. ``recover`` keeps what can be
    read of a broken document (feed pages, sitemaps)."""
    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
