"""What a message is, apart from its intent: a request for a person, abuse, no language,
another language, a denial, venting.

The intent classifier sees the whole message and picks one intent; these checks look
for one thing each, wherever it is in the message, so that "my parcel is late, can I
speak to a real person please" is a request for a person and "<div>" is not a complaint.
``bot.nlu.message_signals.MessageSignals`` applies them in the Rasa process; the
functions here are plain and tested on their own.

* Abuse uses alt-profanity-check (a maintained classifier whose model is shipped in the
  package, pickled for Rasa's scikit-learn 1.1.3) to judge the words said *about* the
  person addressed ("you idiots", "your staff are morons", "stupid bot"); swearing about
  the situation ("this is f***ing ridiculous") is not abuse.
* Language uses lingua (models shipped in the wheel), in its low-accuracy mode (trigram
  models only, about 20 MB), loaded when the model loads.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from lingua import LanguageDetector

NoLanguage = Literal["markup", "code", "emoji", "symbols", "mash"]

# --- a request for a person ------------------------------------------------------------

_SOMEONE = (
    r"(?:a |an |the |some |your |ur |her |his |their |one of your |to a |to an )?"
    r"(?:real |actual |live |human |proper |real life |real-life |flesh and blood )?"
    r"(?:human(?: being)?s?|person|people|(?:some|any)(?:one|body)(?: real)?|agent|representative"
    r"|rep|operator|manager|supervisor|colleague|member of (?:staff|your team|the team)"
    r"|staff member"
    r"|customer (?:service|support|care)(?: rep| agent| person| team)?|team member|advisor"
    r"|adviser|humn|persn|hooman|humen|manger|supervisr|operater|boss|team leader"
    r"|whoever(?:'s| is) in charge|(?:[a-z]+ )?(?:manager|supervisor))"
    r"(?: senior| in charge| from (?:your |the )?\w+(?: team)?)?"
)
_NOT_FOR_CHAT = (
    r"(?!\s+(?:to|who|that)\s+(?:sign|collect|deliver|pick|be home|be there|carry|install"
    r"|assemble|fix|repair|come|visit|measure|set)"
    r"|\s+about\s+(?:becoming|supplying|stocking|selling|a job|jobs|working|a partnership"
    r"|partnering|advertising|sponsor|an? (?:interview|article|story|feature)))"
)
PERSON_REQUEST = re.compile(
    r"\b(?:speak|talk|chat|get through)\s+(?:to|with)\s+"
    + _SOMEONE
    + r"\b"
    + _NOT_FOR_CHAT
    + r"|\b(?:get|give|put|connect|transfer|pass|send|escalate|hand)\s+(?:me|this|us)\s+"
    r"(?:thru\s+to\s+)?"
    r"(?:on\s+)?(?:to\s+|through\s+to\s+|with\s+|over\s+to\s+)?" + _SOMEONE + r"\b"
    r"|\b(?:want|need|would like|'d like|demand|prefer|rather have|rather deal with|asking for"
    r"|ask for)\s+(?:to\s+(?:speak|talk|chat)\s+(?:to|with)\s+)?"
    + _SOMEONE
    + r"\b"
    + _NOT_FOR_CHAT
    + r"|\b(?:is there|are there|can i get|could i get|can i have|could i have|may i have"
    r"|may i speak to|let me (?:speak|talk) to)\s+"
    + _SOMEONE
    + r"\b"
    + _NOT_FOR_CHAT
    + r"|^\W*(?:a\s+)?(?:real\s+|live\s+)?(?:human|agent|representative|operator|person"
    r"|manager|supervisor)s?\W*(?:please|pls|plz|now|asap)?\W*$"
    # "... HUMAN PLEASE", "agent now!!"
    r"|\b(?:(?:real|actual|live) (?:person|human)|human|agent|representative|operator|supervisor)s?"
    r"[\s,!.]+(?:please|pls|plz|now|asap)\b"
    r"|\bcan (?:a|an|one of your) (?:staff member|member of staff|person|human|agent) help\b"
    r"|\bsome(?:one|body)(?: senior| real| from (?:your |the )?\w+(?: team)?)? (?:to |can |could |"
    r"should |please |needs? to |must )?(?:contact me|get in touch|get back to me|email me)\b"
    # a call back: "can someone call me", "have somebody ring me back", "I want a callback"
    r"|\b(?:you guys|you)\s+(?:to\s+|can\s+|could\s+|should\s+|please\s+|needs? to\s+|must\s+)?"
    r"(?:call|ring|phone)\s+me\b"
    r"|\b(?:call|ring|phone) me back\b"
    r"|\b(?:want|need|like|request|requesting|arrange|get|have|book)\s+(?:a\s+)?"
    r"(?:call ?back|phone call|call from (?:some(?:one|body)|a person|your team))\b"
    # "escalate this", "transfer me", "put me through"
    r"|\bescalat(?:e|ed|ing|ion)\b"
    r"|^\W*(?:please\s+|pls\s+|can you\s+)?(?:call|ring|phone) me\b"
    r"|\bcall ?back\W*(?:please|pls|plz)\b"
    r"|\bput (?:a|the|your|ur) (?:manager|supervisor|human|person|agent|boss) on\b"
    r"|\b(?:transfer|put|patch)\s+me\s+(?:through|over|to)\b|\btransfer me\b"
    # "not a bot", "sick of talking to a machine"
    r"|\b(?:not|no more|instead of|rather than|sick of|tired of|fed up with|done with|enough of)"
    r"\s+(?:talking to |chatting (?:to|with) |typing to |dealing with )?"
    r"(?:a |the |this |your |some )?(?:stupid |useless |automated |bloody )?"
    r"(?:bot|robot|machine|chatbot|computer|ai|auto-?reply)\b",
    re.IGNORECASE,
)


_PERSON_ASKS = re.compile(
    # "could a real human look at this", "please can someone real help"
    r"\b(?:can|could|would|will|may|please|pls)\s+(?:please\s+)?(?:u\s+|you\s+)?"
    + _SOMEONE
    + r"\s+(?:please\s+)?(?:look|help|check|deal|handle|sort|review|call|ring|phone|contact"
    r"|get back|take (?:a look|over)|pick (?:this|it) up|give me a (?:call|ring|bell))\b"
    # "have a supervisor call me", "someone senior to ring us"
    r"|" + _SOMEONE + r"\s+(?:to\s+|can\s+|could\s+|should\s+|please\s+|needs? to\s+|must\s+)?"
    r"(?:call|ring|phone)\s+(?:me|us)\b"
    # "I'd rather someone rang me"
    r"|\b(?:rather|prefer|like|want)\s+(?:it\s+if\s+)?"
    + _SOMEONE
    + r"\s+(?:rang|called|phoned|contacted|rings|calls)\s+(?:me|us)\b"
    # "a phone number for a real person", "get someone on the phone"
    r"|\b(?:number|phone number|contact details?)\s+(?:for|of|to reach)\s+" + _SOMEONE + r"\b"
    r"|\bget\s+" + _SOMEONE + r"\s+on\s+(?:the\s+)?(?:phone|line|this|here|chat)\b"
    # "I'd like to discuss this with a member of your team"
    r"|\b(?:discuss|take)\s+(?:this|it)\s+(?:up\s+)?with\s+" + _SOMEONE + r"\b",
    re.IGNORECASE,
)
"""More ways of asking for a person, built on the same words for one."""
_PROCESS_QUESTION = re.compile(
    r"\b(?:do|does|would|will|should) (?:i|we|you)(?: (?:need|have) to)?\s+$", re.IGNORECASE
)
"""'Do I need to speak to someone to book?' asks how things work, not for a person."""
_REPORTED = re.compile(
    r"\b(?:promised|promises|said(?! i\b)|says(?! i\b)|told me|supposed to|going to|meant to"
    r"|(?:he|she|they|it) would|he'?d|she'?d|they'?d|never|didn'?t|did not|last time|already"
    r"|kept saying)\b"
    r"[^.!?,;…]{0,30}$",
    re.IGNORECASE,
)
"""What someone else said or did ("the manager promised to call me back"), not an ask."""


def asks_for_person(text: str) -> bool:
    """Whether the message asks for a person anywhere in it; not a report of what someone
    promised or did ("the agent said he'd escalate it")."""
    matches = [*PERSON_REQUEST.finditer(text), *_PERSON_ASKS.finditer(text)]
    return any(
        not _REPORTED.search(text[: match.start()])
        and not _PROCESS_QUESTION.search(text[: match.start()])
        for match in matches
    )


# --- abuse aimed at people ----------------------------------------------------------------

_DIRECTED_PROFANITY = re.compile(
    r"\b(?:f+u*c*k+|f\W{1,4}k|f\*+|fk|screw|sod|stuff)\s+(?:you|u|ya|off|your\s+\w+)\b"
    r"|\bgo to hell\b|\bshut (?:up|it)\b|\bstfu\b|\bpiss off\b|\bgo die\b|\bkys\b"
    r"|\bget lost\b",
    re.IGNORECASE,
)
_INTENSIFIERS = (
    r"(?:are|r|is|were|such|a|an|bunch|of|complete|total|absolute|utter|f\w*ing|bloody|damn"
    r"|all|just|so|the|most|lot|totally|completely|really|being)"
)
_SAID_ABOUT = r"((?:[a-z']+\s+){0,2}[a-z']+)"
"""Up to three words said about the person addressed; each is judged."""
_ABOUT_YOU = re.compile(
    r"\b(?:you|u|ya|you're|youre|ur|you guys|you lot|you people|you all|y'all)\s+"
    rf"(?:{_INTENSIFIERS}\s+){{0,4}}{_SAID_ABOUT}"
    r"|\b(?:your|the|these|those)\s+(?:[a-z]+\s+){0,2}(?:staff|agents?|employees|people|team"
    r"|workers|reps|drivers?|couriers?|guys|lot)\s+(?:are|is|were|r)\s+"
    rf"(?:{_INTENSIFIERS}\s+){{0,3}}{_SAID_ABOUT}"
    r"|\b([a-z]+)\s+(?:bot|robot|machine|chatbot|staff|agents|company)\b"
    # "the two delivery guys who brought my wardrobe were rude apes"
    r"|\b(?:staff|agents?|employees|team|workers|reps|drivers?|couriers?|guys|men|lads)\b"
    r"[^.!?]{0,40}?\b(?:are|were)\s+"
    rf"(?:{_INTENSIFIERS}\s+){{0,3}}{_SAID_ABOUT}",
    re.IGNORECASE,
)
_NOT_INSULTS = frozenset(
    {
        "damn", "bloody", "hell", "fucking", "freaking", "effing", "frigging", "ridiculous",
        "crap", "shit", "shitty", "crappy", "worst", "terrible", "awful", "joke",
        "kidding", "serious", "late", "slow", "wrong", "sorry", "please",
    }
)  # fmt: skip
"""Words the classifier scores high that, said after "you" or before "bot", describe
the situation ("you damn well", "you sent me crap") rather than insult a person."""
_INSULTS = frozenset(
    {
        "useless", "incompetent", "clown", "clowns", "liars", "thieves", "crooks", "brainless",
        "worthless", "clueless", "morons", "idiots", "imbeciles", "scammers", "pathetic",
        "brain", "braindead", "apes", "animals", "monkeys", "muppets", "donkeys", "dimwits",
        "cretins", "losers", "halfwits",
    }
)  # fmt: skip
"""Insults the classifier scores below its threshold on their own."""
ABUSE_THRESHOLD = 0.9


@lru_cache(maxsize=1)
def _profanity_probability() -> Callable[[list[str]], Any]:
    """alt-profanity-check's ``predict_prob``, imported on first use (scikit-learn)."""
    from profanity_check import predict_prob

    return predict_prob


