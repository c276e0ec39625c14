"""Plans the chain of reminders around each interview and writes what each one says.

The reminders table is the truth. Planning writes rows; :mod:`bot.reminders.delivery` claims and sends them.
Times: offsets apply to the wall clock of the interview's time zone (so "the day before" stays at the
same local hour across a daylight-saving change), then quiet hours push a reminder out of the
user's night, then the result is stored in UTC.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Insert, Select, Table, bindparam, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from bot.common import formatting, limits, markup
from bot.common.clock import Clock
from bot.common.limits import LimitReached
from bot.common.settings import Settings
from bot.common.types import Button, Reply
from bot.knowledge.library import Knowledge
from bot.reminders.kinds import CUSTOM, OUTCOME_STOPS, THANK_YOU_CHAIN, ReminderKind
from bot.reminders.kinds import MORNING as MORNING  # 9:00, for own_reminders too
from bot.storage.models import Interview, Reminder, User

OPEN = ("pending", "sending")
_NEXT = "secondround.next_reminder"  # Session.info: each interview's next reminder, as just planned


def to_utc(local: datetime, tz: str) -> datetime:
    """Naive wall-clock time in ``tz`` → aware UTC. Times in a DST gap move forward, not back."""
    zone = ZoneInfo(tz)
    aware = local.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local:  # nonexistent (spring-forward gap)
        utc = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return utc


def to_local(instant: datetime, tz: str) -> datetime:
    """Aware instant → naive wall-clock time in ``tz``."""
    return instant.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _pending_of(interview_id: Any, user_id: Any) -> tuple[ColumnElement[bool], ...]:
    """The conditions that pick an interview's pending reminders (its owner's only): values or bound parameters."""
    return (Reminder.interview_id == interview_id, Reminder.user_id == user_id, Reminder.status == "pending")


@functools.cache
def _pending_query() -> Select[Reminder]:
    """An interview's pending reminders, oldest first (built once, the ids bound)."""
    return select(Reminder).where(*_pending_of(bindparam("b_interview"), bindparam("b_user"))).order_by(Reminder.id)


@functools.cache
def _insert_reminders() -> Insert:
    """The insert of newly planned reminders, on the table (built once)."""
    return insert(cast(Table, Reminder.__table__))


@functools.cache
def _open_count() -> Select[int]:
    """How many reminders of a user are waiting or being sent (built once, the user bound)."""
    return (
        select(func.count())
        .select_from(Reminder)
        .where(Reminder.user_id == bindparam("b_user"), Reminder.status.in_(OPEN))
    )


