"""After the interview in Slack: drafts with a clickable mailto: link, the calendar file uploaded to the DM."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlparse

import icalendar

from tests.slack.conftest import SlackHarness
from tests.standins.slack import dm_channel

ALICE = "U0ALICE"


async def test_thank_you_drafts_come_as_copy_blocks_with_a_mailto_link(slack: SlackHarness) -> None:
    slack.standin.user_tz[ALICE] = "America/New_York"
    dm = dm_channel(ALICE)
    await slack.dm(ALICE, "I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    await slack.reply_in(dm)
    slack.bot.clock.set(datetime(2026, 3, 6, 21, 30, tzinfo=UTC))
    await slack.dm(ALICE, "draft my thank-you emails")
    await slack.settle()
    shown = "\n".join(p.shown for p in slack.posts(dm))
    assert "```\nSubject: Thank you: second interview at Acme\n\nDear Sarah," in shown
    link = shown[shown.index("<mailto:") + 1 : shown.index(">", shown.index("<mailto:"))]
    url, label = link.split("|")
    assert label == "Open this draft in your email app"
    body = parse_qs(urlparse(url.replace("&amp;", "&")).query)["body"][0]
    assert body.startswith("Dear Sarah,") and "Acme" in unquote(body)


async def test_the_calendar_file_is_uploaded_to_the_dm(slack: SlackHarness) -> None:
    slack.standin.user_tz[ALICE] = "Europe/Berlin"
    dm = dm_channel(ALICE)
    await slack.dm(ALICE, "I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    await slack.reply_in(dm)
    await slack.dm(ALICE, "add my interviews to my calendar")
    [upload] = await slack.standin.wait_for("files.completeUploadExternal")
    assert upload.body["channel_id"] == dm
    [(name, content)] = upload.body["_contents"].items()
    assert name.endswith(".ics")
    [event] = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert str(event["summary"]) == "Second interview: Acme"
    assert event.decoded("dtstart").isoformat() == "2026-03-06T15:00:00+01:00"  # Berlin, from her profile


async def test_app_home_offers_drafts_for_the_thank_yous_to_do(slack: SlackHarness) -> None:
    from bot.common.types import ConversationRef

    slack.standin.user_tz[ALICE] = "America/New_York"
    await slack.dm(ALICE, "I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    await slack.reply_in(dm_channel(ALICE))
    slack.bot.clock.set(datetime(2026, 3, 6, 21, 30, tzinfo=UTC))
    home = slack.bot.app.coach.home(ConversationRef("slack", "T0TEAM", "", ALICE))
    values = {b.label: b.value for r in home for b in r.buttons}
    assert values["Draft emails Acme"].startswith("drafts:")
    chat = slack.bot.chat(ALICE, platform="slack", workspace="T0TEAM")
    drafts = chat.press(values["Draft emails Acme"])
    assert "Dear Sarah," in drafts.text
