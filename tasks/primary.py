"""Which country a story is mainly about: a small scored model over explainable evidence.

A story names several countries; the desk wants the one it is about. Hand-set bonuses
(title weight 3, lead weight 1, region factor 1.5 ...) got 0.92 of the real-page dev part
and fell to 0.90 on pages nobody tuned on: each bonus was right for some pages and wrong
for others, and nobody could say how much one should outweigh another. Here every
candidate country gets the same few features (where it is first named, how often in the
title, lead and body, whether it is the dateline's country, the outlet's home country, a
country of the desk's region, whether it is the country of the actor the headline reports,
the corpus's rule for visits, meetings, calls and agreements) and the primary country is the
candidate with the highest weighted sum. The weights are fitted on the development part
only, by a conditional logit (softmax over an item's candidates), and checked with
leave-one-outlet-out folds so that they do not learn one outlet's habits:
``benchmarks/fit_primary.py`` refits them and prints the figures (docs/decisions.md says why
a linear model and not more rules).

Pure functions; no dependency beyond the standard library at run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # tasks/tag.py imports this module
    from newswire.tasks.tag import MentionProfile

# The features, in the order of WEIGHTS. Every one is a number a desk can read off the page.
FEATURES = (
    "in_title",  # the headline names it
    "first_in_title",  # the headline names it before any other country
    "title_mentions",  # log(1 + times the headline names it)
    "lead_mentions",  # log(1 + times the lead, the text's first words, names it)
    "first_in_text",  # the text names it before any other country
    "early",  # 1 - where in the text it is first named (1 = first word, 0 = not named)
    "text_share",  # its share of the text's country mentions
    "text_mentions",  # log(1 + times the text names it)
    "most_named",  # no country is named more often in the text
    "dateline",  # the story was filed from it
    "home",  # the outlet's home country
    "in_region",  # a country of the desk's region
    "region_in_title",  # a country of the region that the headline names
    "actor",  # the headline's actor (its subject: a country, demonym, place or person), else the lead's
    "title_actor",  # the headline's actor
    "lead_actor",  # the actor of the lead's first sentence
    "event_actor",  # the actor, when the headline tells a visit, meeting, call, agreement or statement
)

# Fitted on tests/fixtures/real/enrich/dev by benchmarks/fit_primary.py (conditional logit,
# L2 0.003, `--l2 0.003`): refit and paste when the features or the dev part change.
WEIGHTS: dict[str, float] = {
    "in_title": 0.198,
    "first_in_title": 0.542,
    "title_mentions": -0.081,
    "lead_mentions": 0.666,
    "first_in_text": 0.429,
    "early": 0.399,
    "text_share": -0.265,
    "text_mentions": 0.714,
    "most_named": 0.271,
    "dateline": 1.001,
    "home": 0.277,
    "in_region": 1.633,
    "region_in_title": 0.282,
    "actor": 1.002,
    "title_actor": 0.516,
    "lead_actor": -0.219,
    "event_actor": 1.994,
}


@dataclass(frozen=True)
class PrimaryEvidence:
    """What the page says about the countries it names, as the model reads it."""

    title: MentionProfile
    text: MentionProfile
    # (code, mentions) of the dateline place: one country, seldom two ("Bishkek/Moscow").
    dateline_counts: tuple[tuple[str, int], ...]
    home: str | None
    in_region: frozenset[str]
    # The country of the actor the headline reports (tasks/tag.py, headline_actor), and of
    # the actor of the lead's first sentence; None when none is named.
    title_actor: str | None = None
    lead_actor: str | None = None
    # Whether the headline, and the lead's first sentence, tell a visit, a meeting, talks,
    # a call, an agreement or a statement (the stories whose primary country is the actor's).
    title_event: bool = False
    lead_event: bool = False

    @property
    def actor(self) -> str | None:
        """The headline's actor; the lead's when the page shows no headline (or the
        headline names none)."""
        return self.title_actor or self.lead_actor

    @property
    def event(self) -> bool:
        """The headline (the lead when no headline names an actor) tells a visit, a
        meeting, a call, an agreement or a statement."""
        return self.title_event if self.title_actor else self.lead_event

    @property
    def dateline(self) -> frozenset[str]:
        return frozenset(code for code, _ in self.dateline_counts)

    @property
    def candidates(self) -> list[str]:
        """Every country named in the title, the text or the dateline, in the order first named."""
        return list(dict.fromkeys([*self.title.counts, *self.text.counts, *sorted(self.dateline)]))


def candidate_features(evidence: PrimaryEvidence) -> dict[str, tuple[float, ...]]:
    """Country code -> its feature values, in the order of FEATURES."""
    title, text = evidence.title, evidence.text
    first_title = min(title.first, key=title.first.__getitem__) if title.first else None
    first_text = min(text.first, key=text.first.__getitem__) if text.first else None
    total = sum(text.counts.values())
    most = max(text.counts.values(), default=0)
    features: dict[str, tuple[float, ...]] = {}
    # (the evidence's derived values once, not once per candidate)
    dateline, actor, event = evidence.dateline, evidence.actor, evidence.event
    for code in evidence.candidates:
        named_in_title = title.counts[code] > 0
        regional = code in evidence.in_region
        named = text.counts[code]
        features[code] = (
            float(named_in_title),
            float(code == first_title),
            math.log1p(title.counts[code]),
            math.log1p(text.lead[code]),
            float(code == first_text),
            1.0 - text.first[code] if code in text.first else 0.0,
            named / total if total else 0.0,
            math.log1p(named),
            float(named > 0 and named == most),
            float(code in dateline),
            float(code == evidence.home),
            float(regional),
            float(regional and named_in_title),
            float(code == actor),
            float(code == evidence.title_actor),
            float(code == evidence.lead_actor),
            float(code == actor and event),
        )
    return features


def rank_countries(evidence: PrimaryEvidence, weights: dict[str, float] = WEIGHTS) -> list[tuple[str, float]]:
    """(code, score) of every candidate, best first; ties go to the region's countries, then by code."""
    vector = [weights.get(name, 0.0) for name in FEATURES]
    scored = [
        (code, sum(w * v for w, v in zip(vector, values, strict=True)))
        for code, values in candidate_features(evidence).items()
    ]
    return sorted(scored, key=lambda pair: (-pair[1], pair[0] not in evidence.in_region, pair[0]))


# Country-code top-level domains that are sold as generic names (.tv, .io, .fm ...) say
# nothing about where an outlet is.
_GENERIC_CC_TLDS = frozenset(
    {"ac", "ai", "cc", "co", "fm", "gg", "io", "la", "ly", "me", "nu", "sh", "tk", "to", "tv", "ws"}
)


def outlet_home(country: str | None, url: str | None, known: frozenset[str]) -> str | None:
    """The outlet's home country: the catalog's (``Feed.country``) when it names one, else
    the country of the URL's country-code domain (kun.uz -> UZ, tass.ru -> RU, bbc.co.uk
    -> GB), else None (a .com site says nothing)."""
    if country and country in known:
        return country
    host = urlsplit(url).hostname if url and "//" in url else None
    if not host:
        return None
    tld = host.rstrip(".").rsplit(".", 1)[-1].lower()
    if tld in _GENERIC_CC_TLDS or len(tld) != 2:
        return None
    code = "GB" if tld == "uk" else tld.upper()
    return code if code in known else None
