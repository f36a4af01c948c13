"""bot/nlu/signals.py and the intent MessageSignals sets from them."""

from __future__ import annotations

import pytest

from bot.nlu.message_signals import read_signals
from bot.nlu.signals import (
    asks_for_person,
    is_abusive,
    no_language,
    other_language,
    sounds_like_venting,
)


@pytest.mark.parametrize(
    "text",
    [
        "my order 48213 is 2 weeks late and nobody answers, can I speak to a real person please",
        "I have explained this three times already. I just want a human",
        "this bot is going in circles, get me a person",
        "human please",
        "Can I talk to your manager?",
        "put me through to someone from billing",
        "my parcel is late, HUMAN PLEASE",
        "can someone call me about this",
        "have somebody ring me back tomorrow",
        "I want a callback",
        "please escalate this",
        "transfer me to billing",
        "I'm sick of talking to a bot",
        "speak to ur manager",
        "agent now!!",
        "it doesnt work at all, real person please",
        "can someone senior call me?",
        "can someone from billing contact me",
        "I want to talk to her manager",
        "I said I want to speak to a manager",
        "agent plz",
        "escalate pls",
        "call me",
        "callback please",
        "can I speak with the store manager",
        "can i talk to ur boss",
        "put the manager on",
        "Could a real human look at this rather than an automated reply",
        "I want this escalated to a manager.",
        "Could a member of your team give me a call on 020 7946 0321?",
        "I'd rather someone rang me to explain.",
        "give me a phone number for a real person",
        "can u get someone on the phone",
        "I would like a call back from your team",
        "i'd like to talk to whoever is in charge",
    ],
)
def test_a_request_for_a_person_is_found_anywhere_in_a_message(text):
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "I spoke to a person yesterday who was rude",
        "I need a person to sign for the parcel",
        "Does the TV support HDMI 2.1?",
        "the delivery person left it outside",
        "do your staff work weekends?",
        "I want someone to collect it",
        "I need someone to come and fix it",
        "is this a bot?",
        "the courier called me at 6am",
        "the manager promised to call me back the same day",
        "I'd like to talk to someone about becoming a supplier to your stores",
        "do I need to speak to someone to book a group ticket?",
        "the agent said he'd escalate my complaint, he clearly never did",
    ],
)
def test_people_mentioned_without_asking_for_one_are_not_a_request(text):
    assert not asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    ["you are all useless idiots", "stupid bot", "your staff are a bunch of clowns",
     "f*** you", "screw you guys", "you morons"],
)  # fmt: skip
def test_insults_at_the_staff_or_the_bot_are_abuse(text):
    assert is_abusive(text)


@pytest.mark.parametrize(
    "text",
    ["this is fucking ridiculous, my order is late", "you sent me the wrong fucking item",
     "why did you charge me twice", "the worst service I have ever had"],
)  # fmt: skip
def test_swearing_about_the_situation_is_not_abuse(text):
    assert not is_abusive(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("<div>", "markup"), ("<b></b>", "markup"), ("😡😡😡", "emoji"), ("!!!???", "symbols"),
     ('console.log("hi")', "code"), ("SELECT * FROM orders;", "code"), ("asdfgh jkl", "mash")],
)  # fmt: skip
def test_text_with_no_language_in_it_is_recognised(text, kind):
    assert no_language(text) == kind


@pytest.mark.parametrize("text", ["48213", "hello", "<p>my order is late</p>", "ok", "$20"])
def test_words_and_numbers_are_language(text):
    assert no_language(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("Hola, mi pedido no ha llegado y estoy muy enfadado", "es"),
     ("je veux un remboursement", "fr"), ("wo ist meine Bestellung", "de")],
)  # fmt: skip
def test_another_language_is_detected(text, code):
    assert other_language(text) == code


@pytest.mark.parametrize(
    "text",
    ["my order is late", "hola", "the jacket is too small", "item never came mate",
     "refund please now", "wheres my stuff"],
)  # fmt: skip
def test_english_and_short_greetings_are_not_another_language(text):
    assert other_language(text) is None


def test_a_long_capitalised_rant_sounds_like_venting():
    rant = (
        "I HAVE EMAILED YOU FIVE TIMES IN THREE WEEKS AND NOBODY HAS EVER ANSWERED. "
        "THIS IS THE WORST COMPANY I HAVE EVER DEALT WITH"
    )
    assert sounds_like_venting(rant)
    assert not sounds_like_venting("this is ridiculous")


# --- the intent MessageSignals sets ---------------------------------------------------------


def test_a_person_request_inside_a_complaint_becomes_request_human_and_keeps_the_complaint():
    intent, found = read_signals(
        "my parcel is late, can I speak to a real person please", "complain_late_delivery", 0.9
    )
    assert intent == "request_human"
    assert found["classified_as"] == "complain_late_delivery"
    assert found["person_request"]


def test_markup_is_never_a_complaint():
    intent, found = read_signals("<div>", "complain_service", 0.8)
    assert intent == "nlu_fallback"
    assert found["no_language"] == "markup"


def test_spanish_is_answered_as_another_language():
    intent, found = read_signals("Hola, mi pedido no ha llegado", "complain_late_delivery", 0.7)
    assert intent == "nlu_fallback"
    assert found["language"] == "es"


def test_an_insult_becomes_insult_and_an_insult_with_a_request_still_hands_off():
    assert read_signals("you are useless idiots", "vent", 0.8)[0] == "insult"
    intent, found = read_signals("you idiots, get me a human", "vent", 0.8)
    assert intent == "request_human"
    assert found["abuse"]


