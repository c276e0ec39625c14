"""Conversations through the whole bot, checked against their expected outcome (tests/data/*/dialogs.jsonl).

Usage: python bench/dialog_eval.py [FILE ...] [--errors]

Each dialog runs on a fresh SQLite database with a clock that starts at the dialog's ``now`` (in its
``tz``, which the student's platform reports) and moves only on ``advance_minutes`` turns, when due
reminders are delivered as they would be. Turns are ``say`` (typed), ``press`` (a button of the last
replies whose label contains the text) and ``advance_minutes``. The ``expect`` clauses (see
/work/team/DATA.md §5) are checked on the stored data and the last replies; an expected interview may
also name its ``setting`` (the category), ``setting_words`` (the student's own words for it) and its
``outcome`` (offer, rejected, withdrawn, accepted; null for none).

Dev files print each failing dialog with the reason (``--errors``: with the transcript). Any file under
``tests/data/blind/`` prints aggregate figures only: no names, messages or replies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.common import markup
from bot.common.clock import FakeClock
from bot.common.settings import load_settings
from bot.common.types import ConversationRef, IncomingMessage, Reply
from bot.knowledge.library import Knowledge, load_knowledge
from bot.nlu import NLU
from bot.ops.app import App
from bot.storage.models import Interview, Note, User

ROOT = Path(__file__).resolve().parent.parent
CLAUSES = ("interviews", "notes", "user_data_kept", "last_reply_contains", "last_reply_asks")


class _Recorder:
    """A reminder deliverer that keeps what it was given."""

    platform = "eval"

    def __init__(self) -> None:
        self.sent: list[list[Reply]] = []

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        self.sent.append(replies)


@dataclass
class Outcome:
    """One dialog's result: the clauses that held and failed, and what was said (for dev output)."""

    name: str
    held: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    transcript: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


Snapshot = tuple[bool, tuple[tuple[Any, ...], ...], int]


def _when(i: Interview) -> str | None:
    if i.local_start is None:
        return None
    return i.local_start.strftime("%Y-%m-%dT%H:%M") if i.has_time else i.local_start.date().isoformat()


def _snapshot(app: App, ref: ConversationRef) -> Snapshot:
    """Whether the user exists, their interviews (every field a student sees) and how many notes."""
    with app.db.session() as s:
        user = s.scalars(select(User).where(User.platform == ref.platform, User.external_id == ref.user)).one_or_none()
        if user is None:
            return False, (), 0
        rows = s.scalars(select(Interview).where(Interview.user_id == user.id).order_by(Interview.id)).all()
        interviews = tuple(
            (i.id, i.company, _when(i), tuple(i.interviewers or ()), i.setting, i.status, i.setting_words, i.outcome)
            for i in rows
        )
        notes = len(s.scalars(select(Note.id).where(Note.user_id == user.id)).all())
        return True, interviews, notes


def _same_interviews(expected: list[dict[str, Any]], actual: tuple[tuple[Any, ...], ...]) -> str | None:
    """None when the stored interviews are the expected ones in creation order, else why not."""

    def matches(want: dict[str, Any], row: tuple[Any, ...]) -> bool:
        _, company, when, people, setting, status, setting_words, outcome = row
        if (want.get("company") or "").lower() != (company or "").lower():
            return False
        if "setting" in want and want["setting"] != setting:
            return False
        if "outcome" in want and want["outcome"] != outcome:
            return False
        if "setting_words" in want and (want["setting_words"] or "").lower() != (setting_words or "").lower():
            return False
        if want.get("when") != when or want.get("status", "scheduled") != status:
            return False
        return "interviewers" not in want or [p.lower() for p in want["interviewers"]] == [p.lower() for p in people]

    j = 0
    for want in expected:
        if j < len(actual) and matches(want, actual[j]):
            j += 1
        elif want.get("status") == "cancelled":
            continue  # a cancelled interview may also have been deleted
        else:
            return f"expected {want}, found {[r[1:] for r in actual]}"
    if j != len(actual):
        return f"unexpected interviews {[r[1:] for r in actual[j:]]}"
    return None


