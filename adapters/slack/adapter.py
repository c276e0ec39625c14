"""The Slack adapter: DMs, mentions, ``/coach``, buttons, App Home and reminders, through slack-bolt.

It translates and nothing more. Slack events become :class:`~bot.common.types.IncomingMessage` for
``runtime.handle``; the core's neutral replies become Block Kit messages, routed so that private
replies never reach a shared channel:

==================  =============================================================================
where it started    where the answer goes
==================  =============================================================================
DM with the app     the same DM (same thread)
mention             public replies in a thread under the mention; private ones by DM, and the
                    thread says so
``/coach``          ephemeral (only the student sees it); a "Share in channel" button when nothing
                    in the answer is private
button              in the app's DM: the DM; on an ephemeral message: ephemeral; elsewhere (a
                    channel, a DM between people): public in the thread, private ephemeral; in
                    App Home: by DM
reminder            by DM (the engine calls :meth:`SlackAdapter.deliver`)
==================  =============================================================================

Each event, command and click is written to the runtime's inbox (:meth:`Runtime.accept`) before
Slack gets its acknowledgement; the coaching work runs afterwards, and the answer goes out through
:meth:`SlackAdapter.respond`, also after a crash and a restart (docs/delivery.md). A retried or
replayed request is recognised by its event id (or the hash of its body) and handled once. When
the inbox will not take it, Slack gets 503 and retries.

Socket Mode when ``SLACK_APP_TOKEN`` is set; otherwise HTTP on ``host:port`` at ``/slack/events``,
where :meth:`SlackAdapter._on_http` checks each request's signature and timestamp before parsing
it (401 for anything forged or stale, 400 for a malformed body, one short log line, no body).

Many workspaces (``SLACK_CLIENT_ID``, HTTP mode): ``/slack/install`` and ``/slack/oauth_redirect``
run Bolt's OAuth v2 flow (:mod:`.oauth`); every Web API call then carries its workspace's own token,
and ``app_uninstalled`` / ``tokens_revoked`` remove the workspace and its students' data.
``/coach insights`` and ``/coach admin reload`` are the career office's (:mod:`bot.office.insights`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.async_middleware_error_handler import AsyncMiddlewareErrorHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import api, oauth, render
from adapters.slack.oauth import DatabaseInstallationStore, InstallationAuthorize
from adapters.slack.plugin import SlackSettings, plugin
from bot.common.settings import ConfigError
from bot.common.types import ConversationRef, Handled, IncomingMessage, Reply
from bot.office import insights
from bot.office.workspaces import Cipher, Workspaces, forget_workspace
from bot.ops import plugins
from bot.ops.runtime import Accepted, Runtime
from bot.reminders.delivery import Pacer

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


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


class SlackAdapter:
    """SecondRound in a Slack workspace (registered as the ``slack`` adapter)."""

    platform = PLATFORM

    def __init__(
        self,
        runtime: Runtime,
        *,
        settings: SlackSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 3000,
    ) -> None:
        """``settings`` default: read from the environment and the core's settings file."""
        self.runtime = runtime
        if settings is None:
            loaded = plugins.load(plugin, runtime.settings)
            assert isinstance(loaded, SlackSettings)
            settings = loaded
        self.settings = settings
        self.host = host
        self.port = port
        self.api_url: str = settings.api_url
        self._bot_token = _secret(settings.bot_token)
        self._app_token = _secret(settings.app_token)
        self._signing_secret = _secret(settings.signing_secret)
        self.socket_mode = bool(self._app_token)
        self.oauth = settings.oauth  # many workspaces, installed through /slack/install
        self._store: DatabaseInstallationStore | None = None
        self.bolt: AsyncApp | None = None
        self.client: AsyncWebClient | None = None  # answers (429 retried after Retry-After)
        self._background: AsyncWebClient | None = None  # reminders (429 → DeliveryError)
        self._session: aiohttp.ClientSession | None = None
        self._auth: AuthorizeResult | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accepting = False
        self._inflight: set[asyncio.Task[Any]] = set()
        self._tz: dict[tuple[str, str], str | None] = {}
        self._dm: dict[tuple[str, str], str] = {}
        self._home_due: set[tuple[str, str]] = set()
        self._groups: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}  # counsellors' user groups
        self.pacer = Pacer(DM_PACE_SECONDS)  # every message the bot posts, per conversation

    # --- the Adapter protocol --------------------------------------------------------------------

    async def start(self) -> None:
        """Check the tokens with Slack, then take events (Socket Mode, or HTTP on host:port).

        Raises ConfigError naming the variable (never its value) when Slack rejects a token.
        """
        self.settings.require(self.runtime.settings)
        self._loop = asyncio.get_running_loop()
        self._session = aiohttp.ClientSession()
        try:
            token = None if self.oauth else self._bot_token
            self.client = api.make_client(self._session, self.api_url, token, retry_429=True)
            self._background = api.make_client(self._session, self.api_url, token, retry_429=False)
            if self.oauth:
                keys = self.runtime.settings.token_keys
                assert keys is not None  # (require checked it)
                workspaces = Workspaces(self.runtime.app.db, Cipher(keys.get_secret_value()), PLATFORM)
                self._store = DatabaseInstallationStore(workspaces, self.runtime.app.clock.now)
            else:
                self._auth = await self._check_bot_token()
            self.bolt = self._build_bolt()
            if self.socket_mode:
                await self._start_socket_mode()
            else:
                await self._start_http()
        except BaseException:
            await self._close_connections()
            raise
        self.runtime.app.coach.observers.append(self._on_handled)
        self.runtime.register(PLATFORM, self)
        self._accepting = True
        log.info(
            "slack_started",
            extra={
                "mode": "socket" if self.socket_mode else "http",
                "team": self._auth.team_id if self._auth else "(each installed workspace)",
                "address": None if self.socket_mode else f"{self.host}:{self.port}{EVENTS_PATH}",
            },
        )

    async def stop(self, grace: float = 20.0) -> None:
        """Stop taking events, let answers in progress finish (up to ``grace`` s), disconnect."""
        self._accepting = False
        with contextlib.suppress(ValueError):
            self.runtime.app.coach.observers.remove(self._on_handled)
        if self._site is not None:
            await self._site.stop()  # no new connections; requests already in flight finish
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self.idle(grace)
        self.runtime.unregister(PLATFORM)
        await self._close_connections()
        log.info("slack_stopped")

    def ready(self) -> bool:
        """Whether events can reach the bot: the HTTP endpoint is up or the socket is connected."""
        if not self._accepting:
            return False
        if self._socket is not None:
            client = self._socket.client
            session = client.current_session
            return not client.closed and session is not None and not session.closed
        return self._site is not None

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        """Send a reminder by direct message; raise DeliveryError (permanent, or retry later) on failure."""
        assert self._background is not None, "deliver() before start()"
        try:
            channel = ref.channel if ref.channel.startswith("D") else await self._open_dm(ref.workspace, ref.user)
            for message in render.messages(replies):
                await self.pacer.wait(channel)  # a reminder too long for one message: about one a second
                await self._background.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=message.blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                    **await self._token(ref.workspace),
                )
        except api.API_ERRORS as exc:
            error = api.delivery_error(exc)
            log.warning("slack_delivery_failed", extra={"error": api.error_code(exc), "permanent": error.permanent})
            raise error from None

    # --- for tests and shutdown ------------------------------------------------------------------

    async def idle(self, timeout: float = 20.0) -> bool:
        """Wait until no event is being worked on, here or in the runtime's inbox (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        current = asyncio.current_task()
        while True:
            if not await self.runtime.drain(max(0.0, deadline - time.monotonic())):
                return False
            pending = [t for t in self._inflight if t is not current and not t.done()]
            if not pending:
                if not await self.runtime.drain(0):  # (an App Home refresh may have queued nothing new)
                    continue
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.wait(pending, timeout=left)

    @property
    def bot_user_id(self) -> str | None:
        """The app's own Slack user id (known after :meth:`start`)."""
        return self._auth.bot_user_id if self._auth else None

    # --- start-up ----------------------------------------------------------------------------------

    async def _check_bot_token(self) -> AuthorizeResult:
        assert self.client is not None
        try:
            resp = await self.client.auth_test()
        except SlackApiError as exc:
            code = api.error_code(exc)
            if code in SETUP_TOKEN_ERRORS:
                raise ConfigError(
                    f"SLACK_BOT_TOKEN was rejected by Slack ({code}): check the app's bot token."
                ) from None
            raise ConfigError(f"SLACK_BOT_TOKEN could not be checked with Slack's auth.test ({code}).") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ConfigError(
                f"SECONDROUND_SLACK_API_URL: could not reach the Slack Web API at {self.api_url} "
                f"({api.error_code(exc)})."
            ) from None
        if not resp.get("bot_id"):
            raise ConfigError("SLACK_BOT_TOKEN is not a bot token (auth.test returned no bot_id).")
        return AuthorizeResult(
            enterprise_id=resp.get("enterprise_id"),
            team_id=resp.get("team_id"),
            bot_user_id=resp.get("user_id"),
            bot_id=resp.get("bot_id"),
            bot_token=self._bot_token,
        )

    def _build_bolt(self) -> AsyncApp:
        assert self._session is not None
        auth = self._auth

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult | None:
            return auth  # one workspace, checked once at start-up: no auth.test per request

        client = api.make_client(self._session, self.api_url, None, retry_429=True)
        many: dict[str, Any] = {"authorize": authorize}
        if self._store is not None:  # each workspace's token from its installation (OAuth v2)
            many = {
                "authorize": InstallationAuthorize(self._store),
                "oauth_settings": oauth.oauth_settings(self.settings, self._store),
            }
        app = AsyncApp(
            client=client,
            **many,
            signing_secret=self._signing_secret,
            request_verification_enabled=False,  # checked in _on_http, before the body is parsed
            process_before_response=True,  # recorded in the inbox before Slack gets its 200 (docs/delivery.md)
            logger=logging.getLogger("slack_bolt.AsyncApp"),
        )
        app._async_middleware_error_handler = _MalformedRequest()  # Bolt's own checks choking on a body's shape
        app.event("message")(self._on_message)
        app.event("app_mention")(self._on_mention)
        app.event("app_home_opened")(self._on_home_opened)
        app.event("app_uninstalled")(self._on_uninstalled)
        app.event("tokens_revoked")(self._on_tokens_revoked)
        app.event(ANY)(self._ack_only_event)  # everything else: acknowledged, not 404 (Slack would retry)
        app.command(ANY)(self._on_command)
        app.action({"action_id": render.SHARE_ACTION})(self._on_share)
        app.action({"action_id": ANY})(self._on_button)
        app.shortcut(ANY)(self._ack_only)
        app.view(ANY)(self._ack_only)
        app.options({"action_id": ANY})(self._ack_only)
        return app

    async def _start_http(self) -> None:
        assert self.bolt is not None
        web_app = web.Application(client_max_size=MAX_BODY_BYTES)
        web_app.router.add_post(EVENTS_PATH, self._on_http)
        if self._store is not None:
            web_app.router.add_get(oauth.INSTALL_PATH, self._on_oauth)
            web_app.router.add_get(oauth.REDIRECT_PATH, self._on_oauth)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        for address in self._runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                self.port = int(address[1])  # the real port when 0 asked for any free one
                break

    async def _on_http(self, request: web.Request) -> web.Response:
        """One request to ``/slack/events``: checked here, then routed by Bolt.

        The signature is checked before the body is even parsed. What is refused gets a short JSON
        error and one short log line (status, reason, size): never the body, never a traceback.
        """
        assert self.bolt is not None
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, "too_large", request.content_length)
        except (aiohttp.ClientError, OSError, ValueError):
            return _refuse(400, "unreadable", request.content_length)
        refused = check_signature(self._signing_secret, raw, request.headers, time.time())
        if refused is not None:
            return _refuse(*refused, len(raw))
        try:
            text = raw.decode("utf-8")
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
            if not isinstance(bolt_request.body, dict) or not bolt_request.body:  # (parsed once, by Bolt)
                raise ValueError("not an object")
            response = await self.bolt.async_dispatch(bolt_request)
        except Exception as exc:  # a body Slack would never send: malformed, or not the shape it promises
            return _refuse(400, f"malformed ({type(exc).__name__})", len(raw))
        return await to_aiohttp_response(response)

    async def _on_oauth(self, request: web.Request) -> web.Response:
        """``/slack/install`` (off to Slack's consent page) and ``/slack/oauth_redirect`` (Bolt's flow)."""
        assert self.bolt is not None and self.bolt.oauth_flow is not None
        flow = self.bolt.oauth_flow
        bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
        if request.path == oauth.INSTALL_PATH:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
            log.info("slack_oauth_callback", extra={"status": response.status})
        return oauth.to_web_response(response, plain_http_loopback=_loopback_http(request))

    async def _token(self, team: str) -> dict[str, Any]:
        """``token=`` for a Web API call in ``team`` (OAuth mode); nothing with the one bot token."""
        if self._store is None:
            return {}
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise SlackApiError("workspace not installed", _NotInstalled())
        return {"token": bot.bot_token}

    async def _on_uninstalled(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """The app was removed from a workspace: its installation and its students' data go."""
        await self._remove_workspace(body, "app_uninstalled")

    async def _on_tokens_revoked(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """The workspace revoked the bot's token: as an uninstall (a user token alone changes nothing)."""
        if (event.get("tokens") or {}).get("bot"):
            await self._remove_workspace(body, "tokens_revoked")

    async def _remove_workspace(self, body: dict[str, Any], why: str) -> None:
        team = _team(body)
        if not team:
            return
        if self._store is not None:
            await self._store.remove_workspace(body.get("enterprise_id"), team, why)
        else:
            await asyncio.to_thread(forget_workspace, self.runtime.app.db, PLATFORM, team, why)
        self._dm = {k: v for k, v in self._dm.items() if k[0] != team}
        self._tz = {k: v for k, v in self._tz.items() if k[0] != team}

    async def _start_socket_mode(self) -> None:
        assert self.bolt is not None and self.client is not None
        handler = AsyncSocketModeHandler(self.bolt, self._app_token, web_client=self.client)
        try:
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
        except SlackApiError as exc:
            await handler.client.close()
            code = api.error_code(exc)
            raise ConfigError(
                f"SLACK_APP_TOKEN was rejected by Slack ({code}): it must be an app-level token "
                "with the connections:write scope, from an app with Socket Mode on."
            ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            await handler.client.close()
            raise ConfigError(
                f"SECONDROUND_SLACK_API_URL: could not reach the Slack Web API at {self.api_url} "
                f"({api.error_code(exc)})."
            ) from None
        self._socket = handler
        await handler.connect_async()

    async def _close_connections(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- listeners -----------------------------------------------------------------------------------

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

    async def _ack_only(self, ack: Any) -> None:
        await ack()

    async def _ack_only_event(self, body: dict[str, Any]) -> None:
        log.debug("slack_event_ignored", extra={"type": (body.get("event") or {}).get("type")})

    async def _take(self, msg: IncomingMessage, route: dict[str, Any], key: str) -> BoltResponse | None:
        """Hand an event to the runtime's inbox before Slack gets its answer; 503 when it is not taken.

        With a 503, Slack retries an event later (up to three times); a command or a click shows the
        student an error, so they can try again. Nothing is acknowledged that the bot could lose.
        """
        outcome = await self.runtime.accept(msg, route, key)
        if outcome is Accepted.BUSY:
            return BoltResponse(status=503, body=json.dumps({"error": "busy, try again"}))
        return None

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> BoltResponse | None:
        """A direct message to the app (channel messages reach the bot as mentions instead)."""
        if event.get("bot_id") or event.get("subtype") not in HANDLED_SUBTYPES:
            return None
        if event.get("channel_type") != "im" or not event.get("user") or not event.get("channel"):
            return None
        team, user, channel = _team(body), str(event["user"]), str(event["channel"])
        self._remember_dm(team, user, channel)
        ref = ConversationRef(PLATFORM, team, channel, user, event.get("thread_ts"))
        text = render.incoming_text(str(event.get("text") or ""), self.bot_user_id or _authorized_bot(body))
        return await self._take(IncomingMessage(ref, text=text, direct=True), {"mode": "dm"}, _event_key(body))

    async def _on_mention(self, event: dict[str, Any], body: dict[str, Any]) -> BoltResponse | None:
        """``@SecondRound …`` in a channel: answered in a thread, anything personal by DM."""
        if event.get("bot_id") or not event.get("user") or not event.get("channel"):
            return None
        team, user, channel = _team(body), str(event["user"]), str(event["channel"])
        ref = ConversationRef(PLATFORM, team, channel, user, event.get("thread_ts") or event.get("ts"))
        text = render.incoming_text(str(event.get("text") or ""), self.bot_user_id or _authorized_bot(body))
        return await self._take(IncomingMessage(ref, text=text, direct=False), {"mode": "channel"}, _event_key(body))

    async def _on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """The App Home tab was opened: show the student's interviews, to-dos and topics (after the ack)."""
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        team = _team(body)
        if event.get("channel"):
            self._remember_dm(team, event["user"], event["channel"])
        self._after_ack(self._publish_home(team, event["user"]), "app_home_opened")

    async def _on_command(self, ack: Any, command: dict[str, Any]) -> BoltResponse | None:
        """``/coach …``: recorded, acknowledged, then answered ephemerally through the response URL."""
        team, user, channel = command.get("team_id", ""), command.get("user_id"), command.get("channel_id", "")
        if not user:
            return _bad_request("no_user")
        ref = ConversationRef(PLATFORM, str(team), str(channel), str(user))
        office = office_command(str(command.get("text") or ""))
        if office is not None:  # the career office's commands: answered only to the person who asked
            await ack()
            where = Route(ref, "ephemeral", command.get("response_url"))
            self._after_ack(self._answer_office(office, where), f"office_{office}")
            return None
        asked = render.command(str(command.get("text") or ""))
        share = render.share_value(text=asked.text, action=asked.action) if asked.shareable else None
        route = {"mode": "ephemeral", "response_url": command.get("response_url"), "share": share}
        msg = IncomingMessage(ref, text=asked.text, action=asked.action, direct=False)
        refused = await self._take(msg, route, _payload_key("cmd", command))
        if refused is None:
            await ack()
        return refused

    async def _answer_office(self, what: str, route: Route) -> None:
        """``/coach insights`` or ``/coach admin reload``: computed by the core, shown ephemerally."""
        app = self.runtime.app
        groups = await self._counsellor_groups(route.ref.workspace, route.ref.user)
        counsellor = self.settings.is_counsellor(route.ref, groups)
        answer = insights.chat_insights if what == "insights" else insights.admin_reload
        reply = await asyncio.to_thread(answer, app, route.ref, counsellor=counsellor)
        await self._send(route, [reply])

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

    async def _on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> BoltResponse | None:
        """A core button: its value goes to the core as an action, the same path as typed text."""
        if not str(action.get("action_id", "")).startswith(render.BUTTON_ACTION) or not action.get("value"):
            await ack()
            return None
        return await self._take_click(ack, body, str(action["value"]), None, "click")

    async def _on_share(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> BoltResponse | None:
        """The “Share in channel” button: ask again, and post the answer for everyone if nothing is private."""
        wanted, text = render.parse_share_value(str(action.get("value", "")))
        return await self._take_click(ack, body, wanted, text, "share")

    async def _take_click(
        self, ack: Any, body: dict[str, Any], action: str | None, text: str | None, mode: str
    ) -> BoltResponse | None:
        user = (body.get("user") or {}).get("id")
        if not user:  # Slack always says who clicked: a click without a user is not Slack's
            return _bad_request("no_user")
        team = _click_team(body)
        ref = ConversationRef(PLATFORM, team, "", str(user))  # the conversation is settled in prepare()
        msg = IncomingMessage(ref, text=text or "", action=action, direct=False)
        click = {
            k: body.get(k) for k in ("team", "user", "container", "response_url", "channel", "message") if body.get(k)
        }
        refused = await self._take(msg, {"mode": mode, "click": click}, _payload_key("click", body))
        if refused is None:
            await ack()
        return refused

    # --- answering stored events (the runtime's Responder) ----------------------------------------------

    async def prepare(self, msg: IncomingMessage, route: Mapping[str, Any]) -> IncomingMessage:
        """Add the student's Slack time zone and, for a click, where it happened."""
        ref, direct = msg.ref, msg.direct
        if route.get("mode") in {"click", "share"}:
            where = await self._click_route(dict(route.get("click") or {}))
            ref, direct = where.ref, where.mode == "dm"
        tz = await self._tz_hint(ref.workspace, ref.user)
        return IncomingMessage(ref, text=msg.text, action=msg.action, fields=msg.fields, direct=direct, tz_hint=tz)

    async def respond(self, msg: IncomingMessage, route: Mapping[str, Any], replies: list[Reply]) -> None:
        """Send the replies to a stored event where it came from (see the module's table)."""
        async with self._working(str(route.get("mode"))):
            mode = route.get("mode")
            if mode == "dm":
                await self._send(Route(msg.ref, "dm"), replies)
            elif mode == "channel":
                await self._send(Route(msg.ref, "channel"), replies)
            elif mode == "ephemeral":
                await self._send(Route(msg.ref, "ephemeral", route.get("response_url"), route.get("share")), replies)
            elif mode == "click":
                await self._send(await self._click_route(dict(route.get("click") or {})), replies)
            elif mode == "share":
                await self._share(await self._click_route(dict(route.get("click") or {})), replies)

    async def _share(self, route: Route, replies: list[Reply]) -> None:
        response_url = route.response_url
        if any(r.private for r in replies) or not response_url:
            await self._send(Route(route.ref, "ephemeral", response_url), [Reply(SHARE_REFUSED)])
            return
        sent = True
        for message in render.messages(replies):
            sent = sent and await self._post_response_url(response_url, message, in_channel=True)
        if sent:
            await self._post_response_url(response_url, None, delete_original=True)
        else:
            await self._tell_failure(route, "expired_url")

    def _after_ack(self, work: Any, what: str) -> None:
        """Run ``work`` after the acknowledgement, tracked for :meth:`idle` and :meth:`stop`."""

        async def run() -> None:
            async with self._working(what):
                await work

        task = asyncio.ensure_future(run())
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    # --- routing and sending -------------------------------------------------------------------------

    async def _click_route(self, body: dict[str, Any]) -> Route:
        team = _click_team(body)
        user = str((body.get("user") or {}).get("id", ""))
        container = body.get("container") or {}
        response_url = body.get("response_url")
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
        message = body.get("message") or {}
        if container.get("type") == "view" or not channel:  # App Home (or a modal): answer by DM
            return Route(ConversationRef(PLATFORM, team, "", user), "open_dm")
        if container.get("is_ephemeral"):
            return Route(ConversationRef(PLATFORM, team, channel, user), "ephemeral", response_url)
        if channel.startswith("D") and channel == await self._dm_channel(team, user):
            # the app's own DM with this student (not a DM between people where an answer was shared)
            return Route(ConversationRef(PLATFORM, team, channel, user, message.get("thread_ts")), "dm")
        thread = message.get("thread_ts") or message.get("ts") or container.get("message_ts")
        return Route(ConversationRef(PLATFORM, team, channel, user, thread), "channel", response_url)

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
                await self.client.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=message.blocks,
                    thread_ts=thread,
                    unfurl_links=False,
                    unfurl_media=False,
                    **await self._token(route.ref.workspace),
                )
            except api.API_ERRORS as exc:
                code = self._log_api_error("chat.postMessage", exc)
                if tell:
                    await self._tell_failure(route, code, failed_channel=channel)
                return False
        await self._upload_files(channel, replies, thread=thread, team=route.ref.workspace)
        return True

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
                    await self.client.chat_postMessage(
                        channel=channel,
                        text=message.text,
                        blocks=message.blocks,
                        thread_ts=thread,
                        **await self._token(team),
                    )
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

    # --- time zones, de-duplication, App Home ----------------------------------------------------------

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


class _NotInstalled:
    """The response of a call for a workspace the app is not installed in (as Slack would answer)."""

    def __init__(self) -> None:
        self.data = {"ok": False, "error": "not_installed"}
        self.status_code = 200


class _MalformedRequest(AsyncMiddlewareErrorHandler):
    """A body whose shape broke Bolt's own processing (an ``event`` that is a string…): 400, one short line."""

    async def handle(self, error: Exception, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        """Log the error's type only (no body, no traceback) and answer 400."""
        log.info("slack_request_refused", extra={"status": 400, "reason": f"malformed ({type(error).__name__})"})
        if response is not None:
            response.status, response.body = 400, json.dumps({"error": "malformed"})
            response.headers["content-type"] = ["application/json"]


def check_signature(secret: str, raw: bytes, headers: Any, now: float) -> tuple[int, str] | None:
    """None when ``raw`` carries Slack's valid, fresh signature; else the status and reason to refuse it.

    ``v0=HMAC_SHA256(secret, "v0:{timestamp}:{body}")``, with the timestamp within
    :data:`SIGNATURE_WINDOW` seconds of ``now``. A request without a signature or timestamp, or with a
    wrong or stale one, is unauthorised (401); a timestamp that is not a number is a bad request (400).
    """
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return 401, "unsigned"
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return 400, "bad_timestamp"
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        return 401, "stale_timestamp"
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return 401, "bad_signature"
    return None


def _refuse(status: int, reason: str, size: int | None) -> web.Response:
    """The answer to a request that is not Slack's, or not well-formed; logged in one short line."""
    log.info("slack_request_refused", extra={"status": status, "reason": reason, "bytes": size})
    return web.json_response({"error": "invalid request" if status == 401 else reason.split(" ")[0]}, status=status)


def _bad_request(reason: str) -> BoltResponse:
    log.info("slack_request_refused", extra={"status": 400, "reason": reason})
    return BoltResponse(status=400, body=json.dumps({"error": reason}))


def _event_key(body: dict[str, Any]) -> str:
    """The Events API id Slack keeps across its retries of one event."""
    event_id = body.get("event_id")
    return f"ev:{event_id}" if event_id else _payload_key("ev", body)


def _payload_key(kind: str, body: Mapping[str, Any]) -> str:
    """An id for a command or a click: the same request replayed has the same one.

    Slack gives each click and command its own ``trigger_id`` and timestamps, so two presses of
    one button never share it.
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return f"{kind}:{hashlib.sha256(canonical.encode()).hexdigest()[:48]}"


def office_command(text: str) -> str | None:
    """``insights`` or ``admin reload`` when that is what ``/coach`` was given, else None."""
    words = " ".join(text.lower().split())
    return {"insights": "insights", "admin reload": "reload"}.get(words)


def _loopback_http(request: web.Request) -> bool:
    """A plain-HTTP request to this machine itself (a local trial or test; Slack's own pages use HTTPS)."""
    host = request.host.rsplit(":", 1)[0].strip("[]")
    return request.scheme == "http" and host in {"127.0.0.1", "localhost", "::1"}


def _authorized_bot(body: Mapping[str, Any]) -> str | None:
    """The app's bot user in the event's workspace (OAuth mode: one per workspace)."""
    for entry in body.get("authorizations") or []:
        if isinstance(entry, dict) and entry.get("is_bot") and entry.get("user_id"):
            return str(entry["user_id"])
    return None


def _click_team(body: Mapping[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")


def _team(body: dict[str, Any]) -> str:
    return str(body.get("team_id") or (body.get("event") or {}).get("team") or "")
