"""A typed registry of the coach's handlers, filled by decorators and wired up in one place.

Handler modules decorate plain functions; :func:`collect` reads the recorded metadata from a list of
modules and builds a :class:`Registry`. Nothing is registered as a side effect of importing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from bot.coaching.turn import Turn
    from bot.common.pending import Pending
    from bot.common.types import Reply
    from bot.nlu.types import Parse

RouteKind = Literal["intent", "action", "pending"]
F = TypeVar("F", bound=Callable[..., Any])
_ATTR = "__secondround_routes__"

IntentHandler = Callable[["Turn", "Parse"], "list[Reply]"]
ActionHandler = Callable[["Turn", "list[str]"], "list[Reply]"]
PendingHandler = Callable[["Turn", "Pending", "Parse"], "list[Reply] | None"]


@dataclass(frozen=True)
class Route:
    """What a decorator recorded: which name it answers, and of which kind."""

    kind: RouteKind
    name: str
    func: Callable[..., Any]


def _mark(kind: RouteKind, names: tuple[str, ...]) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        routes = list(getattr(func, _ATTR, ()))
        routes.extend(Route(kind, name, func) for name in names)
        setattr(func, _ATTR, tuple(routes))
        return func

    return decorate


def on_intent(*names: str) -> Callable[[F], F]:
    """Handle messages understood as one of the intents ``names``: ``f(turn, parse) -> replies``."""
    return _mark("intent", names)


def on_action(*verbs: str) -> Callable[[F], F]:
    """Handle button values ``verb:arg:…``: ``f(turn, args) -> replies``.

    A name ``verb:sub`` handles ``verb:sub:arg:…`` (``args`` then start after ``sub``); it is tried before
    a plain ``verb``, so each sub-verb is a function of its own rather than a branch of one.
    """
    return _mark("action", verbs)


def on_pending(*kinds: str) -> Callable[[F], F]:
    """Answer an open question of a kind: ``f(turn, pending, parse) -> replies | None`` (None: not an answer)."""
    return _mark("pending", kinds)


class Registry:
    """Lookup tables built from decorated handlers."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes: dict[tuple[RouteKind, str], Route] = {}
        for route in routes:
            key = (route.kind, route.name)
            if key in self._routes and self._routes[key].func is not route.func:
                raise ValueError(f"two handlers for {route.kind} {route.name!r}")
            self._routes[key] = route

    def get(self, kind: RouteKind, name: str) -> Route | None:
        """The route for ``name`` of this kind, if any."""
        return self._routes.get((kind, name))

    def names(self, kind: RouteKind) -> set[str]:
        """Every name registered for a kind (for actions, the verbs: ``interview`` for ``interview:move``)."""
        return {name.partition(":")[0] if kind == "action" else name for k, name in self._routes if k == kind}

    def action(self, value: str) -> tuple[Route, list[str]] | None:
        """The route for a button value and its arguments: ``verb:sub`` first, then ``verb``."""
        verb, _, rest = value.partition(":")
        args = rest.split(":") if rest else []
        if args:
            route = self._routes.get(("action", f"{verb}:{args[0]}"))
            if route is not None:
                return route, args[1:]
        route = self._routes.get(("action", verb))
        return (route, args) if route is not None else None


def collect(modules: Iterable[ModuleType]) -> Registry:
    """Build a registry from every decorated function in ``modules``."""
    routes: list[Route] = []
    for module in modules:
        for value in vars(module).values():
            routes.extend(getattr(value, _ATTR, ()))
    return Registry(routes)
