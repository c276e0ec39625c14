"""Logging set-up: readable lines for a terminal, JSON lines for production, secrets never written.

Everything goes through one stdlib handler on the root logger, formatted by structlog: the code's
``logging.getLogger(__name__).info("event", extra={...})`` calls (their ``extra`` fields become
key=value pairs or JSON keys), third-party libraries (the platform SDKs, aiohttp, SQLAlchemy)
and ``structlog.get_logger()`` alike.

Redaction happens twice, at every level: :class:`RedactingFilter` on the handler cleans each record
(message, arguments, ``extra`` fields, exception text) before it is formatted, and the formatter
cleans the finished line again, so nothing token-shaped gets out by a path the filter did not
foresee. What is removed: the token shapes of every installed platform plugin (e.g. ``xoxb-…``,
:attr:`bot.ops.plugins.Platform.secret_patterns`, whether that platform runs or not),
``Bearer``/``Bot`` authorization values, passwords in database URLs and ``password=``/``token=``-style
fields, and the exact secret values configured in the settings, the platforms' included.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

import structlog
from sqlalchemy.engine import make_url

from bot.common.settings import Settings, secret_fields
from bot.ops import plugins

REDACTED = "[REDACTED]"
MIN_SECRET_CHARS = 6  # exact values shorter than this are not hunted for (they would shred the log)
# Long text is cut *before* any pattern runs, so one huge field (a request body, an exception message)
# costs a bounded amount of work and log space. A finished line (with its traceback) may be longer.
CLEAN_CHARS = 100  # strings this short that redaction left unchanged are remembered (Redactor.text)
CLEAN_REMEMBERED = 4096  # at most this many
MAX_FIELD_CHARS = 4_000
MAX_TRACE_CHARS = 16_000
MAX_LINE_CHARS = 32_000
MAX_ITEMS = 50  # items of a list or dict field written out; the rest are counted
CUT_LOOKAHEAD = 512  # how far past the cut a word may run on and still be kept whole

_SENSITIVE_KEY = re.compile(
    r"(?i)(password|passwd|secret|token|authorization|cookie|api[_-]?key|credential)s?$|^(pwd|auth)$"
)
# Every pattern runs in time linear in its input: runs of characters are matched possessively
# (``++``, ``*+``, ``{n,}+``: no backtracking into them), and patterns that start with such a run only
# start where the run starts (a look-behind), so no run is scanned again from each of its characters.
_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    # Authorization header values (before the key=value rule, which would take only the word "Bearer")
    (re.compile(r"\b(Bearer)\s++[A-Za-z0-9._~+/=-]{8,}+", re.IGNORECASE), rf"\1 {REDACTED}"),
    (re.compile(r"\b(Bot)\s++[A-Za-z0-9._~+/=-]{20,}+"), rf"\1 {REDACTED}"),
    # (here come the installed plugins' token shapes: see _PLUGINS_AT)
    # passwords inside URLs: scheme://user:password@host
    (
        re.compile(r"(?<![a-zA-Z0-9+.-])([a-zA-Z][a-zA-Z0-9+.-]*+://[^:/@\s'\"]*+:)[^@\s'\"/]++@"),
        rf"\1{REDACTED}@",
    ),
    # key=value and "key": "value" forms (form bodies, DSNs, repr'd dicts)
    (
        re.compile(
            r"""(?i)(\b(?:password|passwd|pwd|client_secret|signing_secret|secret|token|authorization)"""
            r"""['"]?\s*+[=:]\s*+)(?!\[REDACTED\]|'\[REDACTED\]'|"\[REDACTED\]")"""
            r"""("[^"]*+"|'[^']*+'|[^\s,;&'"})]++)"""
        ),
        lambda m: m.group(1) + _quoted_like(m.group(2)),
    ),
]
_PLUGINS_AT = 2  # the plugins' patterns run after the authorization headers, before the URL and key=value rules


def _plugin_rule(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], Any]:
    """A plugin's token shape as a rule: the match is replaced, except a group named ``keep`` (a prefix)."""
    return (pattern, rf"\g<keep>{REDACTED}" if "keep" in pattern.groupindex else REDACTED)


def patterns() -> list[tuple[re.Pattern[str], Any]]:
    """Every rule a :class:`Redactor` runs: the core's, with every installed plugin's token shapes."""
    seen: set[str] = set()
    found = []
    for pattern in plugins.secret_patterns():
        if pattern.pattern not in seen:
            seen.add(pattern.pattern)
            found.append(_plugin_rule(pattern))
    return [*_PATTERNS[:_PLUGINS_AT], *found, *_PATTERNS[_PLUGINS_AT:]]


