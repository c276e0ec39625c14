"""The career office's figures: from a database seeded by real conversations, anonymous, < 5 masked."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from bot.common.types import ConversationRef, Handled
from bot.office.insights import TopicRecorder, flush_topic_counts
from bot.ops.cli import main
from bot.storage.insights import Scope
from tests.conftest import BotHarness

STUDENTS = [f"USTUDENT{i:04d}" for i in range(1, 7)]
COMPANIES = [f"Zyntrix{i}" for i in range(1, 7)]


def seed(bot: BotHarness) -> None:
    """Six students in workspace TOFFICE1 with an interview each and a salary question; two ask about wine."""
    for i, (user, company) in enumerate(zip(STUDENTS, COMPANIES, strict=True)):
        me = bot.chat(user, workspace="TOFFICE1")
        assert "Friday" in me.say(f"I have a second interview with {company} on Friday at 3pm with Sarah Chen").text
        me.say("how do I negotiate my salary when they make an offer?")
        if i < 2:
            me.say("can I order wine at a dinner interview?")
    bot.chat("UOTHERSCHOOL1", workspace="TOTHER9").say("how do I negotiate my salary when they make an offer?")


def report(bot: BotHarness, monkeypatch, capsys, *args: str) -> str:
    """``secondround report ARGS`` against the bot's database, at the bot's clock; its standard output.

    The running bot writes its topic counts in batches; the report reads what it has written.
    """
    flush_topic_counts(bot.app)
    monkeypatch.setenv("SECONDROUND_DATABASE_URL", bot.app.settings.effective_database_url)
    monkeypatch.setenv("SECONDROUND_NOW", bot.clock.now().isoformat())
    monkeypatch.setenv("SECONDROUND_HEALTH_ADDR", "")
    capsys.readouterr()
    assert main(["report", *args]) == 0
    return capsys.readouterr().out


def assert_anonymous(text: str) -> None:
    for secret in [*STUDENTS, *COMPANIES, "UOTHERSCHOOL1", "Sarah", "negotiate", "wine"]:
        assert secret.lower() not in text.lower(), secret


def test_figures_for_one_workspace_mask_groups_under_five(bot: BotHarness, monkeypatch, capsys) -> None:
    seed(bot)
    out = json.loads(report(bot, monkeypatch, capsys, "--format", "json", "--workspace", "TOFFICE1"))
    assert out["students_active"] == {"this_week": 6, "this_term": 6}
    assert out["upcoming_second_interviews"][0] == {"week_of": "2026-03-02", "interviews": 6}
    assert out["upcoming_second_interviews"][1]["interviews"] == "< 5"  # none next week: about 0 students
    topics = {t["topic"]: t for t in out["topics_asked"]}
    assert topics["salary"]["questions"] == 6 and topics["salary"]["students"] == 6
    assert topics["informal_setting"]["questions"] == "< 5"  # two students asked: never the number
    assert out["topics_asked"][0]["topic"] == "salary"
    assert out["reminders_delivered"] == "< 5" and out["thank_yous_marked_sent"] == "< 5"

    everyone = json.loads(report(bot, monkeypatch, capsys, "--format", "json"))
    assert everyone["students_active"]["this_week"] == 7  # the other school's student counts there
    assert {t["topic"]: t for t in everyone["topics_asked"]}["salary"]["questions"] == 7


async def test_reminders_thank_yous_outcomes_and_forget_me(bot: BotHarness, monkeypatch, capsys) -> None:
    seed(bot)
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))  # the day before: the prepare reminders
    assert len(await bot.deliver_due()) == 6
    bot.clock.set(datetime(2026, 3, 6, 23, 0, tzinfo=UTC))
    for user in STUDENTS[:5]:
        assert "sent" in bot.chat(user, workspace="TOFFICE1").say("I sent my thank-you emails").text
    for user in STUDENTS[:2]:
        bot.chat(user, workspace="TOFFICE1").say("they offered me the job!")
    out = json.loads(report(bot, monkeypatch, capsys, "--format", "json", "--workspace", "TOFFICE1"))
    assert out["reminders_delivered"] == 6  # the prepare reminders
    assert out["thank_yous_marked_sent"] == 5
    assert out["outcomes"]["offer"] == "< 5"

    me = bot.chat(STUDENTS[5], workspace="TOFFICE1")
    me.press(me.say("forget me").button("Delete"))
    after = json.loads(report(bot, monkeypatch, capsys, "--format", "json", "--workspace", "TOFFICE1"))
    assert {t["topic"]: t for t in after["topics_asked"]}["salary"]["questions"] == 5  # gone from the counts
    assert after["students_active"]["this_term"] == 5
    me = bot.chat(STUDENTS[4], workspace="TOFFICE1")
    me.press(me.say("forget me").button("Delete"))
    after = json.loads(report(bot, monkeypatch, capsys, "--format", "json", "--workspace", "TOFFICE1"))
    assert {t["topic"]: t for t in after["topics_asked"]}["salary"]["questions"] == "< 5"
    assert after["students_active"]["this_term"] == "< 5"


def test_unanswered_topics_are_counted_by_topic(bot: BotHarness, monkeypatch, capsys) -> None:
    seed(bot)
    recorder = TopicRecorder(bot.app.db, bot.clock.now)
    for user in STUDENTS[:5]:
        ref = ConversationRef("test", "TOFFICE1", "", user)
        recorder(Handled(ref, "fallback", 1, False, 0.01, ("unanswered:presentation",)))
    recorder(
        Handled(ConversationRef("test", "TOFFICE1", "", STUDENTS[0]), "nerves", 1, False, 0.01, ("unanswered:nerves",))
    )
    recorder(Handled(ConversationRef("test", "TOFFICE1", "", "UNOBODY"), "salary", 1, False, 0.01))  # never talked
    recorder.flush()
    out = json.loads(report(bot, monkeypatch, capsys, "--format", "json", "--workspace", "TOFFICE1"))
    gaps = {t["topic"]: t["questions"] for t in out["topics_without_good_answer"]}
    assert gaps == {"presentation": 5, "nerves": "< 5"}
    assert [t["topic"] for t in out["topics_without_good_answer"]] == ["presentation", "nerves"]


def test_csv_and_json_hold_no_identifier_or_text(bot: BotHarness, monkeypatch, capsys) -> None:
    seed(bot)
    for fmt in ("json", "csv", "html"):
        assert_anonymous(report(bot, monkeypatch, capsys, "--format", fmt))
    rows = list(csv.reader(io.StringIO(report(bot, monkeypatch, capsys, "--format", "csv"))))
    assert rows[0] == ["section", "figure", "value"]
    assert ["topics asked", "Salary", "7"] in rows
    assert ["topics asked", "Dinner & drinks", "< 5"] in rows


def test_bad_since_is_refused_with_a_reason(bot: BotHarness, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SECONDROUND_DATABASE_URL", bot.app.settings.effective_database_url)
    assert main(["report", "--since", "last tuesday", "--format", "json"]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["report", "--since", "2030-01-01", "--format", "json"]) == 2
    assert "future" in capsys.readouterr().err


def test_since_moves_the_period(bot: BotHarness, monkeypatch, capsys) -> None:
    seed(bot)
    bot.clock.set(datetime(2026, 3, 20, 12, 0, tzinfo=UTC))
    later = json.loads(report(bot, monkeypatch, capsys, "--format", "json", "--since", "2026-03-10"))
    assert later["since"] == "2026-03-10"
    assert later["topics_asked"] == []  # every question was asked before the 10th
    assert later["students_active"]["this_term"] == "< 5"


def test_insights_scope_keeps_workspaces_apart(bot: BotHarness) -> None:
    from bot.office.insights import compute

    seed(bot)
    other = compute(bot.app.db, bot.clock.now(), scope=Scope(workspace="TOTHER9"))
    assert other.active_this_week == "< 5" and all(t.questions == "< 5" for t in other.topics)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium not installed (Debian package `chromium`)")
def test_html_report_is_self_contained_and_renders_in_chromium(bot: BotHarness, monkeypatch, capsys, tmp_path) -> None:
    seed(bot)
    html = report(bot, monkeypatch, capsys, "--format", "html")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)  # no external assets
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert html.count("<svg") == 2  # interviews per week, topics asked (no unanswered ones: a sentence)
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "report.png"
    common = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "Topics asked most" in dom and "Salary" in dom and "&lt; 5" in dom
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1000,1000", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000  # a real picture, not an empty page


def test_a_students_export_shows_their_topic_counts(bot: BotHarness) -> None:
    me = bot.chat("UEXPORT1")
    me.say("how do I negotiate my salary when they make an offer?")
    r = me.say("export my data")
    data = json.loads(r.text.split("```json", 1)[1].rsplit("```", 1)[0])
    [asked] = data["topics_asked"]
    assert asked["topic"] == "salary" and asked["answered"] is True
    assert "negotiate" not in json.dumps(data["topics_asked"])  # the topic only, never the words


def test_figures_and_installations_on_sqlite_and_postgresql(any_bot: BotHarness) -> None:
    from cryptography.fernet import Fernet

    from bot.office.insights import compute
    from bot.office.workspaces import Cipher, Workspaces

    for user in STUDENTS[:5]:
        any_bot.chat(user, platform="slack", workspace="TPG1").say(
            "how do I negotiate my salary when they make an offer?"
        )
    flush_topic_counts(any_bot.app)
    figures = compute(any_bot.app.db, any_bot.clock.now(), scope=Scope(workspace="TPG1"))
    assert figures.active_this_week == 5 and figures.topics[0].questions == 5

    workspaces = Workspaces(any_bot.app.db, Cipher(Fernet.generate_key().decode()), "slack")
    workspaces.save("", "TPG1", {"team_id": "TPG1", "bot_token": "xoxb-pg"}, any_bot.clock.now())
    workspaces.save("", "TPG1", {"team_id": "TPG1", "bot_token": "xoxb-pg-2"}, any_bot.clock.now())  # reinstall
    assert workspaces.find("", "TPG1") == {"team_id": "TPG1", "bot_token": "xoxb-pg-2"}
    assert workspaces.remove("", "TPG1", "test") == {
        "installations": 1,
        "reminders": 0,
        "notes": 0,
        "topics": 5,
        "interviews": 0,
        "conversations": 5,
        "students": 5,
    }
    assert compute(any_bot.app.db, any_bot.clock.now(), scope=Scope(workspace="TPG1")).topics == ()


def test_topic_counts_are_written_in_batches_outside_the_questions_transaction(bot: BotHarness) -> None:
    """A question costs no extra statement: its count is held, then written by the sweep or at close."""
    from sqlalchemy import text

    def stored() -> int:
        with bot.app.db.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM topic_asks")).scalar_one())

    me = bot.chat("UBATCH1", workspace="TOFFICE1")
    me.say("how do I negotiate my salary when they make an offer?")
    bot.advance(minutes=5)
    me.say("what should I ask them at the end?")
    assert stored() == 0
    flush_topic_counts(bot.app)  # what the runtime's inbox sweep does
    assert stored() == 2
    me.say("how do I prepare?")
    assert stored() == 2
    bot.app.close()
    assert stored() == 3
