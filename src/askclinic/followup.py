"""Follow-up questions: "and how long does it last?" searched with the topic of the last question.

Two rules, using only words the patient typed (never new facts):
- no topic of its own ("how long does it last?", "그럼 얼마나 가요?") -> the question plus the
  topic words of the last question that had any ("... bruise thread lift");
- a connector plus a new topic ("what about botox?", "그럼 보톡스는요?") -> the new topic plus the
  question words of the last question ("botox? how long does last"); when those say nothing
  ("will I bruise...?" -> "and swelling?"), the last question's topic words are kept instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .answering import INTENT_WORDS
from .glossary import Glossary, default_glossary
from .lexical import tokens

# Words that say what is asked rather than what it is about; a question made only of these
# (and stopwords) has no topic of its own.
GENERIC_WORDS = frozenset(
    tokens(
        "last lasts take takes hurt hurts painful cost costs price work works need needs help happen "
        "start stop safe normal okay fine bad good better worse see feel go goes away look expect make "
        "thing things one ones anything something way ways again ever still yet time times day days "
        "week weeks month months year years procedure procedures treatment treatments result results "
        "effect effects side recovery recover heal downtime session sessions there"
    )
)
FRAME_WORDS = INTENT_WORDS | GENERIC_WORDS
QUESTION_WORDS = frozenset(
    "how what when why which where who can could does do did is are was were will would should".split()
)
CONNECTORS = (
    "and what about",
    "and how about",
    "what about",
    "how about",
    "and also",
    "and",
    "also",
    "then",
    "so",
    "그러면",
    "그럼",
    "그리고",
    "그런데",
    "근데",
)
PLEASANTRIES = frozenset("hi hello hey thanks thank you ok okay bye 감사합니다 고맙습니다 안녕하세요 네".split())

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|[\uac00-\ud7a3]+|\d[\d.,]*%?")
_TAG = re.compile(r"<[^>]*>")  # markup is never a topic


def _english_topic(word: str) -> bool:
    found = tokens(word)
    return bool(found) and len(word) > 1 and found[0] not in FRAME_WORDS


def _korean_forms(text: str, glossary: Glossary) -> tuple[list[str], list[str]]:
    """Words of ``text`` holding a glossary form (longest match first): (topics, question words)."""
    topics: list[str] = []
    asks: list[str] = []
    for start, end, english in glossary.matches(text):
        while start > 0 and text[start - 1].isalnum():  # widen to whole words: 멍이 들 -> 멍이 들까요
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        about = any(t not in FRAME_WORDS for t in tokens(english))
        (topics if about else asks).append(text[start:end])
    return list(dict.fromkeys(topics)), list(dict.fromkeys(asks))


def topic_words(text: str, glossary: Glossary | None = None) -> list[str]:
    """The words of ``text`` that name what it is about, in order, without repeats."""
    glossary = glossary or default_glossary()
    plain = _TAG.sub(" ", text)
    english: dict[str, str] = {}  # stem -> first spelling, so "threads ... thread" counts once
    for word in _WORD.findall(plain):
        if word.isascii() and _english_topic(word):
            english.setdefault(tokens(word)[0], word.lower())
    return list(dict.fromkeys([*english.values(), *_korean_forms(plain, glossary)[0]]))


def _split_connector(question: str) -> tuple[str, bool]:
    lowered = question.lower()
    for connector in CONNECTORS:
        if lowered.startswith(connector) and not lowered[len(connector) :][:1].isalnum():
            return question[len(connector) :].lstrip(" ,.…"), True
    return question, False


def _frame(question: str, glossary: Glossary) -> str:
    """What ``question`` asked without what it was about ("how long does last"), or ''."""
    plain = _TAG.sub(" ", question)
    english = [w.lower() for w in _WORD.findall(plain) if w.isascii()]
    asks = [w for w in english if (tokens(w) or [""])[0] in FRAME_WORDS]
    korean = _korean_forms(plain, glossary)[1]
    if not asks and not korean:
        return ""
    kept = [w for w in english if w in QUESTION_WORDS or w in asks]
    return " ".join(dict.fromkeys([*kept, *korean]))


def rewrite(question: str, history: Sequence[str], glossary: Glossary | None = None) -> str:
    """The question as it should be searched, given the earlier questions (newest last)."""
    glossary = glossary or default_glossary()
    text = " ".join(question.split())
    words = [w.lower() for w in _WORD.findall(text)]
    if not text or not history or (words and all(w in PLEASANTRIES for w in words)):
        return question
    body, connected = _split_connector(text)
    own = topic_words(body, glossary)
    if own and not connected:
        return question
    previous = next((h for h in reversed(history) if topic_words(h, glossary)), None)
    if previous is None:
        return question
    frame = _frame(previous, glossary) if own else ""
    if frame:  # "what about botox?": the last question, asked about the new topic
        return f"{body} {frame}"
    have = set(tokens(body))
    carried = [w for w in topic_words(previous, glossary) if not set(tokens(w)) <= have]
    return f"{body} {' '.join(carried)}".strip() if carried else question


__all__ = ["rewrite", "topic_words"]