def is_insult(word: str) -> bool:
    """Whether a word said about a person insults them (classifier, plus a short list)."""
    lowered = word.lower()
    if lowered in _NOT_INSULTS or len(lowered) < 3:
        return False
    if lowered in _INSULTS:
        return True
    return float(_profanity_probability()([lowered])[0]) >= ABUSE_THRESHOLD


def is_abusive(text: str) -> bool:
    """Whether the message insults the staff or the bot (not just swears)."""
    if _DIRECTED_PROFANITY.search(text):
        return True
    for match in _ABOUT_YOU.finditer(text):
        said = next(group for group in match.groups() if group)
        if any(is_insult(word) for word in said.split()):
            return True
    return False


# --- text with no language in it --------------------------------------------------------------

_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<!--.*?-->", re.DOTALL)
_CODE_CHARS = re.compile(r"[{}()\[\];=<>$\\|`]")
_CODE_SHAPES = re.compile(
    r"^\s*(?:select\s.+\sfrom\s|insert\s+into|def\s+\w+\(|import\s+\w|var\s+\w+\s*=|let\s+\w+\s*="
    r"|const\s+\w+\s*=|#include|\{\s*\"|<\?php)"
    r"|\b(?:drop\s+table|union\s+select|console\.log|document\.\w+|alert\s*\(|function\s*\("
    r"|=>|\bfor\s*\(\s*(?:let|var|int)\b)|<\s*script\b|;\s*--",
    re.IGNORECASE,
)
_ONLY_NUMBERS = re.compile(r"[\s#$€£.,:%/-]*(?:\d[\s\d#$€£.,:%/-]*)")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)
_VOWELS = set("aeiouy")


