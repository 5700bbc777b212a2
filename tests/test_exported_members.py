"""The curated public API: every exported name resolves, and nothing else leaks."""

from __future__ import annotations

import subprocess
import sys
import time

import askclinic


def test_every_exported_name_resolves() -> None:
    for name in askclinic.__all__:
        assert getattr(askclinic, name) is not None, name


def test_help_is_fast_because_heavy_imports_are_deferred() -> None:
    code = "import sys, askclinic.cli; print(any(m.startswith(('torch', 'chromadb')) for m in sys.modules))"
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert time.perf_counter() - start < 20
