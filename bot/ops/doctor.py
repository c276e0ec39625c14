"""``secondround doctor``: is this installation ready to run? One PASS/FAIL line per check.

Checks, in order: the configuration (and what each configured platform needs), the knowledge base,
the data and cache folders, the database (reachable, migrated), then per configured platform its
credentials: Slack ``auth.test`` (and the granted scopes against ``deploy/slack/manifest.yml`` when
that file is found), the Slack app-level token (``apps.connections.open``) for Socket Mode, and
Discord ``GET /users/@me``. A platform with no token is skipped, not failed. Nothing printed holds
a secret (every line goes through :func:`bot.ops.logs.Redactor`). The exit status is 0 when nothing
failed, 1 otherwise.

It talks HTTP itself (aiohttp) so the core imports no platform SDK.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import aiohttp
import yaml
from pydantic import SecretStr

from bot.common.settings import ConfigError, Settings, redact_url, url_secrets
from bot.ops.logs import Redactor, settings_secrets

TIMEOUT = 10.0
MANIFEST = Path("deploy/slack/manifest.yml")
Status = Literal["PASS", "FAIL", "SKIP"]


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    status: Status
    name: str
    detail: str

    def line(self) -> str:
        """How it is printed."""
        return f"{self.status}  {self.name}: {self.detail}"


async def run_checks(settings: Settings, out: TextIO, *, manifest: Path | None = None) -> int:
    """Run every check, print one line each and a summary; return 0 if none failed, else 1.

    ``manifest`` is the Slack app manifest whose bot scopes the token must have (default: the
    first ``deploy/slack/manifest.yml`` found in the working directory or beside the package).
    """
    redactor = Redactor([*settings_secrets(settings), *(v for url in _urls(settings) for v in url_secrets(url))])
    results: list[Check] = []

    def report(check: Check) -> None:
        results.append(check)
        print(redactor.text(check.line()), file=out, flush=True)

    for check in _configuration(settings):
        report(check)
    report(_knowledge(settings.knowledge_dir))
    for check in _folders(settings):
        report(check)
    for check in await asyncio.to_thread(_database, settings):
        report(check)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        if settings.slack_oauth:  # many workspaces: no one token to check (docs/career-office.md)
            report(Check("SKIP", "slack", "installed per workspace (SLACK_CLIENT_ID): tokens are checked as used"))
        elif not _set(settings.slack_bot_token):
            report(Check("SKIP", "slack", "SLACK_BOT_TOKEN is not set (Slack is not configured)"))
        else:
            for check in await _slack(http, settings, manifest if manifest is not None else _find_manifest()):
                report(check)
        if not _set(settings.discord_token):
            report(Check("SKIP", "discord", "DISCORD_TOKEN is not set (Discord is not configured)"))
        else:
            report(await _discord(http, settings))
    failed = [c for c in results if c.status == "FAIL"]
    passed = sum(1 for c in results if c.status == "PASS")
    summary = f"{passed} passed, {len(failed)} failed, {len(results) - passed - len(failed)} skipped"
    print(f"doctor: {summary}" + (": fix the FAIL lines above" if failed else ""), file=out, flush=True)
    return 1 if failed else 0


def report_config_error(error: ConfigError, out: TextIO) -> int:
    """Print an unusable configuration as FAIL lines (``secondround doctor`` with bad settings); returns 1."""
    for problem in str(error).splitlines():
        print(Check("FAIL", "configuration", problem).line(), file=out, flush=True)
    print("doctor: the configuration is unusable; nothing else was checked", file=out, flush=True)
    return 1


# configuration and files ---------------------------------------------------------------------------


def _urls(settings: Settings) -> list[str]:
    """Every URL in the settings (they may carry a password or a token)."""
    return [
        settings.effective_database_url,
        settings.slack_api_url,
        settings.discord_api_url,
        settings.discord_gateway_url,
    ]


def _configuration(settings: Settings) -> list[Check]:
    db = redact_url(settings.effective_database_url)
    health = settings.health_addr or "off"
    checks = [
        Check("PASS", "configuration", f"valid (database {db}; health endpoint {health}; logs {settings.log_format})")
    ]
    for platform, configured, require in (
        ("slack", _set(settings.slack_bot_token) or settings.slack_oauth, settings.require_slack),
        ("discord", _set(settings.discord_token), settings.require_discord),
    ):
        if not configured:
            continue
        try:
            require()
        except ConfigError as exc:
            checks.extend(Check("FAIL", f"{platform} configuration", line) for line in str(exc).splitlines())
        else:
            mode = ""
            if platform == "slack":
                mode = " (Socket Mode)" if _set(settings.slack_app_token) else " (HTTP mode, signing secret set)"
                mode = " (many workspaces: OAuth install at /slack/install)" if settings.slack_oauth else mode
            checks.append(
                Check("PASS", f"{platform} configuration", f"the variables `run {platform}` needs are set{mode}")
            )
    return checks


def _set(secret: SecretStr | None) -> bool:
    """Whether a secret setting has a value (``NAME=`` with nothing after it counts as unset)."""
    return secret is not None and bool(secret.get_secret_value())


def _knowledge(override: Path | None = None) -> Check:
    from bot.knowledge.check import load_with_override
    from bot.knowledge.library import KnowledgeError

    try:
        knowledge = load_with_override(override)  # the packaged content, and SECONDROUND_KNOWLEDGE_DIR's
    except KnowledgeError as exc:
        return Check("FAIL", "knowledge base", str(exc).splitlines()[0])
    return Check("PASS", "knowledge base", f"valid ({len(knowledge.topics)} coaching topics)")


def _folders(settings: Settings) -> list[Check]:
    """The data folder (SQLite only) must be writable; the cache folder writable or ready-made.

    A read-only cache folder is fine when the package's shipped language models match its training
    data, or when the folder already holds models trained for edited training data: nothing needs
    writing there then (Kubernetes runs the image with a read-only root file system).
    """
    checks = []
    if not settings.database_url:
        problem = _unwritable(settings.data_dir)
        if problem:
            checks.append(Check("FAIL", "data folder", f"{settings.data_dir} is not writable ({problem})"))
        else:
            checks.append(Check("PASS", "data folder", f"{settings.data_dir} is writable"))
    cache = settings.cache_dir
    problem = _unwritable(cache)
    if not problem:
        checks.append(Check("PASS", "cache folder", f"{cache} is writable"))
    elif _models_shipped():
        checks.append(
            Check(
                "PASS", "cache folder", f"{cache} is read-only ({problem}); the language models ship with the package"
            )
        )
    elif _models_present(settings):
        checks.append(
            Check("PASS", "cache folder", f"{cache} is read-only ({problem}) and holds this version's language models")
        )
    else:
        checks.append(
            Check(
                "FAIL",
                "cache folder",
                f"{cache} is not writable ({problem}) and does not hold this version's language models: "
                "make it writable (e.g. a Kubernetes emptyDir) or use an image built by deploy/Dockerfile",
            )
        )
    return checks


def _unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be written to, or None when it can (it is created if missing)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def _models_shipped() -> bool:
    """Whether the package's own trained models match its training data (nothing to train or cache)."""
    from bot.nlu import data_digest, shipped_digest

    return data_digest() == shipped_digest()


