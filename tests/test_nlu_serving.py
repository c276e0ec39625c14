"""The language models ship trained, are served without scikit-learn, and decide as the trained ones do."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

import bot.nlu
from bot.knowledge.library import default_dir
from bot.nlu import ENTITY_FILE, INTENT_FILE, MANIFEST, MODEL_DIR, NLU, data_digest, shipped_digest
from bot.nlu.intents import IntentModel
from bot.nlu.training import load_examples

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEV_FILES = [
    DATA / "nlu_dev.jsonl",
    DATA / "nlu_dev2.jsonl",
    DATA / "nlu_final.jsonl",
    DATA / "dev" / "oos.jsonl",
    DATA / "dev" / "jobseeker.jsonl",
    DATA / "dev" / "scheduling.jsonl",
]
NOW = datetime(2026, 3, 2, 10, 0)
NY = "America/New_York"


def _dev_texts() -> list[str]:
    return [
        json.loads(line)["text"] for path in DEV_FILES for line in path.read_text().splitlines() if line.strip()
    ]


def test_the_shipped_models_were_built_from_the_current_training_data() -> None:
    assert shipped_digest() == data_digest(), "knowledge/nlu changed: rebuild with `python -m bot.nlu.build`"


def test_the_shipped_files_are_the_ones_the_manifest_names() -> None:
    manifest = json.loads((MODEL_DIR / MANIFEST).read_text(encoding="utf-8"))
    for name in (INTENT_FILE, ENTITY_FILE):
        assert hashlib.sha256((MODEL_DIR / name).read_bytes()).hexdigest() == manifest["files"][name]


def test_the_served_model_decides_exactly_as_the_trained_one() -> None:
    """Every training and dev message gets the intent scikit-learn's own pipeline gives it."""
    train = pytest.importorskip("bot.nlu.train")
    examples = load_examples(default_dir() / "nlu" / "intents")
    trained = train.fit([e.text for e in examples], [e.intent for e in examples])
    shipped = IntentModel.load(MODEL_DIR / INTENT_FILE)
    texts = [e.text for e in examples] + _dev_texts()
    assert [shipped.predict(t)[0] for t in texts] == trained.predict(texts)
    # and the arithmetic itself: the same margins and in-scope probabilities, not only the same winners
    x = trained.features.transform([bot.nlu.intents.normalise(t) for t in texts[::7]])
    margins = np.array([shipped.scores(t) for t in texts[::7]])
    assert np.allclose(margins, trained.svm.decision_function(x), rtol=0, atol=1e-9)
    p_in = [shipped.scope_probability(t) for t in texts[::7]]
    assert np.allclose(p_in, trained.scope.predict_proba(x)[:, 1], rtol=0, atol=1e-9)
    # the reading a parse keeps is that same probability (the coach reuses it instead of reading again)
    assert [shipped.ranked_in_scope(t)[1] for t in texts[::7]] == p_in


