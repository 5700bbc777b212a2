"""Ingestion benchmark: embedding throughput, end-to-end ingestion, no-op re-ingest, memory.

What it measures, in one process and on the same chunks:

1. Generates an archive of N posts (``--posts``, default 1000) in the archive's own format
   (the shape of ``samples/archive/*.txt``) into a temporary folder. Titles, section headings,
   sentences and statistic lines are drawn by a seeded RNG from a vocabulary built from the
   sample posts' sentences (numbers are re-rolled, sentences are broken over lines as the
   translated blog pages do), so chunks are realistic, full (~150-word / ~200 word-piece)
   chunks and every post has different bytes.
2. Raw embedding throughput: every post is parsed and chunked first (not timed), then
   ``SentenceEmbeddings().embed_documents`` is timed over all chunk texts in batches of 128.
   This runs once before and once after the end-to-end run (the machine is noisy); the
   baseline is their mean.
3. End-to-end ``askclinic.ingestion.ingest([archive], store, embeddings,
   count_tokens=embeddings.token_counter())`` into a fresh embedded Chroma store in the temp
   folder: chunks/s = ``report.chunks_embedded / report.seconds`` and the ratio e2e / raw
   baseline (target >= 0.85).
4. A no-op re-ingest of the same archive into the same store (target < 5 s).
5. Peak RSS (``resource.getrusage(...).ru_maxrss``; current RSS from psutil when installed).

Run from the project root with the project's environment, e.g.::

    HF_HUB_OFFLINE=1 python benchmarks/ingest.py                 # 1000 posts
    HF_HUB_OFFLINE=1 python benchmarks/ingest.py --posts 200     # a quick run
    HF_HUB_OFFLINE=1 python benchmarks/ingest.py --json ingest.json

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
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from askclinic.chunking import chunk_post
from askclinic.embeddings import SentenceEmbeddings
from askclinic.ingestion import ingest
from askclinic.reader import read_post
from askclinic.store import open_store
from askclinic.text import STAT_LINE

DEFAULT_SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "archive"
RAW_BATCH = 128
E2E_TARGET = 0.85
NOOP_TARGET_S = 5.0

# ---------------------------------------------------------------------------------------
# Vocabulary and archive generation
# ---------------------------------------------------------------------------------------

_END = re.compile(r"""[.!?…”"')\]]$|\^\^$""")
_NUMBER = re.compile(r"\d+")
_CLINICS = (
    "Gangnam",
    "Sinsa",
    "Apgujeong",
    "Myeongdong",
    "Hongdae",
    "Jamsil",
    "Seocho",
    "Yeouido",
    "Mokdong",
    "Bundang",
    "Ilsan",
    "Suwon",
    "Busan Seomyeon",
    "Daegu",
)
_BLOGS = ("Skin Diary :)", "Beauty Notes", "Blog", "Official Blog", "Skin Story^^", "Journal")
_TITLE_VARIANTS = (
    "",
    "",
    "— a patient's guide",
    "(updated)",
    "— what our patients ask",
    "Q&A",
    "— part {n}",
    "in {year}",
    "— the director explains",
    "— before you book",
    "(FAQ {n})",
)


@dataclass
class Vocabulary:
    titles: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)  # sentences ending in punctuation
    items: list[str] = field(default_factory=list)  # list items (no closing punctuation)
    stats: list[str] = field(default_factory=list)  # "Label: 38%" statistic lines

    def summary(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.__dict__.items()}


def build_vocabulary(samples: Path) -> Vocabulary:
    """Sentences, headings and titles of every sample post the reader can parse."""
    vocab = Vocabulary()
    files = sorted(p for p in samples.iterdir() if p.is_file())
    for path in files:
        post = read_post(path, samples)
        vocab.titles.append(post.title)
        for section in post.sections:
            if section.heading != "Introduction" and section.heading not in vocab.headings:
                vocab.headings.append(section.heading)
            for sentence in section.sentences:
                if STAT_LINE.match(sentence):
                    vocab.stats.append(sentence)
                elif _END.search(sentence):
                    vocab.prose.append(sentence)
                elif sentence[:1].isupper():
                    vocab.items.append(sentence)
                else:
                    vocab.prose.append(sentence + ".")
    if not vocab.prose or not vocab.headings:
        raise SystemExit(f"no usable sample posts under {samples}")
    return vocab


