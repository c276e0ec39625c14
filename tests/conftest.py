"""One fixture boots the whole bot; tests then talk to it like a user would.

``bot`` is the full application (settings, migrated database, knowledge, understanding, coach,
reminder planner) on a fresh SQLite file, with a clock the test moves by hand. ``bot.chat(...)``
gives a conversation: ``say`` pushes a message through the core's one entry point and returns the
replies; ``press`` clicks a button. Reminders are delivered through a recording deliverer.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.common import markup
from bot.common.clock import FakeClock
from bot.common.settings import Settings, load_settings
from bot.common.types import ConversationRef, IncomingMessage, Reply
from bot.knowledge.library import Knowledge, load_knowledge
from bot.nlu import NLU
from bot.ops.app import App
from bot.reminders.delivery import DeliveryError

# Monday 2 March 2026, 10:00 in New York (15:00 UTC)
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PG_URL = os.environ.get("SECONDROUND_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the whole run, shared with the bot processes tests start."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def nlu(cache_dir: Path) -> NLU:
    return NLU.load(cache_dir=cache_dir / "nlu")


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path, nlu: NLU) -> dict[str, str]:
    """Environment for a ``secondround`` process: its own data directory, the shared model cache."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECONDROUND_", "SLACK_", "DISCORD_"))}
    clean.update(
        {
            "SECONDROUND_DATA_DIR": str(tmp_path / "data"),
            "SECONDROUND_CACHE_DIR": str(cache_dir),
            "SECONDROUND_HEALTH_ADDR": "",
        }
    )
    return clean


class Replies(list[Reply]):
    """The replies to one message, with helpers for assertions."""

    @property
    def text(self) -> str:
        """All replies as plain text."""
        return "\n".join(markup.to_plain(r.text) for r in self)

    @property
    def buttons(self) -> dict[str, str]:
        """Button label → value, over all replies."""
        return {b.label: b.value for r in self for b in r.buttons}

    def button(self, label_part: str) -> str:
        """The value of the first button whose label contains ``label_part``."""
        for label, value in self.buttons.items():
            if label_part.lower() in label.lower():
                return value
        raise AssertionError(f"no button like {label_part!r} in {list(self.buttons)}")

    @property
    def private(self) -> bool:
        """Whether any reply is private."""
        return any(r.private for r in self)


@dataclass
class Chat:
    """One user's conversation with the bot."""

    bot: BotHarness
    ref: ConversationRef
    tz: str | None = None

    def send(self, msg: IncomingMessage) -> Replies:
        return Replies(self.bot.app.coach.handle(msg))

    def say(self, text: str, *, direct: bool = True) -> Replies:
        return self.send(IncomingMessage(self.ref, text=text, direct=direct, tz_hint=self.tz))

    def press(self, value: str) -> Replies:
        return self.send(IncomingMessage(self.ref, action=value, tz_hint=self.tz))


@dataclass
class Recorder:
    """A deliverer that records what it was asked to send (and can be told to fail)."""

    platform: str = "test"
    sent: list[tuple[ConversationRef, list[Reply]]] = field(default_factory=list)
    fail_with: DeliveryError | None = None
    fail_times: int | None = None  # None: fail every time

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        if self.fail_with is not None and (self.fail_times is None or self.fail_times > 0):
            if self.fail_times is not None:
                self.fail_times -= 1
            raise self.fail_with
        self.sent.append((ref, replies))

    def texts(self) -> list[str]:
        return [markup.to_plain(r.text) for _, replies in self.sent for r in replies]


@dataclass
class BotHarness:
    """The whole bot, a fake clock, and a recording reminder deliverer."""

    app: App
    clock: FakeClock
    recorder: Recorder
    engine: object | None = None

    def chat(
        self, user: str = "alice", *, tz: str | None = "America/New_York", platform: str = "test", workspace: str = ""
    ) -> Chat:
        return Chat(self, ConversationRef(platform, workspace, f"dm-{user}", user), tz)

    def advance(self, **delta: float) -> datetime:
        return self.clock.advance(timedelta(**delta))

    async def deliver_due(self) -> list[str]:
        """Let the reminder engine send everything due now; returns the texts sent this time."""
        from bot.reminders.engine import ReminderEngine

        if self.engine is None:
            self.engine = ReminderEngine(self.app, {"test": self.recorder}, pacing=0.0)
        before = len(self.recorder.sent)
        await self.engine.tick()  # type: ignore[attr-defined]
        return [markup.to_plain(r.text) for _, replies in self.recorder.sent[before:] for r in replies]


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "health_addr": "",
    }
    base.update(overrides)
    return load_settings(**base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def bot(settings: Settings, nlu: NLU, knowledge: Knowledge) -> Iterator[BotHarness]:
    clock = FakeClock(START)
    app = App.build(settings, clock=clock, nlu=nlu, knowledge=knowledge)
    yield BotHarness(app, clock, Recorder())
    app.close()


# PostgreSQL ------------------------------------------------------------------------------------------


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}); set SECONDROUND_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    reason = _postgres_available()
    if reason:
        if os.environ.get("SECONDROUND_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"secondround_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_server.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings on SQLite, then on PostgreSQL (storage tests run against both)."""
    if request.param == "sqlite":
        return make_settings(tmp_path)
    url = request.getfixturevalue("postgres_url")
    return make_settings(tmp_path, database_url=url)


@pytest.fixture
def any_bot(any_db_settings: Settings, nlu: NLU, knowledge: Knowledge) -> Iterator[BotHarness]:
    clock = FakeClock(START)
    app = App.build(any_db_settings, clock=clock, nlu=nlu, knowledge=knowledge, migrate_db=True)
    yield BotHarness(app, clock, Recorder())
    app.close()
