"""``secondround doctor`` for Slack: its token, its scopes and Socket Mode.

``auth.test``, the granted scopes against ``deploy/slack/manifest.yml`` (when that file is found) and
the app-level token (``apps.connections.open``) for Socket Mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import yaml

from bot.common.settings import redact_url
from bot.ops.plugins import Check, CheckStatus, DoctorEnv

if TYPE_CHECKING:
    from adapters.slack.plugin import SlackSettings

MANIFEST = Path("deploy/slack/manifest.yml")
PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP

_HINTS = {
    "invalid_auth": "the token is wrong or belongs to another workspace",
    "not_authed": "no token was sent",
    "token_revoked": "the token was revoked: reinstall the app and copy the new token",
    "account_inactive": "the app or its workspace was deactivated",
    "not_allowed_token_type": "this is not the kind of token needed here",
}


async def checks(http: aiohttp.ClientSession, settings: SlackSettings, env: DoctorEnv) -> list[Check]:
    """Slack's credential checks (a SKIP line when it runs for many workspaces)."""
    if settings.oauth:  # many workspaces: no one token to check (docs/career-office.md)
        return [Check(SKIP, "slack", "installed per workspace (SLACK_CLIENT_ID): tokens are checked as used")]
    assert settings.bot_token is not None
    token = settings.bot_token.get_secret_value()
    try:
        body, headers = await _call(http, settings, "auth.test", token)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [Check(FAIL, "slack credentials", f"cannot reach {redact_url(settings.api_url)} ({_error(exc)})")]
    if not body.get("ok"):
        error = str(body.get("error", "unknown error"))
        hint = _HINTS.get(error, "see https://api.slack.com/methods/auth.test")
        return [Check(FAIL, "slack credentials", f"auth.test said {error}: {hint} (SLACK_BOT_TOKEN)")]
    who = f"bot user {body.get('user_id', '?')} in workspace {body.get('team', '?')!r} ({body.get('team_id', '?')})"
    found = [Check(PASS, "slack credentials", f"SLACK_BOT_TOKEN is valid: {who}")]
    found.append(_scopes(headers.get("X-OAuth-Scopes"), find_manifest(env.repo_dirs)))
    if settings.app_token is not None and settings.app_token.get_secret_value():
        found.append(await _socket_mode(http, settings))
    return found


def find_manifest(dirs: tuple[Path, ...]) -> Path | None:
    """The first ``deploy/slack/manifest.yml`` in ``dirs``."""
    for base in dirs:
        if (base / MANIFEST).is_file():
            return base / MANIFEST
    return None


def manifest_scopes(path: Path) -> set[str]:
    """The bot scopes a Slack app manifest asks for (``oauth_config.scopes.bot``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
    return {str(s).strip() for s in scopes if str(s).strip()}


async def _call(
    http: aiohttp.ClientSession, settings: SlackSettings, method: str, token: str
) -> tuple[dict[str, Any], Any]:
    url = settings.api_url.rstrip("/") + "/" + method
    async with http.post(url, headers={"Authorization": f"Bearer {token}"}) as resp:
        try:
            body = await resp.json(content_type=None)
        except ValueError:
            body = {"ok": False, "error": f"HTTP {resp.status}, not a Slack API answer"}
        if not isinstance(body, dict):
            body = {"ok": False, "error": f"HTTP {resp.status}, not a Slack API answer"}
        return body, resp.headers


def _scopes(header: str | None, manifest: Path | None) -> Check:
    if header is None:
        return Check(SKIP, "slack scopes", "the API did not report the token's scopes (X-OAuth-Scopes)")
    granted = {s.strip() for s in header.split(",") if s.strip()}
    if manifest is None:
        return Check(PASS, "slack scopes", f"granted: {', '.join(sorted(granted))} (no manifest found to compare)")
    try:
        wanted = manifest_scopes(manifest)
    except (OSError, yaml.YAMLError) as exc:
        return Check(FAIL, "slack scopes", f"cannot read {manifest}: {_error(exc)}")
    missing = sorted(wanted - granted)
    if missing:
        return Check(
            FAIL,
            "slack scopes",
            f"missing {', '.join(missing)} (asked for by {manifest.name}): reinstall the app to the workspace",
        )
    return Check(PASS, "slack scopes", f"all {len(wanted)} scopes of {manifest.name} granted")


async def _socket_mode(http: aiohttp.ClientSession, settings: SlackSettings) -> Check:
    assert settings.app_token is not None
    try:
        body, _ = await _call(http, settings, "apps.connections.open", settings.app_token.get_secret_value())
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Check(FAIL, "slack socket mode", f"cannot reach {redact_url(settings.api_url)} ({_error(exc)})")
    if body.get("ok"):
        return Check(PASS, "slack socket mode", "SLACK_APP_TOKEN can open Socket Mode connections")
    error = str(body.get("error", "unknown error"))
    hint = _HINTS.get(error, "turn Socket Mode on and give the app-level token connections:write")
    return Check(FAIL, "slack socket mode", f"apps.connections.open said {error}: {hint} (SLACK_APP_TOKEN)")


def _error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"
