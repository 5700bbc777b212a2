"""Markdown, HTML and plain-text posts, in every encoding staff may have."""

from __future__ import annotations

from pathlib import Path

import pytest

from askclinic.errors import PostError
from askclinic.reader import read_post

KOREAN = "실 리프팅 후 붓기는 보통 7일 정도 지속됩니다. 멍은 2주 안에 사라집니다."


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_markdown_with_front_matter(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Lip filler FAQ\nclinic: Sample Clinic\ndate: 2025-03-14\ntags: [filler]\n---\n"
        "# Lip filler FAQ\n\nIntro line one\nwraps here.\n\n## How long does it last?\n\n"
        "It usually lasts **6 to 9 months**. See [our page](http://x).\n\n- Avoid straws\n- Avoid kissing\n"
    )
    post = read_post(write(tmp_path, "faq.md", text.encode()), tmp_path)
    assert (post.title, post.clinic, post.published, post.fmt) == (
        "Lip filler FAQ",
        "Sample Clinic",
        "2025-03-14",
        "markdown",
    )
    section = next(s for s in post.sections if s.heading == "How long does it last?")
    assert section.sentences == ("It usually lasts 6 to 9 months.", "See our page.", "Avoid straws", "Avoid kissing")


def test_markdown_without_front_matter(tmp_path: Path) -> None:
    post = read_post(write(tmp_path, "a.md", b"# Peels\n\nPeels take 2 weeks. Then more.\n"), tmp_path)
    assert post.title == "Peels"
    assert post.sections[0].sentences == ("Peels take 2 weeks.", "Then more.")


def test_html_drops_scripts_and_reads_meta(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Hair removal</title><meta name='clinic' content='C'>"
        "<meta name='date' content='2025-02-03'><script>alert(1)</script></head><body>"
        "<h1>Laser hair removal</h1><h2>Sessions</h2><p>Most need 5 to 8 sessions.</p>"
        "<ul><li>Shave first</li></ul><footer>links</footer></body></html>"
    )
    post = read_post(write(tmp_path, "a.html", html.encode()), tmp_path)
    assert (post.title, post.clinic, post.published) == ("Laser hair removal", "C", "2025-02-03")
    assert post.sections[0].heading == "Sessions"
    assert post.sections[0].sentences == ("Most need 5 to 8 sessions.", "Shave first")
    assert "alert" not in str(post.sections)


def test_plain_text(tmp_path: Path) -> None:
    post = read_post(write(tmp_path, "p.txt", b"Chemical peels\n\nA light peel\nflakes for 2 days.\n"), tmp_path)
    assert post.title == "Chemical peels"
    assert post.sections[0].sentences == ("A light peel flakes for 2 days.",)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_korean_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    data = f"실 리프팅 안내\n\n{KOREAN}\n".encode(encoding)
    post = read_post(write(tmp_path, "k.txt", data), tmp_path)
    assert post.title == "실 리프팅 안내"
    assert post.sections[0].sentences == ("실 리프팅 후 붓기는 보통 7일 정도 지속됩니다.", "멍은 2주 안에 사라집니다.")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (b"Title\n\n\xff\xfe\xfd\xfc broken", "not valid UTF-8, CP949 or EUC-KR"),
        (b"---\ntitle: [unclosed\n---\nbody\n", "front matter"),
    ],
)
def test_bad_files_name_the_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = write(tmp_path, "bad.md", data)
    with pytest.raises(PostError, match=reason) as info:
        read_post(path, tmp_path)
    assert str(path) in str(info.value)


def test_oversized_file(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", b"Title\n\n" + b"word " * 4_000_000)
    with pytest.raises(PostError, match=r"20\.0 MB, over the 2\.0 MB limit"):
        read_post(path, tmp_path)


def test_html_without_title(tmp_path: Path) -> None:
    with pytest.raises(PostError, match="no title"):
        read_post(write(tmp_path, "x.html", b"<html><body><p>Only text.</p></body></html>"), tmp_path)


def test_a_markdown_link_whose_address_holds_parentheses_leaves_only_its_text(tmp_path: Path) -> None:
    text = (
        "# Botox notes\n\nRead [the drug page](https://en.wikipedia.org/wiki/Botulinum_toxin_(drug)) first. "
        'See ![chart](img/a_(1).png "Chart") and [our FAQ](faq.html "FAQ (click)") too.\n'
    )
    post = read_post(write(tmp_path, "notes.md", text.encode()), tmp_path)
    body = " ".join(post.sections[0].sentences)
    assert body == "Read the drug page first. See and our FAQ too."
