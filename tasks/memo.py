"""Bounded memos for the pure per-paragraph tests of enrichment.

Furniture removal, attribution and the dateline reader ask the same questions about the
same paragraphs: is it a caption, a credit line, a byline (a paragraph is looked at three
or four times per entry, benchmarks/enrich_speed.py), and an outlet prints its footer
under every item. The answers depend on the text and the batch's rules only, so each
distinct question is answered once while it is recent.

The rules (``AgencyRules``, ``Gazetteer``) hold dicts and cannot be hashed: ``Same`` keys
them by identity, which is all a memo needs (a batch builds its rules once; equal rules
built twice only miss the memo).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

Result = TypeVar("Result")

# Distinct paragraphs remembered per test: a batch's recent items and an outlet's
# furniture lines, a few MB of text at most.
PARAGRAPH_MEMO_SIZE = 8192


class Same:
    """A cache key for an unhashable object (a gazetteer): equal only to a key of the same object."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.value is self.value


def per_rules(
    maxsize: int = PARAGRAPH_MEMO_SIZE, fresh: Callable[[Result], Result] | None = None
) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Memoise ``function(text, rules)`` by the text and the rules' identity. ``fresh``
    makes each caller its own copy of a mutable result (else the result is shared)."""

    def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
        @lru_cache(maxsize=maxsize)
        def remembered(text: str, rules: Same) -> Result:
            return function(text, rules.value)

        @wraps(function)
        def memoised(text: str, rules: object) -> Result:
            found = remembered(text, Same(rules))
            return found if fresh is None else fresh(found)

        memoised.cache_clear = remembered.cache_clear  # type: ignore[attr-defined]
        return memoised

    return decorate
