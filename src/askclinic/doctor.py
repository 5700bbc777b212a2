"""``askclinic doctor``: what to check first when something is off, one result per check.

Nothing here prints; the CLI shows the results. Heavy libraries are imported inside the
checks, so importing this module stays cheap.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from .errors import AskclinicError

if TYPE_CHECKING:
    from .embeddings import SentenceEmbeddings
    from .settings import Settings

PACKAGES = ("torch", "chromadb", "gradio", "langchain-core")
LLM_TIMEOUT = 2.0  # seconds for the LLM server to answer
OLLAMA_URL = "http://127.0.0.1:11434"  # Ollama's default when ASKCLINIC_LLM_BASE_URL is unset


@dataclass(frozen=True)
class Check:
    """One check's outcome: ``fix`` says what to do when ``ok`` is false."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(store: str | None = None) -> list[Check]:
    """Every check, in the order a user would look: versions, embeddings, store, LLM."""
    checks = [check_python(), *(check_package(name) for name in PACKAGES)]
    settings, problem = _load_settings(store)
    if settings is None:
        return [*checks, problem] if problem else checks
    embeddings, embedding_checks = check_embeddings(settings)
    checks += embedding_checks
    checks.append(check_store(settings, embeddings))
    if settings.word_index_snapshot:
        checks.append(check_word_index_snapshot(settings, embeddings))
    checks.append(check_llm(settings))
    return checks


def _load_settings(store: str | None) -> tuple[Settings | None, Check | None]:
    from pydantic import ValidationError

    from .settings import Settings

    try:
        return (Settings(store=store) if store else Settings()), None
    except ValidationError as e:
        errors = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        return None, Check(
            "settings", False, f"invalid: {errors}", "fix the ASKCLINIC_* environment variables or the .env file"
        )


# -- versions ----------------------------------------------------------------------------
@cache
def _requirements() -> tuple[str, dict[str, str]]:
    """askclinic's Requires-Python and the specifiers of its unconditional requirements by name."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name

        meta = metadata.metadata("askclinic")
    except (ImportError, metadata.PackageNotFoundError):  # pragma: no cover - run from an install
        return "", {}
    wanted: dict[str, str] = {}
    for line in meta.get_all("Requires-Dist") or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None:
            wanted[canonicalize_name(req.name)] = str(req.specifier)
    python = (meta.get_all("Requires-Python") or [""])[0]
    return ",".join(sorted(python.split(","), reverse=True)), wanted  # lower bound first: >=3.11,<3.12


def _satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` meets ``specifier``; true when that cannot be told."""
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion

        return SpecifierSet(specifier).contains(version, prereleases=True)
    except (ImportError, InvalidSpecifier, InvalidVersion):  # pragma: no cover
        return True


def check_python() -> Check:
    version = platform.python_version()
    supported, _ = _requirements()
    if supported and not _satisfies(version, supported):
        return Check(
            "python", False, f"{version}, but askclinic supports {supported}", f"use a Python that is {supported}"
        )
    return Check("python", True, version + (f" (supported: {supported})" if supported else ""))


def check_package(name: str) -> Check:
    _, wanted = _requirements()
    specifier = wanted.get(name.lower().replace("_", "-"), "")
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Check(name, False, "not installed", f"pip install '{name}{specifier}'")
    if specifier and not _satisfies(version, specifier):
        return Check(
            name, False, f"{version}, but askclinic needs {name}{specifier}", f"pip install '{name}{specifier}'"
        )
    return Check(name, True, version)


# -- embeddings --------------------------------------------------------------------------
def check_embeddings(settings: Settings) -> tuple[SentenceEmbeddings | None, list[Check]]:
    """The embedding model's folder and whether bfloat16 is used (the model is not loaded)."""
    from .embeddings import cpu_has_bf16
    from .factory import make_embeddings

    try:
        embeddings = make_embeddings(settings)
    except AskclinicError as e:
        return None, [
            Check(
                "embedding model",
                False,
                str(e),
                "set ASKCLINIC_EMBEDDING_MODEL to all-MiniLM-L6-v2 or a local model folder, "
                "and ASKCLINIC_EMBEDDING_DTYPE to auto, float32 or bfloat16",
            )
        ]
    model = Check("embedding model", True, f"{embeddings.model_id} at {embeddings.path}")
    native = cpu_has_bf16()
    cpu = "this CPU runs bfloat16 natively" if native else "this CPU has no native bfloat16 (AVX-512 BF16 or AMX)"
    if embeddings.dtype == "bfloat16" and not native:
        bf16 = Check(
            "bf16",
            False,
            f"used, but {cpu}, so embedding is slower than in float32",
            "set ASKCLINIC_EMBEDDING_DTYPE=auto (or float32)",
        )
    else:
        used = "used" if embeddings.dtype == "bfloat16" else "not used (float32)"
        bf16 = Check("bf16", True, f"{used}; {cpu} (ASKCLINIC_EMBEDDING_DTYPE={settings.embedding_dtype})")
    return embeddings, [model, bf16]


