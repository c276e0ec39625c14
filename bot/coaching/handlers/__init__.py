"""The coach's handlers, one module per area. :data:`MODULES` is the one place they are wired up."""

from bot.coaching.handlers import account, after, coaching, interviews, notes, outcomes
from bot.coaching.practice import handlers as practice

MODULES = (coaching, interviews, notes, account, outcomes, after, practice)
