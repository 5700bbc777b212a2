"""Replicas: two chat apps and one ingestion on one Chroma server, all at once.

Each process is what an operator runs (``askclinic serve`` twice, ``askclinic ingest``), on its
own port, against one ``chroma run``. Patients keep chatting with both apps while the new post
is ingested: no request may fail, and both apps must answer from the new post within 10 s of
the ingestion finishing.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from conftest import SAMPLES, free_port

pytestmark = [pytest.mark.slow, pytest.mark.server]

ASKCLINIC = str(Path(sys.executable).with_name("askclinic"))
NEW_POST = """AI-translated archive post

How often should microneedling sessions be repeated?

Replica Test Clinic · Replica Test Clinic Journal · March 3, 2026

AI translation notice

This page imitates a machine translation of a Korean clinic blog entry, written for testing.

Clinic: Replica Test Clinic

Original post date: March 3, 2026

How far apart are the sessions?

Microneedling sessions are spaced 4 to 6 weeks apart so the skin can rebuild collagen between them.

Most patients need 3 sessions before the texture changes.
"""
NEW_QUESTION = "how far apart are microneedling sessions?"
NEW_FIGURE = "4 to 6 weeks apart"
CHATTER = [
    "How long does swelling last after a thread lift?",
    "how many laser toning sessions for melasma",
    "does hifu hurt?",
    "how long does lip filler last",
]
VISIBLE_WITHIN = 10.0  # seconds after the ingestion finished


def _env(tmp: Path, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKCLINIC_")}
    env.update(
        ASKCLINIC_FEEDBACK_DB=str(tmp / f"{name}-feedback.sqlite3"),
        ASKCLINIC_CACHE_DIR=str(tmp / f"{name}-cache"),  # each replica keeps its own word index
        ASKCLINIC_WORD_INDEX_SNAPSHOT=str(tmp / "shared" / "word-index.sqlite3"),  # started from this copy
        HF_HUB_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
    )
    return env


def _ingest(folder: Path, store: str, tmp: Path) -> None:
    result = subprocess.run(
        [ASKCLINIC, "ingest", str(folder), "--store", store],
        env=_env(tmp, "ingest"),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@contextmanager
def _app(store: str, tmp: Path, name: str) -> Iterator[str]:
    port = free_port()
    log = (tmp / f"{name}.log").open("w")
    proc = subprocess.Popen(
        [ASKCLINIC, "serve", "--store", store, "--host", "127.0.0.1", "--port", str(port)],
        env=_env(tmp, name),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_ready(url: str, tmp: Path, name: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{name} was not ready within {seconds:.0f} s:\n" + (tmp / f"{name}.log").read_text()[-3000:])


class Patients(threading.Thread):
    """Chats with one app in a loop, recording every answer's time and every failure."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.answered: list[float] = []
        self.failures: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        from gradio_client import Client

        chat = Client(self.url, verbose=False)
        i = 0
        while not self.stop.is_set():
            try:
                text = chat.predict(CHATTER[i % len(CHATTER)], api_name="/chat")
                if not isinstance(text, str) or not text.strip():
                    self.failures.append(f"empty answer: {text!r}")
                self.answered.append(time.monotonic())
            except Exception as e:
                self.failures.append(repr(e))
            i += 1


def _ask(url: str, question: str) -> str:
    from gradio_client import Client

    return str(Client(url, verbose=False).predict(question, api_name="/chat"))


def test_two_apps_keep_answering_and_see_a_post_ingested_by_a_third_process(chroma_server, tmp_path) -> None:
    from askclinic.store import open_client

    client = open_client(chroma_server)
    for col in client.list_collections():
        client.delete_collection(getattr(col, "name", col))
    first = tmp_path / "first"
    first.mkdir()
    for name in ("003_thread-lift-aftercare.txt", "004_laser-toning-melasma.txt", "005_hifu-lifting.txt"):
        shutil.copy(SAMPLES / name, first / name)
    _ingest(first, chroma_server, tmp_path)
    assert (tmp_path / "shared" / "word-index.sqlite3").is_file()  # what a new replica starts from
    new = tmp_path / "new"
    new.mkdir()
    (new / "201_microneedling.txt").write_text(NEW_POST, encoding="utf-8")

    with ExitStack() as stack:
        urls = [stack.enter_context(_app(chroma_server, tmp_path, f"app{i}")) for i in (1, 2)]
        for i, url in enumerate(urls, 1):
            _wait_ready(url, tmp_path, f"app{i}")
        for url in urls:
            assert NEW_FIGURE not in _ask(url, NEW_QUESTION)  # not in the archive yet
        patients = [Patients(url) for url in urls]
        for p in patients:
            p.start()
        started = time.monotonic()
        _ingest(new, chroma_server, tmp_path)
        ingested = time.monotonic()
        seen: dict[str, float] = {}
        while len(seen) < len(urls) and time.monotonic() - ingested < VISIBLE_WITHIN:
            for url in urls:
                if url not in seen and NEW_FIGURE in _ask(url, NEW_QUESTION):
                    seen[url] = time.monotonic() - ingested
            time.sleep(0.2)
        for p in patients:
            p.stop.set()
        for p in patients:
            p.join(timeout=60)

    assert len(seen) == len(urls), f"apps that answered from the new post within {VISIBLE_WITHIN} s: {seen}"
    for i, p in enumerate(patients, 1):
        assert p.failures == [], f"app{i}: {p.failures[:3]}"
        during = [t for t in p.answered if started <= t <= ingested]
        assert during, f"app{i} answered nothing while the post was being ingested"
        times = [started, *during, ingested]
        longest = max(b - a for a, b in itertools.pairwise(times))
        assert longest < VISIBLE_WITHIN, f"app{i} went {longest:.1f} s without an answer during the ingestion"