def _models_present(settings: Settings) -> bool:
    """Whether the cache holds trained language models for this version's training data."""
    from bot.nlu import model_files
    from bot.ops.app import nlu_cache_dir

    return all(path.is_file() and os.access(path, os.R_OK) for path in model_files(cache_dir=nlu_cache_dir(settings)))


# database --------------------------------------------------------------------------------------------


def _database(settings: Settings) -> list[Check]:
    from bot.storage import migrate
    from bot.storage.db import Database

    shown = redact_url(settings.effective_database_url)
    try:
        db = Database.from_settings(settings)  # bounded by the same timeouts as the bot
    except Exception as exc:
        return [Check("FAIL", "database", f"cannot open {shown}: {_error(exc)}")]
    try:
        try:
            db.ping()
        except Exception as exc:
            return [Check("FAIL", "database", f"cannot connect to {shown}: {_error(exc)}")]
        checks = [Check("PASS", "database", f"connected to {shown}")]
        current, head = migrate.current_revision(db), migrate.head_revision(db)
        if current == head:
            checks.append(Check("PASS", "migrations", f"at the newest revision ({head})"))
        elif db.is_sqlite:
            checks.append(
                Check(
                    "PASS",
                    "migrations",
                    f"at {current or 'none (a new database)'}, newest {head}: SQLite is upgraded at start",
                )
            )
        else:
            checks.append(
                Check(
                    "FAIL",
                    "migrations",
                    f"the database is at {current or 'none'}, this version needs {head}: run `secondround db upgrade`",
                )
            )
        return checks
    finally:
        db.dispose()


