"""Exact literal prefilters for regular expressions Python's ``re`` cannot skip ahead on.

A case-insensitive pattern, or one that opens with a look-behind or ``.*``, is tried at
every position of the text: ``re`` has no literal prefix to jump to. Most paragraphs hold
none of the words such a pattern needs ("contributed", "generated from", an agency's name),
so a few substring tests on the folded paragraph answer "no match" far sooner.

``anchors(pattern)`` reads the parsed pattern and returns folded literal strings such that
every match contains at least one of them (``None`` when it cannot tell). ``Prefiltered``
runs the regex only when the folded text contains an anchor, so it answers exactly what
the regex answers.

Folding: ``re.IGNORECASE`` matches a text character to a pattern character when their
simple lower-case forms agree, or through extra pairs (ſ/s, Kelvin sign/k, ᲀ/в, ...).
``fold`` is ``str.casefold`` with dotless ı and dotted İ first made "i": then every two
characters ``re`` takes for the same letter fold to the same string
(tests/test_prefilter.py checks this for every code point), and a substring the regex
matches folds to a substring of the folded text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import product

from newswire.tasks.patterns import trie_pattern

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - older interpreters
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

# More alternatives than this are not multiplied out (the regex stays the test).
_MAX_STRINGS = 4000
# Up to this many anchors are tested one by one with ``in``; more, as one literal regex
# (a case-sensitive trie, which ``re`` skips through to its first letters: on the
# syndication notes' 18 anchors 0.03 s a pass against 0.05 s for 18 ``in`` tests).
_MAX_SUBSTRING_TESTS = 3


def fold(text: str) -> str:
    """The form both anchors and texts are compared in (see the module docstring)."""
    if text.isascii():
        return text.lower()
    return text.replace("İ", "i").replace("ı", "i").casefold()


def anchors(pattern: str | re.Pattern[str]) -> frozenset[str] | None:
    """Folded strings one of which every match of ``pattern`` contains, or ``None``."""
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    flags = pattern.flags if isinstance(pattern, re.Pattern) else 0
    _, found = _sequence(sre_parse.parse(source, flags))
    return frozenset(found) if found else None


def _sequence(items) -> tuple[set[str] | None, set[str] | None]:
    """(every string the sequence matches if there are few, else None; anchors or None)."""
    candidates: list[set[str]] = []
    current: set[str] | None = {""}
    whole = True
    for op, av in items:
        exact, inner = _item(op, av)
        if exact is not None and current is not None and len(current) * len(exact) <= _MAX_STRINGS:
            current = {a + b for a, b in product(current, exact)}
            continue
        if exact is not None:  # too many to multiply: start a new run
            candidates.append(current)
            current = exact
            whole = False
            continue
        candidates.append(current)
        if inner:
            candidates.append(inner)
        current = {""}
        whole = False
    candidates.append(current)
    return (current if whole else None), _best(candidates)


def _item(op, av) -> tuple[set[str] | None, set[str] | None]:
    c = sre_constants
    if op is c.LITERAL:
        return {fold(chr(av))}, None
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # zero-width: consumes nothing
        return {""}, None
    if op is c.SUBPATTERN:
        return _sequence(av[-1])
    if getattr(c, "ATOMIC_GROUP", None) is not None and op is c.ATOMIC_GROUP:
        return _sequence(av)
    if op is c.BRANCH:
        results = [_sequence(branch) for branch in av[1]]
        exact: set[str] | None = set()
        for branch_exact, _ in results:
            if branch_exact is None or exact is None or len(exact) + len(branch_exact) > _MAX_STRINGS:
                exact = None
                break
            exact |= branch_exact
        if exact is not None:
            return exact, None
        union: set[str] = set()
        for branch_exact, branch_anchors in results:
            best = _best([s for s in (branch_exact, branch_anchors) if s])
            if best is None:
                return None, None
            union |= best
        return None, union
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
        low, high, body = av
        if low == high == 1:
            return _sequence(body)
        if low >= 1:
            body_exact, body_anchors = _sequence(body)
            return None, _best([s for s in (body_exact, body_anchors) if s])
        return None, None
    return None, None


def _best(candidates: list[set[str] | None]) -> set[str] | None:
    """The most selective anchor set: longest shortest string, then fewest strings."""
    usable = [s for s in candidates if s and "" not in s]
    if not usable:
        return None
    return max(usable, key=lambda s: (min(12, min(map(len, s))), -len(s)))


class Prefiltered:
    """A compiled pattern that looks for its anchors before running (same answers)."""

    __slots__ = ("_few", "_scan", "anchors", "regex")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.anchors = anchors(regex)
        self._few: tuple[str, ...] | None = None
        self._scan: re.Pattern[str] | None = None
        if self.anchors is not None:
            ordered = tuple(sorted(self.anchors, key=len))
            if len(ordered) <= _MAX_SUBSTRING_TESTS:
                self._few = ordered
            else:
                self._scan = re.compile(trie_pattern(ordered, fold_case=False))

    @property
    def pattern(self) -> str:
        return self.regex.pattern

    def may_match(self, text: str) -> bool:
        """False only when the regex cannot match anywhere in ``text``."""
        if self._few is not None:
            folded = fold(text)
            return any(a in folded for a in self._few)
        if self._scan is not None:
            return self._scan.search(fold(text)) is not None
        return True

    def search(self, text: str, *span: int) -> re.Match[str] | None:
        return self.regex.search(text, *span) if self.may_match(text) else None

    def match(self, text: str, *span: int) -> re.Match[str] | None:
        return self.regex.match(text, *span) if self.may_match(text) else None

    def fullmatch(self, text: str, *span: int) -> re.Match[str] | None:
        return self.regex.fullmatch(text, *span) if self.may_match(text) else None

    def finditer(self, text: str, *span: int) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text, *span) if self.may_match(text) else iter(())


def prefiltered(regex: re.Pattern[str]) -> Prefiltered | re.Pattern[str]:
    """``regex`` behind its prefilter, or ``regex`` itself when it has no anchors."""
    wrapped = Prefiltered(regex)
    return wrapped if wrapped.anchors is not None else regex