_TEXT_SPEAK = frozenset(
    [
        "plz",
        "pls",
        "plzz",
        "thx",
        "thnx",
        "thnks",
        "ty",
        "brb",
        "smh",
        "tbh",
        "ffs",
        "wtf",
        "hmm",
        "hmmm",
        "grr",
        "grrr",
        "shh",
        "lmk",
        "idk",
        "rn",
        "nvm",
        "ppl",
        "msg",
        "txt",
        "pmsl",
        "hrs",
        "mins",
        "yrs",
        "wk",
        "wks",
        "nxt",
        "pwd",
        "hw",
    ]
)
"""Chat words without vowels that are not keyboard mash ("agent plz")."""


def _is_mash(word: str) -> bool:
    lowered = word.lower()
    if len(lowered) < 3 or not lowered.isascii() or lowered in _TEXT_SPEAK:
        return False
    consonant_run = max(len(run) for run in re.split(r"[aeiouy]+", lowered))
    return not (_VOWELS & set(lowered)) or consonant_run >= 5


def mostly_mash(words: list[str]) -> bool:
    """At least half of the words (and one of them) look like keyboard mash."""
    mashed = sum(_is_mash(word) for word in words)
    return mashed > 0 and mashed * 2 >= len(words)


def no_language(text: str) -> NoLanguage | None:
    """What a message with no language in it is made of, or ``None`` if it has words.

    Markup (tags only), code, only emoji, only symbols and numbers, or keyboard mash.
    """
    stripped = text.strip()
    if not stripped:
        return "symbols"
    if _ONLY_NUMBERS.fullmatch(stripped):
        return None  # an order number or an amount on its own says something
    if _CODE_SHAPES.search(stripped):
        return "code"
    without_tags = html.unescape(_TAG.sub(" ", stripped))
    had_tags = without_tags.strip() != html.unescape(stripped).strip()
    if not _LETTERS.search(without_tags):
        if had_tags:
            return "markup"
        if any(unicodedata.category(char) == "So" for char in stripped):
            return "emoji"
        return "symbols"
    words = _WORDS.findall(without_tags)
    code_chars = len(_CODE_CHARS.findall(without_tags))
    if code_chars >= 3 and code_chars * 4 >= len(without_tags.replace(" ", "")) * 1:
        return "code"
    if sum(map(len, words)) >= 6 and mostly_mash(words):
        return "mash"
    if had_tags and len(words) <= 2 and _TAG.fullmatch(stripped) is not None:
        return "markup"
    return None


