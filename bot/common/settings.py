"""One typed settings object, read from the environment (and an optional settings file).

Variables use the ``SECONDROUND_`` prefix. Each chat platform's own settings live in its plugin
(:mod:`bot.ops.plugins`), with the platform's customary names.

Everything is validated when the program starts; :func:`load_settings` raises
:class:`ConfigError` with one line per problem, each naming the variable (never its value when the
variable is a secret).
"""

from __future__ import annotations

import os
import re
import socket
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, unquote_plus
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import AliasChoices, AliasPath, Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.reminders.kinds import DEFAULT_OFFSETS, REMINDER_KINDS  # a leaf module: the kinds and their defaults

_OFFSET = re.compile(r"^\s*([a-z_]+)\s*=\s*([+-]?)(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class ConfigError(Exception):
    """The configuration is unusable. The message names each offending variable."""


def parse_offsets(spec: str) -> dict[str, timedelta]:
    """Parse ``prepare=-24h,thank_you=+2h`` into offsets by reminder kind (kinds left out are off)."""
    offsets: dict[str, timedelta] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = _OFFSET.match(part)
        if not m:
            raise ValueError(f"{part!r} is not of the form kind=+2h (units m, h, d, w)")
        kind, sign, amount, unit = m.groups()
        if kind not in REMINDER_KINDS:
            raise ValueError(f"unknown reminder kind {kind!r} (known: {', '.join(REMINDER_KINDS)})")
        delta = timedelta(**{_UNITS[unit]: int(amount)})
        offsets[kind] = -delta if sign == "-" else delta
    return offsets


def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """Parse ``22:00-08:00`` into (start, end); an empty string turns quiet hours off."""
    if not spec.strip():
        return None
    m = _QUIET.match(spec)
    if not m:
        raise ValueError(f"{spec!r} is not of the form HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"{spec!r}: {exc}") from None
    if start == end:
        raise ValueError(f"{spec!r}: start and end are the same")
    return start, end


def check_zone(name: str) -> str:
    """Return ``name`` if it is a known IANA time zone, else raise ValueError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None
    return name


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("secondround", appauthor=False))


def _default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(BaseSettings):
    """Everything the program can be configured with. See ``docs/configuration.md``."""

    model_config = SettingsConfigDict(env_prefix="SECONDROUND_", extra="ignore", frozen=True)
    _env_file: Path | None = PrivateAttr(None)

    # storage
    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the SQLite file lives.")
    cache_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("secondround", appauthor=False)),
        description="Where trained language models are cached (safe to delete).",
    )
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in data_dir.")

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(v.strip()).get_backend_name()
        except ArgumentError:
            raise ValueError("not a database URL (e.g. postgresql://user@host/db or sqlite:///path.db)") from None
        if backend not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")
        return v.strip()

    database_connect_timeout_seconds: int = Field(
        3, ge=2, le=600, description="PostgreSQL: how long connecting may take (libpq's minimum is 2)."
    )
    database_statement_timeout_seconds: float = Field(
        5.0, gt=0, le=3600, description="How long one statement may run or wait for a lock."
    )
    database_pool_timeout_seconds: float = Field(
        5.0, gt=0, le=600, description="How long a message waits for a free pooled database connection."
    )

    # people and time
    default_tz: str = Field("UTC", description="Time zone of users who have not set one.")
    reminder_offsets: Annotated[dict[str, timedelta], NoDecode] = Field(
        default_factory=lambda: parse_offsets(DEFAULT_OFFSETS),
        description="When each reminder kind goes out, relative to its interview or date.",
    )
    quiet_hours: Annotated[tuple[time, time] | None, NoDecode] = Field(
        default_factory=lambda: parse_quiet_hours("22:00-08:00"),
        description="No reminders in this window of the user's day; empty turns it off.",
    )
    reminder_sweep_seconds: float = Field(5.0, gt=0, le=300)
    reminder_claim_timeout_seconds: float = Field(300.0, gt=0)
    reminder_max_attempts: int = Field(5, ge=1, le=50)
    reminder_late_after_minutes: int = Field(60, ge=1)
    reminder_batch_size: int = Field(200, ge=1, le=10_000)
    reminder_rate_per_second: float = Field(20.0, gt=0, description="Reminder sends per second per platform.")
    retention_days: int = Field(180, ge=1)
    # behaviour
    flood_messages: int = Field(10, ge=1, description="Messages allowed per user per flood window.")
    flood_window_seconds: float = Field(10.0, gt=0)
    max_message_chars: int = Field(4000, ge=100)
    instance_id: str = Field(default_factory=_default_instance_id)
    now: datetime | None = Field(None, description="Start the clock at this instant (demos and process tests).")
    # operations
    log_level: str = "INFO"
    log_format: str = Field("console", pattern="^(console|json)$")
    log_message_bodies: bool = Field(
        False, description="Let the platform SDKs log request bodies at DEBUG (they hold what students wrote)."
    )
    health_addr: str = Field("127.0.0.1:8080", description="host:port of /healthz; empty turns it off.")
    health_stall_seconds: float = Field(
        30.0, gt=0, le=3600, description="/healthz fails when the event loop or the worker pool is stuck this long."
    )
    log_key: SecretStr | None = Field(
        None, description="Key of the hash that stands for user ids in log lines (default: one made per installation)."
    )
    # the inbox: platform events recorded before they are acknowledged (docs/delivery.md)
    inbox_record_timeout_seconds: float = Field(
        2.0, ge=0.1, le=2.5, description="How long recording an event may take before the platform gets a 503."
    )
    inbox_capacity: int = Field(500, ge=1, le=100_000, description="Events waiting at most; more get a 503 (retried).")
    inbox_per_user: int = Field(20, ge=1, le=10_000, description="Events of one student waiting at most.")
    inbox_workers: int = Field(4, ge=1, le=64, description="Events handled at once (and the PostgreSQL pool's size).")
    inbox_lease_seconds: float = Field(
        60, ge=0, le=86_400, description="An event claimed by a process that stopped is taken over after this."
    )
    inbox_sweep_seconds: float = Field(
        15, ge=0.1, le=3_600, description="How often unfinished events are looked for (and office counts written)."
    )
    # career office
    knowledge_dir: Path | None = Field(
        None, description="A folder of knowledge files that override or add to the packaged ones (same format)."
    )
    term_start: date | None = Field(None, description="First day of the term for insights (default: 16 weeks ago).")
    token_keys: SecretStr | None = Field(
        None,
        description="Fernet keys that encrypt installed workspaces' tokens at rest, comma-separated; "
        "the first encrypts, all decrypt.",
    )

    @field_validator("now")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-03-05T09:00+00:00")
        return v

    @field_validator("knowledge_dir")
    @classmethod
    def _knowledge_dir(cls, v: Path | None) -> Path | None:
        if v is None or not str(v).strip():
            return None
        if not v.is_dir():
            raise ValueError(f"{v} is not a folder (point it at a folder of knowledge files, or leave it unset)")
        return v

    @field_validator("token_keys")
    @classmethod
    def _token_keys(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        from cryptography.fernet import Fernet

        for key in v.get_secret_value().split(","):
            try:
                Fernet(key.strip())
            except ValueError:
                raise ValueError("each key must be a Fernet key (`secondround keys new` prints one)") from None
        return v

    @field_validator("default_tz")
    @classmethod
    def _zone(cls, v: str) -> str:
        return check_zone(v)

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _offsets(cls, v: Any) -> Any:
        return parse_offsets(v) if isinstance(v, str) else v

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet(cls, v: Any) -> Any:
        return parse_quiet_hours(v) if isinstance(v, str) else v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        level = v.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("health_addr")
    @classmethod
    def _addr(cls, v: str) -> str:
        if v.strip() and not re.match(r"^[\w.\-:\[\]]+:\d{1,5}$", v.strip()):
            raise ValueError("expected host:port, e.g. 127.0.0.1:8080, or empty to turn it off")
        return v.strip()

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'secondround.db'}"

    @property
    def health_host_port(self) -> tuple[str, int] | None:
        """``health_addr`` split into host and port, or None when turned off."""
        if not self.health_addr:
            return None
        host, _, port = self.health_addr.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def env_file(self) -> Path | None:
        """The settings file these were read from (platform plugins read theirs from it too)."""
        return self._env_file


def env_name(field: str) -> str:
    """The environment variable that sets ``field``."""
    if field.isupper():
        return field
    info = Settings.model_fields.get(field)
    return env_name_of(field, info.validation_alias if info else None, "SECONDROUND_")


def env_name_of(field: str, alias: str | AliasPath | AliasChoices | None, prefix: str) -> str:
    """The environment variable of a settings field: its alias, else ``prefix`` + its name."""
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    if isinstance(alias, str):
        return alias
    return f"{prefix}{field.upper()}"


def secret_fields() -> set[str]:
    """Names of the settings that hold secrets."""
    return {name for name, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)}


def load_settings(env_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read and validate the settings; raise :class:`ConfigError` naming each bad variable.

    ``env_file`` (or the ``SECONDROUND_ENV_FILE`` variable) names an optional file of ``NAME=value``
    lines, the same format as Docker's ``.env`` and systemd's ``EnvironmentFile``; real environment
    variables win over it. ``overrides`` (field names) win over both.
    """
    env_file = env_file or os.environ.get("SECONDROUND_ENV_FILE") or None
    if env_file is not None and not Path(env_file).is_file():
        raise ConfigError(f"SECONDROUND_ENV_FILE: no such settings file: {env_file}")
    try:
        settings = Settings(_env_file=None if env_file is None else Path(env_file), **overrides)
    except ValidationError as exc:
        secrets = secret_fields()
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            msg = err["msg"].removeprefix("Value error, ")
            if field in secrets or env_name(field) in {env_name(s) for s in secrets}:
                msg = "is not valid"
            lines.append(f"{env_name(field)}: {msg}")
        raise ConfigError("\n".join(lines)) from None
    settings._env_file = None if env_file is None else Path(env_file)
    return settings


def describe(settings: Settings) -> list[tuple[str, str]]:
    """Every setting as (variable name, value to show), secrets masked."""
    secrets = secret_fields()
    rows = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name in secrets:
            shown = "(not set)" if value is None else MASK
        elif isinstance(value, str) and "://" in value:
            shown = redact_url(value)
        elif name == "reminder_offsets":
            shown = ",".join(f"{k}={_fmt_delta(v)}" for k, v in value.items())
        elif name == "quiet_hours":
            shown = "" if value is None else f"{value[0]:%H:%M}-{value[1]:%H:%M}"
        elif value is None:
            shown = ""
        elif isinstance(value, list):
            shown = ",".join(str(v) for v in value)
        else:
            shown = str(value)
        rows.append((env_name(name), shown))
    rows.append(("(effective database)", redact_url(settings.effective_database_url)))
    return rows


def _fmt_delta(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{sign}{seconds // size}{unit}"
    return f"{sign}{seconds // 60}m"


MASK = "********"
# query parameters that hold secrets: password, sslpassword, passwd, pwd, token, access_token,
# api_key, sslkey (a key file's path is masked too: better safe), secret, client_secret, auth…
_SECRET_PARAM = re.compile(r"(?i)pass|pwd|secret|token|key|auth|credential|cookie|session|signature|sig$")


def _is_secret_param(name: str) -> bool:
    return bool(_SECRET_PARAM.search(unquote_plus(name)))


def _split_url(url: str) -> tuple[str, str, str | None, str]:
    """``scheme://authority`` + path + query (None: no ``?``) + ``#fragment``, kept as written."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    stops = [i for i in (rest.find(c) for c in "/?#") if i >= 0] if sep else [0]
    cut = min(stops, default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    tail, hash_, fragment = tail.partition("#")
    path, qmark, query = tail.partition("?")
    return (f"{scheme}://" if sep else "") + authority, path, query if qmark else None, hash_ + fragment


def redact_url(url: str) -> str:
    """``url`` safe to print: the password in it and every secret-looking query parameter masked.

    ``postgresql://bot:pw@db/sr?sslpassword=x&application_name=sr`` becomes
    ``postgresql://bot:********@db/sr?sslpassword=********&application_name=sr``; the rest is kept
    exactly as written.
    """
    head, path, query, fragment = _split_url(url)
    scheme, sep, authority = head.rpartition("://")
    if "@" in authority:
        userinfo, _, host = authority.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        if colon:
            authority = f"{user}:{MASK}@{host}"
    out = f"{scheme}{sep}{authority}{path}"
    if query is not None:
        fields = []
        for field in query.split("&"):
            key, eq, _ = field.partition("=")
            fields.append(f"{key}={MASK}" if eq and _is_secret_param(key) else field)
        out += "?" + "&".join(fields)
    return out + fragment


def url_secrets(url: str) -> list[str]:
    """The secret values in ``url`` (its password, secret query parameters), as written and decoded.

    For redacting them wherever they may appear (an error message, a log line).
    """
    head, _, query, _ = _split_url(url)
    userinfo = head.rpartition("://")[2].rpartition("@")[0]
    found = [userinfo.partition(":")[2]] if ":" in userinfo else []
    for field in (query or "").split("&"):
        key, eq, value = field.partition("=")
        if eq and _is_secret_param(key):
            found.append(value)
    return [v for raw in found for v in dict.fromkeys((raw, unquote(raw), unquote_plus(raw))) if v]
