"""A local stand-in for Discord: REST API and gateway websocket on 127.0.0.1, for tests and benchmarks.

It speaks enough of Discord for discord.py 2.7 to log in, register application commands and take
events, and it records everything the bot sends:

* REST: ``GET /users/@me``, ``GET /oauth2/applications/@me``, ``GET /gateway(/bot)``, command
  registration (``PUT /applications/{id}/commands`` and the guild variant), DM channel creation,
  channel messages, interaction callbacks (``?with_response=1``), webhook follow-ups and edits.
* Gateway: HELLO, IDENTIFY → READY (with ``application.id`` and ``resume_gateway_url``) →
  GUILD_CREATE per guild of the shard, heartbeat acks, RESUME; events are sent to the shard that
  owns the guild (``(guild_id >> 22) % shard_count``), DMs to shard 0.

Tests act as Discord users: :meth:`DiscordStandIn.message` posts a message, :meth:`slash` runs a
registered slash command (options are checked against what the bot registered, as Discord does),
:meth:`autocomplete` asks for choices and :meth:`click` presses a button. Faults are switched on
per test: :meth:`close_dms` (403, code 50007), :meth:`rate_limit` (429 with ``retry_after``),
:meth:`expire_tokens` (401, code 50027: an interaction token past its 15 minutes).

JSON responses carry ``Content-Type: application/json`` exactly (discord.py treats anything else as
text) and generous ``X-RateLimit-*`` headers (without them discord.py sends one request at a time per
route).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 64
LOADING = 128
_counter = itertools.count(1)


def snowflake() -> int:
    """A new, time-ordered Discord id (its timestamp is now, so interaction expiry maths work)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    """A Discord account."""

    id: int
    name: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        """The user object Discord sends."""
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Message:
    """A message the bot created (or an interaction response that became one)."""

    id: int
    channel_id: int
    content: str
    components: list[dict[str, Any]]
    flags: int
    allowed_mentions: dict[str, Any] | None
    via: str  # "channel", "callback", "followup"
    interaction: Interaction | None = None
    reference: int | None = None  # the message replied to
    guild_id: int | None = None
    edits: int = 0

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user can see it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def buttons(self) -> dict[str, str]:
        """Button label → custom id."""
        return {
            c["label"]: c["custom_id"]
            for row in self.components
            for c in row.get("components", [])
            if c.get("type") == 2 and "custom_id" in c
        }

    def button(self, part: str) -> str:
        """The custom id of the first button whose label contains ``part``."""
        for label, custom_id in self.buttons.items():
            if part.lower() in label.lower():
                return custom_id
        raise AssertionError(f"no button like {part!r} in {list(self.buttons)}")

    def payload(self, bot: User) -> dict[str, Any]:
        """The message object Discord sends back."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": bot.payload(),
            "content": self.content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 19 if self.reference else 0,
            "flags": self.flags,
            "components": self.components,
        }
        if self.guild_id:
            data["guild_id"] = str(self.guild_id)
        if self.reference:
            data["message_reference"] = {"message_id": str(self.reference), "channel_id": str(self.channel_id)}
        return data


@dataclass
class Interaction:
    """An interaction the stand-in sent, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    user: User
    channel_id: int
    guild_id: int | None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    callback_times: list[float] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    sent_at: float = field(default_factory=time.monotonic)

    @property
    def answered(self) -> bool:
        """Whether the bot responded (or deferred)."""
        return bool(self.callbacks)

    @property
    def texts(self) -> list[str]:
        """The content of every message the bot created for this interaction, in order."""
        return [m.content for m in self.messages if m.content]

    @property
    def text(self) -> str:
        """All of it, one message per line."""
        return "\n".join(self.texts)

    @property
    def choices(self) -> list[dict[str, Any]]:
        """The autocomplete choices the bot returned."""
        for cb in self.callbacks:
            if cb.get("type") == 8:
                return list(cb.get("data", {}).get("choices", []))
        return []


