"""The extractive answerer: picks the archive sentences that answer a question, verbatim.

It never writes a fact of its own: the answer is the best sentence (prefixed with where it
comes from), the next-best sentence of the same post when the two nearly tie, optionally the
sentence that says what a figure is based on, each with an [n] marker whose citation quotes that
exact sentence.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from langchain_core.embeddings import Embeddings

from .archive import INTRO_HEADING
from .glossary import PART_SEPARATOR
from .lexical import STOPWORDS, LexicalIndex, stem, tokens, weighted_tokens
from .meaning import Meaning
from .post_record import ABOUT, record_sentences
from .text import LABEL, STAT_LINE
from .types import Chunk, Citation, Hit

# Words that say what kind of answer is wanted rather than what it is about.
INTENT_WORDS = frozenset(
    tokens(
        "common often frequent frequently likely percent percentage proportion rate chance risk odds "
        "long many much soon usually typically normal expect happen occur get"
    )
)
# Words every question to a clinic may use: they never make a sentence an answer on their own.
GENERIC_WORDS = frozenset(tokens("clinic clinics hospital doctor doctors procedure procedures treatment treatments"))
_SUPERLATIVE = re.compile(r"\bmost (common|frequent|likely)\b")
_SUPERLATIVE_TOPIC = frozenset(tokens("common frequent likely"))  # "the most common side effect" names one
_STAT_Q = re.compile(
    r"how (common|often|frequent|likely|rare)|percent|proportion|\brate\b|chance|risk|odds|"
    r"\b(more|less|most|least) (common|likely|frequent)|\b(rarest|commonest)\b"
)
# "how often do I need a skin booster?", "... and how often?" ask how far apart visits are, not
# how common something is ("how often does bruising happen?")
_INTERVAL_Q = re.compile(
    r"\bhow often\b(?!\s+(?:do|does|did|is|are|was|were|will|would|can|could|should|might|may)\s+(?!i\b|you\b|we\b))"
)
# "what % of people get X": answered by a percentage for X itself, or not at all ("Rolling scars:
# 50% improvement" is no answer to "what % get an infection after fractional laser")
_PERCENT_Q = re.compile(r"%|\bpercent(age)?s?\b|\bwhat proportion\b")
# "how common is it for filler to migrate?": answered by how common (a percentage, or words such
# as "rare" or "most patients") for that thing, not by how long filler lasts
_RATE_Q = re.compile(
    r"\bhow (common|likely|rare)\b|\bwhat are the (chances|odds)\b|\b(chance|odds|risk) of\b"
    r"|\b(infection|complication|side effect|bruising|swelling|exposure|migration|recurrence)s? rates?\b"
    # "how often do people get bruising?" (not "how often do I go?")
    r"|\bhow often (?:do|does|did|will|would) (?:people|ppl|patients|persons|folks|women|men|clients|others)\b"
    r".{0,40}\b(?:get|gets|have|has|experience|develop|end up|notice)\b"
)
_RATE = re.compile(
    r"%|\b(common|commonly|uncommon|rare|rarely|frequent|frequently|often|usually|occasionally|likely|unlikely|"
    r"most|many|some|few)\b",
    re.I,
)
_RATE_ASKED_WORDS = frozenset(
    tokens("people patients person ppl folks get gets got getting chance chances odds actually usually typically")
    + tokens("percent percentage rate rates risk risks side effect effects complication complications")
    + tokens("common often likely frequent frequently happen happens")
    + tokens("general generally overall normally honestly basically")  # "in general, how common ..."
)
_TIME_Q = re.compile(
    r"how long|how many (days|weeks|months|hours|minutes|years)|how soon|"
    r"when (can|will|do|does|should|is|are)|until|\blast\b|\bdowntime"
)
_COUNT_Q = re.compile(r"how many|how much|how often")
# What kind of time a question asks for, and how a sentence that gives it reads. The asking words
# ("take", "last", "apart") are not topic words, so without this "how long does a session take?"
# would rank "sessions are spaced 2 weeks apart" as high as "a session takes about 20 minutes".
# How a sentence, or the heading of its list ("What to avoid"), says that something must wait.
_RESTRICTION = re.compile(r"\bavoid\b|\bdo not\b|\bdon.t\b|\bwait\b|\bfrom day\b|\bagain\b|\bis fine\b|\bno \w+ for\b")
# "how soon can I go back for more?", "how soon can I get it again?": when the procedure itself may
# be repeated, not an activity
# "how long does botox take to work?", "how long do results take to show up?": how soon, not how long a visit takes
_TAKES_TO_SHOW = r"\btakes? (?:\w+ ){0,2}?to (?:\w+ ){0,2}?(?:show|appear|work|kick|see|notice|settle)"
_REPEAT_Q = re.compile(
    r"\b(?:go|going|come|coming|get|getting) back\b[^?.]{0,20}\b(?:more|again|another)\b"
    r"|\b(?:top|touch)[ -]?ups?\b|\bre-?do\b|\b(?:get|getting|add|adding|put|putting) (?:some )?more\b"
    r"|\b(?:get|getting|do|doing|have|having) (?:it|this|that|them|one|another(?: one| session)?) (?:done )?again\b"
)
# "when will I see a difference?", "how long till it kicks in", "when do results show": how soon a
# change shows, not how long it lasts
_ONSET_Q = re.compile(
    r"\b(till|til|until|untill|before)\b.*\b(see|notice|look|show|work|kick)|\bhow soon\b"
    r"|\bwhen (will|do|does) (i|you|it|they|the)\b|\bwhen can (i|you) (see|notice|expect|tell)\b"
    r"|\bwhen (do|does|will|is|are|should)\b[^?.]{0,30}\b(show|shows|appear|appears|kick|kicks|act|start|starts|begin|"
    r"begins|work|working|supposed to)\b|\bkicks? in\b|\btakes? effect\b|\b(start|begin)\w* (to )?(see|notice)"
    r"|" + _TAKES_TO_SHOW
)
# What heals after a procedure: how soon a result shows is not answered by when redness fades
# ("when will i start seeing my melasma fade?" is not "redness fades within 1 to 2 hours").
_AFTERMATH = re.compile(
    r"\b(redness|red|swelling|swollen|puff\w*|bruis\w*|crust\w*|scab\w*|tender\w*|sore\w*|itch\w*|sting\w*|"
    r"flak\w*|peeling|bumps?|numb\w*)\b"
)
# how long a result lasts, not how soon it shows ("last week" is a time)
_LASTS = re.compile(r"\blasts?\b(?! (?:week|night|time|month|year|session|one|few|couple)\b)|\blasting\b")
ANSWER_KINDS = (
    (  # how long an appointment takes
        re.compile(
            r"(?!" + _TAKES_TO_SHOW + r")\btakes?\b"
            r"|\bstart to finish\b|\bhow long (is|are) (the|a|one|each) (session|appointment|visit)"
        ),
        re.compile(r"\btakes?\b|\bminutes?\b"),
    ),
    (  # how far apart sessions are
        re.compile(r"\bapart\b|\bbetween\b|\bgap\b|\binterval|\bhow often\b|\bagain\b|\brepeat|" + _REPEAT_Q.pattern),
        re.compile(r"\bapart\b|\bevery\b|\bintervals?\b|\bspaced\b|\bonce\b|\bwait(ing)?\b|\bat least\b"),
    ),
    (  # how soon a change shows
        _ONSET_Q,
        re.compile(
            r"\bafter\b|\bwithin\b|\bappears?\b|\bstarts? to\b|\bshows?\b|\bvisible\b|\bnoticeable\b"
            r"|\bbuilds? up\b|\bgradually\b"
        ),
    ),
    (  # how long something must wait or be avoided ("when can i drink again", "how long no sauna")
        re.compile(
            r"\bwhen can i\b(?! (see|notice|expect|tell)\b)"
            r"|\bhow soon\b[^?.]{0,30}\bcan i\b(?! (see|notice|expect|tell)\b)"
            r"|\bhow long (do|should|must|will) i (have to |need to )?"
            r"(wait|stay|avoid|keep|stop|hold off|skip|not|quit|give up|lay off|go without)\b"
            r"|\bhow long (until|till|til|before) (i|we) can\b|\bhow long no\b"
        ),
        _RESTRICTION,
    ),
    (  # what a product is made of ("whats actually in a skin booster?")
        re.compile(
            r"\bwhat(?:.s|s| is| are)? (?:actually |really )?in (?:it|them|a|an|the|this|that|those|these)\b"
            r"|\bmade (?:of|from)\b|\bingredients?\b|\bwhat (?:do|does) (?:they|you|it) (?:inject|contain)\b"
        ),
        re.compile(r"\bcontains?\b|\bingredients?\b|\bmade (?:of|from)\b|\bsuch as\b|\bconsists?\b"),
    ),
    (  # how long a result lasts ("how long do the results hold up", "when does it wear off")
        re.compile(r"\b(results?|effects?)\b.*\b(last|lasts|hold|stay|keep)\b|\bwears? off\b|\bhold up\b"),
        re.compile(r"\b(effect|results?)\b.*\blasts?\b"),
    ),
)
# "can I fly the day after lip filler?", "is it ok to wax before laser hair removal?", "is iced
# tea ok after botox?": whether something may be done around a procedure, answered only by a
# sentence naming it
_CAN_I_AROUND = re.compile(
    r"\b(can|could|should) i\b[^?.]{0,40}\b(after|before|during)\b"
    r"|\bis it (ok|okay|fine|safe) to\b[^?.]{0,40}\b(after|before|during)\b"
    r"|\b(is|are) (?:\w+ ){1,3}(ok|okay|fine|safe|allowed|bad)\b[^?.]{0,30}\b(after|before|during)\b"
)
# "can men get jaw botox?", "is fractional ok for darker skin?", "does it work on grey hair?":
# whether it suits someone or something, answered only by a sentence naming them
_FOR_WHOM = re.compile(
    r"\bcan (?!i\b|you\b|it\b|they\b|we\b|u\b)[a-z]+ (?P<asks>get|have|do)\b"
    r"|\b(?P<suits>ok|okay|safe|suitable|good|fine|work|works|effective) (?:for|on|with) (?!(?:the|my|your|a) )"
)
KIND_BONUS = 0.3
# "around which session will it fade?" asks for an ordinal: "after the 5th session"
_WHICH_ONE_Q = re.compile(r"\b(?:which|what) (?:session|visit|round|appointment)\b")
_ORDINAL = re.compile(
    r"\b\d+(?:st|nd|rd|th)\b|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b", re.I
)
# "after the 5th session" says when a change shows as well as a time does
_NTH_VISIT = re.compile(rf"(?:{_ORDINAL.pattern}) (?:session|visit|treatment|round|peel|injection)s?\b", re.I)
# "How long does the appointment take?" is answered in minutes or hours, never by how long a
# result or the recovery lasts: without such a sentence the answer is "not in the posts".
_VISIT_LENGTH_Q = re.compile(
    r"\b(session|appointment|procedure|treatment|injection|visit)s?\b[^?.]{0,25}\btakes?\b(?! to\b)"
    r"|\bstart to finish\b"
    # "how long is the actual injection", "how long is a full face session"
    r"|\bhow long (is|are) (the|a|an|one|each|my|your)\b[^?.,]{0,40}"
    r"\b(session|appointment|procedure|treatment|injection|injecting|visit)s?\b"
    r"(?! (course|series|plan|results?|effects?))"
)
_VISITS_COUNTED = re.compile(
    r"\bhow many (?:[\w-]+ ){0,3}?(?:sessions?|appointments?|treatments?|visits?|rounds?|injections?)\b"
)
_VISIT_LENGTH = re.compile(r"\b(minutes?|mins?)\b|\b(takes?|lasts?)\b[^.]{0,30}\bhours?\b")
# "Does laser toning hurt?" is answered by a sentence saying how it feels ("warm and prickly",
# "Mild and easy to tolerate: 48%"), never by another sentence of the same post.
_COMBINED = re.compile(
    r"\b(?:(?:on )?the same (?:day|time|session|visit|appointment)|together|combin(?:e|ed|es|ing)|back to back"
    r"|at once|in one (?:go|session|visit|appointment))\b"
)
_PAIN_Q = re.compile(r"\b(?:hurts?|hurting|pain|painful|stings?|stinging|ouch|uncomfortable)\b")
_SENSATION = re.compile(
    r"\b(?:pain|hurt|sting|sore|tender|discomfort|numb(?:ing|ness)?\b|an(?:a)?esthe|lidocaine|tolera|prickl|ach(?:e|es|ing)\b)"
    r"|\b(?:rubber band|out of 10)\b",
    re.I,
)
_FEELING_WORDS = frozenset(tokens("pain hurt painful sting"))
PREFER_BONUS = 0.3  # a follow-up's answer from the post the conversation was about
# "how many laser toning sessions", and "which needs more sessions" (a count, compared)
_COUNTED = re.compile(
    r"(?:how many|\b(?:more|fewer)(?= (?:sessions|treatments|visits|rounds|appointments|times)\b)) ((?:[a-z]+\s*){1,4})"
)
# "How many units / ml / threads?" is answered by a number of them, or not at all ("12 to 24
# months" is no answer to "how many ml"). Counts that other words answer are exempt: visits are
# counted in sessions or intervals, people in rates, time in its own units.
_COUNT_ANSWERED_OTHERWISE = frozenset(
    tokens(
        "time times session sessions treatment treatments visit visits appointment appointments round rounds "
        "people patients person percent percentage year years month months week weeks day days hour hours "
        "minute minutes effect effects"
    )
)
# "How many times / rounds / visits" is counted in sessions as well: any of them answers.
_VISIT_NOUNS = frozenset(
    "time times session sessions round rounds visit visits treatment treatments appointment appointments".split()
)
_VISITS = "sess|time|round|visit|treatm|appoint"
_COUNTED_BEFORE = re.compile(r"([a-z]{3,}) how many")  # Korean word order: "study how many"
_HOW_MANY_GET = re.compile(
    r"how many (?:(?:of )?(?:the )?(?:people|ppl|patients|persons|folks|women|men|clients)|of (?:them|us))\b"
    r".*\b(get|gets|got|have|has|had|experience|develop|suffer|end up|see|notice)"
)
_TIME_UNIT = re.compile(
    r"\b(?:\d[\d.,]*|a|one|two|three|four|five|six|a few|several)\s*(?:to\s*\d+\s*)?"
    r"(?:minutes?|hours?|days?|nights?|weeks?|months?|years?)\b|\bday \d+"
    r"|\bthe (?:same|next|following) day\b|\bthe day (?:of|after|before)\b|\bovernight\b",
    re.I,
)
_NUMBER = re.compile(r"\d")
_META = re.compile(
    r"\b(today,? (i|we) will|i will (explain|organize|go through|tell|summari[sz]e)|"
    r"in this (sample )?post,? (i|we) (will|imagined)|let.?s (look|see)|we will (look|see|explain))\b",
    re.I,
)
# A question with several parts or a comparison: "X and how long...", "A or B", "vs", "more than".
MULTI_PART = re.compile(
    r"\b(or|vs\.?|versus|compared?|than|both|(?:and|n) (how|what|when|which|is|are|does|do|can|will|should|why)|"
    r"(more|less) (common|likely|frequent|often)|which (is|one|lasts|area|side|kind|type)|same as)\b|\?.+\?|;"
)
# Where a question in parts splits: "... and how long ...", "..., and can I ...", "..., how far apart".
_WH = "how|what|when|which|why"  # the question words a part of a question may open with
_PARTS = re.compile(
    rf",?\s+(?:and|n|&)\s+(?=(?:{_WH}|is|are|does|do|can|will|should)\b)|,\s*(?=(?:{_WH})\b)",
    re.I,
)
_WH_OPENS = re.compile(rf"(?:{_WH})\b")
# ("most people", "most of them" count people: not a superlative)
_MAX_WORDS = re.compile(
    r"\b(most(?! (?:people|ppl|patients|persons|folks|women|men|clients|of)\b)"
    r"|highest|commonest|biggest|largest|greatest|longest|worst)\b"
)
_MIN_WORDS = re.compile(r"\b(least|lowest|rarest|smallest|fewest|shortest|rarely|fastest|quickest|soonest)\b")
# "the #1 reason", "the main cause": the top of a list of causes, not a question of why
TOP_REASON = re.compile(
    r"(?:#\s?1|\bnumber one|\bno\.? ?1|\bmain|\btop|\bleading|\bbiggest|\bmost common|\bcommonest|\bprimary)"
    r" (?:reasons?|causes?)\b"
)
_FIGURE = re.compile(r"(\d[\d.,]*)\s*%")
# a list line's duration: "Chin and nose: 12 to 24 months", "Under-eye hollows: about 12 months"
_LABELLED = re.compile(LABEL + r"(?P<rest>.+)$")
_DURATION = re.compile(
    r"(?P<low>\d+(?:\.\d+)?)(?:\s*(?:to|-|–)\s*(?P<high>\d+(?:\.\d+)?))?\s*(?P<unit>day|week|month|year)s?\b", re.I
)
_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_WHEN = re.compile(r"\bwhen\b")  # a bare "when" (Korean search text ends with it); "how long" is a _TIME_Q


def _extremes(question: str) -> list[str]:
    """Which ends of a list a superlative question asks for, in the order asked."""
    found = [(m.start(), "max") for m in _MAX_WORDS.finditer(question)]
    found += [(m.start(), "max") for m in TOP_REASON.finditer(question)]
    found += [(m.start(), "min") for m in _MIN_WORDS.finditer(question)]
    return list(dict.fromkeys(kind for _, kind in sorted(found)))


def list_figure(line: str) -> tuple[str, float] | None:
    """The kind ("%" or "days") and value of a list line's figure: ("%", 38.0) for "Teeth clenching
    or grinding: 38%", ("days", 540.0) for "Chin and nose: 12 to 24 months" (a range counts by its
    middle); None for a sentence of prose or a line without such a figure."""
    labelled = _LABELLED.match(line.strip())
    if labelled is None or line.rstrip().endswith((".", "!", "?")):  # a sentence of prose
        return None
    rest = labelled.group("rest")
    if (share := _FIGURE.search(rest)) is not None:
        return "%", float(share.group(1).replace(",", ""))
    if (duration := _DURATION.search(rest)) is not None:
        low = float(duration.group("low"))
        high = float(duration.group("high") or low)
        return "days", (low + high) / 2 * _DAYS[duration.group("unit").lower()]
    return None


def _list_item(sentence: str) -> bool:
    """A line of a list ("Dental treatment for 3 weeks"), not a sentence of prose: it says what,
    never why."""
    return not sentence.rstrip().endswith((".", "!", "?", "”", '"', "’", "'", ")"))


_WHY_Q = re.compile(
    r"\bwhy\b|\bhow come\b|\bwhat (decides|determines|causes|affects|makes|influences|changes)\b|\breasons?\b|왜|이유"
)
_BECAUSE = re.compile(
    r"\b(because|since|due to|as a result|this means|that is why|which is why|so that|depends? on|determin\w*|"
    r"the reason|caused by|in other words|varies|vary|depending on|therefore|so|comes? from|leads? to|which means)\b",
    re.I,
)
WHY_BONUS = 0.4  # a "why" question prefers sentences that explain (because, due to, depends on)
# A sentence that only makes sense after the one before it: "However, we do not recommend ...",
# "For that reason, ...", "... soften on their own during this time."
_LEANS_BACK = re.compile(
    r"^(?:however|but|so|therefore|thus|still|even so|instead|otherwise|in other words|as a result"
    r"|for (?:that|this) reason|(?:that|this) is why|that.s why|this means|that means|because of (?:this|that)"
    r"|it (?:is|was|can|may|will|usually|often|typically|generally|also)"
    r"|they (?:are|were|can|may|will|usually|often))\b"
    r"|\b(?:during|in|by|at|after) (?:this|that) (?:time|period|point|stage)\b|\bby then\b",
    re.I,
)
_SOURCE_WORDS = re.compile(r"\b(study|studies|paper|analy[sz]|data|research|survey|review|patients|people)\b", re.I)

# Answer or abstain. A sentence answers when it is close in meaning to the question (the
# packaged embedder, on "post title. sentence") or holds enough of the question's topic words.
# Both thresholds and the weight were chosen on evals/answers_dev.jsonl only
# (benchmarks/calibrate_floor.py prints both per question); the blind sets are never tuned on.
MIN_SEMANTIC = 0.65  # cosine of the question to "title. sentence"
# An English question is answered by a sentence whose e5 question-to-passage cosine reaches this
# (``meaning``; on the dev sets it kept 293 of 299 answerable English questions and 13 of 40
# out-of-archive ones, against 269 and 11 for the word-coverage rule). Korean questions keep the
# coverage rule: e5's cross-language cosines separated them no better.
MIN_PASSAGE_MATCH = 0.84
MATCHED = 8  # candidates matched in meaning per question (the best by the other signals)
MIN_RELATED = 0.08  # ... and, answering on words, at least this close in meaning ("topping" is not "top")
MIN_COVERAGE = 0.45  # share of the question's topic words (idf-weighted) a sentence must contain
SEMANTIC_WEIGHT = 1.0  # how much the meaning match counts when ranking sentences
FRAME_WEIGHT = 0.6  # a topic word in the post title or section heading counts this much
SENTENCE_CACHE = 50_000  # embedded sentences kept in memory
MAX_PARTS = 3  # sentences a multi-part or comparison answer may combine
COMPARED_SEEDS = 5  # a comparison tries the lists of the figures among this many best sentences
COMPLEMENT_SHARE = 0.6  # a further part's sentence scores at least this share of the best one
MIN_GAIN = 0.1  # ... and holds this share of the question's topic weight not yet answered
# The next-best sentence of the same post joins the best one in the answer's first paragraph when
# it scores at least this share of it: two sentences that nearly tie are usually two halves of
# one answer ("slimming appears at 2 to 4 weeks" / "slimmest at 6 to 8 weeks").
RUNNER_SHARE = 0.8

# How much each thing known about a sentence counts towards its ranking score (see ``rank``).
RANK_WEIGHTS: dict[str, float] = {
    "coverage": 1.0,  # share of the question's topic words (weighted) in the sentence
    "framed": FRAME_WEIGHT,  # ... in its post's title or section heading instead
    "retrieval": 0.15,  # the chunk's retrieval score, relative to the best hit
    "meaning": SEMANTIC_WEIGHT,  # cosine of the question to "title. sentence"
    "passage_match": 2.0,  # e5 question-to-passage cosine, less MIN_PASSAGE_MATCH
    "explains": WHY_BONUS,  # a why question, and the sentence explains (because, due to)
    "bare_figure_for_why": -WHY_BONUS,  # a why question, and the sentence is a bare figure or a list line
    "rate_for_rate": 0.3,  # "how common" and a percentage
    "time_for_time": 0.3,  # "how long / when" and a time
    "number_for_count": 0.2,  # "how many / how much" and a number
    "conversation_post": PREFER_BONUS,  # a follow-up, from the post the conversation is about
    "answer_kind": KIND_BONUS,  # gives the kind of time asked for ("takes 20 minutes" for "take")
    "lasting_for_onset": -KIND_BONUS,  # "results last 6 to 12 months" for "when do results show"
    "aftermath_for_onset": -KIND_BONUS,  # "redness fades within 1 to 2 hours" for "when will it start to fade"
    "counted": 0.6,  # "how many sessions" and "10 to 12 sessions"
    "ordinal": 0.6,  # "around which session" and "after the 5th session"
    "question_mark": -0.5,
    "quoted": -0.3,  # a patient's worry quoted by the author, not an answer
    "announces": -0.3,  # "today I will explain..." announces, it does not answer
    "introduction": -0.15,
    "number": 0.1,
    "long": -0.1,
    "unasked_area": -0.1,  # names a part of the face or body when the question names none
    "listed_for_superlative": KIND_BONUS,  # "the main cause", "the rarest" and a line of a list of figures
}

# Procedures: a question about one of these is never answered from a sentence whose post,
# section and text name none of them ("infection after a tattoo" must not get a thread-lift rate).
PROCEDURES = {
    "botox": ("botox", "toxin", "botulinum", "xeomin", "dysport", "nabota"),
    "filler": ("filler", "fillers", "hyaluronic"),
    "thread": ("thread", "threads", "pdo"),
    "hifu": ("hifu", "ultherapy", "ulthera", "shurink", "ultrasound"),
    "toning": ("toning",),
    "hair removal": ("hair removal",),
    "fractional": ("fractional", "fraxel", "co2"),
    "peel": ("peel", "peels", "peeling"),
    "booster": ("booster", "boosters", "rejuran"),
    "tattoo": ("tattoo", "tattoos"),
    "liposuction": ("liposuction", "lipo"),
    "surgery": ("surgery", "rhinoplasty", "blepharoplasty", "facelift", "nose job", "eyelid surgery"),
    "microneedling": ("microneedling", "microneedle"),
    "prp": ("prp", "platelet"),
}
# Body areas: an answer about another area than the one asked about is not an answer
# ("how many mL of filler for the chin?" is not answered by the lips' figure).
AREAS = {
    "lips": ("lip", "lips"),
    "chin": ("chin",),
    "jaw": ("jaw", "jawline", "masseter", "masseters"),
    "cheeks": ("cheek", "cheeks", "cheekbone", "cheekbones"),
    "under-eye": (
        "tear trough",
        "tear troughs",
        "under eye",
        "under eyes",
        "under-eye",
        "under-eyes",
        "undereye",
        "undereyes",
        "under the eyes",
        "eye bags",
    ),
    "forehead": ("forehead",),
    "nose": ("nose",),
    "neck": ("neck",),
    "smile lines": (
        "smile line",
        "smile lines",
        "nasolabial",
        "laugh lines",
        "nose to mouth",
        "nose to the mouth",
        "nose to my mouth",
        "nose to your mouth",
    ),
    "underarm": ("underarm", "underarms", "armpit", "armpits"),
    "legs": ("leg", "legs", "full-leg"),
    "bikini": ("bikini", "brazilian"),
    "crow's feet": ("crow's feet", "crows feet", "crow’s feet"),
    "stomach": ("stomach", "belly", "tummy", "abdomen"),
    "thighs": ("thigh", "thighs"),
    "arms": ("upper arm", "upper arms"),
    "buttocks": ("butt", "buttock", "buttocks"),
    "chest": ("chest", "cleavage"),
    "scalp": ("scalp",),
    "temples": ("temple", "temples"),
    "calves": ("calf", "calves"),
}
# What a post says of one part of the face (aftercare, how long results take) holds for the
# others; the body is another matter: a post that never names the stomach does not answer
# "can HIFU be done on my stomach?".
# Unless the passage tells the parts of the face apart: one that gives the lips' and the chin's
# figures does not answer for the cheeks, which it never names.
FACE_AREAS = frozenset(
    ("lips", "chin", "jaw", "cheeks", "under-eye", "forehead", "nose", "smile lines", "crow's feet", "temples")
)
AREAS_TOLD_APART = 2  # face areas a post names for it to tell them apart
_AREA_NAMES = {name: re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b") for name, words in AREAS.items()}


def _area_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, area) of each body-area name in a lower-cased text, in order; a longer name
    wins over a shorter one inside it ("the lines from nose to mouth" names the smile lines)."""
    found = sorted(
        ((m.start(), m.end(), name) for name, pattern in _AREA_NAMES.items() for m in pattern.finditer(text)),
        key=lambda f: f[0] - f[1],
    )
    taken: list[tuple[int, int, str]] = []
    for start, end, name in found:
        if not any(start < b and a < end for a, b, _ in taken):
            taken.append((start, end, name))
    return sorted(taken)


