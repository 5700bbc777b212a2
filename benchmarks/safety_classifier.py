"""Choose the learned safety check's thresholds by leaving one dev set out at a time.

For each dev set, the classifier is trained on the safety table's examples and the other dev
sets, then scores the set left out. Dev question sets (``answers_dev*``, ``conversations_dev*``)
may be given too: their questions count as ordinary unless they expect an urgent or refused
reply (see ``askclinic.safety_eval.training_rows``); they are scored as a group of their own.
The table shows, summed over the left-out sets, how many emergencies it makes urgent, how many
refusal cases it flags (refused or urgent) and how many ordinary messages it flags, for each
pair of thresholds: first for the classifier alone, then (``--with-table``) as the product
decides, the table's patterns first and the classifier only where they find nothing (a message
the table refuses stays refused unless the classifier makes it urgent at ``STRICT_URGENT``).

    python benchmarks/safety_classifier.py evals/safety_dev.jsonl evals/safety_dev2.jsonl \\
        evals/safety_dev3.jsonl evals/safety_dev4.jsonl evals/safety_dev5.jsonl \\
        evals/safety_dev6.jsonl evals/answers_dev*.jsonl evals/conversations_dev*.jsonl --with-table

Never pass a test set.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from askclinic.pipeline import sanitize
from askclinic.safety import default_safety
from askclinic.safety_backstop import encode
from askclinic.safety_classifier import CLASSES, REGULARIZATION, STRICT_URGENT, train
from askclinic.safety_eval import is_question_set, load_safety_set, question_rows, training_rows

URGENT = (0.6, 0.7, 0.8)
REFUSED = (0.5, 0.6, 0.7, 0.75, 0.8, 0.9)


def main(paths: list[Path], with_table: bool = False) -> None:
    if len(paths) < 2 or any("blind" in p.name for p in paths):
        raise SystemExit("give two or more dev safety sets (never a blind one)")
    table = training_rows([])
    sets = {p: question_rows(p) if is_question_set(p) else _messages(p) for p in paths}
    texts, encoded = _encoded([t for rows in [table, *sets.values()] for t, _ in rows])
    vectors = dict(zip(texts, encoded, strict=True))
    gate = default_safety() if with_table else None
    chances = []
    for held, rows in sets.items():
        train_rows = table + [r for p, rs in sets.items() if p != held for r in rs]
        model = train(train_rows, lambda texts: _stack(vectors, texts))
        scored = model.probabilities(_stack(vectors, [t for t, _ in rows]))
        group = "question sets" if is_question_set(held) else "safety sets"
        tabled = [_tabled(gate, t) for t, _ in rows] if gate else [None] * len(rows)
        chances += [(p, e, group, s) for p, (_, e), s in zip(scored, rows, tabled, strict=True)]
    title = "with the table's patterns" if with_table else "the classifier alone"
    out = Table(
        title=f"leave one set out, C={REGULARIZATION}, {title}: urgent caught, refusals flagged, ordinary flagged"
    )
    for col in ("urgent at", "refused at", "sets", "red flags", "refusals", "ordinary flagged"):
        out.add_column(col)
    for tu in URGENT:
        for tr in REFUSED:
            for group in sorted({c[2] for c in chances}):
                got = [(_decide(p, s, tu, tr), e) for p, e, g, s in chances if g == group]
                red = [g == "urgent" for g, e in got if e == "urgent"]
                ref = [g != "ordinary" for g, e in got if e == "refused"]
                odd = [g != "ordinary" for g, e in got if e == "ordinary"]
                out.add_row(str(tu), str(tr), group, *(_share(x) for x in (red, ref, odd)))
    Console().print(out)
    assert CLASSES == ("ordinary", "refused", "urgent")


def _tabled(gate, text: str) -> str | None:  # type: ignore[no-untyped-def]
    """What the table's patterns make of the message (None: nothing)."""
    verdict = gate.check_patterns(sanitize(text))
    return verdict.status.value if verdict else None


def _decide(p, tabled: str | None, urgent_at: float, refused_at: float) -> str:  # type: ignore[no-untyped-def]
    """The gate's decision from the classifier's probabilities and the table's verdict."""
    if tabled == "urgent" or p[2] >= (STRICT_URGENT if tabled == "refused" else urgent_at):
        return "urgent"
    if tabled == "refused" or p[1] >= refused_at:
        return "refused"
    return "ordinary"


def _messages(path: Path) -> list[tuple[str, str]]:
    return [(c.message, c.expected) for c in load_safety_set(path)]


def _share(flags: list[bool]) -> str:
    return f"{sum(flags)}/{len(flags)} ({sum(flags) / len(flags):.1%})" if flags else "-"


def _encoded(texts: list[str]) -> tuple[list[str], list]:
    unique = list(dict.fromkeys(texts))
    return unique, list(encode(unique))


def _stack(vectors: dict, texts: list[str]):  # type: ignore[no-untyped-def]
    import numpy as np

    return np.stack([vectors[t] for t in texts])


if __name__ == "__main__":
    args = sys.argv[1:]
    main([Path(a) for a in args if a != "--with-table"], with_table="--with-table" in args)
