"""The "About this post" record: who published a post, where and when, as citable sentences.

Patients ask "who wrote the post on thread lifting?" or "when was the HIFU article posted?".
The byline and dates are metadata, not body text, so each post gets one more section built
from them. It is indexed and cited like any section, under the heading ``ABOUT``.
"""

from __future__ import annotations

import re
from datetime import date

from .types import Post, Section

ABOUT = "About this post"
# "김진현 원장의 피부연구소" -> "김진현 원장": a Korean byline names the doctor before a title.
_AUTHOR = re.compile(r"([가-힣]{2,4}) ?(대표원장|원장|부원장|전문의|실장)")
# A post's own sign-off names its author in the post's language: "This has been Kim Jin-hyeon,
# the chief director of ...". The record quotes it, so an English name is found and cited too.
_SIGN_OFF = re.compile(
    r"^(this (has been|was)|i am|i.?m|written by)\b.{0,80}\b(director|doctor|dermatologist|surgeon|physician)\b",
    re.I,
)
SIGNS_OFF = "The post signs off:"


# What a metadata question asks for; read from the patient's own words (English or Korean).
_WANTS = {
    "author": re.compile(
        r"\bwho (wrote|writes|posted|published|made|put (up|out)|is the (author|writer|doctor))\b|\bauthor|\bwriter\b|"
        r"\bwhose (post|blog|article|page)|\bwhich (doctor|director)\b|doctor.?s name|"
        r"누가 ?(썼|쓴|작성|올린|올렸)|작성자|글쓴이|필자|(원장|선생)님?[^?]{0,6}(누구|성함|이름)",
        re.I,
    ),
    "clinic": re.compile(
        r"\b(which|what|whose) (clinic|hospital|practice)\b|\bclinic.?s name|\bname of the (clinic|hospital)|"
        r"(병원|의원|클리닉) ?(이름|명|어디)|어느 ?(병원|의원|클리닉)|어디 ?(병원|의원)",
        re.I,
    ),
    "date": re.compile(
        r"\bwhen (was|did)\b[^?]{0,60}\b(post|posted|written|publish|published|put (up|out)|upload|uploaded|come out|"
        r"go up|write)\b|\b(post|publish|publication|upload) date\b|\bwhat date\b|"
        r"\bhow old is (the|this) (post|article)|언제 ?(올라|올린|올렸|작성|게시|쓴|썼|나온)|(작성|게시|업로드)일",
        re.I,
    ),
    "translation": re.compile(r"\bwhen\b[^?]{0,60}\btranslat|\btranslation date|번역[^?]{0,10}언제|언제 ?번역", re.I),
}
_SAYS = {
    "clinic": ("is from", SIGNS_OFF),
    "author": ("written by", "appeared on the blog", SIGNS_OFF),
    "date": ("posted on",),
    "translation": ("translation was made",),
}


def wanted(question: str) -> list[str]:
    """Which of author / clinic / date / translation a question asks about a post ([] for none)."""
    return [kind for kind, pattern in _WANTS.items() if pattern.search(question)]


def record_sentences(about: tuple[str, ...], kinds: list[str]) -> list[str]:
    """The record's sentences that answer ``kinds``, in the record's order."""
    keys = [key for kind in kinds for key in _SAYS[kind]]
    return [s for s in about if any(key in s for key in keys)]


def long_date(iso: str) -> str:
    """'2025-06-26' -> 'June 26, 2025' (the archive's own style); '' stays ''."""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return ""
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def author_of(post: Post) -> str:
    match = _AUTHOR.search(post.blog)
    return f"{match.group(1)} {match.group(2)}" if match else ""


def about_section(post: Post) -> Section | None:
    """The post's metadata as sentences, or None when it has none worth saying."""
    sentences = []
    if post.clinic:
        sentences.append(f"The post “{post.title}” is from {post.clinic}.")
    author = author_of(post)
    if author and post.blog:
        sentences.append(f"It was written by {author}, on the blog “{post.blog}”.")
    elif post.blog:
        sentences.append(f"It appeared on the blog “{post.blog}”.")
    sign_off = next((t for sec in post.sections for t in sec.sentences if _SIGN_OFF.search(t)), "")
    if sign_off:
        sentences.append(f"{SIGNS_OFF} “{sign_off}”")
    iso = post.published or post.original_date
    published = long_date(iso)
    if published:  # both ways of writing it, as patients search either
        sentences.append(f"It was posted on {published} ({iso[:10]}).")
    translated = long_date(post.translated_at)
    if translated:
        sentences.append(f"Its English translation was made on {translated}.")
    return Section(ABOUT, tuple(sentences)) if sentences else None
