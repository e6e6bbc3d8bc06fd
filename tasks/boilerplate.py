"""Removing site furniture from article text: navigation, share prompts, reader appeals,
comment forms and footers that outlets wrap around every story.

The rules are data (``feeds/boilerplate.toml``) applied per paragraph, so the result is
predictable and a desk can see why a line went: whole-paragraph lines and patterns are
dropped, a footer marker cuts everything after it, inline patterns are removed from
inside paragraphs, and a repeat of the headline at the top of the text is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newswire.tasks.datafiles import DataFileError, compile_pattern, load_data_file
from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.furniture import OutletHistory, furniture_positions, strip_stamp
from newswire.tasks.text import comparison_form, fold_whitespace

DEFAULT_BOILERPLATE = DEFAULT_DESK.boilerplate


@dataclass(frozen=True)
class BoilerplateRules:
    lines: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    cut_from: tuple[re.Pattern[str], ...]
    inline: tuple[re.Pattern[str], ...]
    # The same lists as one alternation each: one regex call per paragraph, not one per rule.
    any_pattern: re.Pattern[str] | None = None
    any_cut_from: re.Pattern[str] | None = None
    any_inline: re.Pattern[str] | None = None
    # The file's stop words for languages jusText has no list for (Tajik): the paragraph
    # classifier reads them from here beside jusText's, in whichever process the rules are
    # (pickled from the rules cache, or sent to a process-pool or Dask worker).
    stop_words: tuple[str, ...] = ()


def _any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns) or "(?!)", re.IGNORECASE)


def _compile(path: Path, key: str, values: object) -> tuple[re.Pattern[str], ...]:
    if not isinstance(values, list):
        raise DataFileError(f"{path}: {key} must be a list of regular expressions")
    return tuple(compile_pattern(path, key, value, re.IGNORECASE) for value in values)


def load_boilerplate(path: str | Path = DEFAULT_BOILERPLATE) -> BoilerplateRules:
    path = Path(path)
    document = load_data_file(path, "boilerplate rules")
    unknown = set(document) - {"lines", "patterns", "cut_from", "inline", "stop_words"}
    if unknown:
        raise DataFileError(f"{path}: unknown key(s) {sorted(unknown)}")
    stop = document.get("stop_words", [])
    if not isinstance(stop, list) or not all(isinstance(w, str) for w in stop):
        raise DataFileError(f"{path}: stop_words must be a list of words")
    patterns = _compile(path, "patterns", document.get("patterns", []))
    cut_from = _compile(path, "cut_from", document.get("cut_from", []))
    inline = _compile(path, "inline", document.get("inline", []))
    return BoilerplateRules(
        lines=frozenset(fold_whitespace(line).casefold() for line in document.get("lines", [])),
        patterns=patterns,
        cut_from=cut_from,
        inline=inline,
        any_pattern=_any_of(patterns),
        any_cut_from=_any_of(cut_from),
        any_inline=_any_of(inline),
        stop_words=tuple(stop),
    )


def split_paragraphs(text: str) -> list[str]:
    return [p for p in (fold_whitespace(p) for p in re.split(r"\n\s*\n|\n", text or "")) if p]


def is_furniture(paragraph: str, rules: BoilerplateRules) -> bool:
    """A paragraph the phrase rules drop, as written or without the date stamp the page
    glued to its front ("date 2023-11 © Agenzia Nova - Riproduzione riservata")."""
    unstamped = strip_stamp(paragraph)
    return _is_phrase_furniture(paragraph, rules) or (
        unstamped != paragraph and bool(unstamped) and _is_phrase_furniture(unstamped, rules)
    )


def _is_phrase_furniture(paragraph: str, rules: BoilerplateRules) -> bool:
    if paragraph.casefold() in rules.lines:
        return True
    if rules.any_pattern is not None:
        return rules.any_pattern.fullmatch(paragraph) is not None
    return any(p.fullmatch(paragraph) for p in rules.patterns)


# The headline printed over a gallery's picture with the picture's number: "How Chevron is
# seeking to extract more oil from Kazakhstan  - 1".
_PICTURE_NUMBER = re.compile(r"\s+[-–—]\s*\d{1,2}\s*$")
# A bracketed note the phrase rules drop ("(ATTN: CHANGES dateline; RECASTS headline ...",
# "(Paragraph 11 has been corrected to state ...") that the page broke over lines goes on
# for at most this many short lines, to the one that closes the bracket.
NOTE_LINES = 4
NOTE_LINE_WORDS = 20


def _continues_note(paragraph: str) -> bool:
    return "(" not in paragraph and len(paragraph.split()) <= NOTE_LINE_WORDS


def remove_boilerplate(
    text: str,
    rules: BoilerplateRules,
    title: str = "",
    keep: Callable[[str], bool] | None = None,
    history: OutletHistory | None = None,
    own_item_counted: bool = False,
    opens_story: Callable[[str], bool] | None = None,
) -> str:
    """The text without furniture, paragraphs separated by a blank line. Paragraphs for
    which ``keep`` is true (credit lines, copyright notices attribution reads) stay.
    After the phrase rules, the outlet's ``history`` and the paragraph classifier
    (tasks/furniture.py) take what looks like furniture where it sits. ``opens_story``:
    a dateline paragraph ("BISHKEK, Kyrgyzstan (AP) — ..."), where the story starts."""
    title_form = comparison_form(title) if title else None
    kept: list[str] = []
    protected: set[int] = set()  # positions in ``kept`` that ``keep`` said to leave
    headline_at: int | None = None  # position in ``kept`` where the page printed the headline
    note_open = 0  # lines left of a bracketed note dropped without its closing bracket
    for paragraph in split_paragraphs(text):
        # One search over all inline rules first: most paragraphs have none of them, and
        # running each rule and re-folding the paragraph every time was a tenth of the cost.
        if rules.any_inline is None or rules.any_inline.search(paragraph):
            for pattern in rules.inline:
                paragraph = fold_whitespace(pattern.sub(" ", paragraph))
        if not paragraph:
            continue
        if kept and (
            rules.any_cut_from.fullmatch(paragraph)
            if rules.any_cut_from is not None
            else any(p.fullmatch(paragraph) for p in rules.cut_from)
        ):
            break
        if keep is not None and keep(paragraph):
            protected.add(len(kept))
            kept.append(paragraph)
            continue
        if note_open and _continues_note(paragraph):
            # the rest of a note the page broke over lines: up to its closing bracket
            note_open = 0 if ")" in paragraph else note_open - 1
            continue
        note_open = 0
        if is_furniture(paragraph, rules):
            if paragraph.count("(") > paragraph.count(")"):
                note_open = NOTE_LINES
            continue
        # The page repeats the headline (above the article, beside a picture, in a share box).
        if (
            title_form
            and len(paragraph) < 2 * len(title) + 40
            and comparison_form(_PICTURE_NUMBER.sub("", strip_stamp(paragraph))) == title_form
        ):
            if headline_at is None:
                headline_at = len(kept)
            continue
        kept.append(paragraph)
    dateline_at = None
    if opens_story is not None:
        dateline_at = next((i for i in sorted(protected) if opens_story(kept[i])), None)
    drop = furniture_positions(
        kept,
        protected.__contains__,
        history,
        own_item_counted,
        by_position=True,
        headline_at=headline_at,
        dateline_at=dateline_at,
        extra_stop_words=rules.stop_words,
    )
    return "\n\n".join(p for i, p in enumerate(kept) if i not in drop)
