"""Site furniture in real page text, found by what it looks like and where it sits, not by
a list of phrases.

Two signals, after the phrase rules of ``feeds/boilerplate.toml``:

1. **The outlet's own history.** A line an outlet prints on many of its items (its name,
   menu, weather and exchange-rate widgets, share prompts, appeals, footers) is that
   outlet's furniture. ``OutletHistory`` holds fingerprints of lines seen on an outlet's
   other items; the enrichment stage keeps them per outlet in the warehouse.
2. **A paragraph classifier** in the manner of jusText (Pomikálek's boilerplate
   classifier: length, stop-word density and context), with its stop-word lists (jusText's
   own data, for every language the region writes in). Paragraphs are *good* (long, with
   the stop-word density of prose), *bad* (date/time stamps, counters, numbers, tag lists)
   or *short*. Short paragraphs before the first good one are header chrome, after the
   last good one footer; between good paragraphs they are the story's subheadings and
   stay. A bare date/time stamp once the story has started opens the next item on the
   page, which is not this story.

Cutting an article line is worse than leaving furniture, so every rule errs towards
keeping: a paragraph with the stop-word density of prose stays wherever it is, and the
last line of a text cut off mid-sentence stays.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from newswire.tasks.datelines import month_names
from newswire.tasks.memo import PARAGRAPH_MEMO_SIZE
from newswire.tasks.patterns import trie_pattern
from newswire.tasks.text import comparison_form, fold_whitespace

# jusText stop-word lists for the languages of the region and its neighbours, and of every
# other language the real-page corpus has regional copy in (a page in a language with no
# list reads as no prose at all, so the classifier finds no story to tell furniture from).
# Tajik, Mongolian, Kazakh in Latin letters and Uzbek in Cyrillic have no jusText list: the
# desk's own are ``stop_words`` of feeds/boilerplate.toml.
STOPLIST_LANGUAGES = (
    "English", "Russian", "Uzbek", "Kazakh", "Kyrgyz", "Turkmen", "Turkish", "Azerbaijani",
    "Ukrainian", "German", "French", "Persian",
)  # fmt: skip
# jusText's lists are a language's most frequent Wikipedia words, content words among them
# ("minister", "capital", "problem" are Polish, Spanish, Swedish "stop words"): from the
# lists of languages the desk only meets now and then, the short words alone, its function
# words, so that an English or Russian menu line does not read as prose by a neighbour's list.
OCCASIONAL_STOPLIST_LANGUAGES = (
    "Italian", "Spanish", "Portuguese", "Polish", "Czech", "Serbian", "Bulgarian", "Armenian",
    "Georgian", "Arabic", "Urdu", "Danish", "Dutch", "Norwegian_Bokmal", "Indonesian", "Tagalog",
    "Hungarian", "Lithuanian", "Albanian", "Korean", "Afrikaans", "Swahili",
)  # fmt: skip
OCCASIONAL_STOP_WORD_CHARS = 5
# A Title Case headline has at least this many words.
TITLE_CASE_WORDS = 4
# A good paragraph: this many words at least, and this share of them stop words.
GOOD_WORDS = 10
LONG_WORDS = 25
NEAR_GOOD_WORDS = 8
# This dense in stop words, a line is a sentence wherever it sits.
DENSE_STOP_DENSITY = 0.4
GOOD_STOP_DENSITY = 0.18
# Prose stays anywhere when it has at least this many words at this stop-word density.
PROSE_WORDS = 5
PROSE_STOP_DENSITY = 0.15
# A sentence (capital, lower-case words, a full stop) this long stays wherever it is.
SENTENCE_WORDS = 4
SENTENCE_LIKE_WORDS = 7
# A line seen on this many of the outlet's other items is its furniture; long lines need
# more (two copies of one story share their long lines; furniture repeats everywhere).
HISTORY_MIN_ITEMS = 1
HISTORY_MIN_ITEMS_LONG = 2
HISTORY_LONG_WORDS = 15
STORED_MIN_ITEMS = 3
STORED_MIN_ITEMS_LONG = 5
# A last line this long, cut off after the story, is the story's own words broken off;
# shorter than CUT_OFF_MIN_WORDS it is a button or label ("Currently reading").
CUT_OFF_WORDS = 5
CUT_OFF_MIN_WORDS = 3
# A counter line: at most this many words around a number ("view-icon 753", "6148 рет").
COUNTER_WORDS = 3
# A protected paragraph this long after the next item's stamp is that item's dateline and lead.
NEXT_ITEM_DATELINE_WORDS = 8
# A tag line printed twice has at least this many words.
TAG_LINE_WORDS = 6
# A scan's noise is a short line ("M <v ^ X- A r*-").
JUNK_WORDS = 6
# A tag list glued by commas has at least this many "word,word" joints.
GLUED_TAGS = 3
# A social prompt: a handle or hashtag in a line shorter than this.
SOCIAL_WORDS = 12
# The label over a block of other items at the foot of the page ("Bu ham qiziq").
FOOT_LABEL_WORDS = 5
# A line of a sentence the page wrapped continues one this long at least.
WRAPPED_WORDS = 3
# A picture's source line under its caption is at most this long ("Quelle: AP/dpa").
CREDIT_UNDER_CAPTION_WORDS = 6
# A caption or a "Read more" pointer is at most this long.
CAPTION_WORDS = 40
SEE_ALSO_WORDS = 30
CAPTION_ABOVE_WORDS = 25
# The label over a list of other stories ("Other materials of «Topics of the day»").
LABEL_WORDS = 8
# A dateline lead opens the story when at most this much prose stands above it.
DATELINE_LEAD_AFTER = 2
# A deck whose first this many characters stand in the lead is a copy of it.
LEAD_COPY_CHARS = 60
# A trailing label under a short text has at most this many words.
TRAILING_LABEL_WORDS = 2
# Texts with fewer paragraphs are feed summaries: no zones to speak of.
MIN_PARAGRAPHS = 3

_WORD = re.compile(r"[^\W\d_]+(?:['’ʻ‘][^\W\d_]+)*", re.UNICODE)
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"[.!?…:;»”\"')]\s*$")
# A stamp on its own: "05.03.2026, 19:58 3996", "12:11, 19 March 2014 | GMT +5",
# "Thursday, May 06, 2010", "date 2025-06-01 29.05.2025, 11:53 40011".
_STAMP_PART = r"(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2})"
# (time and date in either order, "/" between them as well: "12:17 / 18.03.2023")
# A relative day before the time ("сегодня в 00:01", "Yesterday at 14:20") and a view count
# after it ("просмотров: 639", "views 1,204") are the same stamp.
_RELATIVE_DAY = (
    r"(?:(?:today|yesterday|сегодня|вчера|bugun|kecha|бүгін|кеше|бүгүн|кечээ|heute|gestern)"
    r"(?:\s+(?:в|at|um|soat))?\s+)?"
)
_VIEWS = r"(?:(?:views?|просмотр\w*|ko.rishlar|қаралым|көрүүлөр)\s*:?\s*)?"
_STAMP = re.compile(
    rf"(?:date\s+)?(?:\d{{4}}-\d{{2}}-\d{{2}}\s*)?{_RELATIVE_DAY}{_STAMP_PART}(?:[\s,|/]*{_STAMP_PART})?"
    rf"[\s,|]*(?:GMT\s*[+-]?\d+|UTC\s*[+-]?\d+)?[\s,|]*{_VIEWS}\d{{0,7}}\s*",
    re.IGNORECASE,
)

# A page widget on its own line, in the corpus's languages: a relative time ("2 hours ago",
# "2 часа назад", "2 soat oldin", "2 saat önce", "vor 2 Stunden"), a reading time ("5 min
# read", "22 мин", "3 daqiqa"), a share prompt with its networks ("Share on Facebook",
# "Поделиться:", "Ulashish", "Бөлісу", "Paylaş", "分享到："). Furniture wherever it stands, but
# no stamp: it does not open the next item the way a date does.
_UNITS = (
    r"(?:sec(?:ond)?s?|min(?:ute)?s?|hours?|hrs?|days?|weeks?|months?|years?"
    r"|секунд\w*|минут\w*|мин\.?|час\w*|дн\w*|день|недел\w*|месяц\w*|лет|год\w*"
    r"|soniya|daqiqa|soat|kun|hafta|oy|yil|сония|дақиқа|соат|кун|ҳафта|ой|йил"
    r"|сағат|күн|апта|ай|жыл|саат|мүнөт|saniye|dakika|saat|gün|ay|yıl"
    r"|sekunden?|minuten?|stunden?|tagen?|wochen?|monaten?|jahren?|heures?|jours?|分钟|小时|天)"
)
_AGO = r"(?:ago|назад|oldin|avval|олдин|аввал|бұрын|мурун|önce|前)"
_READING = r"(?:min(?:ute)?s?|мин(?:ут\w*)?\.?|daqiqa|дақиқа|dakika|мүнөт|минут)"
_NETWORKS = (
    r"on|in|via|this|article|story|news|в|через|facebook|twitter|x|telegram|whatsapp|vk|вконтакте"
    r"|ok|одноклассники|linkedin|e-?mail|viber|messenger|reddit|pinterest|[:：|/,]"
)
_WIDGET_CHARS = 80
_WIDGET = re.compile(
    rf"\s*(?:(?:about\s+|около\s+)?\d+\s*{_UNITS}\s*{_AGO}"
    rf"|(?:vor|il\s+y\s+a)\s+\d+\s*{_UNITS}"
    rf"|(?:(?:reading\s+time|время\s+чтения|o.qish\s+vaqti|okuma\s+süresi)\s*:?\s*)?\d+\s*{_READING}"
    rf"(?:\s*(?:read|чтения|o.qish|okuma|оқу|ўқиш))?"
    rf"|(?:share|поделиться|ulashish|бөлісу|бөлүшүү|paylaş|teilen|partager|condividi|compartir|分享到?)"
    rf"(?:\s*(?:{_NETWORKS}))*)\s*[.!:：]?\s*",
    re.IGNORECASE,
)


# Short segments joined by separators with spaces around them, no sentence end: a
# breadcrumb ("World /  Russia & Central Asia", "首页 > 国内新闻 > 正文"), a section and its time
# ("Jahon | 22:24 / 12.05.2025"), a label and its value ("Topic |   War and conflict").
_SEGMENT = r"[^\s/›>»|]+(?:\s+[^\s/›>»|]+){0,3}"
_CRUMBS = re.compile(rf"\s*{_SEGMENT}(?:\s+[/›>»|]\s+{_SEGMENT})+\s*")
_CRUMBS_CHARS = 100
_CRUMB_SIGNS = re.compile(r"\s[/›>»|]\s")


def is_crumbs(paragraph: str) -> bool:
    """A breadcrumb or a line of labelled segments (see ``_CRUMBS``)."""
    return (
        len(paragraph) <= _CRUMBS_CHARS
        and _CRUMB_SIGNS.search(paragraph) is not None
        and not _FULL_STOP.search(paragraph)
        and _CRUMBS.fullmatch(paragraph) is not None
    )


def is_widget(paragraph: str) -> bool:
    """A relative or reading time or a share prompt on its own line (see ``_WIDGET``)."""
    return len(paragraph) <= _WIDGET_CHARS and _WIDGET.fullmatch(paragraph) is not None


# A date written with the month's name, alone on its line or with its label, weekday, time
# and view count: "November 8, 2018", "Updated: 9:06pm, 1 May, 2021", "Май 1, 2023 15:46",
# "Thursday, 12 March 2020 | 14:05", "8 ноября 2018 г., 10:15", "Oct". Standalone date lines are
# the page's, never a sentence of the story (a dateline carries a place or an agency too).
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|январ[ьяе]|феврал[ьяе]|март[ае]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[ае]?|сентябр[ьяе]"
    r"|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе]|янв|фев|мар|апр|авг|сен|сент|окт|ноя|дек"
    r"|yanvar|fevral|mart|aprel|iyun|iyul|avgust|sentabr|oktabr|noyabr|dekabr"
    r"|қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан"
    r"|ocak|şubat|nisan|mayıs|haziran|temmuz|ağustos|eylül|ekim|kasım|aralık"
    r"|januar|februar|märz|mai|juni|juli|oktober|dezember"
    r"|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre"
    # and every name the dateline grammar knows: CLDR's for the region's and the carrying
    # agencies' languages (Italian "luglio", Turkmen "iýul", Kyrgyz "июль"...) and the
    # newsroom spellings CLDR lacks (Kazakh in Latin letters: "23 Tamyz 2024")
    r"|" + trie_pattern(month_names()) + r")\.?"
)
_WEEKDAYS = (
    r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
    r"|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье"
)
_DATE_LABEL = (
    r"(?:updated|published|posted|last\s+updated|modified|date|обновлено|опубликовано|дата"
    r"|yangilandi|chop\s+etildi|e'lon\s+qilindi|жарияланды)"
)
_CLOCK = r"\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*(?:GMT|UTC|EDT|EST|MSK|ET)\s*(?:[+-]\s*\d{1,2})?)?"
_MONTH_DATE = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?)"
_NAMED_STAMP_CHARS = 80
_NAMED_STAMP = re.compile(
    rf"\s*(?:{_DATE_LABEL}\s*:?\s*)?(?:(?:{_WEEKDAYS})[\s,]+)?(?:{_CLOCK}[\s,|/-]*)?"
    rf"{_MONTH_DATE}(?:[\s,.]+\d{{4}}(?:\s*(?:г\.?|года|yil|y\.|ж\.))?)?"
    rf"(?:[\s,|/-]*(?:в\s+|at\s+)?{_CLOCK})?[\s,|]*{_VIEWS}\d{{0,7}}\s*",
    re.IGNORECASE,
)


def is_stamp(paragraph: str) -> bool:
    """A date/time stamp on its own line, in figures or with the month's name."""
    return not paragraph.strip() or bool(_STAMP.fullmatch(paragraph)) or is_named_date(paragraph)


