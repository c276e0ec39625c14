"""Routing Slack's events into the core.

The Bolt app and its listeners, the HTTP and Socket Mode servers, request signatures, and the keys
that recognise a retried event. See :mod:`adapters.slack.adapter`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.async_middleware_error_handler import AsyncMiddlewareErrorHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from adapters.slack import api, oauth, render
from adapters.slack.home import Home
from adapters.slack.oauth import InstallationAuthorize
from adapters.slack.sending import (
    ANY,
    EVENTS_PATH,
    HANDLED_SUBTYPES,
    MAX_BODY_BYTES,
    PLATFORM,
    SHARE_REFUSED,
    SIGNATURE_WINDOW,
    Route,
    log,
)
from bot.common.settings import ConfigError
from bot.common.types import ConversationRef, IncomingMessage, Reply, RouteData
from bot.office import insights
from bot.office.workspaces import forget_workspace
from bot.ops.runtime import Accepted


class Routing(Home):
    """Bolt's listeners and the servers that take Slack's requests."""

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
            name="secondround",  # (without a name Bolt calls inspect.stack(), which reads ~0.6 MB of sources for good)
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
            direct = await self._direct_message(text)
            if direct is not None:
                return direct
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
            if not isinstance(bolt_request.body, dict) or not bolt_request.body:  # (parsed once, by Bolt)
                raise ValueError("not an object")
            response = await self.bolt.async_dispatch(bolt_request)
        except Exception as exc:  # a body Slack would never send: malformed, or not the shape it promises
            return _refuse(400, f"malformed ({type(exc).__name__})", len(raw))
        return await to_aiohttp_response(response)

    async def _direct_message(self, text: str) -> web.Response | None:
        """A student's direct message, taken without Bolt's dispatch (the busiest request by far); else None.

        Only with one workspace (its authorisation is fixed at start) and only for a well-formed
        ``message`` event: exactly what Bolt would do for it (ignore the bot's own messages, run
        :meth:`_on_message`, acknowledge with an empty 200, or 500 if the listener fails), without
        building a Bolt request, its context and its middleware chain per message (about a tenth of
        a message's CPU on the server). Everything else goes through Bolt.
        """
        auth = self._auth
        if self._store is not None or auth is None or not text.startswith("{"):
            return None
        body = json.loads(text)
        if not isinstance(body, dict) or body.get("type") != "event_callback":
            return None
        event = body.get("event")
        if not isinstance(event, dict) or event.get("type") != "message":
            return None
        user, bot = event.get("user"), event.get("bot_id")
        if (user is not None and user == auth.bot_user_id) or (bot is not None and bot == auth.bot_id):
            return _ACK()  # Bolt's "ignoring self events"
        try:
            refused = await self._on_message(event, body)
        except Exception:
            log.exception("slack_listener_failed", extra={"listener": "message"})
            return web.Response(status=500, body=b"", content_type="text/plain")
        if refused is not None:
            return await to_aiohttp_response(refused)
        return _ACK()

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
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler  # (only when used: ~0.3 MB)

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

    async def _ack_only(self, ack: Any) -> None:
        await ack()

    async def _ack_only_event(self, body: dict[str, Any]) -> None:
        log.debug("slack_event_ignored", extra={"type": (body.get("event") or {}).get("type")})

    async def _take(self, msg: IncomingMessage, route: RouteData, key: str) -> BoltResponse | None:
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
        route: RouteData = {"mode": "ephemeral", "response_url": command.get("response_url"), "share": share}
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
        route: RouteData = {"mode": mode, "click": click}
        refused = await self._take(msg, route, _payload_key("click", body))
        if refused is None:
            await ack()
        return refused

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

    async def prepare(self, msg: IncomingMessage, route: RouteData) -> IncomingMessage:
        """Add the student's Slack time zone and, for a click, where it happened."""
        ref, direct = msg.ref, msg.direct
        if route.get("mode") in {"click", "share"}:
            where = await self._click_route(_click(route))
            ref, direct = where.ref, where.mode == "dm"
        tz = await self._tz_hint(ref.workspace, ref.user)
        return IncomingMessage(ref, text=msg.text, action=msg.action, fields=msg.fields, direct=direct, tz_hint=tz)

    async def respond(self, msg: IncomingMessage, route: RouteData, replies: list[Reply]) -> None:
        """Send the replies to a stored event where it came from (see the module's table)."""
        async with self._working(str(route.get("mode"))):
            mode = route.get("mode")
            if mode == "dm":
                await self._send(Route(msg.ref, "dm"), replies)
            elif mode == "channel":
                await self._send(Route(msg.ref, "channel"), replies)
            elif mode == "ephemeral":
                await self._send(
                    Route(msg.ref, "ephemeral", _text(route, "response_url"), _text(route, "share")), replies
                )
            elif mode == "click":
                await self._send(await self._click_route(_click(route)), replies)
            elif mode == "share":
                await self._share(await self._click_route(_click(route)), replies)

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


def _ACK() -> web.Response:  # noqa: N802 (a constant answer, made fresh: a response is sent once)
    """Bolt's acknowledgement of an event: 200 with an empty body."""
    return web.Response(status=200, body=b"", content_type="text/plain")


class _MalformedRequest(AsyncMiddlewareErrorHandler):
    """A body whose shape broke Bolt's own processing (an ``event`` that is a string…): 400, one short line."""

    async def handle(self, error: Exception, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        """Log the error's type only (no body, no traceback) and answer 400."""
        log.info("slack_request_refused", extra={"status": 400, "reason": f"malformed ({type(error).__name__})"})
        if response is not None:
            response.status, response.body = 400, json.dumps({"error": "malformed"})
            response.headers["content-type"] = ["application/json"]


def _text(route: RouteData, key: str) -> str | None:
    """A text field of a stored route (None when absent)."""
    value = route.get(key)
    return value if isinstance(value, str) else None


def _click(route: RouteData) -> dict[str, Any]:
    """The parts of a click's payload a stored route kept (see :meth:`Routing._take_click`)."""
    click = route.get("click")
    return dict(click) if isinstance(click, dict) else {}


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