def _reroll_numbers(text: str, rng: random.Random) -> str:
    """Scale every number in the text by one random factor (keeps '3 to 5' ordered)."""
    factor = rng.uniform(0.5, 1.8)
    return _NUMBER.sub(lambda m: str(max(1, round(int(m.group()) * factor))), text)


def _fragments(sentence: str, rng: random.Random) -> list[str]:
    """Break a sentence over lines at commas and sometimes mid-phrase, like the blog pages."""
    parts = [p for p in re.split(r"(?<=,) ", sentence) if p]
    out: list[str] = []
    for part in parts:
        words = part.split()
        if len(words) > 9 and rng.random() < 0.5 and not re.search(r"[:—–]", part):
            cut = rng.randint(4, len(words) - 4)
            out += [" ".join(words[:cut]), " ".join(words[cut:])]
        else:
            out.append(part)
    return out


def _date_text(d: date) -> str:
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def generate_post(index: int, vocab: Vocabulary, rng: random.Random) -> tuple[str, str]:
    """(file stem, text) of one archive-format post."""
    base = rng.choice(vocab.titles).rstrip(".")
    variant = rng.choice(_TITLE_VARIANTS).format(n=rng.randint(2, 9), year=rng.randint(2019, 2026))
    title = f"{base} {variant}".strip()
    clinic = f"Sample Clinic {rng.choice(_CLINICS)}"
    published = date(2019, 1, 1) + timedelta(days=rng.randint(0, 2400))
    translated = date(2026, 1, 1) + timedelta(days=rng.randint(0, 150))
    hour, minute = rng.randint(1, 12), rng.randint(0, 59)
    headings = rng.sample(vocab.headings, k=min(len(vocab.headings), rng.randint(3, 5)))
    prose = lambda: _reroll_numbers(rng.choice(vocab.prose), rng)  # noqa: E731

    lines: list[str] = [
        "AI-translated archive post",
        "",
        title,
        "",
        f"{clinic} · {clinic} {rng.choice(_BLOGS)} · {_date_text(published)}",
        "",
        f"{title} {prose()}...",
        "",
        "AI translation notice",
        "",
        "This sample page imitates a machine translation of a Korean clinic blog entry. "
        "It was written for demonstration and has no Korean original.",
        "",
        f"Clinic: {clinic}",
        "",
        f"Original post date: {_date_text(published)}",
        "",
        f"Translated at: {_date_text(translated)} at {hour}:{minute:02d} {rng.choice(('AM', 'PM'))}",
        "",
        "Medical note: Sample content for demonstration only; not for treatment decisions.",
        "",
    ]

    def prose_block(n: int) -> None:
        for _ in range(n):
            for fragment in _fragments(prose(), rng):
                lines.extend([fragment, ""])

    prose_block(rng.randint(3, 7))
    lines += ["Table of Contents", " ".join(f"{i}. {h}" for i, h in enumerate(headings, 1)), ""]
    image = 0
    for number, heading in enumerate(headings, 1):
        image += 1
        lines += [f"  {number}. {heading}", "", f"{title} image {image}", ""]
        n = rng.randint(6, 16)
        where = sorted(rng.sample(range(n + 1), k=2))
        for i in range(n + 1):
            if i == where[0] and vocab.stats and rng.random() < 0.6:
                prose_block(1)  # the sentence introducing the figures
                picks = rng.sample(vocab.stats, k=min(len(vocab.stats), rng.randint(3, 6)))
                lines += [_reroll_numbers(s, rng) for s in picks] + [""]
            if i == where[1] and vocab.items and rng.random() < 0.5:
                picks = rng.sample(vocab.items, k=min(len(vocab.items), rng.randint(3, 5)))
                lines += [_reroll_numbers(s, rng) for s in picks] + [""]
            if i < n:
                prose_block(1)
    image += 1
    lines += [
        "< Directions >",
        "",
        f"{title} image {image}",
        "",
        "Continue browsing",
        "",
        "More sample posts",
        "",
        "This footer stands in for the archive's navigation links.",
        "",
    ]
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:40]
    return f"{index:05d}_{slug}", "\n".join(lines)


