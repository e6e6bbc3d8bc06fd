"""The actor a headline reports (tasks/tag.py, headline_actor): the corpus's rule for the
primary country of visits, meetings, calls and agreements reads it, and the
primary-country model takes it as a feature."""

from __future__ import annotations

import pytest

from newswire.tasks.tag import first_sentence, headline_actor, load_gazetteer

CASES = [
    # the subject, named by surname (feeds/people.toml)
    ("Mirziyoyev receives Volodin", "UZ"),
    ("Volodin arrives in Tashkent", "RU"),
    ("Xi meets Tokayev", "CN"),
    ("Gül goes to Kyrgyzstan", "TR"),
    # Russian and Turkish case forms of the object do not make it the subject
    ("Мирзиёев принял Володина", "UZ"),
    ("Эрдоган прибыл с визитом в Туркменистан", "TR"),
    ("Cumhurbaşkanı Erdoğan, Mirziyoyev'i karşıladı", "TR"),
    # a joint subject: the first named
    ("Uzbekistan and Russia sign agreement", "UZ"),
    # a place as the actor; a name after a preposition is the place of the event
    ("Ashgabat to Host Turkmen-Kyrgyz Summit Talks on August 23", "TM"),
    ("In Tashkent, Putin says", "RU"),
    ("At a conference hosted by Turkey in Istanbul, President Berdymukhamedov joined leaders", "TM"),
    # a Kyrgyz dative ending is "to Moscow"
    ("Мурдагы президент Аскар Акаев бүгүн Москвага учуп кетти.", "KG"),
    # the speaker named at the end
    ("China, Kazakhstan continuously deepen all-round cooperation: Kazakh FM", "KZ"),
    ("Moscow Hopes For Stabilization In Kyrgyzstan - Peskov", "RU"),
    # hyphenated compounds are modifiers; with no actor, the place of the event
    ("Construction of China-Kyrgyzstan-Uzbekistan railway discussed in Bishkek", "KG"),
    ("Xi's Central Asia trip pushes for China's stronger bond", "CN"),
    # "from" gives the actor's origin, not the place of the event
    ("Foreign Ministers from Kazakhstan, Turkmenistan will arrive in New Delhi", "KZ"),
    # a name after "with" (or before a Turkic "with") is the partner, not the actor
    ("Clashes with Tajikistan kill two dozen on Kyrgyzstan side", "KG"),
    ("Переговоры с Таджикистаном провела делегация Кыргызстана", "KG"),
    ("Rossiya bilan muzokaralarda O'zbekiston delegatsiyasi qatnashdi", "UZ"),
    # only a partner named: the partner, as the first named was before
    ("Foreign minister pursues closer ties with Uzbekistan", "UZ"),
    # Azerbaijani writes a name's e as ə
    ("Ərdoğan Özbəkistanda səfərdədir", "TR"),
    # no country, no person
    ("The summit opened with a minute of silence", None),
]


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.mark.parametrize(("headline", "actor"), CASES, ids=[c[0][:40] for c in CASES])
def test_headline_actor(gazetteer, headline, actor):
    assert headline_actor(headline, gazetteer.profile(headline, 0), gazetteer) == actor


def test_a_person_is_no_tag(gazetteer):
    """feeds/people.toml finds the actor and tags nothing: a foreign minister named alone
    is no mention of his country."""
    assert not gazetteer.profile("Volodin arrives", 0).counts


def test_uzbek_chairman_is_not_irans_president(gazetteer):
    headline = "Senat Raisi Tanzila Narbayeva Bishkekda"
    assert headline_actor(headline, gazetteer.profile(headline, 0), gazetteer) == "UZ"


def test_first_sentence_skips_the_date_marker_and_the_dateline():
    text = "date 2025-08-18 ALMATY, Oct 6 (Reuters) - Kazakh President Tokayev said. Then more."
    assert first_sentence(text) == "Kazakh President Tokayev said."
