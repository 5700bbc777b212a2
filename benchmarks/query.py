"""Latency of ``ask`` (extractive path) against the raw cost of retrieval, in one run.

For N questions (default 200), measures per question:
  raw  = one query embedding + one Chroma query (top 5) — the floor any RAG answer pays;
  ask  = the whole pipeline: safety gates, dense + BM25 search, fusion, sentence selection.
Reports p50 / p95 of each and the ratio ask/raw (target: at most 3x). Both run on the same
questions, interleaved, so machine noise hits them alike.

    python benchmarks/query.py                      # builds a temp store from the samples
    python benchmarks/query.py --store .askclinic/store --questions 500 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TEMPLATES = [
    "How common is {}?",
    "How long does {} last?",
    "Is {} normal after the procedure?",
    "What should I know about {}?",
    "{} 얼마나 오래 가나요?",
    "How many sessions for {}?",
    "When does {} go away?",
    "What causes {}?",
]
TOPICS = [
    "thread exposure",
    "bruising",
    "swelling",
    "infection",
    "pain",
    "lip filler",
    "melasma",
    "laser toning",
    "HIFU",
    "skin booster",
    "acne scars",
    "chemical peel",
    "laser hair removal",
    "jaw botox",
    "redness",
    "downtime",
    "tingling",
    "asymmetry",
    "visible threads",
    "crusts",
    "실리프팅 붓기",
    "필러",
    "보톡스",
    "멍",
    "기미",
]


def questions(n: int) -> list[str]:
    out = [t.format(topic) for topic in TOPICS for t in TEMPLATES]
    return (out * (n // len(out) + 1))[:n]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="an existing store (default: a temp store built from the samples)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    from askclinic.embeddings import SentenceEmbeddings
    from askclinic.ingestion import ingest
    from askclinic.pipeline import AskPipeline
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    embeddings = SentenceEmbeddings().load()
    tmp = Path(tempfile.mkdtemp(prefix="askclinic-bench-"))
    try:
        location = args.store or str(tmp / "store")
        store = open_store(location, embeddings.model_id)
        if not args.store:
            archive = tmp / "archive"
            shutil.copytree(ROOT / "samples" / "archive", archive)
            real = ROOT.parent / "shared" / "archive"
            if real.is_dir():
                for f in real.iterdir():
                    shutil.copy(f, archive / f.name)
            ingest([archive], store, embeddings, count_tokens=embeddings.token_counter())
        pipeline = AskPipeline(HybridSearch(store, embeddings))
        qs = questions(args.questions)
        for q in qs[:20]:  # warm up both paths (lexical index, kernels)
            pipeline.answer(q)
            store.query(embeddings.embed_query(q), 5)

        raw, ask = [], []
        statuses: dict[str, int] = {}
        for q in qs:
            t = time.perf_counter()
            store.query(embeddings.embed_query(q), 5)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            answer = pipeline.answer(q)
            ask.append(time.perf_counter() - t)
            statuses[answer.status.value] = statuses.get(answer.status.value, 0) + 1

        result = {
            "questions": len(qs),
            "chunks_in_store": store.count(),
            "embedding_dtype": embeddings.dtype,
            "raw_p50_ms": 1000 * statistics.median(raw),
            "raw_p95_ms": 1000 * pct(raw, 0.95),
            "ask_p50_ms": 1000 * statistics.median(ask),
            "ask_p95_ms": 1000 * pct(ask, 0.95),
            "ratio_p50": statistics.median(ask) / statistics.median(raw),
            "ratio_p95": pct(ask, 0.95) / pct(raw, 0.95),
            "statuses": statuses,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{result['questions']} questions on {result['chunks_in_store']} chunks ({result['embedding_dtype']})")
    print(f"raw retrieval  p50 {result['raw_p50_ms']:7.1f} ms   p95 {result['raw_p95_ms']:7.1f} ms")
    print(f"ask            p50 {result['ask_p50_ms']:7.1f} ms   p95 {result['ask_p95_ms']:7.1f} ms")
    print(f"ratio ask/raw  p50 {result['ratio_p50']:7.2f}x     p95 {result['ratio_p95']:7.2f}x   (target <= 3x)")
    print(f"statuses: {result['statuses']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
