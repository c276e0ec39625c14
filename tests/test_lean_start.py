"""A SQLite bot that starts on a database already at the newest revision loads neither Alembic nor psycopg."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.storage import migrate
from bot.storage.db import Database

ROOT = Path(__file__).resolve().parents[1]


def test_the_declared_head_is_alembics_head(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert not migrate.at_head(db)  # an empty database: not there yet
        migrate.upgrade(db)
        assert migrate.declared_head() == migrate.head_revision(db) == migrate.current_revision(db)
        assert migrate.at_head(db)
    finally:
        db.dispose()


def test_a_second_start_answers_without_loading_alembic_or_psycopg(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    migrate.upgrade(db)
    db.dispose()
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from bot.ops.app import App
        from bot.common.settings import load_settings
        from bot.common.types import ConversationRef, IncomingMessage

        data = Path({str(tmp_path)!r})
        app = App.build(load_settings(data_dir=data, database_url=f"sqlite:///{{data / 'bot.db'}}", health_addr=""))
        replies = app.coach.handle(IncomingMessage(ConversationRef("test", "", "dm", "u1"), text="how do I prepare?"))
        app.close()
        assert replies and replies[0].text
        print(sorted(m for m in ("alembic", "psycopg", "mako", "icalendar") if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_first_chat_migrates_in_a_child_process_and_never_loads_alembic(tmp_path) -> None:
    script = textwrap.dedent(
        """
        import atexit, sys
        atexit.register(lambda: print("alembic loaded" if "alembic" in sys.modules else "no alembic", file=sys.stderr))
        from bot.ops.cli import main
        sys.exit(main(["chat", "--jsonl", "--user", "u1", "--tz", "UTC"]))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECONDROUND_")}
    env |= {"SECONDROUND_DATA_DIR": str(tmp_path), "SECONDROUND_HEALTH_ADDR": ""}
    out = subprocess.run(
        [sys.executable, "-c", script], input="how do I prepare?\n", cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "prepare" in out.stdout.lower()  # answered, from a database the child brought to the newest schema
    assert out.stderr.strip().splitlines()[-1] == "no alembic"


def test_chat_loads_no_platform_sdk_though_every_plugin_is_found(tmp_path) -> None:
    """Every installed plugin is found at start (settings, secret patterns), but only a built adapter loads its SDK.

    `secondround chat` answers without slack_bolt, slack_sdk or discord.py in memory (about 15 MB).
    """
    script = textwrap.dedent(
        """
        import atexit, sys
        from bot.ops import plugins
        found = sorted(plugins.discover())
        sdks = ("slack_bolt", "slack_sdk", "discord")
        atexit.register(lambda: print(found, sorted(m for m in sdks if m in sys.modules), file=sys.stderr))
        from bot.ops.cli import main
        sys.exit(main(["chat", "--jsonl", "--user", "u1", "--tz", "UTC"]))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECONDROUND_")}
    env |= {"SECONDROUND_DATA_DIR": str(tmp_path), "SECONDROUND_HEALTH_ADDR": ""}
    out = subprocess.run(
        [sys.executable, "-c", script], input="what should I wear to a dinner interview?\n", cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "dinner" in out.stdout.lower()
    assert out.stderr.strip().splitlines()[-1] == "['console', 'discord', 'slack'] []"
