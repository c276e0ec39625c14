"""``python -m bot.feedback``: the same as ``secondround feedback`` (JSON lines on stdin)."""

import sys

from bot.feedback.cli import main

sys.exit(main(sys.stdin, sys.stdout))
