"""The Discord plugin: its settings (``DISCORD_*`` and ``SECONDROUND_DISCORD_*``), checks, secret shapes and adapter."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from bot.common.settings import ConfigError, Settings, redact_url
from bot.common.types import ConversationRef
from bot.ops.plugins import Check, CheckStatus, DoctorEnv, PlatformSettings

if TYPE_CHECKING:
    import aiohttp

    from adapters.discord.adapter import DiscordAdapter
    from bot.ops.runtime import Runtime


class DiscordSettings(PlatformSettings):
    """Discord's settings. The environment variable names are the ones SecondRound always used."""

    token: SecretStr | None = Field(None, validation_alias=AliasChoices("DISCORD_TOKEN"))
    guild_id: int | None = Field(None, validation_alias=AliasChoices("DISCORD_GUILD_ID"))
    api_url: str = Field("https://discord.com/api/v10", validation_alias=AliasChoices("SECONDROUND_DISCORD_API_URL"))
    gateway_url: str = Field(
        "wss://gateway.discord.gg/", validation_alias=AliasChoices("SECONDROUND_DISCORD_GATEWAY_URL")
    )
    shard_ids: Annotated[list[int] | None, NoDecode] = Field(
        None, validation_alias=AliasChoices("SECONDROUND_DISCORD_SHARD_IDS")
    )
    shard_count: int | None = Field(None, ge=1, validation_alias=AliasChoices("SECONDROUND_DISCORD_SHARD_COUNT"))
    counsellor_role: str | None = Field(
        None,
        validation_alias=AliasChoices("SECONDROUND_DISCORD_COUNSELLOR_ROLE"),
        description="The Discord role (its id or its name) whose members see the counsellors' insights.",
    )

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shards(cls, v: Any) -> Any:
        if isinstance(v, str):
            parts = [p.strip() for p in v.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("expected shard numbers separated by commas, e.g. 0,1")
            return [int(p) for p in parts] or None
        return v

    def configured(self) -> bool:
        """A bot token is set."""
        return self.token is not None and bool(self.token.get_secret_value())

    def why_not_configured(self) -> str:
        """No token."""
        return "DISCORD_TOKEN is not set (Discord is not configured)"

    def require(self, core: Settings) -> None:
        """Check the Discord variables needed by ``secondround run discord``."""
        token = self.token.get_secret_value() if self.token else ""
        if not token:
            raise ConfigError("DISCORD_TOKEN is not set (the bot token from the Discord developer portal).")
        if len(token) < 20 or any(c.isspace() for c in token):
            raise ConfigError("DISCORD_TOKEN does not look like a Discord bot token.")
        if self.shard_ids and self.shard_count is None:
            raise ConfigError("SECONDROUND_DISCORD_SHARD_IDS needs SECONDROUND_DISCORD_SHARD_COUNT.")
        if self.shard_ids and self.shard_count is not None:
            bad = [i for i in self.shard_ids if i >= self.shard_count]
            if bad:
                raise ConfigError(
                    f"SECONDROUND_DISCORD_SHARD_IDS has shard(s) {bad} not below "
                    f"SECONDROUND_DISCORD_SHARD_COUNT={self.shard_count}."
                )

    async def doctor(self, http: aiohttp.ClientSession, env: DoctorEnv) -> list[Check]:
        """``GET /users/@me`` with the bot token."""
        import aiohttp

        fail, name = CheckStatus.FAIL, "discord credentials"
        assert self.token is not None
        url = self.api_url.rstrip("/") + "/users/@me"
        headers = {"Authorization": f"Bot {self.token.get_secret_value()}", "User-Agent": _user_agent(env)}
        try:
            async with http.get(url, headers=headers) as resp:
                status = resp.status
                body = await resp.json(content_type=None) if status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            text = " ".join(str(exc).split())[:300]
            return [Check(fail, name, f"cannot reach {redact_url(self.api_url)} ({type(exc).__name__}: {text})")]
        if status == 401:
            return [Check(fail, name, "Discord answered 401 Unauthorized: DISCORD_TOKEN is wrong or was reset")]
        if status != 200 or not isinstance(body, dict):
            return [Check(fail, name, f"GET /users/@me answered HTTP {status}")]
        if not body.get("bot"):
            return [Check(fail, name, "DISCORD_TOKEN is not a bot token (use the Bot page's token)")]
        who = body.get("global_name") or body.get("username", "?")
        return [Check(CheckStatus.PASS, name, f"DISCORD_TOKEN is valid: bot {who!r} ({body.get('id', '?')})")]

    def is_counsellor(self, ref: ConversationRef, roles: Sequence[str]) -> bool:
        """One of ``roles`` (the member's role ids and names) is SECONDROUND_DISCORD_COUNSELLOR_ROLE."""
        return bool(self.counsellor_role) and self.counsellor_role in set(roles)


def _user_agent(env: DoctorEnv) -> str:
    return f"DiscordBot (https://github.com/secondround, {env.version}) secondround-doctor pid/{os.getpid()}"


class DiscordPlatform:
    """The ``discord`` entry point."""

    name = "discord"
    settings_model: type[PlatformSettings] = DiscordSettings
    listed = True
    secret_patterns: tuple[re.Pattern[str], ...] = (
        # bot tokens (and JWTs): three base64url parts separated by dots
        re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}+\.[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]{20,}+"),
    )
    body_loggers: tuple[str, ...] = (
        "discord.http",
        "discord.gateway",
        "discord.client",
        "discord.state",
        "discord.webhook",
        "discord.shard",
    )

    def add_options(self, group: argparse._ArgumentGroup) -> None:
        """No options of its own."""

    def build(self, runtime: Runtime, settings: PlatformSettings, options: argparse.Namespace) -> DiscordAdapter:
        """A :class:`DiscordAdapter`."""
        from adapters.discord.adapter import DiscordAdapter

        assert isinstance(settings, DiscordSettings)
        return DiscordAdapter(runtime, settings=settings)


plugin = DiscordPlatform()
