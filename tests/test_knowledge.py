"""The knowledge base loads, is complete, is reachable, and explains its own errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.coaching import advice
from bot.knowledge.library import COACHING_TOPICS, KnowledgeError, default_dir, load_knowledge

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def test_every_topic_has_advice_with_a_source(knowledge) -> None:
    assert set(knowledge.topics) == set(COACHING_TOPICS)
    for topic in knowledge.topics.values():
        assert len(topic.items) >= 5, topic.intent
        for item in topic.items:
            assert item.source in knowledge.sources


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed articles (../shared/seeds) are not beside this checkout")
def test_sources_are_the_seed_articles(knowledge) -> None:
    articles = {p.name for p in SEEDS.glob("*.txt")}
    assert set(knowledge.sources) == articles
    used = {item.source for topic in knowledge.topics.values() for item in topic.items}
    assert used == articles  # every article contributes


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed articles (../shared/seeds) are not beside this checkout")
def test_advice_is_in_our_own_words(knowledge) -> None:
    """No item shares a run of eight words with an article (facts carry over, sentences do not)."""

    def runs(text: str, n: int = 8) -> set[tuple[str, ...]]:
        words = "".join(c.lower() if c.isalnum() else " " for c in text).split()
        return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}

    article_runs = set().union(*(runs(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")))
    texts = [i.text for t in knowledge.topics.values() for i in t.items] + [
        r.text for r in knowledge.reminders.values()
    ]
    copied = [t for t in texts if runs(t) & article_runs]
    assert copied == []


def test_every_item_is_reachable_by_paging_its_topic(knowledge) -> None:
    """Each item shows up on some page of its topic (topic button, then More tips) for a situation it fits."""
    from bot.coaching.situation import Facts

    for topic in knowledge.topics.values():
        for item in topic.items:
            facts = Facts()
            for key in item.when:
                value = knowledge.value(key)
                facts.values.setdefault(value.group, key)
            seen: list[str] = []
            while item.id not in seen:
                page = advice.choose(
                    advice.rank(knowledge, facts, "", {topic.intent: 1.0}, seen=seen, topic=topic.intent)
                )
                assert page, f"{item.id} never shown in {topic.intent}"
                seen.extend(s.item.id for s in page)


def test_facts_are_read_from_messages(knowledge) -> None:
    from bot.coaching.situation import detect

    def said(text: str) -> dict[str, tuple[str, bool]]:
        return {name: (f.value, f.hypothetical) for name, f in detect(knowledge, text).items()}

    assert said("dinner with the same hiring manager as last time") == {
        "interviewer": ("same", False),
        "setting": ("meal", False),
    }
    assert said("it's not the same person as before")["interviewer"] == ("new", False)
    assert said("my second round is a zoom call")["setting"] == ("video", False)
    assert said("they rejected me")["outcome"] == ("rejected", False)
    assert said("I'm worried I'll be rejected")["outcome"] == ("rejected", True)
    assert said("what if it's a panel?")["panel"] == ("panel", True)
    assert "offer" not in said("my interview is in person")  # offer facts need an offer in the message


def test_items_are_chat_sized_and_answer_several_phrasings(knowledge) -> None:
    for _, item in knowledge.items():
        assert len(item.text) < advice.MAX_BULLET, item.id
        assert len(item.questions) >= 2, item.id


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(default_dir(), target, ignore=shutil.ignore_patterns("nlu", "__pycache__", "*.py"))
    return target


def test_a_broken_file_is_reported_with_file_item_and_field(tmp_path: Path) -> None:
    kb = _copy(tmp_path)
    path = kb / "topics" / "salary.yaml"
    path.write_text(path.read_text().replace("source: 000_271aedffcda74c74.txt", "source: made-up.txt", 1))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb)
    message = str(err.value)
    assert "salary.yaml" in message and "source" in message and "items[" in message


def test_undeclared_fact_is_refused(tmp_path: Path) -> None:
    kb = _copy(tmp_path)
    path = kb / "topics" / "offer.yaml"
    path.write_text(path.read_text().replace("when: [on_the_spot]", "when: [on_the_moon]", 1))
    with pytest.raises(KnowledgeError, match="on_the_moon"):
        load_knowledge(kb)


def test_an_item_without_questions_is_refused(tmp_path: Path) -> None:
    kb = _copy(tmp_path)
    path = kb / "topics" / "nerves.yaml"
    text = path.read_text()
    start = text.index("    questions:")
    end = text.index("  - id:", start)
    path.write_text(text[:start] + text[end:])
    with pytest.raises(KnowledgeError, match=r"nerves\.yaml.*questions"):
        load_knowledge(kb)


def test_yaml_syntax_errors_name_the_file(tmp_path: Path) -> None:
    kb = _copy(tmp_path)
    (kb / "topics" / "nerves.yaml").write_text("intent: nerves\nitems: [unclosed\n")
    with pytest.raises(KnowledgeError, match=r"nerves\.yaml"):
        load_knowledge(kb)


def test_items_making_different_points_say_different_things(knowledge) -> None:
    """Bullets of one reply make different article points (advice.choose); they must not read alike either,
    so a second bullet always adds something (issue 9: no repetition)."""
    from bot.coaching.advice import terms

    items = [item for _, item in knowledge.items()]
    words = [{t for t in terms(item.text) if "_" not in t} for item in items]
    alike = [
        (a.id, b.id)
        for i, a in enumerate(items)
        for j, b in enumerate(items[i + 1 :], i + 1)
        if a.point != b.point and len(words[i] & words[j]) / len(words[i] | words[j]) > 0.3
    ]
    assert alike == []


def test_the_topic_menu_comes_from_the_topic_files(tmp_path) -> None:
    """A topic is one file: its label (button, office report) and menu place come with it, checked."""
    from bot.knowledge.library import COACHING_TOPICS, KnowledgeError, _menu, default_dir

    assert tuple(_menu(default_dir())) == COACHING_TOPICS
    assert COACHING_TOPICS[:3] == ("expectations", "interviewers", "informal_setting")
    topics = tmp_path / "topics"
    topics.mkdir()
    (topics / "alpha.yaml").write_text('intent: alpha\nlabel: "Alpha"\nmenu: 2\n')
    (topics / "beta.yaml").write_text('intent: beta\nlabel: "Beta"\nmenu: 1\n')
    assert _menu(tmp_path) == {"beta": "Beta", "alpha": "Alpha"}
    (topics / "gamma.yaml").write_text('intent: gamma\nlabel: "Gamma"\nmenu: 1\n')
    with pytest.raises(KnowledgeError, match="menu place 1 is also 'beta'"):
        _menu(tmp_path)
    (topics / "gamma.yaml").write_text("intent: gamma\nmenu: 3\n")
    with pytest.raises(KnowledgeError, match=r"gamma\.yaml: a topic needs a label"):
        _menu(tmp_path)