def _other_areas_only(hits: Sequence[Hit], asked: set[str]) -> set[str]:
    """The posts whose passage closest to the question (their first hit) tells parts of the face
    apart, and not the ``asked`` ones: "how long does cheek filler last?" is not answered by a
    post that gives the lips' and the chin's figures, nor by its other sentences."""
    if not asked:
        return set()
    first: dict[str, Hit] = {}
    for hit in hits:
        first.setdefault(hit.chunk.post_id, hit)
    out = set()
    for post_id, hit in first.items():
        told_apart = _areas(f"{hit.chunk.section}\n{hit.chunk.text}".lower()) & FACE_AREAS
        if len(told_apart) >= AREAS_TOLD_APART and not asked & told_apart:
            out.add(post_id)
    return out


def _areas(text: str) -> set[str]:
    """The body areas (keys of AREAS) a lower-cased text names."""
    return {name for _, _, name in _area_spans(text)}


# A condition of the patient a question may ask about: only a sentence naming it answers
# ("can I get lip filler while pregnant?" is not answered by how long lip filler lasts)
CONDITIONS = {
    "pregnancy": re.compile(r"\b(pregnant|pregnancy|pregnancies)\b"),
    "breastfeeding": re.compile(r"\b(breast-?feeding|breastfeed|nursing)\b"),
}


