"""Facts said in new wordings: denied, doubted, about the earlier round, corrected, or about another application.

What the student says of their situation must shape the next answers and never be turned around: "it won't be
the same interviewer" is someone new, "round one was on zoom" says nothing of the coming round, "I thought it was
the same manager but it's someone new" is someone new, and a rejection stops shaping advice once the student
talks about an interview with another company.
"""

from __future__ import annotations

import pytest

from bot.coaching import situation
from bot.knowledge.library import Knowledge
from tests.conftest import BotHarness
from tests.test_advice import ids_shown

SAME = {
    "interviewers-same-no-repeat",
    "selling-yourself-no-repeat",
    "interviewers-same-ease-off",
    "interviewers-same-direction",
    "interviewers-same-align",
}
NEW = {"interviewers-new-fresh-examples", "selling-yourself-new-examples"}


def _said(knowledge: Knowledge, text: str) -> dict[str, str]:
    """The facts a message states (supposed ones marked with a "?")."""
    return {k: f.value + ("?" if f.hypothetical else "") for k, f in situation.detect(knowledge, text).items()}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("they told me it won't be the same interviewer", "new"),
        ("it wont be the same guy as round one", "new"),
        ("it's not the recruiter from last time, it's the head of sales", "new"),
        ("she's not new to me, we met in round one", "same"),
        ("a different person from the first round", "new"),
        ("I thought it was the same manager but it's actually someone new", "new"),
    ],
)
def test_a_denied_or_corrected_interviewer_is_the_other_one(knowledge: Knowledge, text: str, value: str) -> None:
    assert _said(knowledge, text).get("interviewer") == value


def test_doubt_about_the_interviewer_states_nothing(knowledge: Knowledge) -> None:
    assert "interviewer" not in _said(knowledge, "not sure it's the same person as before")
    # (said after "if", the value is only supposed: it rules out advice for someone new, but isn't remembered)
    assert _said(knowledge, "I don't know if it's the same interviewer")["interviewer"] == "same?"


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ("round one was on zoom, the second is at their office", "onsite"),
        ("last time it was a phone call, now it's a lunch", "meal"),
        ("the first interview was in person but round 2 is via teams", "video"),
    ],
)
def test_the_earlier_rounds_format_is_not_the_coming_ones(knowledge: Knowledge, text: str, setting: str) -> None:
    assert _said(knowledge, text).get("setting") == setting


def test_a_panel_in_the_earlier_round_is_no_panel_now(knowledge: Knowledge) -> None:
    assert "panel" not in _said(knowledge, "the first round was a panel, this time it's one person")
    assert _said(knowledge, "round 2 will be a panel")["panel"] == "panel"


def test_the_team_lead_is_one_person_the_team_is_several(knowledge: Knowledge) -> None:
    assert "panel" not in _said(knowledge, "I'm meeting the team lead on friday")
    assert _said(knowledge, "I'm meeting the team on friday")["panel"] == "panel"


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("i didnt get it", "rejected"),
        ("they didn't pick me in the end", "rejected"),
        ("sadly I wasn't successful", "rejected"),
        ("i took the offer!", "accepted"),
        ("I told them I'm no longer interested", "withdrawn"),
    ],
)
def test_outcomes_in_other_words(knowledge: Knowledge, text: str, outcome: str) -> None:
    assert _said(knowledge, text)["outcome"] == outcome


def test_fears_are_not_outcomes(knowledge: Knowledge) -> None:
    assert "outcome" not in _said(knowledge, "what if they reject me?")
    assert "outcome" not in _said(knowledge, "how do I stand out from the other candidates?")


def test_a_denied_same_interviewer_gets_advice_for_someone_new(bot: BotHarness, knowledge: Knowledge) -> None:
    me = bot.chat()
    me.say("they told me it won't be the same interviewer as in round one")
    shown = ids_shown(knowledge, me.say("can I reuse my examples from last time?").text)
    assert NEW & set(shown[:2]), shown
    assert not SAME & set(shown), shown


def test_a_rejection_stops_shaping_advice_for_another_companys_interview(bot: BotHarness, knowledge: Knowledge) -> None:
    me = bot.chat()
    me.say("they rejected me last week")
    r = me.say("now I have a second interview with a different company next week, how should I prepare?")
    shown = ids_shown(knowledge, r.text)
    assert shown and not [i for i in shown if i.startswith("outcome-")], shown


def test_the_earlier_rounds_video_call_does_not_make_the_coming_round_remote(
    bot: BotHarness, knowledge: Knowledge
) -> None:
    me = bot.chat()
    me.say("round one was a video call but round 2 is in person at their office")
    shown = ids_shown(knowledge, me.say("they want a presentation, what equipment should I ask for?").text)
    assert "presentation-equipment" in shown[:2], shown
    assert "presentation-equipment-remote" not in shown, shown


def test_a_bare_and_moves_on_to_other_advice(bot: BotHarness, knowledge: Knowledge) -> None:
    me = bot.chat()
    first = ids_shown(knowledge, me.say("the second round is dinner with the director, can I order wine?").text)
    r = me.say("and?")
    assert "delete" not in r.text.lower()  # not read as "forget me"
    shown = ids_shown(knowledge, r.text)
    assert shown and not set(shown) & set(first), (first, shown)


def test_a_fact_in_the_gap_of_a_longer_phrase_still_counts(knowledge: Knowledge) -> None:
    said = _said(knowledge, "got a written offer in my inbox today")
    assert said["offer"] == "in_writing"  # not swallowed by "got … offer" around it
    assert _said(knowledge, "they picked someone else")["outcome"] == "rejected"
    assert "interviewer" not in _said(knowledge, "they picked someone else")  # words of the longer phrase
