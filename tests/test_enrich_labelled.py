"""Attribution and region tagging scored on the labelled sets (issue targets: attribution
precision >= 0.98, country precision >= 0.95 and recall >= 0.9). The table is printed;
run with ``-s`` to see it."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.tasks.enrich import EnrichmentRules
from newswire.tasks.evaluation import load_labelled, score_labelled

FIXTURES = Path(__file__).parent / "fixtures" / "enrich"


@pytest.mark.parametrize("name", ["labelled", "holdout"])
def test_labelled_set_meets_the_targets(name):
    items = load_labelled(FIXTURES / name)
    assert len(items) >= (60 if name == "labelled" else 15)
    languages = {item.language for item in items}
    assert languages == {"en", "ru"}
    assert any(not item.countries for item in items)  # stories with no regional country
    scores = score_labelled(items, EnrichmentRules.load())
    print(f"\n{name}: {scores.items} items")
    for measure, precision, recall, counts in scores.table():
        print(f"  {measure:28} P={precision:6} R={recall:6} {counts}")
    for mistake in scores.mistakes:
        print("  miss:", mistake)
    assert scores.attribution.precision >= 0.98
    assert scores.countries.precision >= 0.95
    assert scores.countries.recall >= 0.9
