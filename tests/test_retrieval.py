"""Hybrid retrieval: the LangChain standard retriever suite, fusion and per-section limits."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from askclinic.glossary import is_korean, load_glossary
from askclinic.retrieval import ArchiveRetriever, HybridSearch

_SEARCH: HybridSearch | None = None


@pytest.fixture(autouse=True, scope="module")
def _search(pipeline) -> None:
    """The standard suite builds retrievers from a property, so share the session's search."""
    global _SEARCH
    _SEARCH = pipeline.search


class TestStandardRetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[ArchiveRetriever]:
        return ArchiveRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"search": _SEARCH}

    @property
    def retriever_query_example(self) -> str:
        return "How common is thread exposure?"


def test_documents_carry_metadata_and_scores(pipeline) -> None:
    docs = ArchiveRetriever(search=pipeline.search, k=3).invoke("How long does lip filler last?")
    assert docs[0].metadata["post_id"] == "101_filler-faq.md"
    assert {"title", "section", "published", "score", "similarity"} <= set(docs[0].metadata)
    hits = pipeline.search.search("How long does lip filler last?", 3)
    assert [d.id for d in docs] == [h.chunk.chunk_id for h in hits]  # a document is known by its chunk's id


def test_a_search_gives_five_hits_unless_told_otherwise(pipeline) -> None:
    assert len(pipeline.search.search("How long does lip filler last?")) == 5
    assert len(pipeline.search.search("How long does lip filler last?", 2)) == 2


def test_one_section_cannot_crowd_out_the_rest(pipeline) -> None:
    hits = pipeline.search.search("thread lifting side effects bruising swelling infection", k=8)
    per_section: dict[tuple[str, int], int] = {}
    for h in hits:
        key = (h.chunk.post_id, h.chunk.section_index)
        per_section[key] = per_section.get(key, 0) + 1
    assert max(per_section.values()) <= pipeline.search.per_section
    assert len({h.chunk.post_id for h in hits}) >= 2


@pytest.mark.parametrize(
    ("english", "korean"),
    [
        ("How long does swelling last after a thread lift?", "실리프팅 후 붓기는 얼마나 가나요?"),
        ("How long does lip filler last?", "입술 필러는 얼마나 오래 가나요?"),
        ("How far apart are laser toning sessions for melasma?", "기미 레이저 토닝은 몇 주 간격으로 받나요?"),
        ("How common is thread exposure?", "실 노출은 얼마나 흔한가요?"),
    ],
)
def test_korean_questions_find_the_same_posts_as_english(pipeline, english: str, korean: str) -> None:
    en = [h.chunk.post_id for h in pipeline.search.search(english, k=3)]
    ko = [h.chunk.post_id for h in pipeline.search.search(korean, k=3)]
    assert en[0] == ko[0]


def test_glossary_takes_the_longest_form_left_to_right() -> None:
    g = load_glossary()
    assert g.translate("기미 레이저 토닝은 몇 회 받아야 하나요?") == "melasma laser toning how many sessions"
    assert "hifu" in g.translate("HIFU는 아픈가요?")
    assert is_korean("실 노출은 얼마나 흔한가요?") and not is_korean("How common is HIFU pain?")


@pytest.mark.parametrize("candidates", [None, 4], ids=["as-shipped", "4-candidates"])
@pytest.mark.parametrize(
    "question", ["thread lifting side effects bruising swelling infection", "how many laser toning sessions"]
)
def test_hits_are_ranked_by_reciprocal_rank_fusion_of_both_lists(
    pipeline, monkeypatch: pytest.MonkeyPatch, question: str, candidates: int | None
) -> None:
    """Each hit's score is the sum of 1/(60 + rank) over the meaning and the keyword lists it is
    in (rank from 1); its similarity is the meaning list's (0 when only the keywords found it);
    the best scores are kept, at most ``per_section`` of a section. With few candidates per list
    (as with an archive far larger than this one) some hits are in one list only."""
    from collections import Counter

    from askclinic import retrieval
    from askclinic.lexical import tokens

    if candidates is not None:
        monkeypatch.setattr(retrieval, "CANDIDATES", candidates)
    CANDIDATES, RRF_K = retrieval.CANDIDATES, retrieval.RRF_K
    search = pipeline.search
    hits, vector = search.search_with_vector(question, k=12)
    dense = search.store.query(vector, CANDIDATES)
    rows = search._serving.rows
    found = search.index.search(tokens(search.prepare(question).text), CANDIDATES)
    by_row = search.words.chunks([rows[i] for i, _ in found])
    fused: Counter[str] = Counter()
    similarity: dict[str, float] = {}
    for rank, (chunk, sim) in enumerate(dense, 1):
        fused[chunk.chunk_id] += 1 / (RRF_K + rank)
        similarity[chunk.chunk_id] = sim
    for rank, (i, _) in enumerate(found, 1):
        fused[by_row[rows[i]].chunk_id] += 1 / (RRF_K + rank)
    for hit in hits:
        assert hit.score == pytest.approx(fused[hit.chunk.chunk_id])
        assert hit.similarity == pytest.approx(similarity.get(hit.chunk.chunk_id, 0.0))
    if candidates is not None:
        assert any(h.chunk.chunk_id not in similarity for h in hits)  # found by its words alone
    sections = Counter((h.chunk.post_id, h.chunk.section_index) for h in hits)
    assert max(sections.values()) <= search.per_section
    weakest = min(h.score for h in hits)
    kept = {h.chunk.chunk_id for h in hits}
    for chunk_id, score in fused.items():  # a better-scored chunk left out was over its section's cap
        if chunk_id not in kept and score > weakest:
            chunk = next(c for c, _ in dense if c.chunk_id == chunk_id) if chunk_id in similarity else None
            if chunk is not None:
                assert sections[(chunk.post_id, chunk.section_index)] == search.per_section
