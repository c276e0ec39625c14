"""Check the advice-ranking evaluation sets (issue 9): formats, item ids, facts, coverage.

    python3 tests/data/dev/check_ranking.py [--items PATH] [--coverage PATH]

Checks tests/data/{dev,blind}/ranking.jsonl and tests/data/{dev,blind}/coaching_dialogs.jsonl:
valid JSON with the documented fields; every item id exists; labels never use an item whose
`when`/`unless` contradicts the facts given with the question; every point of the coverage table
is the point of at least one labelled best item in each ranking file; every topic is covered.
For the blind files only aggregate figures are printed, never their text.

Items come from --items (JSON lines with id, topic, point, when, unless) when given, otherwise from
knowledge/topics/*.yaml.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SETS = ("dev", "blind")
EXPECTED_LINES = {
    ("dev", "ranking"): 200,
    ("blind", "ranking"): 180,
    ("dev", "coaching_dialogs"): 30,
    ("blind", "coaching_dialogs"): 30,
}

# Fact name -> its values (knowledge/facts.yaml); a question's facts use these names and values.
FACTS: dict[str, set[str]] = {
    "interviewer": {"same", "new"},
    "who_unknown": {"unknown"},
    "panel": {"panel"},
    "executive": {"executive"},
    "tough": {"tough"},
    "untrained": {"untrained"},
    "technical": {"technical"},
    "setting": {"meal", "drinks", "coffee", "site_visit", "onsite", "video", "phone"},
    "presentation": {"presentation"},
    "offer": {"on_the_spot", "in_writing"},
    "stage": {"just_finished", "waiting"},
    "outcome": {"offered", "rejected", "withdrawn", "accepted"},
    "salary_ask": {"asked_expectations", "negotiating_offer"},
}
FAMILY = {v: k for k, vals in FACTS.items() for v in vals}


def load_items(path: Path | None) -> dict[str, dict]:
    """Items by id: topic, point, when, unless."""
    if path is not None and path.exists():
        items = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                items[d["id"]] = d
        return items
    import yaml  # only needed without an items file

    items = {}
    for f in sorted((ROOT / "knowledge" / "topics").glob("*.yaml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        for it in doc.get("items", []):
            items[it["id"]] = {
                "id": it["id"],
                "topic": doc.get("intent"),
                "point": it.get("point"),
                "when": it.get("when"),
                "unless": it.get("unless"),
            }
    return items


def load_coverage(path: Path) -> tuple[dict[str, set[str]], list[str]]:
    """Coverage table: point -> item ids, plus its example questions (for overlap checks)."""
    points: dict[str, set[str]] = {}
    examples: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and re.fullmatch(r"\d{3}-[a-z0-9-]+", cells[0]):
            points[cells[0]] = {i.strip() for i in cells[4].split(",") if i.strip()}
            examples += [e.strip() for e in cells[3].split(" / ") if e.strip()]
    return points, examples


def fits(item: dict, facts: dict[str, str]) -> bool:
    """False when the item's when/unless contradicts the given facts."""
    values = set(facts.values())
    if set(item.get("unless") or []) & values:
        return False
    when = item.get("when") or []
    families = {FAMILY[w] for w in when if w in FAMILY}
    return all(facts.get(fam) in (None, *when) for fam in families)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, len(a | b))


def read_lines(path: Path, errors: list[str]) -> list[str]:
    if not path.exists():
        errors.append(f"{path.relative_to(ROOT)}: missing")
        return []
    return path.read_text(encoding="utf-8").splitlines()


