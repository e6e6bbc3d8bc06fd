"""Regular expressions for long lists of names (agency aliases, month names).

Python's ``re`` tries the branches of ``a|b|c`` one after the other at every position, so
an alternation of 400 agency aliases costs 400 attempts per character of text. The same
names as a trie ("Inter(?:fax(?:-Kazakhstan)?|pressnews)") share their prefixes and fail
after a character or two; matching is the same, longest name first.
"""

from __future__ import annotations

import re


def trie_pattern(names: list[str] | set[str] | tuple[str, ...], fold_case: bool = True) -> str:
    """A regular expression matching any of ``names`` (longest first), spaces inside a
    name matching any whitespace. ``fold_case``: build the trie on case-folded keys (the
    caller wraps it in ``(?i:...)``)."""
    trie: dict = {}
    for name in names:
        if not name:
            continue
        node = trie
        for ch in name.casefold() if fold_case else name:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _render(trie) or "(?!)"


def _render(node: dict) -> str:
    ends = "" in node
    branches = []
    for ch in sorted(k for k in node if k):
        piece = r"\s+" if ch == " " else re.escape(ch)
        branches.append(piece + _render(node[ch]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        # Longest first: the longer continuation is tried before ending here.
        return f"(?:{body})?"
    return body
