"""The outlet-grouped reading of dev (benchmarks/furniture_cv.py): a phrase rule only one
outlet's pages fire is that outlet's, and leaving it out changes what the rules drop."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from furniture_cv import rule_support, without  # noqa: E402

from newswire.tasks.boilerplate import is_furniture, load_boilerplate  # noqa: E402
from newswire.tasks.evaluation import RealItem  # noqa: E402


def item(outlet: str, *lines: str) -> RealItem:
    return RealItem(
        id=f"en-{outlet}",
        url=f"https://{outlet}/a",
        outlet=outlet,
        feed_kind="outlet",
        language="en",
        script="Latn",
        title="",
        lines=(f"https://{outlet}/a", *lines),
        agency=None,
        agency_alt=frozenset(),
        cited=frozenset(),
        place=None,
        countries=frozenset(),
        primary=None,
        in_region=False,
        title_lines=frozenset(),
        furniture_lines=frozenset(),
        credit_lines=frozenset(),
    )


def test_a_rule_one_outlet_fires_is_that_outlets_and_goes_when_it_is_left_out():
    rules = load_boilerplate()
    items = [item("a.example", "Sponsored Content", "Advertisement"), item("b.example", "Advertisement")]
    support = rule_support(items, rules)
    lines = sorted(rules.lines)
    sponsored = ("lines", lines.index("sponsored content"))
    advert = ("lines", lines.index("advertisement"))
    assert support[sponsored] == {"a.example"} and support[advert] == {"a.example", "b.example"}
    fold = without(rules, {sponsored})
    assert not is_furniture("Sponsored Content", fold) and is_furniture("Advertisement", fold)
    assert is_furniture("Sponsored Content", rules)
