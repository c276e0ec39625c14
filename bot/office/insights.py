"""What the career office sees: anonymous counts of what students need, never a person.

:func:`compute` gathers the figures (students active, upcoming second interviews per week, topics
asked most, outcomes, reminders delivered, thank-yous marked sent, topics with no good answer) from
the aggregate queries in :mod:`bot.storage.insights`. Any figure about fewer than
:data:`MIN_STUDENTS` students is shown as ``"< 5"``, never its number; nothing in an
:class:`Insights` names a student, an id, a company or anything a student wrote.

:class:`TopicRecorder` (a coach observer) counts which coaching topic each question was about and
whether the bot had a good answer; ``forget me`` deletes those counts with the student.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.common import markup
from bot.common.types import ConversationRef, Handled, Reply
from bot.knowledge.library import COACHING_TOPICS, TOPIC_LABELS
from bot.storage import insights as queries
from bot.storage.db import Database
from bot.storage.insights import Scope, Tally

log = logging.getLogger(__name__)

MIN_STUDENTS = 5
FEW = "< 5"
WEEKS_AHEAD = 4
DEFAULT_TERM = timedelta(weeks=16)
OUTCOMES = ("offer", "accepted", "rejected", "withdrawn")
OUTCOME_LABELS = {"offer": "Offers", "accepted": "Offers accepted", "rejected": "Rejections", "withdrawn": "Withdrawn"}
NOT_COUNSELLOR = (
    "Insights are for the career office's counsellors, and you're not on their list for this workspace. "
    "If you should be, ask whoever runs SecondRound here to add you."
)
NOT_COUNSELLOR_RELOAD = "Only the career office's counsellors can reload the advice."
Shown = int | str  # a count, or FEW


def shown(count: int, students: int) -> Shown:
    """``count`` as it may be shown: ``"< 5"`` when it is about fewer than five students."""
    return FEW if students < MIN_STUDENTS else count


@dataclass(frozen=True)
class TopicFigure:
    """Questions on one coaching topic (masked)."""

    topic: str
    title: str
    questions: Shown
    students: Shown


@dataclass(frozen=True)
class WeekFigure:
    """Second interviews in one week (masked)."""

    week_of: date
    interviews: Shown


@dataclass(frozen=True)
class Insights:
    """The office's figures for one period and scope. Every number is already masked."""

    generated_at: datetime
    since: date
    workspace: str
    active_this_week: Shown
    active_this_term: Shown
    upcoming: tuple[WeekFigure, ...]
    topics: tuple[TopicFigure, ...]
    outcomes: dict[str, Shown]
    reminders_delivered: Shown
    thank_yous_sent: Shown
    unanswered: tuple[TopicFigure, ...]
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """JSON-ready figures (the ``report --format json`` document)."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "since": self.since.isoformat(),
            "workspace": self.workspace,
            "min_students": MIN_STUDENTS,
            "students_active": {"this_week": self.active_this_week, "this_term": self.active_this_term},
            "upcoming_second_interviews": [
                {"week_of": w.week_of.isoformat(), "interviews": w.interviews} for w in self.upcoming
            ],
            "topics_asked": [_topic_json(t) for t in self.topics],
            "outcomes": dict(self.outcomes),
            "reminders_delivered": self.reminders_delivered,
            "thank_yous_marked_sent": self.thank_yous_sent,
            "topics_without_good_answer": [_topic_json(t) for t in self.unanswered],
        }

    def rows(self) -> list[tuple[str, str, Shown]]:
        """Every figure as (section, label, value): the CSV report's rows."""
        out: list[tuple[str, str, Shown]] = [
            ("students active", "this week", self.active_this_week),
            ("students active", f"this term (since {self.since.isoformat()})", self.active_this_term),
        ]
        out += [("upcoming second interviews", f"week of {w.week_of.isoformat()}", w.interviews) for w in self.upcoming]
        out += [("topics asked", t.title, t.questions) for t in self.topics]
        out += [("outcomes reported", OUTCOME_LABELS[k], v) for k, v in self.outcomes.items()]
        out += [
            ("reminders", "delivered", self.reminders_delivered),
            ("thank-yous", "marked sent", self.thank_yous_sent),
        ]
        out += [("no good answer", t.title, t.questions) for t in self.unanswered]
        return out


