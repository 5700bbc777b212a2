"""Soak test of crash safety: kill -9 ingestion at random moments, then check the store.

What it does, on a generated archive (the generator of ``benchmarks/ingest.py``):

1. ``--rounds`` times (default 20), starts ``python -m askclinic ingest ARCHIVE --store SOAK``
   and kills it with SIGKILL after a random delay between 0.3 s and the time one full
   ingestion takes. Every second round first changes a few posts (a sentence is appended),
   so the kill also lands in re-ingestion of changed posts.
2. One last ingestion without a kill, then ``askclinic.store_check.check_store`` on the
   soaked store (vectors readable, every vector found by itself, no post with disagreeing
   chunks).
3. A clean ingestion of the final archive into a fresh store, and a comparison of the two:
   chunk ids, texts and metadata must be equal.

Prints the kills, the check's figures and the differences (the target is 0 of each), and
exits 1 if any is not 0. Run from the project root:

    python benchmarks/soak.py                 # 60 posts, 20 kills
    python benchmarks/soak.py --posts 200 --rounds 40
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from askclinic.factory import make_embeddings
from askclinic.ingestion import ingest
from askclinic.settings import Settings
from askclinic.store import Store, open_store
from askclinic.store_check import check_store
from ingest import build_vocabulary, generate_archive

ROOT = Path(__file__).resolve().parents[1]


def run_ingest(archive: Path, store: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "askclinic", "ingest", str(archive), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def contents(store: Store) -> dict[str, tuple[str, str]]:
    got = store.collection().get(include=["documents", "metadatas"])
    rows = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    return {i: (d, str(sorted((k, v) for k, v in m.items() if k != "written_at"))) for i, d, m in rows}


def change_posts(archive: Path, rng: random.Random, n: int = 3) -> None:
    for path in rng.sample(sorted(archive.glob("*.txt")), n):
        with path.open("a", encoding="utf-8") as f:
            f.write(f"\nA note added on visit {rng.randrange(10**6)}.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kill -9 ingestion at random moments, then check the store")
    parser.add_argument("--posts", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="askclinic-soak-"))
    archive, soak = work / "archive", work / "soak"
    generate_archive(archive, args.posts, build_vocabulary(ROOT / "samples" / "archive"), args.seed)

    started = time.perf_counter()
    first = run_ingest(archive, work / "timing")
    first.wait()
    full = time.perf_counter() - started
    kills: list[dict[str, Any]] = []
    for i in range(args.rounds):
        if i % 2:
            change_posts(archive, rng)
        delay = rng.uniform(0.3, 0.7 * full)  # most kills land mid-run (a full run includes model load)
        proc = run_ingest(archive, soak)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills.append({"round": i + 1, "after_s": round(delay, 2), "killed": not finished, "changed": bool(i % 2)})
    last = run_ingest(archive, soak)
    last.wait()

    embeddings = make_embeddings(Settings())
    soaked = open_store(str(soak), embeddings.model_id)
    report = check_store(soaked)
    clean = open_store(str(work / "clean"), embeddings.model_id)
    ingest([archive], clean, embeddings, count_tokens=embeddings.token_counter())
    a, b = contents(soaked), contents(clean)
    differences = len(a.keys() ^ b.keys()) + sum(a[k] != b[k] for k in a.keys() & b.keys())

    killed = sum(k["killed"] for k in kills)
    print(f"archive: {args.posts} posts; one full ingestion {full:.1f} s (model load included)")
    print(f"rounds: {args.rounds}; killed mid-run: {killed}; finished before the kill: {args.rounds - killed}")
    print(f"last ingestion exit code: {last.returncode}")
    print(
        f"check: {report.chunks} chunks, {len(report.unreadable)} unreadable, {len(report.not_found)} not found "
        f"by their vector, {len(report.incomplete)} posts with disagreeing chunks"
    )
    print(f"differences to a clean ingestion: {differences} (of {len(b)} chunks)")
    print(f"work folder: {work}")
    return 0 if report.ok and differences == 0 and last.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
