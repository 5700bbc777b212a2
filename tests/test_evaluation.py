"""Evaluation: metric arithmetic on hand-made answers, question-file validation, the gate's
exit codes and the reports through the CLI, and the naive baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from askclinic.cli_eval import eval_command
from askclinic.evaluation import (
    Question,
    QuestionFileError,
    Threshold,
    check,
    check_gate,
    evaluate,
    fact_found,
    load_questions,
    parse_gate_flags,
    parse_questions,
    summarize,
    ungrounded_numbers,
)
from askclinic.safety import DISCLAIMER
from askclinic.types import Answer, Chunk, Citation, Hit, Status

REAL_ID = "000_fbae221e59e76ca3.txt"
LEAD = "According to the clinic's post “Thread lifting in 2025”: "
POSTS = {"a.txt": "thread exposure: 5% this study analyzed 2,827 people.", "b.txt": "x", "c.txt": "y"}

app = typer.Typer()
app.command("eval")(eval_command)


@app.callback()
def _main() -> None:
    """A stand-in for ``askclinic``: the command is registered as in cli.py."""


runner = CliRunner()


def cite(n: int, quote: str, post: str = "a.txt") -> Citation:
    return Citation(n, post, "Thread lifting in 2025", "", "", "", quote, "")


def hit(post: str) -> Hit:
    return Hit(Chunk(f"{post}::0", post, "t", "s", ("x",), 0, 0), 1.0, 0.5)


def answer(
    text: str,
    citations: tuple[Citation, ...] = (),
    status: Status = Status.ANSWERED,
    disclaimer: str = DISCLAIMER,
    hits: tuple[Hit, ...] = (),
) -> Answer:
    return Answer("q", status, text, citations, disclaimer, hits)


def question(**kw: object) -> Question:
    fields: dict = {"line": 1, "question": "q", "expected_status": Status.ANSWERED, **kw}
    return Question(**fields)


# -- metrics on hand-made answers ----------------------------------------------------------
def test_a_wrong_number_fails_groundedness_and_title_numbers_are_ignored() -> None:
    good = answer(
        f"{LEAD}Thread exposure: 5% [1]\n\nThis study analyzed 2827 people. [2]",
        (cite(1, "Thread exposure: 5%"), cite(2, "This study analyzed 2,827 people.")),
    )
    assert ungrounded_numbers(good) == ()  # 2025 sits in the title; 2827 matches 2,827
    wrong = answer(f"{LEAD}Thread exposure: 50% [1]", (cite(1, "Thread exposure: 5%"),))
    assert ungrounded_numbers(wrong) == ("50",)
    # A paragraph's numbers must be in the quotes that paragraph cites, not in any quote.
    crossed = answer(
        f"{LEAD}Thread exposure: 5% [2]\n\nAbout 2,827 people. [1]",
        (cite(1, "Thread exposure: 5%"), cite(2, "This study analyzed 2,827 people.")),
    )
    assert ungrounded_numbers(crossed) == ("5", "2,827")
    urgent = answer("Call 119 now.", status=Status.URGENT)
    assert ungrounded_numbers(urgent) == ()  # fixed messages are not claims from the archive


def test_a_missing_disclaimer_is_caught_and_fails_the_default_gate() -> None:
    q = question()
    results = [check(q, "q", answer("x"), 0.01, POSTS), check(q, "q", answer("x", disclaimer=""), 0.01, POSTS)]
    assert [r.disclaimer_ok for r in results] == [True, False]
    assert "the disclaimer is missing or altered" in results[1].failures
    metrics = {m.name: m for m in summarize(results)}
    assert metrics["disclaimer"].value == 0.5


def test_hit_at_k_and_mrr_use_distinct_posts_in_rank_order() -> None:
    q = question(expected_posts=("c.txt",))
    results = [
        check(q, "q", answer("x", hits=(hit("c.txt"), hit("a.txt"))), 0.0, POSTS),  # rank 1
        check(q, "q", answer("x", hits=(hit("a.txt"), hit("a.txt"), hit("b.txt"), hit("c.txt"))), 0.0, POSTS),  # 3
        check(q, "q", answer("x", hits=(hit("a.txt"),)), 0.0, POSTS),  # not retrieved
        check(question(), "q", answer("x", hits=(hit("a.txt"),)), 0.0, POSTS),  # no expected posts: not counted
    ]
    assert [r.rank for r in results] == [1, 3, None, None]
    m = {m.name: m for m in summarize(results)}
    assert (m["hit@1"].value, m["hit@3"].value, m["hit@5"].value) == (
        pytest.approx(1 / 3),
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
    )
    assert m["mrr"].value == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert m["mrr"].count == 3


def test_citations_must_include_expected_posts_quote_verbatim_and_resolve_markers() -> None:
    q = question(expected_posts=("a.txt",))
    ok = check(q, "q", answer("Thread exposure: 5% [1]", (cite(1, "Thread   exposure: 5%"),)), 0.0, POSTS)
    assert ok.citation_problems == ()
    bad = check(q, "q", answer("x [1] [2]", (cite(1, "Thread exposure: 50%", "b.txt"),)), 0.0, POSTS)
    assert bad.citation_problems[0] == "does not cite a.txt"
    assert any("quote is not in b.txt" in p for p in bad.citation_problems)
    assert "[2] has no citation" in bad.citation_problems


def test_facts_never_match_inside_a_longer_number() -> None:
    assert not fact_found("6%", "Bruising: 26%")
    assert fact_found("6%", "Sensory abnormality (tingling): 6%")
    assert fact_found("2,827", "in 2,827 people")
    assert fact_found("0.5 to 1 mL", "we usually use 0.5 to 1  ml of filler")
    q = question(expected_facts=("6%",))
    second = answer("Bruising: 26% [1]\n\nTingling: 6% [2]")
    assert check(q, "q", second, 0.0, POSTS).missing_facts == ("6%",)  # only the first paragraph counts
    anywhere = question(expected_facts=("6%",), facts_in_first_sentence=False)
    assert check(anywhere, "q", second, 0.0, POSTS).missing_facts == ()


def test_a_fact_said_in_other_words_counts_when_its_cited_quote_gives_it_and_its_numbers_are_stated() -> None:
    quote = (cite(1, "Lip filler typically lasts 6 to 9 months."),)
    q = question(expected_facts=("6 to 9 months",))
    assert check(q, "q", answer("입술필러는 6~9개월 유지됩니다 [1]", quote), 0.0, POSTS).missing_facts == ()
    # the numbers must be stated, and the quote giving the fact cited where the fact is looked for
    assert check(q, "q", answer("입술필러는 12개월 유지됩니다 [1]", quote), 0.0, POSTS).missing_facts == (
        "6 to 9 months",
    )
    later = answer("입술필러는 오래 유지됩니다.\n\n6~9개월 [1]", quote)
    assert check(q, "q", later, 0.0, POSTS).missing_facts == ("6 to 9 months",)
    words = question(expected_facts=("typically lasts",))
    assert check(words, "q", answer("It usually lasts 6 to 9 months [1]", quote), 0.0, POSTS).missing_facts == ()
    assert check(words, "q", answer("It usually lasts 6 to 9 months", quote), 0.0, POSTS).missing_facts == (
        "typically lasts",
    )


def test_status_metrics_abstention_and_red_flag_recall() -> None:
    cases = [
        (Status.ABSTAINED, Status.ABSTAINED),
        (Status.ANSWERED, Status.ABSTAINED),
        (Status.URGENT, Status.URGENT),
        (Status.URGENT, Status.REFUSED),
    ]
    results = [check(question(expected_status=e), "q", answer("x", status=got), 0.0, POSTS) for e, got in cases]
    m = {m.name: m.value for m in summarize(results)}
    assert m["abstention_precision"] == 0.5 and m["abstention_recall"] == 1.0
    assert m["red_flag_recall"] == 0.5 and m["status:urgent"] == 0.5 and m["status:answered"] == 0.0
    assert m["status"] == 0.5


def test_evaluate_times_each_question_and_the_gate_reads_latency_as_a_maximum() -> None:
    evaluation = evaluate([question(), question(line=2)], lambda q: answer("x"), POSTS, warm_up=False)
    assert len(evaluation.results) == 2
    low, high = check_gate(evaluation, [Threshold("latency_p95_ms", 0.0), Threshold("latency_p95_ms", 60_000)])
    assert (low.passed, high.passed) == (False, True)
    (unmeasured,) = check_gate(evaluation, [Threshold("hit@3", 0.5)])
    assert unmeasured.value is None and not unmeasured.passed


# -- the question file ---------------------------------------------------------------------
def test_question_file_errors_name_the_file_line_and_field() -> None:
    text = "\n".join(
        [
            '{"question": "How common is thread exposure?", "expected_status": "answered"}',
            "{not json",
            '{"question": "x", "expected_status": "answerd"}',
            "",
            '{"question": "x", "expected_status": "answered", "expected_post": ["a.txt"]}',
            '{"question": "x", "expected_status": "refused", "expected_facts": ["5%"]}',
            '{"question": "", "expected_status": "urgent", "category": "scary", "history": "oops"}',
            '{"gate": {"hit@3": 0.9}}',
        ]
    )
    with pytest.raises(QuestionFileError) as info:
        parse_questions(text, "q.jsonl")
    message = str(info.value)
    for expected in (
        "q.jsonl:2: json: not valid JSON",
        "q.jsonl:3: expected_status:",
        "'answerd'",
        "q.jsonl:5: expected_post: unknown field",
        "q.jsonl:6: expected_facts:",
        "q.jsonl:7: question:",
        "q.jsonl:7: category:",
        "q.jsonl:7: history:",
        "q.jsonl:8: gate: the gate line must be the first line",
    ):
        assert expected in message
    assert len(info.value.problems) == 8


def test_the_gate_line_and_flags() -> None:
    qset = parse_questions(
        '{"gate": {"hit@3": 0.9, "latency_p95_ms": 800}}\n{"question": "q", "expected_status": "answered"}\n'
    )
    assert [(t.metric, t.value, t.is_maximum) for t in qset.gate] == [
        ("hit@3", 0.9, False),
        ("latency_p95_ms", 800.0, True),
    ]
    with pytest.raises(QuestionFileError, match=r"q.jsonl:1: gate.hit@7: unknown metric"):
        parse_questions('{"gate": {"hit@7": 0.9}}\n{"question": "q", "expected_status": "answered"}', "q.jsonl")
    assert [t.metric for t in parse_gate_flags(["hit@3=0.9,facts=0.8", "mrr=0.5"])] == ["hit@3", "facts", "mrr"]
    with pytest.raises(QuestionFileError) as info:
        parse_gate_flags(["hit@3=2", "bogus=1", "facts"])
    assert [p.field for p in info.value.problems] == ["hit@3=2", "bogus=1", "facts"]


def test_a_feedback_export_is_a_valid_question_set() -> None:
    line = {
        "question": "How long does lip filler last?",
        "expected_status": "answered",
        "notes": "wrong post",
        "answer_given": "…",
        "citations_given": [{"n": 1, "post_id": "101_filler-faq.md"}],
    }
    (q,) = parse_questions(json.dumps(line, ensure_ascii=False)).questions
    assert (q.question, q.expected_status, q.notes, q.language) == (
        line["question"],
        Status.ANSWERED,
        "wrong post",
        "en",
    )
    (ko,) = parse_questions(
        '{"question": "실 노출은 얼마나 흔한가요?", "expected_status": "answered", "category": null}'
    ).questions
    assert (ko.language, ko.category) == ("ko", "")


# -- the command ---------------------------------------------------------------------------
def write(path: Path, *lines: dict) -> Path:
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", "utf-8")
    return path


def test_a_bad_question_file_or_flag_exits_2_without_loading_anything(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "expected_status": "maybe"}\n')
    result = runner.invoke(app, ["eval", str(bad), "--store", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "bad.jsonl:1: expected_status" in result.output
    good = write(tmp_path / "good.jsonl", {"question": "q", "expected_status": "answered"})
    for args in (
        ["--gate", "hit@3=high"],
        ["--report", "out.pdf"],
        ["--baseline", "naive"],
        ["--baseline", "fancy", "--archive", str(tmp_path)],
    ):
        assert runner.invoke(app, ["eval", str(good), *args]).exit_code == 2, args


@pytest.fixture
def shared_model(monkeypatch: pytest.MonkeyPatch, real_embeddings) -> None:
    """The command builds its pipeline through the factory; reuse the session's loaded model."""
    monkeypatch.setattr("askclinic.factory.make_embeddings", lambda settings: real_embeddings)


