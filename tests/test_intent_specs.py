"""Intent metadata lives in each intent's own YAML file (issue 13): the sets derived from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.library import default_dir
from bot.nlu import labelled_intents
from bot.nlu.guide import kind, table
from bot.nlu.specs import acting_intents, intent_specs, load_specs
from bot.nlu.training import TrainingDataError, load_examples

# the sets that were kept in code before (bot/coaching/dialog.py, bot/nlu/__init__.py), frozen here
ACTION_INTENTS = {
    "schedule_interview",
    "list_interviews",
    "cancel_interview",
    "add_note",
    "show_notes",
    "thank_you_sent",
    "export_data",
    "forget_me",
    "set_timezone",
    "report_outcome",
    "set_reminder",
    # since the split: asking for drafts or a calendar file is a request too (it leaves practice and open questions)
    "draft_thank_you",
    "add_to_calendar",
}
ENTITY_INTENTS = {"schedule_interview"}
COMPANY_INTENTS = {"cancel_interview", "thank_you_sent", "offer", "follow_up", "expectations"}
DATE_INTENTS = {"offer", "follow_up", "expectations"}


def test_sets_from_yaml_equal_the_former_code_sets() -> None:
    specs = intent_specs()
    assert acting_intents() == ACTION_INTENTS
    assert {n for n, s in specs.items() if s.all_entities} == ENTITY_INTENTS
    assert {n for n, s in specs.items() if not s.all_entities and "company" in s.entities} == COMPANY_INTENTS
    assert {n for n, s in specs.items() if not s.all_entities and "when" in s.entities} == DATE_INTENTS


def _intents(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("intent: a\ndescription: hi\nact: true\nexamples: [hi]\n", "a.yaml: unknown key(s) act"),
        ("intent: a\ndescription: hi\nacts: yes please\nexamples: [hi]\n", "a.yaml: `acts` must be true or false"),
        (
            "intent: a\ndescription: hi\nentities: [compnay]\nexamples: [hi]\n",
            "a.yaml: unknown entity label(s) compnay",
        ),
        ("intent: a\ndescription: hi\nentities: [company, venue]\nexamples: [hi]\n", "a.yaml: `entities` is `all`"),
        ("intent: a\ndescription: hi\nentities: some\nexamples: [hi]\n", "a.yaml: `entities` must be a list"),
        ("intent: a\nexamples: [hi]\n", "a.yaml: `description` must be one line"),
        ("intent: a\ndescription: ''\nexamples: [hi]\n", "a.yaml: `description` must be one line"),
        ("intent: a\ndescription: [hi]\nexamples: [hi]\n", "a.yaml: `description` must be one line"),
        ("intent: a\ndescription: |\n  one\n  two\nexamples: [hi]\n", "a.yaml: `description` must be one line"),
    ],
)
def test_bad_metadata_is_refused_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TrainingDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_specs(_intents(tmp_path, {"a.yaml": text}))


def test_metadata_only_in_the_top_level_file(tmp_path: Path) -> None:
    d = _intents(
        tmp_path,
        {
            "a.yaml": "intent: a\ndescription: hi\nexamples: [hi]\n",
            "more/a.yaml": "intent: a\nacts: true\nexamples: [yo]\n",
        },
    )
    with pytest.raises(TrainingDataError, match=r"more/a.yaml: unknown key\(s\) acts.*metadata belongs in a.yaml"):
        load_examples(d)
    orphan = _intents(
        tmp_path / "o",
        {"a.yaml": "intent: a\ndescription: hi\nexamples: [hi]\n", "more/b.yaml": "intent: b\nexamples: [x]\n"},
    )
    with pytest.raises(TrainingDataError, match=r"more/b.yaml: no top-level file b.yaml"):
        load_specs(orphan)


def test_specs_read_the_defaults(tmp_path: Path) -> None:
    specs = load_specs(_intents(tmp_path, {"a.yaml": "intent: a\ndescription: says hi\nexamples: [hi]\n"}))
    assert not specs["a"].acts and specs["a"].entities == frozenset()
    assert specs["a"].description == "says hi"


def test_every_intent_has_a_description_and_a_row_in_the_printed_table() -> None:
    """The guidelines' intents table is printed from the YAML (python -m bot.nlu.guide), not copied by hand."""
    specs = intent_specs()
    printed = table(specs)
    for name, spec in specs.items():
        assert spec.description, name
        row = next(line for line in printed.splitlines() if line.startswith(f"| `{name}` |"))
        assert row.endswith(f"| {spec.description.replace('|', '/')} |")
    assert kind(specs["salary"]) == "coaching topic"
    assert kind(specs["add_note"]) == "acts on their data"
    assert kind(specs["greeting"]) == "conversation"


def test_the_guidelines_point_at_the_yaml_and_copy_no_intent_row() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "nlu-guidelines.md").read_text(encoding="utf-8")
    assert "python -m bot.nlu.guide" in docs and "description:" in docs
    copied = [name for name in intent_specs() if f"| `{name}` |" in docs]
    assert copied == [], f"intent rows copied into docs/nlu-guidelines.md: {copied}"


def test_the_tagger_learns_from_the_intents_that_take_entities_and_mark_them() -> None:
    """Formerly a literal set in bot/nlu/__init__.py; now from `entities:` and the marked examples."""
    examples = load_examples(default_dir() / "nlu" / "intents")
    assert labelled_intents(intent_specs(), examples) == {"schedule_interview", "cancel_interview"}
