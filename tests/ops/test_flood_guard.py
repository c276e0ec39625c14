"""The per-user flood guard: its verdicts, and that its memory follows recent users, never all users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.coaching.throttle import FloodGuard, Verdict
from bot.common.clock import FakeClock

WINDOW = timedelta(seconds=10)


def guard(limit: int = 3, max_users: int = 100_000) -> tuple[FloodGuard, FakeClock]:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    return FloodGuard(clock, limit, WINDOW, max_users=max_users), clock


def test_over_the_limit_warns_once_then_drops_until_the_window_frees_up() -> None:
    flood, clock = guard(limit=3)
    assert [flood.check("U1") for _ in range(5)] == [Verdict.OK] * 3 + [Verdict.WARN, Verdict.DROP]
    assert flood.check("U2") is Verdict.OK  # others are not slowed
    clock.advance(WINDOW)
    assert [flood.check("U1") for _ in range(4)] == [Verdict.OK] * 3 + [Verdict.WARN]


def test_the_window_slides_message_by_message() -> None:
    flood, clock = guard(limit=2)
    assert flood.check("U1") is Verdict.OK
    clock.advance(timedelta(seconds=6))
    assert flood.check("U1") is Verdict.OK
    clock.advance(timedelta(seconds=5))  # the first left the window, the second has not
    assert flood.check("U1") is Verdict.OK
    assert flood.check("U1") is Verdict.WARN


def test_students_whose_window_has_passed_are_forgotten() -> None:
    flood, clock = guard()
    for i in range(5_000):
        flood.check(f"U{i}")
    assert len(flood) == 5_000
    clock.advance(WINDOW)
    assert flood.check("U-new") is Verdict.OK
    assert len(flood) == 1


def test_held_students_stay_bounded_under_many_distinct_students_at_once() -> None:
    flood, _ = guard(limit=1, max_users=100)
    for i in range(10_000):
        assert flood.check(f"U{i}") is Verdict.OK
    assert len(flood) == 100
    assert flood.check("U9999") is Verdict.WARN  # the most recent are the ones kept
    assert flood.check("U9999") is Verdict.DROP


def test_a_flooding_student_stays_held_while_quiet_ones_are_forgotten() -> None:
    flood, clock = guard(limit=2)
    flood.check("quiet")
    clock.advance(timedelta(seconds=5))
    assert [flood.check("loud") for _ in range(3)] == [Verdict.OK, Verdict.OK, Verdict.WARN]
    clock.advance(timedelta(seconds=6))  # "quiet" left the window, "loud"'s messages have not
    assert flood.check("other") is Verdict.OK
    assert len(flood) == 2
    assert flood.check("loud") is Verdict.DROP
