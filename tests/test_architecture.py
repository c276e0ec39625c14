"""The layering the project relies on: a platform-free core, adapters that only translate."""

from __future__ import annotations

import ast
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "discord")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_core_imports_no_platform_sdk_and_no_adapter() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.split(".")[0] in (*PLATFORM_SDKS, "adapters")
        )
        for path in (ROOT / "bot").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_adapters_hold_no_sql() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.split(".")[0] in ("sqlalchemy", "alembic") or n.startswith("bot.storage")
        )
        for path in (ROOT / "adapters").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# Rooms (issue 13): bot/ is a set of packages in layers, lowest first. A room may import only rooms
# below it. Imports under `if TYPE_CHECKING:` don't count; lazy imports inside functions do.
# The rooms, their levels and the leaf modules are defined once, in the script that draws them
# (docs/draw_rooms.py), together with how a module's imports are read.
_DRAW = runpy.run_path(str(ROOT / "docs" / "draw_rooms.py"))
LEVEL: dict[str, int] = _DRAW["LEVEL"]
# Leaf modules import nothing from bot/, so any room may import them: the one list of a kind of names.
LEAVES: set[str] = set(_DRAW["LEAVES"])
_room: Callable[[str], str | None] = _DRAW["room"]
_runtime_imports: Callable[[Path], Iterator[str]] = _DRAW["runtime_imports"]
# Upward arrows still in the code. Each cleanup removes its arrow; the last test fails when one is gone.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _arrows() -> Iterator[tuple[Path, str, str, str]]:
    for path in (ROOT / "bot").rglob("*.py"):
        src = _room(_module(path))
        for name in _runtime_imports(path):
            dst = _room(name)
            if src and dst and src != dst and not any(name == leaf or name.startswith(f"{leaf}.") for leaf in LEAVES):
                yield path, name, src, dst


def test_every_module_of_bot_lives_in_a_room() -> None:
    loose = [p.name for p in (ROOT / "bot").glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    assert {p.name for p in (ROOT / "bot").iterdir() if p.is_dir() and p.name != "__pycache__"} == set(LEVEL)


def test_rooms_import_only_rooms_below_them() -> None:
    wrong = {
        f"{path.relative_to(ROOT)} -> {name}"
        for path, name, src, dst in _arrows()
        if LEVEL[dst] >= LEVEL[src] and (src, dst) not in KNOWN_UPWARD
    }
    assert sorted(wrong) == []


def test_known_upward_are_all_still_there() -> None:
    seen = {(src, dst) for _, _, src, dst in _arrows() if (src, dst) in KNOWN_UPWARD}
    assert seen == KNOWN_UPWARD


def test_leaves_import_nothing_from_bot() -> None:
    for leaf in LEAVES:
        path = ROOT.joinpath(*leaf.split(".")).with_suffix(".py")
        assert [n for n in _runtime_imports(path) if n.split(".")[0] == "bot"] == [], leaf


def test_every_module_with_handlers_is_wired_up() -> None:
    import importlib
    import pkgutil

    from bot.coaching import handlers
    from bot.coaching.registry import _ATTR

    found = set()
    for info in pkgutil.walk_packages(handlers.__path__, "bot.coaching.handlers."):
        module = importlib.import_module(info.name)
        if any(getattr(v, _ATTR, ()) and getattr(v, "__module__", "") == info.name for v in vars(module).values()):
            found.add(info.name)
    assert found <= {m.__name__ for m in handlers.MODULES}
    assert len(found) > 10


def test_interview_buttons_are_routed_by_the_registry_one_sub_verb_each() -> None:
    from bot.coaching.handlers import MODULES
    from bot.coaching.registry import collect

    registry = collect(MODULES)
    for sub in ("list", "add", "cancel", "restore", "update", "move"):
        found = registry.action(f"interview:{sub}:1")
        assert found is not None and found[1] == ["1"], sub
    assert registry.action("interview:bogus:1") is None
    assert "interview" in registry.names("action")


# Import circles between modules of bot/ (lazy imports count). None is left: handlers/coaching.py hands a
# reported outcome to handlers/outcomes.py through `Turn.handle_as`, as calendar and own_reminders do.
KNOWN_CIRCLES: list[set[str]] = []


def _module_graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in (ROOT / "bot").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        names = set(_runtime_imports(path))
        # `from bot.x import y` names the module bot.x.y when y is one; then bot.x itself is only its package
        graph[module] = {
            n
            for n in names
            if n in paths and n != module and not any(o.startswith(f"{n}.") and o in paths for o in names)
        }
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_circle_finder_finds_circles() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_inside_bot_but_the_known_one() -> None:
    assert sorted(map(sorted, _circles(_module_graph()))) == sorted(map(sorted, KNOWN_CIRCLES))


def test_the_rooms_picture_is_up_to_date() -> None:
    assert (ROOT / "docs" / "rooms.svg").read_text(encoding="utf-8") == _DRAW["svg"](), "run: python docs/draw_rooms.py"
