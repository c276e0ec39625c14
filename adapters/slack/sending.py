"""Sending to Slack.

Answers routed by where the message came from, reminders by DM, files, the DM and time-zone caches,
API errors logged without their payloads. See :mod:`adapters.slack.adapter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import api, render
from adapters.slack.oauth import DatabaseInstallationStore
from adapters.slack.plugin import SlackSettings
from bot.common.types import ConversationRef, Reply
from bot.ops.runtime import Runtime
from bot.reminders.delivery import Pacer

if TYPE_CHECKING:  # (socket mode is loaded when used: an HTTP-mode bot never imports it)
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
SIGNATURE_WINDOW = 300  # seconds a signed request stays valid (Slack's rule)
MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (a modal's state) are far below this
DM_PACE_SECONDS = 1.0  # Slack allows about one message per second per channel
HANDLED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
CACHE_LIMIT = 50_000
GROUP_CACHE_SECONDS = 300.0  # how long a counsellors' user group's members are remembered
ANY = re.compile(".*")  # a catch-all, registered after the specific listeners
PRIVATE_NOTICE = "That answer holds your personal details, so I've sent it to you in our direct messages."
PRIVATE_NOTICE_EPHEMERAL = "That answer holds your personal details, so only you can see it."
SHARE_REFUSED = "That answer holds your personal details, so I've kept it visible only to you."
SETUP_TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})

Mode = Literal["dm", "open_dm", "channel", "ephemeral"]


@dataclass(frozen=True)
class Route:
    """Where the answers to one incoming message go (see the module's table)."""

    ref: ConversationRef
    mode: Mode
    response_url: str | None = None
    share: str | None = None  # value of a "Share in channel" button, for ephemeral answers


class Sending:
    """Posting replies (the runtime's Responder), reminders (the Deliverer) and the caches they use."""

    # What the mixins share (set by SlackAdapter.__init__ and start()).
    runtime: Runtime
    settings: SlackSettings
    host: str
    port: int
    api_url: str
    _bot_token: str
    _app_token: str
    _signing_secret: str
    socket_mode: bool
    oauth: bool
    _store: DatabaseInstallationStore | None
    bolt: AsyncApp | None
    client: AsyncWebClient | None
    _background: AsyncWebClient | None
    _session: aiohttp.ClientSession | None
    _auth: AuthorizeResult | None
    _runner: web.AppRunner | None
    _site: web.TCPSite | None
    _socket: AsyncSocketModeHandler | None
    _loop: asyncio.AbstractEventLoop | None
    _accepting: bool
    _inflight: set[asyncio.Task[Any]]
    _tz: dict[tuple[str, str], str | None]
    _dm: dict[tuple[str, str], str]
    _home_due: set[tuple[str, str]]
    _groups: dict[tuple[str, str], tuple[float, frozenset[str]]]
    pacer: Pacer

    @property
    def bot_user_id(self) -> str | None:
        """The app's own Slack user id (known after :meth:`start`)."""
        return self._auth.bot_user_id if self._auth else None

    @contextlib.asynccontextmanager
    async def _working(self, what: str) -> AsyncIterator[None]:
        """Track the work in progress (for :meth:`stop`), and keep one failure from stopping the bot."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        except Exception:
            log.exception("slack_listener_failed", extra={"listener": what})
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _token(self, team: str) -> dict[str, Any]:
        """``token=`` for a Web API call in ``team`` (OAuth mode); nothing with the one bot token."""
        if self._store is None:
            return {}
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise SlackApiError("workspace not installed", _NotInstalled())
        return {"token": bot.bot_token}

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        """Send a reminder by direct message; raise DeliveryError (permanent, or retry later) on failure."""
        assert self._background is not None, "deliver() before start()"
        try:
            channel = ref.channel if ref.channel.startswith("D") else await self._open_dm(ref.workspace, ref.user)
            for message in render.messages(replies):
                await self.pacer.wait(channel)  # a reminder too long for one message: about one a second
                await self._post_one(self._background, channel, message, team=ref.workspace)
        except api.API_ERRORS as exc:
            error = api.delivery_error(exc)
            log.warning("slack_delivery_failed", extra={"error": api.error_code(exc), "permanent": error.permanent})
            raise error from None

    def _after_ack(self, work: Any, what: str) -> None:
        """Run ``work`` after the acknowledgement, tracked for :meth:`idle` and :meth:`stop`."""

        async def run() -> None:
            async with self._working(what):
                await work

        task = asyncio.ensure_future(run())
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _send(self, route: Route, replies: Sequence[Reply]) -> None:
        """Post ``replies`` where ``route`` says, keeping private ones out of shared channels."""
        if not replies:
            return
        ref = route.ref
        if route.mode == "dm":
            await self._post(route, ref.channel, replies, thread=ref.thread)
        elif route.mode == "open_dm":
            channel = await self._dm_channel(route.ref.workspace, route.ref.user)
            if channel:
                await self._post(route, channel, replies)
        elif route.mode == "ephemeral":
            share = route.share if not any(r.private for r in replies) else None
            await self._ephemeral(route, replies, share=share)
        else:
            public = [r for r in replies if not r.private]
            private = [r for r in replies if r.private]
            if private:
                if route.response_url:  # a click: the clicker sees it right there, nobody else does
                    await self._ephemeral(route, [*private, Reply(PRIVATE_NOTICE_EPHEMERAL)])
                else:
                    channel = await self._dm_channel(route.ref.workspace, route.ref.user)
                    if channel and await self._post(route, channel, private, tell=False):
                        public.append(Reply(PRIVATE_NOTICE))
                    else:
                        await self._ephemeral(route, [*private, Reply(PRIVATE_NOTICE_EPHEMERAL)])
            if public:
                await self._post(route, ref.channel, public, thread=ref.thread)

    async def _post(
        self, route: Route, channel: str, replies: Sequence[Reply], *, thread: str | None = None, tell: bool = True
    ) -> bool:
        """chat.postMessage, split to Slack's limits; on a refusal, tell the student another way."""
        assert self.client is not None
        for message in render.messages(replies):
            await self.pacer.wait(channel)
            try:
                await self._post_one(self.client, channel, message, thread=thread, team=route.ref.workspace)
            except api.API_ERRORS as exc:
                code = self._log_api_error("chat.postMessage", exc)
                if tell:
                    await self._tell_failure(route, code, failed_channel=channel)
                return False
        await self._upload_files(channel, replies, thread=thread, team=route.ref.workspace)
        return True

    async def _post_one(
        self, client: AsyncWebClient, channel: str, message: render.Message, *, thread: str | None = None, team: str
    ) -> None:
        """One rendered message by chat.postMessage (links never unfurled: a reply is what it says)."""
        args: dict[str, Any] = {
            "channel": channel,
            "text": message.text,
            "blocks": message.blocks,
            "thread_ts": thread,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if self._store is not None:
            args.update(await self._token(team))
        await api.post_json(client, "chat.postMessage", args)

    async def _upload_files(
        self, channel: str, replies: Sequence[Reply], *, thread: str | None = None, team: str = ""
    ) -> None:
        """The replies' files, uploaded to ``channel`` (files_upload_v2); as text messages if Slack refuses."""
        assert self.client is not None
        for file in (f for reply in replies for f in reply.files):
            await self.pacer.wait(channel)
            try:
                await self.client.files_upload_v2(
                    channel=channel,
                    content=file.content,
                    filename=file.name,
                    title=file.name,
                    thread_ts=thread,
                    **await self._token(team),
                )
                continue
            except (*api.API_ERRORS, SlackRequestError) as exc:
                self._log_api_error("files_upload_v2", exc)
            body = file.content.replace("```", "`\u200b``")
            for message in render.messages([Reply(f"**{file.name}**\n```\n{body}\n```", private=True)]):
                await self.pacer.wait(channel)
                try:
                    await self._post_one(self.client, channel, message, thread=thread, team=team)
                except api.API_ERRORS as exc:
                    self._log_api_error("chat.postMessage", exc)
                    return

    async def _ephemeral(self, route: Route, replies: Sequence[Reply], *, share: str | None = None) -> None:
        """Only the student sees these: the response URL if there is one, else chat.postEphemeral."""
        assert self.client is not None
        for message in render.messages(replies, share_value=share):
            await self.pacer.wait(route.ref.channel or route.ref.user)
            if route.response_url and await self._post_response_url(route.response_url, message):
                continue
            try:
                await self.client.chat_postEphemeral(
                    channel=route.ref.channel,
                    user=route.ref.user,
                    text=message.text,
                    blocks=message.blocks,
                    thread_ts=route.ref.thread,
                    **await self._token(route.ref.workspace),
                )
            except api.API_ERRORS as exc:
                code = self._log_api_error("chat.postEphemeral", exc)
                if route.mode == "ephemeral":  # last resort for private answers: the DM
                    channel = await self._dm_channel(route.ref.workspace, route.ref.user)
                    if channel:
                        await self._post(Route(route.ref, "open_dm"), channel, replies)
                else:
                    await self._tell_failure(route, code, failed_channel=route.ref.channel)
                return
        if any(reply.files for reply in replies):  # a file cannot be ephemeral: it goes to the student's DM
            channel = await self._dm_channel(route.ref.workspace, route.ref.user)
            if channel:
                await self._upload_files(channel, replies, team=route.ref.workspace)

    async def _post_response_url(
        self, url: str, message: render.Message | None, *, in_channel: bool = False, delete_original: bool = False
    ) -> bool:
        """Answer through a command's or button's response URL; False if Slack refused it."""
        assert self._session is not None
        webhook = AsyncWebhookClient(url, session=self._session, timeout=api.API_TIMEOUT)
        try:
            if delete_original:
                resp = await webhook.send_dict({"delete_original": True})
            else:
                assert message is not None
                resp = await webhook.send(
                    text=message.text,
                    blocks=message.blocks,
                    response_type="in_channel" if in_channel else "ephemeral",
                    replace_original=False,
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._log_api_error("response_url", exc)
            return False
        if resp.status_code != 200:
            log.warning("slack_api_error", extra={"method": "response_url", "error": resp.body or resp.status_code})
            return False
        return True

    async def _tell_failure(self, route: Route, code: str, *, failed_channel: str | None = None) -> None:
        """Slack refused an answer: say so to the student, by DM or ephemerally, whichever works."""
        assert self.client is not None
        text = render.mrkdwn(api.helpful_sentence(code))
        if route.mode in {"dm", "open_dm"} and failed_channel and failed_channel.startswith("D"):
            return  # the DM itself failed: there is nowhere left to say it
        dm = self._dm.get((route.ref.workspace, route.ref.user))
        try:
            if dm is None:
                dm = await self._open_dm(route.ref.workspace, route.ref.user)
            if dm != failed_channel:
                await self.client.chat_postMessage(
                    channel=dm, text=text, blocks=[render.section(text)], **await self._token(route.ref.workspace)
                )
                return
        except api.API_ERRORS as exc:
            self._log_api_error("chat.postMessage", exc)
        if route.ref.channel and route.ref.channel != failed_channel:
            try:
                await self.client.chat_postEphemeral(
                    channel=route.ref.channel,
                    user=route.ref.user,
                    text=text,
                    blocks=[render.section(text)],
                    **await self._token(route.ref.workspace),
                )
            except api.API_ERRORS as exc:  # nowhere left to say it: the log has to do
                self._log_api_error("chat.postEphemeral", exc)

    def _log_api_error(self, method: str, exc: BaseException) -> str:
        code = api.error_code(exc)
        extra: dict[str, Any] = {"method": method, "error": code}
        if isinstance(exc, SlackApiError):
            data = getattr(exc.response, "data", None)
            if isinstance(data, dict) and data.get("needed"):
                extra["needed"] = data["needed"]
        log.warning("slack_api_error", extra=extra)
        return code

    async def _dm_channel(self, team: str, user: str) -> str | None:
        """The DM channel with ``user``, or None (logged) if Slack won't open one."""
        try:
            return await self._open_dm(team, user)
        except api.API_ERRORS as exc:
            self._log_api_error("conversations.open", exc)
            return None

    async def _open_dm(self, team: str, user: str) -> str:
        """The DM channel with ``user`` (conversations.open, remembered)."""
        assert self.client is not None
        known = self._dm.get((team, user))
        if known:
            return known
        resp = await self.client.conversations_open(users=user, **await self._token(team))
        channel = str((resp.get("channel") or {}).get("id", ""))
        if not channel:
            raise SlackApiError("conversations.open returned no channel", resp)
        self._remember_dm(team, user, channel)
        return channel

    def _remember_dm(self, team: str, user: str, channel: str) -> None:
        if len(self._dm) > CACHE_LIMIT:
            self._dm.clear()
        self._dm[(team, user)] = channel

    async def _tz_hint(self, team: str, user: str) -> str | None:
        """The time zone of the student's Slack profile (users.info, once per user per process)."""
        key = (team, user)
        if key in self._tz:
            return self._tz[key]
        assert self.client is not None
        tz: str | None = None
        try:
            resp = await self.client.users_info(user=user, **await self._token(team))
            value = (resp.get("user") or {}).get("tz")
            tz = value if isinstance(value, str) and value else None
        except api.API_ERRORS as exc:
            self._log_api_error("users.info", exc)
        if len(self._tz) > CACHE_LIMIT:
            self._tz.clear()
        self._tz[key] = tz
        return tz


class _NotInstalled:
    """The response of a call for a workspace the app is not installed in (as Slack would answer)."""

    def __init__(self) -> None:
        self.data = {"ok": False, "error": "not_installed"}
        self.status_code = 200
