"""Slack's OAuth v2 install for many workspaces, on Bolt's own pieces (``AsyncOAuthSettings``).

- :class:`DatabaseInstallationStore`: Bolt's installation store, kept in SecondRound's database
  through :class:`bot.office.workspaces.Workspaces` (encrypted at rest with ``SECONDROUND_TOKEN_KEYS``).
- :class:`SignedStateStore`: the OAuth ``state`` as an HMAC-signed, timestamped value (no storage, so
  any instance can finish an install another one started; the browser cookie Bolt sets binds it).
- :class:`InstallationAuthorize`: each request's bot token from the store (remembered), with no
  ``auth.test`` call per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from adapters.slack.plugin import SlackSettings
from bot.office.workspaces import Workspaces

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
CACHE_SECONDS = 60.0  # an installation read from the database is reused this long (other instances may change it)


class DatabaseInstallationStore(AsyncInstallationStore):
    """Bolt's installation store over :class:`~bot.office.workspaces.Workspaces` (one record per workspace)."""

    def __init__(
        self, workspaces: Workspaces, now: Callable[[], Any], monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.workspaces = workspaces
        self.now = now
        self.monotonic = monotonic
        self._cache: dict[tuple[str, str], tuple[float, Installation | None]] = {}

    @property
    def logger(self) -> logging.Logger:
        """The logger Bolt expects stores to have."""
        return log

    async def async_save(self, installation: Installation) -> None:
        """Store a new or renewed installation (the OAuth callback calls this)."""
        key = (installation.enterprise_id or "", installation.team_id or "")
        data = dict(installation.__dict__)
        await asyncio.to_thread(self.workspaces.save, key[0], key[1], data, self.now())
        self._cache[key] = (self.monotonic(), installation)

    async def async_save_bot(self, bot: Bot) -> None:
        """Bots are saved as part of their installation (``async_save``)."""

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The workspace's installation, or None."""
        key = (enterprise_id or "", "" if is_enterprise_install else team_id or "")
        held = self._cache.get(key)
        if held is None or self.monotonic() - held[0] > CACHE_SECONDS:
            data = await asyncio.to_thread(self.workspaces.find, *key)
            held = (self.monotonic(), Installation(**data) if data is not None else None)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = held
        return held[1]

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        """The workspace's bot (its token), or None."""
        found = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return found.to_bot() if found is not None and found.bot_token else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot (and so its installation)."""
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Delete the installation record only (students' data: :meth:`remove_workspace`)."""
        key = (enterprise_id or "", team_id or "")
        self._cache.pop(key, None)
        await asyncio.to_thread(self.workspaces.delete, *key)

    async def remove_workspace(self, enterprise_id: str | None, team_id: str | None, why: str) -> dict[str, int]:
        """The app left the workspace: its installation and its students' data go; returns counts."""
        key = (enterprise_id or "", team_id or "")
        self._cache.pop(key, None)
        return await asyncio.to_thread(self.workspaces.remove, key[0], key[1], why)


class SignedStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values signed with a secret, valid :data:`STATE_SECONDS`; nothing stored."""

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"secondround-oauth-state:" + secret.encode()).digest()
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        """The logger Bolt expects stores to have."""
        return log

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A fresh state: ``issued-at.nonce.signature``."""
        body = f"{int(self._clock())}.{secrets.token_hex(8)}"
        return f"{body}.{self._sign(body)}"

    async def async_consume(self, state: str) -> bool:
        """Whether ``state`` was issued here and is still fresh."""
        issued, _, rest = state.partition(".")
        nonce, _, signature = rest.partition(".")
        body = f"{issued}.{nonce}"
        if not issued.isdigit() or not hmac.compare_digest(self._sign(body), signature):
            return False
        return 0 <= self._clock() - int(issued) <= STATE_SECONDS


class InstallationAuthorize(AsyncAuthorize):
    """Authorizes each request from the installation store: no Web API call per request."""

    def __init__(self, store: DatabaseInstallationStore) -> None:
        self.store = store

    async def __call__(
        self,
        *,
        context: Any,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        """The workspace's bot token and ids, or None (Bolt then refuses the request)."""
        bot = await self.store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None:
            log.info("slack_workspace_not_installed")
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
        )


def oauth_settings(settings: SlackSettings, store: DatabaseInstallationStore) -> AsyncOAuthSettings:
    """Bolt's OAuth settings from SecondRound's (``SLACK_CLIENT_ID`` and friends)."""
    secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
    return AsyncOAuthSettings(
        client_id=settings.client_id,
        client_secret=secret,
        scopes=[s.strip() for s in settings.scopes.split(",") if s.strip()],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,  # straight to Slack's consent page
        authorization_url=settings.install_url,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SignedStateStore(secret),
        logger=logging.getLogger("slack_bolt.oauth"),
    )


def to_web_response(response: BoltResponse, *, plain_http_loopback: bool) -> web.Response:
    """Bolt's answer on an OAuth route as an aiohttp response, its state cookie kept as Bolt wrote it.

    The cookie that binds the install to the browser is ``Secure``; on a plain-HTTP address of this
    machine (a local trial, the tests) that flag would stop any browser from sending it back, so it
    is dropped there only.
    """
    headers = {k: v[0] for k, v in response.headers.items() if k.lower() != "set-cookie" and v}
    out = web.Response(status=response.status, body=response.body, headers=headers)
    for cookie in response.headers.get("set-cookie", []):
        out.headers.add("Set-Cookie", cookie.replace("; Secure", "") if plain_http_loopback else cookie)
    return out
