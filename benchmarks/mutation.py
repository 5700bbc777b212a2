"""Mutation testing: how many small deliberate bugs in the product's modules the tests catch.

Runs ``mutmut`` (configured under ``[tool.mutmut]`` in ``pyproject.toml``: the modules that carry
the product's promises, each mutant checked by the tests that cover the function it changes),
then prints the kill rate per module. Mutants listed in ``benchmarks/mutation-equivalent.txt``
(one ``name: reason`` per line, for changes no test can see because the behaviour is the same)
are left out of the rate. Survivors are written to ``benchmarks/results/mutation-survivors.txt``
for review: each one gets a test, or a line in the equivalent list.

    python benchmarks/mutation.py                      # every configured module (many hours)
    python benchmarks/mutation.py followup safety      # some modules (an hour or more each)
    python benchmarks/mutation.py --sample 60          # 60 random mutants per module

A surviving mutant runs every test that covers its function, up to two minutes for the
answering code, so a whole module can take longer than a working day. ``--sample N`` checks N
mutants per module drawn at random (``--seed`` fixes the draw) and reports the kill rate of the
sample with its 95% (Wilson) interval: an estimate of the whole module's rate, in a fraction of
the time. It is slow either way, so it is not part of CI.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import random
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
RECHECKED = ROOT / "benchmarks" / "results" / "mutation-rechecked.json"
MUTANTS = ROOT / "mutants"
_RESULT = re.compile(r"^\s*askclinic\.(?P<module>\w+)\.(?P<name>\S+): (?P<status>.+?)\s*$")
# Matches no mutant: mutmut creates the mutants and maps tests to functions, then stops.
_GENERATE_ONLY = "askclinic.__generate_only__"


def equivalent() -> set[str]:
    """Mutant names reviewed as equivalent (no observable change), without their reasons."""
    if not EQUIVALENT.exists():
        return set()
    lines = [line.split(":", 1)[0].strip() for line in EQUIVALENT.read_text("utf-8").splitlines()]
    return {line for line in lines if line and not line.startswith("#")}


def mutmut(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=ROOT, check=check, capture_output=True, text=True
    )


def statuses() -> dict[str, str]:
    """Every generated mutant's full name and its status (killed, survived, not checked, ...)."""
    out = mutmut("results", "--all", "true").stdout
    found = (_RESULT.match(line) for line in out.splitlines())
    return {f"askclinic.{m['module']}.{m['name']}": m["status"] for m in found if m}


def module_of(name: str) -> str:
    return name.split(".")[1]


def generate() -> None:
    """Bring mutmut's copy of the source (and its mutants) up to date, testing nothing."""
    mutmut("run", _GENERATE_ONLY, check=False)  # fails on purpose once the mutants exist


def sample(modules: list[str], size: int, seed: int) -> list[str]:
    """``size`` mutants per module, drawn at random from the mutants of the current source."""
    generate()
    by_module: dict[str, list[str]] = defaultdict(list)
    for name in sorted(statuses()):
        by_module[module_of(name)].append(name)
    missing = [m for m in modules if m not in by_module]
    if missing:
        sys.exit(f"no mutants for {', '.join(missing)}: is the module listed under [tool.mutmut] only_mutate?")
    draw = random.Random(seed)
    chosen: list[str] = []
    for module in modules or sorted(by_module):
        names = by_module[module]
        chosen += draw.sample(names, min(size, len(names)))
    return chosen


def _test_files(name: str) -> list[str]:
    """The test files to recheck a mutant with: the module's own test file first, then the files
    of the tests mutmut chose for its function (most chosen first), then every other test file
    that imports its module (``-x`` stops at the first failure, so the likeliest go first)."""
    from mutmut.utils.format_utils import mangled_name_from_mutant_name

    stats = json.loads((MUTANTS / "mutmut-stats.json").read_text("utf-8"))
    chosen = stats["tests_by_mangled_function_name"].get(mangled_name_from_mutant_name(name), [])
    module = module_of(name)
    imports = re.compile(rf"askclinic\.{module}\b|from askclinic import [^\n]*\b{module}\b")
    files = [f"tests/test_{module}.py"] if (ROOT / "tests" / f"test_{module}.py").exists() else []
    files += [f for f, _ in Counter(test.split("::", 1)[0] for test in chosen).most_common()]
    files += [
        f"tests/{p.name}" for p in sorted((ROOT / "tests").glob("test_*.py")) if imports.search(p.read_text("utf-8"))
    ]
    return list(dict.fromkeys(files))


@functools.cache
def _function_hashes(module: str) -> dict[str, str]:
    """mutmut's hash of each function of a module, read once (after the mutants are generated)."""
    meta = MUTANTS / "src" / "askclinic" / f"{module}.py.meta"
    return json.loads(meta.read_text("utf-8")).get("hash_by_function_name", {}) if meta.exists() else {}


def function_hash(name: str) -> str:
    """mutmut's hash of the source of the function a mutant changes (it changes with the code)."""
    function = name.split(".", 2)[2].rsplit("__mutmut_", 1)[0]
    return str(_function_hashes(module_of(name)).get(function, ""))


def _console() -> Console:
    return Console() if Console().is_terminal else Console(width=160)  # a log file gets whole lines


