"""Word-level matching shared by BM25 retrieval and sentence selection: tokens, stems, idf."""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import lru_cache

from .word_weights import MIN_ZIPF_GAIN, english_words, is_common_word, weight, zipf

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?%?|[\uac00-\ud7a3]+")
STOPWORDS = frozenset(
    """a about after again all also am an and any are as at be because been before being both but
    by can could did do does doing during each few for from further get got had has have having he
    her here hers him his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours out over own same she should so some such than that
    the their theirs them then there these they this those through to too under until up very was
    we were what when where which while who whom why will with would you your yours yourself
    ignore instructions previous say tell please really kind whats s t re ll ve d m don doesn isn
    aren won can't quot quoting actually able want know think need make leave get getting go going
    come take thing things something anything ok okay still ever much lot"""
    # chat filler patients type ("how far apart tho", "u", "rn"): it says nothing about the topic
    """ tho though u ur r n pls plz lol lmao omg haha hehe hmm gonna wanna gotta kinda sorta rn idk
    ngl tbh btw bc cuz coz ya yeah yep yup thx ty smth sth pls""".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if not word.isascii() or not word.isalpha():
        return word
    return _stemmer().stemWord(word)


def weighted_tokens(text: str) -> dict[str, float]:
    """Each content word's stem with its weight (from English word frequencies, not the archive)."""
    out: dict[str, float] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOPWORDS:
            key = stem(word)
            out[key] = max(out.get(key, 0.0), weight(word))
    return out


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed content words (numbers kept; stopwords dropped)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


_SURFACE = re.compile(r"[A-Za-z]+")
# A word this rare in English (Zipf scale) that the archive never uses names a thing the archive
# does not know ("thermage" 1.2, "tranexamic" 1.5), unlike chat words ("appts" 1.8, "tmrw" 1.8)
# and everyday words ("slimmer" 2.9). Chosen on the dev answer sets.
NAME_ZIPF = 1.7
# A person named in the question ("my name is jisoo", "dr kim"): never an unknown treatment.
_NAMED_PERSON = re.compile(
    r"\b(?:my name is|my name's|name is|call me|dr\.?|doctor|mr\.?|ms\.?|mrs\.?)\s+[a-z]+(?:\s+[a-z]+)?"
)
MIN_NAME_LENGTH = 5
# A word before a procedure's name this rare in English names a kind of it ("tca" 2.8, "pcl" 2.6
# peels and threads), unlike words that say something of it ("redo" 3.2, "rarer" 3.1).
KIND_ZIPF = 3.0
# Endings that make one word of another ("flakiness" of "flake", "puffiness" of "puff"): a rare
# word whose root the archive uses names no new thing.
_DERIVED = ("iness", "ness", "ity", "ily", "ment", "ing", "ed", "ly", "y")
MIN_ROOT = 3


def _roots(word: str) -> Iterator[str]:
    for end in _DERIVED:
        if word.endswith(end) and len(word) - len(end) >= MIN_ROOT:
            root = word[: -len(end)]
            yield from (root, root + "e", root + "y")


MIN_CORRECTED_LENGTH = 4  # shorter words are only fixed by a swap of two letters ("hwo" -> "how")
MIN_SPLIT_PART = 3  # letters of each word a run-together word is split into ("lip filler", not "li pfiller")
MAX_SPLIT_PARTS = 3
ARCHIVE_COUNT = 1000  # a spelling vocabulary count this high is a word the archive uses (``vocabulary_from``)


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class Speller:
    """One-edit spelling fixes towards a known vocabulary (word -> how often it occurs)."""

    def __init__(self, words: Counter[str], split_at: int = ARCHIVE_COUNT) -> None:
        self.words = words
        self.split_at = split_at  # a word counted this often may be a part of a run-together word
        self._near: dict[str, list[str]] | None = None
        self._lock = threading.Lock()

    def _neighbours(self) -> dict[str, list[str]]:
        """Every known word under each of its one-letter deletions (for one-edit spelling fixes)."""
        with self._lock:
            if self._near is None:
                near: dict[str, list[str]] = {}
                for word in self.words:
                    if len(word) >= MIN_CORRECTED_LENGTH - 1:
                        for variant in {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}:
                            near.setdefault(variant, []).append(word)
                self._near = near
        return self._near

    def correct(self, text: str, keep: Collection[str] = ()) -> str:
        """``text`` with each unknown word replaced by the most frequent known word one edit away
        (insert, delete, substitute or swap one letter): "hwo many sesions" -> "how many sessions".
        Known words, words in ``keep`` (names the caller knows: "shurink" is not "shrink"), words
        of two letters and words with digits are kept; words of up to four letters are never fixed
        by a substitution ("park" does not become "dark")."""

        def fix(match: re.Match[str]) -> str:
            word = match.group()
            low = word.lower()
            if len(low) < MIN_CORRECTED_LENGTH - 1 or low in self.words or not low.isalpha() or not low.isascii():
                return word
            if low in keep:
                return word
            if is_common_word(low):  # a real English word is not a typo, whatever the archive holds
                return word
            near = self._neighbours()
            found = {w for v in {low, *(low[:i] + low[i + 1 :] for i in range(len(low)))} for w in near.get(v, [])}
            found = {w for w in found if _one_edit(low, w)}
            if len(low) <= MIN_CORRECTED_LENGTH:  # short words: no substituted letter (park is not dark)
                found = {w for w in found if len(w) != len(low) or sorted(w) == sorted(low)}
            if len(low) < MIN_CORRECTED_LENGTH:  # three letters: only a swap (hwo -> how)
                found = {w for w in found if sorted(w) == sorted(low)}
            known = zipf(low)
            if known:  # an English word, if rare: fixed only towards a far more frequent one ("teh")
                found = {w for w in found if zipf(w) - known >= MIN_ZIPF_GAIN}
            if not found:
                return self._split(low) or word
            return max(sorted(found), key=lambda w: self.words[w])

        return _SURFACE.sub(fix, text)

    def _split(self, word: str, parts: int = MAX_SPLIT_PARTS) -> str | None:
        """``word`` written as the archive's words it joins ("skinbooster" -> "skin booster",
        "laserhairremoval" -> "laser hair removal"), or None. Each part is a word counted at least
        ``split_at`` times (in the spelling vocabulary: a word the archive uses, not merely an
        English word) of at least ``MIN_SPLIT_PART`` letters; of several ways to split, the one
        whose rarer part is counted most."""
        best: tuple[int, str] | None = None
        for i in range(MIN_SPLIT_PART, len(word) - MIN_SPLIT_PART + 1):
            head, tail = word[:i], word[i:]
            if self.words[head] < self.split_at:
                continue
            if self.words[tail] >= self.split_at:
                rest, count = tail, self.words[tail]
            elif parts > 2 and (split := self._split(tail, parts - 1)):
                rest, count = split, min(self.words[w] for w in split.split())
            else:
                continue
            score = min(self.words[head], count)
            if best is None or score > best[0]:
                best = (score, f"{head} {rest}")
        return best[1] if best else None


def archive_words(texts: Iterable[str]) -> Counter[str]:
    """Every word of ``texts`` (lower-cased letters) with how often it occurs."""
    return Counter(w for t in texts for w in _SURFACE.findall(t.lower()))


def spelling_vocabulary(texts: Iterable[str]) -> Counter[str]:
    """Words a typo may be fixed towards: the archive's (preferred) and common English words."""
    return vocabulary_from(archive_words(texts))


def vocabulary_from(archive: Counter[str]) -> Counter[str]:
    """The spelling vocabulary from the archive's word counts (lower-cased words)."""
    words = Counter({w: round(10 * z) for w, z in english_words().items()})
    for w, n in archive.items():
        words[w] += ARCHIVE_COUNT * n
    return words


K1, B = 1.5, 0.75  # BM25 (Lucene's variant, as bm25s computes it by default)


class LexicalIndex:
    """BM25 over chunk texts, plus the document frequencies for sentence scoring.

    The index is a term x document matrix of BM25 scores (scipy CSR, float32), built in one pass
    over the documents: each document is reduced to (term, count) pairs as it is read, so the
    build never holds a Python object per token (a 100k-chunk archive has ~11M tokens). Scores
    are those of ``bm25s`` with its defaults (Lucene's idf and term weighting, k1 1.5, b 0.75);
    the tests hold the two to the same ranking.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self._build((tokens(t) for t in texts), spelling_vocabulary(texts))

    @classmethod
    def from_tokens(cls, docs: Iterable[Sequence[str]], archive_words: Counter[str]) -> LexicalIndex:
        """The index of documents already tokenized (``tokens``), with the archive's word counts."""
        index = cls.__new__(cls)
        index._build(docs, vocabulary_from(archive_words))
        return index

    def _build(self, docs: Iterable[Sequence[str]], spelling: Counter[str]) -> None:
        from array import array

        import numpy as np
        from scipy.sparse import csr_matrix

        vocab: dict[str, int] = {}
        term_of, doc_of, count_of, lengths = array("i"), array("i"), array("i"), array("i")
        for n, doc in enumerate(docs):
            lengths.append(len(doc))
            for term, count in Counter(doc).items():
                term_of.append(vocab.setdefault(term, len(vocab)))
                doc_of.append(n)
                count_of.append(count)
        self.size = len(lengths)
        self.vocab = vocab
        self.speller = Speller(spelling)
        terms = np.frombuffer(term_of, dtype=np.int32)
        df = np.bincount(terms, minlength=len(vocab))
        self.df: dict[str, int] = {t: int(df[i]) for t, i in vocab.items()}
        if not self.size:
            self._scores = csr_matrix((0, 0), dtype=np.float32)
            return
        docs_ = np.frombuffer(doc_of, dtype=np.int32)
        tf = np.frombuffer(count_of, dtype=np.int32).astype(np.float32)
        length = np.frombuffer(lengths, dtype=np.int32).astype(np.float32)
        idf = np.log(1 + (self.size - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = K1 * ((1 - B) + B * length / max(float(length.mean()), 1e-9))
        scores = idf[terms] * tf / (norm[docs_] + tf)
        self._scores = csr_matrix((scores, (terms, docs_)), shape=(len(vocab), self.size), dtype=np.float32)

    def correct(self, text: str, keep: Collection[str] = ()) -> str:
        """``text`` with words the archive never uses fixed when one edit away from one it does
        (the words in ``keep`` stay as typed)."""
        return self.speller.correct(text, keep)

    def unknown_names(
        self, text: str, known: Iterable[str] = (), kinds: Iterable[str] = (), heads: Iterable[str] = ()
    ) -> list[str]:
        """Words of ``text`` that look like names of things (rare in English, at least
        ``MIN_NAME_LENGTH`` letters) and that the archive never uses: "thermage", "rejuran".
        A question about such a thing is not answered from posts about something else.
        ``known``: words the caller maps to a topic of its own (brand names of a procedure);
        ``kinds``: words that name a kind of treatment however common they are ("transplant",
        "tattoo"), reported too when the archive never uses them; ``heads``: words that name a
        procedure ("peel", "threads"): a word before one of them that is not everyday English and
        that the archive never uses names a kind of it the posts do not cover ("tca peel", "pcl
        threads"), however short."""
        skip = {w.lower() for w in known}
        treatments = {w.lower() for w in kinds}
        text = _NAMED_PERSON.sub(" ", text.lower())  # "my name is jisoo", "dr kim": people, not treatments
        words = _SURFACE.findall(text)
        head_words = set(heads)
        before_head = {a for a, b in itertools.pairwise(words) if b in head_words}
        return [
            word
            for word in dict.fromkeys(words)
            if word not in skip
            and stem(word) not in self.df
            and not any(stem(root) in self.df for root in _roots(word))
            and word not in STOPWORDS
            and (
                word in treatments
                or (len(word) >= MIN_NAME_LENGTH and zipf(word) < NAME_ZIPF)
                or (word in before_head and len(word) >= 2 and zipf(word) < KIND_ZIPF)
            )
        ]

    def search(self, query_tokens: Iterable[str], k: int) -> list[tuple[int, float]]:
        """(document index, BM25 score) of the best ``k`` documents with a positive score."""
        import numpy as np

        ids = [self.vocab[t] for t in query_tokens if t in self.vocab]  # a repeated word counts twice
        if not ids or not self.size:
            return []
        scores = np.zeros(self.size, dtype=np.float32)
        matrix = self._scores
        for i in ids:
            start, end = matrix.indptr[i], matrix.indptr[i + 1]
            scores[matrix.indices[start:end]] += matrix.data[start:end]
        top = np.argpartition(-scores, min(k, self.size - 1))[:k] if self.size > k else np.arange(self.size)
        order = top[np.lexsort((top, -scores[top]))]  # best first; ties by document order
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