def test_serving_imports_neither_scikit_learn_nor_scipy_and_dateparser_only_when_a_message_needs_it(
    tmp_path: Path,
) -> None:
    probe = (
        "import sys\n"
        "from datetime import datetime\n"
        "import bot.ops.cli, bot.ops.app\n"
        "from bot.nlu import NLU\n"
        f"nlu = NLU.load(cache_dir={str(tmp_path)!r})\n"
        "now = datetime(2026, 3, 2, 10)\n"
        "for text in ['may I ask for a week to decide?', 'second round with Acme friday at 3pm, over dinner',\n"
        "             'they offered me the job, can I have until May 3 to decide?', 'cancel the Globex one',\n"
        "             'how do I negotiate salary', 'what is the weather in paris', 'note: ask about the team']:\n"
        "    nlu.parse(text, now, 'America/New_York')\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'dateparser') if m in sys.modules))\n"
        "nlu.parse('second interview with Acme on 14-Mar-2027', now, 'Europe/Berlin')\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'dateparser') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.splitlines() == ["[]", "['dateparser']"]
    assert list(tmp_path.iterdir()) == []  # nothing trained or cached: the shipped models were used


def test_the_shipped_models_load_without_training(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_training(*_: object) -> None:
        raise AssertionError("trained at start")

    monkeypatch.setattr(bot.nlu, "train_models", no_training)
    nlu = NLU.load(cache_dir=tmp_path)
    assert nlu.parse("what's coming up?", NOW, NY).intent == "list_interviews"


def _changed_knowledge(tmp_path: Path) -> Path:
    """A copy of knowledge/nlu with one more out-of-scope example, as a counsellor might add."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(default_dir() / "nlu", knowledge / "nlu")
    (knowledge / "nlu" / "intents" / "fallback" / "counsellor.yaml").write_text(
        'intent: fallback\nexamples:\n  - "how do I renew my library card"\n', encoding="utf-8"
    )
    return knowledge


def test_without_scikit_learn_changed_examples_fall_back_to_the_shipped_models_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    knowledge = _changed_knowledge(tmp_path)
    monkeypatch.setattr(bot.nlu, "can_train", lambda: False)
    with caplog.at_level(logging.WARNING, logger="bot.nlu"):
        nlu = NLU.load(knowledge_dir=knowledge, cache_dir=tmp_path / "cache")
    assert any("nlu_models_stale" in r.getMessage() for r in caplog.records)
    assert nlu.parse("who's interviewing me this time?", NOW, NY).intent == "interviewers"
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_changed_examples_are_trained_at_start_with_a_progress_line_then_cached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn")
    knowledge = _changed_knowledge(tmp_path)
    first = NLU.load(knowledge_dir=knowledge, cache_dir=tmp_path / "cache")
    assert "training them again" in capsys.readouterr().err
    assert sorted(p.suffix for p in (tmp_path / "cache").iterdir()) == [".crfsuite", ".npz"]
    second = NLU.load(knowledge_dir=knowledge, cache_dir=tmp_path / "cache")
    assert capsys.readouterr().err == ""  # the cached models: no training, no progress line
    text = "second round with Globex tomorrow at 4 on zoom"
    assert first.parse(text, NOW, NY) == second.parse(text, NOW, NY)
    assert second.parse("how do I renew my library card", NOW, NY).intent == "fallback"


def test_an_unreadable_shipped_model_is_trained_again_into_the_cache_never_into_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = tmp_path / "package"
    shutil.copytree(MODEL_DIR, package)
    (package / INTENT_FILE).write_bytes(b"not a model")
    monkeypatch.setattr(bot.nlu, "MODEL_DIR", package)
    monkeypatch.setattr(bot.nlu, "can_train", lambda: True)
    written: list[Path] = []

    def fake_training(_base: Path, intent_path: Path, crf_path: Path) -> IntentModel:
        written.extend([intent_path, crf_path])
        shutil.copy(MODEL_DIR / ENTITY_FILE, crf_path)
        return IntentModel.load(MODEL_DIR / INTENT_FILE)

    monkeypatch.setattr(bot.nlu, "train_models", fake_training)
    (tmp_path / "cache").mkdir()
    nlu = NLU.load(cache_dir=tmp_path / "cache")
    assert [p.parent for p in written] == [tmp_path / "cache", tmp_path / "cache"]
    assert nlu.parse("show my notes", NOW, NY).intent == "show_notes"


def test_building_without_scikit_learn_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.nlu import build

    monkeypatch.setattr(build, "can_train", lambda: False)
    assert build.main([]) == 2
    assert "pip install -e '.[train]'" in capsys.readouterr().err


def test_the_check_command_says_whether_the_shipped_models_are_current(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.nlu import build

    assert build.main(["--check"]) == 0
    monkeypatch.setattr(build, "shipped_digest", lambda: "built from other examples")
    assert build.main(["--check"]) == 1
    assert "python -m bot.nlu.build" in capsys.readouterr().err
