"""The word index on disk: synced by changes only, current after ingestion, rebuilt in the
background while requests keep the index they have."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import SAMPLES, FakeEmbeddings

from askclinic.ingestion import ingest
from askclinic.lexical import LexicalIndex
from askclinic.retrieval import HybridSearch
from askclinic.store import Store, open_store
from askclinic.word_index import FILE_NAME, WordIndexFile, default_path, seed


def _archive(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SAMPLES / name, folder / name)
    return folder


def _store(tmp_path: Path, emb: FakeEmbeddings) -> Store:
    return open_store(str(tmp_path / "store"), emb.model_id)


def test_ingestion_leaves_the_folder_word_index_current(tmp_path: Path) -> None:
    emb = FakeEmbeddings()
    archive = _archive(tmp_path, "001_botox-jaw.txt", "005_hifu-lifting.txt")
    store = _store(tmp_path, emb)
    assert ingest([archive], store, emb).ok
    assert default_path(store) == tmp_path / "store" / FILE_NAME
    with WordIndexFile(default_path(store)) as words:
        assert words.revision == store.revision() != ""
        assert words.counts() == (store.count(), 2)
        assert sorted(c.chunk_id for c in words.all_chunks()) == sorted(c.chunk_id for c in store.chunks())
        assert words.sync(store).changed is False  # nothing to do: the revision is the same
        words.mark("an older revision")  # what ingestion fed it equals what the store returns
        again = words.sync(store)
        assert (again.added, again.removed) == (0, 0) and words.revision == store.revision()


def test_a_sync_fetches_only_the_posts_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("askclinic.word_index.CLOCK_MARGIN", 0.0)  # one clock here
    emb = FakeEmbeddings()
    archive = _archive(tmp_path, "001_botox-jaw.txt", "005_hifu-lifting.txt", "007_skin-booster.txt")
    store = _store(tmp_path, emb)
    words = WordIndexFile(tmp_path / "elsewhere.sqlite3")  # a replica's own copy
    assert ingest([archive], store, emb).ok
    first = words.sync(store)
    assert (first.added, first.removed) == (store.count(), 0)

    fetched: list[str] = []
    records, since = store.records, store.records_since

    def counting(ids):  # type: ignore[no-untyped-def]
        fetched.extend(ids)
        return records(ids)

    def counting_since(stamp):  # type: ignore[no-untyped-def]
        for document, meta in since(stamp):
            fetched.append(f"{meta['post_id']}::{meta['chunk_index']}")
            yield document, meta

    store.records = counting  # type: ignore[method-assign]
    store.records_since = counting_since  # type: ignore[method-assign]
    post = archive / "005_hifu-lifting.txt"
    post.write_text(post.read_text(encoding="utf-8").replace("HIFU", "HIFU (ultrasound)", 1), encoding="utf-8")
    assert ingest([archive], store, emb).changed == ["005_hifu-lifting.txt"]
    edited = words.sync(store)
    hifu = {c.chunk_id for c in store.chunks() if c.post_id == "005_hifu-lifting.txt"}
    assert set(fetched) == hifu and edited.added == len(hifu) and edited.removed == 0
    assert any("HIFU (ultrasound)" in c.text for c in words.all_chunks())

    fetched.clear()
    (archive / "001_botox-jaw.txt").unlink()
    assert ingest([archive], store, emb, prune=True).removed == ["001_botox-jaw.txt"]
    pruned = words.sync(store)
    assert fetched == [] and pruned.added == 0 and pruned.removed > 0
    assert words.counts() == (store.count(), 2)
    assert {c.post_id for c in words.all_chunks()} == {"005_hifu-lifting.txt", "007_skin-booster.txt"}


def test_a_search_on_a_current_word_index_reads_no_chunk_back_from_the_store(tmp_path: Path) -> None:
    emb = FakeEmbeddings()
    store = _store(tmp_path, emb)
    assert ingest([_archive(tmp_path, "003_thread-lift-aftercare.txt", "001_botox-jaw.txt")], store, emb).ok
    reopened = _store(tmp_path, emb)

    def refuse(*args: object) -> None:
        raise AssertionError("read every chunk back from the store")

    reopened.chunks = refuse  # type: ignore[method-assign]
    reopened.records = refuse  # type: ignore[method-assign]
    search = HybridSearch(reopened, emb)
    hits = search.search("how long does swelling last after a thread lift", k=3)
    assert hits and hits[0].lexical > 0
    assert search.indexed_chunks == store.count()


def test_a_search_given_its_own_word_index_file_keeps_the_words_there(tmp_path: Path) -> None:
    # an app's cache folder (or a replica's copy), not the store's folder
    emb = FakeEmbeddings()
    store = _store(tmp_path, emb)
    assert ingest([_archive(tmp_path, "003_thread-lift-aftercare.txt")], store, emb).ok
    default_path(store).unlink()
    own = WordIndexFile(tmp_path / "cache" / "words.sqlite3")
    search = HybridSearch(store, emb, words=own)
    assert search.words is own
    hits = search.search("how long does swelling last after a thread lift", k=3)
    assert hits and hits[0].lexical > 0
    assert own.counts() == (store.count(), 1)
    assert not default_path(store).exists()


def _served_then_changed(tmp_path: Path) -> tuple[HybridSearch, Store, LexicalIndex]:
    """A search serving the botox post's index (returned too), then the HIFU post ingested."""
    emb = FakeEmbeddings()
    archive = _archive(tmp_path, "001_botox-jaw.txt")
    store = _store(tmp_path, emb)
    assert ingest([archive], store, emb).ok
    search = HybridSearch(store, emb, check_every=0.0)
    search.refresh()
    before = search.index
    assert search.indexed_revision == store.revision()
    shutil.copy(SAMPLES / "005_hifu-lifting.txt", archive / "005_hifu-lifting.txt")
    assert ingest([archive], store, emb).new == ["005_hifu-lifting.txt"]
    return search, store, before


