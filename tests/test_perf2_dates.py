"""The date reader's remembered readings are the readings it computes afresh."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from bot.nlu import dates

DATA = Path(__file__).parent / "data"


def _texts() -> list[str]:
    out = []
    for name in ("dates_holdout.jsonl", "dates_tail.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(dates.prepare(json.loads(line)["text"]))
    return out


def test_remembered_day_and_time_readings_equal_fresh_ones() -> None:
    texts = _texts()
    assert len(texts) > 50
    for today in (date(2026, 3, 2), date(2026, 12, 30)):
        for month_first in (True, False):
            for text in texts + texts:  # the second pass is answered from memory
                assert dates._find_day(text, today, month_first) == dates._find_day.__wrapped__(
                    text, today, month_first
                ), text
    for text in texts + texts:
        assert dates._find_time(text) == dates._find_time.__wrapped__(text), text


def test_a_moved_day_is_read_again_for_a_new_today() -> None:
    text = dates.prepare("next friday at 3pm")
    first = dates._find_day(text, date(2026, 3, 2), True)[0]
    later = dates._find_day(text, date(2026, 3, 9), True)[0]
    assert first is not None and later is not None and later > first
