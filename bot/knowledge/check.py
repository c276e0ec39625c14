"""Advice a counsellor can edit without a release: an override folder, its check, export and reload.

``SECONDROUND_KNOWLEDGE_DIR`` names a folder in the packaged format (docs/knowledge-format.md) whose
files override or add to the packaged ones: a ``topics/<intent>.yaml`` replaces that topic whole;
``sources.yaml``, ``reminders.yaml``, ``responses.yaml`` and ``facts.yaml`` override entry by entry
(a reminder kind, a response, a fact), so a folder holding one changed reminder text is enough.

:func:`check` validates such a folder file by file and reports every problem as ``file:line: item:
field: what is wrong`` (schema, references to sources and facts, duplicate ids, the articles'
points still carried by some item); :func:`export` writes the packaged content as a starting point;
:func:`reload` swaps a running bot's knowledge for the folder's, keeping the old one when the new
one is invalid.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.knowledge.library import (
    COACHING_TOPICS,
    REQUIRED_RESPONSES,
    Knowledge,
    KnowledgeError,
    ReminderText,
    Topic,
    default_dir,
    load_knowledge,
)
from bot.reminders.kinds import REMINDER_KINDS

log = logging.getLogger(__name__)

VARIABLE = "SECONDROUND_KNOWLEDGE_DIR"
MAPPING_FILES = ("sources.yaml", "facts.yaml", "reminders.yaml", "responses.yaml")
_NOT_CONTENT = ("nlu", "practice", "__pycache__", "*.py", "*.pyc")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a knowledge folder, with where it is."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


# the merged view ----------------------------------------------------------------------------------


def _mapping(path: Path) -> dict[Any, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path}: cannot read YAML: {exc}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise KnowledgeError(f"{path}: expected a mapping at the top of the file")
    return doc


def merge_into(override: Path, target: Path) -> None:
    """Write the packaged knowledge with ``override`` laid over it into the empty folder ``target``."""
    shutil.copytree(default_dir(), target, ignore=shutil.ignore_patterns(*_NOT_CONTENT), dirs_exist_ok=True)
    for name in MAPPING_FILES:
        extra = override / name
        if extra.is_file():
            merged = _mapping(target / name)
            merged.update(_mapping(extra))
            (target / name).write_text(yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for topic in sorted((override / "topics").glob("*.yaml")):
        shutil.copyfile(topic, target / "topics" / topic.name)


def load_with_override(override: Path | None) -> Knowledge:
    """The packaged knowledge, with ``override`` (``SECONDROUND_KNOWLEDGE_DIR``) laid over it when given.

    Raises :class:`KnowledgeError` naming the variable and the file when the result is invalid.
    """
    if override is None:
        return load_knowledge()
    if not override.is_dir():
        raise KnowledgeError(f"{VARIABLE}: {override} is not a folder")
    with tempfile.TemporaryDirectory(prefix="secondround-knowledge-") as tmp:
        try:
            merge_into(override, Path(tmp))
            return load_knowledge(Path(tmp))
        except KnowledgeError as exc:
            text = str(exc).replace(tmp + "/", "").replace(tmp, str(override))
            raise KnowledgeError(f"{VARIABLE} ({override}): {text}") from None


def export(target: Path) -> list[Path]:
    """Write the packaged content (topics, facts, reminder and response texts, sources) into ``target``.

    ``target`` must not exist yet or be empty, so nobody's edits are overwritten. Returns the files written.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise KnowledgeError(f"{target}: exists and is not an empty folder; choose a new folder to export into")
    shutil.copytree(default_dir(), target, ignore=shutil.ignore_patterns(*_NOT_CONTENT), dirs_exist_ok=True)
    return sorted(p for p in target.rglob("*.yaml"))


# checking a folder --------------------------------------------------------------------------------