def conditions(text: str) -> set[str]:
    """The conditions (keys of CONDITIONS) a lower-cased text names."""
    return {name for name, pattern in CONDITIONS.items() if pattern.search(text)}


_NEGATED = re.compile(
    r"\b(?:not|except|besides|other than|instead of|rather than)\s+(?:(?:the|my|on|in|for|at|around)\s+){0,2}$"
)


def asked_areas(text: str) -> set[str]:
    """The body areas a lower-cased question asks about: those it names, less those it rules out
    ("forehead botox, not the jaw one", "cheek filler? not lips")."""
    return {name for start, _, name in _area_spans(text) if not _NEGATED.search(text[max(0, start - 30) : start])}


def _named_by(text: str) -> dict[str, str]:
    """Each topic word of a lower-cased text that is part of a name for a procedure or body area,
    with what it names: "ulthera" -> "hifu", "tear" and "trough" -> "under-eye". A sentence that
    names the same thing in other words ("HIFU", "under-eye hollows") holds that word."""
    out: dict[str, str] = {}
    for names in (_PROCEDURE_NAMES, _AREA_NAMES):
        for name, pattern in names.items():
            for match in pattern.finditer(text):
                for token in tokens(match.group(0)):
                    out.setdefault(token, name)
    return out


_SENTENCE_END = re.compile(r"(?<=[?])\s+(?=\S)")


def asked_sentences(question: str) -> list[str]:
    """The questions of a message that says more than its question ("how long does a session
    take? trying to fit it into my lunch break" -> the first sentence); [] for a single sentence.
    The chatter around a question dilutes its match to the sentence that answers it."""
    sentences = [s.strip() for s in _SENTENCE_END.split(question) if s.strip()]
    if len(sentences) < 2:
        return []
    return [s for s in sentences if s.endswith("?") and len(s.split()) >= 3]


