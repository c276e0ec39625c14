"""Running the bot: runtime, app wiring, command line, doctor, health, metrics, logs, retention, events."""