class _Doc:
    """A YAML file's data and, for each place in it, its line number."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path, self.shown = path, shown
        text = path.read_text(encoding="utf-8")
        self.node = yaml.compose(text, Loader=yaml.SafeLoader)
        self.data = yaml.safe_load(text)

    def line(self, loc: tuple[Any, ...] | list[Any] = ()) -> int:
        """The 1-based line of the value at ``loc`` (the deepest part of it that exists)."""
        node = self.node
        if node is None:
            return 1
        best = node.start_mark.line + 1
        for part in loc:
            child = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == str(part):
                        child = value
                        best = key.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                child = node.value[part]
                best = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return best

    def label(self, loc: tuple[Any, ...] | list[Any]) -> str:
        """``items[2] (salary-courage).text``: where in the file, with the item's id when it has one."""
        out, data = "", self.data
        for part in loc:
            if isinstance(part, int) and isinstance(data, list) and part < len(data):
                data = data[part]
                ident = data.get("id") if isinstance(data, dict) else None
                out += f"[{part}]" + (f" ({ident})" if ident else "")
            else:
                data = data.get(part) if isinstance(data, dict) else None
                out += f".{part}"
        return out.lstrip(".") or "file"


def _read_doc(path: Path, shown: str, problems: list[Problem]) -> _Doc | None:
    try:
        return _Doc(path, shown)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(Problem(shown, (mark.line + 1) if mark else 1, f"cannot read YAML: {exc.problem}"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(shown, 1, f"cannot read the file: {exc}"))
    return None


def _schema(doc: _Doc, exc: ValidationError, prefix: tuple[Any, ...] = ()) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        out.append(Problem(doc.shown, doc.line(loc), f"{doc.label(loc)}: {msg}"))
    return out


def check(folder: Path) -> list[Problem]:
    """Every problem in the knowledge folder ``folder`` (an override or a full export); empty when valid."""
    problems: list[Problem] = []
    if not folder.is_dir():
        return [Problem(str(folder), 1, "not a folder")]
    packaged = default_dir()

    def doc_for(rel: str) -> _Doc | None:
        own = folder / rel
        if own.is_file():
            return _read_doc(own, str(own), problems)
        return _read_doc(packaged / rel, f"(packaged) {rel}", problems)

    # mapping files: the folder's entries over the packaged ones
    merged: dict[str, dict[Any, Any]] = {}
    where: dict[str, dict[Any, _Doc]] = {}
    for name in MAPPING_FILES:
        merged[name], where[name] = {}, {}
        for path, shown in ((packaged / name, f"(packaged) {name}"), (folder / name, str(folder / name))):
            if not path.is_file():
                continue
            doc = _read_doc(path, shown, problems)
            if doc is None:
                continue
            if doc.data is not None and not isinstance(doc.data, dict):
                problems.append(Problem(shown, 1, "expected a mapping at the top of the file"))
                continue
            for key, value in (doc.data or {}).items():
                merged[name][key], where[name][key] = value, doc
    sources = merged["sources.yaml"]
    declared: set[str] = set()
    for group, spec in merged["facts.yaml"].items():
        doc = where["facts.yaml"][group]
        if not isinstance(spec, dict) or not isinstance(spec.get("values"), dict):
            problems.append(Problem(doc.shown, doc.line((group,)), f"{group}: expected `values:` with one entry each"))
            continue
        declared.update(str(k) for k in spec["values"])
    for kind in REMINDER_KINDS:
        if kind not in merged["reminders.yaml"]:
            problems.append(Problem("reminders.yaml", 1, f"no entry for reminder kind {kind!r}"))
            continue
        doc = where["reminders.yaml"][kind]
        try:
            text = ReminderText.model_validate(merged["reminders.yaml"][kind])
        except ValidationError as exc:
            problems.extend(_schema(doc, exc, (kind,)))
            continue
        if text.source not in sources:
            problems.append(
                Problem(doc.shown, doc.line((kind, "source")), f"{kind}.source: {text.source!r} is not in sources.yaml")
            )
    for key in REQUIRED_RESPONSES:
        if key not in merged["responses.yaml"]:
            problems.append(Problem("responses.yaml", 1, f"missing the response {key!r}"))
    for key, value in merged["responses.yaml"].items():
        if not isinstance(value, str):
            doc = where["responses.yaml"][key]
            problems.append(Problem(doc.shown, doc.line((key,)), f"{key}: expected text"))

    # topics: the folder's files replace the packaged ones
    for extra in sorted((folder / "topics").glob("*")) if (folder / "topics").is_dir() else []:
        if extra.suffix != ".yaml" or extra.stem not in COACHING_TOPICS:
            problems.append(
                Problem(str(extra), 1, f"not a topic file: name it <intent>.yaml, one of {', '.join(COACHING_TOPICS)}")
            )
    seen: dict[str, tuple[str, int]] = {}
    points: set[str] = set()
    for intent in COACHING_TOPICS:
        doc = doc_for(f"topics/{intent}.yaml")
        if doc is None:
            continue
        try:
            topic: Topic | None = Topic.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(_schema(doc, exc))
            topic = None
        if topic is not None and topic.intent != intent:
            problems.append(
                Problem(doc.shown, doc.line(("intent",)), f"intent {topic.intent!r} does not match the file name")
            )
        raw_items = doc.data.get("items") if isinstance(doc.data, dict) else None
        for n, item in enumerate(raw_items if isinstance(raw_items, list) else []):
            if not isinstance(item, dict):
                continue
            loc = ("items", n)
            here = doc.label(loc)
            ident = str(item.get("id", ""))
            if ident and ident in seen:
                other, line = seen[ident]
                problems.append(Problem(doc.shown, doc.line((*loc, "id")), f"{here}: id also used at {other}:{line}"))
            if ident:
                seen[ident] = (doc.shown, doc.line((*loc, "id")))
            source = item.get("source")
            if isinstance(source, str) and source not in sources:
                problems.append(
                    Problem(doc.shown, doc.line((*loc, "source")), f"{here}.source: {source!r} is not in sources.yaml")
                )
            conditions = [str(k) for key in ("when", "unless") for k in (item.get(key) or []) if isinstance(k, str)]
            unknown = sorted(set(conditions) - declared)
            if unknown:
                problems.append(
                    Problem(
                        doc.shown, doc.line((*loc, "when")), f"{here}: when/unless use undeclared fact(s) {unknown}"
                    )
                )
            if isinstance(item.get("point"), str):
                points.add(item["point"])
        if topic is not None and topic.ask is not None:
            unknown = sorted(topic.fact_keys() - declared - {k for i in topic.items for k in (*i.when, *i.unless)})
            if unknown:
                problems.append(Problem(doc.shown, doc.line(("ask",)), f"ask uses undeclared fact(s) {unknown}"))
    if not any(p for p in problems if p.message.startswith(("cannot read", "expected"))):
        missing = sorted(_packaged_points() - points)
        for point in missing:
            problems.append(
                Problem(
                    str(folder / "topics"),
                    1,
                    f"the articles' point {point!r} is no longer carried by any item (docs/knowledge-coverage.md)",
                )
            )
    if not problems:  # a last word from the loader itself, for anything the checks above do not cover
        try:
            load_with_override(folder)
        except KnowledgeError as exc:
            problems.append(Problem(str(folder), 1, str(exc)))
    return problems


def _packaged_points() -> set[str]:
    return {item.point for _, item in load_knowledge().items()}


# a running bot ------------------------------------------------------------------------------------


def reload(app: Any) -> tuple[bool, str]:
    """Load the knowledge again (packaged + ``SECONDROUND_KNOWLEDGE_DIR``) into a running ``app``.

    Returns (True, summary) after swapping it in, or (False, why) leaving the old knowledge in use.
    """
    try:
        fresh = load_with_override(app.settings.knowledge_dir)
    except KnowledgeError as exc:
        log.warning("knowledge_reload_refused", extra={"reason": str(exc)[:2000]})
        return False, f"kept the knowledge in use: the new one is invalid: {exc}"
    app.knowledge = fresh
    app.coach.knowledge = fresh
    app.planner.knowledge = fresh
    if app.coach.planner is not app.planner:
        app.coach.planner.knowledge = fresh
    items = sum(len(t.items) for t in fresh.topics.values())
    log.info("knowledge_reloaded", extra={"topics": len(fresh.topics), "items": items})
    return True, f"knowledge reloaded: {len(fresh.topics)} topics, {items} items"
