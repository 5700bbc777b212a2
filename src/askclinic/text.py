"""Text clean-up shared by every post format: whitespace, sentence splitting, line rejoining."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"\s+")
# A sentence ends at . ! ? … (optionally closed by a quote or bracket) or a ^^ emoticon,
# and the next one starts with a capital, digit, opening quote or Hangul.
_BOUNDARY = re.compile(r"(?:[.!?…]+[”\"’')\]]*|\^\^)\s+(?=[“\"‘'(\[A-Z0-9\uac00-\ud7a3])")
_ABBREVIATIONS = frozenset({"e.g.", "i.e.", "dr.", "mr.", "mrs.", "ms.", "vs.", "no.", "approx.", "st.", "prof."})
# "Thread exposure: 5%", "Swelling — 16 %", "Bruising: 26% (the most common)"
LABEL = r"^[^\W\d_][^:—–]{0,60}\s*[:—–]\s*"  # "Thread exposure: ", the label of a list line
STAT_LINE = re.compile(LABEL + r"[<>~≈]?\s*\d[\d.,]*\s*%?")
_LIST_MARK = re.compile(r"^(?:[-*•·▪◦]|\d+[.)])\s+")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # "2,827", "0.5", "12"


def numbers_in(text: str) -> set[str]:
    """The numbers a text states, without thousands separators ("2,827" -> "2827")."""
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def clean(text: str) -> str:
    """NFC-normalise, drop invisible characters, and collapse runs of whitespace."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences without breaking common abbreviations."""
    text = clean(text)
    if not text:
        return []
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        piece = text[start : match.end()].strip()
        if piece.rsplit(" ", 1)[-1].lower() in _ABBREVIATIONS:
            continue
        out.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def is_list_line(line: str) -> bool:
    return bool(STAT_LINE.match(line) or _LIST_MARK.match(line))


def strip_list_mark(line: str) -> str:
    return _LIST_MARK.sub("", line, count=1)


def starts_new_item(line: str) -> bool:
    """A line that opens a new item of a list (capital, digit, bullet), not a continuation."""
    first = line.lstrip()[:1]
    return bool(first) and (first.isupper() or first.isdigit() or bool(_LIST_MARK.match(line)))


def rejoin(blocks: Iterable[list[str]]) -> Iterator[str]:
    """Turn blocks of lines (separated by blank lines in the source) into clean sentences.

    Blog editors break one sentence over several one-line blocks, so single lines are joined
    into running text. A block of several lines whose lines each start a new item is a list
    (statistics, criteria): each line stands alone. A statistic line always stands alone.
    """
    buffer: list[str] = []

    def flush() -> Iterator[str]:
        if buffer:
            yield from split_sentences(" ".join(buffer))
            buffer.clear()

    for block in blocks:
        lines = [clean(line) for line in block if clean(line)]
        if not lines:
            continue
        if len(lines) == 1 and not STAT_LINE.match(lines[0]):
            buffer.append(lines[0])
            continue
        yield from flush()
        item: list[str] = []
        for line in lines:
            if item and (starts_new_item(line) or is_list_line(line)):
                yield from split_sentences(" ".join(item))
                item = []
            item.append(strip_list_mark(line))
        if item:
            yield from split_sentences(" ".join(item))
    yield from flush()


def blocks_of(lines: Iterable[str]) -> list[list[str]]:
    """Group lines into blocks separated by blank lines."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%Y-%m-%d", "%d %B %Y", "%Y/%m/%d")
_NUMERIC_DATE = re.compile(r"(\d{4})\s*[.\-/년]\s*(\d{1,2})\s*[.\-/월]\s*(\d{1,2})")


def parse_date(value: str) -> str:
    """Return an ISO date (YYYY-MM-DD) for the date formats the archive uses, else ''."""
    value = clean(str(value))
    head = value.split(" at ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(head, fmt).date().isoformat()
        except ValueError:
            pass
    match = _NUMERIC_DATE.search(value)
    if match:
        try:
            year, month, day = (int(g) for g in match.groups())
            return datetime(year, month, day).date().isoformat()
        except ValueError:
            return ""
    return ""


def parse_datetime(value: str) -> str:
    """'April 20, 2026 at 4:37 PM' -> '2026-04-20T16:37'; falls back to the date alone."""
    value = clean(value)
    for fmt in ("%B %d, %Y at %I:%M %p", "%b %d, %Y at %I:%M %p"):
        try:
            return datetime.strptime(value, fmt).isoformat(timespec="minutes")
        except ValueError:
            pass
    return parse_date(value)
