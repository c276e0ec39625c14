"""The ``secondround`` command line: chat, nlu, run, db, doctor, config."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from bot import __version__
from bot.common.settings import ConfigError, Settings, check_zone, load_settings
from bot.knowledge.library import KnowledgeError
from bot.office import cli as office_cli
from bot.ops import plugins

if TYPE_CHECKING:
    from bot.common.types import ConversationRef

log = logging.getLogger("secondround")
SERVER_ARENAS = 2  # C allocator heaps for `secondround run` (glibc's default: eight per CPU)


class UsageError(Exception):
    """A command-line mistake; the message says what to do instead."""


@runtime_checkable
class Conversation(Protocol):
    """What ``secondround chat`` needs of the console plugin's adapter."""

    ref: ConversationRef

    async def converse(self) -> None:
        """Talk until the input ends."""


def platform(name: str) -> plugins.Platform:
    """The plugin ``secondround run`` knows as ``name`` (entry point group ``secondround.adapters``)."""
    found = plugins.runnable()
    if name not in found:
        known = ", ".join(found) or "none installed"
        raise UsageError(f"unknown platform {name!r} (available: {known})")
    return found[name]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="secondround",
        description="SecondRound: a chat coach for second job interviews (in this terminal or a chat platform).",
    )
    p.add_argument("--version", action="version", version=f"secondround {__version__}")
    p.add_argument("--env-file", help="a file of NAME=value settings (environment variables win)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", help="talk to the coach in this terminal")
    chat.add_argument("--user", default="local", help="who you are (keeps separate people's data apart)")
    chat.add_argument("--tz", help="your IANA time zone, e.g. Europe/Berlin")
    chat.add_argument("--jsonl", action="store_true", help="one JSON object per line in and out (for scripts)")

    nlu = sub.add_parser("nlu", help="show how messages are understood (one per line on stdin)")
    nlu.add_argument("--now", help="the local time the messages were sent, YYYY-MM-DDTHH:MM (default: now)")
    nlu.add_argument("--tz", help="the sender's IANA time zone (default: SECONDROUND_DEFAULT_TZ)")

    run = sub.add_parser("run", help="connect to chat platforms and serve users")
    installed = plugins.runnable()
    run.add_argument(
        "platforms", nargs="+", metavar="PLATFORM", help=f"one or more of: {', '.join(installed) or 'none installed'}"
    )
    for name, plugin in installed.items():
        plugin.add_options(run.add_argument_group(f"{name} options"))

    db = sub.add_parser("db", help="database migrations")
    db.add_argument(
        "action",
        choices=["upgrade", "current", "purge", "copy"],
        help="upgrade: apply migrations; current: show level; purge: delete data past SECONDROUND_RETENTION_DAYS "
        "now; copy: copy every row into the empty database given with --to",
    )
    db.add_argument("--to", metavar="URL", help="copy: the target database, e.g. postgresql://user:pass@host/db")

    sub.add_parser(
        "feedback",
        help='feedback on interview answers: JSON lines {"question": ..., "answer": ...} in, one object per line out',
    )
    sub.add_parser("doctor", help="check configuration, database and platform credentials")
    sub.add_parser("config", help="print the effective configuration (secrets masked)")
    office_cli.add_parsers(sub)
    return p


