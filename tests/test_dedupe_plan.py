"""The pure dedupe plan: appearances vs stories, revisions, within-batch keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from newswire.tasks.dedupe import History, KnownAppearance, plan_batch
from newswire.tasks.normalise import NormalisedEntry
from newswire.tasks.text import content_hash

NOW = datetime(2025, 10, 9, 12, 0, tzinfo=UTC)
BODY = "President Vladimir Putin on Thursday urged the leaders of five Central Asian states to boost trade"


def entry(
    feed_id="f1",
    outlet_id="o1",
    entry_id="e1",
    url="https://o1.example/a",
    title="Putin urges trade",
    body=BODY,
    minute=0,
) -> NormalisedEntry:
    return NormalisedEntry(
        feed_id=feed_id,
        outlet_id=outlet_id,
        entry_id=entry_id,
        guid=entry_id,
        url=url,
        canonical_url=url,
        title=title,
        summary="",
        body=body,
        published_at=NOW.replace(minute=minute),
        date_issue=None,
        updated_at=None,
        language="en",
        authors=[],
        categories=[],
        content_hash=content_hash(title, body),
        word_count=len((title + " " + body).split()),
    )


def test_same_url_in_two_feeds_of_one_outlet_is_one_story():
    plan = plan_batch([entry(), entry(feed_id="f2", entry_id="other-guid")], History(), NOW)
    assert plan.new_appearances == 2 and plan.new_stories == 1 and plan.merged == 1
    assert len({a.story_id for a in plan.appearances}) == 1


def test_identical_text_at_two_urls_is_one_story_but_short_texts_are_not_merged():
    copies = [entry(), entry(feed_id="f2", outlet_id="o2", entry_id="x", url="https://o2.example/b")]
    assert plan_batch(copies, History(), NOW).new_stories == 1
    weather = [
        entry(title="Weather", body="", url="https://o1.example/w1"),
        entry(feed_id="f2", entry_id="x", title="Weather", body="", url="https://o2.example/w2"),
    ]
    assert plan_batch(weather, History(), NOW).new_stories == 2


def test_repoll_is_unchanged_and_a_changed_entry_is_a_new_revision():
    history = History()
    first = plan_batch([entry()], history, NOW)
    (story,) = first.stories
    again = plan_batch([entry()], history, NOW)
    assert again.unchanged == 1 and not again.appearances and not again.stories
    edited = plan_batch([entry(body=BODY + " and improve payment systems")], history, NOW)
    (revision,) = edited.appearances
    assert not revision.is_new and revision.revision == 2
    assert revision.appearance_id == first.appearances[0].appearance_id
    # The story's representative changed, so the story gets a new revision too.
    assert [(s.story_id, s.revision, s.is_new) for s in edited.stories] == [(story.story_id, 2, False)]


def test_changed_guid_with_same_url_is_the_same_appearance():
    history = History()
    first = plan_batch([entry()], history, NOW)
    renamed = plan_batch([entry(entry_id="new-guid")], history, NOW)
    assert renamed.unchanged == 1 and not renamed.appearances
    assert ("f1", "id:new-guid", first.appearances[0].appearance_id) in renamed.appearance_keys


def test_earliest_copy_is_the_representative():
    late = entry(minute=30)
    early = replace(
        entry(feed_id="f2", outlet_id="o2", entry_id="x", url="https://o2.example/b"), published_at=NOW
    )
    plan = plan_batch([late, early], History(), NOW)
    (story,) = plan.stories
    assert story.representative.entry.feed_id == "f2"


def test_history_is_consulted():
    existing = KnownAppearance("a-old", 1, "h", "s-old", NOW)
    history = History(story_ids_by_key={"url:https://o1.example/a": "s-old"})
    plan = plan_batch([entry(feed_id="f9", entry_id="z")], history, NOW)
    assert plan.appearances[0].story_id == "s-old" and plan.new_stories == 0
    history = History(
        appearances_by_key={("f1", "id:e1"): replace(existing, content_hash=entry().content_hash)}
    )
    assert plan_batch([entry()], history, NOW).unchanged == 1


def test_match_story_hook_is_used_when_no_exact_key_matches():
    plan = plan_batch([entry()], History(), NOW, match_story=lambda e: "s-near")
    assert plan.appearances[0].story_id == "s-near" and plan.new_stories == 0 and plan.merged == 1


def test_distinct_guids_sharing_a_link_stay_distinct_appearances():
    """A link many guids share (a podcast's home page, a wire's "latest" page) is no
    identity: neither within a batch nor against history."""
    shared = "https://wire.example/latest"
    batch = [entry(entry_id=f"g{n}", url=shared, title=f"Item {n}", body=f"Body {n}") for n in range(5)]
    history = History()
    plan = plan_batch(batch, history, NOW)
    assert plan.new_appearances == 5 and len({a.appearance_id for a in plan.appearances}) == 5
    # Next run, a new guid on the same link with other content is a new appearance...
    later = plan_batch([entry(entry_id="g9", url=shared, title="Item 9", body="Body 9")], history, NOW)
    assert later.new_appearances == 1 and later.updated_appearances == 0
    # ...and the same guids again change nothing.
    assert plan_batch(batch, history, NOW).unchanged == 5


def test_same_content_under_new_guids_in_one_batch_is_not_merged_into_one_appearance():
    history = History()
    plan_batch([entry()], history, NOW)
    twins = [entry(entry_id="new-1"), entry(entry_id="new-2")]
    plan = plan_batch(twins, history, NOW)
    # The first takes the old appearance over (a guid change); the second is its own.
    assert plan.unchanged == 1 and plan.new_appearances == 1
