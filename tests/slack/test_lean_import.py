"""An HTTP-mode Slack bot does not load what only Socket Mode uses."""

from __future__ import annotations

import subprocess
import sys


def test_the_adapter_loads_without_socket_mode() -> None:
    code = (
        "import sys, adapters.slack.adapter, adapters.slack.routing, adapters.slack.sending; "
        "print(sorted(m for m in sys.modules if '.socket_mode' in m))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
