"""Personal data taken out of a patient's question before it is written anywhere.

What is replaced (English and Korean): e-mail addresses, phone numbers (Korean mobile and
landline, international), Korean resident registration numbers, dates of birth, and the name
after "my name is" / "I'm called" / "제 이름은" / "저는 ...입니다". Each becomes a tag such as
``[phone]``, so the question stays readable for staff.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")),
    ("[id number]", re.compile(r"(?<!\d)\d{6}\s*[-–]?\s*[1-8]\d{6}(?!\d)")),  # 주민등록번호
    (
        "[phone]",
        re.compile(
            r"(?<![\w+])(\+?82[\s.-]?)?\(?0?1[016789]\)?[\s.-]?\d{3,4}[\s.-]?\d{4}(?!\d)"  # Korean mobile
            r"|(?<![\w+])(\+?82[\s.-]?)?\(?0\d{1,2}\)?[\s.-]?\d{3,4}[\s.-]?\d{4}(?!\d)"  # Korean landline
            r"|\+\d{1,3}[\s.-]?\(?\d{1,4}\)?([\s.-]?\d{2,4}){2,4}(?!\d)"  # international
            r"|(?<!\d)\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)"  # 555-123-4567
        ),
    ),
    (
        "[date of birth]",
        re.compile(
            r"\b(born|birthday|date of birth|dob|d\.o\.b\.?)\b[^.?!\n]{0,12}?"
            r"(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|[a-z]+ \d{1,2},? \d{4}|\d{1,2} [a-z]+ \d{4})"
            r"|(생년월일|생일)[^.?!\n]{0,6}?(\d{2,4}[./년\s-]+\d{1,2}[./월\s-]+\d{1,2}일?)"
            r"|(\d{2,4}년 ?\d{1,2}월 ?\d{1,2}일) ?(생|출생|태어)",
            re.IGNORECASE,
        ),
    ),
    (
        "[name]",
        re.compile(
            r"(?i:\b(my name is|my name.?s|i am called|i.?m called))\s+[A-Za-z]+(\s+[A-Z][a-z]+)?"
            r"|(제|내)\s?이름은\s?[가-힣A-Za-z]{2,10}"
            r"|저는\s?[가-힣]{2,4}(?=(입니다|이에요|예요|라고 합니다))",
        ),
    ),
)


def scrub(text: str) -> str:
    """``text`` with every piece of personal data replaced by its tag."""
    for tag, pattern in _RULES:
        if tag == "[name]":
            text = pattern.sub(lambda m: _keep_lead(m.group(0)) + "[name]", text)
        else:
            text = pattern.sub(tag, text)
    return text


def _keep_lead(found: str) -> str:
    """The words before the name ("my name is ", "제 이름은 ") are kept; the name is not."""
    for lead in ("my name is ", "my name's ", "my names ", "i am called ", "i'm called ", "im called "):
        if found.lower().startswith(lead):
            return found[: len(lead)]
    match = re.match(r"((제|내)\s?이름은\s?|저는\s?)", found)
    return match.group(0) if match else ""