def _separate_questions(question: str) -> bool:
    """Whether a message asks questions one after another, each of its own procedure: each
    is answered on its own, not asked of every procedure the message names."""
    sentences = [s for s in _SENTENCE_END.split(question) if tokens(s)]
    named = [frozenset(procedures_named(s)) for s in sentences]
    # (one that names only its procedure, "and after a peel?", asks the question before it again)
    own = all(set(tokens(s)) - PROCEDURE_TOKENS - AREA_TOKENS - INTENT_WORDS for s in sentences)
    # (nor one that compares, "is that longer than for hifu?": it weighs one against the other)
    compares = any(MULTI_PART.search(s.lower()) for s in sentences)
    return len(sentences) >= 2 and own and not compares and all(named) and len(set(named)) == len(named)


def _with_names(question: str) -> str:
    """The question with the usual name of each procedure or area it names another way ("does
    ulthera hurt?" -> "does ulthera hurt? hifu"), for a model that does not know brand names."""
    lowered = question.lower()
    usual = [name for name in dict.fromkeys(_named_by(lowered).values()) if name not in lowered]
    return " ".join([question, *usual])


_PRICE_Q = re.compile(
    r"\b(cost|costs|price|prices|pricing|how much (is|are|would|will|per|for|each|do (you|u|they) charge)\b"
    r"(?!.{0,30}\b(hurt|pain|swell|bruis|last|downtime|time|improv|better|help|work|change|differ)))|가격|비용"
    # what is paid and who pays it: insurance, discounts, payment plans
    r"|\b(insurance|insured|co.?pay|discounts?|payment plans?|instal+ments?|refunds?)\b|보험|실비|할인|환불|할부"
)
# "얼마예요" is "how much is it": a price, unless the question names what is measured
# ("최소 간격 얼마에요" asks for an interval); "how much do they improve" is not a price either.
_HOW_MUCH_KO = re.compile(r"얼마(예요|에요|야|임|정도 해|정도 들)")
_MEASURED_KO = re.compile(r"간격|기간|시간|주기|텀|동안|마다|며칠|몇|자주|오래|걸려|걸리|지속|유지")


def asks_price(lowered: str) -> bool:
    """Whether a lower-cased question asks what something costs, or about insurance, discounts
    or paying: answered by a sentence about money or not at all."""
    if _PRICE_Q.search(lowered):
        return True
    return bool(_HOW_MUCH_KO.search(lowered)) and not _MEASURED_KO.search(lowered)


# "Are you open on Sundays?", "주말에도 진료해요?": when the clinic is open is answered by a sentence
# giving days or hours, or not at all (a post about peels does not answer it).
_HOURS_Q = re.compile(
    r"\b(?:are|r) (?:you|u|they|you guys|u guys|the clinics?) open\b|\bopen(?:ing)? (?:hours|times)\b"
    r"|\bopen (?:on|at|late|till|until|during) (?:the )?"
    r"(?:weekends?|sundays?|saturdays?|holidays?|nights?|evenings?|\d)"
    r"|\b(?:business|office|clinic) hours\b|\bwhat time do (?:you|u|they) (?:open|close)\b"
    r"|진료\s*시간|영업\s*시간|(?:주말|일요일|토요일|공휴일|평일|야간)\S{0,3}\s*(?:진료|영업|문\s*열|오픈)|몇\s*시(?:에|까지|부터)"
)
_HOURS = re.compile(
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|\bweekends?\b|\bholidays?\b"
    r"|\b\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)|\bopen\b|\bclosed\b|요일|시까지",
    re.I,
)


_PRICE = re.compile(
    r"[$₩€£]|\b\d[\d,.]*\s*(won|dollars?|usd|krw)\b|원\b|\bprice|\bcost|\binsur|\bdiscount|\bpayment|\brefund", re.I
)


# Words every record says ("The post ... is from ... Clinic", "written by"): they tell no post apart.
_UNITS = ("minute", "hour", "day", "week", "month", "year")
_HOW_MANY_UNITS = re.compile(rf"\bhow many ({'|'.join(_UNITS)})s?\b")
_UNIT_SAID = re.compile(rf"\b({'|'.join(_UNITS)})s?\b")


def _near_unit(asked: int, lowered_sentence: str) -> bool:
    """Whether a sentence gives a time in the asked unit or the next one up or down: "how many
    years" is answered in years or months, not in weeks, nor by a number of sessions."""
    said = {_UNITS.index(m.group(1)) for m in _UNIT_SAID.finditer(lowered_sentence)}
    return any(abs(asked - unit) <= 1 for unit in said)


# What a doctor is qualified in, asked and said: a question about it is answered by a sentence
# that says it, or not at all.
_CREDENTIALS = re.compile(
    r"\bboard[- ]certified\b|\bcertifi|\bqualifi|\blicen[cs]|\byears? of (?:experience|practice)\b|\bexperienced\b"
    r"|\bspeciali[sz](?:ed|es|t|ts)\b|\btrained\b|\bcredentials?\b",
    re.I,
)
_RECORD_WORDS = frozenset(
    tokens("post posts article page blog clinic clinics written wrote write posted published doctor director name")
)


@dataclass(frozen=True)
class Candidate:
    sentence: str
    chunk: Chunk
    score: float
    coverage: float
    semantic: float = 0.0
    specific: bool = True  # holds a question word its post's title lacks (or the title asks it)
    features: dict[str, float] = field(default_factory=dict)  # what the ranking score is made of
    passage_match: float | None = None  # e5 cosine, when it decides (an English question)
    names_activity: bool = True  # "when can I X again?": the sentence names X (or asks no X)

    @property
    def answers(self) -> bool:
        """Close enough in meaning, or in words (beyond what the post's title says), to answer.
        A sentence announcing what the post will explain ("Today I will explain how ...") never
        answers: it names the topic and says nothing of it."""
        if not self.names_activity or self.features.get("announces"):
            return False
        if self.passage_match is not None:
            return self.passage_match >= MIN_PASSAGE_MATCH
        if self.semantic >= MIN_SEMANTIC:
            return True
        return self.coverage >= MIN_COVERAGE and self.specific and self.semantic >= MIN_RELATED


@dataclass(frozen=True)
class Composition:
    answer: str
    citations: tuple[Citation, ...]