class ReminderPlanner:
    """Decides which reminders exist for an interview and when they are due."""

    def __init__(self, settings: Settings, knowledge: Knowledge, clock: Clock) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.clock = clock

    # planning -----------------------------------------------------------------------------------

    def quiet(self, local: datetime) -> bool:
        """Whether a local wall-clock time falls in quiet hours."""
        window = self.settings.quiet_hours
        if window is None:
            return False
        start, end = window
        t = local.time()
        return (start <= t or t < end) if start > end else (start <= t < end)

    def out_of_quiet(self, local: datetime, *, before: datetime | None = None) -> datetime:
        """Move a local time out of quiet hours.

        It goes to when they end, or, if that is not comfortably before ``before`` (the interview), to
        half an hour before they began.
        """
        if self.settings.quiet_hours is None or not self.quiet(local):
            return local
        start, end = self.settings.quiet_hours
        ends = datetime.combine(local.date(), end)
        later = ends if ends > local else ends + timedelta(days=1)
        if before is None or later <= before - timedelta(minutes=30):
            return later
        begins = datetime.combine(local.date(), start)
        began = begins if begins <= local else begins - timedelta(days=1)
        return began - timedelta(minutes=30)

    def due_times(self, interview: Interview) -> dict[str, datetime]:
        """Local due times, by kind, for everything this interview should have (before filtering)."""
        offsets = self.settings.reminder_offsets
        due: dict[str, datetime] = {}
        for kind in ReminderKind:  # in the kinds' order
            if kind in offsets:
                at = kind.rule.due(interview, offsets[kind], self.out_of_quiet)
                if at is not None:
                    due[kind.value] = at
        if interview.outcome in OUTCOME_STOPS:  # after a rejection, a re-plan must not bring them back
            stops = OUTCOME_STOPS[interview.outcome]
            due = {kind: at for kind, at in due.items() if stops is not None and kind not in stops}
        return due

    def plan(self, session: Session, user: User, interview: Interview) -> list[Reminder]:
        """(Re)plan an interview's reminders; returns the rows it created.

        Re-planning changes only what has to change. A waiting reminder stays as it is when its kind
        is still wanted at the same planned time (a snooze or a retry survives an unrelated edit), and
        also when it has already fallen due and is still wanted, with its new time passed as well:
        a reminder that fell due while the bot was offline is delivered late rather than dropped,
        whatever else was re-planned (a time-zone change, an added interviewer). Every other waiting
        reminder is cancelled and replaced. Sent ones are left as history.

        A reminder whose time has already passed when it is first planned is not created, except an
        offer deadline that has not passed yet (it goes out now). Raises :class:`LimitReached` when the
        user would have more than :data:`bot.common.limits.MAX_OPEN_REMINDERS` waiting.
        """
        now = self.clock.now()
        new = "planned_schedule" not in vars(interview)  # made by this message (loaded ones know their plan)
        if interview.id is None or inspect(interview).pending:
            session.flush()  # its id
        if not new and interview.planned_schedule == interview.schedule():  # type: ignore[attr-defined]
            return []  # nothing its reminders depend on changed since they were planned: no re-plan
        wanted = {kind: to_utc(local, interview.tz) for kind, local in self.due_times(interview).items()}
        existing = (
            []  # a new interview has no reminders yet
            if new
            else list(session.scalars(_pending_query(), {"b_interview": interview.id, "b_user": interview.user_id}))
        )
        self._follow_start(interview, [row for row in existing if row.kind == CUSTOM])
        existing = [row for row in existing if row.kind != CUSTOM]
        kept: set[str] = set()
        waiting: list[Reminder] = []
        for row in existing:
            due = wanted.get(row.kind)
            fell_due = row.planned_at <= now and due is not None and due <= now
            if row.kind not in kept and due is not None and (row.planned_at == due or fell_due):
                kept.add(row.kind)
                waiting.append(row)
            else:
                row.status = "cancelled"
        created = []
        for kind, due in wanted.items():
            if kind in kept:
                continue
            if due <= now:
                if kind == "offer_deadline" and interview.offer_deadline and interview.offer_deadline > now:
                    due = now
                else:
                    continue
            created.append(
                {
                    "user_id": user.id,
                    "interview_id": interview.id,
                    "kind": kind,
                    "due_at": due,
                    "planned_at": due,
                    "status": "pending",
                    "attempts": 0,
                    "failure_told": False,
                    "platform": user.platform,
                    "workspace": user.workspace,
                    "channel": user.dm_channel or "",
                    "external_user": user.external_id,
                    "created_at": now,
                }
            )
        if created:
            self._check_limit(session, user, len(created))
            # one statement (executemany), no RETURNING; on the table (the ORM's bulk path adds only its cost)
            session.connection().execute(_insert_reminders(), created)
        rows = [Reminder(**values) for values in created]  # (detached copies: what the answer shows)
        interview.planned_schedule = interview.schedule()  # type: ignore[attr-defined]
        upcoming = sorted((r for r in waiting + rows if r.status == "pending"), key=lambda r: r.due_at)
        session.info.setdefault(_NEXT, {})[interview.id] = upcoming[0] if upcoming else None
        return rows

    def _follow_start(self, interview: Interview, rows: list[Reminder]) -> None:
        """Custom reminders set relative to the interview's start ("2 hours before") move with it."""
        for row in rows:
            if row.before_minutes is None:
                continue
            if interview.starts_at is None or interview.status != "scheduled":
                row.status = "cancelled"
                continue
            due = self.relative_due(interview, row.before_minutes)
            if due != row.planned_at:
                row.due_at = row.planned_at = due

    def relative_due(self, interview: Interview, before_minutes: int) -> datetime:
        """When "N minutes before the interview" falls (UTC), out of quiet hours but before the interview."""
        assert interview.starts_at is not None
        local = to_local(interview.starts_at - timedelta(minutes=before_minutes), interview.tz)
        start = to_local(interview.starts_at, interview.tz)
        return to_utc(self.out_of_quiet(local, before=start), interview.tz)

    def add_custom(
        self,
        session: Session,
        user: User,
        due: datetime,
        text: str | None,
        interview: Interview | None = None,
        before_minutes: int | None = None,
    ) -> Reminder:
        """Store a reminder the student asked for, due at ``due`` (UTC; quiet hours already applied)."""
        now = self.clock.now()
        row = Reminder(
            user_id=user.id,
            interview_id=interview.id if interview is not None else None,
            kind=CUSTOM,
            due_at=due,
            planned_at=due,
            status="pending",
            attempts=0,
            platform=user.platform,
            workspace=user.workspace,
            channel=user.dm_channel or "",
            external_user=user.external_id,
            created_at=now,
            text=text,
            before_minutes=before_minutes,
        )
        self._check_limit(session, user, 1)
        session.add(row)
        session.flush()
        return row

    def custom(self, session: Session, user: User) -> list[Reminder]:
        """The student's own reminders still to go out, soonest first."""
        return list(
            session.scalars(
                select(Reminder)
                .where(Reminder.user_id == user.id, Reminder.kind == CUSTOM, Reminder.status.in_(OPEN))
                .order_by(Reminder.due_at, Reminder.id)
            )
        )

    @staticmethod
    def _check_limit(session: Session, user: User, adding: int) -> None:
        # count what this message already changed in the reminders (and only those: no other write early)
        session.flush()  # count what this message already changed
        waiting = session.connection().execute(_open_count(), {"b_user": user.id}).scalar()  # (just flushed)
        if int(waiting or 0) + adding > limits.MAX_OPEN_REMINDERS:
            raise LimitReached(
                "reminders",
                limits.MAX_OPEN_REMINDERS,
                f"You have {limits.MAX_OPEN_REMINDERS} reminders waiting, the most I keep for one person, so I "
                "didn't make that change. Cancelling interviews you no longer need frees their reminders.",
            )

    def cancel(self, session: Session, interview: Interview, kinds: tuple[str, ...] | None = None) -> None:
        """Cancel an interview's pending reminders (of ``kinds``, or all)."""
        query = update(Reminder).where(*_pending_of(interview.id, interview.user_id))
        if kinds:
            query = query.where(Reminder.kind.in_(kinds))
        session.execute(query.values(status="cancelled"))
        session.info.get(_NEXT, {}).pop(interview.id, None)

    def thank_you_sent(self, session: Session, interview: Interview) -> None:
        """The thank-yous went out: stop the thank-you chain."""
        self.cancel(session, interview, THANK_YOU_CHAIN)

    def next_for(self, session: Session, interview: Interview) -> Reminder | None:
        """The interview's next pending reminder (as planned by this transaction, when it planned them)."""
        planned = session.info.get(_NEXT, {})
        if interview.id in planned:
            return planned[interview.id]  # type: ignore[no-any-return]
        return session.scalars(
            select(Reminder).where(*_pending_of(interview.id, interview.user_id)).order_by(Reminder.due_at).limit(1)
        ).first()

    def snooze(self, session: Session, user: User, reminder_id: int, until: datetime) -> Reminder | None:
        """Send the user's reminder again at ``until`` (UTC, pushed out of quiet hours)."""
        row = session.scalars(
            select(Reminder).where(Reminder.id == reminder_id, Reminder.user_id == user.id)
        ).one_or_none()
        if row is None or row.status == "cancelled":
            return None
        session.info.pop(_NEXT, None)
        tz = user.tz or self.settings.default_tz
        local = self.out_of_quiet(to_local(until, tz))
        row.due_at = to_utc(local, tz)
        row.status = "pending"
        row.attempts = 0
        row.last_error = None
        row.claimed_by = None
        row.claimed_at = None
        return row

    def undelivered(self, session: Session, user: User) -> list[Reminder]:
        """Reminders that failed and the user has not been told about yet."""
        return list(
            session.scalars(
                select(Reminder)
                .where(Reminder.user_id == user.id, Reminder.status == "failed", Reminder.failure_told.is_(False))
                .order_by(Reminder.due_at)
            )
        )

    # wording -------------------------------------------------------------------------------------

    def compose(self, reminder: Reminder, interview: Interview | None, tz: str, *, late: bool) -> Reply:
        """What a reminder says, with its buttons."""
        if reminder.kind == CUSTOM:
            return self._compose_custom(reminder, interview, tz, late=late)
        template = self.knowledge.reminders[reminder.kind].text
        today = to_local(self.clock.now(), tz).date()
        company = formatting.company(interview) if interview and interview.company else "the company"
        when = formatting.when(interview, today) if interview else ""
        if reminder.kind == "offer_deadline" and interview is not None and interview.offer_deadline:
            deadline = to_local(interview.offer_deadline, tz)
            when = f"{formatting.day(deadline.date(), today)}, {formatting.clock(deadline)}"
        elif reminder.kind == "follow_up" and interview is not None and interview.decision_by:
            when = formatting.day(interview.decision_by, today)
        names = list(interview.interviewers or []) if interview else []
        text = template.format(
            company=company,
            when=when,
            interviewers=f" ({formatting.people(names)})" if names else "",
        )
        if late:
            text = "_Sorry, this reminder is late: I was offline when it was due._\n" + text
        return Reply(text, self.buttons(reminder, interview), private=True, kind=reminder.kind)

    def _compose_custom(self, reminder: Reminder, interview: Interview | None, tz: str, *, late: bool) -> Reply:
        """A reminder the student asked for: their words, and the interview it is about."""
        today = to_local(self.clock.now(), tz).date()
        lines = []
        if reminder.text:
            lines.append(f"⏰ You asked me to remind you: **{markup.literal(reminder.text)}**")
        if interview is not None and reminder.before_minutes is not None:
            lines.append(
                f"⏰ Your {formatting.company(interview)} interview is {formatting.when(interview, today)} "
                f"({duration(reminder.before_minutes)} from now)."
            )
        elif interview is not None:
            when = formatting.when(interview, today)
            lines.append(f"(About your {formatting.company(interview)} interview, {when}.)")
        if not lines:
            lines.append("⏰ Here's the reminder you asked for.")
        text = "\n".join(lines)
        if late:
            text = "_Sorry, this reminder is late: I was offline when it was due._\n" + text
        return Reply(text, self.buttons(reminder, interview), private=True, kind=reminder.kind)

    @staticmethod
    def buttons(reminder: Reminder, interview: Interview | None) -> tuple[Button, ...]:
        """The buttons under a reminder; their values carry ids, so they work after a restart."""
        snooze = (
            Button("Remind me later", f"reminder:snooze:{reminder.id}:180"),
            Button("Tomorrow", f"reminder:snooze:{reminder.id}:tomorrow"),
        )
        if reminder.kind in THANK_YOU_CHAIN and interview is not None:
            return (
                Button("Draft emails", f"drafts:{interview.id}", "primary"),
                Button("Sent ✓", f"thanks:sent:{interview.id}"),
                *snooze,
            )
        if reminder.kind == "prepare":
            return (
                Button("Preparation tips", "topic:preparation"),
                Button("Questions to ask", "topic:questions_to_ask"),
            )
        if reminder.kind == "follow_up":
            return (Button("How to follow up", "topic:follow_up"), *snooze)
        if reminder.kind == "offer_deadline":
            return (Button("Offer tips", "topic:offer"), Button("Negotiating", "topic:salary"), *snooze)
        return snooze

    def still_relevant(self, reminder: Reminder, interview: Interview | None, now: datetime) -> str | None:
        """Why a due reminder should be skipped now (None when it should go out)."""
        if reminder.interview_id is not None and interview is None:
            return "interview deleted"
        if reminder.kind == CUSTOM:
            ended = interview is not None and (
                interview.status != "scheduled" or interview.outcome in ("rejected", "withdrawn")
            )
            if reminder.before_minutes is not None and ended:
                return "interview cancelled"
            return None
        if interview is not None and interview.status != "scheduled" and reminder.kind != "offer_deadline":
            return "interview cancelled"
        started = interview is not None and interview.starts_at is not None and interview.starts_at <= now
        if reminder.kind == "prepare" and started:
            return "the interview has already started"
        if reminder.kind in THANK_YOU_CHAIN and interview is not None and interview.thank_you_sent_at:
            return "thank-yous already marked sent"
        deadline = interview.offer_deadline if interview is not None else None
        if reminder.kind == "offer_deadline" and deadline is not None and deadline <= now:
            return "the offer deadline has passed"
        return None


def duration(minutes: int) -> str:
    """``2 hours``, ``30 minutes``, ``1 day``, ``1 hour 30 minutes``."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    units = ((days, "day"), (hours, "hour"), (mins, "minute"))
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in units if n]
    return " ".join(parts) or "0 minutes"


def tomorrow_morning(now: datetime, tz: str) -> datetime:
    """9:00 tomorrow in ``tz``, as UTC."""
    local = to_local(now, tz)
    return to_utc(datetime.combine(local.date() + timedelta(days=1), MORNING), tz)
