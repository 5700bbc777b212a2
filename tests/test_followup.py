"""Follow-up questions are searched with the topic of the conversation, never with new facts."""

from __future__ import annotations

import re

import pytest

from askclinic.followup import rewrite, topic_words
from askclinic.glossary import is_korean
from askclinic.types import Status

BRUISE = "will I bruise after a thread lift?"
SWELLING = "How long does swelling last after a thread lift?"


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9%]+|[\uac00-\ud7a3]+", text.lower()))


@pytest.mark.parametrize(
    ("question", "history", "carried"),
    [
        ("and how long does it last?", [BRUISE], {"bruise", "thread", "lift"}),
        ("how long does it last?", [BRUISE], {"bruise", "thread", "lift"}),
        ("is that normal?", [BRUISE], {"bruise", "thread", "lift"}),
        ("How long?", [BRUISE], {"bruise", "thread", "lift"}),
        ("and swelling?", [BRUISE], {"swelling", "thread", "lift"}),
        ("does it hurt?", [BRUISE, "and how long does it last?"], {"bruise", "thread"}),
        ("and how long does it last? <img src=x>", [BRUISE], {"bruise", "thread"}),
        # the procedure was named before the last question
        (
            "how long does it last?",
            ["skin booster: how many sessions do i need", "will i bruise?"],
            {"booster", "bruise"},
        ),
    ],
)
def test_a_question_without_a_topic_takes_the_last_topic(question, history, carried) -> None:
    asked = rewrite(question, history)
    assert carried <= words(asked)
    assert words(question) - {"and"} <= words(asked)


@pytest.mark.parametrize(
    ("question", "history"),
    [
        ("and how long does it last?", [BRUISE]),
        ("what about botox?", [SWELLING]),
        ("그럼 얼마나 가요?", ["실리프팅 후 멍이 들까요?"]),
        ("그럼 보톡스는요?", ["실리프팅 후 붓기는 얼마나 가나요?"]),
        ("and swelling?", [BRUISE, "How much does it cost?"]),
    ],
)
def test_only_words_of_the_conversation_are_used(question, history) -> None:
    asked = rewrite(question, history)
    allowed = words(question).union(*(words(h) for h in history))
    assert words(asked) <= allowed
    assert asked != question


@pytest.mark.parametrize(
    ("question", "history", "kept", "dropped"),
    [
        ("효과는 얼마나 유지돼요?", ["실리프팅 후에 사우나 언제 가능해요?"], "실리프팅", "사우나"),
        ("how long do the results last?", [BRUISE], "thread lift", "bruise"),
    ],
)
def test_a_follow_up_naming_its_subject_keeps_only_the_procedure(question, history, kept, dropped) -> None:
    """ "How long do the results last?" after a bruising question asks about the results of the
    same procedure, not about bruising; "how long does it last?" still means the bruise."""
    asked = rewrite(question, history)
    assert kept in asked and dropped not in asked, asked
    assert "bruise" in rewrite("how long does it last?", [BRUISE])


def test_what_about_asks_the_last_question_about_the_new_topic() -> None:
    asked = rewrite("what about botox?", [SWELLING])
    assert {"botox", "how", "long"} <= words(asked)
    assert "thread" not in words(asked)


@pytest.mark.parametrize(
    ("question", "subject"),
    [("numbing too?", "numbing"), ("the numbing as well?", "numbing"), ("and the numbing?", "numbing")],
)
def test_a_short_x_too_asks_the_last_question_of_x(question: str, subject: str) -> None:
    """ "numbing too?" after "how long does a hifu session take": how long the numbing takes."""
    asked = rewrite(question, ["how long does a hifu session take"])
    assert {subject, "hifu", "how", "long"} <= words(asked)
    assert "too" not in words(asked) and "well" not in words(asked)


def test_a_full_question_ending_in_too_is_its_own() -> None:
    question = "does laser hair removal hurt a lot on the legs too?"
    assert rewrite(question, ["how long does a hifu session take"]) == question


def test_a_pointer_after_a_short_statement_still_points_at_the_last_topic() -> None:
    """ "ok. is it normal for it to turn yellow?": "it" is the bruise, as it would be without
    "ok." (only after an emergency does news before the question start a new topic)."""
    asked = rewrite("ok. is it normal for it to turn yellow?", ["how long does bruising last after a thread lift"])
    assert {"bruising", "thread", "lift", "yellow"} <= words(asked)


