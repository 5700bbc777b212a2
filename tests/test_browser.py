"""The chat page in Debian's Chromium (Playwright): answers, sources, feedback, inert archive HTML."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import INJECTION_POST, PAYLOAD, ROOT, SAMPLES, running_app

from askclinic.safety import DISCLAIMER

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "test-output" / "chat.png"
TIMEOUT = 30_000  # ms, for one answer on a busy 2-core machine


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); CI runs these")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, real_embeddings) -> Iterator[tuple[str, Path]]:
    """The app on the sample archive plus a post whose title and sentences hold HTML."""
    from askclinic.ingestion import ingest
    from askclinic.pipeline import AskPipeline
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    folder = tmp_path_factory.mktemp("archive")
    shutil.copytree(SAMPLES, folder, dirs_exist_ok=True)
    (folder / "900_silk-pillow.md").write_text(INJECTION_POST, "utf-8")
    store = open_store(str(tmp_path_factory.mktemp("store")), real_embeddings.model_id)
    assert ingest([folder], store, real_embeddings, count_tokens=real_embeddings.token_counter()).ok
    pipeline = AskPipeline(HybridSearch(store, real_embeddings))
    db = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"
    with running_app(pipeline, db) as url:
        yield url, db


@pytest.fixture
def page(browser, server) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    tab = context.new_page()
    tab.goto(server[0], wait_until="load")  # never networkidle: the event stream never idles
    tab.locator("#ac-question textarea").wait_for(timeout=TIMEOUT)  # the page renders after load
    yield tab
    context.close()


def ask(page, question: str) -> object:
    """Type a question, send it, and return the locator of its finished answer."""
    answers = page.locator("#ac-chat [data-testid='bot']")
    before = answers.count()
    box = page.locator("#ac-question textarea")
    box.fill(question)
    box.press("Enter")
    answer = answers.nth(before)
    answer.locator(".ac-disclaimer").wait_for(timeout=TIMEOUT)
    return answer


WATCH_STREAM = """() => {
    window.__placeholder = false;
    new MutationObserver(() => {
        const bots = document.querySelectorAll("#ac-chat [data-testid='bot']");
        if (bots.length && bots[bots.length - 1].innerText.trim() === "\u2026") window.__placeholder = true;
    }).observe(document.querySelector("#ac-chat"), {subtree: true, childList: true, characterData: true});
}"""


def test_an_answer_comes_with_sources_and_disclaimer(page) -> None:
    page.evaluate(WATCH_STREAM)
    answer = ask(page, "How long does swelling last after a thread lift?")
    assert page.evaluate("window.__placeholder"), "the '…' placeholder was never shown"
    assert "7 to 10 days" in answer.inner_text()
    assert DISCLAIMER in answer.locator(".ac-disclaimer").inner_text()
    source = answer.locator(".ac-sources details").first
    assert "What should I avoid after a thread lift?" in source.locator("summary").inner_text()
    assert not source.locator("blockquote").is_visible()
    source.locator("summary").click()
    assert "usually lasts 7 to 10 days" in source.locator("blockquote").inner_text()
    assert "not medical advice" in page.locator("#ac-notice").inner_text()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_a_korean_example_gets_korean_headings(page) -> None:
    answers = page.locator("#ac-chat [data-testid='bot']")
    page.get_by_text("실리프팅 후 붓기는 얼마나 가나요?").click()
    answer = answers.first
    answer.locator(".ac-disclaimer").wait_for(timeout=TIMEOUT)
    assert "출처" in answer.inner_text() and "의료 조언 아님" in answer.inner_text()


def test_red_flags_show_the_urgent_banner_first(page) -> None:
    answer = ask(page, "I have a fever and pus after my thread lift")
    banner = answer.locator(".ac-urgent")
    assert banner.is_visible() and "Contact the clinic or emergency services now" in banner.inner_text()
    first = answer.locator(".message-content .md > *").first
    assert first.get_attribute("class") == "ac-urgent"


def test_a_thumbs_down_with_its_reason_is_saved(page, server) -> None:
    answer = ask(page, "How long does lip filler last?")
    assert "6 to 9 months" in answer.inner_text()
    page.locator("#ac-chat button[aria-label='Dislike']").last.click()
    page.get_by_label("wrong source").check()
    page.locator("#ac-reason button").first.click()
    rows: list[tuple[str, ...]] = []
    for _ in range(100):
        if server[1].exists():
            rows = (
                sqlite3.connect(server[1])
                .execute("SELECT question, status, rating, reason FROM feedback ORDER BY id")
                .fetchall()
            )
            if rows and rows[-1][3]:
                break
        time.sleep(0.1)
    assert rows[-1] == ("How long does lip filler last?", "answered", "down", "wrong source")


def test_html_in_posts_and_questions_is_shown_as_text_and_runs_nothing(page) -> None:
    answer = ask(page, "Does a silk pillowcase help after a procedure?")
    assert "3 nights" in answer.inner_text()
    source = answer.locator(".ac-sources details").first
    source.locator("summary").click()
    assert PAYLOAD in source.inner_text()
    assert "Silk pillow care" in source.locator("summary").inner_text()
    answer = ask(page, f"Does a silk pillowcase help? {PAYLOAD}<script>window.__pwned=1</script>")
    assert PAYLOAD in page.locator("#ac-chat [data-testid='user']").last.inner_text()
    assert answer.locator("img").count() == 0 and page.locator("#ac-chat script").count() == 0
    assert not page.evaluate("window.__pwned")


PHONE = {"width": 390, "height": 844}
PHONE_SCREENSHOT = ROOT / "test-output" / "phone.png"


@pytest.fixture
def phone(browser, server) -> Iterator[object]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.goto(server[0], wait_until="load")
    tab.locator("#ac-question textarea").wait_for(timeout=TIMEOUT)
    yield tab
    context.close()


def inside_screen(box: dict | None) -> bool:
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= PHONE["height"]
        and box["x"] >= 0
        and (box["x"] + box["width"] <= PHONE["width"])
    )


def test_on_a_phone_the_input_and_a_whole_answer_fit_on_the_first_screen(phone) -> None:
    answer = ask(phone, "실리프팅 후 붓기는 얼마나 가나요?")
    assert phone.evaluate("window.scrollY") == 0  # nothing was scrolled to get here
    assert inside_screen(phone.locator("#ac-question textarea").bounding_box())
    assert inside_screen(answer.bounding_box()), answer.bounding_box()
    notice = phone.locator("#ac-notice")
    assert notice.is_visible() and notice.bounding_box()["height"] <= 72  # one compact line
    assert "119" in notice.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # Korean wraps
    PHONE_SCREENSHOT.parent.mkdir(exist_ok=True)
    phone.screenshot(path=str(PHONE_SCREENSHOT))
    notice.locator("summary").click()  # it expands to the whole notice
    assert "의료 조언이 아닙니다" in notice.inner_text()


def test_on_a_phone_every_button_is_a_44px_tap_target(phone) -> None:
    ask(phone, "How long does lip filler last?")
    small = []
    for button in phone.locator("button:visible").all():
        box = button.bounding_box()
        if box and box["width"] > 0 and (box["width"] < 44 or box["height"] < 44):
            small.append((button.get_attribute("aria-label") or button.inner_text()[:20], box["width"], box["height"]))
    assert not small, small


STAFF_PASSWORD = "correct horse battery staple"
STAFF_SCREENSHOT = ROOT / "test-output" / "staff.png"


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory: pytest.TempPathFactory, pipeline) -> Iterator[str]:
    db = tmp_path_factory.mktemp("staff") / "feedback.sqlite3"
    with running_app(pipeline, db, staff_password=STAFF_PASSWORD, log_questions=True) as url:
        yield url


def test_the_staff_page_shows_nothing_without_its_password(browser, staff_server) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    patient = context.new_page()
    patient.goto(staff_server, wait_until="load")
    patient.locator("#ac-question textarea").wait_for(timeout=TIMEOUT)
    patient.locator("#ac-notice summary").click()
    assert "logged without names" in patient.locator("#ac-notice").inner_text()
    for question in ("do you do tattoo removal?", "can a tattoo be removed?", "how long does jaw botox last?"):
        ask(patient, question)
    assert "Staff" not in patient.locator("body").inner_text()  # patients are never linked to it
    staff = context.new_page()
    staff.goto(staff_server.rstrip("/") + "/staff", wait_until="load")
    staff.locator("#ac-staff-password input").wait_for(timeout=TIMEOUT)
    staff.locator("#ac-staff-password input").fill("guess")
    staff.locator("#ac-staff-open").click()
    staff.get_by_text("Wrong password.").wait_for(timeout=TIMEOUT)
    assert not staff.locator("#ac-staff-report").is_visible()
    assert "tattoo" not in staff.locator("body").inner_text()
    staff.locator("#ac-staff-password input").fill(STAFF_PASSWORD)
    staff.locator("#ac-staff-open").click()
    report = staff.locator("#ac-staff-report")
    report.get_by_text("Unanswered questions").wait_for(timeout=TIMEOUT)
    text = report.inner_text()
    assert "tattoo" in text and "001_botox-jaw.txt" in text
    assert report.locator("img").count() >= 1
    STAFF_SCREENSHOT.parent.mkdir(exist_ok=True)
    staff.screenshot(path=str(STAFF_SCREENSHOT), full_page=True)
    context.close()
