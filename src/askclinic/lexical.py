"""Word-level matching shared by BM25 retrieval and sentence selection: tokens, stems, idf."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

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
    come take thing things something anything ok okay still ever much lot""".split()
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


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed content words (numbers kept; stopwords dropped)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


class LexicalIndex:
    """BM25 over chunk texts (bm25s), plus the document frequencies for sentence scoring."""

    def __init__(self, texts: Sequence[str]) -> None:
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)

        self.size = len(texts)
        docs = [tokens(t) for t in texts]
        self.df: Counter[str] = Counter(t for doc in docs for t in set(doc))
        self.bm25 = bm25s.BM25()
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in docs]
        self.vocab = vocab
        if texts:
            self.bm25.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)

    def idf(self, token: str) -> float:
        return math.log(1 + (self.size - self.df.get(token, 0) + 0.5) / (self.df.get(token, 0) + 0.5))

    def search(self, query_tokens: Iterable[str], k: int) -> list[tuple[int, float]]:
        """(document index, BM25 score) of the best ``k`` documents with a positive score."""
        ids = [self.vocab[t] for t in query_tokens if t in self.vocab]
        if not ids or not self.size:
            return []
        scores = self.bm25.get_scores(ids)
        order = scores.argsort()[::-1][:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
