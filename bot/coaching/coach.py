"""The coaching core's one entry point: :meth:`Coach.handle` takes a message and returns replies."""

from __future__ import annotations

import contextlib
import logging
import threading
import time as _time
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.coaching import handlers
from bot.coaching.dialog import dispatch
from bot.coaching.registry import Registry, collect
from bot.coaching.sanitize import clean, looks_like_words
from bot.coaching.throttle import FloodGuard, Verdict
from bot.coaching.turn import StorageUnavailable, Turn
from bot.common.clock import Clock
from bot.common.settings import Settings, check_zone
from bot.common.types import Button, ConversationRef, Handled, IncomingMessage, Outcome, Receipt, Reply
from bot.knowledge.library import TOPIC_LABELS, Knowledge
from bot.nlu import NLU
from bot.nlu.types import Parse
from bot.reminders.planner import ReminderPlanner
from bot.storage.db import Database
from bot.storage.repo import StateRow, UserData, find_user, get_or_create_user, load_user, store_state

log = logging.getLogger(__name__)

Observer = Callable[[Handled], None]


class _Understood(NLU):
    """The NLU (the same models), that already has the parse of one (text, local time, zone)."""

    def __init__(self, nlu: NLU, key: tuple[str, datetime, str], parse: Parse) -> None:
        super().__init__(nlu.classifier, nlu.tagger, nlu.specs)
        self._nlu, self._key, self._parse = nlu, key, parse

    def parse(self, text: str, now: datetime, tz: str) -> Parse:
        """The parse made before, when asked the same question; else the real NLU's."""
        return self._parse if (text, now, tz) == self._key else self._nlu.parse(text, now, tz)


class _HandledBefore(Exception):
    """The receipt says another delivery of this message was handled already: roll back, answer nothing."""


class _Discarded(Exception):
    """The message went over one of the user's limits: roll its changes back, keep its answer."""

    def __init__(self, replies: list[Reply], intent: str | Outcome) -> None:
        super().__init__(intent)
        self.replies, self.intent = replies, intent


