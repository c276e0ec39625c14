"""App Home: refreshed after each handled message, with the career office's section for counsellors."""

from __future__ import annotations

import asyncio
import contextlib
import time

from adapters.slack import api, render
from adapters.slack.sending import GROUP_CACHE_SECONDS, PLATFORM, Sending
from bot.common.types import ConversationRef, Handled
from bot.office import insights


class Home(Sending):
    """App Home, published when opened and after each handled message."""

    def _on_handled(self, event: Handled) -> None:
        """Coach observer (a worker thread): a Slack student's data changed, refresh their App Home."""
        if event.ref.platform != PLATFORM or not event.data_changed or self._loop is None:
            return
        key = (event.ref.workspace, event.ref.user)
        with contextlib.suppress(RuntimeError):  # the loop is closing
            self._loop.call_soon_threadsafe(self._schedule_home, key)

    def _schedule_home(self, key: tuple[str, str]) -> None:
        if not self._accepting or key in self._home_due:
            return
        self._home_due.add(key)

        async def refresh() -> None:
            async with self._working("home_refresh"):
                self._home_due.discard(key)
                await self._publish_home(*key)

        task = asyncio.ensure_future(refresh())
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _publish_home(self, team: str, user: str) -> None:
        assert self.client is not None
        ref = ConversationRef(PLATFORM, team, "", user)
        replies = await asyncio.to_thread(self.runtime.app.coach.home, ref)
        groups = await self._counsellor_groups(team, user)
        if self.settings.is_counsellor(ref, groups):  # the office's section, counsellors only
            office = await asyncio.to_thread(insights.chat_insights, self.runtime.app, ref, counsellor=True)
            replies = [*replies, office]
        try:
            await self.client.views_publish(user_id=user, view=render.home_view(replies), **await self._token(team))
        except api.API_ERRORS as exc:
            self._log_api_error("views.publish", exc)

    async def _counsellor_groups(self, team: str, user: str) -> list[str]:
        """The counsellors' user groups (``S…`` in SECONDROUND_COUNSELLORS) that ``user`` belongs to."""
        assert self.client is not None
        found = []
        for group in (g for g in self.settings.counsellors.get(team, ()) if g.startswith("S")):
            key, now = (team, group), time.monotonic()
            known = self._groups.get(key)
            if known is None or now - known[0] > GROUP_CACHE_SECONDS:
                try:
                    resp = await self.client.usergroups_users_list(usergroup=group, **await self._token(team))
                    known = (now, frozenset(str(u) for u in resp.get("users") or []))
                except api.API_ERRORS as exc:  # (the usergroups:read scope is needed for groups)
                    self._log_api_error("usergroups.users.list", exc)
                    known = (now, frozenset())
                self._groups[key] = known
            if user in known[1]:
                found.append(group)
        return found
