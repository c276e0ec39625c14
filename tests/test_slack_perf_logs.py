"""Log redaction remembers short clean strings only: a secret is redacted every time it is logged."""

from __future__ import annotations

from bot.ops import logs
from bot.ops.logs import REDACTED, Redactor

SECRET = "s3cr3t-value-for-the-test"


def test_a_secret_is_redacted_every_time_and_never_remembered() -> None:
    redactor = Redactor([SECRET])
    for _ in range(3):
        assert redactor.text(SECRET) == REDACTED
        assert redactor.text(f"token={SECRET}") != f"token={SECRET}"
    assert redactor.text("slack") == "slack" and redactor.text("slack") == "slack"
    assert not any(SECRET in remembered for remembered in redactor._clean)


def test_the_remembered_strings_are_bounded() -> None:
    redactor = Redactor()
    for i in range(logs.CLEAN_REMEMBERED * 2 + 5):
        assert redactor.text(f"user{i}") == f"user{i}"
    assert len(redactor._clean) <= logs.CLEAN_REMEMBERED