def is_named_date(paragraph: str) -> bool:
    """A date with the month's name on its own line. Furniture wherever it stands, but
    not the start of the next item on the page the way a figure stamp is: a story's
    subheading may be a date ("8 ноября 2018"), and the story goes on under it."""
    return len(paragraph) <= _NAMED_STAMP_CHARS and bool(_NAMED_STAMP.fullmatch(paragraph))


@lru_cache(maxsize=8)
def stop_words(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """jusText's stop-word lists of ``STOPLIST_LANGUAGES``, and ``extra``: a desk's own for
    languages jusText has no list for (Tajik: ``stop_words`` of feeds/boilerplate.toml,
    carried by the boilerplate rules so that every process reading them reads the same)."""
    import justext

    words: set[str] = {w.casefold() for w in extra}
    for language in STOPLIST_LANGUAGES + OCCASIONAL_STOPLIST_LANGUAGES:
        try:
            listed = {w.casefold() for w in justext.get_stoplist(language)}
        except ValueError:
            continue
        if language in OCCASIONAL_STOPLIST_LANGUAGES:
            listed = {w for w in listed if len(w) <= OCCASIONAL_STOP_WORD_CHARS}
        words |= listed
    return frozenset(words)


def fingerprint(line: str) -> str:
    """A line's identity across items: its comparison form, hashed (8 bytes of blake2b)."""
    return hashlib.blake2b(comparison_form(line).encode("utf-8"), digest_size=8).hexdigest()


# Lines longer than this are the outlet's prose, not its furniture: not kept in history.
HISTORY_STORED_WORDS = 40


def line_prints(text: str) -> set[str]:
    """Fingerprints of an item's lines as the outlet printed them (before any cleaning),
    the ones history keeps: short enough to be furniture."""
    return {
        fingerprint(line)
        for line in re.split(r"\n", text or "")
        if comparison_form(line) and len(line.split()) <= HISTORY_STORED_WORDS
    }


@dataclass
class OutletHistory:
    """Line fingerprints of an outlet's items and on how many items each was seen."""

    seen: dict[str, int] = field(default_factory=dict)
    # How many *other* items must carry a line (short / long or a sentence). The stored
    # history of a running desk counts an entry seen again on a later poll as well, so the
    # enrichment stage asks for more (``for_stored_history``).
    min_items: int = HISTORY_MIN_ITEMS
    min_items_long: int = HISTORY_MIN_ITEMS_LONG

    @classmethod
    def for_stored_history(cls, seen: dict[str, int]) -> OutletHistory:
        return cls(seen, STORED_MIN_ITEMS, STORED_MIN_ITEMS_LONG)

    def add_item(self, lines: Iterable[str]) -> None:
        for print_ in {fingerprint(line) for line in lines if comparison_form(line)}:
            self.seen[print_] = self.seen.get(print_, 0) + 1

    def is_furniture(self, line: str, own_item_counted: bool = False, prose: bool = False) -> bool:
        """Seen on enough of the outlet's *other* items (``own_item_counted``: this item's
        own lines are in the counts already, as when scoring a set of items together).
        Long lines and sentences (``prose``) need more items than a menu line."""
        count = self.seen.get(fingerprint(line), 0) - (1 if own_item_counted else 0)
        long = prose or len(line.split()) >= HISTORY_LONG_WORDS
        return count >= (self.min_items_long if long else self.min_items)


@dataclass(frozen=True)
class ParagraphFeatures:
    words: int
    stop_density: float
    digit_share: float
    ends_sentence: bool
    stamp: bool
    capital_share: float = 0.0
    has_link: bool = False
    # The whole line in brackets: "(News report from Issue No. 160, published on ...)",
    # "(Image credit: ...)", "(обновлено 14:15 18.02.2020)", "（资料图片仅供参考）": an
    # editor's or picture's note beside the story, not a sentence of it.
    aside: bool = False
    inner_punctuation: bool = True
    sentences: int = 1
    full_stop: bool = False  # ends with . ! ? (not a colon or a quote)
    lower_words: int = 0
    # A social handle or hashtag ("@sputnik_africa", "#USRussiaRelations") in a short line:
    # a follow/subscribe prompt or a tag, whatever its punctuation.
    social: bool = False
    letters: bool = True
    # Symbols more than letters ("M <v ^ X- A r*-", a scan's noise) or words glued by
    # commas without spaces (a scraped tag list: "политика,политические новости,мемы,").
    junk: bool = False
    # A tag list printed twice on one line ("Киргизия Баткенской обл. происшествия конфликт
    # политика Киргизия Баткенской обл."): its first words come back, and no function word.
    tags_twice: bool = False
    named_date: bool = False  # "November 8, 2018", "Updated: 9:06pm, 1 May, 2021"
    widget: bool = False  # "2 hours ago", "5 min read", "Поделиться:" (``is_widget``)
    # Every word capitalised, function words too, and no final stop: an English headline
    # ("Relatives Of Victims Of Tajik Police Crackdown Still Waiting For Answers"), another
    # story's or a video's, never a sentence of this one.
    title_case: bool = False
    crumbs: bool = False  # "World / Russia & Central Asia" (``is_crumbs``)
    # The page speaking to its reader about the site, not the story telling of events: a
    # second-person word beside a site action ("Please keep your comments respectful",
    # "If you are a Free Subscriber, click here to upgrade", "verwenden wir Cookies ... Sie",
    # "Вы можете пожаловаться на новость"). Quoted words are someone's speech and stay prose.
    appeal: bool = False

    @property
    def counter(self) -> bool:
        """A line of no letters ("$", "0", "-5.38") or a few words around a number, with no
        function word and no sentence end ("view-icon 753", "6148 рет", "Изоҳ (0)", "22 мин"):
        a widget, a counter or a reading-time label. (A wrapped piece of a sentence, "by
        2030 and", has function words.)"""
        return not self.letters or (
            self.words <= COUNTER_WORDS
            and self.digit_share > 0
            and self.stop_density == 0
            and not self.full_stop
            and not self.stamp
        )

    @property
    def good(self) -> bool:
        # Prose: long, with stop words, ending a sentence (a long unfinished line is a
        # story cut off; a headline of another story ends without a period). A line with a
        # web or e-mail address is the page speaking ("Check out https://...", "Email us at
        # ...", "Ссылка на новость: https://..."): a story printed as text names a site, it
        # does not paste its address (no article line of the corpus has one). The same holds
        # for near-good, sentence-like and prose below, so position alone decides it.
        return (
            self.words >= GOOD_WORDS
            and not (self.has_link or self.aside or self.appeal)
            and self.stop_density >= GOOD_STOP_DENSITY
            and self.digit_share < 0.2
            and (self.ends_sentence or self.words >= LONG_WORDS)
        )

    @property
    def sentence_like(self) -> bool:
        """Mostly lower-case words with stop words among them: a sentence, even one the
        page cut short, not a menu, a name or an English headline."""
        # (A headline of another story in Russian or Uzbek looks the same and stays: an
        # article line cut is worse than a headline left.)
        return (
            self.words >= SENTENCE_LIKE_WORDS
            and not (self.has_link or self.aside or self.appeal or self.title_case)
            and self.lower_words >= 0.6 * self.words
            and self.stop_density >= GOOD_STOP_DENSITY
        )

    @property
    def near_good(self) -> bool:
        """Prose that may be cut off or glued to a credit: next to the story it is the story.
        (A headline of another story has the words but no sentence end, inside or after.)"""
        return (
            self.words >= NEAR_GOOD_WORDS
            and not (self.has_link or self.aside or self.appeal or self.title_case)
            and self.stop_density >= GOOD_STOP_DENSITY
            and self.digit_share < 0.2
            and (self.ends_sentence or self.sentences > 1)
        )

    @property
    def prose(self) -> bool:
        return not (self.has_link or self.aside or self.appeal or self.title_case) and (
            (self.words >= PROSE_WORDS and self.stop_density >= PROSE_STOP_DENSITY and self.ends_sentence)
            or (self.words >= SENTENCE_WORDS and self.full_stop and self.lower_words > 0)
            or (
                self.words >= NEAR_GOOD_WORDS
                and self.stop_density >= DENSE_STOP_DENSITY
                and (self.ends_sentence or self.sentences > 1)
            )
        )

    @property
    def bad(self) -> bool:
        # A stamp, a number widget ("USD 421.58"), or a run of names with no stop words (a
        # tag list: "Шавкат Мирзиеев Узбекистан Ташкент район ...").
        return (
            self.stamp
            or (self.digit_share > 0.3 and self.words <= 4)
            or (self.words >= 6 and self.stop_density < 0.05 and not self.ends_sentence)
            or (
                self.words >= 8
                and self.capital_share >= 0.5
                and self.stop_density < 0.15
                and not self.inner_punctuation
            )
            or (self.has_link and self.words < LONG_WORDS)
            or self.counter
            or self.junk
            or self.tags_twice
            or self.widget
            or self.crumbs
        )


_SAMPLE_CHARS = 400
# The reader addressed ("you", "вы", "siz", "Sie", "vous") and what a site asks of them.
_READER = re.compile(
    r"\b(?:you|your|yours|вы|вас|вам|ваш\w*|siz|sizning|sizga|сіз|сізге|сиз|сизге|sie|vous|votre|vos)\b",
    re.IGNORECASE,
)
_SITE_ACTION = re.compile(
    r"subscri|comment|cookie|click|log\s?in|sign\s?(?:up|in)\b|newsletter|download|regist|website|\bsite\b"
    r"|\bapp\b|channel|follow|telegram|whatsapp|viber|youtube|facebook|instagram|premium|upgrade|unlock"
    r"|подпи|коммент|сайт|канал|куки|зарегистр|войд|obuna|kanal|sayt|izoh|abonn|connect|webseite|anmeld"
    r"|kommentar",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[“”«»\"„]")
_ASIDE = re.compile(r"\s*[(（][^()（）]{3,300}[)）]\.?\s*")
_LINK = re.compile(r"https?://|www\.\w|\w@\w+\.\w")
_SOCIAL = re.compile(r"(?<![\w.@])@[A-Za-z_][\w.]{2,}|(?<![\w&#])#[^\W\d_][\w]{2,}")
_LETTER = re.compile(r"[^\W\d_]")
_SYMBOL = re.compile(r"[^\w\s.,;:!?'’\"«»“”()\-–—]")
# (letters of scripts written with spaces: Chinese and Japanese put no space after a comma)
_GLUED_TAGS = re.compile(r"[^\W\d_\u3000-\u9fff\uac00-\ud7af],[^\W\d_\u3000-\u9fff\uac00-\ud7af]")
# A site's name ("vesti.ru", "imag.one") in a short line: "Читать на vesti.ru".
_DOMAIN = re.compile(r"\b\w+\.(?:ru|kz|uz|kg|tj|tm|az|com|org|net|info|one|news|tv)\b")
_SHORT_WITH_DOMAIN = 8
_RIGHTS = re.compile(
    r"©|\(c\)|copyright|all rights reserved|все права защищены|barcha huquqlar", re.IGNORECASE
)
# A sentence ends inside the paragraph: ". Next", ".Next" (a glued credit), "? Next".
_SENTENCE_BREAK = re.compile(r"[.!?…][»”\"]?\s*(?=[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ])")
_FULL_STOP = re.compile(r"[.!?…。！？][»”\"')]?\s*$")
_INNER_PUNCTUATION = re.compile(r"[,.;:!?()«»“”\"]")
# A stamp the page glued in front of a line: "date 2024-03-03 ", "12:11, 19 March 2014 | ".
_LEADING_STAMP = re.compile(r"\s*date\s+\d{4}-\d{2}(?:-\d{2})?\s+")


@lru_cache(maxsize=PARAGRAPH_MEMO_SIZE)
def strip_stamp(paragraph: str) -> str:
    """The paragraph without a date stamp glued to its front."""
    return _LEADING_STAMP.sub("", paragraph, count=1)


@lru_cache(maxsize=PARAGRAPH_MEMO_SIZE)
def features(paragraph: str, stops: frozenset[str] | None = None) -> ParagraphFeatures:
    """The classifier's reading of one paragraph; ``stops``: the stop words (default
    ``stop_words()``)."""
    paragraph = strip_stamp(paragraph)
    # Word shares are estimated on the paragraph's head: a long paragraph is prose or not
    # by its first sentences, and counting every word of every body was a third of the cost.
    head = paragraph[:_SAMPLE_CHARS]
    words = _WORD.findall(head)
    stops = stop_words() if stops is None else stops
    # (counted by map: the generator loops were a sixth of the cost)
    stop_count = sum(map(stops.__contains__, _WORD.findall(head.casefold())))
    # (Paragraphs come whitespace-folded: spaces are the only blanks left.)
    characters = (len(paragraph) - paragraph.count(" ")) or 1
    initials = [w[0] for w in words]
    capitals = sum(map(str.isupper, initials))
    return ParagraphFeatures(
        words=len(words) if len(paragraph) <= _SAMPLE_CHARS else len(paragraph.split()),
        stop_density=stop_count / len(words) if words else 0.0,
        digit_share=len(_DIGIT.findall(paragraph)) / characters,
        ends_sentence=bool(_SENTENCE_END.search(paragraph)),
        stamp=not paragraph.strip() or bool(_STAMP.fullmatch(paragraph)),
        named_date=is_named_date(paragraph),
        widget=is_widget(paragraph),
        crumbs=is_crumbs(paragraph),
        appeal=bool(_READER.search(head)) and bool(_SITE_ACTION.search(head)) and not _QUOTED.search(head),
        capital_share=capitals / len(words) if words else 0.0,
        title_case=len(words) >= TITLE_CASE_WORDS
        and capitals >= 0.8 * len(words)
        and _is_title_case(words, stops)
        and not _FULL_STOP.search(paragraph),
        # (every link has "http", "www." or "@": most paragraphs are not searched)
        has_link=(
            ("http" in paragraph or "www." in paragraph or "@" in paragraph) and bool(_LINK.search(paragraph))
        )
        or (len(words) < _SHORT_WITH_DOMAIN and bool(_DOMAIN.search(paragraph))),
        aside=bool(_ASIDE.fullmatch(paragraph)),
        inner_punctuation=bool(_INNER_PUNCTUATION.search(paragraph.rstrip(".!?…"))),
        sentences=1 + len(_SENTENCE_BREAK.findall(paragraph.rstrip())),
        full_stop=bool(_FULL_STOP.search(paragraph)) and not has_stamp_words(paragraph),
        lower_words=round(
            sum(map(str.islower, initials))
            * (1 if len(paragraph) <= _SAMPLE_CHARS else len(paragraph.split()) / max(len(words), 1))
        ),
        social=len(words) < SOCIAL_WORDS and ("@" in head or "#" in head) and bool(_SOCIAL.search(head)),
        letters=bool(_LETTER.search(head)),
        junk=_is_junk(head, len(words), stop_count, stops),
        tags_twice=len(words) >= TAG_LINE_WORDS
        and stop_count <= 1
        and _repeats_its_start([w.casefold() for w in words]),
    )


def _is_title_case(words: list[str], stops: frozenset[str]) -> bool:
    """Function words capitalised after the first word ("... Of Victims Of ..."): a
    sentence writes them in lower case, a headline in Title Case does not."""
    rest = words[1:]
    capitalised = [w for w in rest if w[:1].isupper()]
    return len(capitalised) >= 0.8 * len(rest) and any(
        len(w) > 1 and not w.isupper() and w.casefold() in stops for w in capitalised
    )


def _repeats_its_start(words: list[str]) -> bool:
    head = words[:2]
    return any(words[k : k + 2] == head for k in range(2, len(words) - 1))


def _is_junk(head: str, words: int, stop_count: int, stops: frozenset[str]) -> bool:
    """A scan's noise (a few letters among as many symbols, no function word) or a tag
    list glued by commas."""
    if head.count(",") >= GLUED_TAGS and len(_GLUED_TAGS.findall(head)) >= GLUED_TAGS:
        return True
    if words > JUNK_WORDS:
        return False
    letters = len(_LETTER.findall(head))
    # (single letters of the noise are no function words, whatever the stop-word lists say)
    real_stop = bool(stop_count) and any(len(w) > 1 and w in stops for w in _WORD.findall(head.casefold()))
    return (
        words <= JUNK_WORDS
        and not real_stop
        and not _DIGIT.search(head)
        and 2 * len(_SYMBOL.findall(head)) >= letters
    )


def has_stamp_words(paragraph: str) -> bool:
    """Copyright and rights lines end with a period too; they are no sentence of the story."""
    return bool(_RIGHTS.search(paragraph))


# A caption ends by saying it is one: "... Kassym-Jomart Tokayev. Archivbild", "(file photo)".
_PICTURE_END = (
    r"(?:Archivbild|Archivfoto|Symbolbild|file photo|archive photo|архивное фото|фото из архива)\)?\.?\s*$"
)
_PICTURE_END_PATTERN = re.compile(_PICTURE_END, re.IGNORECASE)
_PICTURE_END_CHARS = 40


@lru_cache(maxsize=PARAGRAPH_MEMO_SIZE)
def says_it_is_a_picture(paragraph: str) -> bool:
    """A caption that says it is one (its last words: "Archivbild", "(file photo)")."""
    return _PICTURE_END_PATTERN.search(paragraph, max(0, len(paragraph) - _PICTURE_END_CHARS)) is not None


# A caption ends with where and when the picture was taken, after a comma: "... talks to VOA,
# Termez, Uzbekistan, Nov. 3, 2021.", "... in Astana, Kazakhstan, July 4, 2024. (Xinhua/Xie
# Huanchi)", "... outside Moscow, on March 23, 2024." A sentence of the story says when a thing
# happened inside its clause ("was signed on March 5, 2020."), not as a trailing stamp.
_CAPTION_DATE = re.compile(
    rf",\s+(?:(?:on|in)\s+)?(?:(?:{_WEEKDAYS}),\s+)?(?:{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}})\.\s*(?:\([^()]{{0,60}}\))?\s*$",
    re.IGNORECASE,
)
_CAPTION_DATE_CHARS = 120
CAPTION_DATE_WORDS = 6


def is_dated_caption(paragraph: str, words: int) -> bool:
    """A caption ending with the picture's place and date (see ``_CAPTION_DATE``)."""
    return (
        words >= CAPTION_DATE_WORDS
        and _CAPTION_DATE.search(paragraph, max(0, len(paragraph) - _CAPTION_DATE_CHARS)) is not None
    )


# A caption says where its people stand in the picture: "Foreign Minister Cho Tae-yul, right,
# shakes hands with ...", "Kyrgyz President Sadyr Japarov (left) speaks to ...", "(L-R)",
# "(слева направо)", "(chapda)", "(soldan sağa)"; a story's sentence has no picture to point at.
_IN_PICTURE = re.compile(
    r",\s*(?:left|right|center|centre|(?:second|third)\s+(?:from\s+)?(?:left|right)|far\s+(?:left|right))\s*,"
    r"|[(（]\s*(?:L-R|R-L|L to R|from left|left to right|left|right|center|centre|слева(?:\s+направо)?"
    r"|справа(?:\s+налево)?|в\s+центре|chapda|o.ngda|o.rtada|markazda|сол\s+жақта|оң\s+жақта|ортада"
    r"|soldan\s+sağa|sağda|solda|ortada|links|rechts|Mitte|à\s+gauche|à\s+droite|au\s+centre)\s*[)）]",
    re.IGNORECASE,
)
# A photo caption's credit: "Photo: AFP", "Image Credit: AP", "© Name, AFP", "[File: X/Reuters]",
# "(Sputnik via Reuters)", "新华社记者 X 摄", "... / AP".
_PHOTO_AGENCIES = r"(?:AP|AFP|Reuters|EPA|Getty Images|TASS|ТАСС|Xinhua|Sputnik|РИА Новости|Anadolu)"
_CAPTION = re.compile(
    r"(?:\b(?:photo|photos|фото|foto|surat|сурет|image|picture|pictured)\s*(?:by|credit|:|/|©)"
    r"|\b(?:photo|image)\s+credit\b"
    r"|(?:记者|記者)\s*\S{1,4}\s*(?:摄|攝)\s*$"
    r"|\s/\s*" + _PHOTO_AGENCIES + r"\s*$"
    r"|\((?:[\w .'-]{1,40}\s+via\s+)?" + _PHOTO_AGENCIES + r"\)\s*$"
    r"|\[(?:file|photo|фото)\s*:[^\]]{1,80}\]\s*$"
    r"|©\s*[^.©]{1,60},\s*" + _PHOTO_AGENCIES + r"\s*$"
    r"|^\s*(?:\(?(?:photo|фото)\)?\b))",
    re.IGNORECASE,
)
# A caption that closes with its picture's credit says what it is whatever its length (a
# long caption is still one): "... upon his arrival at the airport. [Photo/Xinhua]", "...
# toppled his predecessor [AP]", "... (SCO) summit. Photo: People's Daily", "... oil
# producer. Photographer: Andrey Rudakov/Bloomberg ... via Getty Images".
_CREDIT_TAIL = re.compile(
    r"(?:\[(?:photo|фото|foto)\s*[/:]\s*[^\]\n]{1,40}\]"
    r"|\[" + _PHOTO_AGENCIES + r"(?:\s*(?:photo|/[^\]\n]{1,30}))?\]"
    r"|(?<![^\W\d_])(?:photo|фото|foto)\s*:\s*[^.:\n]{1,40}"
    r"|(?<![^\W\d_])photograph(?:er)?\s*(?:by\b|:)[^\n]{1,160}"
    r"|\bvia\s+Getty\s+Images)\s*$",
    re.IGNORECASE,
)
CREDITED_CAPTION_WORDS = 80
_CREDIT_TAIL_CHARS = 200


@lru_cache(maxsize=PARAGRAPH_MEMO_SIZE)
def ends_with_picture_credit(paragraph: str) -> bool:
    """A caption closing with its picture's credit (see ``_CREDIT_TAIL``)."""
    return _CREDIT_TAIL.search(paragraph, max(0, len(paragraph) - _CREDIT_TAIL_CHARS)) is not None


# A teaser of the lead printed above it, cut off with an ellipsis.
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*$")
_STARTS_HEADLINE = re.compile(r"[«\"“‘'>(]*\s*(?:[^\W\d_](?<![a-zа-яёәғқңөұүһіўҳ])|\d)")
# A pointer to another story: "READ MORE: ...", ">> ...", "Читайте также: ...", "Mavzuga doir: ...".
_SEE_ALSO = re.compile(
    r"\s*(?:>>|»\s|(?:(?:also\s+)?read(?:\s+(?:more|also))?|see\s+also|related|читайте(?:\s+также)?|"
    r"смотрите(?:\s+также)?|по\s+теме|подробнее(?:\s+читайте)?|mavzuga\s+doir|shuningdek\s+o.qing|"
    r"eləcə\s+də\s+bax|ayrıca\s+bakınız|sondan\s+okuň|lesen\s+sie\s+auch|weiterlesen|lire\s+aussi|"
    r"à\s+lire\s+aussi)(?:\s+(?:на|at|on|в|in))?\s*(?::|\.\.\.|…|$))",
    re.IGNORECASE,
)
_HEADLINE_END = re.compile(r"[.,;:]\s*$")


def _teaser_copies(forms: list[str], scored: list[ParagraphFeatures], protected: set[int]) -> set[int]:
    """First copies of a prose paragraph printed again further down with no other prose
    of the story between the two: the page's teaser of its lead."""
    found: set[int] = set()
    seen: set[str] = set()
    repeated = {form for form in forms if form and (form in seen or seen.add(form))}
    for i, form in enumerate(forms):
        if form not in repeated or i in protected or not (scored[i].good or scored[i].near_good):
            continue
        copy = next((k for k in range(i + 1, len(forms)) if forms[k] == form), None)
        if copy is not None and not any(scored[j].good for j in range(i + 1, copy)):
            found.add(i)
    return found


def _teasers(paragraphs: list[str], protected: set[int]) -> set[int]:
    """A line ending in an ellipsis whose text opens the next line: the page's teaser of
    the lead printed above the lead itself."""
    found = set()
    for i in range(len(paragraphs) - 1):
        if i in protected or not _ELLIPSIS.search(paragraphs[i]):
            continue
        head = comparison_form(_ELLIPSIS.sub("", paragraphs[i]))
        if len(head) >= 20 and comparison_form(paragraphs[i + 1]).startswith(head[: len(head) - 8]):
            found.add(i)
    return found


def _footer_headlines(
    paragraphs: list[str], scored: list[ParagraphFeatures], last: int, drop: set[int], protected: set[int]
) -> set[int]:
    """Runs of three or more headline-shaped lines after the story's last paragraph (a
    capital, at most 20 words, no full stop, comma or colon at the end): the outlet's list
    of other stories, with the short label above it ("Other materials", "Популярное").
    A line starting in lower case breaks the run: that is a sentence the page wrapped."""
    found: set[int] = set()
    run: list[int] = []

    def close() -> None:
        if len(run) >= 3:
            found.update(run)
            lead = run[0] - 1
            label = scored[lead] if lead > last and lead not in protected else None
            if label is not None and label.words <= LABEL_WORDS and not label.full_stop:
                found.add(lead)
        run.clear()

    for i in range(last + 1, len(paragraphs)):
        if i in drop:
            continue
        f = scored[i]
        if (
            i not in protected
            and _STARTS_HEADLINE.match(paragraphs[i])
            and 1 <= f.words <= 20
            and f.digit_share < 0.2
            and not _HEADLINE_END.search(paragraphs[i])
        ):
            run.append(i)
        else:
            close()
    close()
    return found


def furniture_positions(
    paragraphs: list[str],
    keep: Callable[[str], bool] | None = None,
    history: OutletHistory | None = None,
    own_item_counted: bool = False,
    by_position: bool = False,
    headline_at: int | None = None,
    dateline_at: int | None = None,
    extra_stop_words: tuple[str, ...] = (),
) -> set[int]:
    """Positions of ``paragraphs`` that are furniture. ``extra_stop_words``: the desk's stop
    words beside jusText's (``BoilerplateRules.stop_words``). ``keep``: paragraphs attribution
    must see (credit lines, sign-offs, datelines) are never furniture here; with
    ``by_position`` it is asked about positions (the caller asked about the text already).
    ``headline_at``: where the page printed the story's headline (the caller took it out):
    what stands above it is the page's header. ``dateline_at``: the first paragraph that
    opens with a dateline: when it is the lead, what stands between the headline and it is
    the page's (a photo caption, a deck, a teaser), prose or not."""
    stops = stop_words(extra_stop_words)
    if keep is None:
        protected: set[int] = set()
    elif by_position:
        protected = {i for i in range(len(paragraphs)) if keep(i)}
    else:
        protected = {i for i, p in enumerate(paragraphs) if keep(p)}
    drop: set[int] = set()
    if len(paragraphs) < MIN_PARAGRAPHS:
        # A feed summary or a short page: only what is furniture without context (the
        # outlet's own lines, a hashtag or follow prompt, a date stamp beside the text).
        drop |= {
            i
            for i, p in enumerate(paragraphs)
            if i not in protected
            and (
                (history is not None and history.is_furniture(p, own_item_counted))
                or (len(paragraphs) > 1 and (features(p, stops).social or is_stamp(p)))
            )
        }
        # A label of a word or two under the text ("Recent comments", "Ad"): the page's
        # next block, not the end of a sentence (that would carry on the prose above).
        last = len(paragraphs) - 1
        if (
            last > 0
            and last not in protected
            and _is_trailing_label(paragraphs[last], paragraphs[last - 1], stops)
        ):
            drop.add(last)
        # ... and one over it ("Learn more", "Show original", a section's name "Usbekistan").
        if last > 0 and 0 not in protected and _is_leading_label(paragraphs[0], paragraphs[1], stops):
            drop.add(0)
        return drop
    # A line the page prints twice (a caption under each picture, a headline in a share
    # box) is not the story, which says a thing once.
    # (Prose printed twice is the page repeating its story, which is still the story.)
    scored = [features(p, stops) for p in paragraphs]
    forms = [fold_whitespace(strip_stamp(p)).casefold() for p in paragraphs]
    repeated = {form for form in forms if form and forms.count(form) > 1}
    # A caption printed under each picture sits right next to its copy; a page that
    # repeats its story repeats whole paragraphs further apart.
    beside = {i for i in range(len(forms)) if forms[i] and (i + 1 < len(forms) and forms[i + 1] == forms[i])}
    beside |= {i + 1 for i in beside}
    # ... or with its short credit between the two copies ("caption" / "AP" / "caption"):
    # that credit is the picture's, even where attribution would read it.
    around = {
        i
        for i in range(1, len(forms) - 1)
        if forms[i - 1]
        and forms[i - 1] == forms[i + 1]
        and scored[i].words <= CREDIT_UNDER_CAPTION_WORDS
        and (i in protected or _CAPTION.search(paragraphs[i]))
    }
    beside |= {i - 1 for i in around} | {i + 1 for i in around}
    drop |= around
    drop |= {
        i
        for i, form in enumerate(forms)
        if form in repeated
        and i not in protected
        and (i in beside or not (scored[i].near_good or scored[i].good))
    }
    # A paragraph printed above the headline and again as the lead is a teaser: with none
    # of the story between the copies, the first copy goes and the lead stays.
    drop |= _teaser_copies(forms, scored, protected)
    # A pointer to another story and a photo caption are never this story's words.
    captions = {
        i
        for i, p in enumerate(paragraphs)
        if i not in protected
        and (
            (
                scored[i].words < CAPTION_WORDS
                and (
                    _CAPTION.search(p)
                    or says_it_is_a_picture(p)
                    or is_dated_caption(p, scored[i].words)
                    or _IN_PICTURE.search(p)
                )
            )
            or (scored[i].words < CREDITED_CAPTION_WORDS and ends_with_picture_credit(p))
        )
    }
    # The caption line over its credit line ("Burnt-out building on Republic Square" / "Image by ...").
    captions |= {
        i - 1
        for i in captions
        if i > 0
        and i - 1 not in protected
        and (
            (
                not scored[i - 1].full_stop
                and scored[i - 1].words <= CAPTION_ABOVE_WORDS
                and not scored[i - 1].good
            )
            # or the same caption printed once without its credit
            or (len(paragraphs[i - 1]) >= 20 and paragraphs[i].startswith(paragraphs[i - 1]))
        )
    }
    drop |= captions
    # A source line under a caption that says it is one ("... Archivbild" / "Quelle: AP/dpa")
    # is the picture's credit, though it reads like the copy's.
    drop |= {
        i + 1
        for i in captions
        if i + 1 in protected
        and says_it_is_a_picture(paragraphs[i])
        and scored[i + 1].words <= CREDIT_UNDER_CAPTION_WORDS
    }
    drop |= _teasers(paragraphs, protected)
    drop |= {
        i
        for i, p in enumerate(paragraphs)
        if i not in protected
        and ((scored[i].words <= SEE_ALSO_WORDS and _SEE_ALSO.match(p)) or scored[i].social)
    }
    if history is not None:
        # A sentence needs more of the outlet's items than a menu line: two copies of
        # one story share their sentences.
        drop |= {
            i
            for i, p in enumerate(paragraphs)
            if i not in protected
            and history.is_furniture(p, own_item_counted, prose=scored[i].good or scored[i].prose)
        }
    # What is furniture whatever stands around it: a bare date/time stamp, a widget, a
    # breadcrumb, a line of no letters, a scan's noise.
    drop |= {
        i
        for i, f in enumerate(scored)
        if i not in protected
        and (f.stamp or f.named_date or f.widget or f.crumbs or not f.letters or (f.junk and not f.good))
    }
    good = [i for i, f in enumerate(scored) if f.good and i not in drop]
    if not good:
        return drop
    # Above the headline stands the page's header, prose or not (a subscription notice, a
    # site's slogan): when more of the story's prose follows the headline than precedes it
    # (a headline printed again in a share box under the story marks no start).
    if headline_at is not None and sum(1 for i in good if i >= headline_at) > sum(
        1 for i in good if i < headline_at
    ):
        drop |= {i for i in range(headline_at) if i not in protected}
        good = [i for i in good if i >= headline_at]
    # The story starts at its dateline lead ("BISHKEK, Kyrgyzstan (AP) — Voters ..."):
    # above it, under the headline, stand the picture's caption ("X casts her ballot ...
    # on Oct. 30, 2011.") and the deck, which read like prose. Only when little prose
    # stands above it (a page running into the next story has that story's dateline
    # further down, under this story's prose).
    if (
        dateline_at is not None
        and scored[dateline_at].good
        and sum(1 for i in good if i < dateline_at) <= DATELINE_LEAD_AFTER
        and any(i > dateline_at for i in good)
    ):
        start = headline_at if headline_at is not None and headline_at <= dateline_at else 0
        # (A deck that repeats the lead's words stays: the lead is the story's, and telling
        # the two copies apart is the reader's business, not a cut.)
        lead = comparison_form(paragraphs[dateline_at])
        drop |= {
            i
            for i in range(start, dateline_at)
            if i not in protected and comparison_form(paragraphs[i])[:LEAD_COPY_CHARS] not in lead
        }
        good = [i for i in good if i >= dateline_at]
    first, last = good[0], good[-1]
    # The story's edges: prose next to it that is cut off, glued to a credit or missing its
    # final period is the story too (jusText's "near-good" paragraphs).
    # A short line (a subheading) may sit between them, never a line that is furniture
    # already (jusText's context: a line beyond furniture is not the story's edge).
    while (
        edge := next(
            (
                j
                for j in (first - 1, first - 2)
                if j >= 0 and scored[j].near_good and j not in drop and first - 1 not in drop
            ),
            None,
        )
    ) is not None:
        first = edge
    while (
        edge := next(
            (
                j
                for j in (last + 1, last + 2)
                if j < len(scored) and scored[j].near_good and j not in drop and last + 1 not in drop
            ),
            None,
        )
    ) is not None:
        last = edge
    # A stamp after the story started opens the next item on the page; that item's
    # label, headline and teaser may stand above its stamp.
    next_item = next((i for i in range(first + 1, len(paragraphs)) if scored[i].stamp), None)
    if next_item is not None:
        next_item = _next_item_start(paragraphs, scored, drop, protected, next_item, first)
        last = min(last, next_item - 1)
    for i, f in enumerate(scored):
        if i in drop:
            continue
        if i in protected:
            # The next item's own dateline paragraph ("Алматы. 22 декабря. KAZAKHSTAN TODAY -
            # В Алматы ...") is that item's; a short credit line may still sign this one off.
            if next_item is not None and i >= next_item and f.words >= NEXT_ITEM_DATELINE_WORDS:
                drop.add(i)
            continue
        if next_item is not None and i >= next_item:
            # Everything after it is that item, prose or not.
            drop.add(i)
            continue
        if f.junk and not f.good:
            drop.add(i)  # noise or a glued tag list reads like words, never like the story
            continue
        if f.good or f.prose or f.sentence_like or _part_of_a_sentence(i, paragraphs, scored):
            continue
        header = i < first and not _between_prose(i, scored, drop)
        footer = (
            i > last
            and not _cut_off_ending(i, paragraphs, scored)
            and not _continues(i, scored, drop)
            and not _heads_more_story(i, scored, drop, next_item)
        )
        if f.bad or header or footer:
            drop.add(i)
    # Headlines of other stories listed under this one.
    drop |= _footer_headlines(paragraphs, scored, last, drop, protected)
    drop |= _foot_labels(paragraphs, scored, first, drop, protected)
    drop |= _between_furniture(scored, last, drop, protected)
    # A Title Case headline over furniture (a video's title over its player, another
    # story's over its picture) heads no part of this story: a subheading heads prose.
    drop |= {
        i
        for i in range(first, len(scored) - 1)
        if scored[i].title_case and i + 1 in drop and i not in protected and i not in drop
    }
    return drop


def _between_prose(i: int, scored: list[ParagraphFeatures], drop: set[int]) -> bool:
    """jusText's context rule the other way round: a long line of mostly lower-case words
    (a sentence whose function words no stop list knows) between two kept lines of prose
    is prose too, above the first good paragraph as well."""
    f = scored[i]

    def prose(j: int) -> bool:
        return 0 <= j < len(scored) and j not in drop and (scored[j].good or scored[j].prose)

    return f.words >= NEAR_GOOD_WORDS and f.lower_words >= 0.5 * f.words and prose(i - 1) and prose(i + 1)


def _between_furniture(
    scored: list[ParagraphFeatures], last: int, drop: set[int], protected: set[int]
) -> set[int]:
    """jusText's context rule for the page's foot: after the story's last good paragraph,
    a run of lines that are not good prose with furniture above it and furniture or the
    text's end below it is furniture too (another story's headline or teaser between the
    "Also read" label and the next one, a teaser cut off under a block of others). Next to
    the story's prose, the same line (a last sentence cut off) stays."""
    found: set[int] = set()
    i = last + 1
    while i < len(scored):
        if i in drop or i in protected or scored[i].good:
            i += 1
            continue
        j = i
        while j + 1 < len(scored) and j + 1 not in drop and j + 1 not in protected and not scored[j + 1].good:
            j += 1
        # (One pointer dropped right under the story's prose, "READ: ...", is an insert the
        # story may go on under: a sentence below it stays.)
        inserted = i - 2 == last and all(scored[k].sentence_like for k in range(i, j + 1))
        if i - 1 in drop and (j + 1 == len(scored) or j + 1 in drop) and not inserted:
            found.update(range(i, j + 1))
        i = j + 1
    return found


def _is_short_label(paragraph: str, f: ParagraphFeatures) -> bool:
    """At most ``TRAILING_LABEL_WORDS`` words, capitalised, with no digit or sentence end:
    the shape a label has above or under a story, whichever side it stands."""
    return (
        1 <= f.words <= TRAILING_LABEL_WORDS
        and paragraph[:1].isupper()
        and not f.ends_sentence
        and f.digit_share == 0
    )


def _is_trailing_label(paragraph: str, above: str, stops: frozenset[str]) -> bool:
    """At most ``TRAILING_LABEL_WORDS`` capitalised words with no digit or sentence end,
    under a paragraph of prose that ended its sentence."""
    before = features(above, stops)
    return (
        _is_short_label(paragraph, features(paragraph, stops))
        and (before.ends_sentence or before.words >= LONG_WORDS)
        and before.words >= GOOD_WORDS
    )


def _is_leading_label(paragraph: str, below: str, stops: frozenset[str]) -> bool:
    """At most ``TRAILING_LABEL_WORDS`` words, capitalised but not in capitals (a place
    written "ASTANA" may be the dateline), with no digit or sentence end, over a good
    paragraph: a button or a section's name above a short text."""
    return (
        _is_short_label(paragraph, features(paragraph, stops))
        and not paragraph.isupper()
        and features(below, stops).good
    )


def _is_label(f: ParagraphFeatures) -> bool:
    """A short line that is no sentence: a section label or a block's heading."""
    return 1 <= f.words <= FOOT_LABEL_WORDS and not f.full_stop and not (f.good or f.prose)


def _headline_shaped(paragraph: str, f: ParagraphFeatures) -> bool:
    return bool(_STARTS_HEADLINE.match(paragraph)) and 1 <= f.words <= 20 and not f.full_stop


def _next_item_start(
    paragraphs: list[str],
    scored: list[ParagraphFeatures],
    drop: set[int],
    protected: set[int],
    stamp: int,
    first: int,
) -> int:
    """Where the next item on the page starts, given its stamp: going up from the stamp
    over that item's headline (printed once or twice), its teaser under the headline and
    the label over the block ("Bu ham qiziq", "Related"). Only when one of those lines is
    furniture already (a repeated headline, a "read more" pointer, a teaser cut off with
    "...") — otherwise the stamp itself is the start, and a last paragraph of the story
    under a subheading stays."""
    start, evidence = stamp, False
    j = stamp - 1
    while j > first and j not in protected:
        f = scored[j]
        above = j - 1
        if j in drop or _ELLIPSIS.search(paragraphs[j]):
            evidence = True
        elif not f.good and _headline_shaped(paragraphs[j], f):
            pass  # that item's headline (sentence case reads like a sentence, but ends in none)
        elif f.good or f.prose or f.sentence_like:
            # a teaser belongs to the next item only right under its headline
            if not (above > first and (above in drop or _headline_shaped(paragraphs[above], scored[above]))):
                break
        elif f.full_stop:
            break  # a sentence that is no teaser: the story's
        start = j
        j -= 1
    return start if evidence else stamp


def _foot_labels(
    paragraphs: list[str], scored: list[ParagraphFeatures], first: int, drop: set[int], protected: set[int]
) -> set[int]:
    """Labels that head a block of furniture running to the end of the text ("Related
    Posts" over other items, "Talk to us" over an appeal): with all that follows them gone,
    they label nothing of the story."""
    found: set[int] = set()
    i = len(paragraphs) - 1
    while i > first and (i in drop or i in found):
        i -= 1
    while i > first and i not in protected and _is_label(scored[i]) and i + 1 < len(paragraphs):
        found.add(i)
        i -= 1
        while i > first and i in drop:
            i -= 1
    return found


def _continues(i: int, scored: list[ParagraphFeatures], drop: set[int]) -> bool:
    """The line goes on with a kept sentence the page wrapped ("... 1.473 million bpd in" /
    "April.", "to almost $60 billion,” Russia’s" / "President said.")."""
    before = scored[i - 1]
    return (
        i - 1 not in drop
        and before.words >= WRAPPED_WORDS
        and not before.ends_sentence
        and before.stop_density > 0
    )


def _heads_more_story(i: int, scored: list[ParagraphFeatures], drop: set[int], next_item: int | None) -> bool:
    """A short line the story's own sentences follow (a subheading over the next part,
    even when that part was cut off before it made a whole paragraph): jusText keeps a
    short paragraph between prose."""
    after = next((j for j in range(i + 1, len(scored)) if j not in drop), None)
    if after is None or (next_item is not None and after >= next_item):
        return False
    following = scored[after]
    return (
        not scored[i].bad
        and (following.sentence_like or following.prose)
        and following.words >= NEAR_GOOD_WORDS
    )


def _part_of_a_sentence(i: int, paragraphs: list[str], scored: list[ParagraphFeatures]) -> bool:
    """A line of a sentence the page wrapped over several lines, or one introducing the
    next ("President Mirziyoyev:"): it starts in lower case, the line before it broke off
    mid-sentence, the next one continues it, or it ends with a colon before prose."""
    text = paragraphs[i]
    before = scored[i - 1] if i > 0 else None
    if scored[i].stamp or scored[i].counter or scored[i].junk or _LINK.match(text):
        return False  # (a line that opens with a web address is a link, not words of a sentence)
    wrapped_before = before is not None and not before.ends_sentence and before.words >= WRAPPED_WORDS
    if text[:1].islower() and wrapped_before:
        return True
    # After prose that broke off, a line that ends the sentence or carries on with a few
    # words; a word or two with no sentence end ("Images" under a cut-off teaser) is a label.
    if (
        before is not None
        and before.good
        and not before.ends_sentence
        and (scored[i].ends_sentence or scored[i].words >= WRAPPED_WORDS)
    ):
        return True
    after = paragraphs[i + 1] if i + 1 < len(paragraphs) else ""
    if after[:1].islower() and not scored[i].ends_sentence and scored[i].words >= WRAPPED_WORDS:
        return True
    return text.rstrip().endswith(":") and i + 1 < len(paragraphs) and scored[i + 1].good


def _cut_off_ending(i: int, paragraphs: list[str], scored: list[ParagraphFeatures]) -> bool:
    """The text's last line, cut off mid-sentence right after the story's prose (an
    excerpt or a truncated feed body): the story's own words."""
    return (
        i == len(paragraphs) - 1
        and i > 0
        and (scored[i - 1].good or scored[i].words >= NEAR_GOOD_WORDS)
        and not scored[i].ends_sentence
        and scored[i].words >= CUT_OFF_MIN_WORDS
        # A sentence broken off, not a "Leave a Comment" / "Latest in Finances" button.
        and (scored[i].lower_words >= 0.5 * scored[i].words or scored[i].words >= CUT_OFF_WORDS)
    )