def _error(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


# Slack -----------------------------------------------------------------------------------------------


def _find_manifest() -> Path | None:
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (base / MANIFEST).is_file():
            return base / MANIFEST
    return None


def manifest_scopes(path: Path) -> set[str]:
    """The bot scopes a Slack app manifest asks for (``oauth_config.scopes.bot``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
    return {str(s).strip() for s in scopes if str(s).strip()}


async def _slack_call(
    http: aiohttp.ClientSession, settings: Settings, method: str, token: str
) -> tuple[dict[str, Any], Any]:
    url = settings.slack_api_url.rstrip("/") + "/" + method
    async with http.post(url, headers={"Authorization": f"Bearer {token}"}) as resp:
        try:
            body = await resp.json(content_type=None)
        except ValueError:
            body = {"ok": False, "error": f"HTTP {resp.status}, not a Slack API answer"}
        if not isinstance(body, dict):
            body = {"ok": False, "error": f"HTTP {resp.status}, not a Slack API answer"}
        return body, resp.headers


_SLACK_HINTS = {
    "invalid_auth": "the token is wrong or belongs to another workspace",
    "not_authed": "no token was sent",
    "token_revoked": "the token was revoked: reinstall the app and copy the new token",
    "account_inactive": "the app or its workspace was deactivated",
    "not_allowed_token_type": "this is not the kind of token needed here",
}


async def _slack(http: aiohttp.ClientSession, settings: Settings, manifest: Path | None) -> list[Check]:
    assert settings.slack_bot_token is not None
    token = settings.slack_bot_token.get_secret_value()
    try:
        body, headers = await _slack_call(http, settings, "auth.test", token)
    except (aiohttp.ClientError, TimeoutError) as exc:
        where = redact_url(settings.slack_api_url)
        return [Check("FAIL", "slack credentials", f"cannot reach {where} ({_error(exc)})")]
    if not body.get("ok"):
        error = str(body.get("error", "unknown error"))
        hint = _SLACK_HINTS.get(error, "see https://api.slack.com/methods/auth.test")
        return [Check("FAIL", "slack credentials", f"auth.test said {error}: {hint} (SLACK_BOT_TOKEN)")]
    who = f"bot user {body.get('user_id', '?')} in workspace {body.get('team', '?')!r} ({body.get('team_id', '?')})"
    checks = [Check("PASS", "slack credentials", f"SLACK_BOT_TOKEN is valid: {who}")]
    checks.append(_slack_scopes(headers.get("X-OAuth-Scopes"), manifest))
    if _set(settings.slack_app_token):
        checks.append(await _slack_socket_mode(http, settings))
    return checks


def _slack_scopes(header: str | None, manifest: Path | None) -> Check:
    if header is None:
        return Check("SKIP", "slack scopes", "the API did not report the token's scopes (X-OAuth-Scopes)")
    granted = {s.strip() for s in header.split(",") if s.strip()}
    if manifest is None:
        return Check("PASS", "slack scopes", f"granted: {', '.join(sorted(granted))} (no manifest found to compare)")
    try:
        wanted = manifest_scopes(manifest)
    except (OSError, yaml.YAMLError) as exc:
        return Check("FAIL", "slack scopes", f"cannot read {manifest}: {_error(exc)}")
    missing = sorted(wanted - granted)
    if missing:
        return Check(
            "FAIL",
            "slack scopes",
            f"missing {', '.join(missing)} (asked for by {manifest.name}): reinstall the app to the workspace",
        )
    return Check("PASS", "slack scopes", f"all {len(wanted)} scopes of {manifest.name} granted")


async def _slack_socket_mode(http: aiohttp.ClientSession, settings: Settings) -> Check:
    assert settings.slack_app_token is not None
    try:
        body, _ = await _slack_call(
            http, settings, "apps.connections.open", settings.slack_app_token.get_secret_value()
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        where = redact_url(settings.slack_api_url)
        return Check("FAIL", "slack socket mode", f"cannot reach {where} ({_error(exc)})")
    if body.get("ok"):
        return Check("PASS", "slack socket mode", "SLACK_APP_TOKEN can open Socket Mode connections")
    error = str(body.get("error", "unknown error"))
    hint = _SLACK_HINTS.get(error, "turn Socket Mode on and give the app-level token connections:write")
    return Check("FAIL", "slack socket mode", f"apps.connections.open said {error}: {hint} (SLACK_APP_TOKEN)")


# Discord ---------------------------------------------------------------------------------------------


async def _discord(http: aiohttp.ClientSession, settings: Settings) -> Check:
    assert settings.discord_token is not None
    url = settings.discord_api_url.rstrip("/") + "/users/@me"
    headers = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}", "User-Agent": _user_agent()}
    try:
        async with http.get(url, headers=headers) as resp:
            status = resp.status
            body = await resp.json(content_type=None) if status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        where = redact_url(settings.discord_api_url)
        return Check("FAIL", "discord credentials", f"cannot reach {where} ({_error(exc)})")
    if status == 401:
        return Check(
            "FAIL", "discord credentials", "Discord answered 401 Unauthorized: DISCORD_TOKEN is wrong or was reset"
        )
    if status != 200 or not isinstance(body, dict):
        return Check("FAIL", "discord credentials", f"GET /users/@me answered HTTP {status}")
    if not body.get("bot"):
        return Check("FAIL", "discord credentials", "DISCORD_TOKEN is not a bot token (use the Bot page's token)")
    name = body.get("global_name") or body.get("username", "?")
    return Check("PASS", "discord credentials", f"DISCORD_TOKEN is valid: bot {name!r} ({body.get('id', '?')})")


def _user_agent() -> str:
    from bot import __version__

    return f"DiscordBot (https://github.com/secondround, {__version__}) secondround-doctor pid/{os.getpid()}"