def cut(text: str, limit: int = MAX_FIELD_CHARS) -> tuple[str, int]:
    """``text`` cut to about ``limit`` characters, and how many were left out (0: nothing was cut).

    The cut finishes the word it falls in (up to :data:`CUT_LOOKAHEAD` more characters), or else
    goes back to the word's start, so a token is kept whole for the patterns or left out whole.
    """
    if len(text) <= limit:
        return text, 0
    end = limit
    ahead = text[limit : limit + CUT_LOOKAHEAD]
    stop = next((i for i, ch in enumerate(ahead) if ch.isspace()), None)
    if stop is not None:
        end = limit + stop
    else:
        behind = text[max(0, limit - CUT_LOOKAHEAD) : limit]
        back = next((i for i in range(len(behind) - 1, -1, -1) if behind[i].isspace()), None)
        if back is not None:
            end = limit - (len(behind) - back)
    return text[:end], len(text) - end


def _quoted_like(value: str) -> str:
    if value[:1] in {"'", '"'} and value[-1:] == value[:1] and len(value) > 1:
        return f"{value[0]}{REDACTED}{value[0]}"
    return REDACTED


class Redactor:
    """Removes token-shaped text and the given exact secret values from strings and structures."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_CHARS:
                forms.update({secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]})
        ordered = sorted(forms, key=len, reverse=True)
        self._exact = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None
        self._patterns = patterns()
        self._clean: set[str] = set()  # short strings these patterns leave unchanged (see text())

    def text(self, text: str, limit: int = MAX_FIELD_CHARS) -> str:
        """``text`` with every secret replaced by ``[REDACTED]``, cut to about ``limit`` characters.

        The cut comes first, so the work is bounded by ``limit`` whatever the input's length.
        """
        short = len(text) <= CLEAN_CHARS and len(text) <= limit
        if short and text in self._clean:
            return text
        given = text
        text, left_out = cut(text, limit)
        if self._exact is not None:
            text = self._exact.sub(REDACTED, text)
        for pattern, replacement in self._patterns:
            text = pattern.sub(replacement, text)
        if short and text == given:
            # A log line's short fields (platform, workspace, intent, a user's hash, the logger's name)
            # repeat from line to line, and each went through every pattern, three times per line
            # (filter, processor, the finished line): ~50 µs of an INFO line. A short string found
            # clean is remembered (never one that held a secret), and the same patterns give it
            # the same answer; the set is emptied when full.
            if len(self._clean) >= CLEAN_REMEMBERED:
                self._clean.clear()
            self._clean.add(given)
        return f"{text}…[{left_out:,} more characters cut]" if left_out else text

    def value(self, value: Any, key: str | None = None) -> Any:
        """A log field's value, cleaned: strings redacted, containers walked, secret-named keys blanked."""
        if key is not None and isinstance(value, str | bytes) and value and _SENSITIVE_KEY.search(key):
            return REDACTED
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return self.text(value.decode("utf-8", "replace"))
        if isinstance(value, Mapping):
            items = list(itertools.islice(value.items(), MAX_ITEMS))
            out = {self.text(str(k), 200): self.value(v, str(k)) for k, v in items}
            if len(value) > MAX_ITEMS:
                out["…"] = f"{len(value) - MAX_ITEMS} more"
            return out
        if isinstance(value, list | tuple | set | frozenset):
            walked = [self.value(v) for v in itertools.islice(value, MAX_ITEMS)]
            if len(value) > MAX_ITEMS:
                walked.append(f"…{len(value) - MAX_ITEMS} more")
            return walked
        return value


_redactor: Redactor | None = None  # the one :func:`configure` made (made on first use before that)


def _current() -> Redactor:
    global _redactor
    if _redactor is None:
        _redactor = Redactor()
    return _redactor


def redact(text: str) -> str:
    """``text`` as it may appear in a log or on a terminal: tokens and configured secrets removed."""
    return _current().text(text)


def settings_secrets(settings: Settings) -> list[str]:
    """The secret values in ``settings`` and every installed platform's: tokens, the database password."""
    values = []
    for name in secret_fields():
        secret = getattr(settings, name)
        if secret is not None:
            values.append(secret.get_secret_value())
    for psettings in plugins.load_all(settings).values():
        values.extend(psettings.secrets())
    if settings.database_url:
        password = make_url(settings.database_url).password
        if password:
            values.append(str(password))
    return values


_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


# Loggers that write whole request, response and event bodies at DEBUG: aiohttp's client, and each
# installed plugin's SDK loggers (Platform.body_loggers). Those bodies carry what students wrote
# (notes, questions), so they are dropped unless an operator opts in with
# SECONDROUND_LOG_MESSAGE_BODIES=true (and even then they are redacted).
BODY_LOGGERS = ("aiohttp.client",)


