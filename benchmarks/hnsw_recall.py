"""HNSW recall benchmark: Chroma's approximate top-10 against exact brute force, real embeddings.

What it measures:

1. Generates ``--chunks`` (default 20,000) short chunks, each a random run of sentences from the
   sample posts (numbers re-rolled) of about 40-80 words, and ``--queries`` (default 200)
   held-out question-like texts (sample sentences with words dropped, some with a question
   opener). Both are embedded with the project's real model (``SentenceEmbeddings``, dtype
   ``auto`` = bfloat16 on CPUs that have it) and cached in a ``.npy`` file under the system
   temp dir (or ``--cache FILE``), so a re-run skips the embedding.
2. Ground truth: exact top-10 by numpy dot product on the L2-normalised vectors.
3. For each HNSW configuration of a small grid -- Chroma's default (no configuration; space
   l2, which ranks normalised vectors exactly like cosine) and ``{"space": "cosine",
   "ef_construction": E, "max_neighbors": M, "ef_search": S}`` for (E, M, S) in
   (100,16,100), (200,32,128), (200,32,256), (400,48,256) -- it builds a fresh collection in a
   temp ``chromadb.PersistentClient``, adds the vectors in batches of 5000, queries top-10 for
   each query one at a time and reports recall@10 (mean overlap with the exact top-10), a
   tie-tolerant recall, build time, first-query time and query latency (p50/p95).

The project's choice is ``askclinic.store.HNSW``; the requirement is recall@10 >= 0.99 at
20k chunks.

Run from the project root with the project's environment, e.g.::

    HF_HUB_OFFLINE=1 python benchmarks/hnsw_recall.py                   # 20,000 chunks
    HF_HUB_OFFLINE=1 python benchmarks/hnsw_recall.py --chunks 5000     # a quick run
    HF_HUB_OFFLINE=1 python benchmarks/hnsw_recall.py --json hnsw.json --cache vectors.npy

Run one benchmark at a time: both use every core.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import numpy as np

from askclinic.embeddings import SentenceEmbeddings
from askclinic.reader import read_post
from askclinic.store import HNSW as PROJECT_HNSW

DEFAULT_SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "archive"
GRID = [(100, 16, 100), (200, 32, 128), (200, 32, 256), (400, 48, 256)]
RECALL_TARGET = 0.99
ADD_BATCH = 5000
EMBED_BATCH = 256
_NUMBER = re.compile(r"\d+")
_OPENERS = (
    "",
    "",
    "",
    "How long",
    "Is it true that",
    "What about",
    "Can you tell me if",
    "Why",
    "When",
    "Should I worry that",
)


# ---------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------


def sample_sentences(samples: Path) -> list[str]:
    sentences: list[str] = []
    for path in sorted(p for p in samples.iterdir() if p.is_file()):
        for section in read_post(path, samples).sections:
            sentences.extend(section.sentences)
    if len(sentences) < 20:
        raise SystemExit(f"too few sample sentences under {samples}")
    return sentences


def _reroll(text: str, rng: random.Random) -> str:
    factor = rng.uniform(0.5, 1.8)
    return _NUMBER.sub(lambda m: str(max(1, round(int(m.group()) * factor))), text)


def make_chunks(sentences: list[str], n: int, rng: random.Random) -> list[str]:
    """n distinct chunks of random sample sentences, each ~40-80 words."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        target = rng.randint(40, 80)
        picked: list[str] = []
        words = 0
        while words < target:
            s = _reroll(rng.choice(sentences), rng)
            picked.append(s)
            words += len(s.split())
        if words > 90 and len(picked) > 1:  # the last sentence overshot: drop it
            words -= len(picked.pop().split())
        text = "\n".join(picked)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def make_queries(sentences: list[str], n: int, rng: random.Random, exclude: set[str]) -> list[str]:
    """n question-like texts: sample sentences with ~30% of the words dropped."""
    out: list[str] = []
    while len(out) < n:
        words = [w for s in rng.sample(sentences, k=rng.choice((1, 1, 2))) for w in s.split()]
        kept = [w for w in words if rng.random() > 0.3] or words[:3]
        text = " ".join(kept).rstrip(".!?”\"'^")
        opener = rng.choice(_OPENERS)
        text = f"{opener} {text[:1].lower()}{text[1:]}?" if opener else f"{text}?"
        if text not in exclude:
            exclude.add(text)
            out.append(text)
    return out


