"""The ranking scored on arrays gives exactly the item-by-item ranking it replaced, and chooses the same advice.

``advice.rank`` scores every item at once with numpy, remembers each question's match and each set of
facts' fit, and makes a :class:`~bot.coaching.advice.Scored` only for the items read; ``advice.choose``
works on the arrays. The reference below is the former code, item by item: for hundreds of questions
made from the knowledge base, under many situations, with items seen, led, a message before and one
topic, every score and field must be the same float, the order the same, and the advice chosen the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np
import pytest

from bench.ranking_memory import queries
from bot.coaching import advice, situation
from bot.coaching.advice import (
    DOC_WEIGHTS,
    EXPLICIT,
    FIT_RELEVANT,
    MATCH_SCALE,
    OFF_SITUATION,
    POSITION_PENALTY,
    REPEAT_FLOOR,
    SLOT_BROAD,
    VARIANT_PENALTY,
    W_CONTEXT,
    W_COVER,
    W_MATCH,
    W_TOPIC,
    Ranking,
    Scored,
    _fit,
    _fits_known,
    content_words,
)
from bot.knowledge.library import Knowledge

# the reference: the ranking before it was scored on arrays -----------------------------------------------


def _reference_coverages(idx: advice.Index, words: Mapping[str, float], plain: str) -> np.ndarray:
    total = sum(words.values())
    out = np.zeros(len(idx.entries))
    if not total:
        return out
    # a synonym phrase found whole in the question widens its words' holders for this question only
    widened: dict[str, set[int]] = {}
    for phrase, rows_of in idx.phrase_holders:
        if phrase in f" {' '.join(advice._stem(w) for w in plain.split())} ":
            for t, rows in rows_of.items():
                widened.setdefault(t, {int(r) for r in idx.holders.get(t, ())}).update(int(r) for r in rows)
    for t, w in words.items():
        rows = np.asarray(sorted(widened[t])) if t in widened else idx.holders.get(t)
        if rows is not None:
            out[rows] += w
    return out / total


def _reference_parts(idx: advice.Index, text: str) -> tuple[dict[str, np.ndarray], dict[str, float], str]:
    asked, extra, plain = idx._query(text)
    query = list(dict.fromkeys(asked))
    if not query:
        zero = np.zeros(len(idx.entries))
        return {field: zero for field in DOC_WEIGHTS}, {}, plain
    words = {
        t: idx.fast.idf_of(t, advice.OOV_WEIGHT) for t in query if "_" not in t and not any(c.isdigit() for c in t)
    }
    scale = max(sum(words.values()), 1.0)
    asked = list(dict.fromkeys([*query, *extra]))
    raw = idx.fast.scores(asked)
    parts: dict[str, np.ndarray] = {}
    for field, rows in idx.fields.items():
        best = np.zeros(len(idx.entries))
        np.maximum.at(best, idx.owners[rows], raw[rows])
        parts[field] = best / scale
    parts["whole"] = idx.fast_whole.scores(asked) / scale
    chars = np.zeros(len(idx.entries))
    if len(idx.char_items):
        chars[idx.char_items] = np.maximum.reduceat(idx.chars.scores(content_words(plain)), idx.char_starts)
    parts["chars"] = chars
    return parts, words, plain


def _reference_rank(
    knowledge: Knowledge,
    facts: situation.Facts,
    text: str,
    priors: Mapping[str, float],
    *,
    seen: Iterable[str] = (),
    topic: str | None = None,
    context: str = "",
    context_weight: float | None = None,
    led: Iterable[str] = (),
) -> Ranking:
    idx = advice.index(knowledge)
    weight = W_CONTEXT if context_weight is None else context_weight
    parts, words, asked_plain = _reference_parts(idx, text)
    match = own_match = advice.combine(parts)
    context_cover = None
    if context:
        context_parts, context_words, context_plain = _reference_parts(idx, context)
        if context_words:
            match = match + weight * advice.combine(context_parts)
            context_cover = _reference_coverages(idx, context_words, context_plain)
    scale = max(float(match.max()), MATCH_SCALE, 1e-6) if len(match) else 1.0
    cover = _reference_coverages(idx, words, asked_plain)
    if context_cover is not None:
        cover = (cover + weight * context_cover) / (1 + weight)
    seen_ids = set(seen)
    seen_points = {item.point for _, item in idx.entries if item.id in seen_ids} if seen_ids else set()
    led_ids = set(led)
    known = {v for k, v in facts.values.items() if k not in facts.supposed}
    matches: list[float] = match.tolist()
    owns: list[float] = (own_match / scale).tolist() if context_cover is not None else (match / scale).tolist()
    covers: list[float] = cover.tolist()
    places: list[float] = idx.position.tolist()
    plain = 0.0
    for group in idx.strict:
        if group in facts.values:
            plain -= OFF_SITUATION
    # a seen item comes back only when the question's own words match it REPEAT_FLOOR as well as the best
    # item that can be shown (the message before and the items the facts rule out don't count)
    showable = [
        own_match[n]
        for n, (_, item) in enumerate(idx.entries)
        if idx.unconditional[n] or _fit(knowledge, item, facts, idx.wanted[n], idx.strict, known) is not None
    ]
    repeat_scale = max(max(showable, default=0.0), MATCH_SCALE, 1e-6)
    rows: Iterable[int] = range(len(idx.entries))
    if topic is not None:
        rows = [n for n, (top, _) in enumerate(idx.entries) if top.intent == topic]
    scored: list[Scored] = []
    for n in rows:
        top, item = idx.entries[n]
        m = matches[n]
        if item.id in seen_ids and own_match[n] / repeat_scale < REPEAT_FLOOR:
            continue
        bonus = plain if idx.unconditional[n] else _fit(knowledge, item, facts, idx.wanted[n], idx.strict, known)
        if bonus is None:
            continue
        if bonus > 0 and len(words) > SLOT_BROAD:
            bonus *= min(1.0, owns[n] / FIT_RELEVANT) if FIT_RELEVANT else 1.0
        side = item.id in seen_ids and item.id not in led_ids and owns[n] >= EXPLICIT
        variant = item.point in seen_points and not side
        score = (
            W_MATCH * m / scale
            + W_TOPIC * priors.get(top.intent, 0.0)
            + W_COVER * covers[n]
            + bonus
            - POSITION_PENALTY * places[n]
            - (VARIANT_PENALTY if variant else 0.0)
        )
        fits = _fits_known(item, facts, idx.groups[n]) if idx.groups[n] else idx.groups[n]
        scored.append(
            Scored(
                topic=top,
                item=item,
                score=score,
                match=m,
                seen=item.id in seen_ids,
                side=side,
                position=places[n],
                fits=fits,
                variant=variant,
                relative=m / scale,
                decisive=any(knowledge.facts[g].strict for g in fits) if fits else False,
                cover=covers[n] if words else 1.0,
                own=owns[n],
            )
        )
    scored.sort(key=lambda s: -s.score)
    best = max((s.match for s in scored), default=0.0)
    covered = max((float(cover[idx.where(s.item.id)]) for s in scored[:3]), default=0.0) if words else 1.0
    addressed = frozenset(
        g
        for n in (idx.where(i) for i in seen_ids if i in idx._rows)
        for g in _fits_known(idx.entries[n][1], facts, idx.groups[n])
    )
    return Ranking(scored, best, covered, bool(words), addressed, len(words))


# the comparison ------------------------------------------------------------------------------------------


def _exact(ranking: Ranking) -> list[object]:
    """Everything a ranking says, floats as their repr (so 0.0 and -0.0, or a last bit, differ)."""
    head = [repr(ranking.best_match), repr(ranking.coverage), ranking.asked, sorted(ranking.addressed), ranking.words]
    floats = ("score", "match", "position", "relative", "cover", "own")
    rows = [
        (
            s.topic.intent,
            s.item.id,
            s.seen,
            s.side,
            s.variant,
            s.decisive,
            sorted(s.fits),
            [repr(getattr(s, f)) for f in floats],
            [type(getattr(s, f)).__name__ for f in (*floats, "seen", "side", "variant", "decisive")],
        )
        for s in ranking.scored
    ]
    return [head, rows]


def _fields(s: Scored) -> list[str]:
    """A Scored's every attribute, in order, as its repr (and type)."""
    return [f"{name}={value!r}:{type(value).__name__}" for name, value in vars(s).items()]


