"""Bilingual glossary: turns a Korean question into the English terms the archive uses.

The table lives in ``data/glossary.yaml`` so clinic staff can extend it without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from .errors import ConfigError

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[a-z0-9][a-z0-9.,%'-]*[a-z0-9%]|[a-z0-9]")


def is_korean(text: str) -> bool:
    """True when Hangul makes up a real part of the text's letters."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(bool(_HANGUL.match(c)) for c in letters) / len(letters) > 0.3


@dataclass(frozen=True)
class Glossary:
    pairs: tuple[tuple[str, str], ...]  # (korean surface form, english term), longest first
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # patient word -> archive words

    def expand(self, text: str) -> str:
        """The text with each patient word replaced by the archive's words for it."""
        table = dict(self.synonyms)
        if not table:
            return text
        return re.sub(
            r"[A-Za-z]+",
            lambda m: " ".join(table[m.group().lower()]) if m.group().lower() in table else m.group(),
            text,
        )

    def translate(self, text: str) -> str:
        """English search terms for the Korean parts of ``text`` (English parts are kept).

        Scans left to right and takes the longest Korean form starting at each position.
        """
        text = text.lower()
        forms = dict(self.pairs)
        longest = max((len(k) for k, _ in self.pairs), default=0)
        terms: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(text):
            for size in range(min(longest, len(text) - i), 0, -1):
                english = forms.get(text[i : i + size])
                if english:
                    terms.append(english)
                    rest.append(" ")
                    i += size
                    break
            else:
                rest.append(text[i])
                i += 1
        kept = _LATIN.findall("".join(rest))  # English words and numbers inside the question
        return " ".join(dict.fromkeys([*terms, *kept]))


def load_glossary(path: Path | None = None) -> Glossary:
    try:
        text = (
            path.read_text("utf-8")
            if path
            else (resources.files("askclinic") / "data" / "glossary.yaml").read_text("utf-8")
        )
        data = yaml.safe_load(text) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read the glossary {path or 'data/glossary.yaml'}: {e}") from e
    pairs: list[tuple[str, str]] = []
    for i, entry in enumerate(data.get("terms", [])):
        if not isinstance(entry, dict) or not entry.get("en") or not entry.get("ko"):
            raise ConfigError(f"glossary entry {i + 1} needs 'en' and a list 'ko'")
        pairs.extend((str(ko), str(entry["en"])) for ko in entry["ko"])
    pairs.sort(key=lambda p: -len(p[0]))
    synonyms = tuple((str(k).lower(), tuple(str(v) for v in vs)) for k, vs in (data.get("synonyms") or {}).items())
    return Glossary(tuple(pairs), synonyms)


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    return load_glossary()