def test_a_no_with_a_correction_is_a_denial_with_what_it_denies():
    intent, found = read_signals(
        "No. It arrived fine and it's not late", "complain_late_delivery", 0.8
    )
    assert intent == "deny"
    assert found["denied"] == ["late_delivery", "damaged_item", "lost_parcel"]


def test_a_rant_without_an_order_number_is_venting_whatever_the_classifier_guesses():
    rant = "I HAVE WAITED WEEKS AND NOBODY EVER ANSWERS ANY OF MY EMAILS, THIS IS A DISGRACE"
    assert read_signals(rant, "nlu_fallback", 0.3)[0] == "vent"
    assert read_signals(rant, "complain_service", 0.95)[0] == "vent"
    with_order = rant + " ORDER 48213"
    assert (
        read_signals(with_order, "complain_service", 0.95, entities=frozenset({"order_id"}))[0]
        is None
    )


def test_a_short_shouted_outburst_naming_nothing_is_venting():
    assert read_signals("AND DON'T TELL ME TO WAIT AGAIN", "complain_late_delivery", 0.6)[0] == (
        "vent"
    )
    assert read_signals("MY PARCEL IS LATE", "complain_late_delivery", 0.6,
                        entities=frozenset({"problem"}))[0] is None  # fmt: skip
    # Unsure, and long enough to be rescued as a complaint: the outburst is heard first.
    assert read_signals("AND DON'T TELL ME TO WAIT AGAIN", "nlu_fallback", 0.45,
                        runner_up=("complain_late_delivery", 0.9))[0] == "vent"  # fmt: skip


def test_the_classifier_alone_does_not_hand_over_without_words_asking_for_a_person():
    intent, found = read_signals(
        "a replacement please", "request_human", 0.6, alternative=("propose_resolution", 0.2)
    )
    assert (intent, found["person_unconfirmed"]) == ("propose_resolution", True)
    assert read_signals("sort it", "request_human", 0.6, alternative=("deny", 0.05))[0] == (
        "nlu_fallback"
    )
    assert read_signals("get me a human", "request_human", 0.6)[0] == "request_human"


def test_a_long_inform_naming_a_problem_is_that_complaint():
    text = "the bread in order 84451 was mouldy, it cost $3.80"
    intent, found = read_signals(
        text, "inform", 0.9, entities=frozenset({"problem", "order_id"}),
        problem_categories=("not_as_described",),
    )  # fmt: skip
    assert (intent, found["complaint_from_details"]) == ("complain_not_as_described", True)
    assert (
        read_signals("it was mouldy", "inform", 0.9, problem_categories=("not_as_described",))[0]
        is None
    )


def test_an_ordinary_complaint_keeps_its_intent():
    assert (
        read_signals("my order 48213 is two weeks late", "complain_late_delivery", 0.97)[0] is None
    )


def test_an_unsure_complaint_with_an_order_number_is_that_complaint():
    intent, found = read_signals(
        "my shopping came 3 hours late and the strawberries weren't even in the bags!! order 61730",
        "nlu_fallback",
        0.4,
        runner_up=("complain_late_delivery", 0.4),
        entities=frozenset({"order_id", "waited"}),
    )
    assert intent == "complain_late_delivery"
    assert found["rescued_from_fallback"]


def test_an_unsure_guess_without_details_stays_a_fallback():
    intent, _ = read_signals(
        "hmm well about that thing", "nlu_fallback", 0.3, runner_up=("complain_billing", 0.3)
    )
    assert intent is None


@pytest.mark.parametrize(
    "text",
    ["for (let i = 0; i < 10; i++) { console.log(i); }", "<script>alert(1)</script>",
     "'; DROP TABLE orders;--", "SELECT * FROM USERS WHERE ID=1"],
)  # fmt: skip
def test_code_with_numbers_in_it_is_still_code(text):
    assert no_language(text) == "code"
    assert read_signals(text, "vent", 0.9)[0] == "nlu_fallback"


def test_keyboard_mash_is_not_another_language():
    _, found = read_signals("asdkjhaskdjh qwpoeiru zxmcnv", "nlu_fallback", 0.2)
    assert found.get("no_language") == "mash"
    assert "language" not in found


def test_an_unsure_complaint_gives_way_to_the_guess_its_problem_phrase_names():
    intent, found = read_signals(
        "the strap on my new handbag was torn when it arrived, I paid $38 for it",
        "complain_billing",
        0.46,
        entities=frozenset({"problem", "amount", "product"}),
        complaint_guesses=("complain_billing", "complain_damaged_item"),
        problem_categories=("damaged_item",),
    )
    assert intent == "complain_damaged_item"
    assert found["complaint_from_problem_phrase"]


@pytest.mark.parametrize(
    ("confidence", "guesses", "problems"),
    [
        (0.9, ("complain_billing", "complain_damaged_item"), ("damaged_item",)),  # sure
        (0.46, ("complain_billing",), ("damaged_item",)),  # the phrase names no guess
        (0.46, ("complain_billing", "complain_damaged_item"), ("billing", "damaged_item")),
    ],
)
def test_a_sure_intent_or_a_phrase_of_its_own_category_keeps_the_intent(
    confidence: float, guesses: tuple[str, ...], problems: tuple[str, ...]
) -> None:
    intent, found = read_signals(
        "charged twice and the strap was torn when it arrived",
        "complain_billing",
        confidence,
        entities=frozenset({"problem"}),
        complaint_guesses=guesses,
        problem_categories=problems,
    )
    assert intent is None
    assert "complaint_from_problem_phrase" not in found