@pytest.mark.parametrize(
    ("question", "history"),
    [
        ("How long does filler last?", [BRUISE]),  # a topic of its own
        ("Is it normal to bruise after botox?", [SWELLING]),  # a pronoun, but a topic too
        ("and how long does it last?", []),  # nothing to follow
        ("how long does it last?", ["how long?", "is it safe?"]),  # no earlier topic
        ("thanks!", [BRUISE]),
        ("got it", [BRUISE]),  # fillers alone ask nothing: the last question is not asked again
        ("hmm", [BRUISE]),
        ("아하", [BRUISE]),
        ("", [BRUISE]),
    ],
)
def test_standalone_questions_are_unchanged(question, history) -> None:
    assert rewrite(question, history) == question


def test_korean_follow_ups_stay_korean() -> None:
    asked = rewrite("그럼 얼마나 가요?", ["실리프팅 후 멍이 들까요?"])
    assert "실리프팅" in asked and "얼마나 가요" in asked
    assert is_korean(asked)
    asked = rewrite("그럼 보톡스는요?", ["실리프팅 후 붓기는 얼마나 가나요?"])
    assert "보톡스" in asked and "얼마나" in asked and "실리프팅" not in asked
    assert rewrite("그거 아파요?", ["보톡스 효과는 얼마나 가나요?"]).endswith("보톡스")


def test_topic_words_skip_question_words_and_markup() -> None:
    assert topic_words(BRUISE) == ["bruise", "thread", "lift"]
    assert topic_words("How long does it last? Is it safe?") == []
    assert topic_words("<b>how</b> common is it?") == []
    assert topic_words("Will threads come out after a thread lift?")[0] == "threads"
    assert topic_words("실 노출은 얼마나 흔한가요?") == ["실 노출은"]


@pytest.mark.parametrize(
    ("history", "question", "quote"),
    [
        ([BRUISE], "and how long does it last?", "Bruising, if it appears, usually fades within 10 to 14 days."),
        (
            ["실리프팅 후 멍이 들까요?"],
            "그럼 얼마나 가요?",
            "Bruising, if it appears, usually fades within 10 to 14 days.",
        ),
        # the swelling question asked of lip filler ("lip" is where, not what is asked)
        ([SWELLING], "what about lip filler?", "Lip swelling is usually strongest on the first day"),
        # another area alone asks the last question of it
        (["how long is one underarm laser session"], "full legs?", "full-leg session takes about 40"),
    ],
)
def test_the_rewritten_follow_up_retrieves_the_right_sentence(pipeline, history, question, quote) -> None:
    answer = pipeline.answer(rewrite(question, history))
    assert answer.status is Status.ANSWERED
    assert any(quote in c.quote for c in answer.citations), answer.citations


@pytest.mark.parametrize(
    "question",
    ["full legs?", "my sister wants to do her full legs"],  # up to SHORT_FOLLOW_UP words
)
def test_a_short_message_naming_another_area_asks_the_last_question_of_it(question: str) -> None:
    asked = rewrite(question, ["how long does an underarm laser hair removal session take?"])
    assert {"legs", "laser", "how", "long", "session"} <= words(asked)


@pytest.mark.parametrize(
    ("question", "history", "gone", "kept"),
    [
        ("턱은요?", ["입술필러 얼마나 유지돼요?"], "입술", "필러"),
        ("코는?", ["입술 필러 얼마나 가?"], "입술", "필러"),
        ("and the chin?", ["how long does lip filler last"], "lip", "filler"),
        ("ok what about on my face, how long does it last", ["can i get hifu on my belly"], "belly", "hifu"),
        ("under eyes?", ["how long does nasolabial filler last"], "nasolabial", "filler"),
    ],
)
def test_a_follow_up_naming_another_area_drops_the_last_area(question, history, gone, kept) -> None:
    """ "턱은요?" after a lip filler question asks about chin filler: carrying "입술필러" would
    answer with the lips' figure."""
    asked = rewrite(question, history)
    assert gone not in asked and kept in asked, asked


@pytest.mark.parametrize(
    ("question", "history", "kept"),
    [
        ("bruises?", ["how long does lip filler swelling last?"], {"filler"}),
        ("makeup when?", ["how much downtime after fractional laser for acne scars"], {"fractional", "laser"}),
        ("멍은요?", ["스킨부스터 맞고 붓기 얼마나 가요?"], {"스킨부스터"}),
        ("will they soften?", ["i have small lumps after lip filler"], {"filler", "lumps"}),
        ("is that longer than hifu?", ["how long does a thread lift last?"], {"thread", "lift", "long", "last"}),
    ],
)
def test_a_follow_up_keeps_the_conversations_procedure(question, history, kept) -> None:
    asked = rewrite(question, history)
    assert kept <= words(asked), asked
    assert words(question) <= words(asked)


