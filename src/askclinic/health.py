"""``/healthz`` and ``/readyz`` for a load balancer, beside the chat.

``/healthz``: the process answers HTTP. ``/readyz``: the store is reachable and holds chunks, the
embedding model is loaded and the lexical index is built (with the store's chunk and post counts,
and the index's chunk count and store revision, which lag for a moment after an ingestion); 503
with the reason otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .logs import clip

if TYPE_CHECKING:
    from .pipeline import AskPipeline


def readiness(pipeline: AskPipeline) -> tuple[bool, dict[str, Any]]:
    search = pipeline.search
    try:
        chunks = search.store.count()
    except Exception as e:
        return False, {"ready": False, "reason": f"the store is not reachable: {clip(e)}"}
    info: dict[str, Any] = {
        "store_chunks": chunks,
        "model_loaded": bool(getattr(search.embeddings, "loaded", True)),
        "lexical_index_chunks": search.indexed_chunks,
        "lexical_index_revision": search.indexed_revision,
    }
    if search.indexed_chunks is not None:
        info["store_posts"] = search.words.counts()[1]
    problems = [
        text
        for failed, text in (
            (chunks == 0, "the store holds no posts"),
            (not info["model_loaded"], "the embedding model is not loaded yet"),
            (info["lexical_index_chunks"] is None, "the lexical index is not built yet"),
        )
        if failed
    ]
    info["ready"] = not problems
    if problems:
        info["reason"] = "; ".join(problems)
    return not problems, info


def add_health_routes(app: Any, pipeline: AskPipeline) -> None:
    """Mount both endpoints on the chat's FastAPI app."""
    from fastapi.responses import JSONResponse

    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def readyz() -> JSONResponse:
        ready, info = readiness(pipeline)
        return JSONResponse(info, status_code=200 if ready else 503)

    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
