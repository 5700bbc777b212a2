"""Safety gates that run before retrieval, and the fixed texts every answer carries.

The red-flag and refusal patterns are a table in ``data/safety.yaml`` that a clinician can
read and change; the messages below are the only wording the bot uses for those cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from .datafiles import load_table
from .errors import ConfigError
from .lexical import ARCHIVE_COUNT, Speller, spelling_vocabulary
from .types import Status

DISCLAIMER = (
    "This is general information quoted from the clinic's blog posts, not medical advice. "
    "It cannot diagnose you or replace an examination; for questions about your own care, "
    "contact the clinic or your doctor. "
    "이 답변은 병원 블로그 글을 인용한 일반 정보이며 의료 조언이 아닙니다. "
    "본인의 상태에 대해서는 병원이나 담당 의사와 상담하세요."
)
URGENT_MESSAGE = {
    "en": "**Your message mentions symptoms that can be serious. Contact the clinic or emergency "
    "services now** (in Korea call 119). Do not wait for an online answer.",
    "ko": "**말씀하신 증상은 위험할 수 있습니다. 지금 바로 병원이나 응급실(119)에 연락하세요.** "
    "온라인 답변을 기다리지 마세요.",
}
REFUSED_MESSAGE = {
    "en": "I can't help with diagnosis, medicine doses or decisions about your own treatment. "
    "Please ask the clinic or your doctor, who can examine you and know your history.",
    "ko": "진단, 약 용량, 개인 치료 결정에 대해서는 답변드릴 수 없습니다. "
    "진찰과 병력 확인이 가능한 병원이나 담당 의사에게 문의하세요.",
}
ABSTAIN_MESSAGE = {
    "en": "I could not find this in the clinic's posts, so I can't answer it here. Please ask the clinic directly.",
    "ko": "병원 게시물에서 이 내용을 찾지 못해 답변드릴 수 없습니다. 병원에 직접 문의해 주세요.",
}
EMPTY_MESSAGE = {
    "en": "Please type a question about the clinic's procedures, for example "
    '"How long does swelling last after a thread lift?"',
    "ko": '시술에 대한 질문을 입력해 주세요. 예: "실리프팅 후 붓기는 얼마나 가나요?"',
}
TOO_LONG_MESSAGE = {
    "en": "Your question is too long ({n} characters). Please ask it in under {limit} characters.",
    "ko": "질문이 너무 깁니다({n}자). {limit}자 이내로 질문해 주세요.",
}


@dataclass(frozen=True)
class Rule:
    label: str
    status: Status
    patterns: tuple[re.Pattern[str], ...]
    concept: str = ""
    why: tuple[tuple[str, str], ...] = ()  # (language, one fixed line on why this is urgent)
    all_of: tuple[tuple[re.Pattern[str], ...], ...] = ()  # named lists that must ALL match

    def matches(self, text: str) -> bool:
        """Any of the entry's own patterns, or one pattern of every list it names in ``all_of``."""
        if any(p.search(text) for p in self.patterns):
            return True
        return bool(self.all_of) and all(any(p.search(text) for p in group) for group in self.all_of)


@dataclass(frozen=True)
class Verdict:
    status: Status
    label: str
    concept: str = ""
    why: tuple[tuple[str, str], ...] = ()
    source: str = "pattern"  # "pattern" (the tables), "similar example" or "classifier" (the backstop)

    def message(self, lang: str) -> str:
        """The fixed reply for this verdict in ``lang``: what to do now, then why (if known)."""
        base = (URGENT_MESSAGE if self.status is Status.URGENT else REFUSED_MESSAGE)[lang]
        why = dict(self.why).get(lang)
        return f"{base}\n\n{why}" if why and self.status is Status.URGENT else base


class Backstop(Protocol):
    def check(self, text: str, strict: bool = False) -> Verdict | None: ...


def normalize(question: str) -> str:
    """What the patterns are matched against: NFC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFC", question).lower().split())


class SafetyGate:
    """The urgent table first, then the refusal table, then the backstop (urgent over refused)."""

    def __init__(
        self, rules: tuple[Rule, ...], backstop: Backstop | None = None, vocabulary: Counter[str] | None = None
    ) -> None:
        self.rules = rules
        self.backstop = backstop
        self.speller = Speller(vocabulary) if vocabulary else None

    def match(self, question: str) -> Verdict | None:
        """The first table entry any of whose patterns is in the question."""
        text = normalize(question)
        for rule in self.rules:
            if rule.matches(text):
                return Verdict(rule.status, rule.label, rule.concept, rule.why)
        return None

    def check(self, question: str) -> Verdict | None:
        """Patterns first (urgent wins), then the backstop, which may make a message urgent."""
        text = normalize(question)
        verdict = self.check_patterns(text)
        if verdict is not None and verdict.status is Status.URGENT:
            return verdict
        return self.similar(text, over_refusal=verdict is not None) or verdict

    def check_patterns(self, question: str) -> Verdict | None:
        """The table's verdict alone (patterns, also after typo fixes), without the backstop."""
        text = normalize(question)
        verdict = self.match(text)
        if self.speller is not None and (verdict is None or verdict.status is not Status.URGENT):
            fixed = self.speller.correct(text)
            if fixed != text:
                verdict = _worse(verdict, self.match(fixed))
        return verdict

    def similar(self, question: str, over_refusal: bool = False) -> Verdict | None:
        """The backstop's verdict alone: urgent when the message is close to a red-flag example
        (closer still when it would overrule the table's refusal)."""
        if self.backstop is None:
            return None
        text = normalize(question)
        verdict = self.backstop.check(text, strict=over_refusal)
        if self.speller is None or (verdict is not None and verdict.status is Status.URGENT):
            return verdict
        fixed = self.speller.correct(text)
        if fixed == text:
            return verdict
        # "hwo many toning sesions" is asked like "how many toning sessions": a typo never makes a
        # question refused; an emergency is found in either spelling
        return self.backstop.check(fixed, strict=over_refusal)


