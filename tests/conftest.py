"""Shared fixtures: a clean environment, the real archive post, stores and embedders.

Tests marked ``real_archive`` need the real archive post (``ASKCLINIC_REAL_ARCHIVE``, else
``../shared/archive`` next to the repository). Without it they are skipped, and under CI
(``CI`` set to anything but ``0``/``false``) they fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "archive"
REAL_ARCHIVE = Path(os.environ.get("ASKCLINIC_REAL_ARCHIVE") or ROOT.parent / "shared" / "archive")
REAL_POST_NAME = "000_fbae221e59e76ca3.txt"
REAL_POST = REAL_ARCHIVE / REAL_POST_NAME
# The sample post that restates the real post's facts and figures in the project's own words.
# It stands in for the real post: a store holds one or the other, never both, since the two
# state the same figures and would compete for the same questions.
REAL_POST_STAND_IN = "008_thread-lift-safety.txt"
REAL_POST_MISSING = f"real archive post not found: set ASKCLINIC_REAL_ARCHIVE to the folder holding {REAL_POST_NAME}"

# A post whose title, clinic and body carry markup that would run script if rendered as HTML.
PAYLOAD = '<img src=x onerror="window.__pwned=1">'
INJECTION_POST = f"""---
title: Silk pillow care {PAYLOAD}
clinic: Sample Clinic <script>window.__pwned=1</script>
date: 2025-07-01
---

# Silk pillow care

## Does a silk pillowcase help after a procedure?

In our (fictional) clinic's experience, a silk pillowcase {PAYLOAD} lets the skin settle within 3 nights.

