"""NITF (the IPTC's article markup) inside NewsML-G2 ``inlineXML`` or a ninjs body: the
story is ``body.content``; ``body.head`` repeats the headline and byline."""

from __future__ import annotations

from lxml import etree

from newswire.tasks.formats.xml_tree import descendants, paragraphs_html, parse_xml, text_of


def nitf_body(nitf: etree._Element) -> str:
    contents = descendants(nitf, "body.content")
    return "".join(paragraphs_html(content) for content in contents)


def nitf_byline(nitf: etree._Element) -> str | None:
    bylines = descendants(nitf, "byline")
    return text_of(bylines[0]) if bylines else None


def nitf_body_html(markup: str) -> str:
    """An NITF document given as a string (ninjs ``bodies``); '' when it is not XML."""
    try:
        return nitf_body(parse_xml(markup))
    except etree.XMLSyntaxError:
        return ""
