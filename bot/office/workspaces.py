"""Installed workspaces (Slack OAuth): their records, encrypted at rest, and removing a workspace.

The platform adapter hands plain dictionaries here (an installation's fields, tokens included);
they are stored encrypted with ``SECONDROUND_TOKEN_KEYS`` (:class:`Cipher`: Fernet, several keys for
rotation). :func:`remove_workspace` deletes a workspace's installation and every student's data in
it, as ``forget me`` does for one student, and logs only the counts.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from bot.storage import installations
from bot.storage.db import Database

log = logging.getLogger(__name__)


class Cipher:
    """Encrypts with the first of ``keys`` and decrypts with any of them (key rotation)."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("SECONDROUND_TOKEN_KEYS holds no key")
        from cryptography.fernet import Fernet, MultiFernet  # (only bots with many workspaces: ~6 MB)

        self._fernet = MultiFernet([Fernet(k) for k in parts])

    def encrypt(self, data: dict[str, Any]) -> str:
        """``data`` as JSON, encrypted and authenticated."""
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        """The data back; raises ValueError when no configured key opens it."""
        from cryptography.fernet import InvalidToken

        try:
            out = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ValueError("no key in SECONDROUND_TOKEN_KEYS decrypts this installation") from None
        if not isinstance(out, dict):
            raise ValueError("an installation record is not an object")
        return out

    def rotate(self, token: str) -> str:
        """The same data encrypted with the first (newest) key."""
        return self._fernet.rotate(token.encode()).decode()


def forget_workspace(
    db: Database, platform: str, workspace: str, why: str, *, enterprise_id: str = ""
) -> dict[str, int]:
    """Delete a workspace's installation (if any) and every student's data in it; log the counts only."""
    with db.session() as session:
        counts = {"installations": installations.remove(session, enterprise_id or "", workspace)}
        counts.update(installations.forget_workspace(session, platform, workspace))
    log.info("workspace_removed", extra={"platform": platform, "why": why, **counts})
    return counts


class Workspaces:
    """The installations of one platform's workspaces, in the bot's database."""

    def __init__(self, db: Database, cipher: Cipher, platform: str = "") -> None:
        """``platform`` names the plugin these belong to in log lines and removals ("": key rotation)."""
        self.db = db
        self.cipher = cipher
        self.platform = platform

    def save(self, enterprise_id: str, team_id: str, data: dict[str, Any], now: datetime) -> None:
        """Store (or replace) one workspace's installation."""
        with self.db.session() as session:
            installations.save(session, enterprise_id, team_id, self.cipher.encrypt(data), now)
        log.info("workspace_installed", extra={"platform": self.platform})

    def find(self, enterprise_id: str, team_id: str) -> dict[str, Any] | None:
        """One workspace's installation, decrypted, or None."""
        with self.db.session() as session:
            row = installations.find(session, enterprise_id, team_id)
            return None if row is None else self.cipher.decrypt(row.data)

    def delete(self, enterprise_id: str, team_id: str) -> int:
        """Delete one workspace's installation (its students' data stays: see :meth:`remove`)."""
        with self.db.session() as session:
            return installations.remove(session, enterprise_id, team_id)

    def remove(self, enterprise_id: str, team_id: str, why: str) -> dict[str, int]:
        """The app left a workspace: delete its installation and all its students' data; log counts only."""
        return forget_workspace(self.db, self.platform, team_id, why, enterprise_id=enterprise_id)

    def rotate_keys(self) -> int:
        """Re-encrypt every installation with the newest key; returns how many (after adding a key)."""
        with self.db.session() as session:
            rows = installations.all_rows(session)
            for row in rows:
                row.data = self.cipher.rotate(row.data)
            return len(rows)
