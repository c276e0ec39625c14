"""Bad input gets a clear answer and loses nothing; the process never falls over."""

from __future__ import annotations

import sqlite3
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from bot.coaching.handlers.interviews.listing import LIST_SHOWN
from bot.common import formatting, markup
from bot.common.types import ConversationRef, IncomingMessage
from bot.storage.models import Interview, Note
from bot.storage.repo import UserData, find_user
from tests.conftest import BotHarness


def _stored(bot: BotHarness) -> tuple[int, int]:
    with bot.app.db.session() as s:
        return (s.scalar(select(func.count()).select_from(Interview)), s.scalar(select(func.count()).select_from(Note)))


def _with_data(bot: BotHarness):
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("note: remember the portfolio")
    return me


def test_empty_and_whitespace(bot: BotHarness) -> None:
    me = _with_data(bot)
    for text in ["", "   ", "\n\n\t", "\u200b\u200b"]:
        r = me.say(text)
        assert "didn't get any words" in r.text
    assert _stored(bot) == (1, 1)


def test_huge_message_is_refused_clearly_and_stores_nothing(bot: BotHarness) -> None:
    me = _with_data(bot)
    r = me.say("note: " + "x" * 100_000)
    assert "very long" in r.text and "100,006" in r.text
    assert _stored(bot) == (1, 1)


def _said(bot: BotHarness, key: str) -> str:
    """A fixed sentence of the coach, as a test reads replies (plain text)."""
    return markup.to_plain(bot.app.knowledge.response(key))


def test_binary_junk_and_control_characters(bot: BotHarness) -> None:
    me = _with_data(bot)
    junk = bytes(range(256)).decode("latin-1") * 3
    assert me.say(junk).text == _said(bot, "fallback")  # not read as anything it could act on
    # control characters and a terminal escape sequence hold no words
    assert me.say("\x00\x01\x02\x1b[31m\x7f").text == _said(bot, "empty")
    r = me.say("what's \x00coming\x07 up?")
    assert "Acme" in r.text
    assert _stored(bot) == (1, 1)


def test_rtl_and_other_scripts(bot: BotHarness) -> None:
    me = _with_data(bot)
    r = me.say("note: مقابلة ثانية يوم الجمعة")
    assert "مقابلة ثانية" in r.text
    r = me.say("note: \u202eevil override")
    assert "evil override" in r.text and "\u202e" not in r.text  # kept, minus the direction override
    assert "面试官是谁" in me.say("note: 二次面试 面试官是谁").text
    notes = me.say("show my notes").text
    for kept in ("remember the portfolio", "مقابلة ثانية يوم الجمعة", "evil override", "二次面试 面试官是谁"):
        assert kept in notes
    assert "\u202e" not in notes
    assert _stored(bot) == (1, 4)


def test_markup_and_mentions_are_kept_literal(bot: BotHarness) -> None:
    me = _with_data(bot)
    r = me.say("note: <!channel> @everyone **bold** _x_ <@U123> <https://evil.example|click>")
    reply = r[0].text
    assert "<!channel>" in r.text and "@everyone" in r.text
    assert "\\*\\*bold\\*\\*" in reply  # escaped in the neutral markup: it cannot become formatting


def test_unknown_time_zone(bot: BotHarness) -> None:
    me = _with_data(bot)
    r = me.say("set my time zone to Mars/Olympus_Mons")
    assert "don't know the time zone" in r.text
    assert "Friday 6 March, 3:00 PM" in me.say("what's coming up?").text


