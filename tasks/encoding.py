"""Deciding what character encoding a fetched document is really in, before parsing.

feedparser trusts, in order, the HTTP charset, the XML declaration, then UTF-8 with a
Latin-1 fallback. Regional feeds break all three: a KOI8-R file with no declaration comes
out as "ëÁË ÐÅÒÅÖÉÔØ", a windows-1251 file declared as UTF-8 fails, and a UTF-8 file
declared as windows-1251 becomes "Ð¦Ð¸Ñ". ``to_utf8`` picks the decoding whose text does
not look like mojibake, re-encodes the document as UTF-8, and rewrites the declaration
and header so the parser cannot get it wrong again. The decision is recorded as a parse
warning when it overrode what the document said.
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from charset_normalizer import from_bytes

_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-16/32 documents (with or without BOM) are left to feedparser, which handles them.
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_XML_DECLARATION = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([A-Za-z0-9._:-]+)([\"'])", re.I)
_HTML_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
# Single-byte encodings the region's feeds actually use, tried when the declared one gives
# mojibake: Cyrillic (windows-1251, KOI8-R, DOS 866) and Western (windows-1252).
_FALLBACKS = ("windows-1251", "koi8-r", "windows-1252", "cp866")
# Codecs of scripts other than Latin and Cyrillic (CJK, Thai, Hebrew, Arabic, Greek). No
# single-byte Cyrillic fallback can tell their bytes from Russian: EUC-JP read as cp866
# or Hebrew read as windows-1251 is all letters in one script, so ``mojibake_score``
# calls it clean. The statistical detector does tell them apart (it scores language
# coherence), so when it names one of these and that decoding is clean, it wins.
_OTHER_SCRIPT_CODECS = frozenset(
    {
        "euc_jp",
        "euc_jis_2004",
        "euc_jisx0213",
        "shift_jis",
        "shift_jis_2004",
        "shift_jisx0213",
        "cp932",
        "iso2022_jp",
        "euc_kr",
        "cp949",
        "johab",
        "iso2022_kr",
        "gb2312",
        "gbk",
        "gb18030",
        "hz",
        "big5",
        "big5hkscs",
        "cp950",
        "tis-620",
        "cp874",
        "iso8859-11",
        "cp1255",
        "iso8859-8",
        "cp862",
        "cp1256",
        "iso8859-6",
    }
)
# Hebrew bytes read as windows-1251 are clean-looking lower-case Cyrillic, but made of
# й, щ and ъ (yod, shin and tav land there) a fifth of the time; in Russian, Kazakh or
# Kyrgyz text they are under 2 %. Text in capitals only is no real feed either.
_RARE_CYRILLIC = frozenset("йщъЙЩЪ")
_RARE_CYRILLIC_SHARE = 0.08
_MIN_CYRILLIC_LETTERS = 20
# A decoding is accepted when fewer than this share of its non-ASCII words look broken.
# Real text scores 0-2% (brand names in camel case); any mis-decoding scores above 30%.
MOJIBAKE_THRESHOLD = 0.1
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class EncodingDecision:
    body: bytes
    headers: dict[str, str]
    encoding: str | None
    # Set when the document's own statement (header, declaration) was wrong or missing.
    note: str | None = None


def codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None


def declared_encodings(body: bytes, headers: dict[str, str]) -> tuple[str | None, str | None]:
    """(HTTP header charset, in-document declaration: XML declaration or HTML meta charset),
    as given (maybe not a codec name)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    header = _HEADER_CHARSET.search(content_type)
    xml = _XML_DECLARATION.match(body[:512])
    meta = None if xml else _HTML_META_CHARSET.search(body[:4096])
    declared = xml.group(2) if xml else meta.group(1) if meta else None
    return header.group(1) if header else None, declared.decode("ascii") if declared else None


@lru_cache(maxsize=65_536)
def _suspicious(word: str) -> bool:
    # Cached: a batch repeats its words, and this per-letter test was a sixth of enrichment.
    # KOI8-R/windows-1251 read as the other one swaps case: "пЕРВАЯ".
    for previous, current in itertools.pairwise(word):
        if previous.islower() and current.isupper():
            return True
    # Cyrillic bytes read as Latin-1: words made only of accented Latin letters ("ÐÅÒÅÖÉÔØ").
    if len(word) >= 3 and all("\u00c0" <= ch <= "\u00ff" for ch in word):
        return True
    # Latin-1 read as Cyrillic ("inquйrito") or UTF-8 read as a code page ("Ð¦Ð¸") mixes
    # scripts inside one word.
    scripts = {_script(ch) for ch in word}
    return len(scripts) > 1 or any(ch in "ÃÂ" for ch in word)


# Japanese writes kanji, hiragana and katakana inside one word, Korean mixes hangul and
# hanja: for the mixed-script rule they are one script.
_EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HANGUL", "IDEOGRAPHIC"})


@lru_cache(maxsize=8_192)
def _script(ch: str) -> str:
    script = unicodedata.name(ch, "X").split()[0]
    return "CJK" if script in _EAST_ASIAN else script


def implausible_cyrillic(text: str) -> bool:
    """Whether ``text``, read in a Cyrillic code page, cannot be real Cyrillic prose."""
    letters = [ch for ch in text if "\u0400" <= ch <= "\u04ff" and ch.isalpha()]
    if len(letters) < _MIN_CYRILLIC_LETTERS:
        return False
    rare = sum(ch in _RARE_CYRILLIC for ch in letters)
    return rare / len(letters) > _RARE_CYRILLIC_SHARE or not any(ch.islower() for ch in letters)


_C1_CONTROL = re.compile("[\x80-\x9f]")


