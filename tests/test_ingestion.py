"""Incremental ingestion: no-op re-runs, changes, prune, model switch, dry run, crashes, bad input.

Runs against an embedded store folder and against a local Chroma server.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from conftest import FakeEmbeddings

from askclinic.ingestion import ingest
from askclinic.store import Store, open_store


def store_for(location: str, embeddings: FakeEmbeddings) -> Store:
    return open_store(location, embeddings.model_id)


def shorten(path: Path) -> None:
    """Cut an archive post after its first section, so it keeps fewer chunks."""
    text = path.read_text(encoding="utf-8")
    first = text.index("\n  1.")
    path.write_text(text[: text.index("\n  1.", first + 1)] + "\n< Directions >\n", encoding="utf-8")


def snapshot(store: Store) -> dict[str, tuple[str, str]]:
    col = store.collection()
    got = col.get(include=["documents", "metadatas"])
    return {i: (d, m["file_hash"]) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}


def test_first_ingest_then_rerun_is_a_noop(archive: Path, store_location: str, fake_embeddings) -> None:
    store = store_for(store_location, fake_embeddings)
    first = ingest([archive], store, fake_embeddings)
    assert first.ok, first.failed
    assert len(first.new) == len(list(archive.iterdir()))
    assert first.chunks_embedded == store.count() > 0
    before = snapshot(store)

    embedded = fake_embeddings.embedded
    second = ingest([archive], store_for(store_location, fake_embeddings), fake_embeddings)
    assert second.counts() == {
        "new": 0,
        "changed": 0,
        "unchanged": len(first.new),
        "removed": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert fake_embeddings.embedded == embedded  # nothing embedded again
    assert snapshot(store) == before


def test_a_changed_post_replaces_exactly_its_chunks(archive: Path, store_location: str, fake_embeddings) -> None:
    store = store_for(store_location, fake_embeddings)
    ingest([archive], store, fake_embeddings)
    before = snapshot(store)
    target = archive / "003_thread-lift-aftercare.txt"
    shorten(target)

    report = ingest([archive], store, fake_embeddings)
    assert report.changed == ["003_thread-lift-aftercare.txt"]
    assert len(report.unchanged) == len(list(archive.iterdir())) - 1
    after = snapshot(store)
    old_ids = {i for i in before if i.startswith("003_")}
    new_ids = {i for i in after if i.startswith("003_")}
    assert 0 < len(new_ids) < len(old_ids)
    assert {i: v for i, v in after.items() if not i.startswith("003_")} == {
        i: v for i, v in before.items() if not i.startswith("003_")
    }
    assert all(before[i][1] != after[i][1] for i in new_ids)  # new file hash on every kept id


def test_posts_changed_in_one_run_each_lose_their_leftover_chunks(
    archive: Path, store_location: str, fake_embeddings
) -> None:
    """Posts written together are written in one batch: the chunks each one no longer has are
    deleted for every post of the batch, not only the last."""
    store = store_for(store_location, fake_embeddings)
    ingest([archive], store, fake_embeddings)
    names = ["001_botox-jaw.txt", "003_thread-lift-aftercare.txt", "005_hifu-lifting.txt"]
    for name in names:
        shorten(archive / name)
    report = ingest([archive], store, fake_embeddings)
    assert sorted(report.changed) == names
    states = store.post_states()
    assert all(states[name].complete for name in names), {n: states[n].chunk_ids for n in names}


def test_prune_removes_only_posts_gone_from_the_folder(
    archive: Path, store_location: str, fake_embeddings, tmp_path: Path
) -> None:
    store = store_for(store_location, fake_embeddings)
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    shutil.copy(archive / "101_filler-faq.md", elsewhere / "lips.md")
    (archive / "101_filler-faq.md").unlink()
    ingest([archive, elsewhere], store, fake_embeddings)
    (archive / "005_hifu-lifting.txt").unlink()

    without = ingest([archive], store, fake_embeddings)
    assert without.removed == []  # no --prune: nothing removed
    assert "005_hifu-lifting.txt" in store.post_states()

    pruned = ingest([archive], store, fake_embeddings, prune=True)
    assert pruned.removed == ["005_hifu-lifting.txt"]
    states = store.post_states()
    assert "005_hifu-lifting.txt" not in states
    assert "lips.md" in states  # ingested from another folder: untouched


def test_dry_run_reports_without_touching_the_store(archive: Path, store_location: str, fake_embeddings) -> None:
    store = store_for(store_location, fake_embeddings)
    report = ingest([archive], store, fake_embeddings, dry_run=True)
    assert len(report.new) == len(list(archive.iterdir()))
    assert fake_embeddings.embedded == 0
    assert not store.exists()

    ingest([archive], store, fake_embeddings)
    before = snapshot(store)
    (archive / "002_filler-longevity.txt").write_text("AI-translated archive post\n\nNew title\n\nNew body line.\n")
    (archive / "007_skin-booster.txt").unlink()
    dry = ingest([archive], store, fake_embeddings, dry_run=True, prune=True)
    assert dry.changed == ["002_filler-longevity.txt"]
    assert dry.removed == ["007_skin-booster.txt"]
    assert snapshot(store) == before


def test_switching_the_embedding_model_rebuilds(
    archive: Path, store_location: str, caplog: pytest.LogCaptureFixture
) -> None:
    old = FakeEmbeddings("model-a")
    ingest([archive], store_for(store_location, old), old)
    new = FakeEmbeddings("model-b", dim=48)
    store = store_for(store_location, new)
    dry = ingest([archive], store, new, dry_run=True)
    assert dry.replaced_models == ["model-a"]

    with caplog.at_level(logging.INFO, logger="askclinic.store"):
        report = ingest([archive], store, new)
    dropped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("dropped collection")]
    assert len(dropped) == 1 and re.fullmatch(r"dropped collection \S+ built with model-a", dropped[0]), dropped
    assert len(report.new) == len(list(archive.iterdir()))  # everything re-embedded
    assert report.replaced_models == ["model-a"]
    assert store.other_models() == {}
    got = store.collection().get(include=["embeddings"], limit=1)
    assert len(got["embeddings"][0]) == 48


def test_a_killed_run_leaves_a_consistent_store_that_the_next_run_completes(
    archive: Path, store_location: str, fake_embeddings
) -> None:
    store = store_for(store_location, fake_embeddings)
    ingest([archive], store, fake_embeddings)
    for path in archive.iterdir():  # every post changes...
        path.write_bytes(path.read_bytes() + b"\n")
    fake_embeddings.fail_after = fake_embeddings.embedded + 1  # ...and the run dies after one batch
    with pytest.raises(KeyboardInterrupt):
        ingest([archive], store, fake_embeddings, batch_size=8)
    fake_embeddings.fail_after = None

    report = ingest([archive], store, fake_embeddings)
    assert report.ok
    assert report.unchanged and report.changed  # the first batch landed; the rest is done now
    assert len(report.changed) + len(report.unchanged) == len(list(archive.iterdir()))
    assert all(s.complete for s in store.post_states().values())
    assert ingest([archive], store, fake_embeddings).counts()["unchanged"] == len(list(archive.iterdir()))


def test_a_run_killed_between_upsert_and_cleanup_is_repaired(
    archive: Path, tmp_path: Path, fake_embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_for(str(tmp_path / "s"), fake_embeddings)
    ingest([archive], store, fake_embeddings)
    target = archive / "003_thread-lift-aftercare.txt"
    shorten(target)

    def die(*args, **kwargs):
        raise KeyboardInterrupt("killed before stale chunks were deleted")

    monkeypatch.setattr(type(store.collection()), "delete", die)
    with pytest.raises(KeyboardInterrupt):
        ingest([archive], store, fake_embeddings)
    monkeypatch.undo()
    assert not store.post_states()["003_thread-lift-aftercare.txt"].complete

    report = ingest([archive], store, fake_embeddings)
    assert report.changed == ["003_thread-lift-aftercare.txt"]
    assert store.post_states()["003_thread-lift-aftercare.txt"].complete


def test_bad_inputs_are_reported_and_nothing_stored_is_lost(
    archive: Path, store_location: str, fake_embeddings, tmp_path: Path
) -> None:
    store = store_for(store_location, fake_embeddings)
    ingest([archive], store, fake_embeddings)
    before = snapshot(store)

    (archive / "001_botox-jaw.txt").write_bytes(b"")  # a stored post turns empty
    (archive / "empty.txt").write_bytes(b"")
    (archive / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    (archive / "undecodable.txt").write_bytes(b"Title\n\n\xff\xfe\xfd broken bytes")
    (archive / "no-title.txt").write_bytes(b"AI-translated archive post\n\n")
    (archive / "no-body.md").write_bytes(b"---\ntitle: Only a title\n---\n")
    (archive / "huge.txt").write_bytes(b"Title\n\n" + b"x" * 20_000_000)
    shutil.copy(archive / "004_laser-toning-melasma.txt", archive / "copy-of-004.txt")
    (archive / "new-good.md").write_text("# A new post\n\nSkin boosters need 3 sessions.\n")

    report = ingest([archive, tmp_path / "does-not-exist"], store, fake_embeddings, prune=True)
    reasons = {Path(src).name: reason for src, reason in report.failed}
    assert reasons.keys() == {
        "001_botox-jaw.txt",
        "empty.txt",
        "binary.txt",
        "undecodable.txt",
        "no-title.txt",
        "no-body.md",
        "huge.txt",
        "copy-of-004.txt",
        "does-not-exist",
    }
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["undecodable.txt"]
    assert "no title" in reasons["no-title.txt"]
    assert "no body" in reasons["no-body.md"]
    assert "MB" in reasons["huge.txt"]
    assert "duplicate" in reasons["copy-of-004.txt"] and "004_laser-toning-melasma.txt" in reasons["copy-of-004.txt"]
    assert "no such file" in reasons["does-not-exist"]
    assert report.new == ["new-good.md"]
    assert report.removed == []
    after = snapshot(store)
    assert {i: v for i, v in after.items() if not i.startswith("new-good")} == before  # nothing lost


KILLED_RUN = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from conftest import FakeEmbeddings
from askclinic.ingestion import ingest
from askclinic.store import open_store

class Slow(FakeEmbeddings):
    def embed_documents(self, texts):
        time.sleep(0.4)
        print("batch", flush=True)
        return super().embed_documents(texts)

emb = Slow()
ingest([Path({archive!r})], open_store({store!r}, emb.model_id), emb, batch_size=4)
print("done", flush=True)
"""