def test_impossible_date(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I have a second interview with Acme on Feb 30 at 3pm")
    assert "couldn't make a real date" in r.text and "Feb 30" in r.text
    r = me.say("march 3 at 3pm")
    assert "tomorrow, Tuesday 3 March, 3:00 PM" in r.text


def test_date_in_the_past(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I have a second interview with Acme on January 10 at 3pm")
    # January 10 has passed in March: it means next year
    assert "2027" in r.text
    r = me.say("my Acme interview moved to 2026-02-01 at 3pm")
    assert "already passed" in r.text
    assert "2027" in me.say("what's coming up?").text  # the old date was kept


def test_unknown_button_value(bot: BotHarness) -> None:
    me = _with_data(bot)
    expired = _said(bot, "unknown_action")
    for value in [
        "",
        "nonsense",
        "topic:",
        "topic:no_such_topic",
        "interview:cancel:x",
        "reminder:snooze:1",
        ":::",
        "a" * 5000,
    ]:
        bot.advance(seconds=bot.app.settings.flood_window_seconds)  # not a flood: one press at a time
        assert me.press(value).text == expired, value[:40]
    assert me.press("thanks:sent:999999").text == "I can't find that interview any more (it may have been deleted)."
    assert _stored(bot) == (1, 1)  # nothing was changed or lost


def test_flood_is_throttled_politely_and_others_are_not_slowed(bot: BotHarness) -> None:
    spammer, bystander = bot.chat("spam"), bot.chat("calm")
    answered = [spammer.say(f"hi {i}") for i in range(30)]
    notes = [r for r in answered if "faster than I can answer" in r.text]
    silent = [r for r in answered if not r]
    assert len(notes) == 1
    assert len(silent) == 30 - bot.app.settings.flood_messages - 1
    assert "SecondRound" in bystander.say("hi").text
    bot.advance(seconds=bot.app.settings.flood_window_seconds + 1)
    assert "SecondRound" in spammer.say("hi").text


def test_database_down_coaching_still_works_and_actions_say_so(bot: BotHarness) -> None:
    me = _with_data(bot)
    question = "how do I negotiate salary in the second interview?"
    expected = bot.chat("someone-new").say(question).text  # with the database up
    engine = bot.app.db.engine

    def refuse(*_args: object) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    engine.dispose()  # drop pooled connections: the next one has to connect, and cannot
    event.listen(engine, "do_connect", refuse)
    try:
        assert me.say(question).text == expected  # the coaching answer itself
        assert me.say("what's coming up?").text == _said(bot, "storage_down")
        assert me.say("note: bring the portfolio").text == _said(bot, "storage_down")
    finally:
        event.remove(engine, "do_connect", refuse)
    assert "Acme" in me.say("what's coming up?").text


def test_a_long_listing_names_the_soonest_and_counts_the_rest(bot: BotHarness) -> None:
    # the fuzz test below shares one user across its examples; a run that stored more interviews
    # than the listing shows failed once, expecting every stored company to be named
    me = bot.chat()
    for n in range(LIST_SHOWN + 2):
        bot.advance(minutes=1)  # one message at a time: not a flood
        told = me.say(f"I have a second interview with Firm{n} on April {n + 1} at 10am")
        assert "tracking this interview" in told.text
    bot.advance(minutes=1)
    listing = me.say("what's coming up?").text
    for n in range(LIST_SHOWN):
        assert f"Firm{n}: " in listing
    assert "Firm25: " not in listing and "Firm26: " not in listing
    assert "…and 2 more later on (“export my data” lists them all)." in listing


_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=300)
_WORDS = st.lists(
    st.sampled_from(
        [
            "interview",
            "acme",
            "friday",
            "3pm",
            "note:",
            "cancel",
            "forget",
            "yes",
            "no",
            "salary",
            "@everyone",
            "<!channel>",
            "tomorrow",
            "moved",
            "export",
            "🎉",
            "**",
            "set my time zone to",
            "Europe/Berlin",
            "Mars/Base",
            "the 31st",
            "2/30",
            "at 25",
        ]
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(_TEXT, _WORDS, st.text(alphabet=string.printable, max_size=200)))
def test_any_text_gets_an_answer_and_never_breaks_storage(bot: BotHarness, text: str) -> None:
    bot.advance(minutes=1)  # a patient fuzzer: the flood guard is tested on its own
    me = bot.chat("fuzz")
    replies = me.say(text)
    assert replies, text  # an answer, always
    assert _said(bot, "internal_error") not in replies.text, (text, replies.text)
    for reply in replies:
        assert reply.text.strip(), replies
    # the user's data is still readable afterwards, and the listing is what is stored
    after = me.say("what's coming up?")
    with bot.app.db.session() as s:
        user = find_user(s, me.ref)
        stored = UserData(s, user).upcoming(bot.clock.now()) if user else []
        companies = [markup.to_plain(formatting.company(i)) for i in stored]
    if companies:
        assert "Your upcoming interviews" in after.text, (text, after.text)
        for company in companies[:LIST_SHOWN]:  # soonest first; the rest are counted, not named
            assert company in after.text, (text, after.text)
        more = len(companies) - LIST_SHOWN
        if more > 0:
            assert f"…and {more} more later on" in after.text, (text, after.text)
        else:
            assert "more later on" not in after.text, (text, after.text)
    else:
        assert "You have no upcoming interviews on file" in after.text, (text, after.text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.text(max_size=120))
def test_any_button_value_gets_an_answer(bot: BotHarness, action: str) -> None:
    bot.advance(minutes=1)
    ref = ConversationRef("test", "", "dm", "fuzz")
    replies = bot.app.coach.handle(IncomingMessage(ref, action=action))
    assert replies and all(r.text.strip() for r in replies), action
    text = "\n".join(markup.to_plain(r.text) for r in replies)
    assert _said(bot, "internal_error") not in text, action
    if action.split(":", 1)[0] not in bot.app.coach.registry.names("action"):
        assert text == _said(bot, "unknown_action"), action  # no button of ours: says so, plainly
