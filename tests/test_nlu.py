"""How well messages are understood: the issue's examples, dates, and the blind dev sets."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.nlu import NLU, dates

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 3, 2, 10, 0)  # a Monday
NY = "America/New_York"


def test_the_issue_example(nlu: NLU) -> None:
    p = nlu.parse("I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner", NOW, NY)
    assert p.intent == "schedule_interview"
    assert p.entities.as_json() == {
        "company": "Acme",
        "when": "2026-03-06T15:00",
        "interviewers": ["Sarah Chen"],
        "setting": "informal",
    }


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("who's interviewing me this time?", "interviewers"),
        ("it's a dinner interview, can I order wine?", "informal_setting"),
        ("they offered me the job on the spot, what do I say?", "offer"),
        ("what should I ask them?", "questions_to_ask"),
        ("how do I prepare?", "preparation"),
        ("what's coming up?", "list_interviews"),
        ("cancel the Acme one", "cancel_interview"),
        ("my Acme interview moved to Thursday 10am", "schedule_interview"),
        ("note: they asked a lot about SQL", "add_note"),
        ("note: the range they gave was 65-75k", "add_note"),
        ("show my notes", "show_notes"),
        ("I sent my thank-you emails", "thank_you_sent"),
        ("thank-you notes after the dinner are sent", "thank_you_sent"),
        ("export my data", "export_data"),
        ("forget me", "forget_me"),
        ("what's the weather in Paris?", "fallback"),
        ("@coach interveiw tmrw im so nervus", "nerves"),
        ("set my time zone to Europe/Berlin", "set_timezone"),
    ],
)
def test_issue_messages(nlu: NLU, text: str, intent: str) -> None:
    assert nlu.parse(text, NOW, NY).intent == intent


@pytest.mark.parametrize(
    ("text", "tz", "when"),
    [
        ("Friday at 3pm", NY, "2026-03-06T15:00"),
        ("monday at 10", NY, "2026-03-09T10:00"),  # today is Monday: a week ahead
        ("next monday", NY, "2026-03-09"),
        ("in 2 weeks", NY, "2026-03-16"),
        ("3/10 at 2", NY, "2026-03-10T14:00"),
        ("3/10 at 2", "Europe/Berlin", "2026-10-03T14:00"),
        ("16.03.", "Europe/Berlin", "2026-03-16"),
        ("noon tomorrow", NY, "2026-03-03T12:00"),
        ("tmrw at 3", NY, "2026-03-03T15:00"),
        ("thursday 9.30am", NY, "2026-03-05T09:30"),
        ("half past 2 on wednesday", NY, "2026-03-04T14:30"),
        ("a week from today", NY, "2026-03-09"),
        ("tuesday the 10th", NY, "2026-03-10"),
        ("march 12th at 11:30", NY, "2026-03-12T11:30"),
        ("2nd interview friday", NY, "2026-03-06"),
        ("moved from wednesday to thursday 10am", NY, "2026-03-05T10:00"),
        ("Feb 30", NY, None),
        ("no date yet", NY, None),
    ],
)
def test_dates(text: str, tz: str, when: str | None) -> None:
    got = dates.parse_when(text, NOW, tz)
    assert (got.iso() if got else None) == when


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["nlu_dev.jsonl", "nlu_dev2.jsonl", "nlu_final.jsonl"])
def test_dev_set_accuracy(nlu: NLU, name: str) -> None:
    """Blind dev sets (never used for training): intent ≥ 92%, entity fields ≥ 90% exact."""
    rows = _rows(name)
    right = fields = total_fields = 0
    for row in rows:
        parse = nlu.parse(row["text"], datetime.fromisoformat(row["now"]), row["tz"])
        right += parse.intent == row["intent"]
        if row["intent"] == "schedule_interview":
            got = parse.entities.as_json()
            for field in ("company", "when", "interviewers", "setting"):
                total_fields += 1
                fields += got[field] == row["entities"][field]
    assert right / len(rows) >= 0.92
    assert fields / total_fields >= 0.90


def test_training_and_dev_sets_do_not_overlap() -> None:
    from bot.knowledge.library import default_dir
    from bot.nlu.training import load_examples

    train = {e.text.strip().lower() for e in load_examples(default_dir() / "nlu" / "intents")}
    dev = {
        r["text"].strip().lower()
        for name in ("nlu_dev.jsonl", "nlu_dev2.jsonl", "nlu_final.jsonl", "dev/oos.jsonl", "dev/jobseeker.jsonl")
        for r in _rows(name)
    }
    assert sorted(train & dev) == []


def test_a_parse_keeps_the_scope_model_s_reading_of_its_text(nlu) -> None:
    from datetime import datetime

    for text in ("what's the weather in paris", "who pays for dinner?"):
        parse = nlu.parse(text, datetime(2026, 3, 2, 10), "UTC")
        assert parse.scope == nlu.classifier.scope_probability(text)
    assert nlu.parse("what's the weather in paris", datetime(2026, 3, 2, 10), "UTC").scope < 0.5
