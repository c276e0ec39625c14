"""Practice mode in the chat: a short mock second interview with feedback on each typed answer (issue 15).

"let's practise", "mock interview", "quiz me", the Practise button or Discord's ``/practice`` start a
session of 4-5 questions chosen for the student's stored interview. While a session is open, the next
message is offered to :func:`session_message` (wired in :func:`bot.coaching.dialog.dispatch`): an answer gets
feedback and the next question; "skip" moves on; "stop"/"quit" ends with a summary; any other complete
request ("what's coming up?", "forget me") is not taken as an answer and is handled as usual, the
session staying open until it times out. Replies are private: the answers are the student's data.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.coaching.practice.questions import Question, choose, load_questions
from bot.coaching.practice.session import (
    ANSWERING,
    HISTORY_LIMIT,
    TIMEOUT,
    Session,
    kept,
    progress_lines,
    record,
    summary_lines,
)
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.situation import current_interview, detect, situation
from bot.common.types import Button, Reply
from bot.feedback import analyze
from bot.knowledge.library import source_title
from bot.nlu import thresholds
from bot.nlu.specs import acting_intents

if TYPE_CHECKING:
    from bot.coaching.turn import Turn
    from bot.common.pending import Pending
    from bot.nlu.types import Parse

__all__ = ["PRACTICE", "practice_button", "session_message"]

PRACTICE = "practice"
"""The intent, the button verb and the dialogue hook's name."""

_STOP = re.compile(
    r"^(?:stop|quit|exit|end|enough|done|i'?m done|finish|cancel|no more|that'?s enough|"
    r"(?:stop|end|quit|finish|cancel) (?:the |this |my )?(?:practi[cs]e|practi[cs]ing|session|quiz|mock(?: interview)?|"
    r"interview|it|now)(?: session| now)?|let'?s stop|i want to stop)(?: (?:please|pls|now|thanks|thank you))*$"
)
_SKIP = re.compile(
    r"^(?:skip|next|pass|skip (?:it|this|that)(?: one| question)?|skip (?:this |that )?question|next question|"
    r"(?:give me |ask me )?(?:a |another |the next )(?:one|question)|i'?ll pass|no idea|i don'?t know)"
    r"(?: (?:please|pls|thanks))*$"
)
_REPEAT = re.compile(
    r"^(?:repeat|again|repeat (?:the |that )?question|what was the question|say (?:it|that) again)"
    r"(?: (?:please|pls))*$"
)
_PROGRESS = re.compile(
    r"\b(?:how am i doing|how did i do|how i'?m doing|my progress|progress|improv\w*|"
    r"my (?:scores?|results|stats)|getting better)\b"
)
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|how|should|can|could|do|does|is|are|who|when|where|which|would|will|any)\b"
)
_ASKING = re.compile(
    r"(?:^|\b(?:so|and|but|also|ok|okay|hey)\s+)(?:what|what's|whats|how|should|can|could|do|does|is|are|"
    r"who|when|where|which|would|will|any)\b|\b(?:should i|can i|do i|could i|may i|am i|is it ok|is it okay)\b"
)
_TOLD = re.compile(r"\b(?:told|talked about|mentioned|story|stories|example|said|explained|described)\b")
_STORY_CATEGORIES = {"deep_dive", "pressure", "technical", "presentation"}


def practice_button() -> Button:
    """The "Practise" button shown in help and on the home view."""
    return Button("Practise", f"{PRACTICE}:start")


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower().replace("\u2019", "'")).split())


def _store(turn: Turn) -> dict[str, Any]:
    raw = turn.context.get(PRACTICE)
    return dict(raw) if isinstance(raw, dict) else {}


def _save(turn: Turn, store: dict[str, Any]) -> None:
    turn.remember(PRACTICE, store)
    turn.changed = True


def _open_session(turn: Turn) -> Session | None:
    """The open session; None also when its questions are no longer in the bank (a counsellor edited it)."""
    session = Session.from_json(_store(turn).get("session"))
    if session is None or not set(session.questions) <= set(_bank()):
        return None
    return session


def _bank() -> dict[str, Question]:
    return {q.id: q for q in load_questions()}


