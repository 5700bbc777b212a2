"""The archive format parser, on the real post and on edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from askclinic.archive import parse_archive_post
from askclinic.errors import PostError
from askclinic.reader import read_post
from askclinic.text import rejoin, split_sentences


def all_sentences(post) -> list[str]:
    return [s for sec in post.sections for s in sec.sentences]


@pytest.mark.real_archive
def test_real_post_metadata(real_post: Path) -> None:
    post = read_post(real_post, real_post.parent)
    assert post.post_id == "000_fbae221e59e76ca3.txt"
    assert post.title == "Is thread lifting really a safe procedure?"
    assert post.clinic == "유앤아이의원 목동점"
    assert post.published == "2025-06-26"
    assert post.original_date == "2025-06-26"
    assert post.translated_at == "2026-04-20T16:37"
    assert post.fmt == "archive"


@pytest.mark.real_archive
def test_real_post_sections(real_post: Path) -> None:
    post = read_post(real_post, real_post.parent)
    assert [s.heading for s in post.sections] == [
        "Introduction",
        "What side effects can thread lifting have?",
        "Thread lifting changes depending on 'this.'",
        "Please be sure to follow this",
    ]


@pytest.mark.real_archive
def test_real_post_sentences_are_rejoined_and_statistics_stand_alone(real_post: Path) -> None:
    post = read_post(real_post, real_post.parent)
    side_effects = post.sections[1].sentences
    # the study-size sentence, broken over two blocks in the file, comes back whole
    assert any(re.fullmatch(r"This study analyzed .+ procedures in 2,827 people\.", s) for s in side_effects)
    for stat in (
        "Thread exposure: 5%",
        "Infection: 2%",
        "Swelling: 16%",
        "Pain: 11%",
        "Bruising: 26% (one of the most common side effects)",
    ):
        assert stat in side_effects
    # a sentence the editor broke over three one-line blocks comes back whole
    assert any(
        re.fullmatch(r"If you have ever searched for thread lifting, you may .+ like these\.", s)
        for s in post.sections[0].sentences
    )


@pytest.mark.real_archive
def test_real_post_drops_notices_placeholders_and_footer(real_post: Path) -> None:
    text = "\n".join(all_sentences(read_post(real_post, real_post.parent)))
    for dropped in (
        "AI translation notice",
        "Medical note",
        "image 1",
        "image 5",
        "< Directions >",
        "Continue browsing",
        "public source trail",
        "Table of Contents",
        "Translated at",
        "Naver",
    ):
        assert dropped not in text


def test_missing_title_is_an_error() -> None:
    with pytest.raises(PostError, match="no title"):
        parse_archive_post("AI-translated archive post\n\n", "x", "x.txt")


def test_title_without_body_is_an_error() -> None:
    text = "AI-translated archive post\n\nA title\n\nClinic: X\n\nMedical note: y\n\n< Directions >\n"
    with pytest.raises(PostError, match="no body"):
        parse_archive_post(text, "x", "x.txt")


def test_split_sentences_keeps_abbreviations_and_words_ending_like_them() -> None:
    assert split_sentences("See Dr. Kim today. It lasts longest. Then fades.") == [
        "See Dr. Kim today.",
        "It lasts longest.",
        "Then fades.",
    ]


def test_rejoin_lists_and_broken_lines() -> None:
    blocks = [
        ["So today,"],
        ["based on data,"],
        ["we explain."],
        ["Bruising: 26%", "Pain: 11%"],
        ["Whether A was done", "Whether B was done"],
    ]
    assert list(rejoin(blocks)) == [
        "So today, based on data, we explain.",
        "Bruising: 26%",
        "Pain: 11%",
        "Whether A was done",
        "Whether B was done",
    ]
