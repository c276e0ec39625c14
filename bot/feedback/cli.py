"""``secondround feedback``: JSON lines in, one feedback object per line out.

Each input line is ``{"question": str, "answer": str}`` (optionally ``"kind"`` and ``"told_before"``).
A line that cannot be read gets ``{"error": "..."}`` on its output line and the rest go on.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from bot.feedback.analyzer import analyze
from bot.feedback.kinds import KINDS

__all__ = ["MAX_ANSWER_CHARS", "main"]

MAX_ANSWER_CHARS = 20_000


def _one(line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"not JSON ({exc.msg} at column {exc.colno})"}
    if not isinstance(row, dict):
        return {"error": 'expected an object like {"question": "...", "answer": "..."}'}
    question, answer = row.get("question"), row.get("answer")
    if not isinstance(question, str):
        return {"error": '"question" must be a string'}
    if not isinstance(answer, str):
        return {"error": '"answer" must be a string'}
    if len(answer) > MAX_ANSWER_CHARS:
        return {"error": f'"answer" is longer than {MAX_ANSWER_CHARS} characters'}
    kind = row.get("kind")
    if kind is not None and kind not in KINDS:
        return {"error": f'"kind" must be one of {", ".join(KINDS)}'}
    told = row.get("told_before", [])
    if not isinstance(told, list) or not all(isinstance(n, str) for n in told):
        return {"error": '"told_before" must be a list of strings'}
    return analyze(question, answer, kind=kind, told_before=told).to_dict()


def main(stdin: TextIO, stdout: TextIO) -> int:
    """Read JSON lines from ``stdin`` and write one JSON object per non-blank line to ``stdout``."""
    for line in stdin:
        if not line.strip():
            continue
        stdout.write(json.dumps(_one(line), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
