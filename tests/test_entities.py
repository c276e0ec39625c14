"""Telling names apart: the company, the venue, the interviewers, the student's background, time words."""

from __future__ import annotations

import ast
import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.knowledge.library import default_dir
from bot.nlu import NLU
from bot.nlu.entities import Lexicon, tokenize
from bot.nlu.training import ENTITY_LABELS, load_examples
from bot.nlu.types import Entities, When

NOW = datetime(2026, 3, 2, 10, 0)  # a Monday
NY = "America/New_York"
NLU_DIR = default_dir() / "nlu"
DEV = Path(__file__).parent / "data" / "dev" / "scheduling.jsonl"


def entities(nlu: NLU, text: str) -> dict[str, object]:
    parse = nlu.parse(text, NOW, NY)
    assert parse.intent == "schedule_interview", text
    return parse.entities.as_json()


def test_two_roles_a_setting_and_a_time_in_a_run_on(nlu: NLU) -> None:
    text = "…at stripe, they want a dinner with the VP of engineering and a senior engineer thursday at 7"
    assert entities(nlu, "so round 2 " + text) == {
        "company": "stripe",
        "when": "2026-03-05T19:00",
        "interviewers": ["the VP of engineering", "a senior engineer"],
        "setting": "informal",
    }


def test_the_students_home_country_is_not_the_company(nlu: NLU) -> None:
    got = entities(nlu, "hello sir i have second interview in Infosys company on friday 11am, i am fresher from india")
    assert got["company"] == "Infosys"
    assert got["when"] == "2026-03-06T11:00"


def test_the_students_current_employer_is_not_the_company(nlu: NLU) -> None:
    got = entities(nlu, "my current company is Wipro but HCL wants me for round 2 on monday at 11am on teams")
    assert got["company"] == "HCL"
    assert got["setting"] == "video"


def test_a_time_word_is_not_part_of_a_name(nlu: NLU) -> None:
    assert entities(nlu, "its a coffee with the director tmrw") == {
        "company": None,
        "when": "2026-03-03",
        "interviewers": ["the director"],
        "setting": "informal",
    }


def test_a_role_alone_is_an_interviewer_not_the_company(nlu: NLU) -> None:
    got = entities(nlu, "2nd round on wednesday at 4 with the head of marketing, on zoom")
    assert got["company"] is None
    assert got["interviewers"] == ["the head of marketing"]


def test_a_named_venue_is_kept_apart_from_the_company(nlu: NLU) -> None:
    got = entities(nlu, "Brightline wants round two over dinner at Balthazar on saturday 8pm with the founder")
    assert got == {
        "company": "Brightline",
        "when": "2026-03-07T20:00",
        "interviewers": ["the founder"],
        "setting": "informal",
        "venue": "Balthazar",
    }


def test_a_name_and_its_role_are_one_interviewer(nlu: NLU) -> None:
    got = entities(nlu, "second interview at Unilever on friday 9am with Femi Okoro, the brand director")
    assert got["interviewers"] == ["Femi Okoro"]
    assert got["company"] == "Unilever"


def test_an_organisation_after_with_is_the_company(nlu: NLU) -> None:
    got = entities(nlu, "2nd round w/ Halvorsen Brandt on the 12th at 2")
    assert got["company"] == "Halvorsen Brandt"
    assert got["interviewers"] == []


def test_the_venue_is_the_places_name_and_only_for_a_meal_or_drinks(nlu: NLU) -> None:
    got = entities(nlu, "drinks at the Hoxton bar with the head of brand from Oatly on thursday at 6")
    assert (got["company"], got.get("venue"), got["interviewers"]) == ("Oatly", "Hoxton", ["the head of brand"])
    office = entities(nlu, "round 2 at Arla is at their Aarhus office on monday at 9 with the plant director")
    assert office["setting"] == "onsite" and "venue" not in office and office["company"] == "Arla"


