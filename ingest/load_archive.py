"""Load (or refresh) the clinic archive into the store.

    python ingest/load_archive.py ~/clinic-archive            # new and changed posts only
    python ingest/load_archive.py ~/clinic-archive --prune    # also drop posts deleted from it
    python ingest/load_archive.py                             # the project's sample archive

The same as ``askclinic ingest``; the store comes from ``--store`` or ``ASKCLINIC_STORE``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from askclinic.cli import app

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "archive"

if __name__ == "__main__":
    args = sys.argv[1:]
    if not any(not a.startswith("-") for a in args):
        args = [str(SAMPLES), *args]
    app(["ingest", *args])
