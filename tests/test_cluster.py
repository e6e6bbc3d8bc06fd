"""Focused tests of the pure near-duplicate stages: tokenisation, MinHash, verification."""

from __future__ import annotations

import numpy as np

from conftest import SEED_PAGE
from newswire.tasks import minhash
from newswire.tasks.cluster import load_policy, match_score, profile_of
from newswire.tasks.shingles import is_wire_update, normalised_title, shingle_hashes

POLICY = load_policy()


def _seed_paragraphs() -> list[str]:
    text = SEED_PAGE.read_text(encoding="utf-8")
    body = text.split("MOSCOW (Reuters)", 1)[1].split("(Reporting by", 1)[0]
    return [p.strip() for p in ("MOSCOW (Reuters)" + body).split("\n\n") if p.strip()]


def test_typography_and_script_do_not_change_shingles():
    curly = "MOSCOW – Putin called it a “good result” at the summit’s end"
    straight = 'MOSCOW - Putin called it a "good result" at the summit\'s end'
    assert set(shingle_hashes(curly)) == set(shingle_hashes(straight))
    cyrillic = shingle_hashes("ДУШАНБЕ, 9 окт — РИА Новости. Путин призвал страны «нарастить» торговлю")
    assert len(cyrillic) == 8  # 10 words, 3-word shingles


def test_titles_lose_update_prefixes_and_aggregator_sources():
    plain = "putin urges central asian states to step up trade with russia"
    assert normalised_title("UPDATE 1-Putin urges Central Asian states to step up trade with Russia") == plain
    assert (
        normalised_title("Putin urges Central Asian states to step up trade with Russia - Reuters") == plain
    )
    # A short headline keeps its dash: "Tajikistan - Russia" is not a source suffix.
    assert normalised_title("Tajikistan - Russia talks") == "tajikistan russia talks"
    assert is_wire_update("REFILE-Putin urges") and not is_wire_update("Putin urges")


def test_cut_copy_is_contained_though_its_jaccard_is_low():
    paragraphs = _seed_paragraphs()
    full = profile_of(
        "Putin urges Central Asian states to step up trade with Russia", "\n\n".join(paragraphs)
    )
    cut = profile_of(
        "Putin urges Central Asia to boost trade",
        "MOSCOW: " + "\n\n".join(paragraphs[:3])[len("MOSCOW (Reuters) -") :],
    )
    assert minhash.jaccard(full.signature, cut.signature) < 0.45
    score = match_score(cut, full, POLICY)
    assert score is not None and score > 0.85


def test_same_template_reports_differ_in_numbers_and_stay_apart():
    template = (
        "The National Bank of Kazakhstan set the official exchange rate for {day} October at {usd} tenge "
        "per US dollar, {eur} tenge per euro and {rub} tenge per Russian rouble. The bank said trading on "
        "the Kazakhstan Stock Exchange closed with a volume of {vol} million dollars in the morning session."
    )
    monday = profile_of(
        "Official exchange rates", template.format(day=6, usd=540.1, eur=628.3, rub=6.61, vol=112)
    )
    tuesday = profile_of(
        "Official exchange rates", template.format(day=7, usd=541.8, eur=630.2, rub=6.64, vol=98)
    )
    assert minhash.containment(monday.signature, monday.shingle_count, tuesday.signature, 60) > 0.3
    assert match_score(monday, tuesday, POLICY) is None


def test_headline_only_items_need_a_specific_identical_headline():
    full = profile_of(
        "Putin urges Central Asian states to step up trade with Russia", " ".join(_seed_paragraphs())
    )
    aggregator = profile_of(
        "Putin urges Central Asian states to step up trade with Russia - ThePrint",
        "Putin urges Central Asian states to step up trade with Russia ThePrint",
    )
    assert match_score(aggregator, full, POLICY) == 1.0
    weather = profile_of("Weather forecast", "Sunny, +25")
    assert match_score(weather, profile_of("Weather forecast", "Rain, +12"), POLICY) is None


def test_band_keys_are_deterministic_and_banded():
    signature = minhash.signature(shingle_hashes("one two three four five six seven"))
    keys = minhash.band_keys(signature, POLICY.bands, POLICY.rows)
    assert keys.shape == (1, POLICY.bands) and keys.dtype == np.int64
    assert np.array_equal(keys, minhash.band_keys(signature.copy(), POLICY.bands, POLICY.rows))
    assert len(set(keys[0].tolist())) == POLICY.bands


