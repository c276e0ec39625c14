"""The intents table of docs/nlu-guidelines.md, printed from the intent files: ``python -m bot.nlu.guide``.

Each intent's meaning is written once, as the one-line ``description:`` of
``knowledge/nlu/intents/<intent>.yaml`` (read and checked by :mod:`bot.nlu.specs`); the guidelines
point here instead of keeping a copy, so a new intent touches no documentation.
"""

from __future__ import annotations

import sys

from bot.knowledge.library import COACHING_TOPICS
from bot.nlu.specs import IntentSpec, intent_specs
from bot.nlu.training import TrainingDataError

KINDS = ("coaching topic", "conversation", "acts on their data")


def kind(spec: IntentSpec) -> str:
    """How the guidelines group an intent: a coaching topic, one that acts (``acts: true``), or conversation."""
    if spec.name in COACHING_TOPICS:
        return "coaching topic"
    return "acts on their data" if spec.acts else "conversation"


def table(specs: dict[str, IntentSpec]) -> str:
    """Every intent's description as a Markdown table: coaching topics, then conversation, then those that act."""
    order = {name: n for n, name in enumerate(KINDS)}
    rows = ["| intent | kind | entities | the user means |", "|---|---|---|---|"]
    for spec in sorted(specs.values(), key=lambda s: (order[kind(s)], s.name)):
        entities = "all" if spec.all_entities else ", ".join(sorted(spec.entities))
        rows.append(f"| `{spec.name}` | {kind(spec)} | {entities} | {spec.description.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def main() -> int:
    """Command line: print the intents table from ``knowledge/nlu/intents`` (``python -m bot.nlu.guide``)."""
    try:
        specs = intent_specs()
    except TrainingDataError as exc:
        print(exc, file=sys.stderr)
        return 1
    sys.stdout.write(table(specs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