def recheck(names: list[str]) -> dict[str, dict[str, str]]:
    """Run each survivor again against whole test files (see ``_test_files``).

    mutmut runs a mutant against the tests that called its function while it recorded them; a
    function first called by a session fixture (the pipeline's constructor) is credited to
    whichever test asked for the fixture first, so tests that do fail on the change are not run.
    The mutant is switched on the same way mutmut does it (``MUTANT_UNDER_TEST``, with mutmut's
    copy of the source, which must be of the current source: ``sample`` regenerates it); a test
    failing or erroring counts as killed, and the first such test is recorded."""
    done = json.loads(RECHECKED.read_text("utf-8")) if RECHECKED.exists() else {}
    env = {**os.environ, "PYTHONPATH": str(MUTANTS / "src")}
    for name in names:
        if done.get(name, {}).get("status") == "killed" and done[name].get("source") == function_hash(name):
            continue  # killed on this source already (a survivor is rerun: tests may have been added)
        files = _test_files(name)
        cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-rfE", "-p", "no:cacheprovider"]
        cmd += ["-m", "not browser", *files]  # with the Chroma-server tests, which mutmut's runs leave out
        result = subprocess.run(cmd, cwd=ROOT, env={**env, "MUTANT_UNDER_TEST": name}, capture_output=True, text=True)
        failed = re.search(r"^(?:FAILED|ERROR) (\S+)", result.stdout, re.M)
        killed = result.returncode in (1, 2, 3)
        done[name] = {
            "status": "killed" if killed else "survived",
            "by": failed[1] if killed and failed else "",
            "source": function_hash(name),  # a result holds only while the function is unchanged
        }
        _console().print(f"{name}: {done[name]['status']} {done[name]['by']} ({len(files)} test files)")
        RECHECKED.parent.mkdir(parents=True, exist_ok=True)
        RECHECKED.write_text(json.dumps(done, indent=1, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    return done


def run(patterns: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "mutmut", "run", *patterns], cwd=ROOT, check=True)


def results(only: set[str] | None = None) -> dict[str, Counter[str]]:
    """Per module: how many mutants were killed, survived, had no test, timed out, ...
    (``only``: count these mutants alone, e.g. a sample)."""
    skip = equivalent()
    rechecked = json.loads(RECHECKED.read_text("utf-8")) if RECHECKED.exists() else {}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors = []
    for full, found in sorted(statuses().items()):
        if only is not None and full not in only:
            continue
        status = "equivalent" if full in skip else found
        again = rechecked.get(full, {})
        if again.get("source") == function_hash(full):
            if status in ("survived", "no tests") and again.get("status") == "killed":
                status = "killed on recheck"
            elif status == "timeout" and again.get("status") == "survived":
                status = "survived"  # the test process died under mutmut, but the tests pass
        counts[module_of(full)][status] += 1
        if status in ("survived", "no tests"):
            survivors.append(f"{full}: {status}")
    SURVIVORS.parent.mkdir(parents=True, exist_ok=True)
    SURVIVORS.write_text("\n".join(survivors) + "\n", "utf-8")
    return counts


def wilson(caught: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% interval of a rate measured on a random sample of n."""
    p = caught / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="module names under src/askclinic (default: all configured)")
    parser.add_argument("--sample", type=int, metavar="N", help="check N random mutants per module")
    parser.add_argument("--seed", type=int, default=0, help="the random draw of --sample (default 0)")
    parser.add_argument("--report", action="store_true", help="print the table of the last run; test nothing")
    parser.add_argument(
        "--recheck", action="store_true", help="run each survivor (and timeout) again against whole test files"
    )
    args = parser.parse_args(argv)
    chosen = sample(args.modules, args.sample, args.seed) if args.sample else None
    if not args.report and not args.recheck:
        if chosen is None:
            run([f"askclinic.{m}.*" for m in args.modules])
        else:  # a mutant already checked on this source keeps its result (mutmut resets changed functions)
            found = statuses()
            pending = [n for n in chosen if found.get(n) == "not checked"]
            if pending:
                run(pending)
    if args.recheck:
        if chosen is None:
            generate()
        found = statuses()
        wanted = (set(chosen) if chosen is not None else set(found)) - equivalent()
        # a "timeout" is also a test process that died (mutmut counts it as caught): check those too;
        # "no tests" may be code only the Chroma-server tests reach
        survivors = [n for n, s in sorted(found.items()) if s in ("survived", "timeout", "no tests") and n in wanted]
        recheck([n for n in survivors if not args.modules or module_of(n) in args.modules])
    title = "mutation testing: kill rate per module (equivalent mutants left out)"
    table = Table(title=title + (f", {args.sample} random mutants each" if args.sample else ""))
    columns = ("module", "mutants", "killed", "killed on recheck", "timeout", "survived", "no tests", "equivalent")
    for col in (*columns, "kill rate"):
        table.add_column(col)
    if args.sample:
        table.add_column("95% interval")
    for module, c in sorted(results(set(chosen) if chosen is not None else None).items()):
        if args.modules and module not in args.modules:
            continue
        counted = sum(c.values()) - c["equivalent"] - c["not checked"]
        caught = c["killed"] + c["killed on recheck"] + c["timeout"]
        rate = f"{caught / counted:.1%}" if counted else "-"
        row = [module, str(sum(c.values())), *(str(c[col]) for col in columns[2:]), rate]
        if args.sample:
            low, high = wilson(caught, counted) if counted else (0.0, 0.0)
            row.append(f"{low:.0%}–{high:.0%}" if counted else "-")
        table.add_row(*row)
    _console().print(table)
    _console().print(f"survivors and untested mutants: {SURVIVORS.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
