"""How much of the dev figures is outlet-specific: an outlet-grouped (leave-one-outlet-out)
reading of the real corpus's dev part.

    .venv/bin/python benchmarks/furniture_cv.py [--part tests/fixtures/real/enrich/dev] [--json]

Why: dev's furniture figure improved pass after pass while the held-out parts barely moved
(the phrase rules were written for dev's outlets, and dev has many items per outlet, so the
outlet history finds most of their furniture, while the held-out parts have about one item
per outlet). The rules are written by hand, not trained, so "leaving an outlet out" means:
each outlet's items are scored with the phrase rules of feeds/boilerplate.toml that fire on
the pages of *no other* dev outlet taken out (a rule only that outlet supports was fitted to
it), and without the outlet history (a held-out page has no sibling items to learn from).
Three figures per measure, pooled over every outlet's items:

- ``dev``: as ``newswire enrich --score`` reads it (all rules, history of the part);
- ``grouped``: the outlet's own rules out, history kept;
- ``grouped, no history``: the outlet's own rules out and no history — the development
  signal, the closest dev comes to a held-out page.

Only dev parts are read (a held-out part is refused): counts, never an item's text.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newswire.tasks.boilerplate import BoilerplateRules, split_paragraphs  # noqa: E402
from newswire.tasks.enrich import EnrichmentRules  # noqa: E402
from newswire.tasks.evaluation import (  # noqa: E402
    RealItem,
    RealScores,
    is_held_out,
    load_real_part,
    score_real,
)

DEV = ROOT / "tests" / "fixtures" / "real" / "enrich" / "dev"


def rule_support(items: list[RealItem], rules: BoilerplateRules) -> dict[tuple[str, int], set[str]]:
    """For every phrase rule (kind, index), the outlets on whose pages it fires."""
    support: dict[tuple[str, int], set[str]] = {}
    lines = sorted(rules.lines)
    for item in items:
        paragraphs = split_paragraphs(item.text)
        folded = {p.casefold() for p in paragraphs}
        for index, line in enumerate(lines):
            if line in folded:
                support.setdefault(("lines", index), set()).add(item.outlet)
        for kind in ("patterns", "cut_from", "inline"):
            for index, pattern in enumerate(getattr(rules, kind)):
                test = pattern.search if kind == "inline" else pattern.fullmatch
                if any(test(p) for p in paragraphs):
                    support.setdefault((kind, index), set()).add(item.outlet)
    return support


def _any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns) or "(?!)", re.IGNORECASE)


def without(rules: BoilerplateRules, removed: set[tuple[str, int]]) -> BoilerplateRules:
    """The phrase rules less ``removed`` (kind, index) entries."""
    lines = sorted(rules.lines)
    kept = {
        kind: tuple(p for i, p in enumerate(getattr(rules, kind)) if (kind, i) not in removed)
        for kind in ("patterns", "cut_from", "inline")
    }
    return replace(
        rules,
        lines=frozenset(line for i, line in enumerate(lines) if ("lines", i) not in removed),
        patterns=kept["patterns"],
        cut_from=kept["cut_from"],
        inline=kept["inline"],
        any_pattern=_any_of(kept["patterns"]),
        any_cut_from=_any_of(kept["cut_from"]),
        any_inline=_any_of(kept["inline"]),
    )


def _pool(results: list[RealScores], part: str) -> RealScores:
    """One score of several, the counts added up."""
    pooled = RealScores(part=part)
    for result in results:
        pooled.items += result.items
        for name in ("agency", "cited", "dateline", "countries"):
            mine, theirs = getattr(pooled, name), getattr(result, name)
            mine.true_positive += theirs.true_positive
            mine.false_positive += theirs.false_positive
            mine.false_negative += theirs.false_negative
        for name in ("furniture_left", "article_cut", "credit_left"):
            mine, theirs = getattr(pooled, name), getattr(result, name)
            mine.total += theirs.total
            mine.counted += theirs.counted
        for name in ("false_datelines", "primary_correct", "in_region_correct"):
            setattr(pooled, name, getattr(pooled, name) + getattr(result, name))
        pooled.seconds += result.seconds
        pooled.mistakes += result.mistakes
    return pooled


def grouped_scores(
    items: list[RealItem], rules: EnrichmentRules, use_history: bool
) -> tuple[RealScores, int]:
    """Every outlet's items scored without the phrase rules only that outlet supports;
    also how many rules were outlet-specific."""
    support = rule_support(items, rules.boilerplate)
    own: dict[str, set[tuple[str, int]]] = {}
    for key, outlets in support.items():
        if len(outlets) == 1:
            own.setdefault(next(iter(outlets)), set()).add(key)
    by_rules: dict[frozenset[tuple[str, int]], list[RealItem]] = {}
    for item in items:
        by_rules.setdefault(frozenset(own.get(item.outlet, ())), []).append(item)
    results = []
    for removed, group in by_rules.items():
        fold_rules = (
            replace(rules, boilerplate=without(rules.boilerplate, set(removed))) if removed else rules
        )
        # History is per outlet: scoring a group of whole outlets keeps each item's history.
        results.append(score_real(group, fold_rules, "grouped", use_history=use_history))
    return _pool(results, "grouped"), sum(len(keys) for keys in own.values())


FIGURES = (
    "furniture_left_share",
    "article_cut_share",
    "credit_left_share",
    "country_precision",
    "country_recall",
    "primary_accuracy",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", type=Path, default=DEV)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--mistakes", action="store_true", help="list the line misses of the grouped, no-history reading"
    )
    args = parser.parse_args()
    if is_held_out(args.part.name):
        parser.error(f"{args.part.name} is held out: it is scored as aggregates by the scorer, never here")
    rules = EnrichmentRules.load()
    items = load_real_part(args.part)
    plain = score_real(items, rules, "dev")
    grouped, specific = grouped_scores(items, rules, use_history=True)
    bare, _ = grouped_scores(items, rules, use_history=False)
    report = {
        "items": len(items),
        "outlets": len({i.outlet for i in items}),
        "outlet_specific_rules": specific,
        "furniture_lines": plain.furniture_left.total,
        "article_lines": plain.article_cut.total,
        **{
            name: {key: s.measures()[key] for key in FIGURES}
            for name, s in (("dev", plain), ("grouped", grouped), ("grouped_no_history", bare))
        },
        "counts": {
            name: {"furniture_left": s.furniture_left.counted, "article_cut": s.article_cut.counted}
            for name, s in (("dev", plain), ("grouped", grouped), ("grouped_no_history", bare))
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    if args.mistakes:
        for mistake in bare.mistakes:
            if " line " in mistake:
                print(f"  miss: {mistake}")
    print(
        f"{report['items']} items, {report['outlets']} outlets, {specific} phrase rules fire on one "
        f"outlet only; {report['furniture_lines']} furniture, {report['article_lines']} article lines"
    )
    print(f"{'measure':24} {'dev':>8} {'grouped':>8} {'grouped, no history':>20}")
    for key in FIGURES:
        values = [report[name][key] for name in ("dev", "grouped", "grouped_no_history")]
        print(f"{key:24} {values[0]:8.3f} {values[1]:8.3f} {values[2]:20.3f}")


if __name__ == "__main__":
    main()