def _asked_before(store: dict[str, Any]) -> list[str]:
    return [str(q) for h in store.get("history") or [] for q in h.get("asked") or []]


def _setup(turn: Turn) -> tuple[str | None, str, list[str], list[str]]:
    """The company, who the student meets, on-request prompts and pressure points, from what is stored."""
    interview = current_interview(turn)
    facts = situation(turn, "")
    known = set(facts.known())
    for note in turn.data.notes(limit=30):
        if interview is None or note.interview_id in (None, interview.id):
            known |= {f.value for f in detect(turn.knowledge, note.text).values()}  # "they will ask…" counts
    audience = next((a for a in ("same", "panel", "new") if a in known), "any")
    extras: list[str] = [c for c in ("presentation", "technical") if c in known]
    stress = [
        c
        for c, keys in (("pressure", {"tough"}), ("salary", {"asked_expectations", "negotiating_offer"}))
        if known & keys
    ]
    return (interview.company if interview is not None else None), audience, extras, stress


def _told_before(turn: Turn) -> list[str]:
    """The student's notes that say a story was told (for "you told this one in round one")."""
    return [n.text for n in turn.data.notes(limit=50) if _TOLD.search(n.text.lower())]


_AUDIENCE_WORDS = {
    "same": "the same interviewer as round one, so fresh stories",
    "panel": "a panel",
    "new": "someone new",
}


def _ask(session: Session, lead: str = "") -> Reply:
    q = _bank()[str(session.current)]
    point = q.practises[0]
    text = (
        f"{lead}**Question {session.at + 1} of {len(session.questions)}:** {q.ask(session.company)}\n"
        f"_Practises: {point.point} (source: “{source_title(point.source)}”)_\n"
        "Type your answer as you would say it. Say \u201cskip\u201d for the next question or \u201cstop\u201d "
        "to finish."
    )
    buttons = (Button("Skip", f"{PRACTICE}:skip"), Button("Stop", f"{PRACTICE}:stop", "danger"))
    return Reply(text, buttons, private=True, kind="practice_question")


def start(turn: Turn) -> list[Reply]:
    """Open a session: choose the questions and ask the first one."""
    store = _store(turn)
    session = _open_session(turn)
    if session is not None and not session.expired(turn.now):
        return [_ask(session, "We're already practising. ")]
    ended = _close(turn, store, session) if session is not None else []
    company, audience, extras, stress = _setup(turn)
    chosen = choose(load_questions(), audience=audience, extras=extras, stress=stress, asked=_asked_before(store))
    session = Session(ANSWERING, [q.id for q in chosen], 0, turn.now + TIMEOUT, turn.now, company, audience, [])
    store["session"] = session.to_json()
    _save(turn, store)
    about = f" for your {company} interview" if company else ""
    who = f" with {_AUDIENCE_WORDS[audience]}" if audience in _AUDIENCE_WORDS else ""
    lead = (
        f"Let's practise{about}{who}: {len(chosen)} second-round questions. Answer each in writing; I'll "
        "point at your own words and say one thing to improve. Your answers stay private.\n\n"
    )
    return [*ended, _ask(session, lead)]


def _close(turn: Turn, store: dict[str, Any], session: Session | None) -> list[Reply]:
    """End the session: keep it in the history (if anything was answered) and return the summary."""
    store["session"] = None
    if session is None:
        _save(turn, store)
        return []
    history = list(store.get("history") or [])
    if session.answers or session.at:
        history.append(session.finished())
    store["history"] = kept(history, turn.now - timedelta(days=turn.settings.retention_days))[-HISTORY_LIMIT:]
    _save(turn, store)
    lines = summary_lines(session.answers, session.skipped)
    if session.answers:
        lines += ["", *progress_lines(store["history"])]
    buttons = (Button("Practise again", f"{PRACTICE}:start"), Button("My progress", f"{PRACTICE}:progress"))
    return [Reply("\n".join(lines), buttons, private=True, kind="practice_summary")]


def _advance(turn: Turn, store: dict[str, Any], session: Session, before: list[Reply]) -> list[Reply]:
    session.at += 1
    session.expires_at = turn.now + TIMEOUT
    if session.current is None:
        return [*before, *_close(turn, store, session)]
    store["session"] = session.to_json()
    _save(turn, store)
    return [*before, _ask(session)]