def mojibake_score(text: str) -> float:
    """Share of words with non-ASCII letters that look mis-decoded (0 = clean)."""
    words = [w for w in _WORD.findall(text) if not w.isascii()]
    if not words:
        return 0.0
    if _C1_CONTROL.search(text):  # C1 controls: wrong code page for sure
        return 1.0
    return sum(_suspicious(w) for w in words) / len(words)


def _decode(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _declare_utf8(body: bytes) -> bytes:
    return _XML_DECLARATION.sub(rb"\g<1>utf-8\g<3>", body, count=1)


def _utf8_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers saying charset=utf-8. feedparser reads a missing header or a charset-less
    text/xml as US-ASCII/Latin-1 (RFC 3023), so the decided charset is always stated."""
    fixed = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if not content_type:
        fixed["content-type"] = "application/xml; charset=utf-8"
    elif _HEADER_CHARSET.search(content_type):
        fixed["content-type"] = _HEADER_CHARSET.sub("charset=utf-8", content_type)
    else:
        fixed["content-type"] = f"{content_type}; charset=utf-8"
    return fixed


def to_utf8(body: bytes, headers: dict[str, str]) -> EncodingDecision:
    """The document as UTF-8 bytes with a matching declaration and header; UTF-16/32
    documents are returned unchanged (the parser decodes them itself)."""
    if body.startswith(_WIDE_BOMS) or b"\x00" in body[:8]:
        return EncodingDecision(body, headers, None)
    header, declaration = declared_encodings(body, headers)
    labelled = codec_name(header) or codec_name(declaration)
    stated = labelled
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM) :]
        stated = "utf-8"
    if _decode(body, "utf-8") is not None:
        # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says: no real
        # single-byte Cyrillic or Latin text is accidentally valid UTF-8.
        note = None
        if labelled not in (None, "utf-8", "ascii") and not body.isascii():
            note = f"declared {header or declaration} but the bytes are UTF-8; decoded as UTF-8"
        return EncodingDecision(_declare_utf8(body), _utf8_headers(headers), "utf-8", note)

    candidates: list[str] = []
    if stated and stated != "utf-8":
        candidates.append(stated)
    candidates += [name for name in _FALLBACKS if name not in candidates]
    # The statistical guess comes last: on short Latin-1 feeds it proposes Baltic or
    # Central European code pages that decode without errors but wrongly.
    matches = from_bytes(body[:200_000])
    best = matches.best()
    detected = codec_name(best.encoding) if best else None
    if detected in _OTHER_SCRIPT_CODECS and detected not in candidates:
        # After a stated encoding (trusted when clean), before the Cyrillic fallbacks.
        candidates.insert(1 if stated and stated != "utf-8" else 0, detected)
    elif detected and detected not in candidates:
        candidates.append(detected)
    # The detector's other readings in another script, for when every Cyrillic reading
    # turns out implausible (short Hebrew: the detector's best guess is windows-1251).
    for match in matches:
        name = codec_name(match.encoding)
        if name in _OTHER_SCRIPT_CODECS and name not in candidates:
            candidates.append(name)
    scored = []
    for position, encoding in enumerate(candidates):
        decoded = _decode(body, encoding)
        if decoded is not None:
            score = mojibake_score(decoded) + (1.0 if implausible_cyrillic(decoded) else 0.0)
            scored.append((score, position, encoding, decoded))
            if position == 0 and scored[0][0] < MOJIBAKE_THRESHOLD and stated:
                break  # the declared encoding gives clean text: trust it
            if encoding == detected in _OTHER_SCRIPT_CODECS and scored[-1][0] < MOJIBAKE_THRESHOLD:
                scored = [scored[-1]]
                break  # the detector's non-Cyrillic script decodes cleanly: take it
    if not scored:
        return EncodingDecision(body, headers, None, "no encoding decodes the bytes; parsed as given")
    _, _, encoding, decoded = min(scored)
    note = None
    if encoding != stated:
        said = f"declared {header or declaration}" if (header or declaration) else "no charset declared"
        note = f"{said}; the bytes decode cleanly as {encoding}, used that"
    return EncodingDecision(_declare_utf8(decoded.encode("utf-8")), _utf8_headers(headers), encoding, note)


# Code pages a UTF-8 text is typically misread through before being stored again as UTF-8
# ("Ð¦Ð¸Ñ‚Ð°Ñ‚Ð°", "РџСЂРµР·РёРґРµРЅС‚", "â€¦"): undoing the misreading restores it.
_DOUBLE_ENCODINGS = ("cp1252", "latin-1", "cp1251")


def _misread_bytes(text: str, encoding: str) -> bytes:
    """The bytes ``text`` was decoded from. Windows tools pass the bytes a code page leaves
    undefined (cp1252's 0x81, 0x8D, 0x8F, 0x90, 0x9D; cp1251's 0x98) through as C1
    controls, so those map back too."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode(encoding)
        except UnicodeEncodeError:
            out += ch.encode("latin-1")
    return bytes(out)


def repair_mojibake(text: str) -> str:
    """Text that is itself mojibake (UTF-8 decoded as a code page, then re-encoded) with the
    misreading undone; any other text unchanged. Only a repair that leaves clearly fewer
    broken-looking words is taken."""
    if not text or text.isascii():
        return text
    best, best_score = text, mojibake_score(text)
    if best_score < MOJIBAKE_THRESHOLD:
        return text
    for encoding in _DOUBLE_ENCODINGS:
        try:
            repaired = _misread_bytes(text, encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        score = mojibake_score(repaired)
        if score < best_score:
            best, best_score = repaired, score
    return best