Wash the silk pillowcase <script>window.__pwned=1</script> in cold water once a week.
"""

os.environ.update(
    HF_HUB_OFFLINE="1",
    HF_HUB_DISABLE_TELEMETRY="1",
    TRANSFORMERS_OFFLINE="1",
    GRADIO_ANALYTICS_ENABLED="False",
    ANONYMIZED_TELEMETRY="False",
    TOKENIZERS_PARALLELISM="false",
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test starts without the user's askclinic settings, and caches nothing in their home."""
    for key in list(os.environ):
        if key.startswith("ASKCLINIC_") and key != "ASKCLINIC_REAL_ARCHIVE":
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def has_real_post() -> bool:
    return REAL_POST.is_file()


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def require_real_post() -> None:
    """Skip without the real archive post; under CI its absence is a failure."""
    if has_real_post():
        return
    if under_ci():
        pytest.fail(
            f"CI must run the real-archive tests, but {REAL_POST} is missing: "
            f"set ASKCLINIC_REAL_ARCHIVE to the folder holding {REAL_POST_NAME}"
        )
    pytest.skip(REAL_POST_MISSING)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``real_archive`` run when the real post is found and are skipped otherwise."""
    if item.get_closest_marker("real_archive"):
        require_real_post()


def copy_archive(folder: Path) -> Path:
    """The sample archive in ``folder``, with the real post in place of its stand-in when found."""
    with_real = has_real_post()
    skip = shutil.ignore_patterns(REAL_POST_STAND_IN) if with_real else None
    shutil.copytree(SAMPLES, folder, ignore=skip, dirs_exist_ok=True)
    if with_real:
        shutil.copy(REAL_POST, folder / REAL_POST.name)
    return folder


@pytest.fixture
def real_post() -> Path:
    require_real_post()
    return REAL_POST


class FakeEmbeddings(Embeddings):
    """Deterministic vectors seeded by sha256 of the text; counts what it embeds."""

    def __init__(self, model_id: str = "fake-sha256", dim: int = 32) -> None:
        self.model_id = model_id
        self.dim = dim
        self.embedded = 0
        self.fail_after: int | None = None

    def _vector(self, text: str) -> list[float]:
        digest = hashlib.sha256(f"{self.model_id}:{text}".encode()).digest()
        raw = [(digest[i % len(digest)] + i) % 251 - 125.0 for i in range(self.dim)]
        norm = math.sqrt(sum(v * v for v in raw)) or 1.0
        return [v / norm for v in raw]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.fail_after is not None and self.embedded >= self.fail_after:
            raise KeyboardInterrupt("simulated kill")
        self.embedded += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


@pytest.fixture
def fake_embeddings() -> FakeEmbeddings:
    return FakeEmbeddings()


@pytest.fixture(scope="session")
def real_embeddings():
    from askclinic.embeddings import SentenceEmbeddings

    return SentenceEmbeddings().load()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A writable copy of the sample archive, with the real post when it is found."""
    return copy_archive(tmp_path / "archive")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local Chroma server (``chroma run``) for the server-mode store tests."""
    url = os.environ.get("ASKCLINIC_TEST_CHROMA_URL")
    if url:
        yield url
        return
    chroma = Path(sys.executable).with_name("chroma")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("chroma run exited before it served")
                time.sleep(0.1)
        else:
            pytest.fail("chroma run did not answer its heartbeat within 30 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server (``initdb`` + ``pg_ctl`` from the system's packages), or the
    one ``ASKCLINIC_TEST_POSTGRES_URL`` names. Skipped without PostgreSQL; under CI that fails."""
    url = os.environ.get("ASKCLINIC_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not initdb or not pg_ctl:
        if under_ci():
            pytest.fail("PostgreSQL (initdb, pg_ctl) is not installed; .ci/run installs it")
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed")
    # PostgreSQL refuses to run as root: as root, run it as the packages' "postgres" user
    as_user: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="askclinic-pg-"))
    if os.geteuid() == 0:
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs the 'postgres' user that PostgreSQL's packages create")
        home.chmod(0o755)
        os.chown(home, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = home / "data", free_port()
    try:
        subprocess.run(
            [*as_user, initdb, "-D", str(data), "-U", "askclinic", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                *as_user,
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(home / "log"),
                "-w",
                "-t",
                "60",
                "start",
                "-o",
                f"-h 127.0.0.1 -p {port} -k {home}",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://askclinic@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(params=["folder", "server"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location: an embedded folder, or a freshly emptied Chroma server."""
    if request.param == "folder":
        return str(tmp_path / "store")
    url = request.getfixturevalue("chroma_server")
    from askclinic.store import open_client

    client = open_client(url)
    for col in client.list_collections():
        client.delete_collection(getattr(col, "name", col))
    return url


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory, real_embeddings) -> str:
    """The sample archive (with the real post when it is found), ingested once with the real model."""
    from askclinic.ingestion import ingest
    from askclinic.store import open_store

    folder = copy_archive(tmp_path_factory.mktemp("archive"))
    location = str(tmp_path_factory.mktemp("built") / "store")
    report = ingest(
        [folder],
        open_store(location, real_embeddings.model_id),
        real_embeddings,
        count_tokens=real_embeddings.token_counter(),
    )
    assert report.ok, report.failed
    return location


@pytest.fixture(scope="session")
def pipeline(built_store: str, real_embeddings):
    from askclinic.pipeline import AskPipeline
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    return AskPipeline(HybridSearch(open_store(built_store, real_embeddings.model_id), real_embeddings))


@contextlib.contextmanager
def running_app(pipeline, db: Path, staff_password: str = "", log_questions: bool = False) -> Iterator[str]:
    """The real chat app on a free local port, over ``pipeline``, with feedback in ``db``."""
    from askclinic.feedback import FeedbackStore
    from askclinic.question_log import QuestionLog
    from askclinic.webapp import build_demo, launch

    pipeline.answer("How long does swelling last after a thread lift?")  # load the model and index
    log = QuestionLog(db) if log_questions else None
    demo = build_demo(pipeline, FeedbackStore(db), log, staff_password)
    try:
        yield launch(demo, "127.0.0.1", free_port(), pipeline)
    finally:
        demo.close()
