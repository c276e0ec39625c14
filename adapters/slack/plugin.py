"""The Slack plugin: its settings (``SLACK_*`` and ``SECONDROUND_SLACK_*``), checks, secret shapes and adapter."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from bot.common.settings import ConfigError, Settings
from bot.common.types import ConversationRef
from bot.ops.plugins import Check, DoctorEnv, PlatformSettings

if TYPE_CHECKING:
    import aiohttp

    from adapters.slack.adapter import SlackAdapter
    from bot.ops.runtime import Runtime

_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
DEFAULT_SLACK_SCOPES = (
    "app_mentions:read,chat:write,commands,files:write,im:history,im:write,users:read,usergroups:read"  # = the manifest
)


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


def parse_counsellors(spec: str) -> dict[str, tuple[str, ...]]:
    """Parse ``T0001:U01,U02;T0002:U03`` into counsellors' Slack user ids by workspace (team id)."""
    out: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        team, colon, users = part.partition(":")
        ids = tuple(u.strip() for u in users.split(",") if u.strip())
        if not colon or not _SLACK_ID.match(team.strip()) or not ids:
            raise ValueError(f"{part!r} is not of the form TEAMID:USERID,USERID (e.g. T0123:U0456,U0789)")
        bad = [u for u in ids if not _SLACK_ID.match(u)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a Slack user id (like U0456)")
        out[team.strip()] = out.get(team.strip(), ()) + ids
    return out


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


class SlackSettings(PlatformSettings):
    """Slack's settings. The environment variable names are the ones SecondRound always used."""

    bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    signing_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    api_url: str = Field("https://slack.com/api/", validation_alias=_env("SECONDROUND_SLACK_API_URL"))
    client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID"))
    client_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_CLIENT_SECRET"))
    scopes: str = Field(
        DEFAULT_SLACK_SCOPES,
        validation_alias=_env("SECONDROUND_SLACK_SCOPES"),
        description="Bot scopes asked for when a workspace installs.",
    )
    install_url: str = Field(
        "https://slack.com/oauth/v2/authorize",
        validation_alias=_env("SECONDROUND_SLACK_INSTALL_URL"),
        description="Where /slack/install sends the installer.",
    )
    counsellors: Annotated[dict[str, tuple[str, ...]], NoDecode] = Field(
        default_factory=dict,
        validation_alias=_env("SECONDROUND_COUNSELLORS"),
        description="Slack counsellors per workspace: TEAMID:USERID,USERID;TEAMID:USERID",
    )

    @field_validator("counsellors", mode="before")
    @classmethod
    def _counsellors(cls, v: Any) -> Any:
        return parse_counsellors(v) if isinstance(v, str) else v

    @property
    def oauth(self) -> bool:
        """Whether Slack runs for many workspaces (OAuth install) rather than with one bot token."""
        return bool(self.client_id)

    def configured(self) -> bool:
        """A bot token, or an OAuth client id (many workspaces)."""
        return bool(_secret(self.bot_token)) or self.oauth

    def why_not_configured(self) -> str:
        """Neither variable is set."""
        return "SLACK_BOT_TOKEN is not set (Slack is not configured)"

    def require(self, core: Settings) -> None:
        """Check the Slack variables needed by ``secondround run slack``; raise ConfigError if unusable."""
        if self.oauth:
            self._require_oauth(core)
            return
        problems = []
        bot, app, secret = _secret(self.bot_token), _secret(self.app_token), _secret(self.signing_secret)
        if not bot:
            problems.append("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, from your Slack app).")
        elif not bot.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN does not look like a bot token (it should start with xoxb-).")
        if app and not app.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN does not look like an app-level token (it should start with xapp-).")
        if not app and not secret:
            problems.append(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it (or set SLACK_APP_TOKEN for Socket Mode)."
            )
        if problems:
            raise ConfigError("\n".join(problems))

    def _require_oauth(self, core: Settings) -> None:
        problems = []
        if not _secret(self.client_secret):
            problems.append("SLACK_CLIENT_SECRET is not set: installing in many workspaces (SLACK_CLIENT_ID) needs it.")
        if not _secret(self.signing_secret):
            problems.append("SLACK_SIGNING_SECRET is not set: the install flow runs in HTTP mode and needs it.")
        if core.token_keys is None:
            problems.append(
                "SECONDROUND_TOKEN_KEYS is not set: installed workspaces' tokens are stored encrypted with it "
                "(`secondround keys new` prints a key)."
            )
        if self.app_token:
            problems.append("SLACK_APP_TOKEN: Socket Mode serves one workspace; unset it, or unset SLACK_CLIENT_ID.")
        if problems:
            raise ConfigError("\n".join(problems))

    def mode(self) -> str:
        """Socket Mode, HTTP mode, or many workspaces."""
        if self.oauth:
            return " (many workspaces: OAuth install at /slack/install)"
        return " (Socket Mode)" if _secret(self.app_token) else " (HTTP mode, signing secret set)"

    async def doctor(self, http: aiohttp.ClientSession, env: DoctorEnv) -> list[Check]:
        """``auth.test``, the granted scopes against the manifest, and Socket Mode."""
        from adapters.slack import doctor

        return await doctor.checks(http, self, env)

    def is_counsellor(self, ref: ConversationRef, roles: Sequence[str]) -> bool:
        """Their user id, or a user group (``S…``) they belong to (``roles``), is listed for their workspace."""
        listed = self.counsellors.get(ref.workspace, ())
        return ref.user in listed or any(group in listed for group in roles)


class SlackPlatform:
    """The ``slack`` entry point."""

    name = "slack"
    settings_model: type[PlatformSettings] = SlackSettings
    listed = True
    secret_patterns: tuple[re.Pattern[str], ...] = (
        # tokens: bot, user, app-level, refresh, configuration (the prefix stays: it says which), anywhere,
        # not only after a word boundary: "token%3Dxoxb-…" in an encoded URL counts too
        re.compile(r"(?P<keep>(?:xox[a-z]|xapp)-)[A-Za-z0-9-]++"),
        # signing secrets: 32 lower-case hex digits
        re.compile(r"\b[0-9a-f]{32}\b"),
    )
    body_loggers: tuple[str, ...] = ("slack_sdk", "slack_bolt")

    def add_options(self, group: argparse._ArgumentGroup) -> None:
        """``--host``/``--port``: where HTTP mode listens."""
        group.add_argument("--host", default="127.0.0.1", help="Slack HTTP mode: address to listen on")
        group.add_argument("--port", type=int, default=3000, help="Slack HTTP mode: port to listen on")

    def build(self, runtime: Runtime, settings: PlatformSettings, options: argparse.Namespace) -> SlackAdapter:
        """A :class:`SlackAdapter` listening where the options say."""
        from adapters.slack.adapter import SlackAdapter

        assert isinstance(settings, SlackSettings)
        return SlackAdapter(runtime, settings=settings, host=options.host, port=options.port)


plugin = SlackPlatform()
