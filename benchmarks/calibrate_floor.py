"""Calibrate the abstention thresholds on the evaluation question sets.

For every answerable and every out-of-archive question, prints the best dense similarity of
its hits, whether any hit shares a word with it, and the best sentence's coverage and meaning
match; then how many of each group the current ``MIN_SEMANTIC`` / ``MIN_COVERAGE`` accept.
Choose thresholds on a dev set only (never on ``answers_blind.jsonl``):

    askclinic ingest samples/archive ../shared/archive --store /tmp/all
    python benchmarks/calibrate_floor.py evals/answers_dev.jsonl=/tmp/all
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", nargs="+", help="QUESTIONS.jsonl=STORE")
    args = parser.parse_args()

    from askclinic.answering import MIN_COVERAGE, MIN_SEMANTIC
    from askclinic.embeddings import SentenceEmbeddings
    from askclinic.pipeline import AskPipeline, strip_instructions
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    embeddings = SentenceEmbeddings().load()
    rows = []
    for pair in args.pairs:
        questions, store = pair.split("=", 1)
        pipeline = AskPipeline(HybridSearch(open_store(store, embeddings.model_id), embeddings))
        for line in Path(questions).read_text("utf-8").splitlines():
            item = json.loads(line)
            status = item.get("expected_status")
            if status not in ("answered", "abstained") or item.get("history"):
                continue
            query = pipeline.search.prepare(strip_instructions(item["question"]))
            hits = pipeline.search.search(query, pipeline.k)
            ranked = pipeline.composer.rank(query.text, hits)
            rows.append(
                (
                    status,
                    max(h.similarity for h in hits),
                    any(h.lexical for h in hits),
                    ranked[0].coverage if ranked else 0.0,
                    ranked[0].semantic if ranked else 0.0,
                    bool(ranked and ranked[0].answers),
                    item["question"],
                )
            )
    rows.sort(key=lambda r: r[1])
    print(f"{'expected':10} {'top sim':>7} {'lexical':>7} {'coverage':>8} {'meaning':>7}  question")
    for status, sim, lexical, coverage, meaning, _, question in rows:
        print(f"{status:10} {sim:7.2f} {lexical!s:>7} {coverage:8.2f} {meaning:7.2f}  {question[:70]}")
    answerable = [r for r in rows if r[0] == "answered"]
    outside = [r for r in rows if r[0] == "abstained"]
    print(f"\nanswerable: {len(answerable)}, lowest top similarity {min(r[1] for r in answerable):.2f}")
    print(f"out-of-archive: {len(outside)}, highest top similarity {max(r[1] for r in outside):.2f}")
    print(
        "out-of-archive with no lexical overlap, highest similarity: "
        f"{max((r[1] for r in outside if not r[2]), default=0):.2f}"
    )
    print(
        "out-of-archive with lexical overlap, highest best-sentence coverage: "
        f"{max((r[3] for r in outside if r[2]), default=0):.2f}"
    )
    print(
        f"accepted by MIN_SEMANTIC={MIN_SEMANTIC} or MIN_COVERAGE={MIN_COVERAGE}: "
        f"answerable {sum(r[5] for r in answerable)}/{len(answerable)}, "
        f"out-of-archive {sum(r[5] for r in outside)}/{len(outside)}"
    )


if __name__ == "__main__":
    main()