@pytest.mark.parametrize(
    ("question", "history", "kept"),
    [
        (
            "and till it looks final?",
            ["got lip filler yesterday lol", "how long does the swelling last?"],
            "lip filler",
        ),
        ("final shape when", ["how long does swelling last after lip filler"], "lip filler"),
        ("final shape?", ["how long does nose filler last"], "nose filler"),
        ("자리 잡는 건요?", ["입술필러 맞았는데 붓기 얼마나 가요?"], "입술필러"),
    ],
)
def test_a_follow_up_keeps_the_part_of_the_body_the_conversation_is_about(question, history, kept) -> None:
    """ "and till it looks final?" after lip filler asks about lip filler, whose post gives its
    own figure, not about filler anywhere; the area is said once ("nose filler", not "nose nose filler")."""
    asked = rewrite(question, history)
    assert kept in asked and asked.count(kept.split()[0]) == 1, asked


@pytest.mark.parametrize(
    ("question", "history", "carried", "dropped"),
    [
        ("실리프팅은요?", ["필러 붓기 얼마나 가요?"], {"붓기", "얼마나"}, {"필러"}),
        ("what about a chemical peel", ["what should i avoid after laser hair removal?"], {"avoid", "after"}, {"hair"}),
        ("and botox?", ["how long does swelling last after lip filler?"], {"swelling", "long"}, {"lip", "filler"}),
        ("hifu?", ["how many sessions of laser toning do i need"], {"many", "sessions"}, {"toning", "laser"}),
    ],
)
def test_a_new_procedure_alone_asks_the_last_question_of_it(question, history, carried, dropped) -> None:
    """ "실리프팅은요?" after a filler question: the filler question, asked of the thread lift
    (without the earlier procedure or its body area)."""
    asked = rewrite(question, history)
    assert carried <= words(asked), asked
    assert not dropped & words(asked), asked


def test_the_last_question_is_carried_without_its_procedure_however_it_was_typed() -> None:
    """Capitals and markup in the earlier question: its procedure and area still go, and no
    word the patient did not type comes in."""
    history = ["How long does SWELLING last after <b>Lip Filler</b>?"]
    asked = rewrite("what about botox?", history)
    assert {"swelling", "long", "botox"} <= words(asked), asked
    assert not {"lip", "filler", "b"} & words(asked), asked
    assert words(asked) <= words("what about botox? " + history[0]), asked


@pytest.mark.parametrize(
    ("question", "history"),
    [
        ("does botox hurt?", ["how long does a thread lift last?"]),
        ("how many laser toning sessions does melasma need?", ["will I bruise after lip filler?"]),
        ("can i wear makeup the next day after getting my skin booster injections at the clinic?", [BRUISE]),
    ],
)
def test_a_new_procedure_or_a_full_question_starts_a_new_topic(question, history) -> None:
    assert rewrite(question, history) == question


def test_a_follow_up_through_the_pipeline_cites_the_conversations_post(pipeline) -> None:
    asked = rewrite("and bruising?", [SWELLING])
    answer = pipeline.answer(asked)
    assert answer.status is Status.ANSWERED
    assert answer.citations[0].post_id == "003_thread-lift-aftercare.txt", asked


@pytest.mark.parametrize(
    ("question", "history", "keeps"),
    [
        ("and bruising?", [SWELLING], True),  # elliptical: the same post is still the topic
        ("멍은요?", ["실리프팅 후 붓기는 얼마나 가나요?"], True),
        ("how long does it last?", [BRUISE], True),
        ("what about botox?", [SWELLING], False),  # a new procedure: a new topic, no preferred post
        ("how many laser toning sessions does melasma need?", [SWELLING], False),  # a full new question
        ("and bruising?", [], False),  # nothing to keep
        ("thanks!", [SWELLING], False),
    ],
)
def test_keeps_post_only_when_the_follow_up_keeps_the_topic(question: str, history: list[str], keeps: bool) -> None:
    from askclinic.followup import keeps_post

    assert keeps_post(question, rewrite(question, history)) is keeps