@dataclass
class Request:
    """One REST request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None
    at: float
    status: int = 0


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    times: int | None
    headers: dict[str, str] = field(default_factory=dict)


class _Gateway:
    """One bot gateway connection (one shard)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.shard = (0, 1)
        self.seq = 0
        self.session_id = f"session-{snowflake()}"
        self.ready = asyncio.Event()
        self.lock = asyncio.Lock()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        async with self.lock:
            self.seq += 1
            await self.ws.send_str(json.dumps({"op": 0, "t": event, "s": self.seq, "d": data}))


class DiscordStandIn:
    """Discord's REST API and gateway for one bot application, on 127.0.0.1 (a random port)."""

    def __init__(self, *, token: str = "stand-in.bot-token.0123456789abcdefghij", guilds: int = 1) -> None:
        self.token = token
        self.app_id = snowflake()
        self.bot = User(self.app_id, "SecondRound", bot=True)
        self.guild_ids: list[int] = [snowflake() for _ in range(guilds)]
        self.channels: dict[int, int] = {}  # guild text channel id → guild id
        self.guild_channel: dict[int, int] = {}  # guild id → its #general channel
        for gid in self.guild_ids:
            self._add_channel(gid)
        self.dm_channels: dict[int, int] = {}  # user id → DM channel id
        self.dm_users: dict[int, int] = {}  # DM channel id → user id
        self.users: dict[int, User] = {}
        self.roles: dict[int, str] = {}  # extra guild roles: id → name (every guild has them)
        self.member_roles: dict[int, list[int]] = {}  # user id → the role ids they hold
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global) → commands
        self.command_puts: list[int | None] = []
        self.requests: list[Request] = []
        self.messages: list[Message] = []
        self.interactions: dict[int, Interaction] = {}
        self.by_token: dict[str, Interaction] = {}
        self.identifies: list[dict[str, Any]] = []
        self.gateways: list[_Gateway] = []
        self.closed_dms: set[int] = set()
        self.expired_tokens: set[str] = set()
        self.rules: list[_Rule] = []
        self.listeners: list[Callable[[Message], None]] = []  # told of every message the bot creates
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()

    # set-up ------------------------------------------------------------------------------------------

    def _add_channel(self, guild_id: int) -> int:
        cid = snowflake()
        self.channels[cid] = guild_id
        self.guild_channel.setdefault(guild_id, cid)
        return cid

    def add_guild(self, *, shard: int = 0, shard_count: int = 1) -> int:
        """Put the bot in one more guild, one whose events go to ``shard`` (call before the bot connects)."""
        while shard_of(gid := snowflake(), shard_count) != shard:
            pass
        self.guild_ids.append(gid)
        self._add_channel(gid)
        return gid

    @property
    def guild_id(self) -> int:
        """The first (usually only) guild the bot is in."""
        return self.guild_ids[0]

    @property
    def api_url(self) -> str:
        """The REST API address to give a client (``SECONDROUND_DISCORD_API_URL``)."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway address to give a client (``SECONDROUND_DISCORD_GATEWAY_URL``)."""
        return f"ws://127.0.0.1:{self.port}/gw"

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/gw", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        for gw in list(self.gateways):
            await gw.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def user(self, name: str) -> User:
        """A (new) Discord member of every guild."""
        user = User(snowflake(), name)
        self.users[user.id] = user
        return user

    def dm_channel(self, user: User) -> int:
        """The id of the DM channel between ``user`` and the bot (created on first use, as Discord does)."""
        if user.id not in self.dm_channels:
            cid = snowflake()
            self.dm_channels[user.id] = cid
            self.dm_users[cid] = user.id
        return self.dm_channels[user.id]

    # faults ------------------------------------------------------------------------------------------

    def close_dms(self, user: User) -> None:
        """``user`` does not accept DMs from the bot: sends answer 403 with code 50007."""
        self.closed_dms.add(user.id)

    def rate_limit(self, method: str, path: str, retry_after: float, *, times: int | None = 1) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path`` (a regex) with 429."""
        self.rules.append(
            _Rule(
                method,
                re.compile(path),
                429,
                {"message": "You are being rate limited.", "retry_after": retry_after, "global": False, "code": 0},
                times,
                {"Retry-After": str(int(retry_after) + 1), "X-RateLimit-Scope": "user", "Via": "1.1 google"},
            )
        )

    def fail(self, method: str, path: str, status: int, code: int, *, times: int | None = None) -> None:
        """Answer requests matching ``method`` and ``path`` (a regex) with an error ``status`` and ``code``."""
        self.rules.append(_Rule(method, re.compile(path), status, {"message": "stand-in error", "code": code}, times))

    def expire_tokens(self) -> None:
        """Every interaction token handed out so far has expired (its 15 minutes are over)."""
        self.expired_tokens.update(self.by_token)

    # what the bot did --------------------------------------------------------------------------------

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``check()`` is truthy (it is re-checked whenever the bot sends something)."""

        async def until() -> Any:
            async with self._changed:
                while not (result := check()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(until(), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def channel_messages(self, channel_id: int) -> list[Message]:
        """Messages the bot created in a channel, including interaction responses there."""
        return [m for m in self.messages if m.channel_id == channel_id]

    def dms(self, user: User) -> list[Message]:
        """Messages the bot sent to ``user`` by DM."""
        cid = self.dm_channels.get(user.id)
        return [m for m in self.messages if cid is not None and m.channel_id == cid]

    def calls(self, method: str, path: str) -> list[Request]:
        """REST requests with this method whose path matches ``path`` (a regex)."""
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def sent_payloads(self) -> list[dict[str, Any]]:
        """The body of every request that created or edited a message (to check allowed mentions)."""
        out = []
        for r in self.requests:
            if not isinstance(r.body, dict):
                continue
            if (r.method == "POST" and re.fullmatch(r"/channels/\d+/messages|/webhooks/\d+/[^/]+", r.path)) or (
                r.method == "PATCH" and r.path.startswith("/webhooks/")
            ):
                out.append(r.body)
            elif r.path.startswith("/interactions/") and r.body.get("type") in (4, 7):
                out.append(r.body.get("data") or {})
        return out

    # REST ----------------------------------------------------------------------------------------------

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        reset = time.time() + 1
        base = {
            "X-RateLimit-Limit": "10000",
            "X-RateLimit-Remaining": "9999",
            "X-RateLimit-Reset": f"{reset:.3f}",
            "X-RateLimit-Reset-After": "1.000",
        }
        base.update(headers or {})
        response = web.Response(status=status, body=json.dumps(data).encode(), headers=base)
        response.headers["Content-Type"] = "application/json"
        return response

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return self._json({"message": message, "code": code}, status)

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.content_type.startswith("multipart/"):  # a message with attachments
            body, files = {}, []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read(decode=True)
                if part.name == "payload_json":
                    body.update(json.loads(data))
                else:
                    files.append({"filename": part.filename, "content": data.decode("utf-8", "replace")})
            body["_files"] = files
        elif raw := await request.read():
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        rec = Request(
            request.method, path, dict(request.query), body, request.headers.get("Authorization"), time.monotonic()
        )
        self.requests.append(rec)
        try:
            response = await self._route(request.method, path, rec)
        except web.HTTPException:
            raise
        rec.status = response.status
        await self._notify()
        return response

    async def _route(self, method: str, path: str, rec: Request) -> web.Response:
        for rule in self.rules:
            if rule.method == method and rule.pattern.fullmatch(path) and rule.times != 0:
                if rule.times is not None:
                    rule.times -= 1
                return self._json(rule.body, rule.status, rule.headers)
        authorised = rec.authorization == f"Bot {self.token}"
        if path.startswith(("/interactions/", "/webhooks/")):
            return await self._interaction_route(method, path, rec)
        if not authorised:
            return self._error(401, 0, "401: Unauthorized")
        if method == "GET" and path == "/users/@me":
            return self._json(self.bot.payload() | {"verified": True, "mfa_enabled": False, "flags": 0})
        if method == "GET" and path == "/oauth2/applications/@me":
            return self._json(
                {
                    "id": str(self.app_id),
                    "name": "SecondRound",
                    "description": "Second-interview coach",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": {"id": "1", "username": "owner", "discriminator": "0", "avatar": None},
                    "verify_key": "0" * 64,
                    "flags": 0,
                }
            )
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return self._json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
                }
            )
        m = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if m and method == "PUT":
            if int(m.group(1)) != self.app_id:
                return self._error(403, 50001, "Missing Access")
            scope = int(m.group(2)) if m.group(2) else None
            registered = []
            for cmd in rec.body or []:
                data = dict(cmd)
                data.update({"id": str(snowflake()), "application_id": str(self.app_id), "version": str(snowflake())})
                if scope is not None:
                    data["guild_id"] = str(scope)
                registered.append(data)
            self.commands[scope] = registered
            self.command_puts.append(scope)
            return self._json(registered)
        if method == "POST" and path == "/users/@me/channels":
            uid = int(rec.body["recipient_id"])
            user = self.users.get(uid) or User(uid, f"user{uid}")
            self.users[uid] = user
            cid = self.dm_channel(user)
            return self._json(
                {"id": str(cid), "type": 1, "last_message_id": None, "recipients": [user.payload()], "flags": 0}
            )
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m and method == "POST":
            cid = int(m.group(1))
            if cid in self.dm_users and self.dm_users[cid] in self.closed_dms:
                return self._error(403, 50007, "Cannot send messages to this user")
            if cid not in self.dm_users and cid not in self.channels:
                return self._error(404, 10003, "Unknown Channel")
            body = rec.body or {}
            ref = body.get("message_reference") or {}
            msg = self._store(
                cid,
                body,
                "channel",
                reference=int(ref["message_id"]) if ref.get("message_id") else None,
                guild_id=self.channels.get(cid),
            )
            return self._json(msg.payload(self.bot))
        if m is None and re.fullmatch(r"/channels/(\d+)/typing", path):
            return web.Response(status=204)
        return self._error(404, 0, "404: Not Found")

    def _store(
        self,
        channel_id: int,
        body: dict[str, Any],
        via: str,
        *,
        interaction: Interaction | None = None,
        reference: int | None = None,
        guild_id: int | None = None,
        flags: int | None = None,
    ) -> Message:
        msg = Message(
            snowflake(),
            channel_id,
            body.get("content") or "",
            list(body.get("components") or []),
            int(body.get("flags") or 0) if flags is None else flags,
            body.get("allowed_mentions"),
            via,
            interaction,
            reference,
            guild_id,
        )
        self.messages.append(msg)
        if interaction is not None:
            interaction.messages.append(msg)
        for listener in self.listeners:
            listener(msg)
        return msg

    async def _interaction_route(self, method: str, path: str, rec: Request) -> web.Response:
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m and method == "POST":
            ix = self.interactions.get(int(m.group(1)))
            if ix is None or ix.token != m.group(2):
                return self._error(404, 10062, "Unknown interaction")
            if ix.token in self.expired_tokens:
                return self._error(404, 10062, "Unknown interaction")
            if ix.callbacks:
                return self._error(400, 40060, "Interaction has already been acknowledged.")
            body = rec.body or {}
            ix.callbacks.append(body)
            ix.callback_times.append(time.monotonic())
            kind = body.get("type")
            data = body.get("data") or {}
            answer: dict[str, Any] = {"interaction": {"id": str(ix.id), "type": ix.type}}
            if kind in (4, 5):
                flags = int(data.get("flags") or 0) | (LOADING if kind == 5 else 0)
                msg = self._store(ix.channel_id, data, "callback", interaction=ix, guild_id=ix.guild_id, flags=flags)
                answer["interaction"].update(
                    {
                        "response_message_id": str(msg.id),
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": bool(flags & EPHEMERAL),
                    }
                )
                answer["resource"] = {"type": kind, "message": msg.payload(self.bot)}
            elif kind == 7:  # update the message the button was on
                answer["resource"] = {"type": kind}
            else:
                answer["resource"] = {"type": kind}
            return self._json(answer)
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/([^/]+))?", path)
        if m:
            ix = self.by_token.get(m.group(2))
            if int(m.group(1)) != self.app_id or ix is None:
                return self._error(404, 10015, "Unknown Webhook")
            if ix.token in self.expired_tokens:
                return self._error(401, 50027, "Invalid Webhook Token")
            target = m.group(3)
            body = rec.body or {}
            if target is None and method == "POST":
                msg = self._store(ix.channel_id, body, "followup", interaction=ix, guild_id=ix.guild_id)
                return self._json(msg.payload(self.bot))
            original = ix.messages[0] if ix.messages and ix.messages[0].via == "callback" else None
            msg = original if target == "@original" else next((x for x in ix.messages if str(x.id) == target), None)
            if msg is None:
                return self._error(404, 10008, "Unknown Message")
            if method == "PATCH":
                if "content" in body:
                    msg.content = body["content"] or ""
                if "components" in body:
                    msg.components = list(body["components"] or [])
                msg.flags &= ~LOADING
                msg.allowed_mentions = body.get("allowed_mentions", msg.allowed_mentions)
                msg.edits += 1
                return self._json(msg.payload(self.bot))
            if method == "DELETE":
                ix.messages.remove(msg)
                self.messages.remove(msg)
                return web.Response(status=204)
            if method == "GET":
                return self._json(msg.payload(self.bot))
        return self._error(404, 0, "404: Not Found")

    # gateway -------------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _Gateway(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                op, data = payload.get("op"), payload.get("d")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    await self._identify(conn, data)
                elif op == 6:
                    if data.get("token") != self.token:
                        await ws.close(code=4004)
                        break
                    old = next((g for g in self.gateways if g.session_id == data.get("session_id")), None)
                    if old is not None:
                        conn.shard, conn.session_id, conn.seq = old.shard, old.session_id, old.seq
                        self.gateways.remove(old)
                    self.gateways.append(conn)
                    await conn.dispatch("RESUMED", {})
                    conn.ready.set()
        finally:
            if conn in self.gateways and conn.ws is ws:
                self.gateways.remove(conn)
            await self._notify()
        return ws

    async def _identify(self, conn: _Gateway, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies.append(data)
        shard = tuple(data.get("shard") or (0, 1))
        conn.shard = (int(shard[0]), int(shard[1]))
        self.gateways.append(conn)
        mine = [g for g in self.guild_ids if shard_of(g, conn.shard[1]) == conn.shard[0]]
        await conn.dispatch(
            "READY",
            {
                "v": 10,
                "user": self.bot.payload() | {"verified": True, "mfa_enabled": False, "flags": 0},
                "guilds": [{"id": str(g), "unavailable": True} for g in mine],
                "session_id": conn.session_id,
                "resume_gateway_url": self.gateway_url,
                "shard": list(conn.shard),
                "application": {"id": str(self.app_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for gid in mine:
            await conn.dispatch("GUILD_CREATE", self._guild_payload(gid))
        conn.ready.set()
        await self._notify()

    def _guild_payload(self, gid: int) -> dict[str, Any]:
        channels = [
            {
                "id": str(cid),
                "type": 0,
                "guild_id": str(gid),
                "name": "general" if n == 0 else f"channel-{n}",
                "position": n,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "flags": 0,
            }
            for n, cid in enumerate(c for c, g in self.channels.items() if g == gid)
        ]
        return {
            "id": str(gid),
            "name": f"Career Club {gid % 1000}",
            "icon": None,
            "owner_id": "1",
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "features": [],
            "roles": [
                {
                    "id": str(gid),
                    "name": "@everyone",
                    "permissions": "2248473465835073",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                *(
                    {
                        "id": str(rid),
                        "name": name,
                        "permissions": "0",
                        "position": 1,
                        "color": 0,
                        "hoist": False,
                        "managed": False,
                        "mentionable": False,
                        "flags": 0,
                    }
                    for rid, name in self.roles.items()
                ),
            ],
            "emojis": [],
            "stickers": [],
            "channels": channels,
            "threads": [],
            "members": [
                {
                    "user": self.bot.payload(),
                    "roles": [],
                    "joined_at": _now_iso(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "joined_at": _now_iso(),
        }

    async def wait_connected(self, shards: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``shards`` gateway connections have identified."""
        await self.wait_for(lambda: sum(1 for g in self.gateways if g.ready.is_set()) >= shards, timeout)

    def _gateway_for(self, guild_id: int | None) -> _Gateway:
        live = [g for g in self.gateways if g.ready.is_set() and not g.ws.closed]
        if not live:
            raise AssertionError("no bot is connected to the stand-in's gateway")
        for g in live:
            target = shard_of(guild_id, g.shard[1]) if guild_id else 0
            if g.shard[0] == target:
                return g
        raise AssertionError(f"no connected shard takes guild {guild_id}")

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> None:
        """Send a gateway event to the shard that owns ``guild_id`` (DMs: shard 0)."""
        await self._gateway_for(guild_id).dispatch(event, data)

    # acting as a user ----------------------------------------------------------------------------------

    def _member(self, user: User) -> dict[str, Any]:
        return {
            "user": user.payload(),
            "roles": [str(r) for r in self.member_roles.get(user.id, [])],
            "joined_at": _now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": "2248473465835073",
        }

    async def message(
        self,
        user: User,
        content: str,
        *,
        channel_id: int | None = None,
        mention_bot: bool = False,
        message_id: int | None = None,
    ) -> int:
        """``user`` posts ``content``: in a DM with the bot (no ``channel_id``) or in a guild channel.

        With ``mention_bot`` the text starts with the bot's mention, as Discord's client writes it.
        Passing an earlier ``message_id`` delivers that message again. Returns the message id.
        """
        self.users[user.id] = user
        mid = message_id or snowflake()
        guild_id = self.channels.get(channel_id) if channel_id else None
        cid = channel_id or self.dm_channel(user)
        text = f"<@{self.bot.id}> {content}" if mention_bot else content
        data: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(cid),
            "author": user.payload(),
            "content": text if (guild_id is None or mention_bot) else "",  # no message-content intent
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [self.bot.payload()] if mention_bot else [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
            data["member"] = {k: v for k, v in self._member(user).items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", data, guild_id)
        return mid

    def _command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        scopes = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name:
                    return cmd
        raise AssertionError(f"/{name} is not registered (registered: {self.registered_names()})")

    def registered_names(self, guild_id: int | None = None) -> list[str]:
        """Every registered command path (``"interview add"``), global or of one guild."""
        out = []
        for cmd in self.commands.get(guild_id, []):
            subs = [o for o in cmd.get("options", []) if o.get("type") in (1, 2)]
            out.extend(f"{cmd['name']} {s['name']}" for s in subs) if subs else out.append(cmd["name"])
        return out

    def _options(self, path: str, guild_id: int | None, values: dict[str, Any], focused: str | None) -> dict[str, Any]:
        words = path.split()
        cmd = self._command(words[0], guild_id)
        schema: list[dict[str, Any]] = cmd.get("options", [])
        holder: list[dict[str, Any]] = []
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": holder}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        for word in words[1:]:
            sub = next((o for o in schema if o["name"] == word and o["type"] in (1, 2)), None)
            if sub is None:
                raise AssertionError(f"/{path}: no subcommand {word!r}")
            inner: list[dict[str, Any]] = []
            holder.append({"name": word, "type": sub["type"], "options": inner})
            holder, schema = inner, sub.get("options", [])
        known = {o["name"]: o for o in schema}
        for name, value in values.items():
            if name not in known:
                raise AssertionError(f"/{path} has no option {name!r} (options: {list(known)})")
            option = known[name]
            choices = [c["value"] for c in option.get("choices", [])]
            if choices and name != focused and value not in choices:
                raise AssertionError(f"/{path} {name}: {value!r} is not one of the choices {choices}")
            entry: dict[str, Any] = {"name": name, "type": option["type"], "value": value}
            if name == focused:
                entry["focused"] = True
            holder.append(entry)
        if focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
            if missing:
                raise AssertionError(f"/{path}: required option(s) {missing} missing")
        return data

    def _interaction(
        self, kind: int, user: User, channel_id: int | None, data: dict[str, Any], message: Message | None = None
    ) -> tuple[Interaction, dict[str, Any]]:
        self.users[user.id] = user
        guild_id = self.channels.get(channel_id) if channel_id else None
        cid = channel_id or self.dm_channel(user)
        ix = Interaction(snowflake(), f"tok-{snowflake()}", kind, user, cid, guild_id)
        self.interactions[ix.id] = ix
        self.by_token[ix.token] = ix
        payload: dict[str, Any] = {
            "id": str(ix.id),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "channel_id": str(cid),
            "token": ix.token,
            "version": 1,
            "app_permissions": "2248473465835073",
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {"0": "0"},
            "context": 0 if guild_id else 1,
            "attachment_size_limit": 8388608,
        }
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
            payload["channel"] = {"id": str(cid), "type": 0, "guild_id": str(guild_id), "name": "general"}
            payload["member"] = self._member(user)
        else:
            payload["channel"] = {"id": str(cid), "type": 1, "recipients": [user.payload()], "flags": 0}
            payload["user"] = user.payload()
        if message is not None:
            payload["message"] = message.payload(self.bot)
        return ix, payload

    async def slash(self, user: User, path: str, *, channel_id: int | None = None, **options: Any) -> Interaction:
        """``user`` runs ``/path`` (``"interview add"``) with ``options``, in a guild channel or the DM."""
        guild_id = self.channels.get(channel_id) if channel_id else None
        data = self._options(path, guild_id, options, None)
        ix, payload = self._interaction(2, user, channel_id, data)
        await self.dispatch("INTERACTION_CREATE", payload, guild_id)
        return ix

    async def autocomplete(
        self, user: User, path: str, focused: str, typed: str, *, channel_id: int | None = None, **options: Any
    ) -> list[dict[str, Any]]:
        """``user`` types ``typed`` into option ``focused`` of ``/path``; returns the bot's choices."""
        guild_id = self.channels.get(channel_id) if channel_id else None
        data = self._options(path, guild_id, {**options, focused: typed}, focused)
        ix, payload = self._interaction(4, user, channel_id, data)
        await self.dispatch("INTERACTION_CREATE", payload, guild_id)
        await self.wait_for(lambda: ix.callbacks)
        assert ix.callbacks[0]["type"] == 8, ix.callbacks
        return ix.choices

    async def click(self, user: User, message: Message, custom_id: str) -> Interaction:
        """``user`` presses the button ``custom_id`` on ``message``."""
        if custom_id not in message.buttons.values():
            raise AssertionError(f"no button {custom_id!r} on that message ({message.buttons})")
        channel_id = None if message.channel_id in self.dm_users else message.channel_id
        ix, payload = self._interaction(3, user, channel_id, {"custom_id": custom_id, "component_type": 2}, message)
        await self.dispatch("INTERACTION_CREATE", payload, self.channels.get(message.channel_id))
        return ix