def _topic_json(t: TopicFigure) -> dict[str, Any]:
    return {"topic": t.topic, "title": t.title, "questions": t.questions, "students": t.students}


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of ``moment``'s week."""
    day = moment.astimezone(UTC).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time(0), tzinfo=UTC)


def term_start(now: datetime, configured: date | None) -> date:
    """The first day of the term: ``SECONDROUND_TERM_START``, or 16 weeks before ``now``."""
    return configured if configured is not None else (now - DEFAULT_TERM).date()


def compute(
    db: Database,
    now: datetime,
    *,
    since: date | None = None,
    scope: Scope | None = None,
    term: date | None = None,
) -> Insights:
    """The office's figures: "this term" and the period counts start at ``since`` (default: the term)."""
    scope = scope or Scope()
    first_day = since or term_start(now, term)
    start = datetime.combine(first_day, time(0), tzinfo=UTC)
    monday = week_start(now)
    with db.session() as session:
        week_active = queries.active_students(session, monday, scope)
        term_active = queries.active_students(session, start, scope)
        starts = queries.interview_starts(session, max(now, monday), monday + timedelta(weeks=WEEKS_AHEAD), scope)
        asked = queries.topics(session, start, scope)
        unanswered = queries.topics(session, start, scope, unanswered=True)
        outcomes = queries.outcomes(session, start, scope)
        reminders = queries.reminders_delivered(session, start, scope)
        thanks = queries.thank_yous_sent(session, start, scope)
    weeks: list[WeekFigure] = []
    for i in range(WEEKS_AHEAD):
        lo, hi = monday + timedelta(weeks=i), monday + timedelta(weeks=i + 1)
        inside = [uid for at, uid in starts if lo <= at < hi]
        weeks.append(WeekFigure(lo.date(), shown(len(inside), len(set(inside)))))
    return Insights(
        generated_at=now,
        since=first_day,
        workspace=scope.workspace if scope.workspace is not None else "all",
        active_this_week=shown(week_active, week_active),
        active_this_term=shown(term_active, term_active),
        upcoming=tuple(weeks),
        topics=_ranked(asked),
        outcomes={k: shown(outcomes[k].count, outcomes[k].students) if k in outcomes else FEW for k in OUTCOMES},
        reminders_delivered=shown(reminders.count, reminders.students),
        thank_yous_sent=shown(thanks.count, thanks.students),
        unanswered=_ranked(unanswered),
    )


def _ranked(tallies: dict[str, Tally]) -> tuple[TopicFigure, ...]:
    """Topics most asked first; those about fewer than five students after them, by name (no order leaks)."""
    known = {t: v for t, v in tallies.items() if t in COACHING_TOPICS}
    big = sorted((t for t, v in known.items() if v.students >= MIN_STUDENTS), key=lambda t: (-known[t].count, t))
    few = sorted(t for t, v in known.items() if v.students < MIN_STUDENTS)
    return tuple(
        TopicFigure(
            t,
            TOPIC_LABELS.get(t, t),
            shown(known[t].count, known[t].students),
            shown(known[t].students, known[t].students),
        )
        for t in [*big, *few]
    )


# who may see them ----------------------------------------------------------------------------------


def chat_insights(app: Any, ref: ConversationRef, *, counsellor: bool) -> Reply:
    """The answer to ``/coach insights`` (Slack) or ``/insights`` (Discord): the figures, or a refusal.

    Whether the person is a ``counsellor`` is the platform plugin's to say
    (:meth:`bot.ops.plugins.PlatformSettings.is_counsellor`). A counsellor sees their own workspace
    (Slack) or every student of the platform (Discord).
    """
    if not counsellor:
        log.info("insights_refused", extra={"platform": ref.platform})
        return Reply(NOT_COUNSELLOR, private=True)
    flush_topic_counts(app)
    scope = Scope(platform=ref.platform, workspace=ref.workspace or None)
    figures = compute(app.db, app.clock.now(), scope=scope, term=app.settings.term_start)
    return Reply(as_text(figures), private=True, kind="insights")


def admin_reload(app: Any, ref: ConversationRef, *, counsellor: bool) -> Reply:
    """``/coach admin reload``: a counsellor reloads the knowledge (SECONDROUND_KNOWLEDGE_DIR) now."""
    from bot.knowledge.check import reload

    if not counsellor:
        log.info("reload_refused", extra={"platform": ref.platform})
        return Reply(NOT_COUNSELLOR_RELOAD, private=True)
    ok, why = reload(app)
    return Reply(markup.literal(why if ok else why[:2500]), private=True)


