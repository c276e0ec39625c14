"""SecondRound's coaching content as data (YAML): topics, reminder texts, replies, NLU examples.

This package holds no code; it exists so the data ships with the program and is found with
``importlib.resources``.
"""
