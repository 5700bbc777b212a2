"""Parser for the archive's own format: AI-translated clinic blog posts.

The shape (see the project's sample archive): a marker line, the title, a byline
``CLINIC · BLOG · Month D, YYYY``, a teaser, a translation notice, ``Key: value`` header
lines, the body (sentences broken over lines, indented numbered headings, image
placeholders, statistic lines) and a ``< Directions >`` / ``Continue browsing`` footer.
"""

from __future__ import annotations

import re

from .errors import PostError
from .text import blocks_of, clean, parse_date, parse_datetime, rejoin
from .types import Post, Section

MARKER = "AI-translated archive post"
INTRO_HEADING = "Introduction"
_HEADER_KEYS = {
    "clinic": "clinic",
    "original post date": "original_date",
    "translated at": "translated_at",
    "medical note": "medical_note",
}
_HEADER_LINE = re.compile(r"^\s*(Clinic|Original post date|Translated at|Medical note)\s*:\s*(.*)$")
_HEADING = re.compile(r"^\s+\d+\s*[.)]\s+(\S.*)$")
_FOOTER = re.compile(r"^\s*(<\s*Directions\s*>|Continue browsing)\s*$")
_NOTICE = "AI translation notice"
_TOC = "Table of Contents"
_IMAGE = re.compile(r"\bimage\s+\d+\s*$")


def is_archive_post(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return clean(first) == MARKER


def parse_archive_post(text: str, post_id: str, source: str) -> Post:
    lines = text.splitlines()
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if len(nonblank) < 2:
        raise PostError(source, "the post has no title after the 'AI-translated archive post' line")
    title = clean(lines[nonblank[1]])
    if _HEADER_LINE.match(title) or title == _NOTICE:
        raise PostError(source, "the post has no title after the 'AI-translated archive post' line")

    header: dict[str, str] = {}
    body_start = nonblank[1] + 1
    for i in nonblank[2:]:
        line = lines[i]
        match = _HEADER_LINE.match(line)
        if match:
            header[_HEADER_KEYS[match.group(1).lower()]] = clean(match.group(2))
            body_start = i + 1
        elif _HEADING.match(line) or i > nonblank[1] + 40:
            break
    if not header:  # no header fields: the body starts after the byline and teaser, if any
        for i in nonblank[2:4]:
            if _byline([lines[i]]) or clean(lines[i]).endswith(("...", "…")):
                body_start = i + 1
            else:
                break

    byline = _byline(lines[nonblank[1] + 1 : body_start])
    body_lines: list[str] = []
    for line in lines[body_start:]:
        if _FOOTER.match(line):
            break
        body_lines.append(line)

    sections = _sections(body_lines, title)
    if not any(s.sentences for s in sections):
        raise PostError(source, "the post has a title but no body text")
    return Post(
        post_id=post_id,
        title=title,
        sections=sections,
        source=source,
        clinic=header.get("clinic") or byline.get("clinic", ""),
        blog=byline.get("blog", ""),
        published=byline.get("date", "") or parse_date(header.get("original_date", "")),
        original_date=parse_date(header.get("original_date", "")),
        translated_at=parse_datetime(header.get("translated_at", "")),
        fmt="archive",
    )


def _byline(lines: list[str]) -> dict[str, str]:
    for line in lines:
        parts = [clean(p) for p in line.split("·")]
        if len(parts) >= 3 and parse_date(parts[-1]):
            return {"clinic": parts[0], "blog": " · ".join(parts[1:-1]), "date": parse_date(parts[-1])}
    return {}


def _sections(body_lines: list[str], title: str) -> tuple[Section, ...]:
    """Split the body at indented numbered headings and rejoin each part's sentences."""
    parts: list[tuple[str, list[str]]] = [(INTRO_HEADING, [])]
    skip_toc = False
    for line in body_lines:
        stripped = clean(line)
        heading = _HEADING.match(line)
        if heading:
            parts.append((clean(heading.group(1)), []))
            skip_toc = False
            continue
        if stripped == _TOC:
            skip_toc = True  # the table of contents runs until the next blank line
            continue
        if skip_toc and stripped:
            continue
        skip_toc = False
        if stripped == _NOTICE or _is_image_placeholder(stripped, title):
            continue
        parts[-1][1].append(line)
    sections = []
    for title_of_part, lines in parts:
        sentences = tuple(rejoin(blocks_of(lines)))
        if sentences:
            sections.append(Section(heading=title_of_part, sentences=sentences))
    return tuple(sections)


def _is_image_placeholder(line: str, title: str) -> bool:
    return bool(_IMAGE.search(line)) and (line.startswith(title) or len(line.split()) <= 12)