def check_ranking(path: Path, items: dict, points: dict[str, set[str]], errors: list[str]) -> dict:
    rows = []
    for n, line in enumerate(read_lines(path, errors), 1):
        where = f"{path.relative_to(ROOT)}:{n}"
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{where}: not JSON ({e})")
            continue
        if set(r) != {"text", "best", "also", "facts"}:
            errors.append(f"{where}: fields must be text, best, also, facts")
            continue
        if not isinstance(r["text"], str) or not r["text"].strip():
            errors.append(f"{where}: empty text")
        facts = r["facts"]
        if not isinstance(facts, dict) or any(k not in FACTS or v not in FACTS[k] for k, v in facts.items()):
            errors.append(f"{where}: unknown fact in {facts}")
            facts = {}
        labels = ([r["best"]] if r["best"] is not None else []) + list(r["also"])
        if r["best"] is None and r["also"]:
            errors.append(f"{where}: 'also' must be empty when best is null")
        if len(set(labels)) != len(labels):
            errors.append(f"{where}: an item is labelled twice")
        for i in labels:
            if i not in items:
                errors.append(f"{where}: unknown item {i}")
            elif not fits(items[i], facts):
                errors.append(f"{where}: {i} contradicts the facts {facts}")
        rows.append(r)
    texts = Counter(r["text"].strip().lower() for r in rows)
    errors += [f"{path.parent.name}/{path.name}: duplicate text ({c}x)" for t, c in texts.items() if c > 1]
    best = [r["best"] for r in rows if r["best"] in items]
    covered = {p for p, ids in points.items() if ids & set(best)}
    covered |= {items[b]["point"] for b in best if items[b].get("point") in points}
    missing = sorted(set(points) - covered)
    if missing:
        errors.append(f"{path.parent.name}/{path.name}: points with no best item: {', '.join(missing)}")
    topics = Counter(items[b]["topic"] for b in best)
    all_topics = {it["topic"] for it in items.values()}
    if set(topics) != all_topics:
        errors.append(f"{path.parent.name}/{path.name}: topics never best: {sorted(all_topics - set(topics))}")
    per_point = Counter()
    for b in best:
        for p, ids in points.items():
            if b in ids or items[b].get("point") == p:
                per_point[p] += 1
    return {
        "rows": rows,
        "lines": len(rows),
        "null": sum(r["best"] is None for r in rows),
        "with_facts": sum(bool(r["facts"]) for r in rows),
        "with_also": sum(bool(r["also"]) for r in rows),
        "points": len(covered),
        "min_per_point": min(per_point.values()) if per_point else 0,
        "topics": dict(sorted(topics.items())),
    }


def check_dialogs(path: Path, items: dict, errors: list[str]) -> dict:
    n_rows = 0
    turns = []
    for n, line in enumerate(read_lines(path, errors), 1):
        where = f"{path.relative_to(ROOT)}:{n}"
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{where}: not JSON ({e})")
            continue
        n_rows += 1
        if set(d) != {"turns", "expect_any", "forbid"}:
            errors.append(f"{where}: fields must be turns, expect_any, forbid")
            continue
        if len(d["turns"]) < 2 or not all(isinstance(t, str) and t.strip() for t in d["turns"]):
            errors.append(f"{where}: needs at least two non-empty turns")
        turns.append(len(d["turns"]))
        if not d["expect_any"]:
            errors.append(f"{where}: expect_any is empty")
        for i in d["expect_any"] + d["forbid"]:
            if i not in items:
                errors.append(f"{where}: unknown item {i}")
        if set(d["expect_any"]) & set(d["forbid"]):
            errors.append(f"{where}: an item is both expected and forbidden")
    return {"lines": n_rows, "turns": dict(sorted(Counter(turns).items()))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=Path, default=None)
    ap.add_argument("--coverage", type=Path, default=ROOT / "docs" / "knowledge-coverage.md")
    args = ap.parse_args()
    items = load_items(args.items)
    points, examples = load_coverage(args.coverage)
    errors: list[str] = []
    ranking = {}
    for s in SETS:
        p = ROOT / "tests" / "data" / s / "ranking.jsonl"
        ranking[s] = check_ranking(p, items, points, errors)
        dialogs = check_dialogs(ROOT / "tests" / "data" / s / "coaching_dialogs.jsonl", items, errors)
        for name, stats in (("ranking", ranking[s]), ("coaching_dialogs", dialogs)):
            want = EXPECTED_LINES[(s, name)]
            if stats["lines"] != want:
                errors.append(f"{s}/{name}.jsonl: {stats['lines']} lines, expected {want}")
        r = ranking[s]
        print(
            f"{s}/ranking.jsonl: {r['lines']} lines, {r['null']} without an answer, {r['with_facts']} with "
            f"facts, {r['with_also']} with other good items; {r['points']}/{len(points)} points "
            f"(at least {r['min_per_point']} each); topics {r['topics']}"
        )
        print(f"{s}/coaching_dialogs.jsonl: {dialogs['lines']} dialogs, turns {dialogs['turns']}")
    # Independence: the two sets are not paraphrases of each other nor of the coverage table's examples.
    ex = [words(e) for e in examples]
    dev = [words(r["text"]) for r in ranking["dev"]["rows"]]
    blind = [words(r["text"]) for r in ranking["blind"]["rows"]]
    for s, ws in (("dev", dev), ("blind", blind)):
        close = sum(any(jaccard(w, e) >= 0.6 for e in ex) for w in ws)
        print(f"{s}: {close} questions close to a coverage-table example (word overlap >= 0.6)")
        if close:
            errors.append(f"{s}/ranking.jsonl: {close} questions too close to coverage-table examples")
    pairs = sum(any(jaccard(b, d) >= 0.6 for d in dev) for b in blind)
    print(f"blind questions close to a dev question (word overlap >= 0.6): {pairs}")
    if pairs:
        errors.append(f"{pairs} blind questions are too close to dev questions")
    for e in errors:
        # Errors about blind files name the line and the item ids only, never the text.
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
