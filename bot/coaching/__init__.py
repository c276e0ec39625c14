"""The conversation: coach, turn, registry, dialog, situation, advice and the handlers."""
