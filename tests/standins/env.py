"""Settings for tests with platform variables: they go in a settings file, as an operator would write them.

The platforms' settings belong to their plugins (bot/ops/plugins.py), which read the environment and
the core's settings file (``SECONDROUND_ENV_FILE``); the core's ``Settings`` no longer takes them.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from bot.common.settings import Settings, load_settings

_files = itertools.count(1)


def settings_with(tmp_path: Path, variables: dict[str, object | None], **overrides: object) -> Settings:
    """Core settings (as tests/conftest.py's ``make_settings``) plus a settings file holding ``variables``.

    ``variables`` are environment names (``SLACK_BOT_TOKEN``…); None leaves one out. Upper-case
    ``overrides`` are environment names too (they replace or add to ``variables``); the others are the
    core's settings.
    """
    variables = variables | {name: value for name, value in overrides.items() if name.isupper()}
    core = {name: value for name, value in overrides.items() if not name.isupper()}
    env_file = tmp_path / f"platforms-{next(_files)}.env"  # one each: several apps may share a tmp_path
    env_file.write_text("".join(f"{name}={value}\n" for name, value in variables.items() if value is not None))
    base: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "health_addr": "",
    }
    return load_settings(env_file, **(base | core))