def _entry(feed: str, guid: str, title: str, text: str, minute: int):
    from datetime import UTC, datetime, timedelta

    from newswire.tasks.normalise import NormalisedEntry
    from newswire.tasks.text import content_hash

    return NormalisedEntry(
        feed_id=feed,
        outlet_id=feed,
        entry_id=guid,
        guid=guid,
        url=None,
        canonical_url=f"https://{feed}.example/{guid}",
        title=title,
        summary="",
        body=text,
        published_at=datetime(2025, 10, 9, tzinfo=UTC) + timedelta(minutes=minute),
        date_issue=None,
        updated_at=None,
        language="en",
        authors=[],
        categories=[],
        content_hash=content_hash(title, text),
        word_count=len(text.split()),
    )


class _EmptyIndex:
    """An index with no history (tasks.recluster.ClusterIndex)."""

    enrichment_columns = ()

    def cluster_candidates(self, keys):
        return []

    def cluster_members(self, components, story_ids):
        return []

    def current_rows(self, table, ids):
        return []


def test_wire_update_is_the_representative_of_the_story_its_copies_join():
    from datetime import UTC, datetime

    from newswire.tasks.dedupe import History
    from newswire.tasks.recluster import plan_stories

    paragraphs = _seed_paragraphs()
    original = _entry(
        "reuters", "L1N1", "Putin urges Central Asian states to step up trade", "\n\n".join(paragraphs), 0
    )
    update = _entry(
        "reuters",
        "L1N2",
        "UPDATE 1-Putin urges Central Asian states to step up trade",
        "\n\n".join(
            [
                *paragraphs,
                "Kazakh President Kassym-Jomart Tokayev said trade settlement in roubles would grow.",
            ]
        ),
        45,
    )
    copy = _entry(
        "brecorder", "b1", "Putin urges Central Asia to boost trade", "\n\n".join(paragraphs[:5]), 60
    )
    clustered = plan_stories(_EmptyIndex(), [copy, update, original], History(), datetime.now(UTC), POLICY)
    plan = clustered.plan
    assert len({w.story_id for w in plan.appearances}) == 1
    # One story row for the run, showing the newest wire version; the others joined it.
    assert [(w.revision, w.representative.entry.entry_id) for w in plan.stories] == [(1, "L1N2")]
    assert plan.merged == 2 and plan.new_stories == 1


def _real_page(item_id: str) -> str:
    from conftest import REPO_ROOT

    page = (REPO_ROOT / "tests" / "fixtures" / "real" / "dedupe" / "items" / f"{item_id}.txt").read_text(
        encoding="utf-8"
    )
    return page.partition("\n")[2]


def test_a_rewrite_sharing_only_quotes_is_not_the_agency_story():
    """Anadolu's story and another outlet's rewrite share Trump's two quotes word for word
    and half their shingles; the quotes are no evidence of copying."""
    agency = profile_of("Trump says Kazakhstan has agreed to join Abraham Accords", _real_page("e04-aa"))
    rewrite = profile_of(
        "Trump says Kazakhstan has agreed to join Abraham Accords", _real_page("e04-pravobl")
    )
    assert (
        minhash.containment(agency.signature, agency.shingle_count, rewrite.signature, rewrite.shingle_count)
        > 0.4
    )
    assert not agency.sentences & rewrite.sentences
    assert match_score(agency, rewrite, POLICY) is None
    # Two outlets' copies of one AFP feature, each with its own furniture, still match.
    afp = profile_of("In Uzbekistan, economic reforms spark gold rush", _real_page("e03-taipeitimes"))
    wrapped = profile_of(
        "Economic reforms place Uzbekistan at the centre of gold rush", _real_page("e03-artifex")
    )
    assert match_score(afp, wrapped, POLICY) is not None


def test_a_dated_headline_never_vetoes_a_certain_body_match():
    body = "\n\n".join(_seed_paragraphs())
    wire = profile_of("Putin urges Central Asian states to step up trade (October 9)", body)
    desk = profile_of("Summit of 10 October: Putin urges trade", body)
    assert wire.title_numbers and desk.title_numbers and not wire.title_numbers & desk.title_numbers
    assert match_score(wire, desk, POLICY) > 0.9
    # Different days' reports of one template still differ by their headline numbers.
    template = (
        "Kazakhstan's national bank set the rate at {r} tenge per dollar on a trading volume of {v} million."
    )
    one = profile_of("Exchange rates for 6 October", template.format(r=540.1, v=112))
    two = profile_of("Exchange rates for 7 October", template.format(r=541.8, v=98))
    assert match_score(one, two, POLICY) is None