def _write_back(session: Session, stored: StateRow, working: StateRow, now: datetime) -> None:
    """Write the state once, and only when the message changed it (no UPDATE with the row's own values).

    Handlers work on a copy outside the session (:meth:`StateRow.copy`): nothing writes it early.
    """
    if stored.pending != working.pending or stored.context != working.context or stored.updated_at is None:
        store_state(session, stored, working.pending, working.context, now)


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
        self._zones: dict[str, str] = {}  # each user's time zone as of their last message (a guess)

    # the entry point ------------------------------------------------------------------------------

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer one message or button press. Never raises: failures become a friendly reply."""
        replies = self.handle_once(msg, None)
        assert replies is not None  # (only a receipt can say "handled before")
        return replies

    def handle_once(
        self, msg: IncomingMessage, receipt: Receipt | None, *, throttle: bool = True
    ) -> list[Reply] | None:
        """Like :meth:`handle`, with ``receipt`` claimed and settled in the transaction that handles it.

        Returns None, doing nothing, when the receipt says the message was handled before (a retry).
        So the message's effects (a note stored, an interview moved) and the record that it was
        handled are committed together, or not at all. Answers that need no transaction (an empty
        message, a throttled one, an apology after a failure) settle the receipt on their own.
        ``throttle`` False skips the per-user flood guard (the caller has applied it already).
        """
        started = _time.perf_counter()
        key = f"{msg.ref.platform}:{msg.ref.workspace}:{msg.ref.user}"
        if not msg.ref.user:  # nobody to answer, and no one to file data under
            log.warning("message_without_user", extra={"platform": msg.ref.platform})
            return [] if self._settle_apart(receipt, []) else None
        verdict = Verdict.OK if not throttle or msg.ref.platform in self.unthrottled else self.flood.check(key)
        if verdict is not Verdict.OK:
            replies = [Reply(self.knowledge.response("flood"))] if verdict is Verdict.WARN else []
            if not self._settle_apart(receipt, replies):
                return None
            self._tell(msg, Outcome.THROTTLED, 0, False, started)
            return replies
        lock = self._lock_for(key)
        with lock:
            try:
                replies, intent, changed, settled = self._handle(msg, receipt)
            except _HandledBefore:
                return None
            except Exception:  # the last line of defence: log (no message text) and apologise
                log.exception("handler_failed", extra={"platform": msg.ref.platform})
                replies, intent, changed = [Reply(self.knowledge.response("internal_error"))], Outcome.ERROR, False
                settled = False
            if not settled and not self._settle_apart(receipt, replies):
                return None
        self._tell(msg, intent, len(replies), changed, started, tuple(r.kind for r in replies if r.kind))
        return replies

    def set_timezone(self, ref: ConversationRef, zone: str) -> None:
        """Set a user's time zone (``--tz``, a platform's own setting).

        Their interviews keep their local wall-clock times. Raises ValueError for an unknown zone.
        """
        check_zone(zone)
        from bot.coaching.handlers.interviews.timezones import apply_timezone

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
        from bot.coaching import advice
        from bot.coaching.handlers.interviews.listing import deadline_lines
        from bot.common import formatting

        now = self.clock.now()
        topics = Reply(
            "**Coaching topics**\nAsk me anything about your second interview, or pick a topic:",
            (*advice.topic_buttons(tuple(TOPIC_LABELS)), Button("Practise", "practice:start")),
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
            deadlines = deadline_lines(data, now, tz)  # offer deadlines and decision dates, as "what's coming up"
            if deadlines:
                lines += ["**Deadlines**", *(f"- {line}" for line in deadlines)]
            todo = [i for i in data.recent_past(now) if i.thank_you_sent_at is None][:5]
            replies = [Reply("\n".join(lines), private=True)]
            if todo:
                replies.append(
                    Reply(
                        "**To do**\n" + "\n".join(f"- Send thank-you emails for {formatting.company(i)}" for i in todo),
                        tuple(
                            b
                            for i in todo
                            for b in (
                                Button(f"Draft emails {i.company or ''}".strip()[:75], f"drafts:{i.id}"),
                                Button(f"Sent ✓ {i.company or ''}".strip()[:75], f"thanks:sent:{i.id}", "primary"),
                            )
                        ),
                        private=True,
                    )
                )
        return [*replies, topics]

    def interview_choices(self, ref: ConversationRef, typed: str = "", limit: int = 25) -> list[tuple[str, str]]:
        """The user's upcoming interviews matching ``typed``, as (label, id) pairs (for autocomplete)."""
        from bot.common import formatting

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
        self,
        msg: IncomingMessage,
        intent: str | Outcome,
        count: int,
        changed: bool,
        started: float,
        kinds: tuple[str, ...] = (),
    ) -> None:
        event = Handled(msg.ref, intent, count, changed, _time.perf_counter() - started, kinds)
        for observer in self.observers:
            try:
                observer(event)
            except Exception:
                log.exception("observer_failed")

    def _handle(self, msg: IncomingMessage, receipt: Receipt | None) -> tuple[list[Reply], str | Outcome, bool, bool]:
        """(replies, intent, data changed, receipt settled in the handling transaction)."""
        text = ""
        if msg.action is None:
            text = clean(msg.text)
            if not text or not looks_like_words(text):
                return [Reply(self.knowledge.response("empty"))], Outcome.EMPTY, False, False
            if len(text) > self.settings.max_message_chars:
                reply = self.knowledge.response(
                    "too_long", length=f"{len(text):,}", limit=f"{self.settings.max_message_chars:,}"
                )
                return [Reply(reply)], Outcome.TOO_LONG, False, False
        now = self.clock.now()
        key = f"{msg.ref.platform}:{msg.ref.workspace}:{msg.ref.user}"
        nlu = self._understood_before(msg, text, now, key)
        try:
            with self.db.session() as session:
                loaded = load_user(session, msg.ref, now)
                user = loaded.user
                if user.tz is None and msg.tz_hint:
                    with contextlib.suppress(ValueError):
                        user.tz, user.tz_source = check_zone(msg.tz_hint), "platform"
                data = UserData(session, user, loaded)
                turn = self._turn(msg, now, user.tz or self.settings.default_tz, data, nlu)
                stored = data.state_row(now)
                turn.state = stored.copy()
                replies, intent = dispatch(self.registry, turn, text)
                if data.discarded:  # over a limit: nothing of the message is kept (answered apart)
                    raise _Discarded(replies, intent)
                self._remember_zone(key, None if turn.forgotten else turn.tz)
                if not turn.forgotten:
                    if loaded.undelivered:
                        replies = self._undelivered_notice(turn) + replies
                    _write_back(session, stored, turn.state, now)
                if receipt is not None and not receipt.record(session, replies):
                    raise _HandledBefore
                return replies, intent, turn.changed or turn.forgotten, True
        except _Discarded as discarded:
            return discarded.replies, discarded.intent, False, False
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
            return [Reply(self.knowledge.response("storage_down"))], Outcome.STORAGE_DOWN, False, False
        return replies, intent, False, False

    def _settle_apart(self, receipt: Receipt | None, replies: list[Reply]) -> bool:
        """Settle ``receipt`` in a transaction of its own; False if the message was handled before.

        When the database cannot be reached the answer still goes out (True): answering twice, if the
        platform retries, beats not answering.
        """
        if receipt is None:
            return True
        try:
            with self.db.session() as session:
                if not receipt.record(session, replies):
                    return False
        except Exception as exc:
            log.warning("receipt_not_recorded", extra={"error": type(exc).__name__})
        return True

    def _understood_before(self, msg: IncomingMessage, text: str, now: datetime, key: str) -> NLU:
        """The NLU, with this message already understood in the user's likely time zone.

        Understanding takes most of a message's time; done here, before the transaction, it does not
        hold the database (SQLite's one writer) meanwhile. Inside, the answer is reused when the
        zone guessed from the user's previous message is still right, and worked out again if not.
        """
        if msg.action is not None or not text:
            return self.nlu
        tz = self._zones.get(key) or msg.tz_hint or self.settings.default_tz
        try:
            check_zone(tz)
            local_now = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
            return _Understood(self.nlu, (text, local_now, tz), self.nlu.parse(text, local_now, tz))
        except Exception:  # (the real parse, inside, reports whatever went wrong)
            return self.nlu

    def _remember_zone(self, key: str, tz: str | None) -> None:
        with self._locks_guard:
            if tz is None:
                self._zones.pop(key, None)
                return
            if len(self._zones) > 100_000:
                self._zones.clear()
            self._zones[key] = tz

    def _turn(
        self, msg: IncomingMessage, now: datetime, tz: str, data: UserData | None, nlu: NLU | None = None
    ) -> Turn:
        try:
            check_zone(tz)
        except ValueError:
            tz = self.settings.default_tz
        return Turn(
            msg=msg,
            now=now,
            tz=tz,
            knowledge=self.knowledge,
            nlu=nlu or self.nlu,
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
