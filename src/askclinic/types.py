"""The frozen records that flow between askclinic's parts.

``Post`` (parsed file) -> ``Chunk`` (embedded unit) -> ``Hit`` (retrieved chunk)
-> ``Citation`` / ``Answer`` (what a patient sees).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Section:
    """A headed part of a post; ``sentences`` are clean, one sentence or list item each."""

    heading: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Post:
    """One archive post, parsed: metadata plus sections of clean sentences."""

    post_id: str
    title: str
    sections: tuple[Section, ...]
    source: str
    clinic: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) of the byline or front matter
    original_date: str = ""
    translated_at: str = ""
    blog: str = ""
    fmt: str = "archive"

    @property
    def word_count(self) -> int:
        return sum(len(s.split()) for sec in self.sections for s in sec.sentences)


@dataclass(frozen=True)
class Chunk:
    """A run of sentences from one section, small enough for the embedding model."""

    chunk_id: str
    post_id: str
    title: str
    section: str
    sentences: tuple[str, ...]
    chunk_index: int
    section_index: int
    metadata: dict[str, str | int] = field(default_factory=dict, hash=False, compare=False)

    @property
    def body(self) -> str:
        return "\n".join(self.sentences)

    @property
    def text(self) -> str:
        """What gets embedded: title and heading in front of the sentences."""
        return f"{self.title}\n{self.section}\n{self.body}"


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused rank score and its dense cosine similarity."""

    chunk: Chunk
    score: float
    similarity: float
    lexical: float = 0.0


class Status(StrEnum):
    ANSWERED = "answered"
    ABSTAINED = "abstained"
    URGENT = "urgent"
    REFUSED = "refused"


@dataclass(frozen=True)
class Citation:
    n: int
    post_id: str
    title: str
    clinic: str
    published: str
    section: str
    quote: str
    source: str

    def to_dict(self) -> dict[str, str | int]:
        return {
            "n": self.n,
            "post_id": self.post_id,
            "title": self.title,
            "clinic": self.clinic,
            "published": self.published,
            "section": self.section,
            "quote": self.quote,
            "source": self.source,
        }


@dataclass(frozen=True)
class Answer:
    question: str
    status: Status
    answer: str
    citations: tuple[Citation, ...]
    disclaimer: str
    hits: tuple[Hit, ...] = field(default=(), compare=False, repr=False)
    concept: str = field(default="", compare=False)  # safety concept of an urgent or refused reply

    def to_dict(self) -> dict[str, object]:
        """The stable JSON shape of DESIGN section 4."""
        return {
            "question": self.question,
            "status": self.status.value,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "disclaimer": self.disclaimer,
        }
