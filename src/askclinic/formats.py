"""Parsers for posts staff keep outside the archive format: Markdown, HTML and plain text."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import PostError
from .text import blocks_of, clean, parse_date, rejoin, split_sentences
from .types import Post, Section

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*(?:\n|\Z)", re.DOTALL)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# A link target may hold one level of balanced parentheses: [a](https://x.org/a_(b)) or "title".
_URL = r"\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)"
_MD_IMAGE = re.compile(r"!\[[^\]]*\]" + _URL)
_MD_LINK = re.compile(r"\[([^\]]+)\]" + _URL)
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
DEFAULT_HEADING = "Introduction"


def _build(
    post_id: str, source: str, title: str, parts: list[tuple[str, list[str]]], meta: dict[str, Any], fmt: str
) -> Post:
    title = clean(title)
    if not title:
        raise PostError(source, "the post has no title (add a '# Title' line, a title in front matter, or <title>)")
    sections = tuple(Section(heading=clean(h) or DEFAULT_HEADING, sentences=tuple(s)) for h, s in parts if s)
    if not sections:
        raise PostError(source, "the post has a title but no body text")
    date = parse_date(str(meta.get("date") or meta.get("published") or ""))
    return Post(
        post_id=post_id,
        title=title,
        sections=sections,
        source=source,
        clinic=clean(str(meta.get("clinic") or "")),
        published=date,
        original_date=parse_date(str(meta.get("original_date") or "")) or date,
        fmt=fmt,
    )


def parse_markdown(text: str, post_id: str, source: str) -> Post:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as e:
            raise PostError(source, f"the front matter is not valid YAML ({e.__class__.__name__})") from e
        if isinstance(loaded, dict):
            meta = loaded
        text = text[match.end() :]
    title = str(meta.get("title") or "")
    parts: list[tuple[str, list[str]]] = [(DEFAULT_HEADING, [])]
    lines: list[str] = []

    def close() -> None:
        parts[-1][1].extend(_md_sentences(lines))
        lines.clear()

    for line in text.splitlines():
        heading = _MD_HEADING.match(line)
        if heading:
            close()
            level, value = len(heading.group(1)), _md_inline(heading.group(2))
            if level == 1 and not title:
                title = value
            else:
                parts.append((value, []))
        else:
            lines.append(line)
    close()
    return _build(post_id, source, title, parts, meta, "markdown")


def _md_inline(text: str) -> str:
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    return clean(_MD_EMPHASIS.sub(r"\2", text))


def _md_sentences(lines: list[str]) -> list[str]:
    out: list[str] = []
    for block in blocks_of(lines):
        if block[0].lstrip().startswith(("```", "<!--", "|")):
            continue
        block = [_md_inline(line.lstrip(">").strip()) for line in block]
        out.extend(rejoin([block]) if len(block) > 1 else split_sentences(block[0]))
    return out


def parse_html(text: str, post_id: str, source: str) -> Post:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "noscript", "template", "iframe"]):
        tag.decompose()
    meta = {
        str(m.get("name", "")).lower(): m.get("content", "")
        for m in soup.find_all("meta")
        if m.get("name") and m.get("content")
    }
    h1 = soup.find("h1")
    title = (h1.get_text(" ") if h1 else "") or (soup.title.get_text(" ") if soup.title else "")
    parts: list[tuple[str, list[str]]] = [(DEFAULT_HEADING, [])]
    root = soup.body or soup
    for el in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "blockquote"]):
        if el.find_parent(["li", "td", "blockquote"]) and el.name in ("p", "li"):
            continue
        value = clean(el.get_text(" "))
        if not value:
            continue
        if el.name == "h1":
            continue
        if el.name in ("h2", "h3", "h4"):
            parts.append((value, []))
        else:
            parts[-1][1].extend(split_sentences(value))
    return _build(post_id, source, title, parts, meta, "html")


def parse_plain(text: str, post_id: str, source: str) -> Post:
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise PostError(source, "the file has no text")
    title = lines[first]
    body = lines[first + 1 :]
    sentences: list[str] = []
    for block in blocks_of(body):
        sentences.extend(rejoin([block]) if any(map(_looks_listed, block)) else split_sentences(" ".join(block)))
    return _build(post_id, source, title, [(DEFAULT_HEADING, sentences)], {}, "text")


def _looks_listed(line: str) -> bool:
    from .text import is_list_line

    return is_list_line(clean(line))
