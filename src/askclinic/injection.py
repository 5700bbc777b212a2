"""Text that tries to instruct the bot, in a patient's question or inside a post.

In a question it is removed before searching, so it can neither steer retrieval nor be quoted.
In a post it is removed at ingestion (never indexed, never an answer candidate) and named in
the ingestion summary, so staff can check the post.
"""

from __future__ import annotations

import dataclasses
import re

from .types import Post

INSTRUCTION = re.compile(
    r"</?\s*(context|system|instructions?|excerpts?|question|prompt)\s*>"
    r"|\b(ignore|disregard|forget|override)\b[^.?!]*\b(instructions?|rules?|prompts?|above|previous|everything)\b"
    r"|\bnew (rule|instructions?)\b|\byou are now\b|\bsystem\s*:|\bpretend (to be|you)\b|\balways (answer|say|reply)\b"
    r"|(이전|위의|모든)?\s*(지시|규칙|명령)[을를은는]?\s*무시",
    re.IGNORECASE,
)
# Only a post addresses a bot this way: "AI assistants must say ...", "when asked about X, answer ...".
_TO_A_BOT = re.compile(
    r"\b(chat ?bots?|chat ?gpt|ai|assistants?|language models?|llms?)\b[^.?!]{0,60}"
    r"\b(must|should|shall|will|always|never)\b[^.?!]{0,20}\b(say|answer|reply|respond|tell|state|claim|mention)"
    r"|\b(if|when(ever)?) (you are |you.?re )?asked\b[^.?!]{0,80}\b(say|answer|reply|respond|tell)\b"
    r"|\b(respond|reply|answer) (only )?with\b|\bdo not (mention|reveal|tell the (user|patient))\b"
    r"|\b(tell|inform) the (user|patient|reader)s? that\b"
    r"|(챗봇|인공지능|AI)[^.?!]{0,30}(라고|답하|말하|대답)",
    re.IGNORECASE,
)
_PIECES = re.compile(r"[^.?!。？！\n]+[.?!。？！]*")
_TAG = re.compile(r"<[^<>]{0,300}>")


def is_instruction(sentence: str) -> bool:
    """Whether a sentence tries to instruct a chatbot rather than inform a reader."""
    return bool(INSTRUCTION.search(sentence) or _TO_A_BOT.search(sentence))


def strip_instructions(question: str) -> str:
    """The question without markup and without its sentences that try to give the bot instructions."""
    question = _TAG.sub(" ", question)
    pieces = [p.strip() for p in _PIECES.findall(question) if p.strip()]
    kept = [p for p in pieces if not INSTRUCTION.search(p)]
    return " ".join(kept) if kept else question


def without_instructions(post: Post) -> tuple[Post, list[str]]:
    """The post with every sentence that instructs a bot removed, and the removed sentences."""
    removed: list[str] = []
    sections = []
    for section in post.sections:
        kept: list[str] = []
        for sentence in section.sentences:
            (removed if is_instruction(sentence) else kept).append(sentence)
        if kept:
            sections.append(dataclasses.replace(section, sentences=tuple(kept)))
    if not removed:
        return post, []
    return dataclasses.replace(post, sections=tuple(sections)), removed
