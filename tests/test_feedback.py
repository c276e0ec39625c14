"""Practice feedback (issue 15): the contract, explainable evidence, each remark, the CLI, the shipped model."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feedback import analyze
from bot.feedback.cli import MAX_ANSWER_CHARS, main
from bot.feedback.data import file_sha256, read_jsonl, read_tagged, training_path
from bot.feedback.model import load_model, model_path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT_QUESTION = "Tell me about a time you led a project."
CONTRACT_ANSWER = "Last year our team missed deadlines, so I set up weekly check-ins and we shipped 2 weeks early."
STORY = (
    "At my last job in a busy call centre, our average wait on Mondays was eleven minutes and customers were "
    "hanging up. My manager asked me to find out why and fix it before the winter peak. I compared the rota "
    "with the call data, moved four agents' lunch breaks to after two o'clock and wrote a short script for the "
    "most common question so calls got shorter. I also showed the team the numbers every Friday. Within a "
    "month Monday waits dropped to under four minutes and complaints fell by half."
)
WE_STORY = (
    "At my last job our release process was painful and slow. We needed to fix it before the busy season. "
    "We wrote deployment scripts, we set up a staging server and we moved releases to Tuesdays. Releases went "
    "from four hours to twenty minutes."
)


def keys(question: str, answer: str, **kwargs: object) -> set[str]:
    return {r.key for r in analyze(question, answer, **kwargs).remarks}  # type: ignore[arg-type]


# --- the contract -----------------------------------------------------------------------------------------


def test_contract_example_has_exactly_the_issue_keys_and_reads_the_story():
    out = analyze(CONTRACT_QUESTION, CONTRACT_ANSWER).to_dict()
    assert set(out) == {"star", "quantified", "ownership", "words", "hedges", "evidence", "tips"}
    assert set(out["star"]) == set(out["evidence"]) == {"situation", "task", "action", "result"}
    # "I set up weekly check-ins" is the step; "we shipped 2 weeks early" is the outcome, not a we-step.
    assert out["star"] == {"situation": True, "task": False, "action": True, "result": True}
    assert out["quantified"] is True
    assert out["ownership"] == "i"
    assert out["words"] == 18
    assert any("weekly check-ins" in e for e in out["evidence"]["action"])
    assert any("2 weeks early" in e for e in out["evidence"]["result"])
    assert all(isinstance(t, str) and t for t in out["tips"])
    json.dumps(out)  # serialisable as it is


def test_contract_example_through_the_cli_entry_point():
    stdout = io.StringIO()
    assert main(io.StringIO(json.dumps({"question": CONTRACT_QUESTION, "answer": CONTRACT_ANSWER}) + "\n"), stdout) == 0
    lines = stdout.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == analyze(CONTRACT_QUESTION, CONTRACT_ANSWER).to_dict()


def test_every_evidence_string_is_a_verbatim_substring_of_the_answer():
    rows = read_jsonl(ROOT / "tests/data/dev/answers.jsonl")
    checked = 0
    for row in rows:
        out = analyze(row.question, row.answer).to_dict()
        for part, quotes in out["evidence"].items():
            assert bool(quotes) == out["star"][part], (part, row.answer)
            for quote in quotes:
                assert quote and quote in row.answer
                checked += 1
        for hedge in out["hedges"]:
            assert hedge in row.answer
    assert checked > 200


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400))
def test_any_text_gets_a_well_formed_answer_with_verbatim_evidence(answer):
    out = analyze("Tell me about a time you solved a problem.", answer).to_dict()
    assert out["ownership"] in {"i", "we", "mixed", "none"}
    assert out["words"] == len(answer.split())
    for quotes in out["evidence"].values():
        assert all(q in answer for q in quotes)
    assert sum(t.startswith("Next step:") for t in out["tips"]) == 1


def test_an_unknown_kind_is_refused_with_the_names_that_exist():
    with pytest.raises(ValueError, match="salary"):
        analyze("q", "a", kind="astrology")


# --- what the reader finds ----------------------------------------------------------------------------------


def test_a_full_star_story_is_read_part_by_part_with_the_words_behind_each():
    out = analyze("Tell me about a time you improved a process.", STORY).to_dict()
    assert out["star"] == {"situation": True, "task": True, "action": True, "result": True}
    assert out["quantified"] is True and out["ownership"] == "i"
    assert any("asked me to find out why" in e for e in out["evidence"]["task"])
    assert any("compared the rota" in e for e in out["evidence"]["action"])
    assert any("dropped to under four minutes" in e for e in out["evidence"]["result"])


def test_a_hypothetical_answer_has_no_action_and_no_owner():
    out = analyze(
        "Tell me about a time you disagreed with your manager.",
        "I would talk to my manager privately and explain my reasons, then I'd follow the decision.",
    )
    assert out.star.action is False and out.ownership == "none"


def test_team_only_story_is_we_and_a_story_with_both_is_mixed():
    assert analyze("Tell me about a time you improved a process.", WE_STORY).ownership == "we"
    mixed = (
        "Our product launch moved up a week. I rewrote the onboarding emails myself, and then we tested the "
        "whole flow together with the design team. We launched on the new date."
    )
    assert analyze("Tell me about a time you worked under pressure.", mixed).ownership == "mixed"


def test_numbers_that_measure_count_and_dates_ages_and_tenure_do_not():
    q = "Tell me about a time you improved a process."
    assert analyze(q, "I cut the report time from 40 to 15 minutes.").quantified
    assert analyze(q, "I trained two interns on the new system.").quantified
    assert not analyze(q, "In 2022, when I was 24, I worked there for 2 years and learned a lot.").quantified
    assert not analyze(q, "In my first job I always double-check my work.").quantified
    salary = "What are your salary expectations?"
    assert analyze(salary, "Somewhere between 55 and 60k.").quantified
    assert not analyze(salary, "Whatever is fair for the role.").quantified


# --- each remark fires on an answer that has it, and not on one that doesn't ---------------------------------


def test_length_too_short_and_too_long_for_the_question():
    q = "Tell me about a time you improved a process."
    assert "too_short" in keys(q, "I automated the weekly report.")
    assert {"too_short", "too_long"}.isdisjoint(keys(q, STORY))
    assert "too_long" in keys(q, " ".join([STORY] * 4))
    assert "too_short" not in keys("What are your salary expectations?", "60 to 65k.")


def test_hedges_and_filler_are_listed_as_written():
    q = "Why should we hire you over the other finalists?"
    out = analyze(q, "I guess I'm kind of a fast learner and, basically, I work hard, I think.")
    assert {"I guess", "kind of", "basically"} <= set(out.hedges)
    assert "hedges" in {r.key for r in out.remarks}
    clean = analyze(q, "I rebuilt your competitor's onboarding flow at Cardo and know your product well.")
    assert clean.hedges == () and "hedges" not in {r.key for r in clean.remarks}
    assert "kind of" not in analyze(q, "It is the kind of store I run now.").hedges


def test_a_round_one_story_told_again_is_flagged_only_when_the_notes_say_so():
    q = "Tell me about a different result you're proud of."
    notes = ["Round 1 with Priya: told the call centre story, Monday waits and lunch breaks rota"]
    out = analyze(q, STORY, told_before=notes)
    repeat = [t for t in out.tips if t.startswith("Repeat:")]
    assert repeat and "call centre" in repeat[0]
    assert "repeat" not in keys(q, STORY, told_before=["Round 1: told the hackathon story about a food-waste app"])
    assert "repeat" not in keys(q, STORY)


def test_salary_answers_are_steered_to_a_range():
    q = "What are your salary expectations?"
    assert "salary_single" in keys(q, "I'd want 60k.")
    assert "salary_range" in keys(q, "Based on my research, between 55 and 62 thousand.")
    assert "salary_single" not in keys(q, "Based on my research, between 55 and 62 thousand.")
    assert "salary_none" in keys(q, "Whatever you think is fair.")
    assert {"salary_single", "salary_range", "salary_none"}.isdisjoint(keys(CONTRACT_QUESTION, CONTRACT_ANSWER))


def test_why_you_answers_are_checked_for_ties_to_the_company():
    q = "Why should we hire you over the other finalists?"
    tied = "You told me in round one that onboarding is your biggest churn driver, and I rebuilt onboarding at Tallis."
    assert "ties" in keys(q, tied) and "no_ties" not in keys(q, tied)
    assert "no_ties" in keys(q, "Because I'm hard-working, reliable and a fast learner.")


def test_specificity_general_claims_only_versus_numbers_names_and_outcomes():
    q = "How would your colleagues describe the way you work?"
    general = analyze(q, "I am a hard worker and I always communicate well.")
    assert "general" in {r.key for r in general.remarks}
    assert any(t.startswith("General claims only") for t in general.tips)
    assert "general" not in {r.key for r in analyze(q, "They'd say I'm the one who moved our team to Jira.").remarks}


def test_ownership_remark_asks_what_you_did_only_for_we_stories():
    q = "Tell me about a time you improved a process."
    we = analyze(q, WE_STORY)
    assert any("What did *you* do?" in t for t in we.tips)
    assert not any("What did *you* do?" in t for t in analyze(q, STORY).tips)


def test_structure_names_what_is_missing_and_a_story_request_answered_with_claims():
    q = "Tell me about a time you improved a process."
    partial = analyze(q, "At the library returns piled up every Monday. I made a tracking spreadsheet for the shelves.")
    structure = next(t for t in partial.tips if t.startswith("Structure:"))
    assert "Missing:" in structure and "result" in structure.split("Missing:")[1]
    assert "no_story" in keys(q, "I am very organised and I always improve things.")
    assert "hypothetical" in keys(q, "I would look at the data first and then I'd talk to the team.")
    assert "hypothetical" not in keys(q, STORY)


def test_one_next_step_and_article_advice_that_names_a_real_source():
    sources = yaml.safe_load((ROOT / "knowledge/sources.yaml").read_text())
    for question, answer in [
        (CONTRACT_QUESTION, CONTRACT_ANSWER),
        ("What are your salary expectations?", "60k"),
        ("Why do you want to join us?", "It's a good company."),
    ]:
        tips = analyze(question, answer).tips
        assert sum(t.startswith("Next step:") for t in tips) == 1
        article = [t for t in tips if t.startswith("From the articles:")]
        assert len(article) == 1
        source = re.search(r"\(source: “(.+)”\)$", article[0])
        assert source and source.group(1) in sources.values()  # the article's title, not its file name
    assert "range" in next(
        t for t in analyze("What are your salary expectations?", "60k").tips if t.startswith("From the articles:")
    )


# --- the CLI: JSON lines in, one object per line out, bad lines answered and skipped ---------------------------


def test_bad_lines_get_an_error_object_on_their_own_line_and_processing_continues():
    good = json.dumps({"question": CONTRACT_QUESTION, "answer": CONTRACT_ANSWER})
    lines = [
        "this is not json",
        good,
        "[1, 2]",
        json.dumps({"question": "q"}),
        json.dumps({"question": "q", "answer": 5}),
        "",
        json.dumps({"question": "q", "answer": "x" * (MAX_ANSWER_CHARS + 1)}),
        json.dumps({"question": "q", "answer": "a", "told_before": "not a list"}),
        good,
    ]
    stdout = io.StringIO()
    assert main(io.StringIO("\n".join(lines) + "\n"), stdout) == 0
    out = [json.loads(x) for x in stdout.getvalue().splitlines()]
    assert len(out) == 8  # the blank line is skipped, every other line answered in order
    assert [("error" in o) for o in out] == [True, False, True, True, True, True, True, False]
    assert "not JSON" in out[0]["error"] and '"answer"' in out[3]["error"] and "longer" in out[5]["error"]
    assert out[1] == out[7] and out[1]["ownership"] == "i"


def test_python_dash_m_runs_the_same_cli_and_serves_without_scikit_learn():
    line = json.dumps({"question": CONTRACT_QUESTION, "answer": CONTRACT_ANSWER, "told_before": []})
    done = subprocess.run(
        [sys.executable, "-m", "bot.feedback"],
        input=line + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(done.stdout) == analyze(CONTRACT_QUESTION, CONTRACT_ANSWER).to_dict()
    probe = (
        "import sys, bot.feedback as f; f.analyze('q', 'I fixed it.'); "
        "print(sorted(m for m in ('sklearn', 'scipy', 'torch') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]"



def test_secondround_feedback_command_answers_one_json_object_per_line(env: dict[str, str]) -> None:
    exe = shutil.which("secondround", path=str(Path(sys.executable).parent)) or "secondround"
    lines = [json.dumps({"question": CONTRACT_QUESTION, "answer": CONTRACT_ANSWER}), "not json",
             json.dumps({"question": "What are your salary expectations?", "answer": "I'd hope for 50k."})]
    done = subprocess.run([exe, "feedback"], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=120, env=env, check=True)
    out = [json.loads(x) for x in done.stdout.splitlines()]
    assert out[0] == analyze(CONTRACT_QUESTION, CONTRACT_ANSWER).to_dict()
    assert "not JSON" in out[1]["error"]
    assert any("range" in t for t in out[2]["tips"])  # a single figure gets the "give a range" remark
    assert len(out) == 3 and done.stderr == ""



def test_an_outcome_told_with_we_is_not_a_we_step():
    answer = (
        "Our main client threatened to leave unless the export tool was ready in a month. We had to do it without "
        "pausing other work. I cut the formats to CSV only, built the exporter myself and had two testers check "
        "the edge cases. We shipped in 26 days and they signed for two more years."
    )
    out = analyze("Tell me about a time you worked under pressure.", answer)
    assert out.ownership == "i"  # every step is the speaker's; "We shipped in 26 days" is the outcome
    assert any("We shipped in 26 days" in e for e in out.evidence["result"])


# --- the shipped model and its training data ---------------------------------------------------------------


def test_shipped_weights_were_trained_on_the_training_file_as_it_is_now():
    model = load_model()
    assert model.trained_on["sha256"] == file_sha256(training_path()), (
        "knowledge/practice/answers_train.txt changed: run python -m bench.train_feedback"
    )
    assert model_path().stat().st_size < 400_000


def test_retraining_reproduces_the_shipped_weights_exactly():
    pytest.importorskip("sklearn")
    from bench.train_feedback import dumps, train

    assert dumps(train()) == model_path().read_text(encoding="utf-8")


def test_training_answers_follow_the_labelling_rules_and_copy_nothing_from_dev():
    rows = read_tagged()
    assert len(rows) >= 400
    for row in rows:
        if not row.labels["action"]:
            assert row.labels["ownership"] == "none", row.answer
    dev = [r.answer.lower() for r in read_jsonl(ROOT / "tests/data/dev/answers.jsonl")]

    def shingles(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z0-9']+", text.lower())
        return {tuple(words[i : i + 8]) for i in range(len(words) - 7)}

    dev_shingles = set().union(*(shingles(d) for d in dev))
    copied = [r.answer for r in rows if r.answer.lower() in dev or shingles(r.answer) & dev_shingles]
    assert copied == []
