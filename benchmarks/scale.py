"""Scale: start-up, memory and latency of the chat app on archives of 1k, 10k and 100k chunks.

For each size, in fresh processes (the numbers are each process's own):

1. **Archive**: the sample posts (real text, embedded with the real model) plus generated
   filler posts (``benchmarks/ingest.py``'s generator: realistic sentences from the samples)
   up to the size. The filler gets **random unit vectors** instead of model embeddings (embedding
   100k chunks would take hours on a laptop CPU); its text, chunking, word index and BM25 are
   real. The ingesting process still loads the real model, as a real ingestion does.
2. **Ingest** (a child process): peak RSS and seconds of ingesting the filler into a new
   folder store (``ru_maxrss``), then the samples with the real model.
3. **App** (a child process, the web chat as ``askclinic serve`` builds it, on a free port):
   seconds from process start to its first answer, RSS after answering, and ask p50/p95 over
   ``--questions`` questions answered one after another in the process.
4. **A changed post**: one sample post's figure is edited and ingested again (``askclinic
   ingest``, another process) while the app keeps answering (about 10 questions a second); how
   long after that ingestion ends the app answers with the new figure, and the slowest answer
   meanwhile.

    python benchmarks/scale.py                          # 1k, 10k, 100k chunks (about 15 minutes)
    python benchmarks/scale.py --sizes 1000,10000 --json scale.json
    python benchmarks/scale.py --chroma-server          # the store is a local `chroma run`

With ``--chroma-server`` the store is a Chroma server started for each size (``chroma run`` on a
free port), as replicas share one: Chroma's vector index then lives in the server's memory, not in
the ingesting process's or the app's, and the server's own peak RSS is reported beside theirs.
Ingestion publishes the word index to a snapshot file (``ASKCLINIC_WORD_INDEX_SNAPSHOT``) that the
new app starts from; ``--no-snapshot`` measures an app that reads every chunk from the server.

Targets (at 100k chunks): first answer <= 15 s, app RSS <= 1.5 GB, ask p95 <= 80 ms, the changed
post answered within 10 s with no answer slower than 1 s meanwhile; ingest peak RSS within 15%
from 1k to 100k chunks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from query import pct  # noqa: E402
from web import free_port  # noqa: E402

CHUNKS_PER_POST = 9  # what the generator's posts average
CHANGED_POST = "003_thread-lift-aftercare.txt"
OLD_FIGURE, NEW_FIGURE = "7 to 10 days", "9 to 12 days"
CHANGE_QUESTION = "How long does swelling last after a thread lift?"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


# -- child: ingestion --------------------------------------------------------------------------


class RandomEmbeddings:
    """Unit vectors seeded by each text's hash, under the real model's id (same collection)."""

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype("float32")
            out.append((v / np.linalg.norm(v)).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def child_ingest(filler: str, samples: str, store: str) -> None:
    from askclinic.embeddings import SentenceEmbeddings
    from askclinic.factory import word_index_snapshot
    from askclinic.ingestion import ingest
    from askclinic.settings import Settings
    from askclinic.store import open_store

    real = SentenceEmbeddings().load()
    dim = len(real.embed_query("dimension"))
    target = open_store(store, real.model_id, write=True)
    snapshot = word_index_snapshot(Settings(store=store))
    started = time.perf_counter()
    report = ingest(
        [Path(filler)],
        target,
        RandomEmbeddings(real.model_id, dim),  # type: ignore[arg-type]
        count_tokens=real.token_counter(),
        word_index_snapshot=snapshot,
    )
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    ingest([Path(samples)], target, real, count_tokens=real.token_counter(), word_index_snapshot=snapshot)
    emit(
        {
            "ingest_seconds": round(seconds, 1),
            "ingest_peak_rss_mb": round(peak, 1),
            "chunks": target.count(),
            "filler_chunks": report.chunks_embedded,
        }
    )


# -- child: the app ------------------------------------------------------------------------------


def child_app(store: str, n_questions: int, feedback: str) -> None:
    started = float(os.environ["SCALE_STARTED"])
    from askclinic.factory import make_embeddings, make_pipeline
    from askclinic.feedback import FeedbackStore
    from askclinic.settings import Settings
    from askclinic.webapp import build_demo, launch

    settings = Settings(store=store, feedback_db=feedback)
    pipeline = make_pipeline(settings, make_embeddings(settings))
    first = pipeline.answer(CHANGE_QUESTION)
    first_at = time.time()
    demo = build_demo(pipeline, FeedbackStore(feedback))
    launch(demo, "127.0.0.1", None, pipeline)
    from query import questions

    asked = questions(n_questions)
    passes = []
    for _ in range(2):  # first sight of each question (cold sentence caches), then again
        latencies = []
        for q in asked:
            t = time.perf_counter()
            pipeline.answer(q)
            latencies.append((time.perf_counter() - t) * 1000)
        passes.append(latencies)
    cold, warm = passes
    emit(
        {
            "first_answer_s": round(first_at - started, 2),
            "first_status": str(first.status),
            "rss_mb": round(current_rss_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "ask_p50_ms": round(pct(warm, 0.5), 1),
            "ask_p95_ms": round(pct(warm, 0.95), 1),
            "cold_p50_ms": round(pct(cold, 0.5), 1),
            "cold_p95_ms": round(pct(cold, 0.95), 1),
            "word_index_chunks": pipeline.search.indexed_chunks,
        }
    )

    # The change phase: answer steadily until the new figure shows, recording every latency.
    stop = threading.Event()
    log: list[tuple[float, float, bool]] = []

    def keep_asking() -> None:
        i = 0
        while not stop.is_set():
            q = CHANGE_QUESTION if i % 2 == 0 else asked[i % len(asked)]
            t = time.perf_counter()
            answer = pipeline.answer(q)
            new = q == CHANGE_QUESTION and NEW_FIGURE in answer.answer
            log.append((time.time(), (time.perf_counter() - t) * 1000, new))
            i += 1
            time.sleep(0.1)

    thread = threading.Thread(target=keep_asking, daemon=True)
    thread.start()
    emit({"asking": True})
    command = sys.stdin.readline().strip()  # the parent says when its ingestion is done
    ingest_started, ingest_done = (float(x) for x in command.split())
    deadline = time.time() + 60
    while time.time() < deadline and not any(new for _, _, new in log):
        time.sleep(0.05)
    stop.set()
    thread.join()
    seen = [at for at, _, new in log if new]
    window = [ms for at, ms, _ in log if at >= ingest_started and (not seen or at <= seen[0])]
    emit(
        {
            "changed_answerable_s": round(max(0.0, seen[0] - ingest_done), 2) if seen else None,
            "changed_after_ingest_start_s": round(seen[0] - ingest_started, 2) if seen else None,
            "worst_ms_during_change": round(max(window), 1) if window else None,
            "answers_during_change": len(window),
        }
    )
    demo.close()


# -- parent ----------------------------------------------------------------------------------------


def read_json(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"the child process ended early (exit {proc.wait()})")
        if line.startswith("{"):
            return dict(json.loads(line))


def peak_rss_of(pid: int) -> float:
    """Peak RSS (VmHWM) of a running process, in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_chroma(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``chroma run`` on a free port, once its heartbeat answers."""
    import urllib.request

    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("chroma run exited before it served") from None
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("chroma run did not answer its heartbeat within 30 s")


def run_size(size: int, work: Path, n_questions: int, server: bool = False, snapshot: bool = True) -> dict[str, Any]:
    chroma, store = start_chroma(work / "chroma") if server else (None, str(work / "store"))
    os.environ["ASKCLINIC_CACHE_DIR"] = str(work / "app-cache")  # a new app keeps no earlier copy
    os.environ.pop("ASKCLINIC_WORD_INDEX_SNAPSHOT", None)
    if server and snapshot:
        os.environ["ASKCLINIC_WORD_INDEX_SNAPSHOT"] = str(work / "shared" / "word-index.sqlite3")
    try:
        result = measure_size(size, work, n_questions, store)
        if chroma is not None:
            result["server_peak_rss_mb"] = round(peak_rss_of(chroma.pid), 1)
        return result
    finally:
        if chroma is not None:
            chroma.terminate()
            chroma.wait(30)


def measure_size(size: int, work: Path, n_questions: int, store: str) -> dict[str, Any]:
    from ingest import build_vocabulary, generate_archive

    samples = work / "samples"
    shutil.copytree(ROOT / "samples" / "archive", samples)
    n_posts = max(1, round((size - 70) / CHUNKS_PER_POST))
    generate_archive(work / "filler", n_posts, build_vocabulary(ROOT / "samples" / "archive"), seed=size)
    me = [sys.executable, str(Path(__file__).resolve())]
    out = subprocess.run(
        [*me, "_ingest", str(work / "filler"), str(samples), store], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = {"size": size, **json.loads(out.stdout.strip().splitlines()[-1])}

    env = {**os.environ, "SCALE_STARTED": repr(time.time())}
    app = subprocess.Popen(
        [*me, "_app", store, str(n_questions), str(work / "feedback.sqlite3")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        result.update(read_json(app))
        read_json(app)  # it is asking steadily now
        post = samples / CHANGED_POST
        post.write_text(post.read_text(encoding="utf-8").replace(OLD_FIGURE, NEW_FIGURE), encoding="utf-8")
        ingest_started = time.time()
        subprocess.run(
            [sys.executable, "-m", "askclinic", "ingest", str(samples), "--store", store],
            capture_output=True,
            check=True,
        )
        ingest_done = time.time()
        result["change_ingest_s"] = round(ingest_done - ingest_started, 1)
        assert app.stdin is not None
        app.stdin.write(f"{ingest_started} {ingest_done}\n")
        app.stdin.flush()
        result.update(read_json(app))
    finally:
        app.terminate()
        app.wait(30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="archive sizes in chunks, comma-separated")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--chroma-server", action="store_true", help="the store is a local `chroma run`")
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="with --chroma-server: no word-index snapshot; the app reads every chunk from the server at start",
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    print(
        "filler chunks carry random unit vectors (not model embeddings); their text, word index "
        "and BM25 are real. The sample posts are embedded with the real model.",
        flush=True,
    )
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix="askclinic-scale-"))
        try:
            results.append(run_size(size, work, args.questions, args.chroma_server, not args.no_snapshot))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(results[-1]), flush=True)
    base = results[0]["ingest_peak_rss_mb"]
    for r in results:
        r["ingest_peak_rss_ratio"] = round(r["ingest_peak_rss_mb"] / base, 2)
    print(
        "p50/p95: each question's second time (sentence caches warm), cold: its first time; change s:"
        " from the end of the change's ingestion (0: answered before that process exited)"
    )
    print(
        f"{'chunks':>8} {'ingest RSS MB':>13} {'ratio':>6} {'1st answer s':>12} {'app RSS MB':>10} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'cold p95':>8} {'change s':>8} {'worst ms':>8}"
    )
    for r in results:
        print(
            f"{r['chunks']:>8} {r['ingest_peak_rss_mb']:>13} {r['ingest_peak_rss_ratio']:>6} "
            f"{r['first_answer_s']:>12} {r['rss_mb']:>10} {r['ask_p50_ms']:>7} {r['ask_p95_ms']:>7} "
            f"{r['cold_p95_ms']:>8} "
            f"{r['changed_answerable_s']!s:>8} {r['worst_ms_during_change']!s:>8}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_ingest":
        child_ingest(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "_app":
        child_app(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