def run_dialog(dialog: dict[str, Any], nlu: NLU, knowledge: Knowledge, workdir: Path) -> Outcome:
    """Play one dialog through a fresh bot and check its ``expect`` clauses."""
    tz = dialog["tz"]
    start = datetime.fromisoformat(dialog["now"]).replace(tzinfo=ZoneInfo(tz))
    clock = FakeClock(start.astimezone(ZoneInfo("UTC")))
    settings = load_settings(
        data_dir=workdir, database_url=f"sqlite:///{workdir / 'bot.db'}", health_addr="", default_tz="UTC"
    )
    app = App.build(settings, clock=clock, nlu=nlu, knowledge=knowledge)
    out = Outcome(dialog.get("name", "?"))
    try:
        from bot.reminders.engine import ReminderEngine

        recorder = _Recorder()
        engine = ReminderEngine(app, {"eval": recorder}, pacing=0.0)
        ref = ConversationRef("eval", "", "dm-student", "student")
        last: list[Reply] = []
        before_last = after = _snapshot(app, ref)
        seen_ids: set[int] = set()
        seen_scheduled: set[int] = set()
        most_notes = 0
        for turn in dialog["turns"]:
            before_last = _snapshot(app, ref)
            if "advance_minutes" in turn:
                clock.advance(timedelta(minutes=float(turn["advance_minutes"])))
                asyncio.run(engine.tick())
                out.transcript.append(f"  (+{turn['advance_minutes']} min)")
                continue
            if "say" in turn:
                msg = IncomingMessage(ref, text=turn["say"], tz_hint=tz)
                out.transcript.append(f"> {turn['say']}")
            else:
                wanted = str(turn["press"]).lower()
                value = next((b.value for r in last for b in r.buttons if wanted in b.label.lower()), None)
                if value is None:
                    out.failed["press"] = f"no button like {turn['press']!r}"
                    break
                msg = IncomingMessage(ref, action=value, tz_hint=tz)
                out.transcript.append(f"[press {turn['press']}]")
            last = app.coach.handle(msg)
            out.transcript.extend("  " + markup.to_plain(r.text).replace("\n", "\n  ") for r in last)
            after = _snapshot(app, ref)
            seen_ids |= {row[0] for row in after[1]}
            seen_scheduled |= {row[0] for row in after[1] if row[5] == "scheduled"}
            most_notes = max(most_notes, after[2])
        expect = dialog.get("expect", {})
        text = "\n".join(markup.to_plain(r.text) for r in last).lower()
        checks: dict[str, str | None] = {}
        if "interviews" in expect:
            checks["interviews"] = _same_interviews(expect["interviews"], after[1])
        if "notes" in expect:
            checks["notes"] = None if after[2] == expect["notes"] else f"{after[2]} notes, not {expect['notes']}"
        if expect.get("user_data_kept"):
            now_ids = {row[0]: row[5] for row in after[1]}
            lost = [i for i in seen_ids if i not in now_ids] + [
                i for i in seen_scheduled if now_ids.get(i) == "cancelled"
            ]
            kept = after[0] and not lost and after[2] >= most_notes
            checks["user_data_kept"] = None if kept else "data was deleted or cancelled"
        if "last_reply_contains" in expect:
            missing = [w for w in expect["last_reply_contains"] if w.lower() not in text]
            checks["last_reply_contains"] = f"missing {missing}" if missing else None
        if expect.get("last_reply_asks"):
            asks = any(r.buttons for r in last) or "?" in text
            unchanged = before_last == after
            checks["last_reply_asks"] = (
                None if asks and unchanged else ("no question" if not asks else "the last message changed data")
            )
        for clause, problem in checks.items():
            if problem is None:
                out.held.append(clause)
            else:
                out.failed[clause] = problem
    except Exception as exc:  # a crash fails the dialog; it never stops the run
        out.failed["crash"] = type(exc).__name__
    finally:
        app.close()
    return out


def _is_blind(path: Path) -> bool:
    return "blind" in path.resolve().parts


def main(argv: list[str]) -> int:
    logging.disable(logging.WARNING)
    show_transcripts = "--errors" in argv
    files = [Path(a) for a in argv if not a.startswith("--")] or [ROOT / "tests" / "data" / "dev" / "dialogs.jsonl"]
    nlu = NLU.load()
    knowledge = load_knowledge()
    for path in files:
        blind = _is_blind(path)
        dialogs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        outcomes: list[Outcome] = []
        t0 = time.perf_counter()
        for dialog in dialogs:
            with tempfile.TemporaryDirectory() as tmp:
                outcomes.append(run_dialog(dialog, nlu, knowledge, Path(tmp)))
        held, failed = Counter[str](), Counter[str]()
        for o in outcomes:
            held.update(o.held)
            failed.update(list(o.failed))
        passed = sum(o.ok for o in outcomes)
        label = "blind set (aggregates only)" if blind else path.name
        print(f"\n{label}: {passed}/{len(outcomes)} dialogs hold every clause ({passed / max(len(outcomes), 1):.1%})")
        for clause in (*CLAUSES, "press", "crash"):
            n = held[clause] + failed[clause]
            if n:
                print(f"  {clause:20s} {held[clause]}/{n} held")
        print(f"  ({time.perf_counter() - t0:.1f} s)")
        if blind:
            continue
        for o in outcomes:
            if o.ok:
                continue
            print(f"\nFAIL {o.name}: " + "; ".join(f"{k}: {v}" for k, v in o.failed.items()))
            if show_transcripts:
                print("\n".join(o.transcript))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
