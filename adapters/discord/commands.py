"""The slash commands, each translated into the core's message or action.

``/coach ask``, ``/coach tips``, ``/interview add|list|cancel|move``, ``/note add``, ``/notes``,
``/timezone``, ``/thankyou sent``, ``/export``, ``/forgetme``, ``/practice``, and ``/insights`` for the
career office's counsellors (anonymous counts from :mod:`bot.office.insights`; everyone else is refused).
The commands do nothing themselves: they hand the member's words or the action (with its fields)
to :class:`Answerer`, which asks the core and shows its replies.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.render import split_content, to_discord
from bot.common.types import ConversationRef
from bot.common.zones import suggest
from bot.knowledge.library import TOPIC_LABELS
from bot.office import insights

MAX_CHOICES = 25
SETTINGS = {
    "informal": "Over a meal or drinks",
    "video": "Video call",
    "phone": "Phone call",
    "onsite": "At their office",
}
TOPIC_CHOICES = [app_commands.Choice(name=label, value=key) for key, label in TOPIC_LABELS.items()]
SETTING_CHOICES = [app_commands.Choice(name=label, value=key) for key, label in SETTINGS.items()]


class Answerer(Protocol):
    """What the commands need from the adapter."""

    async def answer(
        self,
        interaction: discord.Interaction[Any],
        *,
        text: str = "",
        action: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        """Ask the core and show its replies (within Discord's 3 seconds, or deferred)."""
        ...

    def is_counsellor(self, ref: ConversationRef, roles: list[str]) -> bool:
        """Whether the member (with these role ids and names) is a career-office counsellor."""
        ...

    async def interview_choices(self, interaction: discord.Interaction[Any], typed: str) -> list[tuple[str, str]]:
        """The member's own upcoming interviews matching ``typed``, as (label, id)."""
        ...

    async def answer_for_interview(
        self,
        interaction: discord.Interaction[Any],
        chosen: str,
        action: str,
        fields: dict[str, str] | None = None,
    ) -> None:
        """Run ``action:<id>`` for the interview the member picked (or typed)."""
        ...


def build_commands(tree: app_commands.CommandTree[Any], adapter: Answerer) -> None:
    """Add every SecondRound command to ``tree``, wired to ``adapter``."""

    async def interviews(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        pairs = await adapter.interview_choices(interaction, current)
        return [app_commands.Choice(name=label[:100], value=ident) for label, ident in pairs[:MAX_CHOICES]]

    async def zones(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest(current.strip(), MAX_CHOICES)]

    # /coach -----------------------------------------------------------------------------------------
    coach = app_commands.Group(name="coach", description="Your second-interview coach")

    @coach.command(name="ask", description="Ask anything about your second interview")
    @app_commands.describe(question="For example: can I order wine at a dinner interview?")
    async def ask(interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 4000]) -> None:
        await adapter.answer(interaction, text=question)

    @coach.command(name="tips", description="Tips on one topic of second interviews")
    @app_commands.describe(topic="What you'd like tips on")
    @app_commands.choices(topic=TOPIC_CHOICES)
    async def tips(interaction: discord.Interaction[Any], topic: app_commands.Choice[str]) -> None:
        await adapter.answer(interaction, action=f"tips:{topic.value}")

    # /interview -------------------------------------------------------------------------------------
    interview = app_commands.Group(name="interview", description="Your second interviews and their reminders")

    @interview.command(name="add", description="Add a second interview; I'll remind you before and after")
    @app_commands.describe(
        company="The company, e.g. Acme",
        when="When, in your own words: friday 3pm, March 12 at 10:30",
        with_="Who you'll meet, e.g. Sarah Chen and Raj Patel",
        setting="Where it happens",
    )
    @app_commands.rename(with_="with")
    @app_commands.choices(setting=SETTING_CHOICES)
    async def add(
        interaction: discord.Interaction[Any],
        company: app_commands.Range[str, 1, 120],
        when: app_commands.Range[str, 1, 100],
        with_: app_commands.Range[str, 1, 200] | None = None,
        setting: app_commands.Choice[str] | None = None,
    ) -> None:
        fields = {"company": company, "when": when}
        if with_:
            fields["with"] = with_
        if setting is not None:
            fields["setting"] = setting.value
        await adapter.answer(interaction, action="interview:add", fields=fields)

    @interview.command(name="list", description="Your upcoming interviews and their next reminders")
    async def list_(interaction: discord.Interaction[Any]) -> None:
        await adapter.answer(interaction, action="interview:list")

    @interview.command(name="cancel", description="Cancel an interview and its reminders")
    @app_commands.describe(interview="Start typing the company name")
    @app_commands.autocomplete(interview=interviews)
    async def cancel(interaction: discord.Interaction[Any], interview: str) -> None:
        await adapter.answer_for_interview(interaction, interview, "interview:cancel")

    @interview.command(name="move", description="Move an interview to a new time (its reminders move too)")
    @app_commands.describe(interview="Start typing the company name", when="The new time, e.g. thursday 10am")
    @app_commands.autocomplete(interview=interviews)
    async def move(
        interaction: discord.Interaction[Any], interview: str, when: app_commands.Range[str, 1, 100]
    ) -> None:
        await adapter.answer_for_interview(interaction, interview, "interview:move", {"when": when})

    # /note, /notes ----------------------------------------------------------------------------------
    note = app_commands.Group(name="note", description="Notes about your interviews")

    @note.command(name="add", description="Save a note (only you can read your notes)")
    @app_commands.describe(text="What to remember, e.g. they said the range is 65-75k")
    async def note_add(interaction: discord.Interaction[Any], text: app_commands.Range[str, 1, 4000]) -> None:
        await adapter.answer(interaction, action="note:add", fields={"text": text})

    @app_commands.command(name="notes", description="Show your notes (only you can see them)")
    async def notes(interaction: discord.Interaction[Any]) -> None:
        await adapter.answer(interaction, action="notes:show")

    # /timezone ----------------------------------------------------------------------------------------
    @app_commands.command(name="timezone", description="Set your time zone, so reminders come at the right hour")
    @app_commands.describe(zone="Start typing a city or region, e.g. Berlin or America/New_York")
    @app_commands.autocomplete(zone=zones)
    async def timezone(interaction: discord.Interaction[Any], zone: app_commands.Range[str, 1, 64]) -> None:
        await adapter.answer(interaction, action=f"tz:{zone.strip()}")

    # /thankyou ------------------------------------------------------------------------------------------
    thankyou = app_commands.Group(name="thankyou", description="Thank-you notes after an interview")

    @thankyou.command(name="sent", description="Tell me you sent your thank-you notes (stops those reminders)")
    async def thankyou_sent(interaction: discord.Interaction[Any]) -> None:
        await adapter.answer(interaction, action="thanks:sent")

    # /export, /forgetme --------------------------------------------------------------------------------
    @app_commands.command(name="export", description="Everything I store about you (only you can see it)")
    async def export(interaction: discord.Interaction[Any]) -> None:
        await adapter.answer(interaction, action="export")

    @app_commands.command(name="forgetme", description="Delete everything I store about you (asks first)")
    async def forgetme(interaction: discord.Interaction[Any]) -> None:
        await adapter.answer(interaction, action="forget:ask")

    # /practice --------------------------------------------------------------------------------------------
    @app_commands.command(name="practice", description="A mock second interview: 4-5 questions, feedback on answers")
    async def practice(interaction: discord.Interaction[Any]) -> None:
        await adapter.answer(interaction, action="practice:start")

    # /insights (the career office's counsellors) --------------------------------------------------------
    @app_commands.command(name="insights", description="Career office: anonymous counts of what students need")
    async def insights_(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        member_roles = getattr(interaction.user, "roles", None) or []
        roles = [str(r.id) for r in member_roles] + [r.name for r in member_roles]
        ref = ConversationRef("discord", "", str(interaction.channel_id or ""), str(interaction.user.id))
        runtime: Any = getattr(adapter, "runtime")  # noqa: B009 (the adapter, not the protocol, has it)
        counsellor = adapter.is_counsellor(ref, roles)
        reply = await asyncio.to_thread(insights.chat_insights, runtime.app, ref, counsellor=counsellor)
        parts = split_content(to_discord(reply.text))
        await interaction.edit_original_response(content=parts[0], allowed_mentions=discord.AllowedMentions.none())
        for part in parts[1:]:
            await interaction.followup.send(part, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    commands: tuple[Any, ...] = (
        coach, interview, note, notes, timezone, thankyou, export, forgetme, practice, insights_,
    )
    for command in commands:
        tree.add_command(command)
