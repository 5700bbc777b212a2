"""Web chat throughput against the pipeline's own, in one run.

1. Builds a temporary store from the samples (or uses ``--store``).
2. Pipeline alone: the same questions answered one after another on one thread -> answers/s.
3. The chat app (the same pipeline, in this process, on a free port): ``--clients`` (20)
   clients, each in its own thread of a second process, ask ``--per-client`` (10) questions over
   ``/chat`` -> answers/s, p50 and p95 of the time each client waits for an answer. By default a
   client is an HTTP connection speaking Gradio's own API (``POST /gradio_api/call/chat``, then
   the event stream; one session per client, as a browser tab has): patients' browsers do not
   share the server's cores, so the load generator should take as little of them as it can.
   ``--client gradio`` uses ``gradio_client.Client`` instead (about 65 ms of CPU per answer
   on the client side, on the same two cores as the server).
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
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="an existing store (default: a temp store built from the samples)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--pace", type=float, default=2.0, help="then each client asks every PACE s (0: skip)")
    parser.add_argument("--client", choices=("http", "gradio"), default="http", help="how clients call /chat")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

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

        started, cpu = time.perf_counter(), cpu_seconds()[0]
        for q in asked:
            pipeline.answer(q)
        pipeline_rate = len(asked) / (time.perf_counter() - started)
        pipeline_cpu_ms = (cpu_seconds()[0] - cpu) * 1000 / len(asked)

        demo = build_demo(pipeline, FeedbackStore(settings.feedback_db))
        url = launch(demo, "127.0.0.1", free_port(), pipeline)

        def run_clients(pace: float) -> tuple[list[float], float]:
            """The clients run in a process of their own (not this one's interpreter lock)."""
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "_clients",
                    url,
                    str(args.clients),
                    str(args.per_client),
                    str(pace),
                    args.client,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            found = json.loads(out.stdout.strip().splitlines()[-1])
            return found["waits"], found["seconds"]

        cpu = cpu_seconds()
        waits, seconds = run_clients(0.0)
        web_rate = len(waits) / seconds
        now = cpu_seconds()
        server_cpu_ms, client_cpu_ms = ((now[i] - cpu[i]) * 1000 / len(waits) for i in (0, 1))
        paced: list[float] = run_clients(args.pace)[0] if args.pace else []
        demo.close()
        figures = {
            "questions": len(asked),
            "clients": args.clients,
            "client": args.client,
            "pipeline_answers_per_s": round(pipeline_rate, 1),
            "web_answers_per_s": round(web_rate, 1),
            "ratio_web_to_pipeline": round(web_rate / pipeline_rate, 2),
            "web_p50_ms": round(1000 * pct(waits, 0.5), 1),
            "web_p95_ms": round(1000 * pct(waits, 0.95), 1),
            # Little's law: clients that ask again at once wait at least clients / answers per second
            "closed_loop_floor_ms": round(1000 * args.clients / pipeline_rate, 1),
            # where the two cores went, per answer: this process (server + pipeline), the clients'
            "server_cpu_ms_per_answer": round(server_cpu_ms, 1),
            "client_cpu_ms_per_answer": round(client_cpu_ms, 1),
            "pipeline_cpu_ms_per_answer": round(pipeline_cpu_ms, 1),
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
        print(
            f"CPU per answer: pipeline alone {figures['pipeline_cpu_ms_per_answer']} ms; in the web run, "
            f"server {figures['server_cpu_ms_per_answer']} ms, clients {figures['client_cpu_ms_per_answer']} ms"
        )
        if paced:
            print(
                f"web chat, {args.clients} clients each asking every {args.pace} s: "
                f"p50 {figures['paced_p50_ms']} ms, p95 {figures['paced_p95_ms']} ms"
            )
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def http_asker(url: str, session: str) -> Callable[[str], str]:
    """One client as a browser tab calls /chat: its own connection and session, Gradio's HTTP API."""
    import httpx

    connection = httpx.Client(base_url=url, timeout=60)

    def ask(question: str) -> str:
        event = connection.post("/gradio_api/call/chat", json={"data": [question], "session_hash": session})
        event.raise_for_status()
        stream = connection.get(f"/gradio_api/call/chat/{event.json()['event_id']}")
        stream.raise_for_status()
        if "event: complete" not in stream.text:
            raise RuntimeError(f"/chat did not complete: {stream.text[:200]}")
        return stream.text

    return ask


def gradio_asker(url: str) -> Callable[[str], str]:
    from gradio_client import Client

    chat = Client(url, verbose=False)
    return lambda question: str(chat.predict(question, api_name="/chat"))


def clients(url: str, n: int, per_client: int, pace: float, kind: str) -> None:
    """Child process: ``n`` clients in threads, ``per_client`` questions each."""
    asked = questions(n * per_client)

    def client(i: int) -> list[float]:
        ask = http_asker(url, f"bench-{os.getpid()}-{i}") if kind == "http" else gradio_asker(url)
        out = []
        if pace:
            time.sleep(i * pace / n)  # patients do not all press Enter at once
        for q in asked[i * per_client : (i + 1) * per_client]:
            t = time.perf_counter()
            ask(q)
            out.append(time.perf_counter() - t)
            if pace:
                time.sleep(max(0.0, pace - out[-1]))
        return out

    waits: list[float] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        for found in pool.map(client, range(n)):
            waits.extend(found)
    print(json.dumps({"waits": waits, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_clients":
        clients(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        main()
