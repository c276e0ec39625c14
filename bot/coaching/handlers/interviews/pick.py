"""Which interview a message means: by name, by order ("the second one"), or by asking with buttons."""

from __future__ import annotations

import re

from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.types import Button, Reply
from bot.nlu.types import Parse
from bot.storage.models import Interview
from bot.storage.repo import normalise_company

_MOVE = re.compile(
    r"\b(mov(e|ed|ing)|re-?schedul\w*|push(ed)?|postpon\w*|chang(e|ed)|shift(ed)?|bump(ed)?|instead|"
    r"switch(ed)?|(?:brought|bring|pulled|pull) (?:\w+ )?forward|delay(ed)?|rebook(ed)?|rearrang\w*)\b"
)


def _interview_buttons(turn: Turn, interviews: list[Interview], action: str) -> tuple[Button, ...]:
    return tuple(
        Button(
            f"{i.company or 'Interview'} ({formatting.when(i, turn.local_now.date())})"[:75],
            f"interview:{action}:{i.id}",
        )
        for i in interviews[:5]
    )


def _pick(turn: Turn, parse: Parse, purpose: str) -> tuple[Interview | None, list[Reply] | None]:
    """The interview a message refers to, or the replies to send when that is unclear."""
    data = turn.data
    company = parse.entities.company
    upcoming = data.upcoming(turn.now)
    if company:
        found = [i for i in data.find_by_company(company) if i in upcoming] or data.find_by_company(company)
        if found:
            return found[0], None
        names = ", ".join(formatting.company(i) for i in upcoming) or "none yet"
        return None, [
            Reply(
                f"I don't have an interview with {markup.literal(company)} on file. Your interviews: {names}.",
                private=True,
            )
        ]
    if len(upcoming) == 1:
        return upcoming[0], None
    if not upcoming:
        return None, [
            Reply(
                "You have no upcoming interviews on file. Tell me about one, e.g. "
                "“I have a second interview with Acme on Friday at 3pm”."
            )
        ]
    return None, _ask_which(turn, parse, purpose, upcoming)


def _ask_which(turn: Turn, parse: Parse, purpose: str, upcoming: list[Interview]) -> list[Reply]:
    """Ask which interview a message is about; the answer (a button or a company typed) carries it out."""
    turn.ask("pick_interview", purpose=purpose, text=parse.text, now=turn.local_now.isoformat())
    what = {"cancel": "cancel", "update": "change"}.get(purpose, purpose)
    return [Reply(f"Which interview should I {what}?", _interview_buttons(turn, upcoming, purpose), private=True)]


def _same_name(a: str, b: str) -> bool:
    """Whether two names are the same loosely ("the VP" and "the VP of engineering", "Acme" and "acme inc")."""

    def norm(x: str) -> str:
        x = normalise_company(re.sub(r"[^\w\s&'-]", " ", x))
        return re.sub(r"^(the|a|an|my|our)\s+", "", x)

    x, y = norm(a), norm(b)
    return bool(x and y) and (x == y or x.startswith(y + " ") or y.startswith(x + " "))


def _inside(name: str, text: str) -> bool:
    return bool(text) and re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", text.lower()) is not None


_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4}


_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|last)\b|^\W*#?([1-5])\W*$")


def _chosen(turn: Turn, parse: Parse) -> Interview | None:
    """The upcoming interview a short answer to "which interview?" names, or None when it names none.

    By company ("Acme", "the globex one", "pfizer pls"), by day ("the thursday one"), or by its place
    among the choices shown ("the first one", "2").
    """
    upcoming = turn.data.upcoming(turn.now)
    text = parse.text
    e = parse.entities
    named = [
        i
        for i in upcoming
        if i.company and (_inside(i.company, text) or (e.company is not None and _same_name(e.company, i.company)))
    ]
    if len(named) == 1:
        return named[0]
    if named:
        return None
    when = e.when or turn.nlu.parse_when(text, turn.local_now, turn.tz)
    if when is not None:
        on_day = [i for i in upcoming if i.local_start is not None and i.local_start.date() == when.day]
        if when.at is not None:
            on_day = [i for i in on_day if i.has_time and i.local_start is not None and i.local_start.time() == when.at]
        return on_day[0] if len(on_day) == 1 else None
    m = _ORDINAL.search(text.lower())
    if m:
        shown = upcoming[:5]  # the order of the buttons
        index = len(shown) - 1 if m.group(1) == "last" else _ORDINALS.get(m.group(1) or "", int(m.group(2) or 0) - 1)
        return shown[index] if 0 <= index < len(shown) else None
    return None


_INTERVIEW_WORDS = re.compile(
    r"\b(interview\w*|intervew\w*|interveiw\w*|round|meeting|call|chat|onsite|on-site|appointment|it|one|that|"
    r"this|them|dinner|lunch|coffee|breakfast|drinks|visit)\b"
)


def names_an_interview(turn: Turn, parse: Parse) -> bool:
    """Whether a request about an interview says which thing it is about: a company, or interview words.

    "cancel my netflix subscription" does not; "cancel it", "Acme called it off" and "cancel the
    second round" do.
    """
    low = parse.text.lower()
    if parse.entities.company or _INTERVIEW_WORDS.search(low):
        return True
    return any(i.company and _inside(i.company, low) for i in turn.data.interviews())
