"""Logging set-up: readable lines for a terminal, JSON lines for production."""

from __future__ import annotations

import logging
import sys

from bot.settings import Settings


def configure(settings: Settings, level: str | None = None) -> None:
    """Configure the root logger once from settings (``level`` overrides the configured one)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level or settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
