"""Text -> the set of word shingles near-duplicate matching compares.

Tokenisation is script-agnostic: ``tasks.text.comparison_form`` (NFKC, casefold, curly
quotes and dashes folded, words = Unicode ``\\w`` runs) works the same for Latin, Cyrillic
and Uzbek Latin, so "MOSCOW (Reuters) – “good result”" and "MOSCOW: - \\"good result\\""
give the same words. Shingles are overlapping runs of ``SHINGLE_WORDS`` words, hashed to
32 bits (CRC-32: stable across processes, unlike ``hash()``, and C-fast).
"""

from __future__ import annotations

import re
import zlib

from newswire.tasks.text import comparison_form

# Three-word shingles: one word is too common to be evidence (two copies of any two Russian
# news items share most words), five words make a one-word edit ("MOSCOW:" for "MOSCOW
# (Reuters) -") cost five shingles. Three is what the NEWS-COPY wire-reprint work found robust.
SHINGLE_WORDS = 3

# Wire-update and source markers that say nothing about the story's content. Stripped from
# titles before they are compared: "UPDATE 1-Putin urges..." and "Putin urges... - Reuters"
# are the same headline.
_TITLE_PREFIX = re.compile(
    r"^\s*(?:(?:update|refile|corrected|correction|rpt|repeat|wrapup|exclusive)\s*\d*\s*[-:–—]\s*)+",
    re.IGNORECASE,
)
_TITLE_SOURCE_SUFFIX = re.compile(r"\s+[-–—|]\s+[^-–—|]{2,40}$")


def words(text: str) -> list[str]:
    return comparison_form(text).split()


def shingle_hashes(text: str, size: int = SHINGLE_WORDS) -> list[int]:
    """Distinct 32-bit hashes of the ``size``-word shingles of ``text``; a text shorter
    than one shingle is one shingle of all its words (a headline-only item still has one)."""
    tokens = words(text)
    if not tokens:
        return []
    if len(tokens) <= size:
        return [zlib.crc32(" ".join(tokens).encode("utf-8"))]
    grams = {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}
    return [zlib.crc32(gram.encode("utf-8")) for gram in grams]


def normalised_title(title: str) -> str:
    """The headline in comparison form without update prefixes and a trailing " - Source"
    (aggregators such as Google News append the outlet's name)."""
    title = _TITLE_PREFIX.sub("", title or "")
    stripped = _TITLE_SOURCE_SUFFIX.sub("", title)
    # Only a suffix after a real headline is a source name, never half of the headline.
    if len(stripped.split()) >= 4:
        title = stripped
    return comparison_form(title)


_UPDATE_NUMBER = re.compile(r"^\s*update\s*(\d+)", re.IGNORECASE)


def update_level(title: str) -> int:
    """0 for a first version; n for "UPDATE n-"; 1 for "REFILE-" / "CORRECTED-" and the
    like: later versions of a wire story rank first as its representative."""
    match = _TITLE_PREFIX.match(title or "")
    if not match:
        return 0
    number = _UPDATE_NUMBER.match(title)
    return int(number.group(1)) if number else 1


def is_wire_update(title: str) -> bool:
    """An "UPDATE 2-" / "REFILE-" / "CORRECTED-" title: a new version of a wire story."""
    return bool(_TITLE_PREFIX.match(title or ""))
