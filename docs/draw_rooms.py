"""Draw docs/rooms.svg from the code: bot/'s rooms (lowest layer at the bottom) and who imports whom.

Run ``python docs/draw_rooms.py`` after moving modules; tests/test_architecture.py fails while the
picture is out of date. Imports under ``if TYPE_CHECKING:`` are left out, lazy imports count.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "rooms.svg"
LEVEL = {"common": 0, "storage": 1, "knowledge": 2, "nlu": 3, "feedback": 3,
         "reminders": 4, "office": 5, "coaching": 6, "ops": 7}  # fmt: skip
LEAVES = ("bot.reminders.kinds",)  # import nothing from bot/, so any room may import them (not drawn)
ABOUT = {
    "ops": "runtime, app wiring, cli, doctor, health, metrics, logs",
    "coaching": "coach, turn, registry, dialog, handlers, advice",
    "office": "career office: insights, report, workspaces",
    "reminders": "kinds, planner, engine, delivery",
    "nlu": "intents, entities, dates",
    "feedback": "practice answer analyser",
    "knowledge": "the coaching content, loaded and checked",
    "storage": "database, models, repo, migrations",
    "common": "types, clock, settings, formatting, markup",
}


def room(module: str) -> str | None:
    """The room a dotted module name lives in (None outside bot/'s rooms)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "bot" and len(parts) > 1 and parts[1] in LEVEL else None


def runtime_imports(path: Path) -> Iterator[str]:
    """Absolute imports outside ``if TYPE_CHECKING:`` blocks, with ``from a import b`` also as ``a.b``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def arrows() -> Counter[tuple[str, str]]:
    """How many modules of each room import each other room."""
    seen: set[tuple[str, str, str]] = set()
    for path in sorted((ROOT / "bot").rglob("*.py")):
        src = room(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name in runtime_imports(path):
            dst = room(name)
            leaf = any(name == f or name.startswith(f"{f}.") for f in LEAVES)
            if src and dst and src != dst and not leaf:
                seen.add((str(path), src, dst))
    return Counter((s, d) for _, s, d in seen)


def modules(name: str) -> int:
    """Python modules in a room (not counting migrations)."""
    return sum(1 for p in (ROOT / "bot" / name).rglob("*.py") if "migrations" not in p.parts)


def svg() -> str:
    """The picture: the layers on the left, the import matrix on the right."""
    order = sorted(LEVEL, key=lambda r: (-LEVEL[r], r))
    count = arrows()
    box_w, box_h, gap, left, top = 300, 46, 10, 20, 60
    parts = [
        '<text x="20" y="28" font-size="18" font-weight="bold">bot/: rooms, lowest at the bottom</text>',
        '<text x="20" y="48" font-size="12" fill="#555">A room imports only rooms below it.</text>',
    ]
    y = top
    for level in sorted(set(LEVEL.values()), reverse=True):
        here = sorted(r for r in LEVEL if LEVEL[r] == level)
        w = (box_w - gap * (len(here) - 1)) / len(here)
        for i, r in enumerate(here):
            x = left + i * (w + gap)
            parts.append(
                f'<rect x="{x:.0f}" y="{y}" width="{w:.0f}" height="{box_h}" rx="6" fill="#eef4fb" stroke="#4a78a8"/>'
            )
            parts.append(
                f'<text x="{x + 8:.0f}" y="{y + 19}" font-size="14" font-weight="bold">{r}/ '
                f'<tspan font-weight="normal" fill="#555" font-size="11">({modules(r)} modules)</tspan></text>'
            )
            about = ABOUT[r] if len(here) == 1 else ABOUT[r].split(":")[0][:28]
            parts.append(f'<text x="{x + 8:.0f}" y="{y + 36}" font-size="11" fill="#333">{escape(about)}</text>')
        y += box_h + gap
    # the matrix
    mx, my, cell = left + box_w + 120, top + 20, 40
    parts.append(
        f'<text x="{mx - 100}" y="{top - 12}" font-size="14" font-weight="bold">'
        "modules of a room (row) importing another room (column)</text>"
    )
    for j, r in enumerate(order):
        cx = mx + j * cell + cell / 2
        parts.append(
            f'<text x="{cx:.0f}" y="{my - 6}" font-size="11" text-anchor="start" '
            f'transform="rotate(-40 {cx:.0f} {my - 6})">{r}</text>'
        )
    for i, src in enumerate(order):
        ry = my + i * cell
        parts.append(f'<text x="{mx - 8}" y="{ry + cell / 2 + 4:.0f}" font-size="11" text-anchor="end">{src}</text>')
        for j, dst in enumerate(order):
            n = count.get((src, dst), 0)
            upward = LEVEL[dst] >= LEVEL[src] and src != dst
            fill = "#f4f4f4" if src == dst else ("#e05252" if upward and n else "#ffffff")
            if n and not upward:
                fill = f"rgba(74,120,168,{min(0.25 + n / 20, 1):.2f})"
            parts.append(
                f'<rect x="{mx + j * cell}" y="{ry}" width="{cell}" height="{cell}" fill="{fill}" stroke="#ccc"/>'
            )
            if n:
                parts.append(
                    f'<text x="{mx + j * cell + cell / 2:.0f}" y="{ry + cell / 2 + 4:.0f}" font-size="12" '
                    f'text-anchor="middle">{n}</text>'
                )
    upward_total = sum(n for (s, d), n in count.items() if LEVEL[d] >= LEVEL[s])
    legend_y = my + len(order) * cell + 22
    parts.append(
        f'<text x="{mx - 100}" y="{legend_y}" font-size="11" fill="#555">blue: downward (allowed); red: upward '
        f"({upward_total} today); grey: inside the room</text>"
    )
    parts.append(
        f'<text x="{mx - 100}" y="{legend_y + 16}" font-size="11" fill="#555">not counted: leaves any room may '
        f"import ({', '.join(LEAVES)})</text>"
    )
    height = max(y, legend_y + 16) + 20
    width = mx + len(order) * cell + 30
    body = "\n".join(f"  {p}" for p in parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="Helvetica, Arial, sans-serif">\n'
        f'  <rect width="100%" height="100%" fill="#ffffff"/>\n{body}\n</svg>\n'
    )


if __name__ == "__main__":
    OUT.write_text(svg(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
