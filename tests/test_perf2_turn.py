"""Learning a message's facts once per turn: the scheduler's second reading of the same text is skipped
only when it would change nothing, so replies and everything stored stay as when it was read again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.coaching import situation
from bot.common.clock import FakeClock
from bot.common.types import ConversationRef, IncomingMessage
from bot.knowledge.library import Knowledge
from bot.nlu import NLU
from bot.ops.app import App
from tests.conftest import START, make_settings

SCRIPT = [
    "hi",
    "I have a second interview with Acme on friday at 3pm with Tom, over dinner",
    "how do I prepare for the dinner?",
    "2nd round w/ globex tmrw 10am on zoom, same mgr as last time",
    "move the Acme one to monday 4pm, it's over lunch now",
    "they rejected me",
    "Hooli invited me back for a final round next Monday 11:30 with the CTO and two partners",
    "what if it's a panel?",
    "the Hooli interview is by phone now",
    "got the offer!! what do I say",
]


def _run(tmp_path: Path, nlu: NLU, knowledge: Knowledge) -> tuple[list[str], dict[str, list[str]]]:
    clock = FakeClock(START)
    app = App.build(make_settings(tmp_path), clock=clock, nlu=nlu, knowledge=knowledge)
    replies: list[str] = []
    try:
        for user in ("ann", "bo"):
            ref = ConversationRef("test", "", f"dm-{user}", user)
            for said in SCRIPT:
                out = app.coach.handle(IncomingMessage(ref, text=said, tz_hint="America/New_York"))
                replies.append(json.dumps([[r.text, [b.value for b in r.buttons]] for r in out]))
        with app.db.engine.connect() as conn:
            rows = {
                table: [str(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
                for table in ("conversation_state", "interviews", "reminders", "users")
            }
    finally:
        app.close()
    return replies, rows


def test_learning_once_per_turn_keeps_replies_and_stored_data(
    tmp_path: Path, nlu: NLU, knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    readings: list[int] = []
    real = situation.situation

    def counted(*args: Any, **kwargs: Any) -> situation.Facts:
        readings[-1] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(situation, "situation", counted)
    readings.append(0)
    once = _run(tmp_path / "once", nlu, knowledge)
    with monkeypatch.context() as patch:  # every reading done again, as before
        patch.setattr(situation, "_learned", lambda turn, text: (object(),))
        readings.append(0)
        again = _run(tmp_path / "again", nlu, knowledge)
    assert once == again
    assert once[1]["interviews"] and once[1]["reminders"]
    assert readings[0] < readings[1]  # (the second reading was skipped at least once)
