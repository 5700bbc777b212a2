"""Question -> Answer: input checks, safety gates, hybrid retrieval, extractive answer, optional LLM.

``AskPipeline.answer`` is what the CLI, the web app and the evaluation call (``runnable()`` wraps
it as a LangChain Runnable for other chains); the disclaimer is attached here, in code, to every
answer of every status.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from langchain_core.runnables import Runnable, RunnableLambda

from .answering import (
    MULTI_PART,
    PROCEDURE_HEADS,
    TREATMENT_KINDS,
    ExtractiveComposer,
    compares_makes,
    compares_unknown,
    covered_names,
    procedures_named,
    without_procedure,
)
from .glossary import is_korean
from .injection import strip_instructions
from .meaning import Meaning, default_meaning
from .post_record import wanted
from .retrieval import HybridSearch, Query
from .safety import (
    ABSTAIN_MESSAGE,
    DISCLAIMER,
    EMPTY_MESSAGE,
    TOO_LONG_MESSAGE,
    SafetyGate,
    Verdict,
    default_safety,
)
from .types import Answer, Hit, Status

RECORD_HITS = 20  # posts whose records a who-wrote / when-posted question is matched against
COMPARED_HITS = 6  # extra hits per procedure a comparison names
_BACKSTOP = ThreadPoolExecutor(max_workers=2, thread_name_prefix="askclinic-backstop")

if TYPE_CHECKING:
    from .llm import LLMComposer

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
TOP_K = 5
# With no hit sharing a word with the question, a best dense similarity below this abstains at
# once. Calibrated with benchmarks/calibrate_floor.py on both evaluation sets: out-of-archive
# questions without word overlap reach 0.31; every answerable question shares words.
MIN_SIMILARITY = 0.35
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def has_words(text: str) -> bool:
    """Whether the text holds a letter or digit (emoji, symbols and invisible marks do not count)."""
    return any(ch.isalnum() for ch in sanitize(text))


def sanitize(question: str) -> str:
    """NFC, no control or bidi characters, single spaces."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", question)).split())


