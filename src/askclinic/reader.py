"""Read a post file from disk: size and binary checks, decoding, format detection, parsing."""

from __future__ import annotations

from pathlib import Path

from .archive import is_archive_post, parse_archive_post
from .errors import PostError
from .formats import parse_html, parse_markdown, parse_plain
from .types import Post

POST_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_POST_BYTES = 2_000_000
ENCODINGS = ("utf-8-sig", "cp949")  # CP949 is a superset of EUC-KR


def decode(data: bytes, source: str) -> str:
    """Decode UTF-8 (with or without BOM), CP949 or EUC-KR; refuse binary data."""
    if not data.strip():
        raise PostError(source, "the file is empty")
    if b"\x00" in data[:8192]:
        raise PostError(source, "the file is binary, not a text post")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _control_ratio(text) > 0.01:
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise PostError(source, "the file is not valid UTF-8, CP949 or EUC-KR text; save it as UTF-8")


def _control_ratio(text: str) -> float:
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    return bad / max(len(text), 1)


def post_id_for(path: Path, root: Path) -> str:
    """A stable id from the file's path relative to the archive root (not its content)."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        rel = Path(path.name)
    return rel.as_posix()


def parse_text(text: str, post_id: str, source: str, suffix: str = ".txt") -> Post:
    suffix = suffix.lower()
    if is_archive_post(text):
        return parse_archive_post(text, post_id, source)
    if suffix in (".html", ".htm") or text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        return parse_html(text, post_id, source)
    if suffix in (".md", ".markdown") or text.startswith("---\n"):
        return parse_markdown(text, post_id, source)
    return parse_plain(text, post_id, source)


def read_bytes(path: Path, max_bytes: int = MAX_POST_BYTES) -> bytes:
    """The file's bytes, refusing files too large to be one post."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise PostError(
                source,
                f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit for one post",
            )
        return path.read_bytes()
    except OSError as e:
        raise PostError(source, f"cannot read the file ({e.strerror or e})") from e


def parse_bytes(data: bytes, path: Path, root: Path) -> Post:
    text = decode(data, str(path))
    return parse_text(text, post_id_for(path, root), str(path), path.suffix)


def read_post(path: Path, root: Path, max_bytes: int = MAX_POST_BYTES) -> Post:
    """Read and parse one post file."""
    return parse_bytes(read_bytes(path, max_bytes), path, root)