def test_requests_keep_the_old_index_while_a_change_is_indexed_in_the_background(tmp_path: Path) -> None:
    search, store, before = _served_then_changed(tmp_path)
    with search._building:  # a rebuild holds the lock: requests must not wait for it
        started = time.monotonic()
        hits = search.search("does HIFU hurt", k=3)
        assert time.monotonic() - started < 1.0
        # the word index is the old one: the store's vectors already hold the new post, so a
        # hit may come from it by meaning, but never by a word match
        assert search.index is before
        assert not any(h.lexical > 0 for h in hits if h.chunk.post_id == "005_hifu-lifting.txt")
    deadline = time.monotonic() + 10
    while search.indexed_revision != store.revision():
        assert time.monotonic() < deadline, "the change was not indexed within 10 s"
        search.refresh()
        time.sleep(0.05)
    assert search.index is not before and search.indexed_chunks == store.count()
    after = search.search("does HIFU hurt", k=3)
    assert any(h.chunk.post_id == "005_hifu-lifting.txt" and h.lexical > 0 for h in after)


def test_a_lexical_hit_on_a_chunk_removed_since_the_index_was_built_is_dropped(tmp_path: Path) -> None:
    emb = FakeEmbeddings()
    archive = _archive(tmp_path, "001_botox-jaw.txt", "005_hifu-lifting.txt")
    store = _store(tmp_path, emb)
    assert ingest([archive], store, emb).ok
    search = HybridSearch(store, emb, check_every=3600)
    search.refresh()
    (archive / "005_hifu-lifting.txt").unlink()
    assert ingest([archive], store, emb, prune=True).ok  # the word index file follows at once
    assert search.indexed_revision != store.revision()  # the serving BM25 index still counts the post
    hits = search.search("does HIFU hurt", k=5)
    assert hits and {h.chunk.post_id for h in hits} == {"001_botox-jaw.txt"}


def test_a_word_index_of_an_older_format_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emb = FakeEmbeddings()
    store = _store(tmp_path, emb)
    assert ingest([_archive(tmp_path, "001_botox-jaw.txt")], store, emb).ok
    path = default_path(store)
    monkeypatch.setattr("askclinic.word_index.FORMAT", "4")
    with WordIndexFile(path) as words:
        assert words.counts() == (0, 0) and words.revision == ""
        assert words.sync(store).added == store.count()


