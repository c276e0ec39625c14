"""End-to-end coaching evaluation: questions and short conversations through the whole bot.

Usage: python -m bench.coaching_eval [--misses] [--buckets] [--after-fact] [FILE ...]
(default: tests/data/ranking_own.jsonl, tests/data/dev/ranking.jsonl, tests/data/dev/coaching_dialogs.jsonl
and, when present, the blind files of the same names)

Ranking files (``{"text", "best", "also", "facts"}``): each question is the first question of a fresh
conversation (the facts, when given, are what the student said before: they are put in the conversation's
memory first). It passes "first" when the reply's first bullet is a labelled item, "top-2" when one of
its first two bullets is (what the hidden probes ask for), "top-3" when any bullet is. A question labelled
``best: null`` passes all three when the reply is the honest "no good answer" line.

Dialog files (``{"turns", "expect_any", "forbid"}``): the turns are said in order in one conversation;
the dialog passes when one ``expect_any`` item is among the first two bullets of the last reply and no
``forbid`` item appears in it.

Files of plain messages (``{"text"}`` only, e.g. ``tests/data/dev/oos.jsonl``): the share answered with advice
(for out-of-scope messages, this should stay near 0); with ``--after-fact``, also said right after each of three
stated facts (same interviewer, a dinner, a rejection), in a conversation about the student's interview.

Files under ``tests/data/blind/`` print aggregate figures only (never a message, label or reply).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.coaching import advice
from bot.coaching.handlers.coaching import UNANSWERED, _priors
from bot.common import markup
from bot.common.clock import FakeClock
from bot.common.settings import load_settings
from bot.common.types import ConversationRef, IncomingMessage, Reply
from bot.knowledge.library import Knowledge, load_knowledge
from bot.nlu import NLU
from bot.ops.app import App
from bot.storage.models import ConversationState, User

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TZ = "America/New_York"
DEFAULT = [
    ROOT / "tests/data/ranking_own.jsonl",
    ROOT / "tests/data/dev/ranking.jsonl",
    ROOT / "tests/data/dev/coaching_dialogs.jsonl",
    ROOT / "tests/data/blind/ranking.jsonl",
    ROOT / "tests/data/blind/coaching_dialogs.jsonl",
]


def shown_ids(knowledge: Knowledge, replies: list[Reply]) -> list[str]:
    """The item ids of the bullets in ``replies``, in order."""
    by_text = {markup.to_plain(f"- {item.text}")[2:]: item.id for _, item in knowledge.items()}
    out: list[str] = []
    for reply in replies:
        for line in markup.to_plain(reply.text).splitlines():
            if not line.startswith("• "):
                continue
            body = line[2:]
            found = by_text.get(body)
            if found is None and body.endswith("…"):  # a bullet cut to chat size
                found = next((i for t, i in by_text.items() if t.startswith(body[:-1])), None)
            if found is not None:
                out.append(found)
    return out


@dataclass
class Bot:
    """A whole bot on a throw-away SQLite database, with a clock that does not move."""

    app: App
    knowledge: Knowledge
    users: int = 0

    def new_chat(self) -> ConversationRef:
        self.users += 1
        return ConversationRef("eval", "", f"dm-{self.users}", f"student{self.users}")

    def say(self, ref: ConversationRef, text: str) -> list[Reply]:
        return self.app.coach.handle(IncomingMessage(ref, text=text, tz_hint=TZ))

    def why(self, text: str, replies: list[Reply]) -> str:
        """How the message was read and how the reply starts (for the list of misses)."""
        parse = self.app.nlu.parse(text, START, TZ)
        first = markup.to_plain(replies[0].text).splitlines()[0][:60] if replies else ""
        kinds = ",".join(r.kind or "-" for r in replies)
        return f"[{parse.intent} {parse.confidence:.2f}; {kinds}; {first!r}]"

    def seed_facts(self, ref: ConversationRef, facts: dict[str, str]) -> None:
        """Put facts in the conversation's memory, as if the student had said them earlier.

        A fact or value knowledge/facts.yaml doesn't define is an error in the data file: the bot would never
        store it, so the row would test nothing.
        """
        known = self.app.knowledge.facts
        unknown = [k for k, v in facts.items() if k not in known or v not in {fv.key for fv in known[k].values}]
        if unknown:
            raise ValueError(f"unknown fact value for {', '.join(sorted(unknown))} (see knowledge/facts.yaml)")
        self.say(ref, "hello")  # creates the student and the conversation
        with self.app.db.session() as s:
            user = s.scalars(select(User).where(User.platform == ref.platform, User.external_id == ref.user)).one()
            state = s.get(ConversationState, user.id)
            if state is None:
                state = ConversationState(user_id=user.id, pending=None, context={}, updated_at=START)
                s.add(state)
            ctx = dict(state.context or {})
            ctx["facts"] = {**(ctx.get("facts") or {}), **facts}
            state.context = ctx
            s.commit()


@dataclass
class Score:
    """Counts for one file."""

    n: int = 0
    first: int = 0
    top2: int = 0
    top3: int = 0
    null_n: int = 0
    null_ok: int = 0
    misses: list[str] = field(default_factory=list)
    buckets: dict[str, int] = field(default_factory=dict)  # why a question the ranking answers was lost
    lead_lost: dict[str, int] = field(default_factory=dict)  # why the ranking's right first item doesn't lead


def loss_bucket(bot: Bot, text: str, replies: list[Reply], ids: list[str]) -> str:
    """Why the whole bot lost a question that the ranking alone answers in its top 3 (and the reply doesn't).

    routed:<intent> (another handler answered, no advice shown), no-answer (the honest "no good answer"),
    question (the topic's question asked and the answer not among the bullets), composition (advice shown,
    the ranked items pushed out or re-ordered).
    """
    if any((r.kind or "").startswith(UNANSWERED) for r in replies):
        return "no-answer"
    if not ids:
        return f"routed:{bot.app.nlu.parse(text, START, TZ).intent}"
    if any("?" in markup.to_plain(r.text).splitlines()[-1] for r in replies if r.text):
        return "question"
    return "composition"


def ranking_top3(bot: Bot, rec: dict[str, Any]) -> list[str]:
    """The ranking alone's top 3 for a record (as ``bench.ranking_eval`` computes it)."""
    from bench.ranking_eval import facts_for

    parse = bot.app.nlu.parse(rec["text"], START, TZ)
    facts = facts_for(bot.knowledge, rec["text"], rec.get("facts") or {})
    return [s.item.id for s in advice.choose(advice.rank(bot.knowledge, facts, rec["text"], _priors(parse)))]


def eval_ranking(bot: Bot, rows: list[dict[str, Any]]) -> Score:
    """Each question as the first of a fresh conversation."""
    score = Score()
    for rec in rows:
        ref = bot.new_chat()
        if rec.get("facts"):
            bot.seed_facts(ref, rec["facts"])
        replies = bot.say(ref, rec["text"])
        ids = shown_ids(bot.knowledge, replies)
        score.n += 1
        if rec["best"] is None:
            score.null_n += 1
            ok = any((r.kind or "").startswith(UNANSWERED) for r in replies)
            score.null_ok += ok
            score.first += ok
            score.top2 += ok
            score.top3 += ok
            if not ok:
                score.misses.append(f"{rec['text']!r} → {ids} (want no answer) {bot.why(rec['text'], replies)}")
            continue
        good = {rec["best"], *rec.get("also", [])}
        score.first += bool(ids[:1]) and ids[0] in good
        score.top2 += bool(good & set(ids[:2]))
        score.top3 += bool(good & set(ids[:3]))
        lost = ""
        ranked = ranking_top3(bot, rec)
        if ranked[:1] and ranked[0] in good and not (ids[:1] and ids[0] in good):
            bucket = loss_bucket(bot, rec["text"], replies, ids)
            score.lead_lost[bucket] = score.lead_lost.get(bucket, 0) + 1
            lost = f" (first bullet lost after ranking: {bucket})"
        if good & set(ranked) and not good & set(ids[:3]):
            bucket = loss_bucket(bot, rec["text"], replies, ids)
            score.buckets[bucket] = score.buckets.get(bucket, 0) + 1
            lost = f" (lost after ranking: {bucket})"
        if not good & set(ids[:2]) or lost:
            why = bot.why(rec["text"], replies)
            score.misses.append(
                f"{rec['text']!r} facts={rec.get('facts') or {}} → {ids} (want {rec['best']}) {why}{lost}"
            )
    return score


def eval_dialogs(bot: Bot, rows: list[dict[str, Any]]) -> Score:
    """Each conversation in its own chat; the last reply is checked."""
    score = Score()
    for rec in rows:
        ref = bot.new_chat()
        replies: list[Reply] = []
        for text in rec["turns"]:
            replies = bot.say(ref, text)
        ids = shown_ids(bot.knowledge, replies)
        expected = bool(set(rec["expect_any"]) & set(ids[:2]))
        clean = not set(rec["forbid"]) & set(ids)
        score.n += 1
        score.first += expected and clean
        score.top2 += expected
        score.top3 += clean
        if not (expected and clean):
            bad = sorted(set(rec["forbid"]) & set(ids))
            score.misses.append(
                f"{rec['turns']} → {ids} (want one of {rec['expect_any'][:3]}…; forbidden shown {bad}) "
                f"{bot.why(rec['turns'][-1], replies)}"
            )
    return score


STATED = (  # a fact the student states before the message (same interviewer, a meal, a rejection)
    "my second interview is with the same person as in round one",
    "the second round is a dinner with the hiring manager",
    "they rejected me after the second interview",
)


def out_of_scope_after_facts(bot: Bot, rows: list[dict[str, Any]], *, show: bool = False) -> int:
    """How many plain messages get advice when said right after each of :data:`STATED` (want ~0)."""
    given = 0
    for said in STATED:
        for rec in rows:
            ref = bot.new_chat()
            bot.say(ref, said)
            ids = shown_ids(bot.knowledge, bot.say(ref, rec["text"]))
            given += bool(ids)
            if ids and show:
                print(f"  advice after {said!r}: {rec['text']!r} → {ids}")
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--misses", action="store_true", help="list the misses (never for blind files)")
    parser.add_argument(
        "--buckets", action="store_true", help="count the questions lost after ranking, by why (aggregate only)"
    )
    parser.add_argument(
        "--after-fact",
        action="store_true",
        help="for plain (out-of-scope) messages, also count advice given right after a stated fact",
    )
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    knowledge = load_knowledge()
    nlu = NLU.load()
    files = args.files or [p for p in DEFAULT if p.exists()]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp), database_url=f"sqlite:///{Path(tmp) / 'bot.db'}", health_addr="", default_tz="UTC"
        )
        app = App.build(settings, clock=FakeClock(START), nlu=nlu, knowledge=knowledge)
        try:
            bot = Bot(app, knowledge)
            for path in files:
                blind = "blind" in path.resolve().parts
                rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
                name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
                if rows and "best" not in rows[0] and "turns" not in rows[0]:  # plain messages: out of scope
                    given = sum(bool(shown_ids(knowledge, bot.say(bot.new_chat(), r["text"]))) for r in rows)
                    share = given / len(rows)
                    print(f"{name}: n={len(rows)}  answered with advice {share:.1%}  (out of scope: want ~0)")
                    if args.after_fact:
                        after = out_of_scope_after_facts(bot, rows, show=args.misses and not blind)
                        print(f"  after a stated fact: {after} of {len(rows) * len(STATED)} answered with advice")
                    continue
                if rows and "turns" in rows[0]:
                    s = eval_dialogs(bot, rows)
                    print(
                        f"{name}: n={s.n}  pass {s.first / s.n:.1%}  (expected item in bullets 1-2 {s.top2 / s.n:.1%}, "
                        f"nothing contradicting {s.top3 / s.n:.1%})"
                    )
                else:
                    s = eval_ranking(bot, rows)
                    nulls = f", no-answer right {s.null_ok}/{s.null_n}" if s.null_n else ""
                    print(
                        f"{name}: n={s.n}  first bullet {s.first / s.n:.1%}  bullets 1-2 {s.top2 / s.n:.1%}  "
                        f"top-3 {s.top3 / s.n:.1%}{nulls}  (end to end)"
                    )
                    if args.buckets:
                        lost = ", ".join(f"{k} {v}" for k, v in sorted(s.buckets.items(), key=lambda kv: -kv[1]))
                        print(
                            f"  lost after ranking (ranking top-3 has it, the reply's top-3 doesn't): "
                            f"{sum(s.buckets.values())} [{lost}]"
                        )
                        lead = ", ".join(f"{k} {v}" for k, v in sorted(s.lead_lost.items(), key=lambda kv: -kv[1]))
                        print(
                            f"  first bullet lost after ranking (ranking's first is right, the reply's isn't): "
                            f"{sum(s.lead_lost.values())} [{lead}]"
                        )
                if args.misses and not blind:
                    for m in s.misses:
                        print("  miss:", m)
        finally:
            app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