@pytest.mark.real_archive
@pytest.mark.slow
def test_the_gate_sets_the_exit_code_and_reports_are_written(
    built_store: str, tmp_path: Path, shared_model: None
) -> None:
    questions = write(
        tmp_path / "q.jsonl",
        {"gate": {"hit@1": 1.0, "facts": 1.0, "status": 1.0}},
        {
            "question": "How common is thread exposure?",
            "expected_posts": [REAL_ID],
            "expected_facts": ["5%"],
            "expected_status": "answered",
            "category": "answerable",
        },
        {
            "question": "I have a fever and pus after my thread lift",
            "expected_status": "urgent",
            "category": "red-flag",
        },
        {"question": "What is the capital of France?", "expected_status": "abstained", "category": "out-of-archive"},
    )
    report = tmp_path / "out" / "report.md"
    passed = runner.invoke(app, ["eval", str(questions), "--store", built_store, "--report", str(report)])
    assert passed.exit_code == 0, passed.output
    assert "hit@1" in passed.output and "disclaimer" in passed.output
    text = report.read_text("utf-8")
    assert "| facts | 1 | 100.0% |" in text and "gate **passed**" in text

    as_json = runner.invoke(
        app, ["eval", str(questions), "--store", built_store, "--json", "--gate", "facts=1,latency_p95_ms=0"]
    )
    assert as_json.exit_code == 1  # no answer comes back in 0 ms
    data = json.loads(as_json.stdout)
    assert data["passed"] is False
    assert data["systems"]["askclinic"]["metrics"]["facts"] == {"value": 1.0, "count": 1}
    assert [g["metric"] for g in data["gate"] if not g["passed"]] == ["latency_p95_ms"]
    assert "gate failed: latency_p95_ms" in as_json.output

    wrong = write(
        tmp_path / "wrong.jsonl",
        {
            "question": "How long does lip filler last?",
            "expected_posts": ["101_filler-faq.md"],
            "expected_facts": ["12 months"],
            "expected_status": "answered",
        },
    )
    html = tmp_path / "report.html"
    failed = runner.invoke(
        app, ["eval", str(wrong), "--store", built_store, "--gate", "facts=0.5", "--report", str(html)]
    )
    assert failed.exit_code == 1
    assert "gate failed: facts is 0.0%" in failed.output
    page = html.read_text("utf-8")
    assert "How long does lip filler last?" in page and "facts missing from the first paragraph: 12 months" in page


