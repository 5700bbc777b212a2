"""Mutation testing: how many small deliberate bugs in the product's modules the tests catch.

Runs ``mutmut`` (configured under ``[tool.mutmut]`` in ``pyproject.toml``: the modules that carry
the product's promises, each mutant checked by the tests that cover the function it changes),
then prints the kill rate per module. Mutants listed in ``benchmarks/mutation-equivalent.txt``
(one ``name: reason`` per line, for changes no test can see because the behaviour is the same)
are left out of the rate. Survivors are written to ``benchmarks/results/mutation-survivors.txt``
for review: each one gets a test, or a line in the equivalent list.

    python benchmarks/mutation.py                      # every configured module (hours)
    python benchmarks/mutation.py followup safety      # some modules (minutes each)

It is slow (each mutant is a pytest run), so it is not part of CI.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "benchmarks" / "mutation-equivalent.txt"
SURVIVORS = ROOT / "benchmarks" / "results" / "mutation-survivors.txt"
_RESULT = re.compile(r"^\s*askclinic\.(?P<module>\w+)\.(?P<name>\S+): (?P<status>.+?)\s*$")


def equivalent() -> set[str]:
    """Mutant names reviewed as equivalent (no observable change), without their reasons."""
    if not EQUIVALENT.exists():
        return set()
    lines = [line.split(":", 1)[0].strip() for line in EQUIVALENT.read_text("utf-8").splitlines()]
    return {line for line in lines if line and not line.startswith("#")}


def run(modules: list[str]) -> None:
    patterns = [f"askclinic.{m}.*" for m in modules]
    subprocess.run([sys.executable, "-m", "mutmut", "run", *patterns], cwd=ROOT, check=True)


def results() -> dict[str, Counter[str]]:
    """Per module: how many mutants were killed, survived, had no test, timed out, ..."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    skip = equivalent()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors = []
    for line in out.splitlines():
        m = _RESULT.match(line)
        if not m:
            continue
        full = f"askclinic.{m['module']}.{m['name']}"
        status = "equivalent" if full in skip else m["status"]
        counts[m["module"]][status] += 1
        if status in ("survived", "no tests"):
            survivors.append(f"{full}: {status}")
    SURVIVORS.parent.mkdir(parents=True, exist_ok=True)
    SURVIVORS.write_text("\n".join(survivors) + "\n", "utf-8")
    return counts


def main(modules: list[str]) -> None:
    run(modules)
    table = Table(title="mutation testing: kill rate per module (equivalent mutants left out)")
    for col in ("module", "mutants", "killed", "timeout", "survived", "no tests", "equivalent", "kill rate"):
        table.add_column(col)
    for module, c in sorted(results().items()):
        if modules and module not in modules:
            continue
        counted = sum(c.values()) - c["equivalent"] - c["not checked"]
        caught = c["killed"] + c["timeout"]
        rate = f"{caught / counted:.1%}" if counted else "-"
        table.add_row(
            module,
            str(sum(c.values())),
            str(c["killed"]),
            str(c["timeout"]),
            str(c["survived"]),
            str(c["no tests"]),
            str(c["equivalent"]),
            rate,
        )
    Console().print(table)
    Console().print(f"survivors and untested mutants: {SURVIVORS.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
