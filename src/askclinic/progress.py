"""The one progress bar the command line shows (on stderr, gone when done)."""

from __future__ import annotations

from typing import Any

from rich.console import Console


def progress_bar(console: Console, disable: bool = False) -> Any:
    """A transient rich progress bar: description, bar, done/total, time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=disable,
    )
