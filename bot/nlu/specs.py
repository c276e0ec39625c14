"""What the code needs to know about each intent, read from the intent's own YAML file.

``knowledge/nlu/intents/<intent>.yaml`` (the intent's top-level file) says, beside its examples::

    description: "what the user means by it, and what it is not"   # one line, required
    acts: true                 # a request to do something (store, change, list, delete); default false
    entities: [company, when]  # what to read from the message: a list of entity labels, or `all`

Files in subfolders (``voices/offer.yaml``, ``fallback/banking.yaml``) only add examples. The record
(:class:`IntentSpec`) is read once and asked by the NLU (which entities to extract) and by the dialog
and practice handlers (which intents act). ``python -m bot.nlu.guide`` prints every intent's description as a
Markdown table (docs/nlu-guidelines.md points there instead of copying them).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.library import default_dir
from bot.nlu.training import ENTITY_LABELS, EXAMPLE_KEYS, META_KEYS, TrainingDataError

FILE_KEYS = EXAMPLE_KEYS | META_KEYS


@dataclass(frozen=True)
class IntentSpec:
    """One intent's metadata: what it means, whether it acts, and which entities its messages carry."""

    name: str
    description: str
    acts: bool = False
    entities: frozenset[str] = frozenset()

    @property
    def all_entities(self) -> bool:
        """Whether the full entity tagger runs (every label), not only the company and/or date."""
        return self.entities == frozenset(ENTITY_LABELS)


def _spec(path: Path, doc: object) -> IntentSpec:
    if not isinstance(doc, dict) or doc.get("intent") != path.stem:
        raise TrainingDataError(f"{path.name}: expected `intent: {path.stem}`")
    unknown = sorted(set(doc) - FILE_KEYS)
    if unknown:
        raise TrainingDataError(
            f"{path.name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(FILE_KEYS))}"
        )
    description = doc.get("description")
    if not isinstance(description, str) or not description.strip() or "\n" in description.strip():
        raise TrainingDataError(
            f"{path.name}: `description` must be one line: what the user means by {path.stem}, not {description!r}"
        )
    acts = doc.get("acts", False)
    if not isinstance(acts, bool):
        raise TrainingDataError(f"{path.name}: `acts` must be true or false, not {acts!r}")
    raw = doc.get("entities", [])
    if raw == "all":
        entities = frozenset(ENTITY_LABELS)
    elif isinstance(raw, list) and all(isinstance(e, str) for e in raw):
        bad = sorted(set(raw) - set(ENTITY_LABELS))
        if bad:
            raise TrainingDataError(
                f"{path.name}: unknown entity label(s) {', '.join(bad)}; allowed: {', '.join(ENTITY_LABELS)} or `all`"
            )
        entities = frozenset(raw)
        if entities - {"company", "when"} and entities != frozenset(ENTITY_LABELS):
            raise TrainingDataError(
                f"{path.name}: `entities` is `all`, or a list of `company` and/or `when`, not {raw!r}"
            )
    else:
        raise TrainingDataError(f"{path.name}: `entities` must be a list of entity labels or `all`, not {raw!r}")
    return IntentSpec(path.stem, description.strip(), acts, entities)


def load_specs(directory: Path) -> dict[str, IntentSpec]:
    """Every intent's :class:`IntentSpec`, from the top-level files of ``directory`` (``knowledge/nlu/intents``).

    Refuses, naming the file, an unknown key or value, and a subfolder file whose intent has no
    top-level file (metadata lives only there).
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    specs: dict[str, IntentSpec] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except yaml.YAMLError as exc:
            raise TrainingDataError(f"{path.name}: {exc}") from None
        specs[path.stem] = _spec(path, doc)
    if not specs:
        raise TrainingDataError(f"{directory}: no intent files")
    for path in sorted(directory.glob("*/*.yaml")):
        if path.stem not in specs and path.parent.name not in specs:
            raise TrainingDataError(
                f"{path.parent.name}/{path.name}: no top-level file {path.stem}.yaml for its intent "
                "(an intent's metadata lives in knowledge/nlu/intents/<intent>.yaml)"
            )
    return specs


@functools.cache
def intent_specs(knowledge_dir: Path | None = None) -> dict[str, IntentSpec]:
    """The specs of ``knowledge_dir`` (the packaged knowledge by default), read once."""
    return load_specs((knowledge_dir or default_dir()) / "nlu" / "intents")


def acting_intents(knowledge_dir: Path | None = None) -> frozenset[str]:
    """The intents that ask the bot to do something (``acts: true``)."""
    return frozenset(name for name, spec in intent_specs(knowledge_dir).items() if spec.acts)
