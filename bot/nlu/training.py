"""Reads the training examples in ``knowledge/nlu/intents/*.yaml`` (Rasa-style ``[span](label)`` marks)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ENTITY_LABELS = ("company", "when", "interviewer", "setting", "venue", "background")
# keys of an intent file; the metadata keys (read by bot/nlu/specs.py) only in the intent's top-level file
EXAMPLE_KEYS = frozenset({"intent", "examples"})
META_KEYS = frozenset({"description", "acts", "entities"})
_MARK = re.compile(r"\[([^\]]+)\]\((" + "|".join(ENTITY_LABELS) + r")\)")


class TrainingDataError(Exception):
    """A training file is malformed."""


@dataclass(frozen=True)
class Span:
    """A labelled stretch of an example's plain text."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Example:
    """One training message: its plain text, intent and entity spans."""

    text: str
    intent: str
    spans: tuple[Span, ...] = ()


def parse_marked(marked: str) -> tuple[str, tuple[Span, ...]]:
    """Strip ``[text](label)`` marks, returning the plain text and the spans they covered."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(marked):
        before = marked[pos : m.start()]
        out.append(before)
        length += len(before)
        spans.append(Span(length, length + len(m.group(1)), m.group(2)))
        out.append(m.group(1))
        length += len(m.group(1))
        pos = m.end()
    out.append(marked[pos:])
    text = "".join(out)
    if "[" in text and "](" in text:
        raise TrainingDataError(f"unparsed annotation in {marked!r}")
    return text, tuple(spans)


def load_examples(directory: Path) -> list[Example]:
    """Every example of every intent file in ``directory``."""
    examples: list[Example] = []
    files = sorted(directory.rglob("*.yaml"))
    if not files:
        raise TrainingDataError(f"{directory}: no intent files")
    for path in files:
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            raise TrainingDataError(f"{path.name}: {exc}") from None
        # a file is named after its intent (add_note.yaml), or sits in a folder named after it (fallback/banking.yaml)
        if (
            not isinstance(doc, dict)
            or doc.get("intent") not in {path.stem, path.parent.name}
            or not isinstance(doc.get("examples"), list)
        ):
            raise TrainingDataError(f"{path.name}: expected `intent: {path.stem}` and a list of `examples`")
        allowed = EXAMPLE_KEYS | META_KEYS if path.parent == directory else EXAMPLE_KEYS
        if unknown := sorted(set(doc) - allowed):
            where = path.name if path.parent == directory else f"{path.parent.name}/{path.name}"
            raise TrainingDataError(
                f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
                + ("" if path.parent == directory else f" (metadata belongs in {doc['intent']}.yaml)")
            )
        for raw in doc["examples"]:
            if not isinstance(raw, str) or not raw.strip():
                raise TrainingDataError(f"{path.name}: every example must be a non-empty string")
            text, spans = parse_marked(raw)
            examples.append(Example(text=text, intent=doc["intent"], spans=spans))
    return examples


PREFIXES = (
    "Hi, ",
    "Hey! ",
    "Hello, ",
    "Hi! ",
    "Hey ",
    "ok so ",
    "Alright so ",
    "@coach ",
    "Quick one: ",
    "Good news: ",
    "Update: ",
    "So ",
    "OMG ",
    "yo ",
    "Hi coach, ",
    "Dear bot, ",
    "Morning! ",
    "FYI ",
    "Hey there, ",
    "Please note: ",
    "guess what, ",
    "Great news!! ",
    "Hola! ",
    "Okay, ",
)


def augment(
    examples: list[Example], companies: list[str], people: list[str], copies: int = 2, seed: int = 7
) -> list[Example]:
    """Copies of the annotated examples with other company and people names (and casings).

    The entity tagger then learns where names sit in a sentence, not the names themselves.
    Deterministic for a given seed.
    """
    rng = random.Random(seed)
    out: list[Example] = []
    for ex in examples:
        if not any(s.label in {"company", "interviewer"} for s in ex.spans):
            continue
        for _ in range(copies):
            pieces: list[str] = []
            spans: list[Span] = []
            pos = 0
            length = 0
            for span in sorted(ex.spans, key=lambda s: s.start):
                before = ex.text[pos : span.start]
                pieces.append(before)
                length += len(before)
                value = ex.text[span.start : span.end]
                if span.label == "company":
                    value = rng.choice(companies)
                    value = value.lower() if rng.random() < 0.35 else value
                elif span.label == "interviewer":
                    value = rng.choice(people)
                    value = value.lower() if rng.random() < 0.25 else value
                pieces.append(value)
                spans.append(Span(length, length + len(value), span.label))
                length += len(value)
                pos = span.end
            pieces.append(ex.text[pos:])
            text = "".join(pieces)
            if rng.random() < 0.3:  # people open with a greeting or filler that is not a name
                prefix = rng.choice(PREFIXES)
                text = prefix + text
                spans = [Span(s.start + len(prefix), s.end + len(prefix), s.label) for s in spans]
            if rng.random() < 0.2:
                text = text.lower()
            out.append(Example(text, ex.intent, tuple(spans)))
    return out
