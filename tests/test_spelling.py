"""One-letter spelling fixes towards known words (questions and the safety table)."""

from __future__ import annotations

from collections import Counter

import pytest

from askclinic.lexical import Speller
from askclinic.types import Status

WORDS = Counter(
    "how many sessions does laser toning need botox swelling dark hair lasts the tea through arrest".split()
)


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("hwo many sesions", "how many sessions"),  # a swap; a dropped letter
        ("jaw botx", "jaw botox"),  # a dropped letter in a four-letter word
        ("swellign lasts", "swelling lasts"),  # a swap
        ("teh toning", "the toning"),
        ("Botx", "botox"),
    ],
)
def test_words_one_edit_from_a_known_word_are_fixed(typed: str, fixed: str) -> None:
    assert Speller(WORDS).correct(typed) == fixed


@pytest.mark.parametrize(
    "typed",
    [
        "where can i park",  # park -> dark would be a substitution in a four-letter word
        "infection after a tattoo",  # nothing known one edit away
        "u gonna lol",  # too short
        "laser 2nd",  # digits
        "how many sessions",  # already known
        "tear trough filler",  # real English words, however close to others ("tea", "through")
        "the rarest side effect",  # a rare real word is not a typo of a commoner one ("arrest")
    ],
)
def test_other_words_are_kept(typed: str) -> None:
    assert Speller(WORDS).correct(typed) == typed


@pytest.mark.slow
def test_a_misspelled_question_is_answered_like_the_spelled_one(pipeline) -> None:
    typed = pipeline.answer("hwo many laser toning sesions does melasma need?")
    spelled = pipeline.answer("how many laser toning sessions does melasma need?")
    assert typed.status is Status.ANSWERED
    assert typed.answer == spelled.answer


def test_the_archive_vocabulary_also_fixes_common_english_words() -> None:
    from askclinic.lexical import LexicalIndex

    index = LexicalIndex(["Thread lifting: swelling lasts 7 to 10 days."])
    assert index.correct("can i go to the dnetist after a thred lift") == "can i go to the dentist after a thread lift"


def test_names_the_caller_knows_are_not_fixed_into_other_words() -> None:
    """ "shurink" (a make of HIFU) is one edit from "shrink"; the answerer knows it as a name."""
    from askclinic.answering import KNOWN_NAMES
    from askclinic.lexical import LexicalIndex

    index = LexicalIndex(["HIFU lifting: the results last 6 to 12 months."])
    assert index.correct("does shurink hurt") == "does shrink hurt"  # not known to the speller alone
    assert index.correct("does shurink hurt", KNOWN_NAMES) == "does shurink hurt"
    assert index.correct("does shurink hrut", KNOWN_NAMES) == "does shurink hurt"  # other words still fixed


@pytest.mark.parametrize(
    ("typed", "split"),
    [
        ("skinbooster sessions", "skin booster sessions"),
        ("how long does a threadlift last", "how long does a thread lift last"),
        ("laserhairremoval", "laser hair removal"),  # three words
    ],
)
def test_words_run_together_are_split_into_known_words(typed: str, split: str) -> None:
    words = Counter("skin booster sessions thread lift last laser hair removal".split())
    assert Speller(words, split_at=1).correct(typed) == split


def test_only_words_the_archive_uses_are_split_out() -> None:
    """ "skinbooster" is two words the archive uses; "sunbed" joins two English words it does not,
    and "rejuran", a make no post names, splits into nothing known."""
    from askclinic.lexical import LexicalIndex

    index = LexicalIndex(["Skin booster sessions are spaced 4 weeks apart."])
    assert index.correct("skinbooster") == "skin booster"
    assert index.correct("sunbed rejuran") == "sunbed rejuran"


@pytest.mark.slow
def test_a_procedure_typed_as_one_word_is_answered_like_the_two(pipeline) -> None:
    typed = pipeline.answer("how many skinbooster sessions do i need?")
    spelled = pipeline.answer("how many skin booster sessions do i need?")
    assert typed.status is Status.ANSWERED, typed.answer
    assert typed.answer == spelled.answer