@pytest.mark.parametrize(
    ("question", "history", "carried"),
    [
        ("longer than for hifu??", ["how long is the numbing cream for fractional laser"], {"fractional", "numbing"}),
        ("is that worse than filler swelling?", ["how long does swelling last after thread lifts"], {"thread", "last"}),
        ("턱 필러보다 짧아요?", ["입술 필러 얼마나 가요?"], {"입술"}),
    ],
)
def test_a_short_comparative_carries_the_earlier_topic(question: str, history: list[str], carried: set[str]) -> None:
    assert carried <= words(rewrite(question, history))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("스킨부스터 맞고 멍이 들까요", ["스킨부스터", "멍이 들까요"]),  # a form widened to its whole words
        ("그럼 실리프팅은 붓기 얼마나 가요", ["실리프팅은", "붓기"]),  # particles stay with their word
        ("보톡스맞고멍들면", ["보톡스맞고멍들면"]),  # no spaces: one word holds both forms, once
    ],
)
def test_korean_topic_words_are_whole_words_in_order(text: str, expected: list[str]) -> None:
    assert topic_words(text) == expected


@pytest.mark.parametrize(
    ("question", "history", "first", "second"),
    [
        ("which one is rarer?", ["how common is infection after threads", "and bruising?"], "infection", "bruising"),
        ("so which lasts longer", ["how long does forehead filler last", "and the chin?"], "forehead", "chin"),
        ("which one lasts longer", ["how long does jaw botox last", "and hifu?"], "botox", "hifu"),
        # two words of comparison, not a topic of its own
        (
            "which is less common, the rare one?",
            ["how common is infection after threads", "and bruising?"],
            "infection",
            "bruising",
        ),
    ],
)
def test_which_one_compares_what_the_last_two_questions_asked(
    question: str, history: list[str], first: str, second: str
) -> None:
    searched = rewrite(question, history)
    assert question.split()[-1] in searched and " or " in searched, searched  # asked as it was
    assert searched.index(first) < searched.index(" or ") < searched.index(second), searched


def test_which_one_after_a_single_question_is_not_a_comparison_of_two() -> None:
    assert " or " not in rewrite("which one lasts longer", ["how long does lip filler last"])
    same = "how long does lip filler last"
    assert " or " not in rewrite("which one lasts longer", [same, same])


def test_which_one_through_the_pipeline_quotes_both_figures(pipeline) -> None:
    history = ["how long does forehead filler last", "and the chin?"]
    answer = pipeline.answer(rewrite("which lasts longer then", history))
    assert "12 to 18 months" in answer.answer and "12 to 24 months" in answer.answer, answer.answer


@pytest.mark.parametrize(
    ("question", "history", "compared"),
    [
        (
            "more common than infection?",
            ["how common is bruising after a thread lift?"],
            "is bruising more common than",
        ),
        ("is it rarer than swelling", ["what % get bruising after threads"], "is bruising rarer than"),
    ],
)
def test_a_comparison_opening_with_its_comparative_compares_what_was_asked(
    question: str, history: list[str], compared: str
) -> None:
    """Its first side is what the last question asked about, put where a question puts it."""
    searched = rewrite(question, history)
    assert compared in searched and "thread" in searched, searched


def test_a_comparison_opening_with_its_comparative_quotes_both_figures(pipeline) -> None:
    question = rewrite("more common than infection?", ["how common is bruising after a thread lift?"])
    answer = pipeline.answer(question)
    assert "26%" in answer.answer and "2%" in answer.answer, answer.answer


def test_a_comparison_follow_up_quotes_what_was_asked_of_both_procedures(pipeline) -> None:
    """ "longer than for hifu??" compares the numbing time asked about, not HIFU's results."""
    question = rewrite("longer than for hifu??", ["how long is the numbing cream on for fractional laser"])
    answer = pipeline.answer(question)
    assert "30 minutes" in answer.answer and "40 minutes" in answer.answer, answer.answer


@pytest.mark.parametrize(
    ("history", "question", "figures"),
    [
        (["lip filler how long does it last"], "does chin filler last longer?", ("6 to 9 months", "12 to 24 months")),
        (["how long does a bruise from jaw botox last"], "is filler bruising worse?", ("3 to 4 days", "5 to 7 days")),
        (["how long does hifu last"], "and thread lift, does it last longer?", ("6 to 12 months", "12 to 18 months")),
    ],
)
def test_a_comparison_naming_one_side_compares_with_the_conversations_topic(
    pipeline, history: list[str], question: str, figures: tuple[str, str]
) -> None:
    """ "does chin filler last longer?" after lip filler: longer than lip filler, so both figures."""
    answer = pipeline.answer(rewrite(question, history))
    assert all(f in answer.answer for f in figures), answer.answer