def test_partition_is_the_same_whatever_the_order_and_merges_through_leaders_only():
    """Cut copies first or last, the stories are the same; a text that bridges two stories
    (half of each) joins one of them and never glues them together."""
    import random
    from datetime import UTC, datetime, timedelta

    from newswire.tasks.partition import Member, partition

    paragraphs = _seed_paragraphs()
    a = " ".join(f"alpha{i} word{i} text{i}" for i in range(60))
    c = " ".join(f"gamma{i} word{i} text{i}" for i in range(60))
    texts = {
        "full": "\n\n".join(paragraphs),
        "cut": "\n\n".join(paragraphs[:3]),
        "furniture": "Support Our Journalism\n\n" + "\n\n".join(paragraphs[:5]) + "\n\nCopyright 2025",
        "a": a,
        "c": c,
        "bridge": a[: len(a) // 2] + " " + c[: len(c) // 2],
    }
    start = datetime(2025, 10, 9, tzinfo=UTC)

    def members():
        return [
            Member(
                name,
                profile_of(f"Headline {name} about the summit", texts[name]),
                start + timedelta(minutes=n),
                "f",
                name,
                frozenset(),
                None,
                f"s-{name}",
            )
            for n, name in enumerate(texts)
        ]

    results = set()
    for seed in range(6):
        listed = members()
        random.Random(seed).shuffle(listed)
        stories = partition(listed, POLICY)
        results.add(frozenset(frozenset(m.appearance_id for m in s.members) for s in stories))
    assert len(results) == 1
    (stories,) = results
    assert frozenset({"full", "cut", "furniture"}) in stories
    assert not any({"a", "c"} <= set(s) for s in stories)


def test_exact_keys_of_a_copy_point_at_the_story_it_joined():
    """A copy's own URL and text hash are registered under the story it joined, so the same
    article seen later in another feed of its outlet finds that story."""
    from datetime import UTC, datetime

    from newswire.tasks.dedupe import History
    from newswire.tasks.recluster import plan_stories

    paragraphs = _seed_paragraphs()
    original = _entry("reuters", "L1N1", "Putin urges Central Asian states", "\n\n".join(paragraphs), 0)
    copy = _entry(
        "brecorder", "b1", "Putin urges Central Asia to boost trade", "\n\n".join(paragraphs[:5]), 5
    )
    clustered = plan_stories(_EmptyIndex(), [copy, original], History(), datetime.now(UTC), POLICY)
    (story_id,) = {w.story_id for w in clustered.plan.appearances}
    keys = dict(clustered.plan.story_keys)
    assert keys[f"url:{copy.canonical_url}"] == story_id
    assert {story_id} == set(keys.values())


def test_batch_keys_are_one_buffer_with_the_keys_index_keys_gives():
    """fill_keys (the in-batch index's keys) gives each member exactly index_keys' keys,
    in order, as int64 views of one buffer; members of one profile share one view."""
    from datetime import UTC, datetime

    from newswire.tasks.cluster import index_keys
    from newswire.tasks.partition import Member, fill_keys

    long_text = "\n\n".join(_seed_paragraphs())
    profiles = [
        profile_of("Putin urges Central Asian states to step up trade", long_text),  # bands + title
        profile_of("Rates", long_text),  # bands, a headline too short for a key
        profile_of("A brief with a long enough headline here", "Too short."),  # title key only
        profile_of("Short", "Too short."),  # no key at all
    ]
    seen = datetime(2025, 10, 9, tzinfo=UTC)
    members = [
        Member(f"a{n}", profiles[n % 4], seen, "f", f"e{n}", frozenset(), None, f"s{n}") for n in range(8)
    ]
    fill_keys(members, POLICY)
    for member in members:
        assert member.keys.dtype == np.int64
        assert member.keys.tolist() == index_keys(member.profile, POLICY)
    assert [len(m.keys) for m in members[:4]] == [POLICY.bands + 1, POLICY.bands, 1, 0]
    assert members[0].keys is members[4].keys
    assert all(np.shares_memory(members[0].keys.base, m.keys) for m in members[:3])
