"""Corrections and updates change the interview on file; they never create a second one."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from bot.nlu.types import Entities, Parse, When
from bot.storage.models import Interview
from tests.conftest import BotHarness


def rows(bot: BotHarness) -> list[tuple[str | None, str | None, list[str], str | None]]:
    """(company, local start, interviewers, setting) of every scheduled interview, in creation order."""
    with bot.app.db.session() as s:
        found = s.scalars(select(Interview).where(Interview.status == "scheduled").order_by(Interview.id)).all()
        return [
            (
                i.company,
                (i.local_start.isoformat(timespec="minutes") if i.has_time else i.local_start.date().isoformat())
                if i.local_start
                else None,
                list(i.interviewers or []),
                i.setting,
            )
            for i in found
        ]


def test_a_new_time_keeps_the_day(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 11am")
    r = me.say("no, it's at 10 not 11")
    assert "Friday 6 March, 10:00 AM" in r.text
    assert rows(bot) == [("Acme", "2026-03-06T10:00", [], None)]


def test_a_new_day_keeps_the_time(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("2nd round with Globex on Tuesday at 2:30pm")
    me.say("sorry, it's thursday not tuesday")
    assert rows(bot) == [("Globex", "2026-03-05T14:30", [], None)]


def test_an_interviewer_is_replaced(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah")
    r = me.say("it's with Priya, not Sarah")
    assert "Priya" in r.text
    assert rows(bot) == [("Acme", "2026-03-06T15:00", ["Priya"], None)]


def test_a_wrong_company_is_renamed_and_a_role_taken_for_it_becomes_a_person(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with the VP of engineering on Thursday at 7pm")
    with bot.app.db.session() as s:  # however the company was first read, the student fixes it
        s.scalars(select(Interview)).one().company = "the VP of engineering"
    r = me.say("wait the company is Stripe not the VP")
    assert "Stripe" in r.text
    [(company, when, people, _)] = rows(bot)
    assert (company, when) == ("Stripe", "2026-03-05T19:00")
    assert "the VP of engineering" in people


def test_i_meant_renames_the_interview_just_recorded(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Initech on Monday at 9am")
    me.say("second interview with Brightloop on Wednesday at 1pm")
    me.say("sorry I meant Hooli")
    assert [r[0] for r in rows(bot)] == ["Initech", "Hooli"]


def test_a_move_without_a_company_moves_the_one_upcoming_interview(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    bot.advance(hours=5)  # no longer "just discussed"
    r = me.say("the interview moved to wednesday 10am")
    assert "Wednesday 4 March, 10:00 AM" in r.text
    assert rows(bot) == [("Acme", "2026-03-04T10:00", [], None)]


def test_a_move_without_a_company_asks_which_when_there_are_several(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Acme on Friday at 3pm")
    me.say("second interview with Globex on Thursday at 11am")
    bot.advance(hours=5)
    r = me.say("the interview moved to wednesday 10am")
    assert "Which interview" in r.text
    assert rows(bot)[0][1] == "2026-03-06T15:00" and rows(bot)[1][1] == "2026-03-05T11:00"
    r = me.press(r.button("Globex"))
    assert "Wednesday 4 March, 10:00 AM" in r.text
    assert rows(bot) == [("Acme", "2026-03-06T15:00", [], None), ("Globex", "2026-03-04T10:00", [], None)]


def test_the_answer_to_which_one_can_be_typed(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Acme on Friday at 3pm")
    me.say("second interview with Globex on Thursday at 11am")
    bot.advance(hours=5)
    me.say("they pushed the interview to next tuesday at 4pm")
    me.say("acme")
    assert rows(bot)[0] == ("Acme", "2026-03-03T16:00", [], None)  # "next tuesday": the next one to come
    assert rows(bot)[1] == ("Globex", "2026-03-05T11:00", [], None)


def test_a_setting_update_refers_back(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("it's on zoom now")
    assert rows(bot) == [("Acme", "2026-03-06T15:00", [], "video")]


def test_a_correction_to_a_past_date_keeps_the_date_and_asks(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("sorry, it's on January 5 2026 not Friday")
    assert "already passed" in r.text
    assert rows(bot) == [("Acme", "2026-03-06T15:00", [], None)]


def test_corrections_with_nothing_on_file_create_nothing(bot: BotHarness) -> None:
    r = bot.chat().say("no wait, the interview moved to thursday at 10")
    assert "no upcoming interviews" in r.text
    assert rows(bot) == []


@pytest.mark.parametrize(
    ("text", "new", "old"),
    [
        ("it's at 10 not 11", "it's at 10", "11"),
        ("wait the company is Stripe not the VP", "wait the company is Stripe", "the VP"),
        ("not monday, tuesday", "tuesday", "monday"),
        ("it's not 11, it's 10", "it's 10", "11"),
        ("thursday instead of friday", "thursday", "friday"),
        ("I'm not sure what to wear", "I'm not sure what to wear", None),
        ("do not forget the deck", "do not forget the deck", None),
    ],
)
def test_split_correction(text: str, new: str, old: str | None) -> None:
    from bot.coaching.handlers.interviews.schedule import split_correction

    assert split_correction(text) == (new, old)


def test_a_vague_date_is_asked_for() -> None:
    from bot.coaching.handlers.interviews.schedule import check_when

    class _Turn:  # check_when only needs the local time for past dates
        pass

    parse = Parse(
        "end of next week", "schedule_interview", 1.0, Entities(when_text="end of next week", when_problem="vague")
    )
    problem = check_when(_Turn(), parse)  # type: ignore[arg-type]
    assert problem is not None and "Which day" in problem and "end of next week" in problem


def test_a_range_end_becomes_the_interview_length_and_a_move_keeps_it() -> None:
    from bot.coaching.handlers.interviews.schedule import set_when

    interview = Interview(company="Acme", tz="UTC")
    set_when(interview, When(date(2026, 3, 5), time(14, 0), time(16, 0)), "UTC")
    assert interview.duration_minutes == 120
    set_when(interview, When(date(2026, 3, 6), time(9, 0)), "UTC")
    assert interview.duration_minutes == 120


@pytest.mark.parametrize("answer", ["the thursday one", "the first one", "Globex pls"])
def test_which_one_is_answered_by_day_place_or_name(bot: BotHarness, answer: str) -> None:
    me = bot.chat()
    me.say("second interview with Acme on Friday at 3pm")
    me.say("second interview with Globex on Thursday at 11am")  # listed first: it comes first
    assert "Which interview" in me.say("cancel my interview").text
    r = me.say(answer)
    assert "Cancelled your Globex interview" in r.text
    assert rows(bot) == [("Acme", "2026-03-06T15:00", [], None)]


def test_make_it_a_bare_hour_changes_the_time(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Wayfair on Friday at 10am")
    me.say("actually make it 4")
    assert rows(bot) == [("Wayfair", "2026-03-06T16:00", [], None)]


def test_a_day_range_is_asked_for_in_conversation(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I have a second interview with Acme end of next week")
    assert "Which day is it?" in r.text
    assert rows(bot) == [("Acme", None, [], None)]
    me.say("thursday 2pm")
    assert rows(bot) == [("Acme", "2026-03-05T14:00", [], None)]


def test_a_time_range_keeps_its_end(bot: BotHarness) -> None:
    import json

    me = bot.chat()
    r = me.say("second interview with Globex between 2 and 4 on friday")
    assert "Friday 6 March, 2:00 PM" in r.text and "Until 4:00 PM" in r.text
    r = me.say("the interview moved to monday at 10")
    assert "Until 12:00 PM" in r.text  # the length stays with a move
    export = json.loads(me.say("export my data").text.split("```json", 1)[1].rsplit("```", 1)[0])
    assert export["interviews"][0]["duration_minutes"] == 120
