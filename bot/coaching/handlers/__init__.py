"""The coach's handlers, one module per job. :data:`MODULES` is the one place they are wired up."""

from bot.coaching.handlers import account, after, coaching, interviews, notes, outcomes
from bot.coaching.practice import handlers as practice

MODULES = (
    coaching,
    interviews.schedule,
    interviews.pick,
    interviews.listing,
    interviews.cancel,
    interviews.forms,
    interviews.timezones,
    interviews.offer_dates,
    notes,
    account,
    outcomes,
    after.thanks,
    after.calendar,
    after.own_reminders,
    practice,
)