class ExtractiveComposer:
    """Chooses and quotes sentences from retrieved chunks."""

    def __init__(
        self,
        index: Callable[[], LexicalIndex],
        section_of: Callable[[Chunk], list[Chunk]],
        embeddings: Embeddings | None = None,
        about_of: Callable[[str], Chunk | None] | None = None,
        meaning: Meaning | None = None,
        post_text: Callable[[str], str] | None = None,
    ) -> None:
        self._post_text = post_text
        self._meaning = meaning
        self._index = index
        self._section_of = section_of
        self._about_of = about_of
        self._embeddings = embeddings
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def meaning(self) -> Meaning | None:
        """The e5 model that matches questions to passages (None: ranking by words and embeddings)."""
        return self._meaning

    def _sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """Embeddings of "title. sentence" texts, cached (the archive's sentences repeat across questions)."""
        assert self._embeddings is not None
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            new = np.asarray(self._embeddings.embed_documents(missing), dtype="float32")
            with self._lock:
                for text, vector in zip(missing, new, strict=True):
                    self._vectors[text] = vector
                while len(self._vectors) > SENTENCE_CACHE:
                    self._vectors.popitem(last=False)
        with self._lock:
            return np.stack([self._vectors[t] for t in texts])

    def semantic(
        self, question: str, pairs: list[tuple[Chunk, str]], vector: Sequence[float] | None = None
    ) -> list[float]:
        """Cosine of the question to each (chunk, sentence) read in its post's context."""
        if self._embeddings is None or not pairs:
            return [0.0] * len(pairs)
        q = np.asarray(vector if vector is not None else self._embeddings.embed_query(question), dtype="float32")
        return [float(x) for x in self._sentence_vectors([f"{c.title}. {s}" for c, s in pairs]) @ q]

    def rank(
        self,
        question: str,
        hits: list[Hit],
        vector: Sequence[float] | None = None,
        prefer: Sequence[str] = (),
        typed: str | None = None,
        korean: bool = False,
    ) -> list[Candidate]:
        """Every sentence of the hits that could answer the question, best answer first
        (sentences of the ``prefer`` posts, the ones a conversation is about, count more).
        ``typed``: the question as the patient typed it (``question`` may be its English search
        text), matched in meaning to each sentence; ``korean``: it was asked in Korean."""
        intent_words = INTENT_WORDS - _SUPERLATIVE_TOPIC if _SUPERLATIVE.search(question.lower()) else INTENT_WORDS
        weights = {t: w for t, w in weighted_tokens(question).items() if t not in intent_words | GENERIC_WORDS}
        total = sum(weights.values()) or 1.0
        lowered = question.lower()
        wants_stat = bool(_STAT_Q.search(_INTERVAL_Q.sub(" ", lowered)))
        wants_time = bool(_TIME_Q.search(lowered))
        wants_count = bool(_COUNT_Q.search(lowered))
        counted = _COUNTED.search(lowered)
        counted_re = None
        if _HOW_MANY_GET.search(lowered):  # "how many people get pain" asks for a rate
            wants_stat, counted = True, None
        noun = _counted_noun(counted.group(1)) if counted else ""
        if not noun and korean and (before := _COUNTED_BEFORE.search(lowered)):
            noun = before.group(1)
        if noun:  # "how many laser toning sessions" -> "10 to 12 sessions"
            pattern = _VISITS if noun in _VISIT_NOUNS else re.escape(noun[:4])
            counted_re = re.compile(
                r"\d[\d.,]*(?![\d.,]|st\b|nd\b|rd\b|th\b)"  # "5 to 8 sessions", not "the 5th session"
                r"\s*(?:(?:to|-|–|or)\s*\d[\d.,]*\s*)?(?:\w+\s+){0,2}(?:" + pattern + ")",
                re.I,
            )
        counted_time = noun in _TIME_NOUNS  # "6 weeks apart": a time is followed by anything
        counted_strict = bool(
            counted
            and noun
            and not _WHY_Q.search(lowered)
            and not set(tokens(counted.group(1).split(noun)[0] + noun)) & _COUNT_ANSWERED_OTHERWISE
        )
        top = hits[0].score if hits else 1.0
        named = procedure_kinds(lowered)
        # "can I get a skin booster and laser toning on the same day?" is answered only by what is
        # said of both together, never by a sentence about one of them
        combined = len(named) >= 2 and bool(_COMBINED.search(lowered)) and not MULTI_PART.search(lowered)
        wants_percent = bool(_PERCENT_Q.search(lowered))
        wants_rate = bool(_RATE_Q.search(lowered)) and not _WHY_Q.search(lowered)  # not "why does the rate vary"
        percent_topic = _rate_topic(lowered, set(weights))
        areas = asked_areas(lowered)
        body_areas = areas - FACE_AREAS
        asked_conditions = conditions(lowered)
        other_areas_only = _other_areas_only(hits, areas & FACE_AREAS)
        post_areas: dict[str, set[str]] = {}
        # "how many sessions does it take?" counts visits; it does not ask how long one lasts
        wants_visit_length = bool(_VISIT_LENGTH_Q.search(lowered)) and not _VISITS_COUNTED.search(lowered)
        as_typed = (typed or question).lower()
        wants_price = asks_price(as_typed)  # as typed: a glossary may add "cost"
        wants_hours = bool(_HOURS_Q.search(as_typed))
        wants_credentials = bool(_CREDENTIALS.search(as_typed))
        unit_asked = _HOW_MANY_UNITS.search(lowered)
        asked_unit = _UNITS.index(unit_asked.group(1)) if unit_asked else None
        # (not in a comparison, "is bruising more common than pain?", nor in a question in parts,
        # "울쎄라 아파요? 효과는 얼마나 가요?", whose other part asks something else)
        # (nor when it asks how many people feel it: "what % needed breaks because of the pain?")
        wants_feeling = (
            bool(_PAIN_Q.search(lowered))
            and not _COMPARES.search(lowered)
            and not MULTI_PART.search(as_typed)
            and not (wants_percent or wants_rate)
        )
        wants_reason = bool(_WHY_Q.search(lowered)) and not TOP_REASON.search(lowered)
        wants_ordinal = bool(_WHICH_ONE_Q.search(lowered))
        superlative = bool(_extremes(lowered))
        kinds = [answer for asked, answer in ANSWER_KINDS if asked.search(lowered)]
        wants_onset = bool(_ONSET_Q.search(lowered)) and not _LASTS.search(lowered)
        asks_aftermath = bool(_AFTERMATH.search(lowered))
        # "when can I fly after filler?": only a sentence that names what is to wait (flying)
        # answers it; another restriction of the same post ("avoid saunas for 3 days") does not
        # (what a post is about, "melasma" in "can I go swimming after toning for melasma?", is
        # not the activity either)
        title_words = {h.chunk.chunk_id: set(tokens(h.chunk.title)) for h in hits}
        about = set().union(*title_words.values())
        for_whom = _FOR_WHOM.search(lowered)
        asking = set(tokens(for_whom.group("asks") or for_whom.group("suits"))) if for_whom else set()
        activity = (
            {t for t in weights if t not in PROCEDURE_TOKENS | AREA_TOKENS | NOT_AN_ACTIVITY | about | asking}
            if (_RESTRICTION in kinds or _CAN_I_AROUND.search(lowered) or for_whom) and not _REPEAT_Q.search(lowered)
            else set()
        )
        pairs = [(hit, sentence) for hit in hits for sentence in hit.chunk.sentences]
        in_context = [(h.chunk, s) for h, s in pairs]
        meanings = self.semantic(question, in_context, vector)
        for sentence_asked in asked_sentences(question):  # the question itself, without the chatter
            alone = self.semantic(sentence_asked, in_context)
            meanings = [max(a, b) for a, b in zip(meanings, alone, strict=True)]
        frames = {h.chunk.chunk_id: f"{h.chunk.title} {h.chunk.section}" for h in hits}
        frame_words = {cid: set(tokens(text)) for cid, text in frames.items()}
        frame_procedures = {cid: procedure_kinds(text.lower()) for cid, text in frames.items()} if named else {}
        aliases = _named_by(lowered)
        for name in set(aliases.values()):  # one thing named twice ("hifu, ulthera") counts once
            same = sorted((t for t in aliases if aliases[t] == name and t in weights), key=weights.__getitem__)
            for t in same[:-1]:
                del weights[t]
        total = sum(weights.values()) or 1.0
        frame_names = {cid: procedure_kinds(text.lower()) | _areas(text.lower()) for cid, text in frames.items()}
        out: dict[str, Candidate] = {}
        for (hit, sentence), meaning in zip(pairs, meanings, strict=True):
            if hit.chunk.section == ABOUT:
                continue  # the post's record answers only "who wrote / when posted" questions
            frame = frame_words[hit.chunk.chunk_id]
            lowered_sentence = sentence.lower()
            named_here = (
                named & (frame_procedures[hit.chunk.chunk_id] | procedure_kinds(lowered_sentence)) if named else set()
            )
            if named and not named_here:
                continue  # about another procedure than the one asked about
            if combined and len(named_here) < 2:
                continue  # says nothing of the two together
            if asked_conditions and not asked_conditions <= conditions(lowered_sentence):
                continue  # says nothing of the pregnancy or breastfeeding asked about
            if body_areas and not body_areas & self._areas_of(hit.chunk.post_id, post_areas):
                continue  # its post never names the part of the body asked about
            if hit.chunk.post_id in other_areas_only:
                continue  # the post's passage on the question tells parts of the face apart, not this one
            if areas:
                said = _areas(lowered_sentence) or _areas(frames[hit.chunk.chunk_id].lower())
                if said and not said & areas:
                    continue  # about another body area than the one asked about
            if wants_visit_length and not _VISIT_LENGTH.search(lowered_sentence):
                continue  # how long a visit takes is said in minutes or hours
            if wants_hours and not _HOURS.search(sentence):
                continue  # when the clinic is open is answered by days or hours
            if wants_feeling and not _SENSATION.search(sentence):
                continue  # "does it hurt?" is answered by how it feels
            if wants_price and not _PRICE.search(sentence):
                continue  # a price question is answered by a price or not at all
            if asked_unit is not None and not _near_unit(asked_unit, lowered_sentence):
                continue  # "how many years" is not answered in weeks (in months, or days for weeks, it is)
            if wants_credentials and not _CREDENTIALS.search(sentence):
                continue  # "is he board-certified?" is not answered by the sign-off naming him
            counts = counted_re is not None and (
                bool(counted_re.search(sentence)) if counted_time else _counts(counted_re, sentence)
            )
            if counted_strict and not counts:
                continue  # "how many units" is answered by a number of units
            words = set(tokens(sentence))
            if wants_feeling:
                words |= _FEELING_WORDS  # "warm and prickly" says how much it hurts
            if len(words) < 2 and not _NUMBER.search(sentence):
                continue  # "Thank you.", "It depends.": too little to answer anything
            about_it = not percent_topic or bool(percent_topic & words)
            if wants_percent and not ("%" in sentence and about_it):
                continue  # "what % get an infection" is answered by the infection's percentage
            if wants_rate and not (_RATE.search(sentence) and about_it):
                continue  # "how common is it for filler to migrate" is answered by how common it is
            if aliases:  # a name of the procedure or area asked about, in the sentence's own words
                said_here = procedure_kinds(lowered_sentence) | _areas(lowered_sentence)
                words |= {t for t, name in aliases.items() if name in said_here}
                frame = frame | {t for t, name in aliases.items() if name in frame_names[hit.chunk.chunk_id]}
            coverage = sum(w for t, w in weights.items() if t in words) / total
            framed = sum(w for t, w in weights.items() if t in frame and t not in words) / total
            if not coverage and meaning < MIN_SEMANTIC and not framed:
                # a sentence, or the title and heading it sits under ("results ... over 2 to 3
                # months" under "When do HIFU results appear?"), must say something of the topic
                continue
            timed = wants_time and (
                bool(_TIME_UNIT.search(sentence)) or (wants_onset and bool(_NTH_VISIT.search(lowered_sentence)))
            )
            features = {
                "coverage": coverage,
                "framed": framed,
                "retrieval": hit.score / top,
                "meaning": meaning,
                "explains": float(wants_reason and bool(_BECAUSE.search(sentence))),
                "bare_figure_for_why": float(
                    wants_reason and (bool(STAT_LINE.match(sentence)) or _list_item(sentence))
                ),
                "rate_for_rate": float(wants_stat and "%" in sentence),
                "time_for_time": float(timed),
                "number_for_count": float(not timed and wants_count and bool(_NUMBER.search(sentence))),
                "conversation_post": float(hit.chunk.post_id in prefer),
                "answer_kind": float(
                    any(k.search(lowered_sentence) for k in kinds)
                    or (_RESTRICTION in kinds and bool(_RESTRICTION.search(hit.chunk.section.lower())))
                ),
                "lasting_for_onset": float(wants_onset and bool(_LASTS.search(lowered_sentence))),
                "aftermath_for_onset": float(
                    wants_onset and not asks_aftermath and bool(_AFTERMATH.search(lowered_sentence))
                ),
                "counted": float(counts),
                "ordinal": float(wants_ordinal and bool(_ORDINAL.search(sentence))),
                "question_mark": float(sentence.rstrip().endswith("?")),
                "quoted": float(sentence.startswith(("“", '"'))),
                "announces": float(bool(_META.search(sentence))),
                "introduction": float(hit.chunk.section == INTRO_HEADING),
                "number": float(bool(_NUMBER.search(sentence))),
                "long": float(len(sentence.split()) > 45),
                "unasked_area": float(not areas and bool(_areas(lowered_sentence))),
                # (of a list of shares, not when a time is asked: "when does it look its best?")
                "listed_for_superlative": float(
                    superlative
                    and (listed := list_figure(sentence)) is not None
                    and not (listed[0] == "%" and (wants_time or bool(_WHEN.search(lowered))))
                ),
            }
            score = sum(RANK_WEIGHTS[name] * value for name, value in features.items())
            if sentence not in out or out[sentence].score < score:
                title = title_words[hit.chunk.chunk_id]
                asked = [t for t in weights if t not in PROCEDURE_TOKENS]
                specific = any(t in words and t not in title for t in weights) or (
                    bool(asked) and all(t in title for t in asked) and any(t in words for t in asked)
                )
                out[sentence] = Candidate(
                    sentence,
                    hit.chunk,
                    score,
                    coverage + FRAME_WEIGHT * framed,
                    meaning,
                    specific,
                    features,
                    # the sentence, or its section heading, beyond what the post's title says
                    names_activity=not activity or bool(activity & ((words | frame_words[hit.chunk.chunk_id]) - title)),
                )
        ranked = sorted(out.values(), key=lambda c: c.score, reverse=True)
        return self._matched(typed or question, ranked, decides=not korean)

    def _areas_of(self, post_id: str, known: dict[str, set[str]]) -> set[str]:
        """The body areas a post names anywhere (all of them when its text is not known),
        remembered in ``known``."""
        if self._post_text is None:
            return set(AREAS)
        if post_id not in known:
            known[post_id] = _areas(self._post_text(post_id).lower())
        return known[post_id]

    def _matched(self, question: str, ranked: list[Candidate], decides: bool) -> list[Candidate]:
        """The best ``MATCHED`` candidates re-ranked with their e5 match to the question, then the
        rest, which (when the match decides) do not answer on their own. Only a few sentences
        are matched: each one the cache lacks costs about 7 ms to encode."""
        if self._meaning is None or not ranked:
            return ranked
        head, tail = ranked[:MATCHED], ranked[MATCHED:]
        passages = [f"{c.chunk.title}. {c.sentence}" for c in head]
        sims = self._meaning.similarity(_with_names(question), passages)
        for asked in asked_sentences(question):  # "how long does it take? trying to fit it in at lunch"
            alone = self._meaning.similarity(_with_names(asked), passages)
            sims = [max(a, b) for a, b in zip(sims, alone, strict=True)]
        weight = RANK_WEIGHTS["passage_match"]
        head = [
            replace(
                c,
                score=c.score + weight * (sim - MIN_PASSAGE_MATCH),
                features={**c.features, "passage_match": sim - MIN_PASSAGE_MATCH},
                passage_match=sim if decides else None,
            )
            for c, sim in zip(head, sims, strict=True)
        ]
        head.sort(key=lambda c: c.score, reverse=True)
        return head + [replace(c, passage_match=0.0) if decides else c for c in tail]

    def compose(
        self,
        question: str,
        hits: list[Hit],
        korean: bool = False,
        vector: Sequence[float] | None = None,
        prefer: Sequence[str] = (),
        typed: str | None = None,
    ) -> Composition | None:
        """The answer and its citations, or None when no sentence answers the question
        (``typed``: the question as typed, when ``question`` is its search text)."""
        ranked = self.rank(question, hits, vector, prefer, typed, korean)
        # the best sentence that answers on its own leads (a higher-ranked one that does not is
        # passed over, not a reason to abstain); the others may still answer further parts
        best = next((c for c in ranked if c.answers), None)
        if best is None:
            return None
        ranked = [best, *(c for c in ranked if c is not best)]
        lowered = question.lower()
        extremes = _extremes(lowered)
        # the list a superlative asks about (of the parts of the face it names, "where does filler
        # last longest, forehead or chin?", each one's figure answers: below)
        if extremes and list_figure(best.sentence) is not None and len(asked_areas(lowered)) < 2:
            picked = self._extreme_lines(best, extremes)
            if picked:
                basis = self._basis(best)
                return self._composition([*picked, *([basis] if basis else [])], korean, together=len(picked))
        separate = _separate_questions(question)
        if MULTI_PART.search(lowered) or alternatives(lowered) or separate:
            compared: list[Candidate] = []
            if separate:  # "how long do the bumps last after laser hair removal? and what does a peel do?"
                compared = self._per_part(question, hits, prefer, korean, by_sentence=True)
            if not compared and not _WHY_Q.search(lowered):  # "why does X fade faster than Y?" asks for the reason
                compared = (
                    self._per_procedure(question, hits, prefer, korean)
                    or self._per_area(question, hits, prefer, korean)
                    or self._per_alternative(question, hits, prefer, korean)
                )
            compared = compared or self._per_part(question, hits, prefer, korean)
            if compared:
                return self._composition(compared, korean, together=len(compared))
            chosen = self._complements(question, ranked)
            if len(chosen) > 1:
                basis = self._basis(chosen[0]) if STAT_LINE.match(chosen[0].sentence) else None
                return self._composition([*chosen, *([basis] if basis else [])], korean, together=len(chosen))
        chosen = [best]
        runner = ranked[1] if len(ranked) > 1 else None
        if (
            runner is not None
            and runner.answers
            and runner.chunk.post_id == best.chunk.post_id
            and runner.score >= RUNNER_SHARE * best.score
        ):
            chosen.append(runner)  # nearly as good, from the same post: the answer quotes both
        together = len(chosen)
        if STAT_LINE.match(best.sentence):
            basis = self._basis(best)
            if basis and basis.sentence not in {c.sentence for c in chosen}:
                chosen.append(basis)
        return self._composition(chosen, korean, together=together)

    def compose_about(
        self, kinds: list[str], hits: list[Hit], korean: bool = False, typed: str = ""
    ) -> Composition | None:
        """Answer "who wrote / which clinic / when was it posted" from a post's record: the record
        holding most of the names the question (``typed``) gives (of several, the one whose title
        is closest in meaning to the question), else the top post's."""
        if not hits or not kinds or self._about_of is None:
            return None
        asked = set(tokens(typed)) - _RECORD_WORDS
        records = {post: self._about_of(post) for post in dict.fromkeys(h.chunk.post_id for h in hits)}
        named = {post: len(asked & set(tokens(" ".join(r.sentences)))) for post, r in records.items() if r}
        if not named:
            return None
        most = max(named.values())
        tied = [post for post, n in named.items() if n == most]
        best = self._closest_title(typed, [records[post] for post in tied]) if most and len(tied) > 1 else tied[0]
        chunk = records[best] if named[best] else records[hits[0].chunk.post_id]
        sentences = record_sentences(chunk.sentences, kinds) if chunk else []
        if chunk is None or not sentences:
            return None
        chosen = [Candidate(s, chunk, 0.0, 0.0) for s in sentences]
        return self._composition(chosen, korean, together=len(chosen))  # a few short facts: one paragraph

    def _closest_title(self, question: str, records: list[Chunk | None]) -> str:
        """The post id of the record whose post title is closest in meaning to the question ("the
        post asking whether thread lifting is really safe": of two posts on thread-lift safety,
        the one with that title); the first record when there is no model to tell."""
        found = [r for r in records if r is not None]
        if self._meaning is None:
            return found[0].post_id
        # without "who wrote the post": only what names the post is matched to the titles
        topic = " ".join(w for w in _WORD.findall(question) if stem(w.lower()) not in _RECORD_WORDS)
        sims = self._meaning.similarity(topic or question, [r.title for r in found])
        return found[max(range(len(found)), key=sims.__getitem__)].post_id

    def _composition(self, chosen: list[Candidate], korean: bool, together: int = 1) -> Composition:
        """The lead, the first ``together`` sentences in one paragraph, then one paragraph each.
        A sentence that leans on the one before it ("during this time", "However, ...") is
        quoted after that sentence, in the same paragraph."""
        chosen, together = self._with_antecedents(chosen, together)
        best = chosen[0]
        citations = tuple(cite(i + 1, c) for i, c in enumerate(chosen))
        lead = (
            f"병원 게시물 “{best.chunk.title}”에 따르면: "
            if korean
            else f"According to the clinic's post “{best.chunk.title}”: "
        )
        quoted = [f"{c.sentence} [{i + 1}]" for i, c in enumerate(chosen)]
        parts = [lead + " ".join(quoted[:together]), *quoted[together:]]
        return Composition("\n\n".join(parts), citations)

    def _with_antecedents(self, chosen: list[Candidate], together: int) -> tuple[list[Candidate], int]:
        """``chosen`` with the sentence before each one that leans on it (``_LEANS_BACK``) put in
        front of it, and how many sentences the first paragraph now holds."""
        out: list[Candidate] = []
        lead = together
        for i, c in enumerate(chosen):
            if any(c.sentence == o.sentence for o in out):
                lead -= i < together  # quoted already, before the sentence that leans on it
                continue
            before = self._before(c) if c.chunk.section != ABOUT and _LEANS_BACK.search(c.sentence) else None
            if before is not None and not any(before.sentence == o.sentence for o in out):
                out.append(before)
                lead += i < together
            out.append(c)
        return out, lead

    def _before(self, c: Candidate) -> Candidate | None:
        """The sentence just before ``c`` in its section, if there is one."""
        sentences = [(chunk, s) for chunk in self._section_of(c.chunk) for s in chunk.sentences]
        here = (c.chunk.chunk_id, c.sentence)
        at = next((i for i, (chunk, s) in enumerate(sentences) if (chunk.chunk_id, s) == here), None)
        if at is None:  # the section's chunks are not known: the chunk's own sentences
            sentences = [(c.chunk, s) for s in c.chunk.sentences]
            at = next((i for i, (_, s) in enumerate(sentences) if s == c.sentence), None)
        if not at:
            return None
        chunk, sentence = sentences[at - 1]
        return Candidate(sentence, chunk, 0.0, 0.0)

    def _complements(self, question: str, ranked: list[Candidate]) -> list[Candidate]:
        """For a multi-part or comparison question: the best sentence, then up to two more that
        each answer a part of the question (topic words) the sentences before them did not."""
        topic = {t: w for t, w in weighted_tokens(question).items() if t not in INTENT_WORDS | GENERIC_WORDS}
        total = sum(topic.values()) or 1.0
        best = ranked[0]
        options = [self._greedy(ranked, topic, total, best.score)]
        for seed in [c for c in ranked[:COMPARED_SEEDS] if STAT_LINE.match(c.sentence)]:
            # a comparison compares like with like: figures from one list, if that list answers every part
            same_list = [c for c in ranked if c.chunk.post_id == seed.chunk.post_id and STAT_LINE.match(c.sentence)]
            same_list = [c for c in same_list if c.chunk.section_index == seed.chunk.section_index]
            options.append(self._greedy(same_list, topic, total, best.score))

        def one_list(chosen: list[Candidate]) -> bool:
            return len({(c.chunk.post_id, c.chunk.section_index) for c in chosen}) == 1

        return max(options, key=lambda chosen: (self._covers(chosen, topic), one_list(chosen), -options.index(chosen)))

    def _per_procedure(
        self, question: str, hits: list[Hit], prefer: Sequence[str], korean: bool = False
    ) -> list[Candidate]:
        """For a comparison of procedures ("filler swelling or thread lift swelling, which lasts
        longer?"): the best answer to the question asked of each procedure alone, in the order
        named; [] unless every procedure has one."""
        named = procedures_named(question)
        if len(named) < 2:
            return []
        asked = []
        for name in named[:MAX_PARTS]:
            alone = question.lower()
            for other in named:
                if other != name:
                    alone = without_procedure(alone, other)
            asked.append(" ".join(alone.split()))
        return self._each_answered(asked, hits, prefer, korean, figure=_NUMBER)

    def _per_area(self, question: str, hits: list[Hit], prefer: Sequence[str], korean: bool = False) -> list[Candidate]:
        """For a comparison of body areas ("filler in the chin vs the lips, which lasts longer?"):
        the best answer to the question asked of each area alone, in the order named; [] unless
        every area has one."""
        lowered = question.lower()
        spans = _area_spans(lowered)
        named = list(dict.fromkeys(name for _, _, name in spans))
        if len(named) < 2 or procedures_named(question)[1:]:
            return []
        asked = []
        for name in named[:MAX_PARTS]:
            alone = lowered
            for start, end, other in reversed(spans):
                if other != name:
                    alone = alone[:start] + " " + alone[end:]
            asked.append(" ".join(alone.split()))
        return self._each_answered(asked, hits, prefer, korean, figure=_NUMBER)

    def _per_alternative(
        self, question: str, hits: list[Hit], prefer: Sequence[str], korean: bool = False
    ) -> list[Candidate]:
        """For a comparison of two things of one post ("is bruising or swelling more common?"):
        the best answer to the question asked of each alone, a figure preferred; [] unless
        both have one."""
        asked = alternatives(question.lower())
        if not asked:
            return []
        # which is more common is told by how common each is (a share), never by how long each lasts
        frequency = bool(_FREQUENCY_COMPARED.search(question.lower()))
        figure = _SHARE if frequency else _NUMBER
        sides: list[list[Candidate]] = []
        bests = set()
        for alone in asked:
            answering = [c for c in self.rank(alone, hits, None, prefer, korean=korean) if c.answers]
            top = answering[0].score if answering else 0.0
            bests.add(answering[0].sentence if answering else "")
            sides.append([c for c in answering if figure.search(c.sentence) and c.score >= COMPLEMENT_SHARE * top])
        if len(bests) == 1:
            return []  # one sentence answers for both ("on the face ..., on the body ...")
        # like is compared with like: both figures from one list when one list gives both
        pairs: list[tuple[Candidate, Candidate]] = [
            (a, b)
            for a in sides[0]
            for b in sides[1]
            if a.sentence != b.sentence
            and (a.chunk.post_id, a.chunk.section_index) == (b.chunk.post_id, b.chunk.section_index)
        ]
        if pairs:
            best_pair = max(pairs, key=lambda pair: pair[0].score + pair[1].score)
            return [best_pair[0], best_pair[1]]
        return self._each_answered(list(asked), hits, prefer, korean, figure=figure, only=frequency)

    def _per_part(
        self, question: str, hits: list[Hit], prefer: Sequence[str], korean: bool = False, by_sentence: bool = False
    ) -> list[Candidate]:
        """For a question in parts ("how long does it take and how long can't I massage?"): the
        best answer to each part asked alone (a part naming no procedure is asked of the ones the
        question names), in the order asked; [] unless every part has its own answer.
        ``by_sentence``: the parts are the message's questions, one after another."""
        named = " ".join([*procedures_in_full(question), *sorted(_areas(question.lower()))])
        if PART_SEPARATOR in question:  # a Korean message's parts, each in search terms already
            parts = [p.strip() for p in question.split(PART_SEPARATOR) if tokens(p)]
        else:
            pieces = _SENTENCE_END.split(question) if by_sentence else _PARTS.split(question)
            parts = [p.strip(" ,.") for p in pieces if p and p.strip(" ,.")]
            # a part of one topic word still asks if it opens with a question word ("how often do
            # i have to come in?"); other short parts are chatter
            parts = [p for p in parts if len(tokens(p)) >= 2 or (tokens(p) and _WH_OPENS.match(p.lower()))]
        if not 2 <= len(parts) <= MAX_PARTS:
            return []
        asked = [part if procedures_named(part) or not named else f"{part} {named}" for part in parts]
        return self._each_answered(asked, hits, prefer, korean)

    def _each_answered(
        self,
        questions: list[str],
        hits: list[Hit],
        prefer: Sequence[str],
        korean: bool = False,
        figure: re.Pattern[str] | None = None,
        only: bool = False,
    ) -> list[Candidate]:
        """The best answering sentence for each question, in order; [] unless each has its own.
        ``figure`` (a comparison): a sentence with such a figure is taken over a better-ranked one
        without, if it scores at least ``COMPLEMENT_SHARE`` of it (like is compared with like);
        with ``only``, a sentence without one never answers."""
        chosen: list[Candidate] = []
        for asked in questions:
            said = {c.sentence for c in chosen}  # a sentence answers one part, never two
            answering = [c for c in self.rank(asked, hits, None, prefer, korean=korean) if c.answers]
            answering = [c for c in answering if c.sentence not in said]
            if figure is not None and only:
                answering = [c for c in answering if figure.search(c.sentence)]
            best = answering[0] if answering else None
            if figure is not None and best is not None and not figure.search(best.sentence):
                top = best.score
                best = next(
                    (c for c in answering if figure.search(c.sentence) and c.score >= COMPLEMENT_SHARE * top), best
                )
            if best is None:
                return []
            chosen.append(best)
        return chosen

    @staticmethod
    def _covers(chosen: list[Candidate], topic: dict[str, float]) -> float:
        words = {t for c in chosen for t in tokens(f"{c.chunk.title} {c.chunk.section} {c.sentence}")}
        return round(sum(w for t, w in topic.items() if t in words), 6)

    @staticmethod
    def _greedy(ranked: list[Candidate], topic: dict[str, float], total: float, top: float) -> list[Candidate]:
        if not ranked:
            return []
        chosen = [ranked[0]]
        first = ranked[0].chunk
        covered = set(tokens(f"{first.title} {first.section} {ranked[0].sentence}"))
        for c in ranked[1:]:
            if len(chosen) == MAX_PARTS:
                break
            if c.score < COMPLEMENT_SHARE * top or c.sentence.rstrip().endswith("?"):
                continue
            words = set(tokens(c.sentence))
            gain = sum(w for t, w in topic.items() if t in words and t not in covered) / total
            if gain >= MIN_GAIN:
                chosen.append(c)
                covered |= words | set(tokens(f"{c.chunk.title} {c.chunk.section}"))
        return chosen

    def _extreme_lines(self, best: Candidate, extremes: list[str]) -> list[Candidate]:
        """The list lines with the highest and/or lowest figure, from the list ``best`` belongs to."""
        figures = [
            (figure, Candidate(sentence, chunk, 0.0, 0.0))
            for chunk in self._section_of(best.chunk)
            for sentence in chunk.sentences
            if (figure := list_figure(sentence)) is not None
        ]
        if len(figures) < 3 or len({kind for (kind, _), _ in figures}) > 1:
            return []  # not a list of comparable figures
        lines = [(value, c) for (_, value), c in figures]
        out: list[Candidate] = []
        for extreme in extremes:
            value = (max if extreme == "max" else min)(v for v, _ in lines)
            ties = [c for v, c in lines if v == value]
            for c in ties:
                if c not in out:
                    out.append(c)
        return out[:MAX_PARTS]

    def _basis(self, stat: Candidate) -> Candidate | None:
        """The sentence of the same section that says what a figure is based on (a study, N people)."""
        for chunk in self._section_of(stat.chunk):
            for sentence in chunk.sentences:
                if (
                    sentence != stat.sentence
                    and not STAT_LINE.match(sentence)
                    and _SOURCE_WORDS.search(sentence)
                    and _NUMBER.search(sentence)
                ):
                    return Candidate(sentence, chunk, 0.0, 0.0)
        return None


