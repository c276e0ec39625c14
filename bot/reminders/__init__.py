"""Reminders: planning them (planner), sending them on time (engine), what a send returns (delivery)."""