# ---------------------------------------------------------------------------------------
# Embedding (cached)
# ---------------------------------------------------------------------------------------


def cache_key(model_id: str, dtype: str, texts: list[str]) -> str:
    digest = hashlib.sha256(f"{model_id}\n{dtype}\n".encode())
    for t in texts:
        digest.update(t.encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:20]


def embed_all(
    texts: list[str], embeddings: SentenceEmbeddings, cache: Path | None, key: str
) -> tuple[np.ndarray, dict[str, Any]]:
    """Vectors for the texts (rows in order), from the cache when its key matches."""
    info: dict[str, Any] = {"cache": str(cache) if cache else None, "key": key}
    sidecar = cache.with_name(cache.name + ".key") if cache else None
    if cache and cache.exists() and sidecar and sidecar.exists() and sidecar.read_text() == key:
        vectors = np.load(cache)
        if vectors.shape[0] == len(texts):
            info.update(cached=True, seconds=0.0)
            return vectors, info
    started = time.perf_counter()
    parts = []
    done = 0
    for i in range(0, len(texts), EMBED_BATCH):
        parts.append(np.asarray(embeddings.embed_documents(texts[i : i + EMBED_BATCH]), dtype=np.float32))
        done += len(parts[-1])
        if (i // EMBED_BATCH) % 10 == 9 or done == len(texts):
            rate = done / (time.perf_counter() - started)
            print(f"  embedded {done}/{len(texts)} ({rate:.0f}/s)", flush=True)
    vectors = np.concatenate(parts)
    seconds = time.perf_counter() - started
    info.update(cached=False, seconds=round(seconds, 1), texts_per_s=round(len(texts) / seconds, 1))
    if cache and sidecar:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
        sidecar.write_text(key)
    return vectors, info


# ---------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------


def exact_topk(queries: np.ndarray, corpus: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, similarities) of the exact top-k by dot product, best first."""
    sims = queries @ corpus.T
    idx = np.argpartition(-sims, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, idx, axis=1), axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    return idx, np.take_along_axis(sims, idx, axis=1)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def effective_hnsw(collection) -> dict[str, Any]:
    """The HNSW settings Chroma reports for the collection (what it actually uses)."""
    try:
        config = collection.configuration
        hnsw = config.get("hnsw") if isinstance(config, dict) else getattr(config, "hnsw", None)
        if hnsw:
            return {k: v for k, v in dict(hnsw).items() if v is not None}
    except Exception as e:  # pragma: no cover - differs across Chroma versions
        return {"error": repr(e)}
    return {}


def run_config(
    name: str,
    hnsw: dict[str, Any] | None,
    path: Path,
    corpus: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    truth_sims: np.ndarray,
    k: int,
    add_batch: int,
) -> dict[str, Any]:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    kwargs: dict[str, Any] = {"configuration": {"hnsw": dict(hnsw)}} if hnsw is not None else {}
    collection = client.get_or_create_collection(
        re.sub(r"[^a-zA-Z0-9]+", "-", name).strip("-"), embedding_function=None, **kwargs
    )
    ids = [str(i) for i in range(len(corpus))]

    started = time.perf_counter()
    for i in range(0, len(corpus), add_batch):
        collection.add(ids=ids[i : i + add_batch], embeddings=corpus[i : i + add_batch])
    build_s = time.perf_counter() - started
    count = collection.count()

    t0 = time.perf_counter()
    collection.query(query_embeddings=queries[:1], n_results=k, include=["distances"])
    first_query_s = time.perf_counter() - t0

    latencies: list[float] = []
    overlaps: list[float] = []
    tolerant: list[float] = []
    distance_errors: list[float] = []
    space = (hnsw or {}).get("space", "l2")
    for qi, q in enumerate(queries):
        t0 = time.perf_counter()
        res = collection.query(query_embeddings=q[None, :], n_results=k, include=["distances"])
        latencies.append(time.perf_counter() - t0)
        got = [int(x) for x in res["ids"][0]]
        overlaps.append(len(set(got) & set(truth[qi].tolist())) / k)
        exact = corpus[got] @ q  # the true similarity of what HNSW returned
        tolerant.append(float(np.sum(exact >= truth_sims[qi, -1] - 1e-6)) / k)
        # what Chroma should report for those neighbours: l2 is the squared distance
        expected = 2.0 - 2.0 * exact if space == "l2" else 1.0 - exact
        got_distances = np.asarray((res["distances"] or [[]])[0])
        distance_errors.append(float(np.max(np.abs(got_distances - expected))))

    overlaps_arr = np.asarray(overlaps)
    return {
        "name": name,
        "requested": hnsw,
        "effective_hnsw": effective_hnsw(collection),
        "count": count,
        "recall_at_k": round(float(overlaps_arr.mean()), 4),
        "recall_tie_tolerant": round(float(np.mean(tolerant)), 4),
        "min_query_recall": round(float(overlaps_arr.min()), 2),
        "queries_below_full_recall": int(np.sum(overlaps_arr < 1.0)),
        "build_seconds": round(build_s, 2),
        "first_query_seconds": round(first_query_s, 3),
        "query_p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "query_p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "max_distance_error": max(distance_errors),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    import chromadb
    import torch

    rng = random.Random(args.seed)
    sentences = sample_sentences(args.samples)
    print(
        f"generating {args.chunks} chunks and {args.queries} queries from {len(sentences)} sample sentences ...",
        flush=True,
    )
    chunks = make_chunks(sentences, args.chunks, rng)
    queries_text = make_queries(sentences, args.queries, rng, exclude=set(chunks))
    words = [len(c.split()) for c in chunks]

    embeddings = SentenceEmbeddings(dtype=args.dtype)
    texts = chunks + queries_text
    key = cache_key(embeddings.model_id, embeddings.dtype, texts)
    cache = args.cache or Path(tempfile.gettempdir()) / "askclinic-bench-cache" / f"hnsw-{key}.npy"
    print(f"embedding with {embeddings.model_id} ({embeddings.dtype}); cache {cache} ...", flush=True)
    vectors, embed_info = embed_all(texts, embeddings, cache, key)
    norms = np.linalg.norm(vectors, axis=1)
    vectors = vectors / norms[:, None]  # re-normalise in float32 so both sides see unit vectors
    corpus, queries = vectors[: len(chunks)], vectors[len(chunks) :]

    t0 = time.perf_counter()
    truth, truth_sims = exact_topk(queries, corpus, args.k)
    brute_s = time.perf_counter() - t0

    grid: list[tuple[str, dict[str, Any] | None]] = [("chroma default (l2)", None)]
    for e, m, s in GRID:
        grid.append(
            (f"cosine E={e} M={m} S={s}", {"space": "cosine", "ef_construction": e, "max_neighbors": m, "ef_search": s})
        )

    workdir = Path(tempfile.mkdtemp(prefix="askclinic-hnsw-bench-"))
    results = []
    try:
        for i, (name, hnsw) in enumerate(grid):
            print(f"[{i + 1}/{len(grid)}] {name}: building and querying ...", flush=True)
            r = run_config(name, hnsw, workdir / f"db{i}", corpus, queries, truth, truth_sims, args.k, args.add_batch)
            r["project_choice"] = hnsw == dict(PROJECT_HNSW)
            print(
                f"  recall@{args.k} {r['recall_at_k']:.4f}, build {r['build_seconds']:.1f} s, "
                f"p50 {r['query_p50_ms']:.2f} ms",
                flush=True,
            )
            results.append(r)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    project = next((r for r in results if r["project_choice"]), None)
    second = truth_sims[:, 1] if args.k > 1 else truth_sims[:, 0]
    return {
        "benchmark": "hnsw_recall",
        "config": {
            "chunks": args.chunks,
            "queries": args.queries,
            "k": args.k,
            "seed": args.seed,
            "dtype_requested": args.dtype,
            "add_batch": args.add_batch,
            "samples": str(args.samples),
        },
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "chromadb": chromadb.__version__,
        },
        "model": {"model_id": embeddings.model_id, "dtype": embeddings.dtype},
        "data": {
            "sample_sentences": len(sentences),
            "chunk_words_mean": round(float(np.mean(words)), 1),
            "chunk_words_min": int(min(words)),
            "chunk_words_max": int(max(words)),
            "raw_norm_max_deviation": float(np.max(np.abs(norms - 1.0))),
            "truth_top1_sim_mean": round(float(truth_sims[:, 0].mean()), 4),
            "truth_top2_sim_mean": round(float(second.mean()), 4),
            "truth_kth_sim_mean": round(float(truth_sims[:, -1].mean()), 4),
            # how crowded the neighbourhood is: a small top-1..k spread means near-ties
            "truth_top1_minus_kth_mean": round(float((truth_sims[:, 0] - truth_sims[:, -1]).mean()), 4),
        },
        "embedding": embed_info,
        "brute_force_seconds": round(brute_s, 3),
        "project_hnsw": dict(PROJECT_HNSW),
        "results": results,
        "requirement": {
            "target": f"recall@{args.k} >= {RECALL_TARGET} at {args.chunks} chunks",
            "project_recall": project["recall_at_k"] if project else None,
            "pass": bool(project and project["recall_at_k"] >= RECALL_TARGET),
        },
    }


def print_summary(r: dict) -> None:
    d, env, k = r["data"], r["environment"], r["config"]["k"]
    print()
    print("=== askclinic HNSW recall benchmark ===")
    print(
        f"chunks           {r['config']['chunks']} (words mean {d['chunk_words_mean']}, "
        f"{d['chunk_words_min']}-{d['chunk_words_max']}), queries {r['config']['queries']}, "
        f"k={k}, seed {r['config']['seed']}"
    )
    emb = r["embedding"]
    how = "from cache" if emb["cached"] else f"{emb['seconds']} s, {emb['texts_per_s']} texts/s"
    print(
        f"model            {r['model']['model_id']} dtype={r['model']['dtype']} ({how}); "
        f"torch threads={env['torch_threads']}, chromadb {env['chromadb']}"
    )
    print(f"vector norms     max |norm - 1| = {d['raw_norm_max_deviation']:.1e} as embedded (then re-normalised)")
    print(
        f"exact top-{k}     mean sim top-1 {d['truth_top1_sim_mean']}, top-{k} "
        f"{d['truth_kth_sim_mean']} (brute force {r['brute_force_seconds']} s)"
    )
    print()
    header = (
        f"{'configuration':<28}{'recall@' + str(k):>10}{'tie-tol':>9}{'min':>6}"
        f"{'<1.0':>6}{'build s':>9}{'1st q s':>9}{'p50 ms':>8}{'p95 ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for x in r["results"]:
        mark = "  <- project" if x["project_choice"] else ""
        print(
            f"{x['name']:<28}{x['recall_at_k']:>10.4f}{x['recall_tie_tolerant']:>9.4f}"
            f"{x['min_query_recall']:>6.1f}{x['queries_below_full_recall']:>6}"
            f"{x['build_seconds']:>9.1f}{x['first_query_seconds']:>9.3f}"
            f"{x['query_p50_ms']:>8.2f}{x['query_p95_ms']:>8.2f}{mark}"
        )
    print()
    for x in r["results"]:
        print(
            f"effective hnsw   {x['name']:<28} {x['effective_hnsw']}  "
            f"(count {x['count']}, max |distance - exact| {x['max_distance_error']:.1e})"
        )
    req = r["requirement"]
    verdict = "PASS" if req["pass"] else "FAIL"
    print(f"\nrequirement      {req['target']}: project {r['project_hnsw']} -> {req['project_recall']}  {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Recall@k of Chroma's HNSW index against brute force on real embeddings of "
        "generated chunks, for a small grid of HNSW settings."
    )
    parser.add_argument("--chunks", type=int, default=20000, help="chunks to index (default 20000)")
    parser.add_argument("--queries", type=int, default=200, help="queries (default 200)")
    parser.add_argument("--k", type=int, default=10, help="neighbours per query (default 10)")
    parser.add_argument("--seed", type=int, default=1234, help="RNG seed for chunks and queries")
    parser.add_argument(
        "--dtype",
        choices=("auto", "float32", "bfloat16"),
        default="auto",
        help="SentenceEmbeddings dtype (default auto: bf16 when the CPU has it)",
    )
    parser.add_argument(
        "--cache", type=Path, metavar="FILE", help="the .npy vector cache (default: one per input under the temp dir)"
    )
    parser.add_argument(
        "--add-batch", type=int, default=ADD_BATCH, help=f"vectors per collection.add call (default {ADD_BATCH})"
    )
    parser.add_argument(
        "--samples",
        type=Path,
        default=DEFAULT_SAMPLES,
        help="sample posts to draw sentences from (default: samples/archive)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the result as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temp Chroma folders")
    args = parser.parse_args(argv)
    if args.chunks <= args.k or args.queries < 1 or args.k < 1:
        parser.error("need --chunks > --k >= 1 and --queries >= 1")

    result = run(args)
    print_summary(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
