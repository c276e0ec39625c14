"""Language understanding: which intent a message has, and the details of an interview in it.

The models ship trained (``bot/nlu/model/``: the intent and scope arrays, the CRF entity tagger, and
a manifest holding the sha256 of the training data in ``knowledge/nlu`` they were built from; rebuild
with ``python -m bot.nlu.build``). :meth:`NLU.load` uses them whenever the training data is the one
they were built from, so nothing is trained at start and scikit-learn is never imported to serve.

When the examples changed (a counsellor added some), the models are trained again from them if
scikit-learn is installed (the ``train`` extra), with a line on stderr since that takes seconds, and
cached on disk under the data's hash; without scikit-learn the shipped models are used and a warning
is logged.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import sys
import time as clock
from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path

import platformdirs
import yaml

from bot.common.zones import find_zone, zone_like
from bot.knowledge.library import default_dir
from bot.nlu import dates
from bot.nlu.entities import MODEL_VERSION, EntityTagger, Lexicon
from bot.nlu.intents import IntentModel
from bot.nlu.specs import IntentSpec, intent_specs, load_specs
from bot.nlu.training import Example, augment, load_examples
from bot.nlu.types import Entities, Parse, When

log = logging.getLogger(__name__)

READ_CHARS = 2000
_TZ_WORDS = re.compile(r"\b(time ?-?zones?|tz)\b", re.I)
_MORE = re.compile(  # a bare follow-up, after an optional "ok" / "and": the next advice of the last topic
    r"^\W*(?:(?:ok(?:ay)?|k|cool|great|thanks|thx|got it|alright|right|sure|nice|so|and)\W+)?"
    r"(more|more tips|more advice|more please|more pls|tell me more|go on|continue|keep going|next tip|"
    r"anything else|anything more|what else|what more|any more|anymore|any more tips|any other tips|other tips|"
    r"something else|else|and|and then|keep them coming)\W*$",
    re.I,
)

MODEL_DIR = Path(__file__).resolve().parent / "model"
MANIFEST = "manifest.json"
INTENT_FILE = "intents.npz"
ENTITY_FILE = "entities.crfsuite"
# Bumped when the served intent model's format or features change (the entity tagger has MODEL_VERSION).
INTENT_FORMAT = 2
# "show that again": the last advice, repeated (handled by the coaching handlers, intent "again")
_AGAIN = re.compile(
    r"^\W*(?:(?:can|could|would) you |pls |please )?(?:(?:show|say|give|send|repeat|tell)(?: me| us)?"
    r"(?: that| it| those| this| the last| your last| the)?(?: (?:tips?|advice|points?|bullets?|answer|one|ones))?"
    r"(?: (?:again|once more|one more time))?|repeat|again|say again|come again|what was that again)"
    r"\W*(?:please|pls)?\W*$",
    re.I,
)

__all__ = ["NLU", "Entities", "Parse", "When"]


class NLU:
    """The trained intent classifier and entity tagger behind one :meth:`parse` call."""

    def __init__(
        self, classifier: IntentModel, tagger: EntityTagger, specs: dict[str, IntentSpec] | None = None
    ) -> None:
        self.classifier = classifier
        self.tagger = tagger
        # which entities each intent carries (`entities:` in knowledge/nlu/intents/<intent>.yaml)
        self.specs = intent_specs() if specs is None else specs

    @classmethod
    def load(cls, knowledge_dir: Path | None = None, cache_dir: Path | None = None) -> NLU:
        """The shipped models when ``knowledge_dir/nlu`` is what they were built from, else fresh ones.

        Fresh ones are trained (scikit-learn needed) and cached in ``cache_dir`` under the data's
        hash; without scikit-learn the shipped models are used, with a warning.
        """
        base = (knowledge_dir or default_dir()) / "nlu"
        lexicon = Lexicon(base / "lexicon.yaml")
        intent_path, crf_path = model_files(knowledge_dir, cache_dir)
        model = _load_model(intent_path) if crf_path.is_file() else None
        if model is None:
            if can_train():
                started = clock.monotonic()
                print(
                    "secondround: the language examples changed since the models were built; "
                    "training them again (takes a few seconds)...",
                    file=sys.stderr,
                    flush=True,
                )
                intent_path, crf_path = cache_files(knowledge_dir, cache_dir)  # never into the package
                model = train_models(base, intent_path, crf_path)
                log.info("nlu_trained", extra={"seconds": round(clock.monotonic() - started, 1)})
            else:
                intent_path, crf_path = MODEL_DIR / INTENT_FILE, MODEL_DIR / ENTITY_FILE
                log.warning(
                    "nlu_models_stale: the training examples changed but scikit-learn is not installed; "
                    "using the shipped models (install the `train` extra or run `python -m bot.nlu.build`)"
                )
                model = IntentModel.load(intent_path)
        return cls(model, EntityTagger(crf_path, lexicon), intent_specs(knowledge_dir))

    def parse(self, text: str, now: datetime, tz: str) -> Parse:
        """Understand ``text`` sent at ``now`` (naive wall-clock time in the user's zone ``tz``).

        Only the first :data:`READ_CHARS` characters are read for meaning; ``Parse.text`` keeps the
        whole message (a long note is stored in full).
        """
        full, text = text, text[:READ_CHARS]
        if _MORE.match(text):
            return Parse(full, "more", 1.0)
        if _AGAIN.match(text) and re.search(r"again|repeat|once more|one more time", text, re.I):
            return Parse(full, "again", 1.0)
        if _TZ_WORDS.search(text) and (find_zone(text) or zone_like(text) or len(text.split()) <= 8):
            return Parse(full, "set_timezone", 1.0)
        ranked, scope = self.classifier.ranked_in_scope(text, 3)
        intent, confidence = ranked[0]
        spec = self.specs.get(intent)
        entities = Entities()
        if spec is not None and spec.all_entities:
            entities = self.tagger.extract(text, now, tz)
        elif spec is not None and spec.entities:
            if "company" in spec.entities:
                entities = self.tagger.extract(text, now, tz, company_only=True)
            if "when" in spec.entities:
                entities = Entities(company=entities.company, when=dates.parse_when(text, now, tz))
        return Parse(full, intent, confidence, entities, tuple(ranked), scope)

    def setting_of(self, text: str) -> str | None:
        """The setting category of a phrase ("dinner" -> informal), from the lexicon."""
        return self.tagger.lexicon.setting_of(text)

    @staticmethod
    def parse_when(text: str, now: datetime, tz: str) -> When | None:
        """Only the date/time in ``text`` (for answers to "when is it?")."""
        return dates.parse_when(text, now, tz)

    @staticmethod
    def read_when(text: str, now: datetime, tz: str) -> dates.Found:
        """What ``text`` literally says: a day and a time, either missing (no guessing of "today")."""
        return dates.resolve(text, now, tz)

    @staticmethod
    def parse_time(text: str) -> time | None:
        """Only a clock time (for answers to "what time?")."""
        return dates.parse_time(text)


def data_digest(knowledge_dir: Path | None = None) -> str:
    """The sha256 of the training data (every intent file, the lexicon, the names) and model formats."""
    base = (knowledge_dir or default_dir()) / "nlu"
    files = [*sorted((base / "intents").rglob("*.yaml")), base / "lexicon.yaml", base / "names.yaml"]
    digest = hashlib.sha256()
    digest.update(f"intents={INTENT_FORMAT}|entities={MODEL_VERSION}".encode())
    for path in files:
        digest.update(b"\0" + path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def shipped_digest() -> str | None:
    """The data hash the shipped models were built from (None when there are none)."""
    try:
        manifest = json.loads((MODEL_DIR / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = manifest.get("data_sha256") if isinstance(manifest, dict) else None
    return value if isinstance(value, str) else None


def model_files(knowledge_dir: Path | None = None, cache_dir: Path | None = None) -> tuple[Path, Path]:
    """The (intent model, entity tagger) files :meth:`NLU.load` uses for this training data.

    The shipped files when they were built from it, else files in the cache named by its hash (they
    exist once trained).
    """
    if data_digest(knowledge_dir) == shipped_digest():
        return MODEL_DIR / INTENT_FILE, MODEL_DIR / ENTITY_FILE
    return cache_files(knowledge_dir, cache_dir)


def cache_files(knowledge_dir: Path | None = None, cache_dir: Path | None = None) -> tuple[Path, Path]:
    """The (intent model, entity tagger) files trained for this training data, in the cache folder."""
    digest = data_digest(knowledge_dir)
    cache = cache_dir or Path(platformdirs.user_cache_dir("secondround", appauthor=False))
    return cache / f"intents-{digest[:20]}.npz", cache / f"entities-{digest[:20]}.crfsuite"


def can_train() -> bool:
    """Whether scikit-learn is installed (without importing it)."""
    return importlib.util.find_spec("sklearn") is not None


def labelled_intents(specs: dict[str, IntentSpec], examples: Sequence[Example]) -> frozenset[str]:
    """The intents whose every example teaches the entity tagger.

    An intent that takes entities (``entities:`` in its YAML) and whose examples mark them: its unmarked
    examples teach the tagger what is not an entity. Marked examples of any other intent teach it too.
    """
    marked = {e.intent for e in examples if e.spans}
    return frozenset(name for name, spec in specs.items() if spec.entities and name in marked)


def train_models(base: Path, intent_path: Path, crf_path: Path) -> IntentModel:
    """Train both models from ``base`` (a ``knowledge/nlu`` folder) and write them to the two paths."""
    from bot.nlu.train import train_served  # scikit-learn: only here

    examples = load_examples(base / "intents")
    model = train_served([e.text for e in examples], [e.intent for e in examples])
    lexicon = Lexicon(base / "lexicon.yaml")
    labelled = labelled_intents(load_specs(base / "intents"), examples)
    annotated = [e for e in examples if e.spans or e.intent in labelled]  # what the entity tagger learns from
    names = yaml.safe_load((base / "names.yaml").read_text(encoding="utf-8"))
    variants = augment(annotated, [str(n) for n in names["companies"]], [str(n) for n in names["people"]])
    EntityTagger.train(annotated + variants, lexicon, crf_path)
    _save_model(intent_path, model)
    return model


def _load_model(path: Path) -> IntentModel | None:
    try:
        return IntentModel.load(path)
    except (OSError, ValueError, KeyError):
        return None


def _save_model(path: Path, model: IntentModel) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        model.save(tmp)
        os.replace(tmp, path)  # atomic: another process may be loading it
    except OSError as exc:  # a read-only cache only costs start-up time
        log.warning("nlu_cache_unwritable", extra={"error": str(exc)})
