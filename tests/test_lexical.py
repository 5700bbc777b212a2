"""The keyword index's reading of words the archive never uses."""

from __future__ import annotations

import pytest

from askclinic.lexical import LexicalIndex


@pytest.mark.parametrize(
    ("post", "question", "word"),
    [
        ("After a peel the skin can look blotchy for a day.", "any blotching after a peel?", "blotching"),
        ("Scabs can make the area crusty for a few days.", "how long is the crusting?", "crusting"),
    ],
)
def test_a_rare_word_made_of_one_ending_in_y_names_nothing_new(post: str, question: str, word: str) -> None:
    """ "blotching" is the posts' "blotchy" (root + "y"), not a treatment they do not cover; with
    the posts silent on it, it is one."""
    assert LexicalIndex([post]).unknown_names(question) == []
    assert LexicalIndex(["Swelling lasts 7 to 10 days."]).unknown_names(question) == [word]