def _feedback(turn: Turn, session: Session, answer: str) -> tuple[Reply, dict[str, Any]]:
    q = _bank()[str(session.current)]
    asked = q.ask(session.company)
    fb = analyze(asked, answer, kind=q.kind, told_before=_told_before(turn))
    lines = [f"**Feedback on your answer to question {session.at + 1}**"]
    lines += [f"- {tip}" for tip in fb.tips]
    return Reply("\n".join(lines), private=True, kind="practice_feedback"), record(q.id, asked, answer, fb)


def _is_other_request(parse: Parse) -> bool:
    """A complete request that is not an answer (answers are statements; requests are short asks)."""
    text = _plain(parse.text)
    words = len(text.split())
    if parse.intent in acting_intents() and parse.confidence >= thresholds.ACT and words <= 30:
        return True
    if parse.intent in {"help", "greeting"} and parse.confidence >= thresholds.ACT and words <= 4:
        return True
    # "…, can I order wine?" asks; a hesitant answer ("Maybe like 30k?") has a question mark but no question
    asks = (parse.text.rstrip().endswith("?") and bool(_ASKING.search(text))) or (
        bool(_QUESTION_START.match(text)) and words <= 12 and "." not in parse.text
    )
    return asks and words <= 25 and parse.intent != "fallback" and parse.confidence >= thresholds.ANSWER


@on_pending(PRACTICE)
def session_message(turn: Turn, pending: Pending | None, parse: Parse) -> list[Reply] | None:
    """A message while a session is open: an answer, skip, stop; None when it is no answer (or no session)."""
    session = _open_session(turn)
    if session is None:
        return None
    store = _store(turn)
    if session.expired(turn.now):
        _close(turn, store, session)  # timed out: the answers so far are kept, the message is handled as usual
        return None
    text = _plain(parse.text)
    if _STOP.match(text):
        return _close(turn, store, session)
    if _SKIP.match(text):
        session.skipped += 1
        return _advance(turn, store, session, [])
    if _REPEAT.match(text):
        return [_ask(session)]
    if _PROGRESS.search(text) and len(text.split()) <= 8:
        return [*progress(turn), _ask(session, "Back to practice. ")]
    if parse.intent == PRACTICE and parse.confidence >= thresholds.ANSWER and len(text.split()) <= 8:
        return [_ask(session, "We're already practising. ")]
    if _is_other_request(parse):
        return None
    reply, entry = _feedback(turn, session, parse.text)
    session.answers.append(entry)
    return _advance(turn, store, session, [reply])


@on_intent(PRACTICE)
def practice_intent(turn: Turn, parse: Parse) -> list[Reply]:
    """Start a session ("let's practise", "mock interview", "quiz me"), or show progress ("how am I doing?")."""
    if _PROGRESS.search(_plain(parse.text)):
        return progress(turn)
    return start(turn)


def progress(turn: Turn) -> list[Reply]:
    """Progress over the practice sessions (the one under way included when it has answers)."""
    history = list(_store(turn).get("history") or [])
    session = _open_session(turn)
    if session is not None and session.answers:
        history.append(session.finished())  # the session under way counts too
    lines = progress_lines(history)
    return [Reply("\n".join(lines), (Button("Practise", f"{PRACTICE}:start"),), private=True)]


@on_action(PRACTICE)
def practice_action(turn: Turn, args: list[str]) -> list[Reply]:
    """Buttons: ``practice:start``, ``practice:skip``, ``practice:stop``, ``practice:progress``."""
    what = args[0] if args else "start"
    if what == "progress":
        return progress(turn)
    session = _open_session(turn)
    if what in {"skip", "stop"}:
        if session is None or session.expired(turn.now):
            if session is not None:
                _close(turn, _store(turn), session)
            return [
                Reply(
                    "That practice session is over. Say \u201clet's practise\u201d to start a new one.",
                    (practice_button(),),
                    private=True,
                )
            ]
        store = _store(turn)
        if what == "stop":
            return _close(turn, store, session)
        session.skipped += 1
        return _advance(turn, store, session, [])
    return start(turn)
