"""Shared vocabulary of the core: message types, clock, time zones, markup, wording helpers, limits, settings."""
