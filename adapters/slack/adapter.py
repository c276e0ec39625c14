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
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import api
from adapters.slack.oauth import DatabaseInstallationStore
from adapters.slack.plugin import SlackSettings, plugin
from adapters.slack.routing import Routing
from adapters.slack.sending import DM_PACE_SECONDS, EVENTS_PATH, PLATFORM, SETUP_TOKEN_ERRORS, log
from bot.common.settings import ConfigError
from bot.office.workspaces import Cipher, Workspaces
from bot.ops import plugins
from bot.ops.runtime import Runtime
from bot.reminders.delivery import Pacer

if TYPE_CHECKING:  # (socket mode is loaded when used: an HTTP-mode bot never imports it)
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


class SlackAdapter(Routing):
    """SecondRound in a Slack workspace (registered as the ``slack`` adapter).

    Its lifecycle only; routing (:mod:`.routing`), sending (:mod:`.sending`) and App Home (:mod:`.home`)
    are the mixins it is made of.
    """

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
