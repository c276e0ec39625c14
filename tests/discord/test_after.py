"""After the interview in Discord: drafts as copy blocks (no mailto: links there), the calendar as an attachment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import icalendar

from tests.discord.conftest import DiscordHarness
from tests.standins.discord import DiscordStandIn


def _attached(standin: DiscordStandIn) -> list[dict[str, Any]]:
    return [f for r in standin.requests if isinstance(r.body, dict) for f in r.body.get("_files", [])]


async def test_the_calendar_file_is_sent_as_an_attachment(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    await discord_bot.slash(ann, "timezone", zone="America/New_York")
    await discord_bot.dm(ann, "I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    answer = await discord_bot.dm(ann, "add my interviews to my calendar")
    assert any("calendar file" in m.content for m in answer)
    [ics] = _attached(standin)
    assert ics["filename"].endswith(".ics")
    [event] = icalendar.Calendar.from_ical(ics["content"]).walk("VEVENT")
    assert event.decoded("dtstart").isoformat() == "2026-03-06T15:00:00-05:00"


async def test_thank_you_drafts_from_the_reminder_button(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    await discord_bot.slash(ann, "timezone", zone="America/New_York")
    await discord_bot.dm(ann, "I have a second interview with Acme on Friday at 3pm with Sarah Chen and Tom")
    discord_bot.bot.clock.set(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))  # Friday 5 PM: the thank-you reminder
    await discord_bot.deliver_due()
    reminder = standin.dms(ann)[-1]
    ix = await discord_bot.click(ann, reminder, reminder.button("Draft emails"))
    text = ix.text
    assert "```\nSubject: Thank you: second interview at Acme\n\nDear Sarah," in text
    assert "Dear Tom," in text
    assert "mailto:" not in text  # Discord does not open mailto: links; the copy block is there
