"""Bilingual glossary: turns a Korean question into the English terms the archive uses.

The table lives in ``data/glossary.yaml`` so clinic staff can extend it without code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from .datafiles import load_table
from .errors import ConfigError
from .lexical import STOPWORDS

HANGUL = re.compile(r"[\uac00-\ud7a3]")  # one Hangul syllable
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")
# a subject, topic or object particle closing a word of a Korean form ("실이 나와", "딱지를 떼")
_PARTICLE = re.compile(r"([\uac00-\ud7a3])(?:이|가|을|를|은|는)(?=\s)")
_LATIN = re.compile(r"[a-z0-9][a-z0-9.,%'-]*[a-z0-9%]|[a-z0-9]")
PART_SEPARATOR = ";"  # between the English search terms of a Korean message's parts
# Where a Korean message may change clause: after a sentence's end, after a connecting "-고"
# ("붓기는 며칠 가고 멍은 ..."), at "그리고".
_KO_CLAUSE = re.compile(r"(?<=[?？!])\s*|(?<=[.。])\s+|(?<=[\uac00-\ud7a3]고)\s+|\s+그리고\s+")
# Question words: a clause holding one asks something of its own.
_KO_ASKS = re.compile(r"며칠|언제|몇|얼마|어떻게|어떤|어느|뭐|무엇|무슨|왜|어디")
# What may stand between two glossary terms the message names together: "멍이랑 감염", "멍과
# 붓기", "A 아니면 B", "A vs B". Not "하고": after a procedure it is "did and" ("실리프팅하고 멍
# 들었는데"); not "나": it is also "about" ("몇프로나").
_KO_JOIN = re.compile(r"\s*(?:이랑|랑|와|과|및|아니면|또는|혹은|vs\.?|or|[,/&+])\s*")
_JOINERS = ("and", "or")
_STRUCTURE = (",", *_JOINERS)
# A message that weighs the two against each other ("A랑 B 중에 뭐가 더 오래가요?", "A보다",
# "비교하면", "차이"): the two are alternatives, read as "A or B".
_KO_COMPARES = re.compile(r"중에|중 (?:뭐|어느|어떤)|둘 ?중|보다|더 |비교|차이|어느 ?쪽|vs")


def is_korean(text: str) -> bool:
    """True when Hangul makes up a real part of the text's letters."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(bool(HANGUL.match(c)) for c in letters) / len(letters) > 0.3


def korean_parts(text: str) -> list[str]:
    """The parts of a Korean message that asks several things, one per question word
    ("필러 맞고 붓기는 며칠이면 빠지고 멍은 언제 없어져요?" -> "필러 맞고 붓기는 며칠이면 빠지고",
    "멍은 언제 없어져요?"): a clause that asks nothing joins the part it leads into (or, at the
    end, the last part). A message that asks one thing is one part."""
    parts: list[str] = []
    pending = ""
    for clause in _KO_CLAUSE.split(text):
        pending = f"{pending} {clause}".strip()
        if _KO_ASKS.search(clause):
            parts.append(pending)
            pending = ""
    if pending:
        if not parts:
            return [text.strip()]
        parts[-1] = f"{parts[-1]} {pending}"
    return parts


