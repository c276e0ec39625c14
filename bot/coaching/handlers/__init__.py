"""The coach's handlers, one module per job, found here: a new module needs no wiring.

:data:`MODULES` is every module of this package (sub-packages included), in name order, plus the
practice mode's handlers; :func:`bot.coaching.registry.collect` reads their decorated functions.
"""

import importlib
import pkgutil
from types import ModuleType

from bot.coaching.practice import handlers as practice


def _modules() -> tuple[ModuleType, ...]:
    names = sorted(info.name for info in pkgutil.walk_packages(__path__, f"{__name__}."))
    return (*(importlib.import_module(name) for name in names), practice)


MODULES = _modules()
