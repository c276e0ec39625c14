"""The coaching core's one entry point: :meth:`Coach.handle` takes a message and returns replies."""

from __future__ import annotations

import contextlib
import logging
import threading
import time as _time
import weakref
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot import handlers
from bot.clock import Clock
from bot.dialog import dispatch
from bot.knowledge import Knowledge
from bot.nlu import NLU
from bot.registry import Registry, collect
from bot.reminders import ReminderPlanner
from bot.sanitize import clean, looks_like_words
from bot.settings import Settings, check_zone
from bot.storage.db import Database
from bot.storage.repo import UserData, find_user, get_or_create_user
from bot.throttle import FloodGuard
from bot.turn import StorageUnavailable, Turn
from bot.types import Button, ConversationRef, Handled, IncomingMessage, Reply

log = logging.getLogger(__name__)

Observer = Callable[[Handled], None]


class Coach:
    """Understands a message, acts on the user's data and answers from the knowledge base.

    Thread-safe: adapters may call :meth:`handle` from worker threads. Messages of one user are
    handled one at a time; different users proceed in parallel.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        knowledge: Knowledge,
        nlu: NLU,
        clock: Clock,
        planner: ReminderPlanner | None = None,
        registry: Registry | None = None,
        unthrottled: frozenset[str] = frozenset({"console"}),
    ) -> None:
        self.settings = settings
        self.db = db
        self.knowledge = knowledge
        self.nlu = nlu
        self.clock = clock
        self.planner = planner or ReminderPlanner(settings, knowledge, clock)
        self.registry = registry or collect(handlers.MODULES)
        self.flood = FloodGuard(clock, settings.flood_messages, timedelta(seconds=settings.flood_window_seconds))
        self.unthrottled = unthrottled  # the local console user is the operator, not a crowd
        self.observers: list[Observer] = []
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()

    # the entry point ------------------------------------------------------------------------------

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer one message or button press. Never raises: failures become a friendly reply."""
        started = _time.perf_counter()
        key = f"{msg.ref.platform}:{msg.ref.workspace}:{msg.ref.user}"
        verdict = "ok" if msg.ref.platform in self.unthrottled else self.flood.check(key)
        if verdict != "ok":
            self._tell(msg, "throttled", 0, False, started)
            return [Reply(self.knowledge.response("flood"))] if verdict == "warn" else []
        lock = self._lock_for(key)
        with lock:
            try:
                replies, intent, changed = self._handle(msg)
            except Exception:  # the last line of defence: log (no message text) and apologise
                log.exception("handler_failed", extra={"platform": msg.ref.platform})
                replies, intent, changed = [Reply(self.knowledge.response("internal_error"))], "error", False
        self._tell(msg, intent, len(replies), changed, started, tuple(r.kind for r in replies if r.kind))
        return replies

    def set_timezone(self, ref: ConversationRef, zone: str) -> None:
        """Set a user's time zone (``--tz``, a platform's own setting).

        Their interviews keep their local wall-clock times. Raises ValueError for an unknown zone.
        """
        check_zone(zone)
        from bot.handlers.interviews import apply_timezone

        now = self.clock.now()
        with self.db.session() as session:
            user, _ = get_or_create_user(session, ref, now)
            data = UserData(session, user)
            turn = self._turn(IncomingMessage(ref), now, user.tz or self.settings.default_tz, data)
            turn.state = data.state(now)
            apply_timezone(turn, zone)

    def home(self, ref: ConversationRef) -> list[Reply]:
        """A summary of the user's own data, for a platform's home view.

        Upcoming interviews with their next reminder, thank-yous still to send, and the coaching topics.
        """
        from bot import advice, formatting

        now = self.clock.now()
        topics = Reply(
            "**Coaching topics**\nAsk me anything about your second interview, or pick a topic:",
            advice.topic_buttons(tuple(advice.TOPIC_LABELS)),
        )
        with self.db.session() as session:
            user = find_user(session, ref)
            if user is None:
                return [Reply(self.knowledge.response("greeting"), private=True), topics]
            data = UserData(session, user)
            tz = user.tz or self.settings.default_tz
            today = now.astimezone(ZoneInfo(tz)).date()
            lines = ["**Your upcoming interviews**"]
            upcoming = data.upcoming(now)
            for interview in upcoming:
                line = f"- {formatting.summary(interview, today)}"
                nxt = self.planner.next_for(session, interview)
                if nxt is not None:
                    due = nxt.due_at.astimezone(ZoneInfo(tz))
                    line += f"\n  Next reminder: {formatting.day(due.date(), today)}, {formatting.clock(due)}"
                lines.append(line)
            if not upcoming:
                lines.append(
                    "None yet. Tell me about one, e.g. “I have a second interview with Acme on Friday at 3pm”."
                )
            todo = [i for i in data.recent_past(now) if i.thank_you_sent_at is None][:5]
            replies = [Reply("\n".join(lines), private=True)]
            if todo:
                replies.append(
                    Reply(
                        "**To do**\n" + "\n".join(f"- Send thank-you emails for {formatting.company(i)}" for i in todo),
                        tuple(
                            Button(f"Sent ✓ {i.company or ''}".strip()[:75], f"thanks:sent:{i.id}", "primary")
                            for i in todo
                        ),
                        private=True,
                    )
                )
        return [*replies, topics]

    def interview_choices(self, ref: ConversationRef, typed: str = "", limit: int = 25) -> list[tuple[str, str]]:
        """The user's upcoming interviews matching ``typed``, as (label, id) pairs (for autocomplete)."""
        from bot import formatting

        now = self.clock.now()
        with self.db.session() as session:
            user = find_user(session, ref)
            if user is None:
                return []
            tz = user.tz or self.settings.default_tz
            today = now.astimezone(ZoneInfo(tz)).date()
            out = []
            for interview in UserData(session, user).upcoming(now):
                label = f"{interview.company or 'Interview'}, {formatting.when(interview, today)}"
                if typed.lower() in label.lower():
                    out.append((label[:100], str(interview.id)))
            return out[:limit]

    # internals ------------------------------------------------------------------------------------

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = threading.Lock()
                self._locks[key] = lock
            return lock

    def _tell(
        self, msg: IncomingMessage, intent: str, count: int, changed: bool, started: float, kinds: tuple[str, ...] = ()
    ) -> None:
        event = Handled(msg.ref, intent, count, changed, _time.perf_counter() - started, kinds)
        for observer in self.observers:
            try:
                observer(event)
            except Exception:
                log.exception("observer_failed")

    def _handle(self, msg: IncomingMessage) -> tuple[list[Reply], str, bool]:
        text = ""
        if msg.action is None:
            text = clean(msg.text)
            if not text or not looks_like_words(text):
                return [Reply(self.knowledge.response("empty"))], "empty", False
            if len(text) > self.settings.max_message_chars:
                reply = self.knowledge.response(
                    "too_long", length=f"{len(text):,}", limit=f"{self.settings.max_message_chars:,}"
                )
                return [Reply(reply)], "too_long", False
        now = self.clock.now()
        try:
            with self.db.session() as session:
                user, _ = get_or_create_user(session, msg.ref, now)
                if user.tz is None and msg.tz_hint:
                    with contextlib.suppress(ValueError):
                        user.tz, user.tz_source = check_zone(msg.tz_hint), "platform"
                data = UserData(session, user)
                turn = self._turn(msg, now, user.tz or self.settings.default_tz, data)
                turn.state = data.state(now)
                replies, intent = dispatch(self.registry, turn, text)
                if turn.forgotten:
                    return replies, intent, True
                notices = self._undelivered_notice(turn)
                turn.state.updated_at = now
                return notices + replies, intent, turn.changed
        except (OperationalError, StorageUnavailable) as exc:
            log.warning("storage_unavailable", extra={"error": type(exc).__name__})
        except DBAPIError as exc:
            if isinstance(exc, IntegrityError):
                raise
            log.warning("storage_unavailable", extra={"error": type(exc).__name__})
        turn = self._turn(msg, now, msg.tz_hint or self.settings.default_tz, None)
        try:
            replies, intent = dispatch(self.registry, turn, text)
        except StorageUnavailable:
            return [Reply(self.knowledge.response("storage_down"))], "storage_down", False
        return replies, intent, False

    def _turn(self, msg: IncomingMessage, now: object, tz: str, data: UserData | None) -> Turn:
        try:
            check_zone(tz)
        except ValueError:
            tz = self.settings.default_tz
        return Turn(
            msg=msg,
            now=now,  # type: ignore[arg-type]
            tz=tz,
            knowledge=self.knowledge,
            nlu=self.nlu,
            settings=self.settings,
            planner=self.planner,
            _data=data,
        )

    def _undelivered_notice(self, turn: Turn) -> list[Reply]:
        if not turn.has_storage:
            return []
        failed = self.planner.undelivered(turn.data.session, turn.data.user)
        if not failed:
            return []
        for row in failed:
            row.failure_told = True
        reasons = sorted({(r.last_error or "unknown reason").split(":")[0] for r in failed})
        count = len(failed)
        what = "a reminder" if count == 1 else f"{count} reminders"
        text = (
            f"Heads-up: I couldn't deliver {what} to you ({'; '.join(reasons)}). "
            "If your direct messages are closed, open them for this bot so reminders can reach you."
        )
        return [Reply(text, private=True)]
