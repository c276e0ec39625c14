"""Issue 9: what the student says about their interview is kept, named back in their words and never asked again."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Interview
from tests.conftest import BotHarness


def _interviews(bot: BotHarness) -> list[Interview]:
    with bot.app.db.session() as s:
        return list(s.scalars(select(Interview).order_by(Interview.id)))


def test_an_answer_to_which_company_that_asks_for_tips_gets_both(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I have a second interview on Monday at 3pm")
    assert "Which company" in r.text
    r = me.say("it's with Northwind, any tips?")
    (interview,) = _interviews(bot)
    assert interview.company == "Northwind" and interview.has_time
    assert "• " in r.text  # the advice asked for, in the same reply
    assert "Northwind" in r.text


def test_a_whole_new_message_answering_the_question_keeps_the_time_and_gives_tips(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview on Monday at 3pm")
    r = me.say("Second round at Contoso on Monday, any tips")
    (interview,) = _interviews(bot)  # the same interview, not a second one
    assert interview.company == "Contoso" and interview.local_start is not None
    assert interview.local_start.hour == 15
    assert "• " in r.text


def test_an_answer_to_when_inside_a_question_is_recorded_and_the_question_answered(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("got a second interview at Fabrikam")
    assert "When is it" in r.text
    r = me.say("friday at 10, what should i prepare?")
    (interview,) = _interviews(bot)
    assert interview.local_start is not None and interview.local_start.day == 6 and interview.local_start.hour == 10
    assert "Prepare as hard as for round one" in r.text


def test_an_answer_to_what_time_with_a_question_gets_advice_on_that_question(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Litware on friday")
    r = me.say("3pm. any tips for a panel?")
    (interview,) = _interviews(bot)
    assert interview.has_time and interview.local_start is not None and interview.local_start.hour == 15
    assert "panel" in r.text.lower()


def test_same_manager_is_a_fact_not_a_name(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("second interview with Globex on friday at 2 with same manager")
    (interview,) = _interviews(bot)
    assert "same manager" not in " ".join(interview.interviewers)
    assert "same manager" not in r.text
    assert "someone you met in round one" not in r.text and "same person as in your first" not in r.text
    tips = me.say("should I tell the same stories as in round one?")
    assert "Seeing the same interviewer?" in tips.text  # the fact shapes the answer, without asking
    assert "?" not in tips.text.split("\n")[-1]


def test_the_same_person_as_last_time_names_nobody(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("2nd interview at Hooli thursday 11am with the same person as last time")
    (interview,) = _interviews(bot)
    assert interview.interviewers == []
    listing = me.say("what's coming up?")
    assert "same person" not in listing.text


def test_a_role_said_with_same_is_a_fact_too(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("dinner with the same hiring manager as last time at Initech on friday at 7")
    (interview,) = _interviews(bot)
    assert interview.interviewers == []  # "the same hiring manager" says who they are to the student: a fact


def test_the_setting_is_named_back_in_the_students_words(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("second interview with Acme on friday at 7, it's a dinner with Priya")
    assert "over dinner" in r.text and "informal setting" not in r.text
    assert "Since it's a dinner" in r.text
    listing = me.say("what's coming up?")
    assert "over dinner" in listing.text and "a meal or drinks" not in listing.text
    (interview,) = _interviews(bot)
    assert interview.setting == "informal" and interview.setting_words == "dinner"


def test_a_call_platform_is_named_back_and_a_change_of_words_is_kept(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("round 2 with Tailspin on teams tomorrow at 3")
    assert "on teams" in r.text
    r = me.say("actually it's on zoom")
    assert "on zoom" in r.text
    (interview,) = _interviews(bot)
    assert interview.setting == "video" and interview.setting_words == "zoom"


def test_a_meal_on_file_keeps_bar_only_advice_out(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Adventure Works on thursday at 12:30, lunch with two partners")
    r = me.say("what should I keep in mind about the setting?")
    assert "At a bar the easy mood" not in r.text


def test_a_plan_said_with_will_is_a_fact_but_a_question_is_not(knowledge) -> None:
    from bot.coaching.situation import detect

    said = detect(knowledge, "the second interview will be a video call with two managers")
    assert said["setting"].value == "video" and not said["setting"].hypothetical
    assert said["panel"].value == "panel" and not said["panel"].hypothetical
    assert detect(knowledge, "will it be on zoom?")["setting"].hypothetical


def test_words_of_a_longer_phrase_of_another_fact_say_only_that_one(knowledge) -> None:
    from bot.coaching.situation import detect

    said = detect(knowledge, "they told me today they picked someone else")
    assert said["outcome"].value == "rejected"
    assert "interviewer" not in said  # "someone else" is the other candidate here, not a new interviewer


def test_a_plan_stated_with_ill_shapes_the_next_answer(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I'll be meeting a panel of three on thursday at Contoso at 10am")
    r = me.say("any tips?")
    assert "Each of them forms their own opinion" in r.text


def test_advice_offered_on_news_comes_back_when_the_student_then_asks(bot: BotHarness, knowledge) -> None:
    from bot.coaching.situation import detect

    me = bot.chat()
    said = "my second round is going to be a tour of their plant next week"
    news = me.say(said)
    assert not detect(knowledge, said)["setting"].hypothetical
    offered = [line for line in news.text.splitlines() if line.startswith("• ")]
    assert offered  # advice for a site visit, offered without being asked
    asked = me.say("what will they be watching for while i'm there?")
    assert asked.text.splitlines()[1] in offered  # the best answer, though it was offered a moment ago


def test_more_after_news_goes_on_to_other_advice(bot: BotHarness) -> None:
    me = bot.chat()
    news = me.say("the CEO herself is doing my final interview")
    offered = {line for line in news.text.splitlines() if line.startswith("• ")}
    more = me.say("more")
    assert offered and not offered & {line for line in more.text.splitlines() if line.startswith("• ")}


def test_after_a_rejection_the_coach_does_not_ask_whether_they_are_still_waiting(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("got the call today, they went with another candidate")
    r = me.say("is it worth asking them what i could have done better?")
    assert "waiting to hear back" not in r.text.lower()
    assert "Just had the interview" not in r.buttons


def test_a_question_read_as_a_listing_with_nothing_to_list_is_answered(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("the written offer came through by email this afternoon")
    r = me.say("do i have to answer today?")
    assert "no upcoming interviews" not in r.text
    assert "A written offer gives you breathing room" in r.text


def test_what_now_after_a_rejection_is_not_read_as_just_after_the_interview(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Wingtip today at 9am")
    me.say("they just emailed, they went with someone else")
    r = me.say("ok so what do i do now")
    assert "Before anything else, write down what was discussed" not in r.text
    assert "Send a short thank-you" not in r.text


def test_facts_said_in_plain_or_non_native_words_are_read(knowledge) -> None:
    from bot.coaching.situation import detect

    def said(text: str) -> dict[str, str]:
        return {name: f.value + ("?" if f.hypothetical else "") for name, f in detect(knowledge, text).items()}

    assert said("this time is other person, i never talk with her before") == {"interviewer": "new"}
    assert said("round 2 is with the woman I spoke to last time") == {"interviewer": "same"}
    assert said("the recruiter told me I'd be meeting the same people") == {"interviewer": "same"}
    assert said("there will be 4 interviewers") == {"panel": "panel"}
    assert said("round two will be on the phone") == {"setting": "phone"}
    assert said("they want me to present a short business case") == {"presentation": "presentation"}
    assert said("i pulled my application this morning") == {"outcome": "withdrawn"}
    assert said("said yes to their offer last night") == {"outcome": "accepted"}
    assert "presentation" not in said("i want to present myself well")


def test_a_corrected_setting_keeps_the_right_words(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second round w/ Northwind friday 2pm over zoom")
    r = me.say("sorry it's on teams not zoom")
    assert "on teams" in r.text
    (interview,) = _interviews(bot)
    assert interview.setting_words == "teams"


def test_an_outcome_that_could_be_about_several_interviews_asks_which(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Initech on Friday at 3pm")
    me.say("second interview with Contoso on Monday at 10am")
    r = me.say("I withdrew")
    assert "Which interview should I note that for" in r.text
    assert all(i.outcome is None for i in _interviews(bot))  # nothing recorded on a guess
    me.press(r.button("Contoso"))
    contoso = next(i for i in _interviews(bot) if i.company == "Contoso")
    assert contoso.outcome == "withdrawn" and contoso.status == "cancelled"
    listing = me.say("what's coming up?")
    assert "Initech" in listing.text and "Contoso" not in listing.text


def test_an_answer_to_which_company_keeps_the_other_details_it_gives(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview on Monday at 3pm")
    r = me.say("Adatum, over skype with Femi Adebayo")
    (interview,) = _interviews(bot)
    assert interview.company == "Adatum" and interview.interviewers == ["Femi Adebayo"]
    assert interview.setting == "video" and "on skype" in r.text


def test_several_people_in_one_entry_are_asked_about_in_the_plural(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Proseware on friday")
    r = me.say("3pm, lunch with two senior engineers")
    assert "Did you meet two senior engineers in round one, or are they new to you?" in r.text


def test_a_fact_said_in_the_plural_is_read(knowledge) -> None:
    from bot.coaching.situation import detect

    assert detect(knowledge, "I'm meeting two directors on friday")["executive"].value == "executive"
    assert "interviewer" not in detect(knowledge, "still no news from them")


def test_a_question_while_the_coach_asks_for_the_company_is_no_company(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("dinner with the same hiring manager as last time on friday")
    me.say("who pays?")
    (interview,) = _interviews(bot)
    assert interview.company is None
    r = me.say("Globex")
    assert "Did you want me to change your interview: the company to Globex?" in r.text
    me.press(r.button("Yes"))
    (interview,) = _interviews(bot)  # the interview it completes, not a second one
    assert interview.company == "Globex" and interview.setting_words == "dinner"


def test_the_interview_on_file_says_how_long_ago_it_was(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had my second interview with Northwind yesterday at 2pm")
    r = me.say("should I send a thank you?")
    assert "waiting to hear back" not in r.text.lower()  # not asked: the interview on file says it just happened
    assert "Keep the thank-you quick" in r.text
    bot.advance(days=8)
    r = me.say("should I email them?")
    assert "waiting to hear back" not in r.text.lower()
    assert "Keep the thank-you quick" not in r.text and "Before anything else, write down" not in r.text


def test_a_fact_with_a_typo_is_read_but_a_different_word_is_not(knowledge) -> None:
    from bot.coaching.situation import detect

    assert detect(knowledge, "its a diner with my future boss")["setting"].value == "meal"
    assert detect(knowledge, "they rejectd me yesterday")["outcome"].value == "rejected"
    assert detect(knowledge, "round 2 is a virtaul interview")["setting"].value == "video"
    assert "executive" not in detect(knowledge, "the company was founded in 2010")
    assert detect(knowledge, "what's coming up?") == {}  # "coming" is no typo of "coding"
    assert "tough" not in detect(knowledge, "dinner at the Capital Grille")


def test_a_stated_fact_with_a_typo_shapes_the_next_answer(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("2nd interview is a vidoe call on thursday")
    r = me.say("they want a 10 min presentation, what should I check beforehand?")
    assert "Presenting on a call?" in r.text


def test_whether_to_send_thank_yous_after_a_no_is_answered_not_drafted(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Woodgrove today at 9am")
    me.say("they emailed, it's a no")
    r = me.say("should i still send the thank you emails i drafted?")
    assert all(reply.kind != "thank_you_draft" for reply in r)
    assert "Subject:" not in r.text
    drafts = me.say("draft my thank-you emails")  # asked for, they still come
    assert "Subject:" in drafts.text


def test_a_no_said_in_so_many_words_is_recorded_without_asking(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had my 2nd interview with Datum yesterday at 3pm")
    r = me.say("just got the email, they went with someone else")
    (interview,) = _interviews(bot)
    assert interview.outcome == "rejected"
    assert "Noted for your Datum interview: they said no" in r.text


def test_setting_advice_names_the_interview_s_setting_as_the_student_did(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second round with Tailspin next friday at 7pm over dinner")
    r = me.say("what are the rules for a dinner interview?")
    assert "Tailspin interview" in r.text and "is over dinner." in r.text
    assert "informal setting" not in r.text