def _setup_logging(settings: Settings, quiet: bool) -> None:
    from bot.ops.logs import configure

    configure(settings, level="WARNING" if quiet else None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = load_settings(args.env_file)
        _setup_logging(
            settings,
            quiet=args.command in {"chat", "nlu", "config", "db", "doctor", "feedback", "report", "knowledge", "keys"},
        )
        return int(COMMANDS[args.command](settings, args) or 0)
    except (ConfigError, KnowledgeError, UsageError, office_cli.OfficeUsageError) as exc:
        if args.command == "doctor" and isinstance(exc, ConfigError):
            from bot.ops.doctor import report_config_error

            return report_config_error(exc, sys.stdout)
        print(f"secondround: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # no traceback for users; the log has the details at DEBUG
        log.debug("fatal", exc_info=True)
        print(f"secondround: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _cmd_nlu(settings: Settings, args: argparse.Namespace) -> int:
    from bot.nlu import NLU
    from bot.ops.app import nlu_cache_dir

    tz = args.tz or settings.default_tz
    try:
        check_zone(tz)
    except ValueError as exc:
        raise UsageError(f"--tz: {exc}") from None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            raise UsageError(f"--now: {args.now!r} is not a date-time like 2026-03-02T10:00") from None
        now = now.replace(tzinfo=None) if now.tzinfo is None else now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    else:
        now = datetime.now(ZoneInfo(tz)).replace(tzinfo=None)
    nlu = NLU.load(cache_dir=nlu_cache_dir(settings))
    for line in sys.stdin:
        text = line.rstrip("\n")
        print(json.dumps(nlu.parse(text, now, tz).as_json(), ensure_ascii=False), flush=True)
    return 0


def _cmd_feedback(settings: Settings, args: argparse.Namespace) -> int:
    from bot.feedback.cli import main as feedback_main

    return feedback_main(sys.stdin, sys.stdout)


def _migrate_apart(settings: Settings, args: argparse.Namespace) -> None:
    """Bring the embedded database to the newest schema in a child process (``secondround db upgrade``).

    Alembic and its templates then never load into the long-running process (about 11 MB it would
    keep for nothing). If the child fails, :meth:`App.build` migrates in-process and reports why.
    """
    _wait_migration(_start_migration(settings, args))


def _start_migration(settings: Settings, args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    """:func:`_migrate_apart`'s child, started (None when the database needs none); see :func:`_wait_migration`."""
    from bot.storage import migrate
    from bot.storage.db import Database

    db = Database.from_settings(settings)
    try:
        if not db.is_sqlite or migrate.at_head(db):
            return None
    finally:
        db.dispose()
    env_file = ["--env-file", str(args.env_file)] if args.env_file else []
    return subprocess.Popen(
        [sys.executable, "-c", _UPGRADE_CHILD, *env_file],  # (not `db upgrade`: no plugins, no coach)
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


_UPGRADE_CHILD = "import sys; from bot.ops.cli import upgrade_child; sys.exit(upgrade_child(sys.argv[1:]))"


def upgrade_child(argv: Sequence[str]) -> int:
    """The migrating child of a first start: bring the embedded database to the newest schema, nothing else.

    ``secondround db upgrade`` does the same work, but its command line is built from every installed
    plugin, which loads the runtime, the coach and the platforms' packages (about 0.8 s of imports);
    this loads the settings, the database and Alembic only, so it is done sooner and leaves the cores
    to the start it overlaps. 0 when the database is at the newest revision, 1 on any failure (the
    parent's ``App.build`` then migrates in-process and reports why).
    """
    from bot.storage import migrate
    from bot.storage.db import Database

    env_file = argv[1] if len(argv) >= 2 and argv[0] == "--env-file" else None
    try:
        db = Database.from_settings(load_settings(env_file), statement_limit=False)
        try:
            migrate.upgrade(db)
        finally:
            db.dispose()
    except Exception:  # (the parent migrates in-process, and says what went wrong)
        return 1
    return 0


def _wait_migration(child: subprocess.Popen[bytes] | None) -> None:
    """Wait for the migrating child (up to 10 minutes; a failed one is App.build's to report)."""
    if child is None:
        return
    try:
        child.wait(timeout=600)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _warm_ranking(knowledge: Any) -> None:
    """Build the advice ranking's index (the first coaching question's biggest cost) ahead of that question."""
    try:
        from bot.coaching.advice import index

        index(knowledge)
    except Exception:  # the first question builds it again, and reports what goes wrong
        log.debug("ranking_warm_up_failed", exc_info=True)


def _cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from bot.knowledge.check import load_with_override
    from bot.nlu import NLU
    from bot.ops.app import App, nlu_cache_dir
    from bot.ops.runtime import Runtime

    if args.tz:
        try:
            check_zone(args.tz)
        except ValueError as exc:
            raise UsageError(f"--tz: {exc}") from None
    # a new data folder's migration (a child process, ~1.5 s) overlaps loading the knowledge and the
    # models, and building the ranking index on a thread of its own; they do not touch the database
    child = _start_migration(settings, args)
    knowledge = load_with_override(settings.knowledge_dir)
    threading.Thread(target=_warm_ranking, args=(knowledge,), name="ranking-warm-up", daemon=True).start()
    nlu = NLU.load(cache_dir=nlu_cache_dir(settings))
    _wait_migration(child)
    app = App.build(settings, knowledge=knowledge, nlu=nlu)
    runtime = Runtime(app, health=False)
    console_plugin = plugins.discover()["console"]
    console = console_plugin.build(runtime, plugins.load(console_plugin, settings), args)
    if not isinstance(console, Conversation):
        raise UsageError("the installed console plugin cannot hold a conversation")
    runtime.add(console)
    if args.tz:
        try:
            app.coach.set_timezone(console.ref, args.tz)
        except OperationalError:  # the database is down: the chat still coaches, and says so
            log.warning("storage_unavailable", extra={"while": "setting the time zone"})

    async def chat() -> None:
        await runtime.start()
        if runtime.reminder_engine is not None:
            try:
                await runtime.reminder_engine.tick()  # what fell due while no chat was open comes first
            except OperationalError:  # the database is down: its sweep tries again later
                log.warning("storage_unavailable", extra={"while": "sending due reminders"})
        try:
            await console.converse()
        finally:
            await runtime.stop()

    try:
        asyncio.run(chat())
    finally:
        app.close()
    return 0


def _cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.common.memory import limit_arenas
    from bot.ops.app import App
    from bot.ops.runtime import Runtime, serve

    limit_arenas(SERVER_ARENAS)  # before the server's threads start (bot/common/memory.py)
    names = list(dict.fromkeys(args.platforms))
    chosen = [platform(name) for name in names]
    loaded = [plugins.load(plugin, settings) for plugin in chosen]
    for psettings in loaded:
        psettings.require(settings)
    _migrate_apart(settings, args)
    app = App.build(settings)
    try:
        runtime = Runtime(app)
        for plugin, psettings in zip(chosen, loaded, strict=True):
            runtime.add(plugin.build(runtime, psettings, args))
        return asyncio.run(office_cli.serve_reloading(runtime, serve))
    finally:
        app.close()


def _cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage import migrate
    from bot.storage.db import Database

    db = Database.from_settings(settings, statement_limit=False)  # an operator's command may take long
    try:
        if args.action == "upgrade":
            before = migrate.current_revision(db)
            migrate.upgrade(db)
            after = migrate.current_revision(db)
            print(
                f"database at {after}" + (f" (was {before or 'empty'})" if before != after else " (already up to date)")
            )
        elif args.action == "purge":
            _purge(settings, db)
        elif args.action == "copy":
            _copy(settings, db, args.to)
        else:
            print(f"current: {migrate.current_revision(db) or 'empty'}; newest: {migrate.head_revision(db)}")
    finally:
        db.dispose()
    return 0


def _purge(settings: Settings, db: Any) -> None:
    from bot.common.clock import OffsetClock, SystemClock
    from bot.ops.events import EventLog
    from bot.ops.retention import cutoff, purge
    from bot.storage.migrate import check_schema

    check_schema(db)
    clock = OffsetClock(settings.now) if settings.now else SystemClock()
    now = clock.now()
    done = purge(db, now, settings.retention_days, EventLog(db, clock))
    counts = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in done.as_dict().items())
    print(f"deleted {counts} (past data from before {cutoff(now, settings.retention_days):%Y-%m-%d %H:%M} UTC)")


def _copy(settings: Settings, db: Any, to: str | None) -> None:
    from bot.common.settings import redact_url
    from bot.ops.dbcopy import CopyError, copy_database
    from bot.storage.db import Database, Timeouts

    if not to:
        raise UsageError("db copy needs --to URL, the (empty) database to copy into")
    try:
        Settings(database_url=to)  # the same URL checks as SECONDROUND_DATABASE_URL
    except ValueError:
        raise UsageError(f"--to: {redact_url(to)} is not an SQLite or PostgreSQL database URL") from None
    target = Database(to, Timeouts.from_settings(settings).unbounded())
    try:
        done = copy_database(db, target, progress=lambda table, n: print(f"{table}: {n} rows", flush=True))
    except CopyError as exc:
        raise UsageError(f"db copy: {exc}") from None
    finally:
        target.dispose()
    print(
        f"copied {done.total} rows into {redact_url(to)}; the row counts match. "
        "Point SECONDROUND_DATABASE_URL at it and start the bot."
    )


def _cmd_config(settings: Settings, args: argparse.Namespace) -> int:
    from bot.common.settings import describe

    for name, value in [*describe(settings), *plugins.describe_all(settings)]:
        print(f"{name}={value}")
    return 0


def _cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    from bot.ops.doctor import run_checks

    return asyncio.run(run_checks(settings, sys.stdout))


COMMANDS = {
    "chat": _cmd_chat,
    "nlu": _cmd_nlu,
    "run": _cmd_run,
    "db": _cmd_db,
    "config": _cmd_config,
    "doctor": _cmd_doctor,
    "feedback": _cmd_feedback,
    "report": office_cli.cmd_report,
    "knowledge": office_cli.cmd_knowledge,
    "keys": office_cli.cmd_keys,
}


if __name__ == "__main__":
    sys.exit(main())
