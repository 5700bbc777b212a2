"""Structure-aware chunking: runs of whole sentences that never cross a section.

Each chunk is embedded as ``title\\nsection\\nsentences`` and must stay under the
embedding model's word-piece limit, or its tail would be silently cut off.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

from .embeddings import MAX_WORD_PIECES
from .post_record import about_section
from .types import Chunk, Post

TARGET_WORD_PIECES = 200
CHUNKER_VERSION = "4"  # bump when chunk boundaries change, so every post re-embeds


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def approx_word_pieces(text: str) -> int:
    """A cheap over-estimate of word pieces for when no tokenizer is at hand."""
    return 2 + sum(max(1, len(word) // 4) + (not word.isascii()) * len(word) for word in text.split())


def chunk_post(
    post: Post,
    count: Callable[[str], int] = approx_word_pieces,
    target: int = TARGET_WORD_PIECES,
    limit: int = MAX_WORD_PIECES,
) -> list[Chunk]:
    """Pack each section's sentences into chunks of at most ``target`` word pieces.

    The post's "About this post" record (clinic, author, dates) comes last, as its own chunk.
    """
    about = about_section(post)
    if about is not None:
        post = dataclasses.replace(post, sections=(*post.sections, about))
    chunks: list[Chunk] = []
    for section_index, section in enumerate(post.sections):
        prefix = f"{post.title}\n{section.heading}\n"
        budget = max(min(target, limit) - count(prefix), 16)
        group: list[str] = []
        size = 0
        for sentence in _fit(section.sentences, count, budget):
            n = count(sentence) - 2  # a sentence's pieces without [CLS]/[SEP]
            if group and size + n > budget:
                chunks.append(_make(post, section_index, group, len(chunks)))
                group, size = [], 0
            group.append(sentence)
            size += n
        if group:
            chunks.append(_make(post, section_index, group, len(chunks)))
    return chunks


def _fit(sentences: tuple[str, ...], count: Callable[[str], int], budget: int) -> list[str]:
    """Split any sentence longer than the budget at word boundaries."""
    out: list[str] = []
    for sentence in sentences:
        if count(sentence) - 2 <= budget:
            out.append(sentence)
            continue
        piece: list[str] = []
        for word in sentence.split():
            if piece and count(" ".join([*piece, word])) - 2 > budget:
                out.append(" ".join(piece))
                piece = []
            piece.append(word)
        if piece:
            out.append(" ".join(piece))
    return out


def _make(post: Post, section_index: int, sentences: list[str], index: int) -> Chunk:
    section = post.sections[section_index].heading
    chunk_id = f"{post.post_id}::{index}"
    body = "\n".join(sentences)
    metadata: dict[str, str | int] = {
        "post_id": post.post_id,
        "title": post.title,
        "clinic": post.clinic,
        "published": post.published,
        "section": section,
        "section_index": section_index,
        "source": post.source,
        "chunk_index": index,
        "content_hash": content_hash(f"{post.title}\n{section}\n{body}"),
    }
    return Chunk(
        chunk_id=chunk_id,
        post_id=post.post_id,
        title=post.title,
        section=section,
        sentences=tuple(sentences),
        chunk_index=index,
        section_index=section_index,
        metadata=metadata,
    )
