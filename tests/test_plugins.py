"""A platform is one plugin: a third-party one, installed from its own distribution, works end to end.

The plugin here lives in a temporary folder with its own ``.dist-info`` (its entry point in the
``secondround.adapters`` group), as ``pip install`` would leave it; nothing in the project names it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path

import pytest

from bot.ops import plugins
from tests.test_cli import EXE

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "echo-5f1d2c3b4a59687"  # the plugin's token shape: its own pattern redacts it in every log line

PLUGIN = '''
"""Echo: a chat platform that reads messages from a file and writes the bot's answers to another."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import signal
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from pydantic import AliasChoices, Field, SecretStr

from bot.common.settings import ConfigError, Settings
from bot.common.types import ConversationRef, IncomingMessage, Reply
from bot.ops.plugins import Check, CheckStatus, DoctorEnv, PlatformSettings
from bot.ops.runtime import Runtime

log = logging.getLogger(__name__)


class EchoSettings(PlatformSettings):
    token: SecretStr | None = Field(None, validation_alias=AliasChoices("ECHO_TOKEN"))
    inbox: Path | None = Field(None, validation_alias=AliasChoices("ECHO_INBOX"))
    outbox: Path | None = Field(None, validation_alias=AliasChoices("ECHO_OUTBOX"))
    counsellor: str | None = Field(None, validation_alias=AliasChoices("ECHO_COUNSELLOR"))

    def configured(self) -> bool:
        return self.token is not None

    def why_not_configured(self) -> str:
        return "ECHO_TOKEN is not set"

    def require(self, core: Settings) -> None:
        if self.token is None or not self.token.get_secret_value().startswith("echo-"):
            raise ConfigError("ECHO_TOKEN does not look like an echo token (echo-…).")
        if self.inbox is None or self.outbox is None:
            raise ConfigError("ECHO_INBOX and ECHO_OUTBOX are needed.")

    async def doctor(self, http: aiohttp.ClientSession, env: DoctorEnv) -> list[Check]:
        return [Check(CheckStatus.PASS, "echo credentials", f"ECHO_TOKEN accepted (version {env.version})")]

    def is_counsellor(self, ref: ConversationRef, roles: Sequence[str]) -> bool:
        return ref.user == self.counsellor


class EchoAdapter:
    platform = "echo"

    def __init__(self, runtime: Runtime, settings: EchoSettings, shout: bool) -> None:
        self.runtime, self.settings, self.shout = runtime, settings, shout
        self._task: asyncio.Task[None] | None = None
        self._running = False

    async def start(self) -> None:
        assert self.settings.token is not None
        log.warning("echo_login", extra={"note": f"logged in with {self.settings.token.get_secret_value()}"})
        self._running = True
        self._task = asyncio.ensure_future(self._converse())

    async def _converse(self) -> None:
        assert self.settings.inbox is not None and self.settings.outbox is not None
        ref = ConversationRef("echo", "", "room", "ann")
        with self.settings.outbox.open("w", encoding="utf-8") as out:
            for line in self.settings.inbox.read_text(encoding="utf-8").splitlines():
                replies = await self.runtime.handle(IncomingMessage(ref, text=line))
                texts = [r.text.upper() if self.shout else r.text for r in replies]
                out.write(json.dumps({"in": line, "replies": texts}) + "\\n")
        os.kill(os.getpid(), signal.SIGTERM)  # done: stop the process as an operator would

    async def stop(self) -> None:
        self._running = False

    def ready(self) -> bool:
        return self._running

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        pass


class EchoPlatform:
    name = "echo"
    settings_model: type[PlatformSettings] = EchoSettings
    listed = True
    secret_patterns: tuple[re.Pattern[str], ...] = (re.compile(r"(?P<keep>echo-)[0-9a-f]{12,}+"),)
    body_loggers: tuple[str, ...] = ("echo_sdk",)

    def add_options(self, group: argparse._ArgumentGroup) -> None:
        group.add_argument("--echo-shout", action="store_true", help="Echo: answer in capitals")

    def build(self, runtime: Runtime, settings: PlatformSettings, options: argparse.Namespace) -> EchoAdapter:
        assert isinstance(settings, EchoSettings)
        return EchoAdapter(runtime, settings, options.echo_shout)


