"""The safety tables: every pattern compiles, and the clinician's example questions are classified."""

from __future__ import annotations

from pathlib import Path

import pytest

from askclinic.errors import ConfigError
from askclinic.safety import load_safety
from askclinic.types import Status

CASES = [
    line.split("|", 1)
    for line in (Path(__file__).parent / "data" / "safety_cases.txt").read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.fixture(scope="module")
def gate():
    return load_safety()


@pytest.mark.parametrize(("expected", "question"), CASES, ids=[q[:40] for _, q in CASES])
def test_safety_case(gate, expected: str, question: str) -> None:
    verdict = gate.check(question)
    if expected == "none":
        assert verdict is None, f"false alarm: {verdict}"
    else:
        status = expected.split(":")[0]
        assert verdict is not None and verdict.status is Status(status)


def test_a_broken_pattern_names_the_rule(tmp_path: Path) -> None:
    bad = tmp_path / "safety.yaml"
    bad.write_text("urgent:\n  - label: fever\n    en: ['(unclosed']\n")
    with pytest.raises(ConfigError, match="urgent 'fever': bad pattern"):
        load_safety(bad)


def test_a_table_without_urgent_rules_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "safety.yaml"
    empty.write_text("refused: []\n")
    with pytest.raises(ConfigError, match="no urgent rules"):
        load_safety(empty)