class AskPipeline:
    def __init__(
        self,
        search: HybridSearch,
        gate: SafetyGate | None = None,
        llm: LLMComposer | None = None,
        max_chars: int = MAX_QUESTION_CHARS,
        min_similarity: float = MIN_SIMILARITY,
        k: int = TOP_K,
        meaning: Meaning | None = None,
    ) -> None:
        self.search = search
        self.gate = gate or default_safety()
        meaning = meaning or default_meaning()
        self.composer = ExtractiveComposer(
            lambda: search.index, search.section_of, search.embeddings, search.about_of, meaning, search.post_text
        )
        self.llm = llm
        self.max_chars = max_chars
        self.min_similarity = min_similarity
        self.k = k

    def warm_up(self) -> None:
        """Load the embedding model and build the lexical index now, not on the first question."""
        self.search.refresh()
        self.search.embeddings.embed_query("warm up")

    def _reply(self, question: str, status: Status, text: str, hits: tuple[Hit, ...] = ()) -> Answer:
        return Answer(question, status, text, (), DISCLAIMER, hits)

    def answer(self, question: str, prefer: Sequence[str] = ()) -> Answer:
        """The gated, verified answer; ``prefer``: posts a conversation is about (their sentences
        count more when they answer a follow-up)."""
        clean = sanitize(question)
        lang = "ko" if is_korean(clean) else "en"
        if not has_words(clean):
            return self._reply(question, Status.ABSTAINED, EMPTY_MESSAGE[lang])
        if len(clean) > self.max_chars:
            msg = TOO_LONG_MESSAGE[lang].format(n=len(clean), limit=self.max_chars)
            return self._reply(question[: self.max_chars], Status.ABSTAINED, msg)
        verdict = self.gate.check_patterns(clean)
        if verdict is not None:
            if verdict.status is Status.REFUSED:  # the backstop may still find a red flag in it
                verdict = self.gate.similar(clean, over_refusal=True) or verdict
            return self._gated(clean, verdict, lang)
        # The backstop (a small encoder) runs beside retrieval: its verdict still comes first.
        similar = _BACKSTOP.submit(self.gate.similar, clean)
        answer = self._answer(clean, lang, prefer)
        verdict = similar.result()
        return self._gated(clean, verdict, lang) if verdict is not None else answer

    def _gated(self, clean: str, verdict: Verdict, lang: str) -> Answer:
        log.info("question gated as %s (%s)", verdict.status, verdict.label)
        return Answer(clean, verdict.status, verdict.message(lang), (), DISCLAIMER, concept=verdict.concept)

    def _answer(self, clean: str, lang: str, prefer: Sequence[str] = ()) -> Answer:
        query = self.search.prepare(strip_instructions(clean))
        found, vector = self.search.search_with_vector(query, self.k)
        hits = tuple(self._each_procedure(query, found))
        if not hits or self._unrelated(hits):
            return self._reply(clean, Status.ABSTAINED, ABSTAIN_MESSAGE[lang], hits)
        index = self.search.index
        uses = index.df.__contains__  # whether the archive uses a word (a stem)
        known = covered_names(uses)
        if (
            index.unknown_names(query.text, known, TREATMENT_KINDS, PROCEDURE_HEADS)
            or any(compares_makes(text, uses) for text in (clean, query.text))
            or compares_unknown(query.text, uses)
        ):
            # it asks about a treatment or product no post names, compares makes of one the posts
            # never name ("ulthera or shurink?") or weighs something against a thing no post
            # names ("diode or nd yag?"): an answer about another would mislead
            return self._reply(clean, Status.ABSTAINED, ABSTAIN_MESSAGE[lang], hits)
        kinds = wanted(clean)
        if kinds:  # who wrote it / when was it posted: from the post's record, or not at all
            # the records of more posts than an answer needs: a name in the question picks one
            records = self.search.search(query, RECORD_HITS)
            composition = self.composer.compose_about(kinds, [*hits, *records], korean=query.korean, typed=clean)
            if composition is not None:  # the post it names is one the search found
                cited = composition.citations[0].post_id
                found_first = next(h for h in [*hits, *records] if h.chunk.post_id == cited)
                hits = hits if any(h.chunk.post_id == cited for h in hits) else (*hits, found_first)
        else:
            composition = self.composer.compose(
                query.text, list(hits), korean=query.korean, vector=vector, prefer=prefer, typed=clean
            )
        if composition is None:
            return self._reply(clean, Status.ABSTAINED, ABSTAIN_MESSAGE[lang], hits)
        if self.llm is not None and not kinds:  # a post's record is quoted as it is
            composition = self.llm.improve(clean, query, hits, composition, self.composer)
        return Answer(clean, Status.ANSWERED, composition.answer, composition.citations, DISCLAIMER, hits)

    def _each_procedure(self, query: Query, found: list[Hit]) -> list[Hit]:
        """For a question comparing procedures ("thread lift or HIFU?"), hits about each of them."""
        named = procedures_named(query.text)
        if len(named) < 2 or not MULTI_PART.search(query.text.lower()):
            return found
        extra: list[Hit] = []
        for name in named:
            text = query.text.lower()
            for other in named:
                if other != name:
                    text = without_procedure(text, other)
            extra.extend(self.search.search(dataclasses.replace(query, text=text), COMPARED_HITS))
        seen = {h.chunk.chunk_id for h in found}
        merged = list(found)
        for hit in extra:
            if hit.chunk.chunk_id not in seen:
                seen.add(hit.chunk.chunk_id)
                merged.append(hit)
        return merged

    def _unrelated(self, hits: tuple[Hit, ...]) -> bool:
        """No hit is close in meaning and none shares a word with the question."""
        return max(h.similarity for h in hits) < self.min_similarity and not any(h.lexical for h in hits)

    def stream(self, question: str, prefer: Sequence[str] = ()) -> Iterator[str | Answer]:
        """Text pieces of the (already verified) answer, then the Answer itself."""
        result = self.answer(question, prefer)
        words = result.answer.split(" ")
        for i in range(0, len(words), 4):
            yield " ".join(words[: i + 4])
        yield result

    def runnable(self) -> Runnable[str, Answer]:
        """The chain as a LangChain Runnable: ``invoke``/``batch``/``stream`` give Answers."""
        return RunnableLambda(self.answer, name="askclinic")


__all__ = ["AskPipeline", "Query", "sanitize"]