def body_loggers() -> tuple[str, ...]:
    """:data:`BODY_LOGGERS` and every installed plugin's."""
    return (*BODY_LOGGERS, *plugins.body_loggers())


class BodyFilter(logging.Filter):
    """Drops DEBUG records of the SDK loggers that dump message bodies (see :func:`body_loggers`)."""

    def __init__(self) -> None:
        super().__init__()
        self.loggers = body_loggers()

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep INFO and above; keep DEBUG only from loggers that do not dump bodies."""
        return record.levelno >= logging.INFO or not record.name.startswith(self.loggers)


class RedactingFilter(logging.Filter):
    """Cleans each record in place before any formatter sees it (installed on the handlers)."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message, its arguments, the ``extra`` fields and the exception text."""
        r = self.redactor or _current()
        if isinstance(record.msg, dict):  # a structlog event dict on its way to the formatter
            record.msg = r.value(record.msg)
        else:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: keep what there is rather than lose the line
                message = f"{record.msg} {record.args!r}"
            record.msg, record.args = r.text(message), ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                setattr(record, key, r.value(value, key))
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = r.text(logging.Formatter().formatException(record.exc_info), MAX_TRACE_CHARS)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = r.text(record.exc_text, MAX_TRACE_CHARS)
        if record.stack_info:
            record.stack_info = r.text(record.stack_info, MAX_TRACE_CHARS)
        return True


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, with the finished line redacted once more.

    A line longer than :data:`MAX_LINE_CHARS` (many long fields) is replaced by a short one that
    keeps the event, level and logger and says how long the line was, still one valid JSON object
    in the JSON format.
    """

    def __init__(self, redactor: Redactor, *, json_lines: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redactor = redactor
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if len(line) > MAX_LINE_CHARS:
            message = record.msg.get("event", "") if isinstance(record.msg, dict) else record.msg
            event, _ = cut(str(message), 1_000)
            if self.json_lines:
                short = {"event": event, "level": record.levelname.lower(), "logger": record.name}
                line = json.dumps({**short, "line_cut": f"{len(line):,} characters"}, default=str)
            else:
                line = f"[{record.levelname.lower()}] {event} [{record.name}] (a line of {len(line):,} characters, cut)"
        return self.redactor.text(line, MAX_LINE_CHARS)


def _extra_fields(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Copy a stdlib record's ``extra`` fields, and the exception text the filter left, into the event."""
    record = event_dict.get("_record")
    if record is None:
        return event_dict
    for key, value in vars(record).items():
        if key not in _STANDARD_ATTRS and not key.startswith("_"):
            event_dict.setdefault(key, value)
    if record.exc_text and "exception" not in event_dict:
        event_dict["exception"] = record.exc_text
    return event_dict


def _redact_processor(redactor: Redactor) -> Any:
    def process(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        return {k: (v if k.startswith("_") else redactor.value(v, k)) for k, v in event_dict.items()}

    return process


_QUIET_LIBRARIES = ("alembic", "apscheduler", "aiohttp.access", "asyncio")


def configure(
    settings: Settings,
    level: str | None = None,
    *,
    stream: TextIO | None = None,
    extra_secrets: Iterable[str] = (),
    message_bodies: bool | None = None,
) -> logging.Handler:
    """Configure logging once from settings (``level`` overrides the configured one).

    Installs one handler on the root logger writing to ``stream`` (standard error by default) in
    ``settings.log_format`` (``console`` or ``json``), with the redaction filter. Calling it again
    replaces the handler it installed before and leaves other handlers alone. Returns the handler.
    The platform SDKs' DEBUG body dumps are dropped unless ``message_bodies`` (default: the setting
    ``log_message_bodies``) is true.
    """
    global _redactor
    redactor = Redactor([*settings_secrets(settings), *extra_secrets])
    _redactor = redactor
    level_name = (level or settings.log_level).upper()
    renderer: Any
    if settings.log_format == "json":
        renderer = structlog.processors.JSONRenderer(default=str)
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback, pad_event_to=24
        )
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if settings.log_format == "json":
        instance = settings.instance_id
        shared.append(lambda _, __, ed: {**ed, "instance": instance})
    formatter = _Formatter(
        redactor,
        json_lines=settings.log_format == "json",
        foreign_pre_chain=[*shared, _extra_fields],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact_processor(redactor),
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    if not (settings.log_message_bodies if message_bodies is None else message_bodies):
        handler.addFilter(BodyFilter())
    handler.addFilter(RedactingFilter(redactor))
    handler._secondround = True  # type: ignore[attr-defined]

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_secondround", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_name)
    # libraries that chatter at INFO (a scheduler line every sweep, migrations, probe requests)
    chatty = logging.DEBUG if level_name == "DEBUG" else max(logging.WARNING, logging.getLevelName(level_name))
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(chatty)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return handler