@pytest.mark.parametrize(
    ("question", "history", "figures"),
    [
        ("is that shorter than hifu?", ["how long does jaw botox last"], ("4 to 6 months", "6 to 12 months")),
        ("longer than chin filler?", ["how long does lip filler last"], ("6 to 9 months", "12 to 24 months")),
    ],
)
def test_a_comparison_with_another_procedure_keeps_each_sides_own_words(
    pipeline, question: str, history: list[str], figures: tuple[str, str]
) -> None:
    """ "is that shorter than hifu?" after jaw botox: "jaw" stays with botox, so HIFU's side is
    how long HIFU lasts, not its tenderness along the jaw; the lip stays with the lip filler."""
    answer = pipeline.answer(rewrite(question, history))
    first = answer.answer.split("\n\n")[0]
    assert all(f in first for f in figures), answer.answer


def test_than_that_compares_with_the_last_topic(pipeline) -> None:
    """ "is bruising more common than that?" after a question about swelling: than swelling."""
    asked = rewrite("is bruising more common than that?", ["how common is swelling after a thread lift"])
    assert "than swelling" in asked, asked
    first = pipeline.answer(asked).answer.split("\n\n")[0]
    assert "26%" in first and "16%" in first, first


def test_a_connected_follow_up_of_eight_words_still_carries_how_the_last_question_asked() -> None:
    """ "and with hifu is the swelling the same?" is as long as a follow-up that continues the
    topic may be (``SHORT_FOLLOW_UP``, 8 words): it asks how long, as the last question did."""
    from askclinic.followup import SHORT_FOLLOW_UP

    question = "and with hifu is the swelling the same?"
    assert len(question.split()) == SHORT_FOLLOW_UP
    asked = rewrite(question, ["how long does swelling last after a thread lift"])
    assert {"hifu", "swelling", "how", "long", "last"} <= words(asked), asked


def test_a_completed_comparison_keeps_what_the_last_question_asked() -> None:
    """ "does chin filler last longer?" after "lip filler how long does it last": than lip filler,
    and how long, as the last question asked."""
    asked = rewrite("does chin filler last longer?", ["lip filler how long does it last"])
    assert "than lip filler" in asked and {"how", "long"} <= words(asked), asked


def test_a_comparative_of_the_same_subject_or_with_its_own_other_side_is_not_completed() -> None:
    assert rewrite("does it last longer if i work out?", ["how long does lip filler last"]).count(" than ") == 0
    assert " than lip filler" not in rewrite("is chin filler worse than botox?", ["how long does lip filler last"])


EMERGENCY = "my lip filler was yesterday and now my lip is turning white and very painful"


@pytest.mark.parametrize(
    "question",
    [
        "should i just wait and see if it gets better?",
        "is that normal?",
        "병원 가야 돼요? 아님 좀 기다려볼까요",
        "the white patch is spreading to my cheek. what do i do?",  # news that it is worse
        "점점 퍼지고 있어요. 어떡해요?",
        "would it be ok to just hold an ice pack on it for a while and see how it looks tomorrow?",  # long
        "찜질 좀 하고 내일 아침까지 지켜봐도 괜찮을까요? 지금 병원 가기가 좀 애매해서요",
        # news that it eased is not news that it was seen to
        "the white went away after maybe ten minutes or so, do i still need to do anything?",
        "it looks a lot better than an hour ago honestly, should i still get it checked out?",
        # a question of its own about the same procedure, asked before the emergency is seen to
        "how long does swelling normally last after lip filler anyway?",
        "and bruising?",  # "it's just a bruise, right?"
        "립필러 붓기는 보통 며칠 가요?",
    ],
)
def test_a_follow_up_to_an_emergency_is_gated_urgent_again(pipeline, question: str) -> None:
    asked = rewrite(question, ["how long does lip filler last?", EMERGENCY])
    assert EMERGENCY in asked
    answer = pipeline.answer(asked)
    assert answer.status is Status.URGENT
    assert answer.citations == ()


@pytest.mark.parametrize(
    "question",
    ["how many advil can i take for the pain from my lip filler?", "립필러 때문에 아픈데 타이레놀 몇 알 먹어요?"],
)
def test_a_medication_question_after_an_emergency_is_urgent_not_refused(pipeline, question: str) -> None:
    """On its own it would be refused ("ask your doctor"); right after an emergency it is about
    the emergency, and urgent comes before refused."""
    assert pipeline.answer(question).status is Status.REFUSED
    assert pipeline.answer(rewrite(question, [EMERGENCY])).status is Status.URGENT