def generate_archive(folder: Path, n_posts: int, vocab: Vocabulary, seed: int) -> int:
    """Write n_posts posts with distinct bytes; returns the total size in bytes."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    seen: set[str] = set()
    total = 0
    for i in range(n_posts):
        while True:
            stem, text = generate_post(i, vocab, rng)
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest not in seen:
                seen.add(digest)
                break
        data = text.encode("utf-8")
        (folder / f"{stem}.txt").write_bytes(data)
        total += len(data)
    return total


# ---------------------------------------------------------------------------------------
# Measurement helpers
# ---------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process().memory_info().rss / (1024 * 1024)


def memory_point(label: str, memory: list[dict[str, Any]]) -> None:
    memory.append(
        {
            "after": label,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "rss_mb": None if (r := current_rss_mb()) is None else round(r, 1),
        }
    )


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (torch and Chroma's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def raw_embed(embeddings: SentenceEmbeddings, texts: list[str], batch: int) -> dict[str, Any]:
    cpu0, started = cpu_seconds(), time.perf_counter()
    n = 0
    for i in range(0, len(texts), batch):
        n += len(embeddings.embed_documents(texts[i : i + batch]))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu0
    return {
        "chunks": n,
        "seconds": round(seconds, 3),
        "chunks_per_s": round(n / seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "chunks_per_cpu_s": round(n / cpu, 2),
        "load_avg_1m_after": load_average(),
    }


def _timed(fn, spent: dict[str, float], key: str):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - started

    return wrapper


def say(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    import chromadb
    import torch

    vocab = build_vocabulary(args.samples)
    workdir = Path(tempfile.mkdtemp(prefix="askclinic-ingest-bench-"))
    archive = workdir / "archive"
    memory: list[dict[str, Any]] = []
    result: dict[str, Any] = {
        "benchmark": "ingest",
        "config": {
            "posts": args.posts,
            "seed": args.seed,
            "raw_batch": args.batch,
            "dtype_requested": args.dtype,
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
        "vocabulary": vocab.summary(),
    }
    try:
        say(f"generating {args.posts} posts in {archive} ...")
        t0 = time.perf_counter()
        size = generate_archive(archive, args.posts, vocab, args.seed)
        result["archive"] = {"posts": args.posts, "bytes": size, "generate_seconds": round(time.perf_counter() - t0, 2)}

        say("loading the embedding model ...")
        t0 = time.perf_counter()
        embeddings = SentenceEmbeddings(dtype=args.dtype).load()
        count_tokens = embeddings.token_counter()
        embeddings.embed_documents(["warm-up sentence about jaw botox aftercare."] * 8)
        load_s = time.perf_counter() - t0
        result["model"] = {
            "model_id": embeddings.model_id,
            "dtype": embeddings.dtype,
            "load_and_warmup_seconds": round(load_s, 2),
        }
        memory_point("model load", memory)

        say("parsing and chunking (not timed as embedding) ...")
        t0 = time.perf_counter()
        chunks = []
        files = sorted(archive.glob("*.txt"))
        for path in files:
            chunks.extend(chunk_post(read_post(path, archive), count_tokens))
        texts = [c.text for c in chunks]
        chunk_s = time.perf_counter() - t0
        words = [len(t.split()) for t in texts]
        body_words = [len(c.body.split()) for c in chunks]
        pieces = [count_tokens(t) for t in texts]
        result["chunks"] = {
            "total": len(texts),
            "per_post": round(len(texts) / len(files), 2),
            "words_mean": round(mean(words), 1),
            "words_min": min(words),
            "words_max": max(words),
            "body_words_mean": round(mean(body_words), 1),
            "word_pieces_mean": round(mean(pieces), 1),
            "word_pieces_max": max(pieces),
            "share_over_120_words": round(sum(w > 120 for w in words) / len(words), 3),
            "parse_chunk_seconds": round(chunk_s, 2),
        }
        memory_point("parse+chunk", memory)

        say(f"raw embedding #1: {len(texts)} chunks in batches of {args.batch} ...")
        raw1 = raw_embed(embeddings, texts, args.batch)
        say(f"  {raw1['chunks_per_s']:.1f} chunks/s")
        memory_point("raw #1", memory)

        say("end-to-end ingest into a fresh store ...")
        store = open_store(str(workdir / "store"), embeddings.model_id)
        # Instance-level timers (removed right after) split e2e time into embedding calls,
        # Chroma writes and everything else (discovery, hashing, parsing, tokenizing).
        spent = {"embed": 0.0, "write": 0.0}
        writer = next(n for n in ("write_posts", "write_post") if hasattr(store, n))
        embeddings.embed_documents = _timed(embeddings.embed_documents, spent, "embed")  # type: ignore[method-assign]
        setattr(store, writer, _timed(getattr(store, writer), spent, "write"))
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        try:
            report = ingest([archive], store, embeddings, count_tokens=count_tokens)
        finally:
            del embeddings.embed_documents
            delattr(store, writer)
        wall = time.perf_counter() - t0
        e2e_cpu = cpu_seconds() - cpu0
        stored = store.count()
        e2e = {
            "seconds": round(report.seconds, 3),
            "wall_seconds": round(wall, 3),
            "chunks_embedded": report.chunks_embedded,
            "chunks_per_s": round(report.chunks_embedded / report.seconds, 2),
            "cpu_seconds": round(e2e_cpu, 2),
            "chunks_per_cpu_s": round(report.chunks_embedded / e2e_cpu, 2),
            "load_avg_1m_after": load_average(),
            "embed_seconds": round(spent["embed"], 2),
            "embed_chunks_per_s": round(report.chunks_embedded / spent["embed"], 2),
            "store_write_seconds": round(spent["write"], 2),
            "other_seconds": round(report.seconds - spent["embed"] - spent["write"], 2),
            # e2e / raw if embedding inside ingest ran at the raw speed: robust to noise
            # between phases, since both terms are measured within the same run
            "embed_share": round(spent["embed"] / report.seconds, 3),
            "counts": report.counts(),
            "failed": report.failed[:5],
            "stored_chunks": stored,
        }
        say(f"  {e2e['chunks_per_s']:.1f} chunks/s")
        memory_point("e2e ingest", memory)

        say("raw embedding #2 ...")
        raw2 = raw_embed(embeddings, texts, args.batch)
        say(f"  {raw2['chunks_per_s']:.1f} chunks/s")
        memory_point("raw #2", memory)

        say("no-op re-ingest of the same archive ...")
        store2 = open_store(str(workdir / "store"), embeddings.model_id)
        t0 = time.perf_counter()
        noop_report = ingest([archive], store2, embeddings, count_tokens=count_tokens)
        noop_wall = time.perf_counter() - t0
        noop: dict[str, Any] = {
            "seconds": round(noop_report.seconds, 3),
            "wall_seconds": round(noop_wall, 3),
            "chunks_embedded": noop_report.chunks_embedded,
            "counts": noop_report.counts(),
        }
        memory_point("no-op re-ingest", memory)

        baseline = (raw1["chunks_per_s"] + raw2["chunks_per_s"]) / 2
        ratio = e2e["chunks_per_s"] / baseline
        cpu_baseline = (raw1["chunks_per_cpu_s"] + raw2["chunks_per_cpu_s"]) / 2
        checks = {
            "e2e_chunks_match_raw": report.chunks_embedded == len(texts),
            "stored_chunks_match_raw": stored == len(texts),
            "all_posts_new": report.counts()["new"] == len(files) and not report.failed,
            "noop_embedded_nothing": noop_report.chunks_embedded == 0,
            "noop_all_unchanged": noop_report.counts()["unchanged"] == len(files),
        }
        result.update(
            {
                "raw_before": raw1,
                "raw_after": raw2,
                "raw_baseline_chunks_per_s": round(baseline, 2),
                "raw_spread": round(abs(raw1["chunks_per_s"] - raw2["chunks_per_s"]) / baseline, 3),
                "e2e": e2e,
                "e2e_over_raw": round(ratio, 3),
                "noop_reingest": noop,
                # The same ratio in chunks per CPU-second: less sensitive to other processes
                # taking cores away, more sensitive to extra threads doing work.
                "raw_baseline_chunks_per_cpu_s": round(cpu_baseline, 2),
                "e2e_over_raw_cpu": round(e2e["chunks_per_cpu_s"] / cpu_baseline, 3),
                "memory": memory,
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "targets": {
                    "e2e_over_raw": {
                        "target": f">= {E2E_TARGET}",
                        "value": round(ratio, 3),
                        "pass": ratio >= E2E_TARGET,
                    },
                    "noop_reingest_seconds": {
                        "target": f"< {NOOP_TARGET_S}",
                        "value": noop["seconds"],
                        "pass": noop["seconds"] < NOOP_TARGET_S,
                    },
                },
                "checks": checks,
            }
        )
        return result
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def print_summary(r: dict) -> None:
    env, ch, e2e, noop = r["environment"], r["chunks"], r["e2e"], r["noop_reingest"]
    t = r["targets"]
    ok = lambda b: "PASS" if b else "FAIL"  # noqa: E731
    print()
    print("=== askclinic ingestion benchmark ===")
    print(
        f"posts            {r['archive']['posts']}  ({r['archive']['bytes'] / 1e6:.1f} MB, seed {r['config']['seed']})"
    )
    print(
        f"model            {r['model']['model_id']}  dtype={r['model']['dtype']}  "
        f"torch threads={env['torch_threads']}  cpus={env['cpu_count']}"
    )
    print(
        f"chunks           {ch['total']}  ({ch['per_post']}/post; words mean {ch['words_mean']}, "
        f"min {ch['words_min']}, max {ch['words_max']}; word pieces mean "
        f"{ch['word_pieces_mean']}, max {ch['word_pieces_max']})"
    )
    print(
        f"raw embedding    before {r['raw_before']['chunks_per_s']:.1f} chunks/s "
        f"({r['raw_before']['seconds']:.1f} s), after {r['raw_after']['chunks_per_s']:.1f} "
        f"chunks/s ({r['raw_after']['seconds']:.1f} s)"
    )
    print(
        f"raw baseline     {r['raw_baseline_chunks_per_s']:.1f} chunks/s (mean; before/after "
        f"differ by {r['raw_spread'] * 100:.1f}%)"
    )
    print(
        f"end-to-end       {e2e['chunks_per_s']:.1f} chunks/s  ({e2e['chunks_embedded']} chunks "
        f"in {e2e['seconds']:.1f} s; stored {e2e['stored_chunks']})"
    )
    print(
        f"  of which       embed_documents {e2e['embed_seconds']:.1f} s "
        f"({e2e['embed_chunks_per_s']:.1f} chunks/s), Chroma writes "
        f"{e2e['store_write_seconds']:.1f} s, other {e2e['other_seconds']:.1f} s "
        f"-> embedding share {e2e['embed_share']:.3f} (= e2e / raw if embedding ran at raw speed)"
    )
    print(
        f"e2e / raw        {r['e2e_over_raw']:.3f}   target {t['e2e_over_raw']['target']}  "
        f"{ok(t['e2e_over_raw']['pass'])}"
    )
    print(
        f"per CPU-second   raw {r['raw_before']['chunks_per_cpu_s']:.1f} / "
        f"{r['raw_after']['chunks_per_cpu_s']:.1f}, e2e {e2e['chunks_per_cpu_s']:.1f} "
        f"chunks/cpu-s -> e2e / raw {r['e2e_over_raw_cpu']:.3f} (contention-robust view)"
    )
    loads = [r["raw_before"]["load_avg_1m_after"], e2e["load_avg_1m_after"], r["raw_after"]["load_avg_1m_after"]]
    print(
        f"load avg (1 min) after raw #1 / e2e / raw #2: {loads}  (>{env['cpu_count']} means "
        "other processes competed for the cores)"
    )
    print(
        f"no-op re-ingest  {noop['seconds']:.2f} s  (embedded {noop['chunks_embedded']}, "
        f"{noop['counts']})   target {t['noop_reingest_seconds']['target']} s  "
        f"{ok(t['noop_reingest_seconds']['pass'])}"
    )
    print(f"peak RSS         {r['peak_rss_mb']:.0f} MB (ru_maxrss)")
    for m in r["memory"]:
        rss = f", current {m['rss_mb']:.0f} MB" if m["rss_mb"] is not None else ""
        print(f"  after {m['after']:<16} peak {m['peak_rss_mb']:.0f} MB{rss}")
    bad = [k for k, v in r["checks"].items() if not v]
    print(f"sanity checks    {'all passed' if not bad else 'FAILED: ' + ', '.join(bad)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark askclinic ingestion: raw embedding throughput vs end-to-end "
        "ingest, no-op re-ingest time and peak memory, on a generated archive."
    )
    parser.add_argument("--posts", type=int, default=1000, help="posts to generate (default 1000)")
    parser.add_argument("--seed", type=int, default=1234, help="RNG seed for the archive")
    parser.add_argument(
        "--batch",
        type=int,
        default=RAW_BATCH,
        help=f"chunks per embed_documents call in the raw runs (default {RAW_BATCH})",
    )
    parser.add_argument(
        "--dtype",
        choices=("auto", "float32", "bfloat16"),
        default="auto",
        help="SentenceEmbeddings dtype (default auto: bf16 when the CPU has it)",
    )
    parser.add_argument(
        "--samples",
        type=Path,
        default=DEFAULT_SAMPLES,
        help="sample posts to build the vocabulary from (default: samples/archive)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the result as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temp archive and store")
    args = parser.parse_args(argv)
    if args.posts < 1:
        parser.error("--posts must be at least 1")

    result = run(args)
    print_summary(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
