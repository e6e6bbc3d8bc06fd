"""The acceptance thresholds of near-duplicate clustering on the labelled set of
benchmarks/dedupe_eval.py (real corpus items, syndication variants, hard negatives), run
through the production path (plan_stories against a real warehouse)."""

from __future__ import annotations

import importlib.util
import sys

from conftest import REPO_ROOT

_spec = importlib.util.spec_from_file_location("dedupe_eval", REPO_ROOT / "benchmarks" / "dedupe_eval.py")
dedupe_eval = importlib.util.module_from_spec(_spec)
sys.modules["dedupe_eval"] = dedupe_eval  # dataclasses look their module up
_spec.loader.exec_module(dedupe_eval)


def test_labelled_set_meets_the_quality_thresholds(tmp_path):
    report = dedupe_eval.evaluate_quality(tmp_path / "data")
    details = "\n".join(report.errors[:20])
    assert report.items > 1000
    assert report.precision >= 0.99, details
    assert report.recall >= 0.95, details
    assert report.by_kind["truncate-30"]["recall"] >= 0.9, details
    assert report.hard_negative_pairs > 100
    assert report.hard_negative_merges == 0, details
    # Every copy of a same-template report that was syndicated joined its own day's report.
    assert report.by_kind["template-copy"]["recall"] == 1.0, details
