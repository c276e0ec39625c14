"""``secondround doctor``: is this installation ready to run? One PASS/FAIL line per check.

Checks, in order: the configuration (and what each configured platform needs), the knowledge base,
the data and cache folders, the database (reachable, migrated), then per configured platform its
own checks (:meth:`bot.ops.plugins.PlatformSettings.doctor`, e.g. its credentials). Every installed
plugin takes part; one that is not configured is skipped, not failed. Nothing printed holds a secret
(every line goes through :func:`bot.ops.logs.Redactor`). The exit status is 0 when nothing failed,
1 otherwise.

Plugins talk HTTP themselves (aiohttp), so the core imports no platform SDK.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import aiohttp

from bot import __version__
from bot.common.settings import ConfigError, Settings, redact_url, url_secrets
from bot.ops import plugins
from bot.ops.logs import Redactor, settings_secrets
from bot.ops.plugins import Check, CheckStatus, DoctorEnv, PlatformSettings

TIMEOUT = 10.0
PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP


def doctor_env(settings: Settings, repo_dirs: tuple[Path, ...] | None = None) -> DoctorEnv:
    """What the plugins' checks get: the version, where to look for files (cwd, then the checkout)."""
    dirs = repo_dirs if repo_dirs is not None else (Path.cwd(), Path(__file__).resolve().parents[2])
    return DoctorEnv(version=__version__, repo_dirs=dirs, core=settings)


async def run_checks(settings: Settings, out: TextIO, *, env: DoctorEnv | None = None) -> int:
    """Run every check, print one line each and a summary; return 0 if none failed, else 1.

    ``env`` is what the platforms' checks get (default: :func:`doctor_env`).
    """
    platforms = plugins.load_all(settings)
    env = env or doctor_env(settings)
    urls = [settings.effective_database_url, *(u for ps in platforms.values() for u in ps.urls())]
    redactor = Redactor([*settings_secrets(settings), *(v for url in urls for v in url_secrets(url))])
    results: list[Check] = []

    def report(check: Check) -> None:
        results.append(check)
        print(redactor.text(check.line()), file=out, flush=True)

    for check in _configuration(settings, platforms):
        report(check)
    report(_knowledge(settings.knowledge_dir))
    for check in _folders(settings):
        report(check)
    for check in await asyncio.to_thread(_database, settings):
        report(check)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for name, psettings in platforms.items():
            if not plugins.discover()[name].listed:
                continue
            if not psettings.configured():
                report(Check(SKIP, name, psettings.why_not_configured()))
                continue
            try:
                found = await psettings.doctor(http, env)
            except (aiohttp.ClientError, TimeoutError) as exc:
                found = [Check(FAIL, f"{name} credentials", f"cannot reach it ({_error(exc)})")]
            for check in found:
                report(check)
    failed = [c for c in results if c.status == FAIL]
    passed = sum(1 for c in results if c.status == PASS)
    summary = f"{passed} passed, {len(failed)} failed, {len(results) - passed - len(failed)} skipped"
    print(f"doctor: {summary}" + (": fix the FAIL lines above" if failed else ""), file=out, flush=True)
    return 1 if failed else 0


def report_config_error(error: ConfigError, out: TextIO) -> int:
    """Print an unusable configuration as FAIL lines (``secondround doctor`` with bad settings); returns 1."""
    for problem in str(error).splitlines():
        print(Check(FAIL, "configuration", problem).line(), file=out, flush=True)
    print("doctor: the configuration is unusable; nothing else was checked", file=out, flush=True)
    return 1


# configuration and files ---------------------------------------------------------------------------


def _configuration(settings: Settings, platforms: Mapping[str, PlatformSettings]) -> list[Check]:
    db = redact_url(settings.effective_database_url)
    health = settings.health_addr or "off"
    shown = f"valid (database {db}; health endpoint {health}; logs {settings.log_format})"
    checks = [Check(PASS, "configuration", shown)]
    for platform, psettings in platforms.items():
        if not plugins.discover()[platform].listed or not psettings.configured():
            continue
        try:
            psettings.require(settings)
        except ConfigError as exc:
            checks.extend(Check(FAIL, f"{platform} configuration", line) for line in str(exc).splitlines())
        else:
            checks.append(
                Check(
                    PASS,
                    f"{platform} configuration",
                    f"the variables `run {platform}` needs are set{psettings.mode()}",
                )
            )
    return checks


def _knowledge(override: Path | None = None) -> Check:
    from bot.knowledge.check import load_with_override
    from bot.knowledge.library import KnowledgeError

    try:
        knowledge = load_with_override(override)  # the packaged content, and SECONDROUND_KNOWLEDGE_DIR's
    except KnowledgeError as exc:
        return Check(FAIL, "knowledge base", str(exc).splitlines()[0])
    return Check(PASS, "knowledge base", f"valid ({len(knowledge.topics)} coaching topics)")


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
            checks.append(Check(FAIL, "data folder", f"{settings.data_dir} is not writable ({problem})"))
        else:
            checks.append(Check(PASS, "data folder", f"{settings.data_dir} is writable"))
    cache = settings.cache_dir
    problem = _unwritable(cache)
    if not problem:
        checks.append(Check(PASS, "cache folder", f"{cache} is writable"))
    elif _models_shipped():
        checks.append(
            Check(PASS, "cache folder", f"{cache} is read-only ({problem}); the language models ship with the package")
        )
    elif _models_present(settings):
        checks.append(
            Check(PASS, "cache folder", f"{cache} is read-only ({problem}) and holds this version's language models")
        )
    else:
        checks.append(
            Check(
                FAIL,
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
        return [Check(FAIL, "database", f"cannot open {shown}: {_error(exc)}")]
    try:
        try:
            db.ping()
        except Exception as exc:
            return [Check(FAIL, "database", f"cannot connect to {shown}: {_error(exc)}")]
        checks = [Check(PASS, "database", f"connected to {shown}")]
        current, head = migrate.current_revision(db), migrate.head_revision(db)
        if current == head:
            checks.append(Check(PASS, "migrations", f"at the newest revision ({head})"))
        elif db.is_sqlite:
            checks.append(
                Check(
                    PASS,
                    "migrations",
                    f"at {current or 'none (a new database)'}, newest {head}: SQLite is upgraded at start",
                )
            )
        else:
            checks.append(
                Check(
                    FAIL,
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
