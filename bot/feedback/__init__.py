"""Practice-mode feedback on a typed interview answer (issue 15): explainable, rules plus small models."""

from bot.feedback.analyzer import Feedback, analyze

__all__ = ["Feedback", "analyze"]