@pytest.mark.parametrize(
    "question",
    [
        "ok the clinic saw me and it's fine now. how long should i avoid the sauna?",  # news first
        "how long does swelling last after a thread lift?",  # another procedure
        "ok so for next time, in general how long should i wait before i get a facial massage again",
        "btw for my sister, how long does lip filler usually last?",
        "ok i called them and im going in. how long does lip filler swelling last normally?",
        "went back to the clinic and they treated it. when can i massage my lips again?",
        "병원 다녀왔는데 괜찮대요. 입술필러 붓기는 며칠 가요?",
        "병원 가볼게요. 근데 입술필러 붓기는 보통 며칠 가요?",  # "I'll go in" (as "im going in")
        "병원에 전화했어요. 입술필러 하고 사우나는 언제부터 돼요?",  # "I called the clinic"
    ],
)
def test_a_follow_up_that_moves_on_from_an_emergency_is_not_carried(question: str) -> None:
    assert EMERGENCY not in rewrite(question, [EMERGENCY])


ALLERGIC = "right after my skin booster my lips and eyes got all puffy and im kinda lightheaded"


@pytest.mark.parametrize("question", ["can i still go to work after?", "should i take the bus home or wait here?"])
def test_a_follow_up_to_an_emergency_the_classifier_found_is_urgent_too(pipeline, question: str) -> None:
    """No table entry matches the emergency, only the classifier, which reads the whole message:
    carried along in the order it was sent, the follow-up's question does not hide it."""
    assert pipeline.answer(ALLERGIC).status is Status.URGENT
    assert pipeline.answer(rewrite(question, [ALLERGIC])).status is Status.URGENT


def test_a_follow_up_to_an_ordinary_question_is_not_made_urgent(pipeline) -> None:
    asked = rewrite("should i just wait and see?", ["how long does swelling last after lip filler?"])
    assert "turning white" not in asked
    assert pipeline.answer(asked).status is not Status.URGENT


@pytest.mark.parametrize(
    ("question", "history", "carried", "not_carried"),
    [
        ("멍은요?", ["실리프팅하고 붓기 얼마나 가요?"], {"얼마나", "가요"}, set()),  # Korean "and bruising?"
        ("간격은요?", ["스킨부스터 몇 번 맞아야 돼요?"], {"스킨부스터"}, {"몇", "번"}),  # asks its own way
        ("and how far apart?", ["how many laser toning sessions for melasma"], {"toning"}, {"many"}),
    ],
)
def test_an_and_x_follow_up_carries_the_last_question_only_when_it_asks_nothing_of_its_own(
    question: str, history: list[str], carried: set[str], not_carried: set[str]
) -> None:
    asked = words(rewrite(question, history))
    assert carried <= asked
    assert not (not_carried & asked)


def test_a_full_question_on_a_new_procedure_does_not_carry_the_last_question() -> None:
    asked = rewrite(
        "also how often do threads actually poke out through the skin after a thread lift", ["is HIFU painful"]
    )
    assert "painful" not in asked


@pytest.mark.parametrize(
    ("question", "history", "dropped"),
    [
        ("스킨부스터는요? 몇번?", ["레이저토닝 몇번 받아야돼요?"], "레이저토닝"),
        ("입술필러는요? 아파요?", ["하이푸 아파요?"], "하이푸"),
    ],
)
def test_two_question_marks_are_not_a_comparison_with_the_last_procedure(
    question: str, history: list[str], dropped: str
) -> None:
    assert dropped not in rewrite(question, history)


@pytest.mark.parametrize(
    ("question", "history", "carried"),
    [
        ("ok and after lip filler?", ["what should i avoid after a thread lift"], "avoid"),
        ("oh and the bruising?", ["how long does swelling last after a thread lift"], "thread"),
        ("아 그리고 멍은요?", ["실리프팅 붓기 얼마나 가요?"], "실리프팅"),
    ],
)
def test_a_filler_before_the_connector_still_makes_a_follow_up(question: str, history: list[str], carried: str) -> None:
    """ "ok and ...", "oh and ...", "아 그리고 ...": the opening word says nothing; the "and" does."""
    assert carried in rewrite(question, history)


@pytest.mark.parametrize(
    ("question", "history", "figure"),
    [
        ("n after that?", ["how many skin booster sessions do i start with"], "every 6 months"),
        ("& after that?", ["how many toning sessions for melasma"], "once a month"),
    ],
)
def test_and_spelled_as_in_chat_is_a_connector(pipeline, question: str, history: list[str], figure: str) -> None:
    """ "n after that?" and "& after that?" are "and after that?"."""
    answer = pipeline.answer(rewrite(question, history))
    assert figure in answer.answer.split("\n\n")[0], answer.answer