# -- store -------------------------------------------------------------------------------
def check_store(settings: Settings, embeddings: SentenceEmbeddings | None) -> Check:
    """Whether the store can be reached, and what it holds (as ``askclinic stats`` counts it)."""
    from .store import Store, open_client

    location = settings.store
    remote = location.startswith(("http://", "https://"))
    where = f"{location} ({'Chroma server' if remote else 'folder'})"
    ingest_fix = "run 'askclinic ingest PATH' (askclinic serve loads the sample archive into an empty store)"
    if not remote and not (Path(location) / "chroma.sqlite3").is_file():  # opening it would create it
        return Check("store", False, f"{where}: no store there yet", ingest_fix)
    try:
        client = open_client(location)
        if embeddings is None:
            client.list_collections()
            return Check(
                "store", False, f"{where}: reachable; posts not counted", "fix the embedding model (see above)"
            )
        target = Store(client, embeddings.model_id, location)
        states = target.post_states()
        others = target.other_models()
    except AskclinicError as e:
        if remote:  # the error names the server and how to start it
            return Check("store", False, f"{where}: unreachable", str(e))
        return Check("store", False, f"{where}: unreachable: {e}", _store_fix(location))
    except Exception as e:  # a server or folder in a state chromadb cannot read
        return Check("store", False, f"{where}: unreachable: {type(e).__name__}: {e}", _store_fix(location))
    chunks = sum(len(s.chunk_ids) for s in states.values())
    incomplete = sum(not s.complete for s in states.values())
    detail = f"{where}: reachable, {len(states)} posts, {chunks} chunks, embedding model {embeddings.model_id}"
    if not states and others:
        built = ", ".join(sorted(set(others.values())))
        return Check(
            "store",
            False,
            f"{where}: reachable, built with the embedding model {built}, not {embeddings.model_id}",
            "run 'askclinic ingest PATH' on the archive to rebuild it",
        )
    if not states:
        return Check("store", False, f"{where}: reachable, but it holds no posts", ingest_fix)
    if incomplete:
        return Check(
            "store",
            False,
            f"{detail}; {incomplete} posts incomplete",
            "run 'askclinic ingest PATH' again; it rewrites incomplete posts",
        )
    return Check("store", True, detail)


def check_word_index_snapshot(settings: Settings, embeddings: SentenceEmbeddings | None) -> Check:
    """The word index ingestion publishes for a Chroma server's new apps
    (``ASKCLINIC_WORD_INDEX_SNAPSHOT``): there, readable, and of this store."""
    import sqlite3

    from .store import Store, is_server, open_client
    from .word_index import FORMAT, read_snapshot

    name = "word index snapshot"
    path = Path(settings.word_index_snapshot).expanduser()
    republish = "run 'askclinic ingest PATH' with ASKCLINIC_WORD_INDEX_SNAPSHOT set: it publishes the file there"
    if not is_server(settings.store):
        return Check(name, True, f"{path}: not used (the store is a folder, which keeps its word index inside it)")
    if not path.is_file():
        return Check(name, False, f"{path}: no file there yet; new apps read every chunk from the server", republish)
    try:
        info = read_snapshot(path)
    except sqlite3.Error as e:
        return Check(name, False, f"{path}: not a word index ({e}); new apps ignore it", republish)
    if info.format != FORMAT:
        return Check(name, False, f"{path}: of another askclinic version's format; new apps ignore it", republish)
    held = f"{path}: {info.posts} posts, {info.chunks} chunks"
    if embeddings is None:
        return Check(name, True, f"{held}; not compared with the store (fix the embedding model)")
    try:
        store = Store(open_client(settings.store), embeddings.model_id, settings.store)
        collection, revision = store.collection_id(), store.revision()
    except Exception:  # the store check above says why
        return Check(name, True, f"{held}; not compared with the store (unreachable)")
    if info.collection != collection:
        return Check(
            name, False, f"{held}, of another collection (the store was rebuilt since); new apps ignore it", republish
        )
    if info.revision != revision:
        return Check(name, True, f"{held}; written before the store's last change: new apps read what changed since")
    return Check(name, True, f"{held}; current with the store")


def _store_fix(location: str) -> str:
    url = urlparse(location)
    if url.scheme in ("http", "https"):
        server = f"'chroma run --path DIR --host {url.hostname} --port {url.port or 8000}'" if url.hostname else "it"
        return f"start the Chroma server with {server}, or point ASKCLINIC_STORE / --store at a reachable one"
    return f"check that {location} is a store folder you can read and write, or ingest into a new one"


# -- LLM ---------------------------------------------------------------------------------
def check_llm(settings: Settings) -> Check:
    """The optional LLM backend: its settings and whether its server answers."""
    import httpx

    from .llm import make_chat_model

    if not settings.llm:
        return Check("llm", True, "not set (ASKCLINIC_LLM): answers are extractive; nothing connects")
    kind = settings.llm.lower()
    try:
        make_chat_model(settings)
    except AskclinicError as e:
        return Check("llm", False, f"{settings.llm}: not usable", str(e))
    headers = {}
    if kind == "openai":
        url = settings.llm_base_url.rstrip("/") + "/models"
        headers["Authorization"] = f"Bearer {settings.llm_api_key}"
    else:  # ollama lists its models at /api/tags
        url = (settings.llm_base_url or OLLAMA_URL).rstrip("/") + "/api/tags"
    what = f"{kind} model {settings.llm_model!r} at {url}"
    server_fix = (
        "start the LLM server or correct ASKCLINIC_LLM_BASE_URL; until then answers stay extractive"
        if kind == "openai"
        else "start Ollama ('ollama serve') or correct ASKCLINIC_LLM_BASE_URL; until then answers stay extractive"
    )
    try:
        response = httpx.get(url, headers=headers, timeout=LLM_TIMEOUT)
    except httpx.HTTPError as e:
        return Check("llm", False, f"{what}: no answer ({type(e).__name__})", server_fix)
    if response.status_code in (401, 403):
        return Check(
            "llm", False, f"{what}: HTTP {response.status_code}", "set ASKCLINIC_LLM_API_KEY to a key the server takes"
        )
    if response.status_code >= 400:
        hint = " (an OpenAI-compatible base URL usually ends in /v1)" if kind == "openai" else ""
        return Check("llm", False, f"{what}: HTTP {response.status_code}", f"correct ASKCLINIC_LLM_BASE_URL{hint}")
    return Check("llm", True, f"{what}: the server answers")