def test_bm25_scores_are_those_of_bm25s() -> None:
    import bm25s

    from askclinic.chunking import chunk_post
    from askclinic.lexical import LexicalIndex, tokens
    from askclinic.reader import read_post

    texts = [c.text for p in sorted(SAMPLES.iterdir()) for c in chunk_post(read_post(p, SAMPLES))]
    ours = LexicalIndex(texts)
    docs = [tokens(t) for t in texts]
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in d] for d in docs]
    reference = bm25s.BM25()
    reference.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
    for question in ("how common is thread exposure after a thread lift", "swelling swelling days", "botox jaw"):
        query = tokens(question)
        expected = reference.get_scores([vocab[t] for t in query if t in vocab])
        found = dict(ours.search(query, len(texts)))
        assert found and all(abs(expected[i] - found.get(i, 0.0)) < 1e-4 for i in range(len(texts)))
        best = ours.search(query, 5)
        assert [i for i, _ in best] == sorted(found, key=lambda i: (-found[i], i))[:5]


def test_post_text_is_every_chunk_of_that_post_and_nothing_else(tmp_path: Path) -> None:
    emb = FakeEmbeddings()
    archive = _archive(tmp_path, "001_botox-jaw.txt", "005_hifu-lifting.txt")
    store = _store(tmp_path, emb)
    assert ingest([archive], store, emb).ok
    search = HybridSearch(store, emb)
    text = search.post_text("001_botox-jaw.txt")
    chunks = sorted((c for c in store.chunks() if c.post_id == "001_botox-jaw.txt"), key=lambda c: c.chunk_index)
    assert len(chunks) > 1
    assert all(c.text in text for c in chunks)
    assert text.index(chunks[0].text) < text.index(chunks[-1].text)
    assert not any(c.text in text for c in store.chunks() if c.post_id != "001_botox-jaw.txt")
    assert search.post_text("no-such-post.txt") == ""


def _refuse_full_reads(store: Store) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("read every chunk back from the store")

    store.chunks = refuse  # type: ignore[method-assign]
    store.chunk_fingerprints = refuse  # type: ignore[method-assign]


@pytest.fixture
def server(chroma_server: str) -> str:
    """The test Chroma server, emptied."""
    from askclinic.store import open_client

    client = open_client(chroma_server)
    for col in client.list_collections():
        client.delete_collection(getattr(col, "name", col))
    return chroma_server


@pytest.mark.server
def test_a_new_app_on_a_server_starts_from_the_published_word_index(server: str, tmp_path: Path) -> None:
    """Ingestion publishes the server's word index to the snapshot file; a new app's index starts
    from that file, so it reads no chunk back from the server, and later follows changes only."""
    from askclinic.factory import make_pipeline
    from askclinic.settings import Settings

    emb = FakeEmbeddings()
    archive = _archive(tmp_path, "003_thread-lift-aftercare.txt", "001_botox-jaw.txt")
    snapshot = tmp_path / "shared" / "words.sqlite3"
    writer = open_store(server, emb.model_id, write=True)
    assert ingest([archive], writer, emb, word_index_snapshot=snapshot).ok
    assert snapshot.is_file()

    settings = Settings(store=server, cache_dir=str(tmp_path / "app-cache"), word_index_snapshot=str(snapshot))
    pipeline = make_pipeline(settings, emb)  # type: ignore[arg-type]
    _refuse_full_reads(pipeline.search.store)
    hits = pipeline.search.search("how long does swelling last after a thread lift", k=3)
    assert hits and hits[0].lexical > 0
    assert pipeline.search.indexed_chunks == writer.count()

    # a post added later is fetched by itself, and the republished copy holds it
    shutil.copy(SAMPLES / "005_hifu-lifting.txt", archive / "005_hifu-lifting.txt")
    assert ingest([archive], writer, emb, word_index_snapshot=snapshot).new == ["005_hifu-lifting.txt"]
    pipeline.search.refresh(wait=True)
    assert pipeline.search.indexed_chunks == writer.count()
    mine = pipeline.search.words.path
    assert seed(mine, snapshot, writer.collection_id()) is False  # it is synced already: kept
    fresh = tmp_path / "fresh" / FILE_NAME
    assert seed(fresh, snapshot, writer.collection_id())
    with WordIndexFile(fresh) as words:
        assert words.counts() == (writer.count(), 3) and words.revision == writer.revision()


