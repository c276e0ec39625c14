"""The career office's commands: ``secondround report`` and ``secondround knowledge check|export``.

Kept apart from :mod:`bot.ops.cli`, which only registers them (:func:`add_parsers`, :data:`COMMANDS`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.common.settings import Settings


class OfficeUsageError(Exception):
    """A mistake on the command line; the message says what to do instead."""


def add_parsers(sub: Any) -> None:
    """Add ``report`` and ``knowledge`` to the ``secondround`` sub-command parser."""
    from bot.office.report import FORMATS

    report = sub.add_parser(
        "report",
        help="the career office's report: anonymous counts of what students need",
        description="Anonymous counts only: any figure about fewer than 5 students shows as '< 5'.",
    )
    report.add_argument("--since", metavar="DATE", help="count from this day, YYYY-MM-DD (default: the term start)")
    report.add_argument("--workspace", metavar="ID", help="only this workspace (the platform's team id)")
    report.add_argument("--format", choices=FORMATS, default="json", help="html, json or csv (default: json)")
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of the terminal")

    knowledge = sub.add_parser("knowledge", help="check or export the coaching content (no release needed)")
    actions = knowledge.add_subparsers(dest="knowledge_action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate a knowledge folder (default: SECONDROUND_KNOWLEDGE_DIR)")
    check.add_argument("dir", nargs="?", help="the folder to check")
    export = actions.add_parser("export", help="write the packaged content into a new folder, to start editing")
    export.add_argument("dir", help="a folder that does not exist yet (or is empty)")

    keys = sub.add_parser("keys", help="the keys that encrypt installed workspaces' tokens")
    key_actions = keys.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    key_actions.add_parser("new", help="print a new key for SECONDROUND_TOKEN_KEYS")
    key_actions.add_parser("rotate", help="re-encrypt every stored installation with the first key")


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """``secondround report``: the figures in the chosen format, on stdout or in ``--output``."""
    from bot.common.clock import OffsetClock, SystemClock
    from bot.office.insights import compute
    from bot.office.report import render
    from bot.storage import migrate
    from bot.storage.db import Database
    from bot.storage.insights import Scope
    from bot.storage.migrate import check_schema

    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError:
            raise OfficeUsageError(f"--since: {args.since!r} is not a date like 2026-09-01") from None
    db = Database.from_settings(settings, statement_limit=False)
    try:
        if db.is_sqlite:
            migrate.upgrade(db)  # as the bot itself does with its embedded database
        else:
            check_schema(db)
        now = (OffsetClock(settings.now) if settings.now else SystemClock()).now()
        if since is not None and since > now.date():
            raise OfficeUsageError(f"--since: {since} is in the future")
        scope = Scope(workspace=args.workspace) if args.workspace else Scope()
        text = render(compute(db, now, since=since, scope=scope, term=settings.term_start), args.format)
    finally:
        db.dispose()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_knowledge(settings: Settings, args: argparse.Namespace) -> int:
    """``secondround knowledge check [DIR]`` and ``secondround knowledge export DIR``."""
    from bot.knowledge.check import check, export

    if args.knowledge_action == "export":
        written = export(Path(args.dir))
        print(f"wrote {len(written)} files into {args.dir}; edit them, then point SECONDROUND_KNOWLEDGE_DIR at it")
        return 0
    folder = Path(args.dir) if args.dir else settings.knowledge_dir
    if folder is None:
        raise OfficeUsageError("knowledge check needs a folder (or set SECONDROUND_KNOWLEDGE_DIR)")
    problems = check(folder)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {folder}: the bot would refuse this knowledge", file=sys.stderr)
        return 1
    print(f"{folder}: OK")
    return 0


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    """``secondround keys new`` and ``secondround keys rotate`` (docs/career-office.md, rotation)."""
    from cryptography.fernet import Fernet

    if args.keys_action == "new":
        print(Fernet.generate_key().decode())
        return 0
    from bot.office.workspaces import Cipher, Workspaces
    from bot.storage.db import Database
    from bot.storage.migrate import check_schema

    if settings.token_keys is None:
        raise OfficeUsageError("keys rotate needs SECONDROUND_TOKEN_KEYS (the new key first, then the old ones)")
    db = Database.from_settings(settings, statement_limit=False)
    try:
        check_schema(db)
        done = Workspaces(db, Cipher(settings.token_keys.get_secret_value())).rotate_keys()
    except ValueError as exc:
        raise OfficeUsageError(f"keys rotate: {exc}") from None
    finally:
        db.dispose()
    print(f"re-encrypted {done} installation(s) with the first key; the other keys can now be removed")
    return 0


async def serve_reloading(runtime: Any, serve: Callable[[Any], Awaitable[int]]) -> int:
    """``serve(runtime)``, reloading the knowledge on SIGHUP (an invalid edit keeps the old one, logged)."""
    from bot.knowledge.check import reload

    loop = asyncio.get_running_loop()
    busy: list[asyncio.Future[Any]] = []

    def on_hangup() -> None:
        if busy and not busy[0].done():
            return
        busy[:] = [loop.run_in_executor(None, reload, runtime.app)]

    with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, on_hangup)
    try:
        return await serve(runtime)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.remove_signal_handler(signal.SIGHUP)
