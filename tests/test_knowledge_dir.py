"""Advice a counsellor edits without a release: SECONDROUND_KNOWLEDGE_DIR, knowledge check/export, reload."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from pathlib import Path

import pytest

from bot.common.clock import FakeClock
from bot.common.settings import ConfigError
from bot.common.types import ConversationRef, IncomingMessage
from bot.knowledge.check import check, load_with_override, reload
from bot.knowledge.library import KnowledgeError, default_dir
from bot.office.cli import serve_reloading
from bot.ops.app import App
from bot.ops.cli import main
from tests.conftest import START, make_settings

NEW_GREETING = "Hello from the Riverside career office! Ask me anything about your second interview."


def greeting_folder(tmp_path: Path, text: str = NEW_GREETING) -> Path:
    folder = tmp_path / "office-knowledge"
    folder.mkdir(exist_ok=True)
    (folder / "responses.yaml").write_text(f"greeting: {text!r}\n", encoding="utf-8")
    return folder


def say(app: App, text: str) -> str:
    replies = app.coach.handle(IncomingMessage(ConversationRef("test", "", "dm", "amira"), text=text))
    return "\n".join(r.text for r in replies)


def test_an_override_folder_changes_what_the_bot_says_and_keeps_the_rest(tmp_path: Path, nlu) -> None:
    folder = greeting_folder(tmp_path)
    (folder / "reminders.yaml").write_text(
        "prepare:\n  text: 'Riverside tip: {company} is {when}; book a mock interview with us first.'\n"
        "  source: 000_271aedffcda74c74.txt\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, knowledge_dir=str(folder))
    app = App.build(settings, clock=FakeClock(START), nlu=nlu)
    try:
        assert NEW_GREETING in say(app, "hi")
        assert app.knowledge.reminders["prepare"].text.startswith("Riverside tip")
        assert app.knowledge.reminders["thank_you"].text.startswith("How did it go?")  # packaged, untouched
        assert len(app.knowledge.topics) == 12
    finally:
        app.close()


def test_a_missing_folder_is_refused_at_start_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SECONDROUND_KNOWLEDGE_DIR: .*is not a folder"):
        make_settings(tmp_path, knowledge_dir=str(tmp_path / "nope"))


def test_invalid_content_is_refused_at_start_naming_the_variable_and_file(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    (folder / "topics").mkdir(parents=True)
    text = (default_dir() / "topics" / "nerves.yaml").read_text().replace("heading: Nerves are normal", "heading: N")
    (folder / "topics" / "nerves.yaml").write_text(text)
    with pytest.raises(KnowledgeError) as err:
        load_with_override(folder)
    assert str(err.value).startswith("SECONDROUND_KNOWLEDGE_DIR")
    assert "nerves.yaml" in str(err.value) and "nerves-normal" in str(err.value) and "heading" in str(err.value)


def test_export_then_check_is_clean(tmp_path: Path, capsys) -> None:
    target = tmp_path / "start"
    assert main(["knowledge", "export", str(target)]) == 0
    assert (target / "topics" / "salary.yaml").is_file() and (target / "reminders.yaml").is_file()
    assert not (target / "nlu").exists()
    assert main(["knowledge", "check", str(target)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["knowledge", "export", str(target)]) == 2  # never over someone's edits
    assert "not an empty folder" in capsys.readouterr().err


def test_check_names_file_line_item_and_field_for_each_problem(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "edits"
    shutil.copytree(default_dir() / "topics", folder / "topics")
    nerves = folder / "topics" / "nerves.yaml"
    lines = nerves.read_text().splitlines()
    heading = next(n for n, line in enumerate(lines) if line.startswith("    heading:"))  # the first item's
    source = next(n for n, line in enumerate(lines) if line.startswith("    source:"))
    lines[heading] = "    heading: N"  # too short
    lines[source] = "    source: 999_0000000000000000.txt"  # not a known source
    nerves.write_text("\n".join(lines) + "\n")
    salary = folder / "topics" / "salary.yaml"
    text = salary.read_text().replace("- id: salary-courage", "- id: nerves-top-handful", 1)
    salary.write_text(text.replace("point: 000-guts-to-ask", "point: 000-dont-be-a-jerk"))
    (folder / "topics" / "offer.yaml").unlink()  # (the packaged one is used instead)
    (folder / "topics" / "hobbies.yaml").write_text("intent: hobbies\n")
    (folder / "reminders.yaml").write_text("prepare:\n  text: 'Hi {name}, round two is {when}.'\n  source: x\n")

    assert main(["knowledge", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{nerves}:{heading + 1}: items[0] (nerves-normal).heading: String should have at least 3 characters" in out
    assert f"{nerves}:{source + 1}:" in out and "999_0000000000000000.txt" in out
    assert "(nerves-top-handful): id also used at " + f"{salary}:" in out  # the duplicate id, both places
    assert "hobbies.yaml:1: not a topic file" in out
    assert "reminders.yaml:2: prepare.text: unknown placeholder(s) ['name']" in out
    # the article's point the salary item carried is now carried by no item
    assert "000-guts-to-ask" in out and "no longer carried" in out


def test_check_reports_broken_yaml_with_its_line(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "broken"
    (folder / "topics").mkdir(parents=True)
    (folder / "topics" / "nerves.yaml").write_text("intent: nerves\ntitle: Nerves\nitems:\n  - id: [oops\n")
    assert [str(p) for p in check(folder)] == [
        f"{folder / 'topics' / 'nerves.yaml'}:5: cannot read YAML: expected ',' or ']', but got '<stream end>'"
    ]
    assert main(["knowledge", "check", str(folder)]) == 1


def test_reload_swaps_valid_content_and_keeps_the_old_on_a_bad_edit(tmp_path: Path, nlu, caplog) -> None:
    folder = greeting_folder(tmp_path)
    app = App.build(make_settings(tmp_path, knowledge_dir=str(folder)), clock=FakeClock(START), nlu=nlu)
    try:
        greeting_folder(tmp_path, "Welcome back: the office updated its advice.")
        ok, why = reload(app)
        assert ok and "reloaded" in why
        assert "the office updated its advice" in say(app, "hi")

        (folder / "responses.yaml").write_text("greeting: [not, text\n")  # a bad edit
        with caplog.at_level(logging.WARNING, logger="bot.knowledge.check"):
            ok, why = reload(app)
        assert not ok and "responses.yaml" in why
        assert any(r.msg == "knowledge_reload_refused" for r in caplog.records)
        assert "the office updated its advice" in say(app, "hi")  # still the last good content
    finally:
        app.close()


async def test_sighup_reloads_the_running_bot(tmp_path: Path, nlu) -> None:
    folder = greeting_folder(tmp_path)
    app = App.build(make_settings(tmp_path, knowledge_dir=str(folder)), clock=FakeClock(START), nlu=nlu)

    class Runtime:
        pass

    runtime = Runtime()
    runtime.app = app  # type: ignore[attr-defined]
    before = app.coach.knowledge
    greeting_folder(tmp_path, "Reloaded by a hangup signal.")

    async def serve(_runtime: object) -> int:
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(2000):  # the reload runs in a worker thread; wait for the swap itself
            if app.coach.knowledge is not before:
                return 0
            await asyncio.sleep(0.005)
        return 1

    try:
        assert await serve_reloading(runtime, serve) == 0
        assert "Reloaded by a hangup signal." in say(app, "hi")
    finally:
        app.close()
