"""A local stand-in for Slack: the Web API methods the bot uses, response URLs, file uploads, Socket Mode.

It listens on 127.0.0.1 (a random port), records every call (method, parameters, Authorization
header, when), and can be told to fail: a 429 with ``Retry-After``, or an error such as
``channel_not_found``. Its Socket Mode side hands out ``ws://127.0.0.1:…`` URLs from
``apps.connections.open``, says ``hello``, pushes envelopes (``events_api``, ``slash_commands``,
``interactive``), collects the client's acknowledgements, and can send ``disconnect`` to force a
reconnection. Nothing here reaches the internet.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0APP"
DEFAULT_TZ = "America/New_York"


@dataclass
class Call:
    """One request the bot made."""

    method: str  # Web API method, or "response_url"
    body: dict[str, Any]
    auth: str | None
    at: float  # time.monotonic()
    status: int = 200  # what the stand-in answered

    @property
    def ok(self) -> bool:
        """Whether the stand-in answered this call successfully."""
        return self.status == 200 and not self.body.get("_failed")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The Block Kit blocks sent (a message, or a view's)."""
        blocks = self.body.get("blocks")
        if blocks is None and isinstance(self.body.get("view"), dict):
            blocks = self.body["view"].get("blocks")
        return blocks or []

    @property
    def shown(self) -> str:
        """The text a person would read: every section, context and button label, in order."""
        parts: list[str] = []
        for block in self.blocks:
            if block.get("type") == "section":
                parts.append(block["text"]["text"])
            elif block.get("type") == "context":
                parts.extend(e.get("text", "") for e in block.get("elements", []))
            elif block.get("type") == "actions":
                parts.append(" | ".join(e["text"]["text"] for e in block.get("elements", [])))
        return "\n".join(parts) if parts else str(self.body.get("text", ""))

    @property
    def buttons(self) -> dict[str, dict[str, Any]]:
        """Button label → the button element (its value and action_id)."""
        out: dict[str, dict[str, Any]] = {}
        for block in self.blocks:
            if block.get("type") == "actions":
                for element in block.get("elements", []):
                    out[element["text"]["text"]] = element
        return out

    def button(self, label_part: str) -> dict[str, Any]:
        """The first button whose label contains ``label_part``."""
        for label, element in self.buttons.items():
            if label_part.lower() in label.lower():
                return element
        raise AssertionError(f"no button like {label_part!r} in {list(self.buttons)}")


@dataclass
class Failure:
    """A scripted answer to the next call(s) of a method."""

    error: str
    status: int = 200
    retry_after: float | None = None
    times: int = 1


@dataclass
class Connection:
    """One Socket Mode websocket connection."""

    ws: web.WebSocketResponse
    ticket: str
    received: list[dict[str, Any]] = field(default_factory=list)