def test_a_process_killed_mid_run_leaves_a_usable_store(archive: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    location = str(tmp_path / "store")
    script = KILLED_RUN.format(tests=str(Path(__file__).parent), archive=str(archive), store=location)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for _ in range(3):  # let a few batches land, then kill -9 mid-run
        assert proc.stdout.readline().strip() == "batch"
    proc.kill()
    proc.wait()

    emb = FakeEmbeddings()
    store = open_store(location, emb.model_id)
    partial = store.post_states()
    assert 0 < len(partial) < len(list(archive.iterdir()))
    report = ingest([archive], store, emb)
    assert report.ok
    assert len(report.new) + len(report.unchanged) + len(report.changed) == len(list(archive.iterdir()))
    assert all(s.complete for s in store.post_states().values())


def test_reads_page_through_the_whole_store_and_look_ups_return_only_what_was_asked(
    archive: Path, tmp_path: Path, fake_embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every read that pages (chunks, fingerprints, records since a time) sees every chunk, however
    small the page; a look-up by id returns those chunks and leaves out ids no longer stored."""
    import askclinic.store as store_module

    store = store_for(str(tmp_path / "store"), fake_embeddings)
    assert ingest([archive], store, fake_embeddings).ok
    ids = set(snapshot(store))
    assert len(ids) > 6
    monkeypatch.setattr(store_module, "PAGE", 3)
    assert {c.chunk_id for c in store.chunks()} == ids
    assert set(store.chunk_fingerprints(lambda meta: str(meta["file_hash"]))) == ids
    assert len(list(store.records_since(0))) == len(ids)
    wanted = sorted(ids)[:2]
    found = store.records([*wanted, "no-such-post.txt::0"])
    assert sorted(doc for doc, _ in found) == sorted(snapshot(store)[i][0] for i in wanted)


def test_the_store_as_a_langchain_vector_store_searches_the_same_chunks(
    archive: Path, tmp_path: Path, fake_embeddings
) -> None:
    store = store_for(str(tmp_path / "store"), fake_embeddings)
    assert ingest([archive], store, fake_embeddings).ok
    stored = snapshot(store)
    vectors = store.as_vectorstore(fake_embeddings)
    question = "how long does jaw botox last"
    found = vectors.similarity_search_with_score(question, k=3)
    nearest = store.query(fake_embeddings.embed_query(question), 3)
    assert [doc.page_content for doc, _ in found] == [chunk.text for chunk, _ in nearest]
    assert all(doc.page_content == stored[doc.id][0] for doc, _ in found)
    assert store.count() == len(stored)  # reading through LangChain added nothing


def test_a_path_given_that_is_no_file_or_folder_is_named_with_what_it_is(tmp_path: Path) -> None:
    """A FIFO, a device or a socket named on the command line is reported by its path, saying
    what it is; it is never opened (a FIFO would block the run)."""
    import os
    import socket

    from askclinic.ingestion import discover

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        files, missing, _ = discover([fifo, Path(os.devnull), sock_path])
    finally:
        sock.close()
    assert files == []
    assert missing == [
        (str(fifo), "is a FIFO (named pipe), not a post file"),
        (os.devnull, "is a device, not a post file"),
        (str(sock_path), "is a socket, not a post file"),
    ]


def test_progress_counts_each_file_once_up_to_the_total(archive: Path, fake_embeddings, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    store = store_for(str(tmp_path / "store"), fake_embeddings)
    report = ingest([archive], store, fake_embeddings, progress=lambda done, total: seen.append((done, total)))
    total = len(report.new)
    assert total > 3
    assert seen == [(i, total) for i in range(1, total + 1)]


def test_a_file_that_fails_is_named_in_the_log(
    archive: Path, fake_embeddings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (archive / "empty.txt").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="askclinic.ingestion"):
        ingest([archive], store_for(str(tmp_path / "store"), fake_embeddings), fake_embeddings)
    assert any(str(archive / "empty.txt") in r.getMessage() for r in caplog.records), caplog.text


class BatchCounting(FakeEmbeddings):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(len(texts))
        return super().embed_documents(texts)


@pytest.mark.parametrize("batch_size", [3, 4, 5, 6, 7, 8])
def test_a_batch_is_embedded_as_soon_as_it_holds_batch_size_chunks(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: int
) -> None:
    """Posts are batched whole: each batch but the last holds at least ``batch_size`` chunks, and
    would have held fewer without its last post."""
    embeddings = BatchCounting()
    sizes: list[int] = []
    import askclinic.ingestion as ingestion

    real = ingestion._Writer.add

    def add(self: ingestion._Writer, item: ingestion._Pending) -> None:
        sizes.append(len(item.chunks))
        real(self, item)

    monkeypatch.setattr(ingestion._Writer, "add", add)
    ingest([archive], store_for(str(tmp_path / "store"), embeddings), embeddings, batch_size=batch_size)
    assert sum(embeddings.batches) == sum(sizes)
    posts = iter(sizes)
    for batch in embeddings.batches[:-1]:
        held = []
        while sum(held) < batch:
            held.append(next(posts))
        assert sum(held) == batch and batch >= batch_size and batch - held[-1] < batch_size, (batch, held)
