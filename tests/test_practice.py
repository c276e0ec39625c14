"""Practice mode (issue 15): whole mock-interview sessions through the whole bot, read as transcripts."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.coaching.practice.questions import CATEGORIES, choose, load_questions, parse_questions, questions_path
from bot.coaching.practice.session import progress_lines
from bot.common.types import IncomingMessage
from bot.storage.models import ConversationState
from tests.conftest import BotHarness, Chat, Replies

ROOT = Path(__file__).resolve().parents[1]
STORY = (
    "At my last job in a busy call centre, our average wait on Mondays was eleven minutes. My manager asked me "
    "to fix it before the winter peak. I compared the rota with the call data and moved four agents' lunch "
    "breaks to after two o'clock. Within a month Monday waits dropped to under four minutes."
)
VAGUE = "I guess we kind of just worked hard as a team and it went well"
PLAN = "I would talk to the team first and then maybe try to make a plan together."
BANK = {q.id: q for q in load_questions()}


def talk(me: Chat, text: str) -> Replies:
    """Say something half a minute after the last message (a student typing, not a flood)."""
    me.bot.advance(seconds=30)
    return me.say(text)


def question_ids(text: str) -> list[str]:
    """The bank's questions whose words appear in a transcript (company placeholders aside)."""
    return [q.id for q in load_questions() if q.text.split("{company}")[0][:60] in text]


def practise(me: Chat, first: str = "let's practise") -> list[str]:
    """Run a whole session, skipping every question; returns the ids asked, in order."""
    asked = question_ids(talk(me, first).text)
    for _ in range(6):
        r = talk(me, "skip")
        if "Practice summary" in r.text or "nothing to score" in r.text:
            break
        asked += question_ids(r.text)
    return asked


# --- a session, start to end --------------------------------------------------------------------------------


