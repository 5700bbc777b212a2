"""``python -m askclinic``: the same command line as ``askclinic``."""

from askclinic.cli import app

app(prog_name="askclinic")