@dataclass(frozen=True)
class Glossary:
    pairs: tuple[tuple[str, str], ...]  # (korean surface form, english term), longest first
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # patient word -> archive words
    # ... only when no object follows: "can I drink after botox?" asks about alcohol, "can I
    # drink coffee?" does not
    alone: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def expand(self, text: str) -> str:
        """The text with each patient word replaced by the archive's words for it."""
        table, alone = dict(self.synonyms), dict(self.alone)
        if not table and not alone:
            return text

        def replace(m: re.Match[str]) -> str:
            word = " ".join(m.group().lower().replace("-", " ").split())
            if word in table:
                return " ".join(table[word])
            if word in alone:
                after = _NEXT_WORD.match(text, m.end())
                if after is None or after.group(1).lower() in STOPWORDS:
                    return " ".join(alone[word])
            return m.group()

        return re.sub(self._pattern, replace, text)

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        """A word, or one of the table's phrases ("work out", "top up", "hold up": their words
        alone mean something else), longest first; a hyphen or space may join a phrase's words."""
        phrases = sorted((k for k, _ in (*self.synonyms, *self.alone) if " " in k), key=len, reverse=True)
        joined = [r"[\s-]+".join(map(re.escape, p.split())) for p in phrases]
        return re.compile(r"\b(?:" + "|".join(joined) + r")\b|[A-Za-z]+" if joined else r"[A-Za-z]+", re.I)

    @cached_property
    def _forms(self) -> dict[str, str]:
        """Korean form, spelled in jamo without spaces -> English term (the longest form first, as listed)."""

        def spelled(form: str) -> str:
            return "".join(j for _, j, _ in _jamo("".join(form.split())))

        forms: dict[str, str] = {}
        for form, english in self.pairs:
            forms.setdefault(spelled(form), english)
        for form, english in self.pairs:  # chat drops the particles: "실 튀어나와" for "실이 튀어나와"
            forms.setdefault(spelled(_PARTICLE.sub(r"\1 ", form)), english)
        return forms

    @cached_property
    def _korean_of(self) -> dict[str, str]:
        """English term -> its shortest Korean form ("filler" -> "필러")."""
        out: dict[str, str] = {}
        for form, english in sorted(self.pairs, key=lambda p: len(p[0])):
            out.setdefault(english, form)
        return out

    def korean(self, english: str) -> str | None:
        """A Korean form the glossary gives for ``english``, if any."""
        return self._korean_of.get(english)

    def matches(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, english) of the Korean forms in ``text``: left to right, longest first.
        Spaces do not count (patients write "시술시간" and "시술 시간" alike). A form whose last
        syllable ends in a vowel also matches that syllable with a final consonant, the way
        Korean conjugates ("저리" in "저린", "저릴"; "아파" in "아팠어요")."""
        letters = _jamo(text.lower())
        spelled = "".join(j for _, j, _ in letters)
        forms = self._forms
        longest = max((len(k) for k in forms), default=0)
        n = len(letters)
        i = 0
        while i < n:
            if not letters[i][2]:  # a form starts where a syllable does
                i += 1
                continue
            for size in range(min(longest, n - i), 0, -1):
                end = i + size
                found = forms.get(spelled[i:end])
                if not found:
                    continue
                if end < n and not letters[end][2]:  # the form ends inside a syllable
                    final = _FINAL_FIRST <= ord(spelled[end]) <= _FINAL_LAST
                    if not (final and _is_vowel(spelled[end - 1]) and (end + 1 == n or letters[end + 1][2])):
                        continue
                    end += 1  # the conjugated syllable's final consonant
                yield letters[i][0], letters[end - 1][0] + 1, found
                i = end
                break
            else:
                i += 1

    def translate(self, text: str) -> str:
        """English search terms for the Korean parts of ``text`` (English parts are kept)."""
        found: list[tuple[str, str]] = []  # (english term, the text between it and the one before)
        rest: list[str] = []
        done = 0
        lowered = text.lower()
        for start, end, english in self.matches(text):
            found.append((english, lowered[done:start]))
            rest.append(lowered[done:start] + " ")
            done = end
        terms = _joined(found, "or" if _KO_COMPARES.search(lowered) else "and")
        rest.append(lowered[done:])
        kept = _LATIN.findall("".join(rest))  # English words and numbers inside the question
        return " ".join(_once(terms, kept))


def _joined(found: list[tuple[str, str]], joiner: str) -> list[str]:
    """The English terms in order, two named together ("멍이랑 감염") joined by ``joiner`` ("and",
    or "or" when the message weighs them) and set apart by commas from the words around them
    unless those belong to the same name ("필러 붓기랑 실리프팅 붓기": "filler swelling or thread
    lifting swelling"), as English would write it: "side effects, bruising or infection, which is"."""

    def paired(i: int) -> bool:
        return 0 < i < len(found) and found[i][0] != found[i - 1][0] and bool(_KO_JOIN.fullmatch(found[i][1]))

    def glued(i: int) -> bool:  # only spaces between this term and the one before: one name
        return 0 < i < len(found) and not found[i][1].strip()

    terms: list[str] = []
    for i, (english, _) in enumerate(found):
        if paired(i):
            terms.append(joiner)
        elif terms and ((paired(i + 1) and not glued(i)) or (paired(i - 1) and not glued(i))):
            terms.append(",")
        terms.append(english)
    return terms


def _once(terms: list[str], kept: list[str]) -> list[str]:
    """Each term once, then the English words kept from the message, except the commas and
    joiners of ``_joined`` and a term repeated next to one ("filler swelling or thread lifting
    swelling": both sides name the swelling)."""
    out: list[str] = []
    for i, term in enumerate(terms):
        near = any(t in _JOINERS for t in terms[max(0, i - 2) : i + 3])
        if term in _STRUCTURE or near or term not in out:
            out.append(term)
    return [*out, *(w for w in dict.fromkeys(kept) if w not in out)]


_FINAL_FIRST, _FINAL_LAST = 0x11A8, 0x11C2  # final consonants (jongseong), as NFD spells them


def _is_vowel(jamo: str) -> bool:
    return 0x1161 <= ord(jamo) <= 0x1175


def _jamo(text: str) -> list[tuple[int, str, bool]]:
    """(index in ``text``, letter, whether a syllable starts there) for each letter of ``text``
    but spaces, Hangul syllables spelled out in jamo."""
    out: list[tuple[int, str, bool]] = []
    for i, c in enumerate(text):
        if c.isspace():
            continue
        out.extend((i, j, k == 0) for k, j in enumerate(unicodedata.normalize("NFD", c)))
    return out


def load_glossary(path: Path | None = None) -> Glossary:
    data = load_table("glossary.yaml", "glossary", path)
    pairs: list[tuple[str, str]] = []
    for i, entry in enumerate(data.get("terms", [])):
        if not isinstance(entry, dict) or not entry.get("en") or not entry.get("ko"):
            raise ConfigError(f"glossary entry {i + 1} needs 'en' and a list 'ko'")
        pairs.extend((str(ko), str(entry["en"])) for ko in entry["ko"])
    pairs.sort(key=lambda p: -len(p[0]))
    synonyms, alone = (
        tuple((str(k).lower(), tuple(str(v) for v in vs)) for k, vs in (data.get(key) or {}).items())
        for key in ("synonyms", "synonyms_alone")
    )
    return Glossary(tuple(pairs), synonyms, alone)


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    return load_glossary()