@pytest.mark.parametrize("question", ["ok", "okay thanks", "ok so how long does botox last for the jaw"])
def test_a_filler_alone_or_before_a_full_question_carries_nothing(question: str) -> None:
    assert rewrite(question, ["what should i avoid after a thread lift"]) == question


def test_asking_how_long_the_visit_takes_does_not_carry_when_the_effect_shows() -> None:
    """ "시술시간은요?" asks its own way (minutes): the last question's "언제부터" is not carried."""
    asked = rewrite("그럼 시술시간은요?", ["턱보톡스 맞으면 언제부터 효과 보여요?"])
    assert "턱보톡스" in asked and "언제부터" not in asked


def test_after_news_that_an_emergency_was_seen_to_its_symptoms_are_not_carried() -> None:
    """ "they were seen, it's fine. how long ...?" asks something new: "they" are not the symptoms,
    which would make the new question urgent again."""
    asked = rewrite(
        "they checked me, all good now. how long do i avoid the gym?",
        ["my filler spot is hot and red and spreading and i have a fever"],
    )
    assert "fever" not in asked and "filler" in asked


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("does it hurt?", ["considering hifu on my jawline before my wedding"], "3 to 5 out of 10"),
        ("how long does it take each time", ["my sister had skin boosters and loved them"], "15 minutes"),
    ],
)
def test_a_pronoun_asking_about_the_procedure_carries_only_the_procedure(pipeline, question, history, expected) -> None:
    """ "does it hurt?" after a message about wanting HIFU asks whether HIFU hurts: the wedding and
    the sister are not searched, so the answer is the procedure's own."""
    asked = rewrite(question, history)
    assert not {"wedding", "sister", "loved", "considering"} & words(asked), asked
    answer = pipeline.answer(asked)
    assert expected in answer.answer.split("\n\n")[0], answer.answer


def test_a_pronoun_after_a_symptom_still_asks_about_the_symptom() -> None:
    asked = rewrite("does it hurt?", ["i have a small lump on my lip since the filler"])
    assert {"lump", "filler"} <= words(asked), asked


def test_what_about_a_new_procedure_asks_the_last_question_even_without_a_procedure(pipeline) -> None:
    """ "thread lift aftercare?", "can i go to the sauna", then "what about after a chemical peel?"
    asks about the sauna after a peel, not about aftercare in general."""
    asked = rewrite("what about after a chemical peel?", ["thread lift aftercare?", "can i go to the sauna"])
    assert {"sauna", "peel"} <= words(asked), asked
    answer = pipeline.answer(asked)
    assert "saunas and scrubs for 3 days" in answer.answer.split("\n\n")[0], answer.answer


def test_a_korean_shorter_than_follow_up_compares_both_areas(pipeline) -> None:
    """ "턱 필러보다 짧아요?" after "입술 필러 얼마나 가요?" asks for both figures."""
    searched = rewrite("턱 필러보다 짧아요?", ["입술 필러 얼마나 가요?"])
    answer = pipeline.answer(searched)
    assert answer.status is Status.ANSWERED
    first = answer.answer.split("\n\n")[0]
    assert "12 to 24 months" in first and "6 to 9 months" in first, answer.answer


@pytest.mark.parametrize(
    ("history", "question", "figure"),
    [
        (["how many skin booster sessions should i get"], "and after that?", "every 6 months"),
        (["toning for melasma how many sessions", "how far apart"], "and after the course is done?", "once a month"),
    ],
)
def test_after_the_course_follow_up_asks_about_maintenance(pipeline, history, question, figure) -> None:
    answer = pipeline.answer(rewrite(question, history))
    assert answer.status is Status.ANSWERED
    assert figure in answer.answer.split("\n\n")[0], answer.answer


def test_after_that_carries_the_procedure_not_the_rest_of_the_last_question() -> None:
    """ "n after that?" after "skin booster starter course is how many sessions?" asks what comes
    after the course: the starting course's words would search for it again."""
    asked = rewrite("n after that?", ["skin booster starter course is how many sessions?"])
    assert "skin booster" in asked and "maintenance" in asked, asked
    assert "starter" not in words(asked), asked


def test_after_that_after_a_symptom_question_is_not_about_maintenance() -> None:
    assert "maintenance" not in rewrite("and after that?", ["how long does swelling last after a thread lift"])


