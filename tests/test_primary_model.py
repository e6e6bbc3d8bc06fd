"""The primary-country model (tasks/primary.py) and its fitting script (benchmarks/fit_primary.py):
features read off a page, the ranking, and a fit that learns weights which separate
labelled candidates, refusing a held-out part."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from newswire.tasks.primary import FEATURES, WEIGHTS, candidate_features, rank_countries
from newswire.tasks.tag import load_gazetteer, primary_evidence

REPO_ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("fit_primary", REPO_ROOT / "benchmarks" / "fit_primary.py")
fit_primary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fit_primary)


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def test_every_feature_has_a_weight():
    assert set(WEIGHTS) == set(FEATURES)


def test_features_say_where_and_how_often_a_country_is_named(gazetteer):
    evidence = primary_evidence(
        "Kazakhstan seeks partnership with China",
        "China and Kazakhstan signed a deal. China will build a plant.",
        gazetteer,
        dateline="Beijing",
        home="KZ",
    )
    features = {
        code: dict(zip(FEATURES, values, strict=True))
        for code, values in candidate_features(evidence).items()
    }
    assert set(features) == {"KZ", "CN"}
    kz, cn = features["KZ"], features["CN"]
    assert kz["first_in_title"] == 1.0 and cn["first_in_title"] == 0.0
    assert cn["first_in_text"] == 1.0 and cn["most_named"] == 1.0 and kz["most_named"] == 0.0
    assert cn["dateline"] == 1.0 and kz["home"] == 1.0 and kz["in_region"] == 1.0
    assert cn["early"] == 1.0 and 0.0 < kz["early"] < 1.0
    assert cn["text_share"] == pytest.approx(2 / 3)


def test_ranking_breaks_ties_for_the_region_then_by_code(gazetteer):
    evidence = primary_evidence("", "Russia and Kyrgyzstan", gazetteer)
    zero = dict.fromkeys(FEATURES, 0.0)
    assert [code for code, _ in rank_countries(evidence, zero)] == ["KG", "RU"]


def test_the_fit_learns_weights_that_pick_the_labelled_candidate():
    """Synthetic items whose label is always the candidate with feature 0 set and never the
    one with feature 1: the fitted weights rank them so, and the fold figure agrees."""
    rng = np.random.default_rng(7)
    items = []
    for n in range(40):
        width = len(FEATURES)
        right, wrong = rng.random(width) * 0.1, rng.random(width) * 0.1
        right[0], wrong[1] = 1.0, 1.0
        matrix = np.vstack([wrong, right])
        items.append(
            fit_primary.Item(f"x-{n}", f"outlet-{n % 5}", ["AA", "BB"], matrix, "BB", [False, False])
        )
    weights = fit_primary.fit(items, l2=0.01)
    assert weights[0] > 0 > weights[1]
    assert fit_primary.accuracy(items, weights) == 1.0


def test_the_fitting_script_refuses_a_held_out_part(monkeypatch, tmp_path):
    monkeypatch.setattr("sys.argv", ["fit_primary.py", "--part", str(tmp_path / "heldout2")])
    with pytest.raises(SystemExit, match="held-out"):
        fit_primary.main()


@pytest.mark.parametrize(
    ("title", "actor", "event"),
    [
        ("Путин: Люблю Алматы", "RU", True),
        ("Tokayev: Kazakhstan and Russia will grow closer", "KZ", True),
        # a colon after a topic, not a speaker: no statement
        ("Belt and Road: path of development of China and Kazakhstan", "CN", False),
    ],
)
def test_a_headline_opening_with_its_speaker_is_a_statement(gazetteer, title, actor, event):
    evidence = primary_evidence(title, "Some text.", gazetteer)
    assert (evidence.title_actor, evidence.title_event) == (actor, event)
