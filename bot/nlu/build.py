"""Build the models that ship with the package: ``python -m bot.nlu.build`` (scikit-learn needed).

Trains the intent and scope models and the CRF entity tagger from ``knowledge/nlu`` and writes
``bot/nlu/model/``: ``intents.npz`` (numpy arrays), ``entities.crfsuite`` and ``manifest.json`` (the
sha256 of the training data they were built from, and of each file). Run it after changing anything
under ``knowledge/nlu``; ``--check`` only says whether the shipped models are up to date (exit 1 when
not), which ``tests/test_nlu_serving.py`` also checks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from bot.knowledge.library import default_dir
from bot.nlu import (
    ENTITY_FILE,
    INTENT_FILE,
    MANIFEST,
    MODEL_DIR,
    can_train,
    data_digest,
    shipped_digest,
    train_models,
)
from bot.nlu.intents import IntentModel


def build(out_dir: Path = MODEL_DIR, knowledge_dir: Path | None = None) -> dict[str, object]:
    """Train from ``knowledge_dir/nlu`` and write the models and their manifest to ``out_dir``."""
    base = (knowledge_dir or default_dir()) / "nlu"
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = data_digest(knowledge_dir)
    model = train_models(base, out_dir / INTENT_FILE, out_dir / ENTITY_FILE)
    IntentModel.load(out_dir / INTENT_FILE)  # what was written reads back
    for name in (INTENT_FILE, ENTITY_FILE):
        (out_dir / name).chmod(0o644)  # the CRF trainer writes a private temporary file
    manifest: dict[str, object] = {
        "data_sha256": digest,
        "built_by": "python -m bot.nlu.build",
        "labels": model.labels,
        "scope_threshold": model.scope_threshold,
        "scope_keep": model.scope_keep,
        "files": {
            name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest() for name in (INTENT_FILE, ENTITY_FILE)
        },
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command line: build the shipped models, or ``--check`` that they are current."""
    parser = argparse.ArgumentParser(prog="python -m bot.nlu.build", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the shipped models are current")
    args = parser.parse_args(argv)
    if args.check:
        if shipped_digest() == data_digest():
            print("the shipped language models match knowledge/nlu")
            return 0
        print("the shipped language models are stale: run `python -m bot.nlu.build`", file=sys.stderr)
        return 1
    if not can_train():
        print("building the models needs scikit-learn: pip install -e '.[train]'", file=sys.stderr)
        return 2
    started = time.monotonic()
    manifest = build()
    print(
        f"built {MODEL_DIR} from training data {str(manifest['data_sha256'])[:12]} "
        f"in {time.monotonic() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