def test_a_session_asks_questions_for_the_stored_interview_and_gives_feedback_in_the_students_words(
    bot: BotHarness,
) -> None:
    me = bot.chat()
    talk(me, "I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    r = talk(me, "let's practise")
    assert "for your Acme interview" in r.text and "Question 1 of 4" in r.text
    assert r.private and r.button("Skip") == "practice:skip" and r.button("Stop") == "practice:stop"
    assert "(source: “6 Tips to Ace Your Second Interview”)" in r.text  # the point it practises, with its article

    r = talk(me, STORY)
    feedback, nxt = r[0].text, r[1].text
    assert all(reply.private for reply in r)
    # every part is shown with the student's own words
    assert "situation \u201cAt my last job in a\u2026\u201d" in feedback
    assert "action \u201cI compared the rota with the\u2026\u201d" in feedback
    assert "result \u201cWithin a month Monday waits dropped\u2026\u201d" in feedback
    assert "Next step:" in feedback and "(source: “" in feedback
    assert "Question 2 of 4" in nxt

    r = talk(me, VAGUE)
    assert "\u201cI guess\u201d, \u201ckind of\u201d" in r.text  # the hedges, as written
    assert "Ties to the company: nothing here is about this company" in r.text  # a "why you" question
    assert "too short" in r.text
    assert "Question 3 of 4" in r.text

    r = talk(me, "skip")
    assert "Question 4 of 4" in r.text
    r = talk(me, "stop")
    assert "Practice summary: 2 answers, 1 skipped" in r.text
    assert "The one thing to work on:" in r.text
    assert r.button("Practise again") == "practice:start"
    # the session is over: the next message is an ordinary one again
    assert "Question" not in talk(me, "what's coming up?").text


@pytest.mark.parametrize("start", ["mock interview", "quiz me", "can you quiz me before friday?"])
def test_other_ways_to_start(bot: BotHarness, start: str) -> None:
    assert "Question 1 of" in bot.chat().say(start).text


def test_the_practise_button_and_help_offer_practice(bot: BotHarness) -> None:
    me = bot.chat()
    assert talk(me, "help").button("Practise") == "practice:start"
    assert "Question 1 of 4" in me.press("practice:start").text


def test_a_request_mid_session_is_answered_not_taken_as_an_answer_and_the_session_goes_on(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "I have a second interview with Acme on Friday at 3pm")
    talk(me, "quiz me")
    r = talk(me, "what's coming up?")
    assert "Acme: Friday 6 March" in r.text and "Feedback" not in r.text
    r = talk(me, "it's a dinner interview, can I order wine?")
    assert "Feedback" not in r.text and ("glass" in r.text.lower() or "alcohol" in r.text.lower())
    r = talk(me, STORY)
    assert "Feedback on your answer to question 1" in r.text and "Question 2 of 4" in r.text



def test_asking_for_drafts_or_a_calendar_file_mid_session_is_done_not_scored(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    talk(me, "practise for my Acme interview")
    r = talk(me, "draft my thank-you emails")
    assert "Feedback" not in r.text and "Sarah" in r.text
    r = talk(me, "add my interviews to my calendar")
    assert "Feedback" not in r.text
    assert [f.name for reply in r for f in reply.files] == ["secondround-interviews.ics"]
    r = talk(me, STORY)
    assert "Feedback on your answer to question 1" in r.text

def test_a_hesitant_answer_with_a_question_mark_is_still_an_answer_and_progress_can_be_asked_mid_session(
    bot: BotHarness,
) -> None:
    me = bot.chat()
    me.send(IncomingMessage(me.ref, action="note:add", fields={"text": "they will ask my salary expectations"}))
    talk(me, "let's practise")
    talk(me, STORY)
    r = talk(me, "how am I doing?")
    assert "Your practice so far: 1 session, 1 answer." in r.text  # the session under way counts
    assert "Back to practice. Question 2 of 4" in r.text
    while "salary" not in r.text.lower():
        r = talk(me, "skip")
    r = talk(me, "Um, honestly, I haven't really thought about it? Maybe like 30k?")
    assert "Feedback on your answer" in r.text and "Salary: a single number" in r.text


def test_stop_at_once_and_quit_mid_way(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "mock interview")
    r = talk(me, "stop")
    assert "nothing to score" in r.text
    assert "Feedback" not in talk(me, "quiz me").text
    talk(me, STORY)
    r = talk(me, "quit")
    assert "Practice summary: 1 answer." in r.text


def test_a_session_times_out_and_the_next_message_is_handled_as_usual(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "let's practise")
    talk(me, STORY)
    bot.advance(minutes=31)
    r = talk(me, "skip")
    assert "Question" not in r.text  # not the next question: the session ended with the timeout
    progress = talk(me, "how am I doing in practice?")
    assert "1 session, 1 answer" in progress.text  # the answer given before the timeout is kept


def test_start_while_a_session_is_open_repeats_the_current_question(bot: BotHarness) -> None:
    me = bot.chat()
    first = talk(me, "let's practise").text
    talk(me, "skip")
    r = talk(me, "mock interview")
    assert "already practising" in r.text and "Question 2 of 4" in r.text
    assert first.split("Question 1 of 4:")[1][:40] not in r.text


# --- which questions -----------------------------------------------------------------------------------------


def test_same_interviewer_gets_a_different_set_with_fresh_story_prompts(bot: BotHarness) -> None:
    plain = bot.chat("pat")
    talk(plain, "I have a second interview with Acme on Friday at 3pm")
    same = bot.chat("sam")
    talk(same, "I have a second interview with Acme on Friday at 3pm")
    talk(same, "it's the same person as last time")
    asked_plain, asked_same = practise(plain), practise(same)
    assert len(asked_same) == 4 and asked_plain != asked_same
    assert "deep-new-example" in asked_same  # "Last time you told me about one project…"
    assert all("same" in BANK[q].audience or "any" in BANK[q].audience for q in asked_same)


def test_a_panel_gets_its_own_questions(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "I have a second interview with Acme on Friday at 3pm")
    talk(me, "it's a panel interview")
    assert "deep-panel-teamwork" in practise(me)


def test_a_presentation_prompt_only_when_the_student_said_so(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "I have a second interview with Acme on Friday at 3pm")
    assert not any(BANK[q].category == "presentation" for q in practise(me))
    me.send(IncomingMessage(me.ref, action="note:add", fields={"text": "they want a 10 minute presentation"}))
    asked = practise(me)
    assert len(asked) == 5 and "presentation-pitch" in asked


def test_new_questions_come_before_repeated_ones(bot: BotHarness) -> None:
    me = bot.chat()
    first, second = practise(me), practise(me)
    assert len(first) == len(second) == 4 and not set(first) & set(second)


def test_choose_prefers_the_situation_categories() -> None:
    bank = load_questions()
    tough = choose(bank, stress=["pressure", "salary"])
    assert {q.category for q in tough} == {"deep_dive", "why_you", "pressure", "salary"}
    technical = choose(bank, extras=["technical"])
    assert len(technical) == 5 and technical[1].category == "technical"


# --- feedback that uses what the student stored --------------------------------------------------------------


def test_a_round_one_story_told_again_is_pointed_out_from_the_notes(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "note: in round one I told them the story about the call centre wait times and the rota")
    talk(me, "let's practise")
    r = talk(me, STORY)
    assert "Repeat: this sounds like the story you already told" in r.text


# --- progress and the student's data -------------------------------------------------------------------------


def test_progress_across_sessions_in_the_students_counts(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "let's practise")
    talk(me, PLAN)
    talk(me, "stop")
    talk(me, "let's practise")
    talk(me, STORY)
    r = talk(me, "stop")
    assert "your answers now include results 1 of 1 times, up from 0 of 1" in r.text
    r = talk(me, "how am I doing with my practice?")
    assert "2 sessions, 2 answers" in r.text and "up from 0 of 1" in r.text


def test_progress_lines_compare_the_last_two_sessions() -> None:
    def answer(result: bool) -> dict[str, object]:
        return {"kind": "behavioural", "star": {"result": result}, "quantified": False, "ownership": "i"}

    history = [
        {"answers": [answer(True), answer(False), answer(False), answer(False)]},
        {"answers": [answer(True), answer(True), answer(True), answer(False)]},
    ]
    assert "- your answers now include results 3 of 4 times, up from 1 of 4" in progress_lines(history)


def test_answers_are_exported_forgotten_and_never_logged(bot: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    me = bot.chat()
    talk(me, "let's practise")
    talk(me, STORY)
    talk(me, "stop")
    export = talk(me, "export my data")[0].text
    data = json.loads(export.split("```json\n", 1)[1].rsplit("```", 1)[0])
    history = data["conversation"]["context"]["practice"]["history"]
    assert history[0]["answers"][0]["answer"] == STORY
    assert "eleven minutes" not in caplog.text and "call centre" not in caplog.text
    talk(me, "forget me")
    talk(me, "yes")
    assert "No practice answers yet" in talk(me, "how am I doing in practice?").text


def test_sessions_older_than_the_retention_period_are_dropped(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "let's practise")
    talk(me, STORY)
    talk(me, "stop")
    bot.advance(days=bot.app.settings.retention_days + 1)
    talk(me, "let's practise")
    talk(me, PLAN)
    r = talk(me, "stop")
    assert "Your practice so far: 1 session, 1 answer." in r.text  # the old session is gone


def test_salary_practice_when_salary_talk_is_expected_points_at_a_single_number(bot: BotHarness) -> None:
    me = bot.chat()
    me.send(IncomingMessage(me.ref, action="note:add", fields={"text": "they will ask my salary expectations"}))
    talk(me, "let's practise")
    for _ in range(4):
        r = talk(me, "skip")
        if "salary" in r.text.lower():
            break
    assert "What are your salary expectations" in r.text
    r = talk(me, "I would like 55000 a year.")
    assert "Salary: a single number (\u201c55000\u201d)" in r.text
    assert "give a researched range instead" in r.text


def test_a_session_whose_question_was_removed_from_the_bank_is_dropped_not_crashed(bot: BotHarness) -> None:
    me = bot.chat()
    talk(me, "let's practise")
    with bot.app.db.session() as session:
        state = session.scalars(select(ConversationState)).one()
        context = dict(state.context)
        context["practice"] = {
            **context["practice"],
            "session": {**context["practice"]["session"], "questions": ["gone-from-the-bank"]},
        }
        state.context = context
    r = talk(me, "what's coming up?")
    assert "no upcoming interviews" in r.text.lower()
    assert "Question 1 of 4" in talk(me, "quiz me").text


# --- the question bank ---------------------------------------------------------------------------------------


def test_every_question_practises_points_from_a_known_article() -> None:
    sources = yaml.safe_load((ROOT / "knowledge/sources.yaml").read_text(encoding="utf-8"))
    raw = yaml.safe_load(questions_path().read_text(encoding="utf-8"))
    bank = parse_questions(raw, sources=list(sources))
    assert {q.category for q in bank} == set(CATEGORIES)
    assert all(q.practises for q in bank)


def test_a_malformed_question_is_refused_with_its_name() -> None:
    raw = {
        "questions": [
            {
                "id": "x",
                "category": "nonsense",
                "kind": "other",
                "text": "Why?",
                "practises": [{"point": "p", "source": "s"}],
            }
        ]
    }
    with pytest.raises(ValueError, match=r"question 1 \(x\): category"):
        parse_questions(raw)