def test_the_student_and_the_messenger_are_not_interviewers(nlu: NLU) -> None:
    got = entities(nlu, "Myself Suresh from Madurai, working in Wipro. Second interview at Mphasis on monday 10 am")
    assert (got["company"], got["interviewers"]) == ("Mphasis", [])
    news = entities(nlu, "got a phone call from HR at Kroger, the second interview is in person on friday at 10")
    assert (news["company"], news["setting"], news["interviewers"]) == ("Kroger", "onsite", [])


def test_a_team_named_by_the_company_is_not_an_interviewer(nlu: NLU) -> None:
    got = entities(nlu, "lunch with the Lego design team on wednesday at 12:30, it's round two")
    assert (got["company"], got["interviewers"], got["setting"]) == ("Lego", [], "informal")


def test_a_change_of_mind_keeps_the_later_time(nlu: NLU) -> None:
    assert entities(nlu, "2nd interview at Peloton thursday, no wait, friday at 11")["when"] == "2026-03-06T11:00"


def test_venue_is_in_the_json_only_when_one_was_said() -> None:
    plain = Entities(company="Acme", when=When(NOW.date()))
    assert "venue" not in plain.as_json()
    assert Entities(company="Acme", venue="Nobu").as_json()["venue"] == "Nobu"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(NLU_DIR / "lexicon.yaml")


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("the VP of engineering", True),
        ("a senior engineer", True),
        ("HR", True),
        ("the partners", True),
        ("one of the analysts", True),
        ("the same recruiter as last time", True),
        ("Oakridge Partners", False),
        ("Team Liquid", False),
        ("Stripe", False),
    ],
)
def test_role_phrases_are_read_by_their_head_noun(lexicon: Lexicon, name: str, role: bool) -> None:
    assert lexicon.is_role(name) is role


def test_places_and_people(lexicon: Lexicon) -> None:
    assert lexicon.is_place("india") and lexicon.is_place("New York") and not lexicon.is_place("Infosys")
    assert lexicon.looks_like_person("Priya Raman") and lexicon.looks_like_person("Dr. Okafor")
    assert not lexicon.looks_like_person("Booz Allen")


def test_every_annotation_covers_whole_tokens() -> None:
    """A mark that cuts a token in two would teach the tagger nothing (the token gets no label)."""
    bad = []
    for ex in load_examples(NLU_DIR / "intents"):
        starts = {t.start for t in tokenize(ex.text)}
        ends = {t.end for t in tokenize(ex.text)}
        bad += [ex.text for s in ex.spans if s.start not in starts or s.end not in ends or s.label not in ENTITY_LABELS]
    assert bad == []


def test_the_serving_path_does_not_need_scikit_learn() -> None:
    source = (Path(__file__).parent.parent / "bot" / "nlu" / "entities.py").read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert not imported & {"sklearn", "scipy"}


def test_dev_scheduling_set(nlu: NLU) -> None:
    """Realistic scheduling messages written outside the team: ≥ 95% of fields exact, ≥ 90% each."""
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    fields = ("company", "when", "interviewers", "setting")
    right = dict.fromkeys(fields, 0)
    for row in rows:
        got = nlu.parse(row["text"], datetime.fromisoformat(row["now"]), row["tz"]).entities.as_json()
        for field in fields:
            right[field] += got[field] == row["entities"][field]
    assert all(n / len(rows) >= 0.90 for n in right.values()), right
    assert sum(right.values()) / (4 * len(rows)) >= 0.95, right


def test_the_words_for_a_setting_are_the_student_s_own(lexicon: Lexicon) -> None:
    """The longest phrase of the setting's kind, as written; a weak word ("call") only when nothing else says it."""
    assert lexicon.words_for("a quick Zoom call with Priya", "video") == "Zoom call"
    assert lexicon.words_for("just a call on friday", "phone") == "call"
    assert lexicon.words_for("Dinner with the team at Nobu", "informal") == "Dinner"
    assert lexicon.words_for("dinner with the team", "video") is None
