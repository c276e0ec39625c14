"""Ranking faults a student noticed: advice coming back after a follow-up, filler read as meaning, a
synonym phrase counted word by word, the restaurant bill called "the check"."""

from __future__ import annotations

from bot.coaching import advice, situation
from tests.conftest import BotHarness
from tests.test_advice import ids_shown


def test_a_question_with_news_in_it_counts_its_advice_as_shown(bot: BotHarness, knowledge) -> None:
    """ "…, how long should it be" asks: its reply is not advice offered on news, to be shown again next."""
    me = bot.chat()
    me.say("my second interview is a video call on teams")
    first = ids_shown(knowledge, me.say("they want me to do a case study presentation, how long should it be").text)
    assert "presentation-equipment-remote" in first
    then = ids_shown(knowledge, me.say("what if i blank on a question").text)
    assert then and then[0].startswith("nerves-") and not set(then) & set(first), (first, then)


def test_a_seen_item_comes_back_on_the_question_s_own_words_not_the_message_before(knowledge) -> None:
    """A short question is read with the message before; that message's match never brings its advice back."""
    facts = situation.Facts(values={"setting": "video"})
    before = "they want me to do a case study presentation, how long should it be"
    shown = [s.item.id for s in advice.choose(advice.rank(knowledge, facts, before, {}))]
    for weight in (advice.W_BEFORE, advice.W_CONTEXT):
        ranking = advice.rank(knowledge, facts, "and that?", {}, seen=shown, context=before, context_weight=weight)
        assert not {s.item.id for s in ranking.scored} & set(shown)
    # asked for by its own words, it may come back, whatever the message before
    again = advice.rank(knowledge, facts, before, {}, seen=shown, context="what if i blank on a question")
    assert {s.item.id for s in again.scored} & set(shown)


def test_filler_with_its_apostrophe_dropped_is_still_filler(knowledge) -> None:
    plain = advice.terms("the dress code")
    assert advice.terms("whats the dress code") == advice.terms("what's the dress code") == plain
    assert advice.terms("thats the plan, hows it going") == advice.terms("plan going")
    facts = situation.Facts(values={"setting": "meal"})
    plain = advice.choose(advice.rank(knowledge, facts, "what is the dress code for the dinner", {}))
    typed = advice.choose(advice.rank(knowledge, facts, "whats the dress code for the dinner", {}))
    assert [s.item.id for s in typed][:1] == [s.item.id for s in plain][:1] == ["informal-setting-dress"]


def test_a_synonym_phrase_widens_its_words_only_when_the_whole_phrase_is_asked(knowledge) -> None:
    """ "stage fright" means nerves; "stage" alone ("what stage is the process at?") does not."""
    idx = advice.index(knowledge)
    nerves_only = [n for n in range(len(idx.entries)) if "nervous" in idx.vocab[n] and "stage" not in idx.vocab[n]]
    assert nerves_only
    words, alone = idx.read("what stage of the process is this")[1:]
    asked, phrase = idx.read("stage fright before the panel")[1:]
    assert "stage" in words and "stage" in asked
    assert not alone[nerves_only].any()  # no advice on nerves "speaks to" a question about the process's stage
    assert phrase[nerves_only].min() > 0
    # a phrase is found in other forms of its words: "called back" is "call back"
    inflected, plain = idx.widened("i got invited back again"), idx.widened("i got invite back again")
    assert inflected and {t: rows.tolist() for t, rows in inflected.items()} == {
        t: rows.tolist() for t, rows in plain.items()
    }


def test_the_check_at_a_dinner_is_the_bill(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("my second interview is a dinner at a restaurant with two managers")
    r = me.say("what about the check at the end, do i offer?")
    assert ids_shown(knowledge, r.text)[:1] == ["informal-setting-bill"]