# Names the answerer maps to a procedure or body area of its own ("ulthera" is HIFU): never "unknown".
# Each procedure's or area's names: their words, and the stems the archive must use for one of them.
_NAME_GROUPS = tuple(
    (frozenset(word for name in names for word in re.findall(r"[a-z]+", name)), [tokens(name) for name in names])
    for names in [*PROCEDURES.values(), *AREAS.values()]
)
KNOWN_NAMES = frozenset().union(*(words for words, _ in _NAME_GROUPS))
# Words that name a procedure: a rare word before one names a kind of it ("tca peel").
PROCEDURE_HEADS = frozenset(
    [*(name for names in PROCEDURES.values() for name in names if " " not in name), "laser", "lasers", "lift", "lifts"]
)


def covered_names(known: Callable[[str], bool]) -> frozenset[str]:
    """The words of KNOWN_NAMES whose procedure or body area the archive covers (``known``:
    whether the archive uses a word): "ulthera" when a post is about HIFU, but not
    "microneedling" when no post names it."""
    return frozenset().union(*(words for words, stems in _NAME_GROUPS if any(all(map(known, s)) for s in stems)))


# Kinds of treatment a clinic may be asked about: a question naming one the archive never
# mentions ("do you do hair transplants?") is not answered from a post about something else
# ("hair" removal), however close the two sound.
TREATMENT_KINDS = frozenset(
    """transplant transplants transplantation implant implants liposuction lipo rhinoplasty
    blepharoplasty facelift facelifts necklift tattoo tattoos microneedling prp exosome exosomes ipl
    thermage rejuran sculptra profhilo mesotherapy coolsculpting cryolipolysis dermabrasion
    microdermabrasion electrolysis hydrafacial""".split()
)
PROCEDURE_TOKENS = frozenset(tokens(" ".join(" ".join(names) for names in PROCEDURES.values()) + " lift lifting laser"))
AREA_TOKENS = frozenset(tokens(" ".join(" ".join(names) for names in AREAS.values()) + " fold folds"))
# Words of a "when can I ... again?" question that say when or how, not what is to wait.
NOT_AN_ACTIVITY = frozenset(
    tokens(
        "day days week weeks month months hour hours minute minutes tonight tomorrow today yesterday night "
        "morning weekend next last long few couple soon sooner later early first ago "
        "right after before back again go get put have want done still use using start face skin "
        "wait stay avoid keep stop hold skip ok okay fine safe allowed"
    )
)
_PROCEDURE_NAMES = {name: re.compile(r"\b(" + "|".join(words) + r")\b") for name, words in PROCEDURES.items()}