# --- another language ---------------------------------------------------------------------------

_ENGLISH_WORDS = frozenset(
    [
        "the",
        "my",
        "is",
        "and",
        "to",
        "i",
        "you",
        "it",
        "not",
        "a",
        "an",
        "of",
        "for",
        "in",
        "on",
        "with",
        "was",
        "this",
        "that",
        "me",
        "have",
        "has",
        "be",
        "are",
        "order",
        "item",
        "parcel",
        "refund",
        "please",
        "help",
        "can",
        "why",
        "where",
        "when",
        "what",
        "how",
        "no",
        "yes",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
        "still",
        "never",
        "got",
        "get",
        "did",
        "didn't",
        "don't",
        "it's",
        "i'm",
        "i've",
        "do",
        "does",
        "you",
        "your",
        "we",
        "our",
        "will",
        "would",
        "could",
        "should",
        "accept",
        "take",
        "want",
        "need",
        "just",
        "there",
        "here",
        "from",
        "about",
        "they",
        "them",
        "which",
        "who",
        "any",
        "if",
        "or",
        "but",
        "so",
        "at",
        "by",
        "up",
        "out",
        "all",
        "been",
    ]
)
OTHER_LANGUAGE_MIN_CONFIDENCE = 0.45
"""The likeliest language must have at least this confidence..."""
ENGLISH_MAX_CONFIDENCE = 0.15
"""...and English at most this."""


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.ENGLISH, Language.SPANISH, Language.FRENCH, Language.GERMAN, Language.ITALIAN,
        Language.PORTUGUESE, Language.DUTCH, Language.POLISH, Language.TURKISH, Language.RUSSIAN,
        Language.UKRAINIAN, Language.ARABIC, Language.CHINESE, Language.JAPANESE, Language.KOREAN,
        Language.HINDI, Language.SWEDISH, Language.DANISH, Language.ROMANIAN, Language.INDONESIAN,
        Language.VIETNAMESE, Language.GREEK,
    ]  # fmt: skip
    # Low-accuracy mode uses trigram models only: about 20 MB instead of 340 MB per Rasa
    # worker, and on whole sentences it tells English apart as well (unit tests).
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def other_language(text: str) -> str | None:
    """The ISO 639-1 code of the language a message is written in, if clearly not English.

    Short messages and messages with English words in them are taken as English: a
    customer who types "hola" before their complaint is still understood.
    """
    words = [word.lower() for word in _WORDS.findall(text)]
    non_latin = any(not word.isascii() and not _latin(word) for word in words)
    if len(words) < 3 and not non_latin:
        return None
    english = sum(word in _ENGLISH_WORDS for word in words)
    if english >= max(2, len(words) // 4) or any(_is_mash(w) for w in words):
        return None  # English words in it, or mash ("zzkq fnarp blee") that no language has
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return None
    top = values[0]
    english = next((value.value for value in values if value.language.name == "ENGLISH"), 0.0)
    if (
        top.language.name == "ENGLISH"
        or top.value < OTHER_LANGUAGE_MIN_CONFIDENCE
        or english > ENGLISH_MAX_CONFIDENCE
    ):
        return None
    return str(top.language.iso_code_639_1.name).lower()


def _latin(word: str) -> bool:
    return all("LATIN" in unicodedata.name(char, "") for char in word if char.isalpha())


def warm_up() -> None:
    """Load the classifier and the language models now, not on a customer's message."""
    is_insult("idiot")
    other_language("esto es una prueba de idioma")


# --- venting --------------------------------------------------------------------------------

_SHOUTED_WORD = re.compile(r"\b[A-Z]{2,}\b")


def sounds_like_venting(text: str) -> bool:
    """A long, emotional message: many words, and shouting or a run of exclamation marks."""
    words = _WORDS.findall(text)
    if len(words) < 10:
        return False
    shouted = len(_SHOUTED_WORD.findall(text))
    return shouted * 3 >= len(words) or text.count("!") >= 3 or "!!" in text


def is_shouted(text: str) -> bool:
    """Most of the message's words in capitals, or a run of exclamation marks ("AND DON'T
    TELL ME TO WAIT AGAIN", "unbelievable!!!"), however short."""
    words = _WORDS.findall(text)
    shouted = len(_SHOUTED_WORD.findall(text))
    return bool(words) and (shouted * 2 >= len(words) or "!!" in text)
