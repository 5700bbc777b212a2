"""How much a word says, from its frequency in everyday English (the wordfreq package).

Coverage of a question's words and spelling fixes used to lean on the archive's own word
counts, so adding unrelated posts changed answers: "tear trough" became "tea through" once a
post about tea was ingested. General English frequencies do not move with the archive.
"""

from __future__ import annotations

from functools import lru_cache

COMMON_ZIPF = 3.2  # a word this frequent in English (Zipf scale) is a real word, never "corrected"
MIN_ZIPF_GAIN = 3.0  # a rarer English word is a typo only of a word 1,000 times as frequent ("teh" -> "the")
TOP_ZIPF = 7.5  # weight = TOP_ZIPF - zipf: "the" (7.7) says nothing, "filler" (3.4) says a lot
MIN_WEIGHT = 0.3


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """The word's frequency in English on the Zipf scale (0 for words wordfreq does not know)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def is_common_word(word: str) -> bool:
    return zipf(word.lower()) >= COMMON_ZIPF


def weight(word: str) -> float:
    """Rare words weigh more; the same word weighs the same whatever the archive holds."""
    return max(MIN_WEIGHT, TOP_ZIPF - zipf(word.lower()))


ENGLISH_WORDS = 20_000  # the most frequent English words a typo may be fixed towards


@lru_cache(maxsize=1)
def english_words() -> dict[str, float]:
    """The most frequent English words (letters only) with their Zipf frequency."""
    from wordfreq import top_n_list

    return {w: zipf(w) for w in top_n_list("en", ENGLISH_WORDS) if w.isalpha() and w.isascii()}