def _situations(knowledge: Knowledge, text: str, n: int) -> list[situation.Facts]:
    """No facts; the text's own (told, some supposed); and a rotating mix of every fact's values."""
    said = situation.Facts()
    for name, found in situation.detect(knowledge, text).items():
        said.values[name] = found.value
        said.told.add(name)
        if found.hypothetical:
            said.supposed.add(name)
    mixed = situation.Facts()
    for g, group in enumerate(sorted(knowledge.facts)):
        keys = [v.key for v in knowledge.facts[group].values]
        if (n + g) % 3:
            mixed.values[group] = keys[(n + g) % len(keys)]
            if (n + g) % 5 == 0:
                mixed.supposed.add(group)
            if (n + g) % 4 == 0:
                mixed.told.add(group)
    return [situation.Facts(), said, mixed]


@pytest.fixture(scope="module")
def texts(knowledge: Knowledge) -> list[str]:
    out = queries(knowledge)
    assert len(out) > 300
    return out


def test_every_ranking_is_the_item_by_item_one_exactly(knowledge: Knowledge, texts: list[str]) -> None:
    topics = sorted(knowledge.topics)
    checked = 0
    for n, (text, before) in enumerate(itertools.pairwise(["", *texts])):
        priors = {topics[n % len(topics)]: 0.7, topics[(n * 7) % len(topics)]: 0.2}
        for facts in _situations(knowledge, text, n)[n % 3 :: 3] + [situation.Facts()] * (n % 3 == 1):
            first = _reference_rank(knowledge, facts, text, priors)
            seen = [s.item.id for s in first.scored[: 1 + n % 5]] + [s.item.id for s in first.scored[7:9]]
            cases = [
                {},
                {"seen": seen, "led": seen[:1]},
                {"seen": seen, "led": seen[1:2], "context": before, "context_weight": (0.25, 1.0)[n % 2]},
                {"seen": seen, "topic": topics[n % len(topics)]},
            ]
            for kwargs in cases:
                for asked in (text, "") if n % 4 == 0 else (text,):
                    want = _reference_rank(knowledge, facts, asked, priors, **kwargs)  # type: ignore[arg-type]
                    got = advice.rank(knowledge, facts, asked, priors, **kwargs)  # type: ignore[arg-type]
                    assert _exact(got) == _exact(want), (text, kwargs)
                    for count in (1, 2, 3, 5):
                        fast = advice.choose(got, count)
                        slow = advice.choose(want, count)
                        assert [_fields(s) for s in fast] == [_fields(s) for s in slow], (text, kwargs, count)
                    assert got.top_topics(3) == want.top_topics(3)
                    checked += 1
    assert checked > 2_000