class SlackStandIn:
    """Slack's Web API, response URLs and Socket Mode server, on 127.0.0.1."""

    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str | None = None,
        client_id: str = "1111.2222",
        client_secret: str = "standin-client-secret",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.client_id = client_id
        self.client_secret = client_secret
        # workspaces: bot token → (team id, team name, bot user id, bot id); the one-token mode's is first
        self.workspaces: dict[str, tuple[str, str, str, str]] = {
            bot_token: (TEAM_ID, "Career Services", BOT_USER_ID, BOT_ID)
        }
        self.codes: dict[str, tuple[str, str, str]] = {}  # OAuth code → (team id, team name, installer)
        self.consent: tuple[str, str, str] | None = None  # who approves the next install, at which team
        self.user_groups: dict[str, list[str]] = {}  # user group id → its members (usergroups.users.list)
        self.redirect_uri: str | None = None  # the app's configured redirect URL (when the request has none)
        self.calls: list[Call] = []
        self.user_tz: dict[str, str | None] = {}
        self.failures: dict[str, deque[Failure]] = defaultdict(deque)
        self.connections: list[Connection] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}  # file id → filename, length, content (files_upload_v2)
        self.on_call: list[Callable[[Call], None]] = []  # told of every call (benchmarks count with it)
        self.port = 0
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    # --- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> SlackStandIn:
        """Listen on a random port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/hooks/{hook}", self._hook)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._socket)
        app.router.add_get("/oauth/v2/authorize", self._authorize)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Close websockets and stop listening."""
        for conn in self.connections:
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL to give the bot (``SECONDROUND_SLACK_API_URL``)."""
        return f"{self.base_url}/api/"

    def response_url(self) -> str:
        """A fresh response URL, as Slack puts in commands and interactions."""
        return f"{self.base_url}/hooks/{uuid.uuid4().hex[:12]}"

    # --- scripting ----------------------------------------------------------------------------------

    def fail(self, method: str, error: str, *, times: int = 1, status: int = 200) -> None:
        """The next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        self.failures[method].append(Failure(error, status, None, times))

    def rate_limit(self, method: str, retry_after: float, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 with ``Retry-After``."""
        self.failures[method].append(Failure("ratelimited", 429, retry_after, times))

    def approve_next_install(self, team_id: str, team_name: str, installer: str) -> None:
        """The next visit to the consent page is ``installer`` of ``team_id`` pressing "Allow"."""
        self.consent = (team_id, team_name, installer)

    @property
    def authorize_url(self) -> str:
        """Slack's consent page, here (``SECONDROUND_SLACK_INSTALL_URL``)."""
        return f"{self.base_url}/oauth/v2/authorize"

    def token_for(self, team_id: str) -> str | None:
        """The bot token the stand-in gave ``team_id`` when it installed the app."""
        return next((t for t, w in self.workspaces.items() if w[0] == team_id), None)

    # --- what happened ------------------------------------------------------------------------------

    def calls_to(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Successful calls of ``method`` (optionally only those ``where`` accepts)."""
        return [c for c in self.calls if c.method == method and c.ok and (where is None or where(c))]

    async def wait_for(
        self,
        method: str,
        where: Callable[[Call], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 15.0,
    ) -> list[Call]:
        """Wait until at least ``count`` successful calls of ``method`` match; returns them."""

        def enough() -> bool:
            return len(self.calls_to(method, where)) >= count

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(enough), timeout)
            except TimeoutError:
                seen = [(c.method, c.body.get("channel"), c.shown[:80]) for c in self.calls]
                raise AssertionError(f"no {count}× {method} within {timeout} s; calls: {seen}") from None
        return self.calls_to(method, where)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        for listener in self.on_call:
            listener(call)
        async with self._changed:
            self._changed.notify_all()

    # --- the Web API ----------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body.update(await request.json())
            else:
                body.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        for key in ("blocks", "view", "attachments", "users", "files"):
            if isinstance(body.get(key), str) and body[key][:1] in "[{":
                body[key] = json.loads(body[key])
        auth = request.headers.get("Authorization")
        token = (auth or "").removeprefix("Bearer ") or str(body.get("token", ""))
        call = Call(method, body, auth, time.monotonic())

        queue = self.failures.get(method)
        if queue:
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.popleft()
            call.status = failure.status
            call.body["_failed"] = failure.error
            await self._record(call)
            headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)

        if method == "oauth.v2.access":
            answer = self._oauth_access(request, body)
        elif method == "apps.connections.open":
            if not self.app_token or not token.startswith("xapp-"):
                answer: dict[str, Any] = {"ok": False, "error": "not_allowed_token_type"}
            elif token != self.app_token:
                answer = {"ok": False, "error": "invalid_auth"}
            else:
                answer = {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link?ticket={uuid.uuid4().hex}"}
        elif token not in self.workspaces:
            answer = {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        else:
            answer = self._answer(method, body, self.workspaces[token])
        if not answer.get("ok"):
            call.body["_failed"] = answer.get("error")
        await self._record(call)
        return web.json_response(answer)

    def _answer(self, method: str, body: dict[str, Any], workspace: tuple[str, str, str, str]) -> dict[str, Any]:
        team_id, team_name, bot_user_id, bot_id = workspace
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://standin.slack.com/",
                "team": team_name,
                "user": "secondround",
                "team_id": team_id,
                "user_id": bot_user_id,
                "bot_id": bot_id,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {"type": "message", "text": body.get("text"), "bot_id": bot_id, "ts": ts}
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "conversations.open":
            users = body.get("users")
            user = users[0] if isinstance(users, list) else str(users).split(",")[0]
            return {"ok": True, "channel": {"id": dm_channel(user)}}
        if method == "users.info":
            user = str(body.get("user"))
            tz = self.user_tz.get(user, DEFAULT_TZ)
            profile: dict[str, Any] = {"id": user, "team_id": team_id, "name": user.lower(), "is_bot": False}
            if tz is not None:
                profile["tz"] = tz
            return {"ok": True, "user": profile}
        if method == "files.getUploadURLExternal":
            file_id = f"F{uuid.uuid4().hex[:10].upper()}"
            self.uploads[file_id] = {"filename": body.get("filename"), "length": body.get("length"), "content": None}
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            shared = []
            for item in body.get("files") or []:
                upload = self.uploads.get(item.get("id"))
                if upload is None or upload["content"] is None:
                    return {"ok": False, "error": "file_not_found"}
                shared.append({"id": item["id"], "name": upload["filename"], "title": item.get("title")})
                body.setdefault("_contents", {})[upload["filename"]] = upload["content"]
            return {"ok": True, "files": shared}
        if method == "usergroups.users.list":
            group = str(body.get("usergroup"))
            if group not in self.user_groups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.user_groups[group]}
        if method == "views.publish":
            return {"ok": True, "view": {"id": f"V{self._next_ts()}", **(body.get("view") or {})}}
        return {"ok": False, "error": "unknown_method"}

    def _oauth_access(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """``oauth.v2.access``: the app's credentials (Basic auth or form) and a code from the consent page."""
        client_id, client_secret = str(body.get("client_id", "")), str(body.get("client_secret", ""))
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return {"ok": False, "error": "invalid_client"}
        grant = self.codes.pop(str(body.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team_id, team_name, installer = grant
        n = len(self.workspaces)
        token = f"xoxb-{team_id}-{n}-{uuid.uuid4().hex[:16]}"
        self.workspaces = {t: w for t, w in self.workspaces.items() if w[0] != team_id}  # a reinstall: new token
        self.workspaces[token] = (team_id, team_name, f"U0BOT{n}", f"B0BOT{n}")
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": installer},
            "scope": "app_mentions:read,chat:write,commands,im:history,im:write,users:read",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": f"U0BOT{n}",
            "team": {"id": team_id, "name": team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    async def _authorize(self, request: web.Request) -> web.Response:
        """Slack's consent page: the installer presses "Allow" and is sent back with a code and the state."""
        query = request.query
        if query.get("client_id") != self.client_id or self.consent is None:
            return web.Response(status=400, text="invalid client or nobody to approve")
        code = uuid.uuid4().hex
        self.codes[code] = self.consent
        self.consent = None
        back = query.get("redirect_uri") or self.redirect_uri or ""
        await self._record(Call("oauth.authorize", dict(query), None, time.monotonic()))
        if not back:
            return web.Response(status=400, text="no redirect_uri: the app must send one here")
        separator = "&" if "?" in back else "?"
        raise web.HTTPFound(f"{back}{separator}code={code}&state={query.get('state', '')}")

    def _next_ts(self) -> str:
        return f"1772463600.{next(self._ts):06d}"

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2 of files_upload_v2: the file's bytes, posted to the URL step 1 gave out."""
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        upload["content"] = (await request.read()).decode("utf-8", "replace")
        return web.Response(text="OK - " + str(len(upload["content"])))

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_url"] = str(request.url)
        call = Call("response_url", body, request.headers.get("Authorization"), time.monotonic())
        queue = self.failures.get("response_url")
        if queue:
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.popleft()
            call.status, call.body["_failed"] = 404, failure.error
            await self._record(call)
            return web.Response(status=404, text=failure.error)
        await self._record(call)
        return web.Response(text="ok")

    # --- Socket Mode --------------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, request.query.get("ticket", ""))
        self.connections.append(conn)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": sum(1 for c in self.connections if not c.ws.closed),
                "debug_info": {"host": "standin", "approximate_connection_time": 3600},
                "connection_info": {"app_id": APP_ID},
            }
        )
        async with self._changed:
            self._changed.notify_all()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            conn.received.append(data)
            if "envelope_id" in data:
                self.acks[data["envelope_id"]] = data
            async with self._changed:
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()
        return ws

    @property
    def open_connections(self) -> list[Connection]:
        """Socket Mode connections still open."""
        return [c for c in self.connections if not c.ws.closed]

    async def wait_connections(self, total: int, *, timeout: float = 15.0) -> Connection:
        """Wait until ``total`` connections were made in all and one is open; returns the newest."""

        def ready() -> bool:
            return len(self.connections) >= total and bool(self.open_connections)

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout)
            except TimeoutError:
                raise AssertionError(f"{len(self.connections)} socket connections, wanted {total}") from None
        return self.open_connections[-1]

    async def send_envelope(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        """Push an envelope (``events_api``, ``slash_commands``, ``interactive``) on the newest connection."""
        conns = self.open_connections
        if not conns:
            raise AssertionError("no open Socket Mode connection")
        envelope_id = uuid.uuid4().hex
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update({"retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else ""})
        await conns[-1].ws.send_json(envelope)
        return envelope_id

    async def wait_ack(self, envelope_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the client's acknowledgement of an envelope; returns it."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: envelope_id in self.acks), timeout)
            except TimeoutError:
                raise AssertionError(f"envelope {envelope_id} was not acknowledged within {timeout} s") from None
        return self.acks[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the connected client to reconnect, as Slack does every few hours."""
        for conn in self.open_connections:
            await conn.ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "standin"}})


def dm_channel(user: str) -> str:
    """The id of the app's DM channel with ``user`` (Slack DM ids start with D)."""
    return "D" + user[1:]
