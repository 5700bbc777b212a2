"""The "About this post" record: clinic, author and dates as citable sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES

from askclinic.answering import ExtractiveComposer
from askclinic.chunking import chunk_post
from askclinic.meaning import default_meaning
from askclinic.post_record import ABOUT, about_section, author_of, long_date, record_sentences, wanted
from askclinic.reader import read_post
from askclinic.types import Chunk, Hit, Status

ARCHIVE_POST = """AI-translated archive post

Does jaw botox hurt?

서울피부과 강남점 · 이수민 원장의 피부이야기 · March 3, 2025

Does jaw botox hurt? A short answer...

AI translation notice

This page is an English translation of a Korean blog entry.

Clinic: 서울피부과 강남점

Original post date: March 3, 2025

Translated at: May 1, 2026 at 9:05 AM

Medical note: This translation does not guarantee medical accuracy.

Most patients feel only a short pinch.
"""


def test_a_korean_byline_gives_clinic_author_and_both_dates(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text(ARCHIVE_POST, encoding="utf-8")
    post = read_post(path, tmp_path)
    assert author_of(post) == "이수민 원장"
    about = about_section(post)
    assert about is not None and about.heading == ABOUT
    assert about.sentences == (
        "The post “Does jaw botox hurt?” is from 서울피부과 강남점.",
        "It was written by 이수민 원장, on the blog “이수민 원장의 피부이야기”.",
        "It was posted on March 3, 2025 (2025-03-03).",
        "Its English translation was made on May 1, 2026.",
    )
    chunks = chunk_post(post)
    assert chunks[-1].section == ABOUT and chunks[-1].sentences == about.sentences
    assert all(c.section != ABOUT for c in chunks[:-1])


def test_front_matter_without_a_byline_gives_clinic_and_date_only() -> None:
    post = read_post(SAMPLES / "101_filler-faq.md", SAMPLES)
    about = about_section(post)
    assert about is not None
    assert [s.split(" ")[1] for s in about.sentences] == ["post", "was"]
    assert (
        "Sample Clinic Hannam" in about.sentences[0]
        and about.sentences[1] == "It was posted on March 14, 2025 (2025-03-14)."
    )


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("who wrote the HIFU post?", ["author"]),
        ("which clinic published the melasma article", ["clinic"]),
        ("when was the hifu pain article posted", ["date"]),
        ("이 글 누가 썼어요?", ["author"]),
        ("하이푸 글 언제 올라왔어요", ["date"]),
        ("how long does HIFU last?", []),
        ("when was the study done?", []),
        ("who should not get botox?", []),
    ],
)
def test_metadata_questions_are_told_from_others(question: str, kinds: list[str]) -> None:
    assert wanted(question) == kinds


def test_long_dates() -> None:
    assert long_date("2025-08-08") == "August 8, 2025" and long_date("") == "" and long_date("soon") == ""


@pytest.mark.parametrize(
    ("question", "fact", "post"),
    [
        ("when was the hifu pain article posted?", "August 8, 2025", "005_hifu-lifting.txt"),
        ("Which clinic wrote the laser hair removal page?", "Demo Skin Clinic Yeouido", "102_laser-hair-removal.html"),
        ("what clinic is the lip filler faq from", "Sample Clinic Hannam", "101_filler-faq.md"),
    ],
)
def test_the_pipeline_answers_metadata_from_the_record_and_cites_it(pipeline, question, fact, post) -> None:
    answer = pipeline.answer(question)
    assert answer.status is Status.ANSWERED
    assert fact in answer.answer.split("\n\n")[0]
    assert answer.citations[0].post_id == post and answer.citations[0].section == ABOUT
    assert fact in answer.citations[0].quote


def test_the_posts_own_sign_off_names_its_author_in_english(tmp_path: Path) -> None:
    """The byline gives the doctor's name in Korean; the post's sign-off gives it in English,
    and the record quotes it for "who wrote" and "which clinic" questions."""
    path = tmp_path / "p.txt"
    sign_off = "This has been Lee Su-min, the head director of Seoul Skin Gangnam."
    path.write_text(ARCHIVE_POST + "\nThank you for reading.\n\n" + sign_off + "\n", encoding="utf-8")
    about = about_section(read_post(path, tmp_path))
    assert about is not None
    quoted = [s for s in about.sentences if sign_off in s]
    assert len(quoted) == 1
    assert quoted[0] in record_sentences(about.sentences, ["author"])
    assert quoted[0] in record_sentences(about.sentences, ["clinic"])
    assert quoted[0] not in record_sentences(about.sentences, ["date"])


@pytest.mark.real_archive
def test_who_wrote_the_real_post_is_answered_with_the_english_name_too(pipeline) -> None:
    answer = pipeline.answer("which doctor wrote the post about whether thread lifting is safe?")
    assert answer.status is Status.ANSWERED
    first = answer.answer.split("\n\n")[0]
    assert "김진현 원장" in first and "Kim Jin-hyeon" in first, answer.answer


def _record(post: str, title: str, doctor: str) -> Chunk:
    sentences = (f"The post “{title}” is from {doctor}'s clinic.", f"It was written by {doctor}, on the blog “Notes”.")
    return Chunk(f"{post}#about", post, title, ABOUT, sentences, 0, 0)


@pytest.mark.slow
@pytest.mark.parametrize("first", ["a.txt", "b.txt"])
def test_of_two_posts_the_question_names_alike_the_title_closest_in_meaning_answers(first: str) -> None:
    """Both titles hold the question's words "thread", "lift" and "safe"; the one the question
    paraphrases answers "who wrote it", whichever post the search ranked first."""
    records = {
        "a.txt": _record("a.txt", "How safe is a thread lift, and how often do side effects happen?", "Dr. Han"),
        "b.txt": _record("b.txt", "Is thread lifting really a safe procedure?", "Dr. Kim"),
    }
    order = [first, *(p for p in records if p != first)]
    hits = [Hit(records[p], 1.0, 0.8) for p in order]
    composer = ExtractiveComposer(lambda: None, lambda chunk: [], about_of=records.get, meaning=default_meaning())  # type: ignore[arg-type,return-value]
    composition = composer.compose_about(
        ["author"], hits, typed="which doctor wrote that post asking whether thread lifting is really safe?"
    )
    assert composition is not None and composition.citations[0].post_id == "b.txt"
    assert "Dr. Kim" in composition.answer


@pytest.mark.parametrize(
    ("question", "post"),
    [
        ("who wrote the Sample Clinic Pangyo post?", "007_skin-booster.txt"),
        ("when did demo dermatology hongdae publish their post?", "004_laser-toning-melasma.txt"),
    ],
)
def test_a_clinic_named_in_the_question_picks_its_posts_record(pipeline, question: str, post: str) -> None:
    answer = pipeline.answer(question)
    assert answer.status is Status.ANSWERED
    assert answer.citations[0].post_id == post and answer.citations[0].section == ABOUT, answer.answer
    assert post in {h.chunk.post_id for h in answer.hits}


@pytest.mark.real_archive
@pytest.mark.parametrize(
    ("question", "fact"),
    [("김진현 원장님 글은 언제 올라왔어요?", "June 26, 2025"), ("김진현 원장님 어느 병원이에요?", "유앤아이의원")],
)
def test_a_korean_name_in_the_question_picks_that_doctors_post(pipeline, question: str, fact: str) -> None:
    """The name is not in the glossary: it is searched as written, and the record that holds it answers."""
    answer = pipeline.answer(question)
    assert answer.citations and answer.citations[0].post_id == "000_fbae221e59e76ca3.txt", answer.answer
    assert fact in answer.answer.split("\n\n")[0]
