"""``askclinic check``: find chunks the store cannot serve, and re-embed exactly their posts.

Three kinds of damage are looked for, the ones a killed or concurrent writer can leave:
chunks whose vector cannot be read back, vectors the index does not find as their own
nearest neighbour, and posts whose chunks disagree (mixed file hashes, missing chunks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from .chunking import approx_word_pieces
from .store import Store

log = logging.getLogger(__name__)

BATCH = 256  # vectors looked up per query call
NEIGHBOURS = 10  # a vector must be among its own nearest few (identical chunks may tie)


@dataclass
class CheckReport:
    chunks: int = 0
    posts: int = 0
    unreadable: list[str] = field(default_factory=list)  # chunk ids whose vector cannot be read
    not_found: list[str] = field(default_factory=list)  # chunk ids the index does not find by their vector
    incomplete: list[str] = field(default_factory=list)  # post ids whose chunks disagree
    repaired: list[str] = field(default_factory=list)
    unrepairable: list[tuple[str, str]] = field(default_factory=list)  # (post id, why)

    @property
    def damaged_posts(self) -> list[str]:
        posts = {chunk_id.rsplit("::", 1)[0] for chunk_id in [*self.unreadable, *self.not_found]}
        return sorted(posts | set(self.incomplete))

    @property
    def ok(self) -> bool:
        return not self.damaged_posts


def check_store(store: Store, progress: Callable[[int, int], None] | None = None) -> CheckReport:
    """Read every chunk's vector back and look each one up; nothing is written."""
    report = CheckReport()
    if not store.exists():
        return report
    states = store.post_states()
    report.posts = len(states)
    report.incomplete = sorted(p for p, s in states.items() if not s.complete)
    col = store.collection()
    ids = [chunk_id for state in states.values() for chunk_id in state.chunk_ids]
    report.chunks = len(ids)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        vectors = _read_vectors(col, batch, report)
        _look_up(col, vectors, report)
        if progress:
            progress(min(start + BATCH, len(ids)), len(ids))
    return report


def _read_vectors(col: Any, ids: list[str], report: CheckReport) -> dict[str, list[float]]:
    try:
        got = col.get(ids=ids, include=["embeddings"])
        found = dict(zip(got["ids"], got["embeddings"], strict=True))
    except Exception:  # one bad vector fails the whole call: find which, one by one
        found = {}
        for chunk_id in ids:
            try:
                got = col.get(ids=[chunk_id], include=["embeddings"])
                found[chunk_id] = got["embeddings"][0]
            except Exception as e:
                log.info("chunk %s cannot be read: %s", chunk_id, e)
    for chunk_id in ids:
        vector = found.get(chunk_id)
        if vector is None or len(vector) == 0:
            report.unreadable.append(chunk_id)
            found.pop(chunk_id, None)
    return {k: list(map(float, v)) for k, v in found.items()}


def _look_up(col: Any, vectors: dict[str, list[float]], report: CheckReport) -> None:
    if not vectors:
        return
    ids = list(vectors)
    k = min(NEIGHBOURS, col.count())
    res = col.query(query_embeddings=[vectors[i] for i in ids], n_results=k, include=[])
    for chunk_id, neighbours in zip(ids, res["ids"], strict=True):
        if chunk_id not in neighbours:
            report.not_found.append(chunk_id)


def repair(
    store: Store,
    embeddings: Embeddings,
    report: CheckReport,
    count_tokens: Callable[[str], int] = approx_word_pieces,
) -> CheckReport:
    """Re-embed every damaged post from its file; a post whose file cannot be read is left as it is."""
    from .ingestion import reembed

    states = store.post_states()
    todo = []
    for post_id in report.damaged_posts:
        state = states.get(post_id)
        if state is None:
            report.unrepairable.append((post_id, "no longer in the store"))
            continue
        source = Path(state.source)
        todo.append((source, _root_of(source, post_id), state.chunk_ids))
    done, failed = reembed(todo, store, embeddings, count_tokens)
    report.repaired.extend(done)
    report.unrepairable.extend((source, f"{reason}; ingest the post again from a copy") for source, reason in failed)
    return report


def _root_of(source: Path, post_id: str) -> Path:
    parts = Path(post_id).parts
    return source.parents[len(parts) - 1] if len(parts) <= len(source.parents) else source.parent


def summary_rows(report: CheckReport) -> Sequence[tuple[str, str]]:
    return [
        ("posts", str(report.posts)),
        ("chunks", str(report.chunks)),
        ("chunks whose vector cannot be read", str(len(report.unreadable))),
        ("chunks not found by their own vector", str(len(report.not_found))),
        ("posts with disagreeing chunks", str(len(report.incomplete))),
    ]
