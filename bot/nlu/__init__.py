"""Language understanding: which intent a message has, and the details of an interview in it.

:class:`NLU` is trained from ``knowledge/nlu`` (the intent examples and the annotated spans) the
first time it is needed, and the trained models are cached on disk under a key made of the training
data and library versions, so later starts load in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import tempfile
from datetime import datetime, time
from pathlib import Path

import platformdirs
import sklearn
import yaml

from bot.knowledge import default_dir
from bot.nlu import dates
from bot.nlu.entities import MODEL_VERSION, EntityTagger, Lexicon
from bot.nlu.intents import IntentClassifier
from bot.nlu.training import augment, load_examples
from bot.nlu.types import Entities, Parse, When
from bot.zones import find_zone, zone_like

log = logging.getLogger(__name__)

READ_CHARS = 2000
ENTITY_INTENTS = {"schedule_interview"}
COMPANY_INTENTS = {"cancel_interview", "thank_you_sent", "offer", "follow_up", "expectations"}
DATE_INTENTS = {"offer", "follow_up", "expectations"}
_TZ_WORDS = re.compile(r"\b(time ?-?zones?|tz)\b", re.I)
_MORE = re.compile(
    r"^\W*(more|more tips|more please|more pls|tell me more|go on|continue|keep going|next tip|"
    r"anything else|what else)\W*$",
    re.I,
)

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

    def __init__(self, classifier: IntentClassifier, tagger: EntityTagger) -> None:
        self.classifier = classifier
        self.tagger = tagger

    @classmethod
    def load(cls, knowledge_dir: Path | None = None, cache_dir: Path | None = None) -> NLU:
        """Train from ``knowledge_dir/nlu`` or load the cached models for the same data."""
        base = (knowledge_dir or default_dir()) / "nlu"
        intent_path, crf_path = model_files(knowledge_dir, cache_dir)
        lexicon = Lexicon(base / "lexicon.yaml")
        classifier = _load_pickle(intent_path)
        if classifier is None or not crf_path.exists():
            examples = load_examples(base / "intents")
            log.info("nlu_training", extra={"examples": len(examples)})
            classifier = IntentClassifier.train([e.text for e in examples], [e.intent for e in examples])
            annotated = [e for e in examples if e.spans or e.intent in {"schedule_interview", "cancel_interview"}]
            names = yaml.safe_load((base / "names.yaml").read_text(encoding="utf-8"))
            variants = augment(annotated, [str(n) for n in names["companies"]], [str(n) for n in names["people"]])
            EntityTagger.train(annotated + variants, lexicon, crf_path)
            _save_pickle(intent_path, classifier)
        return cls(classifier, EntityTagger(crf_path, lexicon))

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
        ranked = self.classifier.ranked(text, 3)
        intent, confidence = ranked[0]
        if intent in ENTITY_INTENTS:
            entities = self.tagger.extract(text, now, tz)
        elif intent in COMPANY_INTENTS:
            entities = self.tagger.extract(text, now, tz, company_only=True)
            if intent in DATE_INTENTS:
                entities = Entities(company=entities.company, when=dates.parse_when(text, now, tz))
        else:
            entities = Entities()
        return Parse(full, intent, confidence, entities, tuple(ranked))

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


def model_files(knowledge_dir: Path | None = None, cache_dir: Path | None = None) -> tuple[Path, Path]:
    """Where the trained models for this training data and these library versions are cached.

    (intent classifier, entity tagger); :meth:`NLU.load` trains them when either is missing.
    """
    base = (knowledge_dir or default_dir()) / "nlu"
    files = [*sorted((base / "intents").rglob("*.yaml")), base / "lexicon.yaml", base / "names.yaml"]
    digest = hashlib.sha256()
    digest.update(f"{MODEL_VERSION}|{sklearn.__version__}".encode())
    for path in files:
        digest.update(path.relative_to(base).as_posix().encode())
        digest.update(path.read_bytes())
    key = digest.hexdigest()[:20]
    cache = cache_dir or Path(platformdirs.user_cache_dir("secondround", appauthor=False))
    return cache / f"intents-{key}.pkl", cache / f"entities-{key}.crfsuite"


def _load_pickle(path: Path) -> IntentClassifier | None:
    try:
        with path.open("rb") as fh:
            obj = pickle.load(fh)  # our own cache file, written by _save_pickle
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return obj if isinstance(obj, IntentClassifier) else None


def _save_pickle(path: Path, obj: IntentClassifier) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only cache only costs start-up time
        log.warning("nlu_cache_unwritable", extra={"error": str(exc)})
