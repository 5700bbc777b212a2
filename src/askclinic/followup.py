"""Follow-up questions: "and how long does it last?" searched with the topic of the last question.

A conversation is about a procedure (thread lift, HIFU, 스킨부스터, ...); a follow-up keeps it
and replaces what is asked. Rules, using only words the patient typed (never new facts):
- a message that names no procedure, after one that did, is a follow-up when it is short, opens
  with a connector ("and", "그럼") or points back ("it", "that", "그거"): it is searched with the
  conversation's procedure ("bruises?" -> "bruises? lip filler");
- a message that names a procedure starts a new topic, unless it compares with what came before
  ("is that longer than HIFU?" -> the earlier question's procedure and topic are added);
- no topic of its own ("how long does it last?", "그럼 얼마나 가요?") -> the question plus the
  topic words of the last question that had any ("... bruise thread lift");
- a connector plus a new topic ("what about botox?", "그럼 보톡스는요?") -> the new topic plus the
  question words of the last question ("botox? how long does last"); when those say nothing
  ("will I bruise...?" -> "and swelling?"), the last question's topic words are kept instead;
- "and after that?" after a question about sessions asks what follows the course: it is searched
  with the procedure and the words the posts use for that ("after the course", "maintenance").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .answering import (
    AREAS,
    INTENT_WORDS,
    MULTI_PART,
    PROCEDURE_TOKENS,
    procedure_kinds,
    procedures_in_full,
    procedures_named,
)
from .glossary import Glossary, default_glossary, is_korean
from .lexical import tokens
from .safety import SafetyGate, default_safety
from .types import Status

# Words that say what is asked rather than what it is about; a question made only of these
# (and stopwords) has no topic of its own.
GENERIC_WORDS = frozenset(
    tokens(
        "last lasts take takes hurt hurts painful cost costs price work works need needs help happen "
        "start stop safe normal okay fine bad good better worse see feel go goes away look expect make "
        "thing things one ones anything something way ways again ever still yet time times minute minutes "
        "hour hours day days "
        "week weeks month months year years procedure procedures treatment treatments result results "
        "effect effects side recovery recover heal downtime session sessions there"
    )
)
# What a question asks (how long, how often, how far apart), as opposed to what it is about.
FRAME_WORDS = INTENT_WORDS | GENERIC_WORDS | frozenset(tokens("apart far interval intervals gap spaced every"))
QUESTION_WORDS = frozenset(
    "how what when why which where who can could does do did is are was were will would should".split()
)
CONNECTORS = (
    "and what about",
    "and how about",
    "what about",
    "how about",
    "and also",
    "and",
    "n",  # chat spelling of "and": "n bruising?"
    "&",
    "also",
    "then",
    "so",
    "그러면",
    "그럼",
    "그리고",
    "그런데",
    "근데",
)
# Fillers a message may open with before its connector or question ("ok and after filler?",
# "oh also ...", "아 그리고 ..."): they say nothing about what is asked.
_OPENING = re.compile(
    r"^(?:(?:ok(?:ay)?|k|oh|ah|alright|cool|great|nice|got it|gotcha|i see|hm+|um+|uh+|nvm|never ?mind|anyways?|btw|"
    r"thanks|thank you|thx|ty|네|넵|아|오|아하|음|ㅇㅋ|알겠어요|알겠습니다|그렇군요|그렇구나)"
    r"(?=[\s,.!…~]|$)[\s,.!…~]*)+",
    re.I,
)
KOREAN_WHAT_ABOUT_WORDS = 3
_KOREAN_WHAT_ABOUT = re.compile(r"[\uac00-\ud7a3](은|는|도|건)요?\s*[?？]*\s*$")
# "numbing too?", "the bruising as well?": a short "and X?" that puts its connector last
_TRAILING_CONNECTOR = re.compile(r"\s+(?:too|as well|also|either)\s*[?？!.]*\s*$", re.I)
TRAILING_CONNECTOR_WORDS = 4
_UPDATE = re.compile(r"[.!]\s")  # a statement before the question: news ("went to the ER. ...")
# After an emergency not yet seen to, a follow-up is about the emergency unless it says it asks
# about something else ("for next time", "unrelated", "btw", "for my sister") ...
_MOVES_ON = re.compile(
    r"\b(?:next time|in general|generally|unrelated|separate q(?:uestion)?|another q(?:uestion)?|just so i know|"
    r"btw|by the way|off topic|different (?:q|question|topic)|for my (?:\w+ )?(?:sister|brother|friend|mom|mum|mother|"
    r"dad|father|wife|husband|partner|daughter|son|cousin|aunt))\b|다음에|일반적으로|다른 질문|별개로|그건 그렇고",
    re.I,
)
# ... or that it is being seen to ("ok i called them", "went to the ER, fine now")
_SEEN_TO = re.compile(
    r"\b(?:went|been|gone|going|heading|on my way) (?:back )?to (?:the )?(?:er|a&e|emergency|hospital|doctor|clinic)\b"
    r"|\b(?:saw|seen|checked by) (?:a |the |my )?(?:doctor|doc|nurse)\b"
    r"|\b(?:i.?m|im|i am|it.?s|its|all) (?:fine|ok|okay|better|good) now\b"
    r"|\b(?:called|calling|rang|phoned) (?:them|911|119|(?:the|my) (?:clinic|doctor|doc|hospital|er|ambulance))\b"
    r"|\b(?:i.?m|im|i am) (?:going|heading) (?:in|now|there|over)\b|\bgo(?:ing)? (?:to )?get (?:it|this) checked\b"
    r"|\b(?:treated|sorted|dealt with|handled) (?:it|me)\b|\bunder control\b"
    r"|(?:응급실|병원)(?:에)? ?(?:갔|다녀|왔|가는 ?중|가고 ?있|가 ?볼[게께]|갈[게께]|가려고|가야겠|가 ?볼래)"
    r"|(?:병원|응급실|119|의사)(?:에|한테|에게)? ?(?:연락|전화) ?(?:했|드렸|해 ?볼[게께]|할[게께])"
    r"|괜찮아졌|괜찮대|진료 ?받았|치료 ?받았|처치 ?받았",
    re.I,
)
# A message that opens with the second half of a comparison ("vs a medium peel, which ...?",
# "same as for hifu?") compares with what came before, however long it is
_COMPARES_BACK = re.compile(
    r"^(?:vs\.?|versus|or|compared (?:to|with)|than|same as)\b|\bsame (?:\w+ ){0,2}?as\b|\bdifferent (?:from|than)\b"
)
_THEN = re.compile(r"\bthen\s*[?!.]*\s*$", re.I)  # "how long is the numbing part then?" goes on from the last
_THAN_THAT = re.compile(r"\bthan (?:that|it|this|those|these)\b")  # a comparison with the last topic
# "does chin filler last longer?", "is filler bruising worse?": a comparison that names one side
# only; the other side is what the conversation was about
_BARE_COMPARATIVE = re.compile(
    r"\b(?:longer|shorter|worse|better|more|less|faster|slower|sooner|quicker|rarer|commoner|stronger|bigger)\b"
)
_OTHER_SIDE = re.compile(r"\b(?:than|or|vs\.?|versus|compared|as)\b")
# "more common than infection?", "longer than for hifu?": a comparison that opens with its
# comparative, so its first side is what the last question asked about
_OPENS_WITH_COMPARATIVE = re.compile(
    r"^(?:(?P<verb>is|are) (?:it|that|this|they|those) )?(?:(?:way|much|even|a lot|any) )?"
    r"(?:(?:more|less) \w+|longer|shorter|worse|better|rarer|commoner|faster|slower|sooner|quicker) than\b"
)
SHORT_FOLLOW_UP = 8  # words: a message this short, after a procedure was named, continues the topic
_POINTER = re.compile(
    # ("that week", "this weekend": a time, not something asked about before)
    r"\b(it|its|it.?s|they|them|their|the same|there)\b"
    r"|\b(that|those|these|this)\b(?! (?:day|days|week|weeks|weekend|month|months|morning|night|evening|time)\b)"
    r"|그거|그건|그게|이거|이건|거기|그것|그 ?시술"
)
# "which one is more common?", "둘 중에 뭐가 더 흔해요?" after two questions: it compares what the
# two asked about
_WHICH_OF_TWO = re.compile(
    r"\bwhich\b|\b(more|less|rarer|commoner|longer|shorter|sooner|faster|slower|worse|better)\b"
    r"|둘 ?중|어느 ?쪽|어떤 ?게 ?더|뭐가 ?더|어느 ?게 ?더"
)
_COMPARING_WORDS = frozenset(
    tokens(
        "one ones rarer rare common commoner more less longer shorter long short last lasts improve "
        "improves improvement better worse sooner faster slower often frequent likely way same tho"
    )
)
# "and after that?", "once the course is done?" after a question about sessions asks about what
# follows the course: searched with the words the posts use for it (as the glossary does for
# "다 끝나고")
_AFTER_THE_COURSE = re.compile(
    r"^(and |so |then )?(what about |how about )?(after (that|those|them|this|all (of )?(that|them|those))"
    r"|after the (course|series|last (one|session))|once (it.?s|i.?m|im|the course is|they.?re) (done|over|finished)"
    r"|when (i.?m|im|it.?s|the course is) (done|over|finished))\b"
)
_ASKS_SESSIONS = re.compile(r"\b(sessions?|treatments?|rounds?|times|course|how (far apart|often))\b")
AFTER_THE_COURSE_WORDS = ("after the course", "maintenance")
PLEASANTRIES = frozenset("hi hello hey thanks thank you ok okay bye 감사합니다 고맙습니다 안녕하세요 네".split())

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|[\uac00-\ud7a3]+|\d[\d.,]*%?")
_TAG = re.compile(r"<[^>]*>")  # markup is never a topic


def _english_topic(word: str) -> bool:
    found = tokens(word)
    return bool(found) and len(word) > 1 and found[0] not in FRAME_WORDS


def _korean_forms(text: str, glossary: Glossary) -> tuple[list[str], list[str]]:
    """Words of ``text`` holding a glossary form (longest match first): (topics, question words)."""
    topics: list[str] = []
    asks: list[str] = []
    for start, end, english in glossary.matches(text):
        while start > 0 and text[start - 1].isalnum():  # widen to whole words: 멍이 들 -> 멍이 들까요
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        about = any(t not in FRAME_WORDS for t in tokens(english))
        (topics if about else asks).append(text[start:end])
    return list(dict.fromkeys(topics)), list(dict.fromkeys(asks))


def topic_words(text: str, glossary: Glossary | None = None) -> list[str]:
    """The words of ``text`` that name what it is about, in order, without repeats."""
    glossary = glossary or default_glossary()
    plain = _TAG.sub(" ", text)
    english: dict[str, str] = {}  # stem -> first spelling, so "threads ... thread" counts once
    for word in _WORD.findall(plain):
        if word.isascii() and _english_topic(word):
            english.setdefault(tokens(word)[0], word.lower())
    return list(dict.fromkeys([*english.values(), *_korean_forms(plain, glossary)[0]]))


def _split_connector(question: str) -> tuple[str, bool]:
    """The question without its leading connector, and whether it had one; a short Korean
    "X은요? / X는요? / X도요?" is the "and X?" of Korean, a short "X too?" the same in English."""
    opened = _OPENING.match(question)
    if opened and opened.end() < len(question):
        question = question[opened.end() :]
    lowered = question.lower()
    for connector in CONNECTORS:
        if lowered.startswith(connector) and not lowered[len(connector) :][:1].isalnum():
            return question[len(connector) :].lstrip(" ,.…"), True
    if len(question.split()) <= KOREAN_WHAT_ABOUT_WORDS and _KOREAN_WHAT_ABOUT.search(question):
        return question, True
    trailing = _TRAILING_CONNECTOR.search(question)
    if trailing and trailing.start() > 0 and len(question.split()) <= TRAILING_CONNECTOR_WORDS:
        return f"{question[: trailing.start()]}?", True
    return question, False


def _compares(text: str) -> bool:
    """Whether ``text`` holds a word of comparison or of a second question ("or", "than", "and
    how"); two question marks alone do not make one ("스킨부스터는요? 몇번?" asks one thing)."""
    return any(m.group(0)[0] not in "?;" for m in MULTI_PART.finditer(text.lower()))


def _frame(question: str, glossary: Glossary) -> str:
    """What ``question`` asked without what it was about ("how long does last"), or ''."""
    plain = _TAG.sub(" ", question)
    english = [w.lower() for w in _WORD.findall(plain) if w.isascii()]
    asks = [w for w in english if (tokens(w) or [""])[0] in FRAME_WORDS]
    korean = _korean_forms(plain, glossary)[1]
    if not asks and not korean:
        return ""
    kept = [w for w in english if w in QUESTION_WORDS or w in asks]
    return " ".join(dict.fromkeys([*kept, *korean]))


TREATMENT_HEADS = frozenset(tokens("injection injections shot shots treatment treatments"))


def _is_procedure(english: str) -> bool:
    """Whether a glossary term names a procedure ("thread lift", "hydrating skin booster
    injection"), not a thing about one: its last word says what it is ("thread exposure" is an
    exposure, "filler fade" a fading)."""
    words = tokens(english)
    return bool(procedures_named(english)) and bool(words) and words[-1] in PROCEDURE_TOKENS | TREATMENT_HEADS


def procedure_words(text: str, glossary: Glossary | None = None) -> list[str]:
    """The words of ``text`` that name a procedure, as typed ("thread lift", "실리프팅")."""
    glossary = glossary or default_glossary()
    plain = _TAG.sub(" ", text)
    found = procedures_in_full(plain)  # the whole name: "thread lift", "laser toning", "skin booster"
    for start, end, english_form in glossary.matches(plain):
        if _is_procedure(english_form):
            found.append(plain[start:end])
    return list(dict.fromkeys(found))


_WHOLE_FACE = re.compile(r"\b(?:on|for|to) (?:my|the|your|a) (?:whole |full |entire )?face\b")
_AREA_WORDS = re.compile(r"\b(" + "|".join(re.escape(w) for names in AREAS.values() for w in names) + r")\b", re.I)


# Question words that name what is asked about: a follow-up holding one has a subject of its own.
SUBJECT_WORDS = frozenset(tokens("result results effect effects recovery downtime cost costs price"))


def _english(text: str, glossary: Glossary) -> set[str]:
    return set(tokens(glossary.translate(text) if is_korean(text) else text))


def _names_its_subject(body: str, glossary: Glossary) -> bool:
    return bool(SUBJECT_WORDS & _english(body, glossary))


# Words of a question about the procedure itself: "does it hurt?", "how many times do i need it?"
PROCEDURE_ASKS = frozenset(tokens("hurt hurts hurting painful pain session sessions times take takes minutes"))


# What a treated face may show: "does it hurt?" after one of these asks about it, not the procedure.
SYMPTOM_WORDS = frozenset(
    tokens(
        "bruise bruises bruised bruising swelling swollen swell puffy lump lumps lumpy bump bumps red redness "
        "sore tight tightness itchy itch dent dents dimple crust crusts scab peeling flaking numb pain pulling"
    )
)


def _asks_of_the_procedure(body: str, previous: str, glossary: Glossary) -> bool:
    """Whether ``body`` asks about the procedure itself ("does it hurt?", "how many times?"),
    and ``previous`` named no symptom "it" could be."""
    return bool(PROCEDURE_ASKS & _english(body, glossary)) and not SYMPTOM_WORDS & _english(previous, glossary)


def _points_back(text: str) -> bool:
    return bool(_POINTER.search(text.lower()))


def rewrite(
    question: str, history: Sequence[str], glossary: Glossary | None = None, gate: SafetyGate | None = None
) -> str:
    """The question as it should be searched, given the earlier questions (newest last).
    After a message the safety ``gate`` found urgent, a follow-up about it carries that message
    along, so it is gated urgent again ("should I just wait and see?" after "my lip is turning
    white"; see ``_about_an_emergency``)."""
    glossary = glossary or default_glossary()
    text = " ".join(question.split())
    words = [w.lower() for w in _WORD.findall(text)]
    if not text or not history or (words and all(w in PLEASANTRIES for w in words)) or _OPENING.fullmatch(text):
        return question  # nothing asked: "thanks", "ok", "got it", "hmm" do not repeat the last question
    body, connected = _split_connector(text)
    own = topic_words(body, glossary)
    own_procedures = procedure_words(body, glossary)
    if _about_an_emergency(text, history[-1], gate, glossary):
        return f"{history[-1]} {body}"  # in the order they were sent
    context = next((h for h in reversed(history) if procedure_words(h, glossary)), None)
    previous = next((h for h in reversed(history) if topic_words(h, glossary)), None)
    if previous is None:
        return question
    if context and (than := _THAN_THAT.search(body.lower())):
        # "is bruising more common than that?" after "what % get swelling after a thread lift":
        # than swelling, after a thread lift
        before = _asked_of(previous, glossary)
        if before:
            body_than = f"{body[: than.start()]}than {' '.join(before)}{body[than.end() :]}"
            return _with(body_than, procedure_words(context, glossary))
    if context and (opens := _OPENS_WITH_COMPARATIVE.match(body.lower())) and not own_procedures:
        # "more common than infection?" ("is it more common than infection?") after "how common
        # is bruising after a thread lift?": is bruising more common than infection, after a thread lift
        before = _asked_of(previous, glossary)
        if before and not set(before) & set(own):
            rest = body[opens.end("verb") :].split(maxsplit=1)[1] if opens.group("verb") else body
            compared = f"{opens.group('verb') or 'is'} {' '.join(before)} {rest}"
            return _with(compared, [*procedure_words(context, glossary), *_frame(previous, glossary).split()])
    if context and (other := _other_side(body, context, glossary)):
        return rewrite(f"{body.rstrip(' ?!.')} than {other}?", history, glossary, gate)
    # "is that longer than hifu?", "longer than for hifu?", "턱 필러보다 짧아요?"
    compares = bool(_COMPARES_BACK.search(body.lower())) or (
        (_compares(body) or "보다" in body) and (_points_back(body) or len(words) <= SHORT_FOLLOW_UP)
    )
    if not own_procedures and _AFTER_THE_COURSE.search(body.lower()) and _ASKS_SESSIONS.search(previous.lower()):
        # "how many sessions?", then "and after that?": what comes after the course
        subject = procedure_words(context, glossary) if context else topic_words(previous, glossary)
        return _with(body, [*subject, *AFTER_THE_COURSE_WORDS])
    if own_procedures and not (compares and context):
        # what it asks about besides the procedure and where ("lip" in "and after lip filler?")
        about = [w for w in own if not any(w in p or p in w for p in own_procedures) and not _AREA_WORDS.fullmatch(w)]
        if not about and not _frame(body, glossary) and context:
            # "실리프팅은요?", "what about a chemical peel?": the last question, asked of the new
            # procedure ("hifu aftercare?", "can i go to the sauna", "what about after a peel?"
            # asks about the sauna)
            return _with(body, _without_procedures(previous, glossary).split())
        # "and for hifu, how long?" carries what was asked; a full question of its own does not
        frame = _frame(previous, glossary) if connected and len(words) <= SHORT_FOLLOW_UP else ""
        if not set(_frame(body, glossary).split()) <= set(frame.split()) | QUESTION_WORDS:
            frame = ""  # it asks its own way ("그럼 하이푸는 몇개월마다?" after a price question)
        return _with(body, frame.split()) if frame else question  # a new procedure: a new topic
    # (counted without the filler it opens with: "hmm ok how long is the numbing part then")
    asked_words = len(_WORD.findall(body))
    follow_up = (
        connected or compares or _points_back(body) or asked_words <= SHORT_FOLLOW_UP or bool(_THEN.search(body))
    )
    if own and not follow_up:
        return question
    compares_two = not set(tokens(" ".join(own))) - _COMPARING_WORDS and not own_procedures
    if compares_two and len(history) >= 2 and _WHICH_OF_TWO.search(body.lower()):
        first, second = (" ".join(topic_words(h, glossary)) for h in history[-2:])
        if first and second and first != second:  # "bruising ... thread lift", then "and swelling?"
            return f"{body} {first} or {second}"
    if not own:
        if context and (
            (not _points_back(body) and _names_its_subject(body, glossary))
            or _asks_of_the_procedure(body, previous, glossary)
        ):
            # "효과는 얼마나 유지돼요?", "and the results?": what is asked about is named; only the
            # procedure carries over (not the last question's sauna or bruise)
            return _with(body, procedure_words(context, glossary))
        carried = topic_words(previous, glossary)  # "how long does it last?"
        if context and context != previous and not procedure_words(previous, glossary):
            # "skin booster: how many sessions?", "how far apart?", then "and after that?": the
            # procedure was named before the last question
            carried = [*procedure_words(context, glossary), *carried]
        return _with(body, carried)
    if compares and own_procedures and previous == context:
        # "is that longer than hifu?" after "how long does jaw botox last": the last question
        # whole, so each side keeps its own words ("jaw" is botox's, "lip" is the lip filler's)
        return _with(body, previous.split())
    # the procedure and the part of the body the conversation is about ("and till it looks
    # final?" after "got lip filler yesterday": lip filler)
    whole_face = bool(_WHOLE_FACE.search(body.lower()))
    procedures = procedure_words(context, glossary) if context else []
    carried = procedures if whole_face or not context else _subject(context, glossary)
    if _names_area([*own, body], glossary):  # "턱은요?" after "입술필러 얼마나 유지돼요?": filler, not lip filler
        carried = [_without_area(w, glossary) for w in procedures]
    if compares and context and own_procedures:
        # "longer than for hifu??" after "how long is the numbing cream on for fractional laser":
        # the last question, asked of both procedures
        carried += _without_procedures(previous, glossary).split()
    if (
        _points_back(body)
        and not ((_UPDATE.search(text) or _SEEN_TO.search(previous)) and _gated_as(previous, gate, Status.URGENT))
        and not (context and _asks_of_the_procedure(body, previous, glossary))
    ):
        # "will they soften?": what "they" were is in the last question's topic (but after news
        # that an emergency was seen to, "they saw me. how long ...?" asks something new; and
        # "does it hurt?" after "my derm said skin boosters might help my dry skin" asks of the
        # procedure, not of the dry skin)
        # ("what about on my face, how long does it last?" after "hifu on my belly": not the belly)
        carried += [
            w
            for w in topic_words(previous, glossary)
            if not (whole_face and not compares and _names_area([w], glossary))
        ]
    # "full legs?" after "how long does an underarm session take?": the same question, of another area
    of_an_area = len(words) <= SHORT_FOLLOW_UP and _names_area(own, glossary)
    if (connected or compares or of_an_area) and not _frame(body, glossary):
        # "and bruising?": asked the way the last question asked ("간격은요?" asks its own way)
        carried += _frame(previous, glossary).split()
    return _with(body, carried) if carried else question


def _asked_of(text: str, glossary: Glossary) -> list[str]:
    """The topic words of ``text`` besides the procedure's name ("bruising" in "how common is
    bruising after a thread lift?")."""
    named = " ".join(procedure_words(text, glossary)).split()
    return [w for w in topic_words(text, glossary) if w not in named]


def _subject(text: str, glossary: Glossary) -> list[str]:
    """The procedure and the body area ``text`` names ("jaw botox")."""
    procedures = procedure_words(text, glossary)
    named = {w for p in procedures for w in p.split()}  # "nose" of "nose filler" is said once
    return [w for w in topic_words(text, glossary) if _AREA_WORDS.fullmatch(w) and w not in named] + procedures


def _other_side(body: str, context: str, glossary: Glossary) -> str:
    """What a one-sided comparison ("does chin filler last longer?") is compared with: the
    procedure and area the conversation was about (``context``), when the message names another
    one; else ''."""
    lowered = body.lower()
    if not _BARE_COMPARATIVE.search(lowered) or _OTHER_SIDE.search(lowered):
        return ""
    own, before = _subject(body, glossary), _subject(context, glossary)
    if not own or not before or set(own) == set(before):
        return ""
    return " ".join(before)


def _about_an_emergency(text: str, previous: str, gate: SafetyGate | None, glossary: Glossary) -> bool:
    """Whether a follow-up to ``previous`` is about it while it is an emergency not yet seen to:
    any follow-up is ("should I just wait?", "how long does swelling last after nose filler
    anyway?", "how many advil can I take?"; urgent comes before refused), unless it says it moves
    on to something else or that the emergency is seen to, or asks only of another procedure
    ("how long does a thread lift last?" after lip filler). News that it is worse is not news that
    it was seen to."""
    if _SEEN_TO.search(text) or _SEEN_TO.search(previous) or _MOVES_ON.search(text):
        return False
    own, before = (procedure_kinds((glossary.translate(m) if is_korean(m) else m).lower()) for m in (text, previous))
    if own and before and not own & before:
        return False
    return _gated_as(previous, gate, Status.URGENT)


def _gated_as(message: str, gate: SafetyGate | None, status: Status) -> bool:
    verdict = (gate or default_safety()).check(message)
    return verdict is not None and verdict.status is status


def keeps_post(question: str, searched: str, glossary: Glossary | None = None) -> bool:
    """Whether the answer to ``question`` should prefer the post the conversation was about:
    ``searched`` (its ``rewrite``) carries the conversation's topic and the question names no
    procedure of its own."""
    if searched == question:
        return False
    body, _ = _split_connector(" ".join(question.split()))
    return not procedure_words(body, glossary or default_glossary())


def _without_procedures(text: str, glossary: Glossary) -> str:
    """``text`` without the words that name its procedures and body areas ("how long does
    swelling last after" from "... after lip filler"): what was asked, for another procedure."""
    plain = _TAG.sub(" ", text)
    for name in sorted(procedure_words(plain, glossary), key=len, reverse=True):
        plain = re.sub(re.escape(name), " ", plain, flags=re.IGNORECASE)
    return _drop_areas(plain)


def _drop_areas(text: str) -> str:
    """``text`` without the words that name body areas, spaces tidied."""
    return " ".join(_AREA_WORDS.sub(" ", text).split())


def _names_area(words: Sequence[str], glossary: Glossary) -> bool:
    """Whether one of ``words`` (English, or Korean glossary forms) names a part of the body."""
    english = " ".join(w for w in words if w.isascii())  # "under eyes" is one area, in two words
    return bool(_AREA_WORDS.search(english)) or any(
        any(_AREA_WORDS.fullmatch(e) for _, _, e in glossary.matches(w)) for w in words if not w.isascii()
    )


def _without_area(name: str, glossary: Glossary) -> str:
    """A procedure's name without the body area it was named with ("lip filler" -> "filler",
    "입술필러" -> "필러"), for a follow-up that names an area of its own."""
    if name.isascii():
        return _drop_areas(name) or name
    kept, done = [], 0
    for start, end, english in glossary.matches(name):
        kept.append(name[done:start])
        plain = _drop_areas(english)
        if plain == english:
            kept.append(name[start:end])
        elif plain:  # the area and the procedure in one form: the procedure's own form
            kept.append(glossary.korean(plain) or name[start:end])
        done = end
    kept.append(name[done:])
    return " ".join("".join(kept).split()) or name


def _with(body: str, words: Sequence[str]) -> str:
    """``body`` followed by the given words it does not already hold."""
    have = set(tokens(body))
    carried = [w for w in dict.fromkeys(words) if not tokens(w) or not set(tokens(w)) <= have]
    return f"{body} {' '.join(carried)}".strip()


__all__ = ["keeps_post", "procedure_words", "rewrite", "topic_words"]
