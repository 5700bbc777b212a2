"""The fixed disclaimer, exactly, on every status and every surface: Answer, JSON, CLI, web chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from askclinic.cli import app
from askclinic.safety import DISCLAIMER
from askclinic.types import Status

QUESTIONS = {
    Status.ANSWERED: "How common is thread exposure?",
    Status.ABSTAINED: "What is the capital of France?",
    Status.URGENT: "I have a fever and chills after my thread lift",
    Status.REFUSED: "How many mg of ibuprofen should I take?",
}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("status", list(QUESTIONS), ids=lambda s: s.value)
def test_the_disclaimer_is_the_fixed_text_everywhere(
    status: Status, pipeline, built_store: str, tmp_path: Path
) -> None:
    from askclinic.feedback import FeedbackStore
    from askclinic.webapp import ChatApp, Conversation

    question = QUESTIONS[status]
    answer = pipeline.answer(question)
    assert answer.status is status
    assert answer.disclaimer == DISCLAIMER  # added by code, never generated
    assert answer.to_dict()["disclaimer"] == DISCLAIMER
    assert DISCLAIMER not in answer.answer  # the body never carries it twice
    plain = CliRunner().invoke(app, ["ask", question, "--store", built_store])
    assert plain.exit_code == 0, plain.output
    assert flat(DISCLAIMER) in flat(plain.output)
    as_json = CliRunner().invoke(app, ["ask", question, "--store", built_store, "--json"])
    assert f'"disclaimer": "{DISCLAIMER}"' in as_json.output
    text, _ = ChatApp(pipeline, FeedbackStore(tmp_path / "f.sqlite3")).chat(question, Conversation())
    assert DISCLAIMER in text
