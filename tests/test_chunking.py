"""Chunks stay inside one section and under the model's word-piece limit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import SAMPLES

from askclinic.chunking import chunk_post
from askclinic.embeddings import MAX_WORD_PIECES, word_piece_counter
from askclinic.post_record import ABOUT, about_section
from askclinic.reader import read_post
from askclinic.types import Post, Section


@pytest.fixture(scope="module")
def count():
    return word_piece_counter()


@pytest.mark.real_archive
def test_real_post_chunks_fit_the_model_and_keep_sections(real_post: Path, count) -> None:
    post = read_post(real_post, real_post.parent)
    chunks = chunk_post(post, count)
    assert chunks and chunks[-1].section == ABOUT  # the record comes last, after the post's own sections
    about = about_section(post)
    assert about is not None
    post = dataclasses.replace(post, sections=(*post.sections, about))
    for chunk in chunks:
        assert count(chunk.text) <= MAX_WORD_PIECES
        section = post.sections[chunk.section_index]
        assert chunk.section == section.heading
        assert set(chunk.sentences) <= set(section.sentences)  # never crosses a section
        assert chunk.text.startswith(f"{post.title}\n{section.heading}\n")
    # every sentence lands in exactly one chunk, in order
    assert [s for c in chunks for s in c.sentences] == [s for sec in post.sections for s in sec.sentences]


@pytest.mark.real_archive
def test_metadata_is_flat_and_complete(real_post: Path, count) -> None:
    chunk = chunk_post(read_post(real_post, real_post.parent), count)[1]
    meta = chunk.metadata
    assert meta["post_id"] == "000_fbae221e59e76ca3.txt"
    assert meta["published"] == "2025-06-26"
    assert meta["chunk_index"] == 1
    assert {"title", "clinic", "section", "source", "content_hash", "section_index"} <= set(meta)
    assert all(isinstance(v, str | int) for v in meta.values())


def test_an_overlong_sentence_is_split_at_word_boundaries(count) -> None:
    sentence = " ".join(["aftercare"] * 600) + "."
    post = Post(post_id="p", title="T", sections=(Section("S", (sentence,)),), source="p")
    chunks = chunk_post(post, count)
    assert len(chunks) > 2
    assert all(count(c.text) <= MAX_WORD_PIECES for c in chunks)


def test_sample_archive_chunks_fit(count) -> None:
    for path in sorted(SAMPLES.iterdir()):
        for chunk in chunk_post(read_post(path, SAMPLES), count):
            assert count(chunk.text) <= MAX_WORD_PIECES, chunk.chunk_id
