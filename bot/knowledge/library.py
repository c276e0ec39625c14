"""Loads and validates the coaching content in ``knowledge/`` (see docs/knowledge-format.md).

The content is data so a career counsellor can edit it; this module turns it into typed objects and
refuses, at start-up, anything that would make the bot say something broken. Errors name the file,
the item and the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, wraps
from importlib import resources
from pathlib import Path
from threading import RLock
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.reminders.kinds import REMINDER_KINDS

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SOURCE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
MAX_ITEM_CHARS = 400
MAX_LABEL = 30  # a topic's button text: Slack allows 75, Discord's command choices 100


class KnowledgeError(Exception):
    """The knowledge base is invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactValue(_Strict):
    """One value of a fact about the student (``same`` for who they meet, ``meal`` for the setting…)."""

    key: str
    group: str
    label: str = Field(min_length=1, max_length=60)
    words: str = Field(min_length=1, max_length=80)
    keywords: tuple[str, ...] = ()
    remember: bool = True
    negated: str | None = None  # the value of the same fact a negated keyword says ("not the same person": new)

    @field_validator("key", "group")
    @classmethod
    def _key(cls, v: str) -> str:
        if not _KEY.match(v):
            raise ValueError("use lowercase letters, digits and _ (at most 32)")
        return v

    @field_validator("keywords")
    @classmethod
    def _lower(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(" ".join(k.lower().split()) for k in v if k.strip())


class FactGroup(_Strict):
    """A fact about the student with its possible values; a student's situation holds one value of it."""

    name: str
    values: tuple[FactValue, ...] = Field(min_length=1)
    only_with: tuple[str, ...] = ()  # read only from messages containing one of these word starts
    strict: bool = False  # items for these values need the value known, never assumed

    @field_validator("only_with")
    @classmethod
    def _lower(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(k.lower().strip() for k in v if k.strip())


class Ask(_Strict):
    """The question asked when no situation is known yet, with situation keys as answers."""

    question: str = Field(min_length=5, max_length=300)
    options: tuple[str, ...] = Field(min_length=2, max_length=5)  # fact values, offered as buttons
    if_yes: str | None = None  # the fact value a plain "yes" means, for yes/no questions
    if_no: str | None = None


class Item(_Strict):
    """One piece of advice, in our words, with the article it comes from and the questions it answers."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{1,80}$")
    heading: str = Field(min_length=3, max_length=80)
    text: str = Field(min_length=10, max_length=MAX_ITEM_CHARS)
    source: str
    point: str = Field(pattern=r"^\d{3}-[a-z0-9\-]{2,60}$")
    questions: tuple[str, ...] = Field(min_length=2)
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not _SOURCE.match(v):
            raise ValueError("must be a seed article's file name, e.g. 000_271aedffcda74c74.txt")
        return v

    @field_validator("text", "heading")
    @classmethod
    def _text(cls, v: str) -> str:
        return " ".join(v.split())

    @field_validator("questions")
    @classmethod
    def _questions(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(" ".join(q.split()) for q in v if q.strip())
        if len(set(q.lower() for q in cleaned)) != len(cleaned):
            raise ValueError("a question is listed twice")
        return cleaned

    @field_validator("keywords")
    @classmethod
    def _lower(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(k.lower().strip() for k in v if k.strip())

    @model_validator(mode="after")
    def _point_source(self) -> Item:
        if not self.source.startswith(self.point[:3]):
            raise ValueError(f"point {self.point!r} belongs to another article than the source {self.source!r}")
        return self


class Topic(_Strict):
    """Everything the bot knows about one coaching intent."""

    intent: str
    title: str = Field(min_length=3, max_length=80)
    label: str = Field(min_length=2, max_length=MAX_LABEL)
    menu: int = Field(ge=1)
    intro: str = Field(min_length=5, max_length=300)
    ask: Ask | None = None
    items: tuple[Item, ...] = Field(min_length=1)
    related: tuple[str, ...] = ()

    @field_validator("intent")
    @classmethod
    def _intent(cls, v: str) -> str:
        if v not in COACHING_TOPICS:
            raise ValueError(f"unknown intent; expected one of {', '.join(COACHING_TOPICS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Topic:
        for rel in self.related:
            if rel not in COACHING_TOPICS or rel == self.intent:
                raise ValueError(f"related topic {rel!r} is not another coaching intent")
        return self

    def fact_keys(self) -> set[str]:
        """Every fact value this topic refers to (its question's options, its items' conditions)."""
        keys: set[str] = set()
        if self.ask:
            keys.update(self.ask.options)
            keys.update(k for k in (self.ask.if_yes, self.ask.if_no) if k)
        for item in self.items:
            keys.update(item.when, item.unless)
        return keys


class ReminderText(_Strict):
    """The text of one reminder kind; placeholders {company}, {when}, {interviewers}."""

    text: str = Field(min_length=10, max_length=400)
    source: str

    @field_validator("text")
    @classmethod
    def _placeholders(cls, v: str) -> str:
        names = set(re.findall(r"{(\w*)}", v))
        unknown = names - {"company", "when", "interviewers"}
        if unknown:
            raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {{company}}, {{when}}, {{interviewers}}")
        return " ".join(v.split())


_T = TypeVar("_T")
_DERIVING = RLock()  # re-entrant: one derived table may be built from another


def per_knowledge(build: Callable[[Knowledge], _T]) -> Callable[[Knowledge], _T]:
    """``build(knowledge)`` worked out once per knowledge base and kept on it (like its cached properties).

    For what other modules derive from a knowledge base (the ranking index, keyword tables): a new
    knowledge base gets its own, and two threads asking at once build it once.
    """
    name = f"_derived:{build.__module__}.{build.__qualname__}"

    @wraps(build)
    def derived(knowledge: Knowledge) -> _T:
        held = knowledge.__dict__.get(name, _MISSING)
        if held is _MISSING:
            with _DERIVING:
                held = knowledge.__dict__.get(name, _MISSING)
                if held is _MISSING:
                    held = knowledge.__dict__[name] = build(knowledge)
        return cast(_T, held)

    return derived


_MISSING = object()


@dataclass(frozen=True)
class Knowledge:
    """The whole validated knowledge base."""

    topics: dict[str, Topic]
    reminders: dict[str, ReminderText]
    responses: dict[str, str]
    sources: dict[str, str]
    facts: dict[str, FactGroup] = field(default_factory=dict)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a student's word → the knowledge base's

    def value(self, key: str) -> FactValue | None:
        """The fact value called ``key`` (values are named once for the whole knowledge base)."""
        return self._values.get(key)

    @cached_property
    def _values(self) -> dict[str, FactValue]:
        """Every fact value by key, the first declared winning (built on first use: ``value`` is per item)."""
        out: dict[str, FactValue] = {}
        for group in self.facts.values():
            for value in group.values:
                out.setdefault(value.key, value)
        return out

    @cached_property
    def _items(self) -> dict[str, Item]:
        """Every item by id, the first in file order winning."""
        out: dict[str, Item] = {}
        for topic in self.topics.values():
            for item in topic.items:
                out.setdefault(item.id, item)
        return out

    def items(self) -> list[tuple[Topic, Item]]:
        """Every item with its topic, in file order."""
        return [(topic, item) for topic in self.topics.values() for item in topic.items]

    @cached_property
    def words_text(self) -> str:
        """Every item's questions, heading, keywords and text, as one text (the words the knowledge base knows)."""
        parts = (" ".join((*item.questions, item.heading, *item.keywords, item.text)) for _, item in self.items())
        return " ".join(parts)

    def item(self, item_id: str) -> Item | None:
        """Find an item by id anywhere in the knowledge base."""
        return self._items.get(item_id)

    def response(self, key: str, **values: str) -> str:
        """A fixed sentence from responses.yaml, with ``{placeholders}`` filled."""
        return self.responses[key].format(**values) if values else self.responses[key]


def default_dir() -> Path:
    """Where the packaged knowledge base lives."""
    return Path(str(resources.files("knowledge")))


@lru_cache(maxsize=1)
def _source_titles() -> dict[str, str]:
    titles = _read(default_dir() / "sources.yaml")
    return {str(k): str(v) for k, v in titles.items()} if isinstance(titles, dict) else {}


def source_title(source: str) -> str:
    """The article's title for a source file name from sources.yaml (the name itself if unknown)."""
    return _source_titles().get(source, source)


def _read(path: Path) -> Any:
    try:
        # libyaml's safe loader when PyYAML has it: the same documents, several times faster at start
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path}: cannot read YAML: {exc}") from None


def _head(path: Path) -> dict[str, Any]:
    """A topic file's top-level keys before its ``items:`` (empty when they are not a mapping)."""
    lines: list[str] = []
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.startswith("items:"):
                    break
                lines.append(line)
        doc = yaml.load("".join(lines), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path}: cannot read YAML: {exc}") from None
    return doc if isinstance(doc, dict) else {}


def _menu(directory: Path) -> dict[str, str]:
    """The coaching topics in menu order, with their short labels: each topic file's ``menu`` and ``label``.

    Read when this module is imported, from the lines before each file's ``items:`` (about 1 ms), so adding
    a topic is adding its file; the whole file is validated, with everything else, by :func:`load_knowledge`.
    """
    found: dict[int, tuple[str, str]] = {}
    for path in sorted((directory / "topics").glob("*.yaml")):
        head = _head(path)
        if "label" not in head or "menu" not in head:  # written after the items: read the whole file
            doc = _read(path)
            head = doc if isinstance(doc, dict) else {}
        place, label = head.get("menu"), head.get("label")
        if not isinstance(place, int) or not isinstance(label, str):
            raise KnowledgeError(f"{path}: a topic needs a label (its button) and a menu place (a whole number)")
        if head.get("intent") != path.stem:
            raise KnowledgeError(f"{path}: intent {head.get('intent')!r} must be the file's name, {path.stem!r}")
        if place in found:
            raise KnowledgeError(f"{path}: menu place {place} is also {found[place][0]!r}'s")
        found[place] = (path.stem, label)
    return dict(found[place] for place in sorted(found))


# the coaching topics, in menu order, with their short labels (buttons, the office report)
TOPIC_LABELS: dict[str, str] = _menu(default_dir())
COACHING_TOPICS = tuple(TOPIC_LABELS)


def _explain(path: Path, exc: ValidationError, doc: Any) -> KnowledgeError:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = []
        node = doc
        for part in loc:
            if isinstance(part, int) and isinstance(node, list) and part < len(node):
                node = node[part]
                label = node.get("id") or node.get("key") if isinstance(node, dict) else None
                where.append(f"[{part}]" + (f" ({label})" if label else ""))
            else:
                node = node.get(part) if isinstance(node, dict) else None
                where.append(f".{part}")
        lines.append(f"{path.name}: {''.join(where).lstrip('.') or 'file'}: {err['msg'].removeprefix('Value error, ')}")
    return KnowledgeError("\n".join(lines))


REQUIRED_RESPONSES = (
    "greeting",
    "thanks",
    "goodbye",
    "help",
    "fallback",
    "empty",
    "too_long",
    "flood",
    "storage_down",
    "unknown_action",
    "no_answer",
)


def load_knowledge(directory: Path | None = None) -> Knowledge:
    """Load and validate ``knowledge/`` (the packaged copy by default).

    Raises :class:`KnowledgeError` listing every problem found in a file.
    """
    base = directory or default_dir()
    sources = _read(base / "sources.yaml")
    if not isinstance(sources, dict) or not sources:
        raise KnowledgeError(f"{base / 'sources.yaml'}: expected a mapping of file name to title")

    facts = load_facts(base / "facts.yaml")
    declared = {value.key for group in facts.values() for value in group.values}
    topics: dict[str, Topic] = {}
    seen_ids: dict[str, str] = {}
    for path in sorted((base / "topics").glob("*.yaml")):
        doc = _read(path)
        try:
            topic = Topic.model_validate(doc)
        except ValidationError as exc:
            raise _explain(path, exc, doc) from None
        if topic.intent != path.stem:
            raise KnowledgeError(f"{path.name}: intent {topic.intent!r} does not match the file name")
        for item in topic.items:
            if item.id in seen_ids:
                raise KnowledgeError(f"{path.name}: item id {item.id!r} is also used in {seen_ids[item.id]}")
            seen_ids[item.id] = path.name
            if item.source not in sources:
                raise KnowledgeError(f"{path.name}: item {item.id!r}: source {item.source!r} is not in sources.yaml")
            unknown = sorted((set(item.when) | set(item.unless)) - declared)
            if unknown:
                raise KnowledgeError(f"{path.name}: item {item.id!r}: when/unless use undeclared fact(s) {unknown}")
        unknown = sorted(topic.fact_keys() - declared)
        if unknown:
            raise KnowledgeError(f"{path.name}: ask uses undeclared fact(s) {unknown}")
        topics[topic.intent] = topic
    missing = [t for t in COACHING_TOPICS if t not in topics]
    if missing:
        raise KnowledgeError(f"{base / 'topics'}: no file for topic(s) {', '.join(missing)}")

    raw = _read(base / "reminders.yaml") or {}
    reminders: dict[str, ReminderText] = {}
    for kind in REMINDER_KINDS:
        if kind not in raw:
            raise KnowledgeError(f"reminders.yaml: no entry for reminder kind {kind!r}")
        try:
            reminders[kind] = ReminderText.model_validate(raw[kind])
        except ValidationError as exc:
            raise _explain(Path("reminders.yaml"), exc, raw[kind]) from None
        if reminders[kind].source not in sources:
            raise KnowledgeError(f"reminders.yaml: {kind}: source {reminders[kind].source!r} is not in sources.yaml")

    responses = _read(base / "responses.yaml") or {}
    if not isinstance(responses, dict) or not all(isinstance(v, str) for v in responses.values()):
        raise KnowledgeError("responses.yaml: expected a mapping of name to text")
    absent = [k for k in REQUIRED_RESPONSES if k not in responses]
    if absent:
        raise KnowledgeError(f"responses.yaml: missing {', '.join(absent)}")
    return Knowledge(
        topics=topics,
        reminders=reminders,
        responses={k: v.strip() for k, v in responses.items()},
        sources={str(k): str(v) for k, v in sources.items()},
        facts=facts,
        synonyms=load_synonyms(base / "synonyms.yaml"),
    )


def load_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    """Read ``synonyms.yaml`` (optional): a word students use → the words the knowledge base uses for it."""
    if not path.exists():
        return {}
    doc = _read(path) or {}
    if not isinstance(doc, dict) or not all(
        isinstance(v, list) and v and all(isinstance(w, str) and w.strip() for w in v) for v in doc.values()
    ):
        raise KnowledgeError(f"{path.name}: expected a mapping of a word to a list of words")
    return {str(k).lower(): tuple(w.lower() for w in v) for k, v in doc.items()}


def load_facts(path: Path) -> dict[str, FactGroup]:
    """Read ``facts.yaml``: the facts about a student that change which advice fits."""
    doc = _read(path)
    if not isinstance(doc, dict) or not doc:
        raise KnowledgeError(f"{path.name}: expected a mapping of fact name to its values")
    groups: dict[str, FactGroup] = {}
    seen: dict[str, str] = {}
    for name, spec in doc.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("values"), dict):
            raise KnowledgeError(f"{path.name}: {name}: expected `values:` with one entry per value")
        values = [
            {"key": key, "group": name, **(raw if isinstance(raw, dict) else {})} for key, raw in spec["values"].items()
        ]
        raw_group = {k: v for k, v in spec.items() if k != "values"}
        try:
            group = FactGroup.model_validate({"name": name, "values": values, **raw_group})
        except ValidationError as exc:
            raise _explain(path, exc, {"values": values, **raw_group}) from None
        keys = {value.key for value in group.values}
        for value in group.values:
            if value.negated is not None and value.negated not in keys:
                raise KnowledgeError(
                    f"{path.name}: {name}: {value.key}: negated value {value.negated!r} is not one of {name}'s"
                )
            if value.key in seen:
                raise KnowledgeError(f"{path.name}: value {value.key!r} is declared under {seen[value.key]} and {name}")
            seen[value.key] = str(name)
        groups[str(name)] = group
    return groups