def _worse(a: Verdict | None, b: Verdict | None) -> Verdict | None:
    """The more serious of two verdicts: urgent over refused over none."""
    rank = {None: 0, Status.REFUSED: 1, Status.URGENT: 2}
    return b if rank[b.status if b else None] > rank[a.status if a else None] else a


def table_vocabulary(rules: tuple[Rule, ...], examples: tuple[Example, ...]) -> Counter[str]:
    """Words a typo is fixed towards: the table's own (its examples and patterns; preferred) and
    common English words ("hwo" -> "how", "sesions" -> "sessions")."""
    texts = [e.text for e in examples] + [p.pattern for r in rules for p in (*r.patterns, *sum(r.all_of, ()))]
    table = Counter(w for t in texts for w in re.findall(r"(?<![\\a-z])[a-z]{4,}", t.lower()))
    return spelling_vocabulary([]) + Counter({w: ARCHIVE_COUNT * n for w, n in table.items()})


@dataclass(frozen=True)
class Example:
    text: str
    status: Status | None  # None: an ordinary question that must not be flagged
    label: str = ""
    concept: str = ""
    why: tuple[tuple[str, str], ...] = ()
    language: str = "en"


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of quoted strings")
    return value


def _compile(patterns: list[str], where: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as e:
            raise ConfigError(f"{where}: bad pattern {pattern!r}: {e}") from e
    return tuple(compiled)


def _why(entry: dict[str, object], where: str) -> tuple[tuple[str, str], ...]:
    why = entry.get("why") or {}
    if not isinstance(why, dict):
        raise ConfigError(f"{where}: 'why' must have an 'en' and a 'ko' line")
    return tuple((str(k), str(v)) for k, v in why.items())


def load_rules(path: Path | None = None) -> tuple[tuple[Rule, ...], tuple[Example, ...]]:
    """The table's rules, in order, and every example message it lists (for the backstop)."""
    where = str(path or "data/safety.yaml")
    data = load_table("safety.yaml", "safety table", path)
    lists = {
        str(name): _compile(
            [*_strings(v.get("en"), f"{where}: lists {name} en"), *_strings(v.get("ko"), f"{where}: lists {name} ko")],
            f"{where}: lists {name}",
        )
        for name, v in (data.get("lists") or {}).items()
    }
    rules: list[Rule] = []
    examples: list[Example] = []
    for key, status in (("urgent", Status.URGENT), ("refused", Status.REFUSED)):
        for entry in data.get(key) or []:
            label = str(entry.get("label", "?"))
            here = f"{where}: {key} '{label}'"
            why = _why(entry, here)
            compiled = _compile([*_strings(entry.get("en"), here), *_strings(entry.get("ko"), here)], here)
            names = _strings(entry.get("all_of"), f"{here}: all_of")
            unknown = [n for n in names if n not in lists]
            if unknown:
                raise ConfigError(f"{here}: all_of names {', '.join(unknown)}, which 'lists' does not define")
            concept = str(entry.get("concept") or label)
            rules.append(Rule(label, status, compiled, concept, why, tuple(lists[n] for n in names)))
            found = entry.get("examples") or {}
            for lang in ("en", "ko"):
                for text in _strings(found.get(lang), f"{here}: examples {lang}"):
                    examples.append(Example(text, status, label, concept, why, lang))
    ordinary = data.get("ordinary") or {}
    for lang in ("en", "ko"):
        for text in _strings(ordinary.get(lang), f"{where}: ordinary {lang}"):
            examples.append(Example(text, None, language=lang))
    if not any(r.status is Status.URGENT for r in rules):
        raise ConfigError(f"{where} has no urgent rules; refusing to run without red-flag checks")
    return tuple(rules), tuple(examples)


def load_safety(path: Path | None = None, backstop: bool = False) -> SafetyGate:
    """The gate from the table; ``backstop=True`` adds the classifier and the similar-example check
    (loads a model)."""
    rules, examples = load_rules(path)
    vocabulary = table_vocabulary(rules, examples)
    if not backstop:
        return SafetyGate(rules, vocabulary=vocabulary)
    from .safety_backstop import SimilarExamples
    from .safety_classifier import load_classifier

    return SafetyGate(rules, SimilarExamples(examples, classifier=load_classifier()), vocabulary)


@lru_cache(maxsize=1)
def default_safety() -> SafetyGate:
    return load_safety(backstop=True)
