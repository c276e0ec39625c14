"""Tracking interviews, split by job: schedule, pick, listing, cancel, forms, time zones, offer dates.

Importing the package imports every module, so their handlers register.
"""

from bot.coaching.handlers.interviews import cancel, forms, listing, offer_dates, pick, schedule, timezones

__all__ = ["cancel", "forms", "listing", "offer_dates", "pick", "schedule", "timezones"]
