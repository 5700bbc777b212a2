"""Logging set-up: every line that may carry a patient's or a client's text is clipped."""

from __future__ import annotations

import logging
import traceback

LIMIT = 200  # characters of user text in one log value
LINE_LIMIT = 2000  # characters of one whole log record, traceback included


def clip(text: object, limit: int = LIMIT) -> str:
    """``text`` shortened to ``limit`` characters, saying how much was left out."""
    value = str(text)
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… [{len(value) - limit} more characters]"


class ClipFilter(logging.Filter):
    """Clips each record's message and traceback, whoever logged it (the web server's too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > LINE_LIMIT:
            record.msg, record.args = clip(message, LINE_LIMIT), None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = clip("".join(traceback.format_exception(*record.exc_info)).rstrip(), LINE_LIMIT)
        return True


def configure_logging(verbose: bool = False) -> None:
    """Log to stderr at WARNING (INFO with ``verbose``), every handler clipping long records."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ClipFilter) for f in handler.filters):
            handler.addFilter(ClipFilter())
    if not verbose:
        logging.getLogger("askclinic.ingestion").setLevel(logging.ERROR)