_BETWEEN_NAMES = re.compile(r"[\s,/]*(?:\w+\s+){0,3}?(?:or|vs\.?|versus|than|compared (?:to|with))\b[\s\w]{0,25}", re.I)


def compares_makes(text: str, known: Callable[[str], bool]) -> bool:
    """Whether ``text`` asks to choose between makes of one procedure the archive (``known``:
    whether it uses a word) never names: two of them ("ulthera or shurink", "dysport vs nabota"),
    or one set against the procedure's own name ("is xeomin better than botox"). The posts do
    not compare makes they never name, so an answer about the procedure would mislead."""
    lowered = text.lower()
    for pattern in _PROCEDURE_NAMES.values():
        said = list(pattern.finditer(lowered))
        unknown = {m.group(0) for m in said if not all(known(t) for t in tokens(m.group(0)))}
        if len(unknown) >= 2:
            return True
        for a, b in itertools.pairwise(said):
            makes = {a.group(0), b.group(0)}
            if len(makes) == 2 and makes & unknown and _BETWEEN_NAMES.fullmatch(lowered[a.end() : b.start()]):
                return True
    return False


def compares_unknown(text: str, known: Callable[[str], bool]) -> bool:
    """Whether ``text`` weighs two things against each other ("diode or nd yag, which is
    better?", "is infection or a keloid more likely?") and the archive (``known``: whether it
    uses a word) names nothing of one of them: no post can make that comparison."""
    lowered = text.lower()
    sides = alternatives(lowered) if _OR.search(lowered) and _COMPARES.search(lowered) else None
    if sides is None:
        return False
    first, second = (set(tokens(side)) for side in sides)
    return any(own and not any(known(t) for t in own) for own in (first - second, second - first))


