"""Fit the primary-country model's weights (tasks/primary.py) on the real-page dev part.

    .venv/bin/python benchmarks/fit_primary.py [--l2 0.1] [--part tests/fixtures/real/enrich/dev]

Enriches every item of the part as ``newswire enrich --score`` does (its outlet's other
items as history), reads the evidence the model sees (countries of the clean title, text
and dateline, the outlet's home country), fits a conditional logit (softmax over each
item's candidate countries, L2-penalised) and prints:

- the accuracy with the weights in tasks/primary.py and with the fitted ones, on the part;
- the leave-one-outlet-out accuracy: for each outlet, weights fitted on the other outlets'
  items, scored on its own, so a weight that only learnt one outlet's habits shows;
- the fitted weights as a Python literal; ``--write`` puts them into tasks/primary.py.

Only a development part may be fitted on: a held-out part (tasks/evaluation.py,
``is_held_out``) is refused.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newswire.tasks.enrich import EnrichmentRules  # noqa: E402
from newswire.tasks.evaluation import (  # noqa: E402
    enrich_real_item,
    is_held_out,
    load_real_part,
    outlet_histories,
    real_feed,
)
from newswire.tasks.primary import FEATURES, WEIGHTS, candidate_features, outlet_home  # noqa: E402
from newswire.tasks.tag import primary_evidence  # noqa: E402

DEV = ROOT / "tests" / "fixtures" / "real" / "enrich" / "dev"


class Item:
    """One labelled item as the model sees it: candidate codes, their features, the label."""

    def __init__(
        self,
        id: str,
        outlet: str,
        codes: list[str],
        matrix: np.ndarray,
        label: str | None,
        regional: list[bool],
    ):
        self.id = id
        self.outlet = outlet
        self.codes = codes
        self.matrix = matrix
        self.label = label
        self.regional = regional
        self.target = codes.index(label) if label in codes else -1


def load_items(part: Path, rules: EnrichmentRules) -> list[Item]:
    labelled = load_real_part(part)
    histories = outlet_histories(labelled)
    items = []
    for item in labelled:
        entry = enrich_real_item(item, rules, histories)
        feed = real_feed(item)
        home = outlet_home(feed.country, entry.url, rules.gazetteer.countries)
        evidence = primary_evidence(
            entry.title,
            entry.body or entry.summary,
            rules.gazetteer,
            entry.enrichment.get("dateline_place"),
            home,
        )
        features = candidate_features(evidence)
        codes = list(features)
        matrix = np.array([features[c] for c in codes], dtype=float).reshape(len(codes), len(FEATURES))
        items.append(
            Item(item.id, item.outlet, codes, matrix, item.primary, [c in evidence.in_region for c in codes])
        )
    return items


def predict(item: Item, weights: np.ndarray) -> str | None:
    if not item.codes:
        return None
    scores = item.matrix @ weights
    order = sorted(range(len(item.codes)), key=lambda i: (-scores[i], not item.regional[i], item.codes[i]))
    return item.codes[order[0]]


def accuracy(items: list[Item], weights: np.ndarray) -> float:
    return sum(predict(item, weights) == item.label for item in items) / len(items)


def fit(items: list[Item], l2: float, steps: int = 30) -> np.ndarray:
    """Conditional logit by Newton's method: maximise sum_i log softmax(X_i w)[y_i] / n
    - l2 |w|^2 over the items whose label is among their candidates and that have a choice
    (an item with one candidate teaches nothing)."""
    usable = [item for item in items if item.target >= 0 and len(item.codes) > 1]
    if not usable:
        return np.zeros(items[0].matrix.shape[1] if items else len(FEATURES))
    matrix = np.vstack([item.matrix for item in usable])
    starts = np.cumsum([0] + [len(item.codes) for item in usable])[:-1]
    groups = np.repeat(np.arange(len(usable)), [len(item.codes) for item in usable])
    chosen = matrix[starts + np.array([item.target for item in usable])].sum(axis=0)
    n, width = matrix.shape[0] and len(usable), matrix.shape[1]
    weights = np.zeros(width)
    for _ in range(steps):
        scores = matrix @ weights
        scores -= np.maximum.reduceat(scores, starts)[groups]
        e = np.exp(scores)
        p = e / np.add.reduceat(e, starts)[groups]
        mean = np.add.reduceat(p[:, None] * matrix, starts)  # per item, expected features
        gradient = (chosen - mean.sum(axis=0)) / n - 2 * l2 * weights
        hessian = -((matrix * p[:, None]).T @ matrix - mean.T @ mean) / n - 2 * l2 * np.eye(width)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", type=Path, default=DEV)
    parser.add_argument("--l2", type=float, default=0.01)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--write", action="store_true", help="write the fitted weights into tasks/primary.py")
    args = parser.parse_args()
    if is_held_out(args.part.name):
        sys.exit(f"{args.part} is a held-out part: fit on a development part only")
    rules = EnrichmentRules.load()
    items = load_items(args.part, rules)
    current = np.array([WEIGHTS.get(name, 0.0) for name in FEATURES])
    weights = fit(items, args.l2, args.steps)
    reachable = sum(item.label in item.codes or item.label is None for item in items)
    print(f"items {len(items)}, label among the candidates (or none) {reachable}")
    print(f"accuracy, weights in tasks/primary.py: {accuracy(items, current):.3f}")
    print(f"accuracy, fitted on the whole part:    {accuracy(items, weights):.3f}")
    by_outlet: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_outlet[item.outlet].append(item)
    right = 0
    for outlet, own in by_outlet.items():
        others = [item for item in items if item.outlet != outlet]
        fold_weights = fit(others, args.l2, args.steps)
        right += sum(predict(item, fold_weights) == item.label for item in own)
    print(f"leave-one-outlet-out accuracy ({len(by_outlet)} outlets): {right / len(items):.3f}")
    literal = (
        "WEIGHTS: dict[str, float] = {\n"
        + "".join(f'    "{name}": {value:.3f},\n' for name, value in zip(FEATURES, weights, strict=True))
        + "}\n"
    )
    print(literal, end="")
    if args.write:
        module = ROOT / "tasks" / "primary.py"
        source = module.read_text(encoding="utf-8")
        start = source.index("WEIGHTS: dict[str, float] = {")
        end = source.index("}\n", start) + 2
        module.write_text(source[:start] + literal + source[end:], encoding="utf-8")
        print(f"written to {module.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