def test_a_question_after_an_emergency_that_was_already_seen_to_is_asked_on_its_own(pipeline) -> None:
    """The earlier message itself says the emergency was handled ("went to the ER, fine now"):
    "how long do the bruises from it last?" asks about the procedure, not the emergency."""
    history = ["my throat swelled up after my lip filler yesterday, went to the er and im fine now"]
    asked = rewrite("anyway, how long do the little bruises from it usually last", history)
    assert "throat" not in asked and "filler" in asked, asked
    assert pipeline.answer(asked).status is Status.ANSWERED


def test_a_follow_up_that_asks_its_own_way_does_not_carry_the_last_question() -> None:
    """ "how often for HIFU then?" after a price question asks how often, not the price."""
    asked = rewrite("그럼 하이푸는 몇개월마다 받아야 해요?", ["울쎄라 가격 얼마에요?"])
    assert "가격" not in asked and "얼마" not in asked, asked


@pytest.mark.parametrize(
    ("question", "history", "figures"),
    [
        (
            "vs a medium depth peel, which one leaves you red for longer?",
            ["how long is the redness after fractional laser?"],
            ("5 to 7 days", "7 to 14 days"),
        ),
        ("same as for hifu?", ["how long is the numbing cream on for fractional laser"], ("40 minutes", "30 minutes")),
    ],
)
def test_a_message_opening_with_the_second_half_of_a_comparison_compares_with_the_last_question(
    pipeline, question: str, history: list[str], figures: tuple[str, str]
) -> None:
    asked = rewrite(question, history)
    answer = pipeline.answer(asked)
    assert all(f in answer.answer for f in figures), (asked, answer.answer)


def test_that_week_is_a_time_not_the_last_topic() -> None:
    """ "Can I color my hair that week?" after a sauna question asks about hair dye, not saunas."""
    asked = rewrite(
        "and hair dye? can i color my hair that week", ["how long should i avoid the sauna after fractional laser"]
    )
    assert "fractional laser" in asked and "sauna" not in asked
    assert "sauna" in rewrite("is that ok too?", ["can i go to the sauna after fractional laser"])  # "that": the sauna


@pytest.mark.parametrize(
    ("question", "history", "carried", "dropped"),
    [
        # a side effect of the procedure is a new topic of the same procedure, asked the same way
        ("실 튀어나오는건?", ["실리프팅 감염 확률 몇프로야"], {"실리프팅", "확률", "몇프로야"}, {"감염"}),
        # the procedure named twice ("threads", "thread lift") carries over by its full name
        ("감염은?", ["how often do threads come out after a thread lift"], {"thread", "lift", "often"}, {"threads"}),
    ],
)
def test_a_new_topic_of_the_same_procedure_replaces_the_last_topic(question, history, carried, dropped) -> None:
    asked = rewrite(question, history)
    assert carried <= words(asked), asked
    assert not dropped & words(asked), asked


@pytest.mark.parametrize(
    ("question", "history", "carried"),
    [
        # the filler it opens with is not counted: a short question of its own, after it
        ("hmm ok got it how long is the numbing part", ["how long does a fractional session take"], {"fractional"}),
        # "... then?" goes on from the last question, whatever its length
        (
            "how long does the numbing cream stay on before starting then?",
            ["is fractional laser painful"],
            {"fractional"},
        ),
    ],
)
def test_a_follow_up_after_filler_words_or_ending_in_then_keeps_the_procedure(question, history, carried) -> None:
    asked = rewrite(question, history)
    assert carried <= words(asked), asked


@pytest.mark.parametrize("message", ["any bruising?", "does it bruise a lot?"])
def test_a_follow_up_with_no_connector_is_not_asked_the_way_the_last_question_was(message: str) -> None:
    """ "any bruising?" after a question about how long the swelling lasts asks whether there is
    bruising, not how long it lasts: only "and ...?", "what about ...?", "X too?" carry the frame."""
    asked = rewrite(message, ["how long does swelling last after lip filler"])
    assert asked.startswith(message) and "filler" in asked
    assert "how long" not in asked, asked


def test_a_comparison_with_a_new_procedure_after_a_turn_without_one_keeps_both() -> None:
    """ "longer than for hifu??" after "how long is the numbing cream on for fractional laser",
    "and the redness?": the last question, of both procedures."""
    asked = rewrite(
        "longer than for hifu??", ["how long is the numbing cream on for fractional laser", "and the redness?"]
    )
    assert asked.startswith("longer than for hifu??")
    assert "fractional laser" in asked and "redness" in asked, asked