_COMPARES = re.compile(
    r"\b(more|less|most|least|which|higher|lower|bigger|smaller|longer|shorter|better|worse|rarer|versus|vs|compared?)\b"
)
_OR = re.compile(r"\s(?:or|vs\.?|versus)\s")
_AND = re.compile(r"\s(?:and|&)\s")
# "is bruising or swelling more common?", "which is rarer?": how often each happens is compared,
# told by a share ("18%", "1 in 20"), not by how long each lasts ("fades within 5 to 7 days")
_FREQUENCY_COMPARED = re.compile(
    r"\b(?:more|less|most|least) (?:common|likely|frequent)|\b(?:rarer|rarest|commoner|commonest)\b"
    r"|\bhow (?:common|often|likely|rare)\b|\bpercent|%|\b(?:chances?|odds|risk)\b"
)
_SHARE = re.compile(r"\d\s*%|\bpercent|\b\d+\s+(?:in|out of)\s+\d+\b", re.I)
_MORE_THAN = re.compile(r"\s((?:more|less) (?:common|likely|frequent))\s+than\s")
# A question asking for a figure (a rate, a time, a count): asked of two things joined by "and",
# it asks it of each.
_FIGURE_Q = re.compile(f"{_STAT_Q.pattern}|{_TIME_Q.pattern}|{_COUNT_Q.pattern}")
_WORD = re.compile(r"[\w'%-]+|[^\w\s]")
# Words that end the name of a compared thing, read away from "or": "is [bruising] or [swelling] more common"
_NOT_COMPARED = frozenset(
    """is are was were be between than of for with about like more less most least which what whats what's
    how do does did can could should will would after before in on at to when that and or
    higher lower longer shorter better worse common likely frequent rare usual""".split()
)
MAX_COMPARED_WORDS = 3


def _name_length(words: list[str]) -> int:
    """How many of the first ``words`` (at most ``MAX_COMPARED_WORDS``) can be part of a name."""
    n = 0
    while n < min(len(words), MAX_COMPARED_WORDS) and words[n][0].isalnum() and words[n] not in _NOT_COMPARED:
        n += 1
    return n


def alternatives(lowered: str) -> tuple[str, str] | None:
    """A comparison of two things named around "or" ("after a thread lift, is bruising or
    swelling more common?", "is bruising more common than swelling?"), or two things a figure is
    asked of ("how often do bruising and infection happen?"), as the question asked of each:
    (".. is bruising more common?", ".. is swelling more common?"); None when the question
    compares nothing or the two sides are not short names (a clause, a whole question)."""
    found = _OR.search(lowered) if _COMPARES.search(lowered) else None
    if found is None and _FIGURE_Q.search(lowered):
        found = _AND.search(lowered) or _OR.search(lowered)
    how: list[str] = []  # what is asked of each side, when the comparison sits between them
    if found is None and (than := _MORE_THAN.search(lowered)):
        # "is bruising more common than swelling after a thread lift?": each side asked how common
        found, how = than, [than.group(1)]
    if found is None:
        return None
    left = _WORD.findall(lowered[: found.start()])
    right = _WORD.findall(lowered[found.end() :])
    a, b = _name_length(left[::-1]), _name_length(right)
    if not a or not b or _name_length(right[b:]):
        return None  # a side longer than a name: not two things compared
    before, first, second, after = left[: len(left) - a], left[len(left) - a :], right[:b], right[b:]
    if not how and (procedures_named(" ".join(first)) or procedures_named(" ".join(second))):
        return None  # procedures compared: each is asked the whole question (``_per_procedure``)
    return (" ".join([*before, *first, *how, *after]), " ".join([*before, *second, *how, *after]))


# Words that belong to a procedure's name when next to it: "skin booster", "chemical peel".
NAME_PARTS = frozenset(tokens("skin chemical"))
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _names_procedure(word: str) -> bool:
    found = tokens(word)
    return bool(found) and (found[0] in PROCEDURE_TOKENS or found[0] in NAME_PARTS)


def procedures_in_full(text: str) -> list[str]:
    """``procedures_named`` with the words next to each name that belong to it, as typed ("skin
    booster", "laser toning", "pdo thread lift"): "how often" alone is asked of the skin booster,
    not of any "booster" sentence."""
    english = _LATIN_WORD.findall(text)
    lowered = [w.lower() for w in english]
    found = []
    for pattern in _PROCEDURE_NAMES.values():
        names = [m.group(0) for m in pattern.finditer(text.lower())]
        if not names:
            continue
        # named more than once ("do threads come out after a thread lift"): its longest naming
        spans = [
            _widened(lowered, i, len(n.split())) for n in names for i, w in enumerate(lowered) if w == n.split()[0]
        ]
        found.append(" ".join(lowered[slice(*max(spans, key=lambda s: s[1] - s[0]))]) if spans else names[0])
    return list(dict.fromkeys(found))


def _widened(english: list[str], first: int, size: int) -> tuple[int, int]:
    """The span of a procedure's name at ``first`` with the words around it that belong to it."""
    last = first + size - 1
    while first > 0 and _names_procedure(english[first - 1]):
        first -= 1
    while last + 1 < len(english) and _names_procedure(english[last + 1]):
        last += 1
    return first, last + 1


def procedures_named(text: str) -> list[str]:
    """The procedures a question names, each as the words it used ("thread lift", "hifu")."""
    found = []
    for pattern in _PROCEDURE_NAMES.values():
        match = pattern.search(text.lower())
        if match:
            found.append(match.group(0))
    return found


_ATTACHED = re.compile(r"\s*(?:-|(?:in|on|for|to)(?: (?:the|my|your))?)?\s*")  # "jaw botox", "botox for the jaw"


def without_procedure(lowered: str, name: str) -> str:
    """A lower-cased question without the procedure ``name`` and the body areas it is asked of
    ("jaw botox vs hifu" asked of HIFU alone is "vs hifu": the jaw was botox's)."""
    cut: list[tuple[int, int]] = []
    spans = _area_spans(lowered)
    for m in re.finditer(rf"\b{re.escape(name)}\b", lowered):
        cut.append((m.start(), m.end()))
        for start, end, _ in spans:
            gap = lowered[end : m.start()] if end <= m.start() else lowered[m.end() : start]
            if (end <= m.start() or start >= m.end()) and _ATTACHED.fullmatch(gap):
                cut.append((start, end))
    for start, end in sorted(cut, reverse=True):
        lowered = lowered[:start] + " " + lowered[end:]
    return lowered


def procedure_kinds(text: str) -> set[str]:
    """The procedures (keys of PROCEDURES) a lower-cased text names ("filler" for "lip fillers")."""
    return {name for name, pattern in _PROCEDURE_NAMES.items() if pattern.search(text)}


_CLAUSE_END = re.compile(r"(?<=[.!?])\s+")


def _rate_topic(lowered: str, topic: set[str]) -> set[str]:
    """What a rate question asks the rate of: the topic words of the sentence that asks it ("ok
    im calling them now. how common is it for threads to come out?" asks about threads coming
    out), or of the whole message when that sentence names nothing ("... how common is that?")."""

    def about(text: str, words: set[str]) -> set[str]:
        return words - PROCEDURE_TOKENS - set(_named_by(text)) - _RATE_ASKED_WORDS

    asking = [s for s in _CLAUSE_END.split(lowered) if _RATE_Q.search(s) or _PERCENT_Q.search(s)]
    own = set(tokens(asking[-1])) & topic if asking else set()
    return about(asking[-1], own) if own else about(lowered, topic)


_NEXT = re.compile(r"\s*([A-Za-z]+)")
_WORD_REST = re.compile(r"\w*")
_TIME_NOUNS = frozenset(unit + plural for unit in (*_UNITS, "night") for plural in ("", "s"))


def _counts(counted: re.Pattern[str], sentence: str) -> bool:
    """Whether ``sentence`` gives a number of the counted thing: the counted word ends its phrase
    ("3 to 5 sessions are needed", "2 threads, one per side"), it does not describe the next word
    ("26 published thread lift studies" counts studies, not threads)."""
    for m in counted.finditer(sentence):
        rest = _WORD_REST.match(sentence, m.end())  # the rest of the counted word ("thread|s")
        end = rest.end() if rest else m.end()
        after = _NEXT.match(sentence, end)
        if after is None or after.start(1) > end + 1 or after.group(1).lower() in STOPWORDS:
            return True
    return False


def _counted_noun(phrase: str) -> str:
    """The head noun of "how many ___": the last word before the first function word, unless
    one of them counts visits ("how many sessions skin booster", a Korean question's English
    order, counts sessions, not boosters)."""
    words: list[str] = []
    for word in phrase.split():
        if word in STOPWORDS:
            break
        words.append(word)
    return next((w for w in words if w in _VISIT_NOUNS), words[-1] if words else "")


def cite(n: int, c: Candidate) -> Citation:
    meta = c.chunk.metadata
    return Citation(
        n=n,
        post_id=c.chunk.post_id,
        title=c.chunk.title,
        clinic=str(meta.get("clinic", "")),
        published=str(meta.get("published", "")),
        section=c.chunk.section,
        quote=c.sentence,
        source=str(meta.get("source", "")),
    )
