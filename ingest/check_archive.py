"""Check an archive folder before loading it: what would be new, changed, removed or rejected.

    python ingest/check_archive.py ~/clinic-archive

Writes nothing; exits 1 when some files would be rejected, naming each file and the reason.
"""

from __future__ import annotations

import sys

from askclinic.cli import app

if __name__ == "__main__":
    app(["ingest", "--dry-run", "--prune", *sys.argv[1:]])
