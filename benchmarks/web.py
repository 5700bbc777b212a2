"""Web chat throughput against the pipeline's own, in one run.

1. Builds a temporary store from the samples (or uses ``--store``).
2. Pipeline alone: the same questions answered one after another on one thread -> answers/s.
3. The chat app (the same pipeline, in this process, on a free port): ``--clients`` (20)
   ``gradio_client`` clients, each in its own thread, ask ``--per-client`` (10) questions over
   ``/chat`` -> answers/s, p50 and p95 of the time each client waits for an answer.
4. The same clients again, each asking one question every ``--pace`` seconds (2; patients type
   between questions) -> p50 and p95.
Reports the ratio web / pipeline (target >= 0.7) and the p95 (target <= 300 ms). Every question
is answered once before either run, so both find the sentence caches warm. Clients that ask
again the moment they get an answer cannot wait less than clients / answers-per-second (printed).

    python benchmarks/web.py
    python benchmarks/web.py --clients 20 --per-client 10 --json web.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from query import pct, questions  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="an existing store (default: a temp store built from the samples)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--pace", type=float, default=2.0, help="then each client asks every PACE s (0: skip)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    from gradio_client import Client

    from askclinic.factory import make_embeddings, make_pipeline, make_store
    from askclinic.feedback import FeedbackStore
    from askclinic.ingestion import ingest
    from askclinic.settings import Settings
    from askclinic.webapp import build_demo, launch

    work = Path(tempfile.mkdtemp(prefix="askclinic-web-"))
    try:
        location = args.store or str(work / "store")
        settings = Settings(store=location, feedback_db=str(work / "feedback.sqlite3"))
        embeddings = make_embeddings(settings)
        if not args.store:
            ingest([ROOT / "samples" / "archive"], make_store(settings, embeddings.model_id), embeddings)
        pipeline = make_pipeline(settings, embeddings)
        asked = questions(args.clients * args.per_client)
        pipeline.warm_up()
        for q in asked:
            pipeline.answer(q)  # every question once first: both runs below find warm caches

        started = time.perf_counter()
        for q in asked:
            pipeline.answer(q)
        pipeline_rate = len(asked) / (time.perf_counter() - started)

        demo = build_demo(pipeline, FeedbackStore(settings.feedback_db))
        url = launch(demo, "127.0.0.1", free_port(), pipeline)
        waits: list[float] = []

        def client(i: int, pace: float = 0.0) -> list[float]:
            chat = Client(url, verbose=False)
            out = []
            if pace:
                time.sleep(i * pace / args.clients)  # patients do not all press Enter at once
            for q in asked[i * args.per_client : (i + 1) * args.per_client]:
                t = time.perf_counter()
                chat.predict(q, api_name="/chat")
                out.append(time.perf_counter() - t)
                if pace:
                    time.sleep(max(0.0, pace - out[-1]))
            return out

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            for found in pool.map(client, range(args.clients)):
                waits.extend(found)
        web_rate = len(waits) / (time.perf_counter() - started)
        paced: list[float] = []
        if args.pace:
            with ThreadPoolExecutor(args.clients) as pool:
                for found in pool.map(lambda i: client(i, args.pace), range(args.clients)):
                    paced.extend(found)
        demo.close()
        figures = {
            "questions": len(asked),
            "clients": args.clients,
            "pipeline_answers_per_s": round(pipeline_rate, 1),
            "web_answers_per_s": round(web_rate, 1),
            "ratio_web_to_pipeline": round(web_rate / pipeline_rate, 2),
            "web_p50_ms": round(1000 * pct(waits, 0.5), 1),
            "web_p95_ms": round(1000 * pct(waits, 0.95), 1),
            # Little's law: clients that ask again at once wait at least clients / answers per second
            "closed_loop_floor_ms": round(1000 * args.clients / pipeline_rate, 1),
        }
        if paced:
            figures.update(
                pace_s=args.pace,
                paced_p50_ms=round(1000 * pct(paced, 0.5), 1),
                paced_p95_ms=round(1000 * pct(paced, 0.95), 1),
            )
        print(f"pipeline alone (1 thread): {figures['pipeline_answers_per_s']} answers/s")
        print(
            f"web chat, {args.clients} clients: {figures['web_answers_per_s']} answers/s "
            f"(ratio {figures['ratio_web_to_pipeline']}x, target >= 0.7), "
            f"p50 {figures['web_p50_ms']} ms, p95 {figures['web_p95_ms']} ms (target <= 300)"
        )
        print(f"(clients asking again at once cannot wait less than {figures['closed_loop_floor_ms']} ms each)")
        if paced:
            print(
                f"web chat, {args.clients} clients each asking every {args.pace} s: "
                f"p50 {figures['paced_p50_ms']} ms, p95 {figures['paced_p95_ms']} ms"
            )
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
