"""The migrating child of a first start (``bot.ops.cli.upgrade_child``) migrates and loads nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.common.settings import load_settings
from bot.ops.cli import _UPGRADE_CHILD
from bot.storage import migrate
from bot.storage.db import Database


def test_the_child_brings_a_new_data_folder_to_the_newest_schema_without_the_coach(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECONDROUND_")}
    env["SECONDROUND_DATA_DIR"] = str(tmp_path / "data")
    probe = (
        "import sys\n"
        "from bot.ops.cli import upgrade_child\n"
        "status = upgrade_child([])\n"
        "heavy = [m for m in ('bot.coaching.coach', 'bot.ops.runtime', 'bot.nlu', 'slack_bolt') if m in sys.modules]\n"
        "print(status, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "0 []", out.stderr
    db = Database.from_settings(load_settings(data_dir=tmp_path / "data"))
    try:
        assert migrate.at_head(db)
    finally:
        db.dispose()


def test_a_failed_upgrade_says_so_in_its_exit_status(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECONDROUND_")}
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env["SECONDROUND_DATA_DIR"] = str(blocker / "data")  # (a folder inside a file cannot be made)
    out = subprocess.run([sys.executable, "-c", _UPGRADE_CHILD], env=env, capture_output=True, timeout=120)
    assert out.returncode == 1
