"""After the interview, split by job: thank-you drafts, the calendar file, the student's own reminders.

Importing the package imports every module, so their handlers register.
"""

from bot.coaching.handlers.after import calendar, own_reminders, thanks

__all__ = ["calendar", "own_reminders", "thanks"]