plugin = EchoPlatform()
'''


def install_echo(site: Path) -> Path:
    """Install the echo plugin into ``site`` as a distribution of its own (no pip: the files pip writes)."""
    package = site / "echo_platform"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN).lstrip(), encoding="utf-8")
    info = site / "echo_platform-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-platform\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[secondround.adapters]\necho = echo_platform:plugin\n")
    return site


@pytest.fixture
def echo_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The echo plugin installed and visible to this process (and its child processes)."""
    site = install_echo(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "echo_platform", raising=False)
    plugins.discover.cache_clear()
    yield site
    plugins.discover.cache_clear()
    sys.modules.pop("echo_platform", None)


def _run(args: list[str], env: dict[str, str], site: Path) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": str(site)}
    return subprocess.run([EXE, *args], env=env, capture_output=True, text=True, timeout=180)


def test_an_installed_plugin_is_discovered_with_its_settings_and_patterns(echo_site, tmp_path, monkeypatch) -> None:
    from bot.common.settings import load_settings
    from bot.ops.logs import Redactor, body_loggers

    found = plugins.discover()
    assert list(found) == ["console", "discord", "echo", "slack"]
    assert list(plugins.runnable()) == ["discord", "echo", "slack"]
    echo = found["echo"]
    assert echo.settings_model.env_names() == {
        "token": "ECHO_TOKEN",
        "inbox": "ECHO_INBOX",
        "outbox": "ECHO_OUTBOX",
        "counsellor": "ECHO_COUNSELLOR",
    }
    monkeypatch.setenv("ECHO_TOKEN", TOKEN)
    monkeypatch.setenv("ECHO_COUNSELLOR", "ann")
    settings = plugins.load(echo, load_settings(data_dir=tmp_path))
    assert settings.configured() and settings.secrets() == [TOKEN]
    assert dict(plugins.describe_all(load_settings(data_dir=tmp_path)))["ECHO_TOKEN"] == "********"
    # the redaction knows every installed plugin's token shapes, and drops its SDK's body dumps
    assert Redactor().text(f"sent with echo-{'a' * 16} and {TOKEN}") == "sent with echo-[REDACTED] and echo-[REDACTED]"
    assert "echo_sdk" in body_loggers()
    from bot.common.types import ConversationRef

    assert settings.is_counsellor(ConversationRef("echo", "", "room", "ann"), [])


def test_a_plugin_that_breaks_the_protocol_is_refused_by_name(tmp_path, monkeypatch) -> None:
    site = install_echo(tmp_path / "site")
    init = site / "echo_platform" / "__init__.py"
    init.write_text(init.read_text().replace('    name = "echo"\n', '    name = "echoes"\n'))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "echo_platform", raising=False)  # not the one another test imported
    plugins.discover.cache_clear()
    try:
        with pytest.raises(plugins.PluginError, match=r"plugin 'echo' at echo_platform:plugin .* itself 'echoes'"):
            plugins.discover()
    finally:
        plugins.discover.cache_clear()


def test_config_doctor_and_run_work_for_a_third_party_plugin(echo_site, tmp_path, env) -> None:
    inbox, outbox = tmp_path / "inbox.txt", tmp_path / "outbox.jsonl"
    inbox.write_text("hi\nhow do I calm my nerves before the interview?\n")
    env = {**env, "ECHO_TOKEN": TOKEN, "ECHO_INBOX": str(inbox), "ECHO_OUTBOX": str(outbox)}

    config = _run(["config"], env, echo_site)
    assert config.returncode == 0, config.stderr
    assert "ECHO_TOKEN=********" in config.stdout and f"ECHO_INBOX={inbox}" in config.stdout
    assert TOKEN not in config.stdout

    doctor = _run(["doctor"], env, echo_site)
    assert "PASS  echo configuration: the variables `run echo` needs are set" in doctor.stdout, doctor.stdout
    assert "PASS  echo credentials: ECHO_TOKEN accepted" in doctor.stdout
    assert TOKEN not in doctor.stdout

    unknown = _run(["run", "nope"], env, echo_site)
    assert unknown.returncode == 2
    assert "unknown platform 'nope' (available: discord, echo, slack)" in unknown.stderr
    assert "--echo-shout" in _run(["run", "--help"], env, echo_site).stdout

    bad = _run(["run", "echo"], {**env, "ECHO_TOKEN": "wrong"}, echo_site)
    assert bad.returncode == 2 and "ECHO_TOKEN does not look like an echo token" in bad.stderr

    run = _run(["run", "echo", "--echo-shout"], env, echo_site)
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [a["in"] for a in answers] == ["hi", "how do I calm my nerves before the interview?"]
    assert all(a["replies"] and all(r == r.upper() for r in a["replies"]) for a in answers)  # --echo-shout arrived
    assert "echo_login" in run.stderr and TOKEN not in run.stderr


# bot/ names no platform ----------------------------------------------------------------------------

# No exceptions: migrations are history and stay as written (0006 created the table under its old name).
ALLOWED: dict[str, set[str]] = {}


WORDS = {tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def _code_tokens(path: Path) -> list[tuple[int, str]]:
    """The names and strings of a module's code: comments and docstrings left out."""
    import ast

    source = path.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.add(first.lineno)
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in WORDS and tok.start[0] not in docstrings:
            found.append((tok.start[0], tok.string))
    return found


def test_bot_names_no_platform_outside_docstrings_and_comments() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("bot/storage/migrations/"):
            continue
        for line, text in _code_tokens(path):
            lowered = text.lower()
            if ("slack" in lowered or "discord" in lowered) and not any(a in text for a in ALLOWED.get(rel, ())):
                offenders.append(f"{rel}:{line}: {text}")
    assert offenders == []