def test_a_ranking_s_items_are_made_once_and_read_like_a_list(knowledge: Knowledge) -> None:
    ranking = advice.rank(knowledge, situation.Facts(), "who pays for dinner?", {"informal_setting": 0.8})
    items = ranking.scored
    assert isinstance(items, advice.Ranked) and len(items) > 10
    assert items[0] is items[0] and items[-1] is items[len(items) - 1]
    assert items[:3] == list(items)[:3] and all(a is b for a, b in zip(items[:3], list(items), strict=False))
    with pytest.raises(IndexError):
        items[len(items)]
    assert items == list(items)
    picked = advice.choose(ranking)
    assert all(any(p is s for s in items) for p in picked)  # the chosen are the ranking's own objects
    assert advice.choose(ranking) == picked and all(a is b for a, b in zip(advice.choose(ranking), picked, strict=True))
    # a caller putting some of them in its place gets the list's choice, as before
    listed = replace(ranking, scored=[s for s in items if s.item.id != picked[0].item.id])
    assert advice.choose(listed)[0].item.id != picked[0].item.id


def test_a_question_asked_again_is_read_once(knowledge: Knowledge) -> None:
    idx = advice.index(knowledge)
    first = idx.read("can I order wine at the dinner interview?")
    again = idx.read("can I order wine at the dinner interview?")
    assert again is first and not first[0].flags.writeable
    parts, words = idx.parts("can I order wine at the dinner interview?")
    assert np.array_equal(first[0], advice.combine(parts)) and first[1] == words
    plain = idx._query("can I order wine at the dinner interview?")[2]
    assert np.array_equal(first[2], _reference_coverages(idx, words, plain))


def test_weights_changed_at_run_time_are_ranked_with_at_once(knowledge: Knowledge, monkeypatch) -> None:
    """bench/ranking_tune.py sets the module's weights: nothing remembered under the old ones is used."""
    text, facts = "who pays for the dinner with the hiring manager?", situation.Facts(values={"setting": "meal"})
    advice.rank(knowledge, facts, text, {})  # remembered under today's weights
    monkeypatch.setitem(advice.DOC_WEIGHTS, "meta", 3.0)
    monkeypatch.setattr(advice, "FIT_BONUS", 1.7)
    monkeypatch.setattr(advice, "GUESS_PENALTY", 0.1)
    assert _exact(advice.rank(knowledge, facts, text, {})) == _exact(_reference_rank(knowledge, facts, text, {}))
