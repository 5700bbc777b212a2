"""Stores that cannot answer: empty, or built with another embedding model."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeEmbeddings

from askclinic.errors import EmptyStoreError, ModelMismatchError
from askclinic.ingestion import ingest
from askclinic.pipeline import AskPipeline
from askclinic.retrieval import HybridSearch
from askclinic.store import open_store


def test_an_empty_store_says_to_run_ingest(tmp_path: Path, fake_embeddings) -> None:
    pipeline = AskPipeline(HybridSearch(open_store(str(tmp_path / "s"), "fake-sha256"), fake_embeddings))
    with pytest.raises(EmptyStoreError, match="run 'askclinic ingest PATH' first"):
        pipeline.answer("How common is thread exposure?")


def test_a_store_built_with_another_model_says_to_rebuild(tmp_path: Path, archive: Path) -> None:
    old = FakeEmbeddings("old-model")
    ingest([archive], open_store(str(tmp_path / "s"), old.model_id), old)
    new = FakeEmbeddings("new-model")
    pipeline = AskPipeline(HybridSearch(open_store(str(tmp_path / "s"), new.model_id), new))
    with pytest.raises(ModelMismatchError, match="built with the embedding model old-model"):
        pipeline.answer("How common is thread exposure?")


def test_the_cli_turns_store_errors_into_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from askclinic.cli import app

    result = CliRunner().invoke(app, ["ask", "How common is thread exposure?", "--store", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "holds no posts yet" in result.output
    assert "Traceback" not in result.output


def test_the_empty_store_message_names_the_store_or_says_it_is_the_configured_one(tmp_path: Path) -> None:
    import chromadb

    from askclinic.store import Store

    folder = tmp_path / "s"
    with pytest.raises(EmptyStoreError) as empty:
        open_store(str(folder), "fake-sha256").query([0.0] * 32, 3)
    assert str(empty.value) == f"the store at {folder} holds no posts yet; run 'askclinic ingest PATH' first"
    # a store whose last post was removed: its collection is there, and empty
    emptied = tmp_path / "emptied"
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "one.md").write_text("# One post\n\nSwelling lasts 7 to 10 days.\n", encoding="utf-8")
    embeddings = FakeEmbeddings()
    assert ingest([archive], open_store(str(emptied), embeddings.model_id), embeddings).new == ["one.md"]
    (archive / "one.md").unlink()
    assert ingest([archive], open_store(str(emptied), embeddings.model_id), embeddings, prune=True).removed
    with pytest.raises(EmptyStoreError) as empty:
        open_store(str(emptied), embeddings.model_id).query([0.0] * 32, 3)
    assert str(empty.value) == f"the store at {emptied} holds no posts yet; run 'askclinic ingest PATH' first"
    in_memory = Store(chromadb.EphemeralClient(), "fake-sha256")
    with pytest.raises(EmptyStoreError) as empty:
        in_memory.query([0.0] * 32, 3)
    assert str(empty.value) == "the store at the configured store holds no posts yet; run 'askclinic ingest PATH' first"
