"""``python -m bot.ops.upgrade [--env-file FILE]``: bring the embedded database to the newest schema, nothing else.

The child that ``secondround chat`` and ``secondround run`` start for a new data folder
(:func:`bot.ops.cli._start_migration`). ``secondround db upgrade`` does the same work, but its
command line is built from every installed plugin, which loads the coach, the runtime and the
platforms' packages (about 0.8 s of imports); this loads the settings, the database and Alembic
only, so it is done sooner and leaves the machine's cores to the start it overlaps. Its exit status
is 0 when the database is at the newest revision; on any failure the parent's ``App.build``
migrates in-process and reports why.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Upgrade the configured embedded database; the exit status (0 done, 1 failed)."""
    parser = argparse.ArgumentParser(prog="python -m bot.ops.upgrade")
    parser.add_argument("--env-file")
    args = parser.parse_args(argv)
    from bot.common.settings import load_settings
    from bot.storage import migrate
    from bot.storage.db import Database

    try:
        db = Database.from_settings(load_settings(args.env_file), statement_limit=False)
        try:
            migrate.upgrade(db)
        finally:
            db.dispose()
    except Exception:  # (the parent migrates in-process, and says what went wrong)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
