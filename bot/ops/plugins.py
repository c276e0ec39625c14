"""The seam between the core and the chat platforms: one plugin object per platform.

A platform plugs in through the ``secondround.adapters`` entry-point group. The entry point names a
:class:`Platform` object, which brings

- its settings: a :class:`PlatformSettings` model with its own environment variable names, read from
  the environment and the same settings file as the core's (``SECONDROUND_ENV_FILE``);
- what ``secondround doctor`` checks (its configuration and its credentials);
- the shapes of its secrets, for the log redaction (every *installed* plugin's, not only the running
  ones), and the loggers of its SDK that write message bodies;
- its options for ``secondround run`` and the adapter it builds.

The core names no platform: ``run``, ``doctor`` and ``config`` work for whatever is installed.
docs/plugins.md shows a whole plugin.
"""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.common.settings import ConfigError, Settings, env_name_of
from bot.common.types import ConversationRef

if TYPE_CHECKING:
    import aiohttp

    from bot.ops.runtime import Runtime
    from bot.reminders.delivery import Adapter

GROUP = "secondround.adapters"
log = logging.getLogger(__name__)


class CheckStatus(StrEnum):
    """The verdict of one ``doctor`` check."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Check:
    """The outcome of one ``doctor`` check."""

    status: CheckStatus
    name: str
    detail: str

    def line(self) -> str:
        """How it is printed."""
        return f"{self.status}  {self.name}: {self.detail}"


@dataclass(frozen=True)
class DoctorEnv:
    """What a platform's checks may need besides its settings."""

    version: str  # SecondRound's, for a User-Agent
    repo_dirs: tuple[Path, ...]  # the working directory and the checkout, for files like an app manifest
    core: Settings


class PlatformSettings(BaseSettings):
    """Base of every platform's settings; each field names its environment variable (an alias).

    The methods have the answers of a platform that needs nothing; a plugin overrides what it has.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    def configured(self) -> bool:
        """Whether this platform is set up at all (``doctor`` skips it otherwise)."""
        return True

    def why_not_configured(self) -> str:
        """What ``doctor`` says when :meth:`configured` is false."""
        return "not configured"

    def require(self, core: Settings) -> None:
        """Raise :class:`ConfigError`, one line per problem, when ``run`` could not start with these."""

    def mode(self) -> str:
        """How it would run, for ``doctor``'s configuration line, e.g. `` (Socket Mode)``."""
        return ""

    async def doctor(self, http: aiohttp.ClientSession, env: DoctorEnv) -> list[Check]:
        """Its credential checks (it talks HTTP itself; the checks print no secret)."""
        return []

    def is_counsellor(self, ref: ConversationRef, roles: Sequence[str]) -> bool:
        """Whether the person behind ``ref`` (with these groups or roles) is a career-office counsellor."""
        return False

    def secrets(self) -> list[str]:
        """Every secret value set (for redaction)."""
        return [v.get_secret_value() for v in self._values() if isinstance(v, SecretStr) and v.get_secret_value()]

    def urls(self) -> list[str]:
        """Every URL set (they may carry a password or a token)."""
        return [v for v in self._values() if isinstance(v, str) and "://" in v]

    def _values(self) -> Iterator[SecretStr | str]:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr | str):
                yield value

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Field name → the environment variable that sets it."""
        return {name: env_name_of(name, info.validation_alias, "") for name, info in cls.model_fields.items()}

    def shown(self, name: str) -> str:
        """A field's value as ``config`` prints it (secrets masked, URLs redacted)."""
        from bot.common.settings import MASK, redact_url

        value = getattr(self, name)
        if "SecretStr" in str(type(self).model_fields[name].annotation):
            return "(not set)" if value is None else MASK
        if value is None:
            return ""
        if isinstance(value, str) and "://" in value:
            return redact_url(value)
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        if isinstance(value, dict):
            return ";".join(f"{k}:{','.join(map(str, v))}" for k, v in value.items())
        return str(value)


@runtime_checkable
class Platform(Protocol):
    """What a ``secondround.adapters`` entry point names (see the module docstring)."""

    name: str  # = the entry point's name, e.g. the value of ConversationRef.platform
    settings_model: type[PlatformSettings]
    secret_patterns: tuple[re.Pattern[str], ...]  # token shapes, redacted from every log line
    body_loggers: tuple[str, ...]  # SDK loggers that write message bodies at DEBUG (dropped by default)
    listed: bool  # offered by ``secondround run`` (the console is not: it has ``chat``)

    def add_options(self, group: argparse._ArgumentGroup) -> None:
        """Add its ``secondround run`` options."""

    def build(self, runtime: Runtime, settings: PlatformSettings, options: argparse.Namespace) -> Adapter:
        """The adapter ``secondround run NAME`` starts."""


class PluginError(Exception):
    """An installed plugin does not keep to the :class:`Platform` protocol."""


_MEMBERS = ("name", "settings_model", "secret_patterns", "body_loggers", "listed", "add_options", "build")


@cache
def discover() -> dict[str, Platform]:
    """Every installed platform plugin by name, checked against :class:`Platform`."""
    found: dict[str, Platform] = {}
    for ep in entry_points(group=GROUP):
        plugin = ep.load()
        where = f"{ep.value} ({ep.dist.name if ep.dist else 'no distribution'})"
        missing = [m for m in _MEMBERS if not hasattr(plugin, m)]
        if missing or not isinstance(plugin, Platform):
            raise PluginError(f"plugin {ep.name!r} at {where} lacks {', '.join(missing) or 'a Platform member'}")
        if plugin.name != ep.name:
            raise PluginError(f"plugin {ep.name!r} at {where} calls itself {plugin.name!r}")
        if not issubclass(plugin.settings_model, PlatformSettings):
            raise PluginError(f"plugin {ep.name!r} at {where}: settings_model is not a PlatformSettings")
        found[ep.name] = plugin
    return dict(sorted(found.items()))


def runnable() -> dict[str, Platform]:
    """The plugins ``secondround run`` offers."""
    return {name: p for name, p in discover().items() if p.listed}


def load(plugin: Platform, core: Settings) -> PlatformSettings:
    """A plugin's settings from the environment and the core's settings file; ConfigError names each bad variable."""
    model = plugin.settings_model
    try:
        return model(_env_file=core.env_file)
    except ValidationError as exc:
        names = model.env_names()
        secret = {n for n, f in model.model_fields.items() if "SecretStr" in str(f.annotation)}
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            msg = "is not valid" if field in secret else err["msg"].removeprefix("Value error, ")
            lines.append(f"{names.get(field, field)}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_all(core: Settings) -> dict[str, PlatformSettings]:
    """Every installed plugin's settings."""
    return {name: load(plugin, core) for name, plugin in discover().items()}


def secret_patterns() -> list[re.Pattern[str]]:
    """The token shapes of every installed plugin."""
    return [p for plugin in discover().values() for p in plugin.secret_patterns]


def body_loggers() -> tuple[str, ...]:
    """The SDK loggers of every installed plugin that write message bodies."""
    return tuple(name for plugin in discover().values() for name in plugin.body_loggers)


def describe_all(core: Settings) -> list[tuple[str, str]]:
    """Every installed plugin's settings as (variable name, value to show), secrets masked (for ``config``)."""
    rows: list[tuple[str, str]] = []
    for plugin in discover().values():
        psettings = load(plugin, core)
        names = psettings.env_names()
        rows.extend((names[field], psettings.shown(field)) for field in type(psettings).model_fields)
    return rows