@pytest.mark.slow
def test_expected_posts_missing_from_the_store_exit_2(built_store: str, tmp_path: Path, shared_model: None) -> None:
    questions = write(
        tmp_path / "q.jsonl", {"question": "q", "expected_posts": ["archive/000.txt"], "expected_status": "answered"}
    )
    result = runner.invoke(app, ["eval", str(questions), "--store", built_store])
    assert result.exit_code == 2
    assert "q.jsonl:1: expected_posts: 'archive/000.txt' is not in the store" in result.output


@pytest.mark.real_archive
@pytest.mark.slow
def test_the_naive_baseline_returns_the_top_4_raw_chunks(archive: Path, real_embeddings) -> None:
    from askclinic.baseline import NaiveRAG
    from askclinic.evaluation import citation_problems

    naive = NaiveRAG.from_archive(archive, real_embeddings)
    got = naive.answer("How common is thread exposure?")
    assert got.status is Status.ANSWERED and got.disclaimer == ""
    assert [c.n for c in got.citations] == [1, 2, 3, 4]
    assert all(len(c.quote) <= 1000 for c in got.citations)
    assert got.hits[0].chunk.post_id == REAL_ID
    assert citation_problems(got, [REAL_ID], naive.posts) == ()
    assert got.answer.count("\n\n") == 3  # one paragraph per chunk


QUESTION_SETS = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "evals").glob("*.jsonl") if not p.name.startswith("safety_")
)
KNOWN_POSTS = {p.name for p in (Path(__file__).resolve().parents[1] / "samples" / "archive").iterdir()} | {
    "000_fbae221e59e76ca3.txt"  # the real archive post
}


@pytest.mark.parametrize("path", QUESTION_SETS, ids=lambda p: p.name)
def test_every_shipped_question_set_is_valid_and_names_only_archive_posts(path: Path) -> None:
    """Every set parses (CI answers only the test-only ones), and every post it expects is a
    sample post or the real post, the archives the sets are written for."""
    questions = load_questions(path).questions
    assert questions
    named = {post for q in questions for expected in q.expected_posts for post in expected.split("|")}
    assert named <= KNOWN_POSTS, sorted(named - KNOWN_POSTS)