def as_text(ins: Insights) -> str:
    """The figures in the core's neutral markup, for a chat message or an App Home section."""

    def fmt(v: Shown) -> str:
        return str(v)

    lines = [
        markup.bold("Career office insights") + f" (anonymous counts since {ins.since:%d %b %Y}; "
        f"fewer than {MIN_STUDENTS} students shows as {markup.literal(FEW)})",
        "",
        markup.bold("Students active:")
        + " "
        + f"{fmt(ins.active_this_week)} this week, {fmt(ins.active_this_term)} this term",
        markup.bold("Second interviews coming up:"),
        markup.bullets([f"week of {w.week_of:%d %b}: {fmt(w.interviews)}" for w in ins.upcoming]),
        markup.bold("Topics asked most:"),
        markup.bullets([f"{markup.literal(t.title)}: {fmt(t.questions)}" for t in ins.topics[:6]]) or "- none yet",
        markup.bold("Outcomes reported:")
        + " "
        + ", ".join(f"{OUTCOME_LABELS[k].lower()} {fmt(v)}" for k, v in ins.outcomes.items()),
        markup.bold("Reminders delivered:")
        + " "
        + f"{fmt(ins.reminders_delivered)}; "
        + markup.bold("thank-yous marked sent:")
        + " "
        + fmt(ins.thank_yous_sent),
        markup.bold("Topics with no good answer:"),
        markup.bullets([f"{markup.literal(t.title)}: {fmt(t.questions)}" for t in ins.unanswered]) or "- none",
    ]
    return "\n".join(lines)


# feeding the counts --------------------------------------------------------------------------------


class TopicRecorder:
    """A coach observer: counts each coaching question by topic, and whether it had a good answer.

    The counts are written in batches, off the question's own transaction, so a coaching question
    costs no statement more (issue 12's thin data path): the runtime's inbox sweep writes them
    (every ``SECONDROUND_INBOX_SWEEP_SECONDS``), as do a counsellor's figures read in this process
    (:func:`flush_topic_counts`) and closing the app; a burst of :attr:`batch` questions between two
    sweeps is written at once. A crash loses at most one sweep's anonymous counts, never a student's data.
    """

    def __init__(self, db: Database, now: Any, *, batch: int = 1000) -> None:
        self.db = db
        self.now = now
        self.batch = batch
        self._pending: list[tuple[ConversationRef, str, bool, datetime]] = []
        self._lock = threading.Lock()
        _RECORDERS.add(self)

    def __call__(self, event: Handled) -> None:
        """Count one question (a worker thread; a database failure is logged, never raised)."""
        unanswered = [k.partition(":")[2] for k in event.kinds if k.startswith("unanswered:")]
        topic = unanswered[0] if unanswered else event.intent
        if topic not in COACHING_TOPICS:
            return
        now = self.now()
        with self._lock:
            self._pending.append((event.ref, topic, not unanswered, now))
            due = len(self._pending) >= self.batch
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the counts held so far (one transaction); kept for the next try if the database fails."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            with self.db.session() as session:
                queries.record_topics(session, pending)
        except Exception as exc:
            log.warning("topic_count_failed", extra={"error": type(exc).__name__})
            with self._lock:
                self._pending[:0] = pending[-10 * self.batch :]

    def held(self, ref: ConversationRef) -> list[dict[str, Any]]:
        """The counts of ``ref``'s questions not written yet (a student's export includes them)."""
        with self._lock:
            return [
                {"topic": topic, "answered": answered, "asked_at": at.isoformat(), "written": False}
                for who, topic, answered, at in self._pending
                if (who.platform, who.workspace, who.user) == (ref.platform, ref.workspace, ref.user)
            ]


_RECORDERS: weakref.WeakSet[TopicRecorder] = weakref.WeakSet()


def held_topic_asks(ref: ConversationRef) -> list[dict[str, Any]]:
    """Counts of ``ref``'s questions that this process holds and has not written yet."""
    return [row for recorder in list(_RECORDERS) for row in recorder.held(ref)]


def flush_topic_counts(app: Any) -> None:
    """Write every topic count this process still holds (before figures are read, and at close)."""
    for observer in app.coach.observers:
        if isinstance(observer, TopicRecorder):
            observer.flush()
