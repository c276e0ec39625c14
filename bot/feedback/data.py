"""Reading labelled answers: the tagged training file and DATA.md's answers.jsonl format."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PARTS", "LabelledAnswer", "read_jsonl", "read_tagged", "training_path"]

PARTS = ("situation", "task", "action", "result")
_TAG = re.compile(r"\[([STAR]+|-)\] ?")
_LINE = re.compile(r"^(\d+)\s+(i|we|mixed|none)\s+([Q-])\s*\|\s?(.*)$")
_LETTER = {"S": "situation", "T": "task", "A": "action", "R": "result"}


@dataclass
class LabelledAnswer:
    """One answer with DATA.md's labels; ``spans`` (from the tagged file) mark each part's words."""

    question: str
    answer: str
    labels: dict[str, bool | str]
    spans: list[tuple[int, int, frozenset[str]]] = field(default_factory=list)


def training_path() -> Path:
    """The tagged training file shipped in knowledge/practice/."""
    return Path(__file__).resolve().parents[2] / "knowledge" / "practice" / "answers_train.txt"


def file_sha256(path: Path) -> str:
    """Hash of a data file, stored with the trained weights."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_tagged(line: str) -> tuple[str, list[tuple[int, int, frozenset[str]]]]:
    """Turn "[S] At my last job [A] I ..." into the answer text and its (start, end, parts) spans."""
    text = ""
    spans: list[tuple[int, int, frozenset[str]]] = []
    pos = 0
    current: frozenset[str] = frozenset()
    span_start = 0
    for m in _TAG.finditer(line):
        text += line[pos : m.start()]
        if text != "" and span_start < len(text):
            spans.append((span_start, len(text.rstrip()), current))
        span_start = len(text)
        tag = m.group(1)
        current = frozenset() if tag == "-" else frozenset(_LETTER[c] for c in tag)
        pos = m.end()
    text += line[pos:]
    if span_start < len(text):
        spans.append((span_start, len(text.rstrip()), current))
    return text.rstrip(), spans


def read_tagged(path: Path | None = None) -> list[LabelledAnswer]:
    """Read the tagged training file (format in its header)."""
    path = path or training_path()
    questions: dict[str, str] = {}
    out: list[LabelledAnswer] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("?"):
            qid, question = line[1:].strip().split(" ", 1)
            questions[qid] = question.strip()
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"{path.name}:{number}: not an answer line")
        qid, ownership, quantified, tagged = m.groups()
        answer, spans = parse_tagged(tagged)
        parts = set().union(*(s[2] for s in spans)) if spans else set()
        labels: dict[str, bool | str] = {p: p in parts for p in PARTS}
        labels["quantified"] = quantified == "Q"
        labels["ownership"] = ownership
        if not labels["action"] and ownership != "none":  # DATA.md: no action -> "none"
            raise ValueError(f"{path.name}:{number}: ownership {ownership} without an action span")
        out.append(LabelledAnswer(questions[qid], answer, labels, spans))
    return out


def read_jsonl(path: Path) -> list[LabelledAnswer]:
    """Read DATA.md's answers.jsonl format."""
    out: list[LabelledAnswer] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(LabelledAnswer(row["question"], row["answer"], dict(row["labels"])))
    return out