@pytest.mark.server
def test_a_snapshot_of_another_collection_is_not_used(server: str, tmp_path: Path) -> None:
    emb = FakeEmbeddings()
    snapshot = tmp_path / "words.sqlite3"
    writer = open_store(server, emb.model_id, write=True)
    assert ingest([_archive(tmp_path, "001_botox-jaw.txt")], writer, emb, word_index_snapshot=snapshot).ok
    old_id = writer.collection_id()
    writer.client.delete_collection(writer.name)  # the store is rebuilt: a new collection
    rebuilt = open_store(server, emb.model_id, write=True)
    (tmp_path / "b").mkdir()
    assert ingest([_archive(tmp_path / "b", "005_hifu-lifting.txt")], rebuilt, emb).ok
    assert rebuilt.collection_id() not in ("", old_id)

    mine = tmp_path / "app" / FILE_NAME
    assert seed(mine, snapshot, rebuilt.collection_id()) is False
    with WordIndexFile(mine) as words:
        words.sync(rebuilt)
        assert {c.post_id for c in words.all_chunks()} == {"005_hifu-lifting.txt"}


def test_a_damaged_snapshot_is_not_used_and_the_index_comes_from_the_store(tmp_path: Path) -> None:
    snapshot = tmp_path / "words.sqlite3"
    snapshot.write_bytes(b"not a database at all" * 100)
    assert seed(tmp_path / "app" / FILE_NAME, snapshot, "some-collection") is False
    assert not (tmp_path / "app" / FILE_NAME).exists()


@pytest.mark.server
def test_a_snapshot_that_cannot_be_written_is_a_warning_and_the_posts_are_in(server: str, tmp_path: Path) -> None:
    emb = FakeEmbeddings()
    (tmp_path / "a-file").write_text("not a folder")
    snapshot = tmp_path / "a-file" / "words.sqlite3"
    writer = open_store(server, emb.model_id, write=True)
    report = ingest([_archive(tmp_path, "001_botox-jaw.txt")], writer, emb, word_index_snapshot=snapshot)
    assert report.ok and report.new == ["001_botox-jaw.txt"] and writer.count() > 0
    (where, why), *_ = report.warnings
    assert where == str(snapshot) and "could not be written" in why


def test_hits_are_ranked_by_reciprocal_rank_fusion_of_meaning_and_words(tmp_path: Path) -> None:
    """Each list a chunk is found in adds 1 / (60 + its rank there, from 1): a chunk first by
    meaning and first by words scores 2/61; one found by meaning alone, 1/61."""
    emb = FakeEmbeddings()
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "001_swelling.txt").write_text(
        "AI-translated archive post\n\nSwelling\n\nSwelling after a thread lift lasts 7 to 10 days.\n", encoding="utf-8"
    )
    store = _store(tmp_path, emb)
    assert ingest([folder], store, emb).ok and store.count() == 1
    search = HybridSearch(store, emb)
    [hit] = search.search("how long does swelling last after a thread lift", k=3)
    assert hit.lexical > 0 and hit.score == pytest.approx(2 / 61, abs=1e-12)
    [alone] = search.search("botox", k=3)  # no word in common: found by meaning alone
    assert alone.lexical == 0 and alone.score == pytest.approx(1 / 61, abs=1e-12)
    q, d = emb.embed_query("botox"), emb.embed_documents([alone.chunk.text])[0]  # unit vectors
    assert alone.similarity == pytest.approx(sum(a * b for a, b in zip(q, d, strict=True)), abs=1e-5)


def test_a_running_search_looks_at_the_store_at_most_once_per_interval(tmp_path: Path) -> None:
    emb = FakeEmbeddings()
    store = _store(tmp_path, emb)
    assert ingest([_archive(tmp_path, "001_botox-jaw.txt")], store, emb).ok
    search = HybridSearch(store, emb, check_every=3600)
    search.refresh()
    looked: list[str] = []
    revision = store.revision
    store.revision = lambda: looked.append("revision") or revision()  # type: ignore[method-assign]
    for _ in range(3):
        search.search("does botox hurt", k=3)
    assert looked == []  # within the hour after the index was built: no look at all


def test_a_failed_background_rebuild_is_logged_and_the_old_index_keeps_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    search, _, before = _served_then_changed(tmp_path)

    def broken(store: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(search.words, "sync", broken)
    with caplog.at_level(logging.ERROR, logger="askclinic"):
        search.refresh()
        assert search._builder is not None
        search._builder.join(10)
    assert [r.getMessage() for r in caplog.records] == [
        "rebuilding the word index failed; the previous one keeps serving"
    ]
    assert search.index is before and search.search("how long does jaw botox last", k=3)
