"""Hostile-input fuzzing of parse -> normalise -> enrich -> dedupe plan -> Arrow rows on a
small budget (a fixed count of inputs); ``make reliability`` runs the same on a large one.
No input may raise: one bad item must never fail a run. The budget is a count, not
seconds: a time budget made the test's outcome depend on the machine's load."""

from __future__ import annotations

import pytest
from fuzz import corpus_feeds, fuzz

# Small enough for every `make test`, large enough to reach every input kind; the
# seconds are only a safety net (the count is what is asserted).
INPUTS, SECONDS = 80, 100.0


@pytest.mark.timeout(300)
def test_no_hostile_input_fails_the_chain():
    if not corpus_feeds(64_000):
        pytest.skip("the shared corpus (../shared/corpus/feeds) is not next to this checkout")
    report = fuzz(seed=20261201, max_inputs=INPUTS, max_seconds=SECONDS, seed_max_bytes=64_000)
    assert report.failures == 0, report.examples
    # The budget was spent on real work: every kind of input, entries out the far end.
    assert report.inputs == INPUTS and set(report.by_kind) == {
        "random-bytes",
        "unicode-jsonfeed",
        "unicode-rss",
        "corpus-mutation",
    }
    assert report.entries > report.inputs
