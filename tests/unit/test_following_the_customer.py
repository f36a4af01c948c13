"""The turns real customers take: corrections, asks in complaint words, insults with a
complaint in them, questions after a fix, and authority held on every path."""

from __future__ import annotations

from actions.boundaries import ActionSetBoundary
from actions.complaint import (
    ActionAcknowledgeComplaint,
    ActionAskWhatWasMissed,
    ActionProposeFix,
    ActionRestateComplaint,
    ActionStateLimits,
)
from actions.handoff import ActionHandOff
from actions.orders import ActionHandleCancelOrder
from actions.phrasing import phrasebook
from actions.questions import ActionAnswerTimeline, ActionRepeatOptions
from actions.resolution import ActionAcceptProposedFix, ActionEvaluateFairAsk
from actions.services import case_records
from actions.struggle import ActionHandleNluFallback
from tests.unit.builders import Conversation, entity


def said(chat: Conversation, key: str) -> list[str]:
    """What the bot said as phrase ``key``, in either wording: these visitors are
    anonymous, so grants and cancellations come as ``<key>_unverified`` where there is one."""
    book = phrasebook()
    keys = [key, *([f"{key}_unverified"] if f"{key}_unverified" in book.phrases else [])]
    return [text for text in chat.said if any(book.matches(k, text) for k in keys)]


async def complain_billing(chat: Conversation, amount: str | None) -> None:
    entities = [entity("order_id", "48213")] + ([entity("amount", amount)] if amount else [])
    await chat.turn(
        "complain_billing",
        f"charged me twice for order 48213. {amount or ''} taken two times",
        ActionAcknowledgeComplaint(),
        ActionRestateComplaint(),
        entities=entities,
    )


async def test_a_double_charge_above_the_limit_is_not_proposed_and_a_person_is_offered(
    domain, redis_client
):
    chat = Conversation(domain, "double-charge")
    await complain_billing(chat, "$89.90")

    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())

    assert (
        said(chat, "beyond_authority_note") and "$89.90" in said(chat, "beyond_authority_note")[0]
    )
    assert said(chat, "offer_human_beyond_authority")
    assert not said(chat, "propose_fix") and not said(chat, "propose_only_fix")
    assert chat.slots["dialogue_stage"] == "human_offered"


async def test_refunding_the_second_charge_of_89_90_goes_to_a_person(domain, redis_client):
    chat = Conversation(domain, "second-charge")
    await complain_billing(chat, "$89.90")
    chat.slots["dialogue_stage"] = "fix_proposed"

    await chat.turn("request_refund", "just refund the second charge", ActionEvaluateFairAsk())

    assert not said(chat, "confirm_resolution")
    assert chat.slots["dialogue_stage"] == "handed_off"


async def test_an_amount_nobody_stated_is_asked_for_before_anything_is_proposed(
    domain, redis_client
):
    chat = Conversation(domain, "unknown-amount")
    await complain_billing(chat, None)

    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())

    assert said(chat, "ask_amount")
    assert chat.slots["dialogue_stage"] == "complaint_restated"


async def test_accepting_a_fix_rechecks_the_authority(domain, redis_client):
    chat = Conversation(domain, "recheck")
    await complain_billing(chat, "$30")
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())
    chat.slots["amount"] = "$300"  # corrected upwards since

    await chat.turn("affirm", "ok do it", ActionAcceptProposedFix())

    assert not said(chat, "confirm_resolution")
    assert chat.slots["dialogue_stage"] == "handed_off"


async def test_a_fix_asked_for_in_complaint_words_is_the_fair_ask(domain, redis_client):
    chat = Conversation(domain, "reset-link")
    await chat.turn(
        "complain_account_access", "I can't log in", ActionAcknowledgeComplaint(),
        ActionRestateComplaint(),
    )  # fmt: skip
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())

    await chat.turn(
        "complain_account_access",
        "send me a fresh reset link then",
        ActionAcknowledgeComplaint(),
        ActionRestateComplaint(),
    )

    [confirmation] = said(chat, "confirm_resolution")
    assert "reset link" in confirmation
    assert len(said(chat, "restate_complaint")) == 1  # not restated again
    assert chat.slots["dialogue_stage"] == "resolved"


async def test_details_after_a_restatement_are_not_taken_for_an_ask(domain, redis_client):
    chat = Conversation(domain, "details")
    await chat.turn("complain_damaged_item", "my kettle arrived smashed",
                    ActionAcknowledgeComplaint(), ActionRestateComplaint())  # fmt: skip

    await chat.turn("inform", "it cost $45", ActionRestateComplaint(),
                    entities=[entity("amount", "$45")])  # fmt: skip

    assert not said(chat, "confirm_resolution")
    assert "$45" in said(chat, "restate_complaint")[-1]


async def test_a_two_part_counter_ask_grants_one_part_and_hands_over_the_other(
    domain, redis_client
):
    chat = Conversation(domain, "two-part")
    await chat.turn("complain_late_delivery", "my order 51877 is late",
                    ActionAcknowledgeComplaint(), ActionRestateComplaint(),
                    entities=[entity("order_id", "51877")])  # fmt: skip
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())

    await chat.turn(
        "propose_resolution",
        "refund the delivery fee and give me 40% off for the trouble",
        ActionEvaluateFairAsk(),
    )

    [partial] = said(chat, "partial_grant")
    assert "delivery fee" in partial and "40%" in partial
    assert chat.slots["last_reference"]
    assert chat.slots["dialogue_stage"] == "handed_off"


async def test_what_can_you_do_repeats_the_options_and_how_long_is_answered(domain, redis_client):
    chat = Conversation(domain, "questions")
    await chat.turn("complain_damaged_item", "the lamp came broken",
                    ActionAcknowledgeComplaint(), ActionRestateComplaint())  # fmt: skip
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())

    await chat.turn("ask_options", "what can you do?", ActionRepeatOptions())
    await chat.turn("affirm", "the replacement then", ActionAcceptProposedFix())
    await chat.turn(
        "ask_timeline", "how long will the replacement take? will I get an email?",
        ActionAnswerTimeline(),
    )  # fmt: skip

    [options] = said(chat, "repeat_options")
    assert "replacement" in options
    [answer] = said(chat, "answer_timeline")
    assert "2-3 working days" in answer and "email" in answer
    assert chat.slots["last_reference"] in answer


async def test_an_insult_with_a_complaint_gets_the_boundary_and_the_complaint_is_heard(
    domain, redis_client
):
    chat = Conversation(domain, "insult-complaint")

    await chat.turn(
        "insult",
        "your staff are idiots. my boots from order 23345 are still not here after 10 days",
        ActionSetBoundary(),
        entities=[entity("order_id", "23345"), entity("waited", "10 days")],
        signals={"abuse": True, "classified_as": "complain_late_delivery"},
    )

    assert said(chat, "abuse_boundary")
    assert "23345" in said(chat, "restate_complaint")[0]
    assert chat.slots["dialogue_stage"] == "complaint_restated"

    await chat.turn("insult", "stupid bot", ActionSetBoundary())

    [ending] = said(chat, "abuse_end")
    assert "23345" in ending  # the open request is kept
    assert chat.slots["dialogue_stage"] == "ended_after_abuse"


async def test_a_correction_with_new_content_replaces_what_it_denies(domain, redis_client):
    chat = Conversation(domain, "correction")
    await chat.turn(
        "complain_late_delivery", "my trainers are late and damaged",
        ActionAcknowledgeComplaint(), ActionRestateComplaint(),
        entities=[entity("problem", "damaged_item")],
    )  # fmt: skip

    await chat.turn(
        "deny", "No. It arrived fine and it's not late. I was charged twice",
        ActionAskWhatWasMissed(),
        entities=[entity("problem", "billing")],
        signals={"classified_as": "complain_late_delivery", "denial": True},
    )  # fmt: skip

    assert chat.slots["complaint_categories"] == ["billing"]
    restated = said(chat, "restate_complaint")[-1]
    assert "charged" in restated and "arrived" not in restated


async def test_saying_cancel_again_while_confirming_cancels(domain, redis_client):
    chat = Conversation(domain, "cancel-again")
    await chat.turn("cancel_order", "cancel order 61402", ActionHandleCancelOrder(),
                    entities=[entity("order_id", "61402")])  # fmt: skip

    await chat.turn("cancel_order", "yes please cancel it", ActionHandleCancelOrder())

    assert said(chat, "order_cancelled")
    assert chat.slots["dialogue_stage"] == "resolved"


async def test_asking_for_a_refund_in_an_open_complaint_is_judged_not_restated(
    domain, redis_client
):
    chat = Conversation(domain, "refund-in-complaint")
    await complain_billing(chat, "$59.99")

    await chat.turn(
        "request_refund", "refund the $59.99, obviously", ActionAcknowledgeComplaint(),
        ActionRestateComplaint(), entities=[entity("amount", "$59.99")],
    )  # fmt: skip

    assert len(said(chat, "restate_complaint")) == 1
    assert not said(chat, "confirm_resolution")
    assert chat.slots["dialogue_stage"] == "handed_off"


async def test_a_short_ask_the_classifier_missed_is_still_the_fair_ask(domain, redis_client):
    chat = Conversation(domain, "unlock")
    await chat.turn("complain_account_access", "locked out", ActionAcknowledgeComplaint(),
                    ActionRestateComplaint())  # fmt: skip
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())

    await chat.turn("nlu_fallback", "please unlock it", ActionHandleNluFallback())

    [confirmation] = said(chat, "confirm_resolution")
    assert "unlock" in confirmation


async def test_a_denial_that_complains_of_something_else_takes_the_classifiers_guess(
    domain, redis_client
):
    chat = Conversation(domain, "guess")
    await chat.turn("complain_late_delivery", "my tickets came late", ActionAcknowledgeComplaint(),
                    ActionRestateComplaint())  # fmt: skip

    await chat.turn(
        "deny", "No. They arrived fine and they're not late. The seats are the wrong ones",
        ActionAskWhatWasMissed(),
        signals={"classified_as": "complain_late_delivery",
                 "complaint_guesses": ["complain_late_delivery", "complain_wrong_item"]},
    )  # fmt: skip

    assert chat.slots["complaint_categories"] == ["wrong_item"]
    assert said(chat, "restate_complaint")[-1].count("the wrong item") == 1


async def test_a_long_rant_the_classifier_missed_is_heard_not_rephrased(domain, redis_client):
    chat = Conversation(domain, "rant")

    await chat.turn(
        "nlu_fallback",
        "THREE WEEKS OF EMAILS AND NOT ONE ANSWER. WORST SITE I HAVE EVER HAD TO USE!!!",
        ActionHandleNluFallback(),
    )

    assert said(chat, "acknowledge_vent")
    assert not said(chat, "ask_to_rephrase")


async def test_after_a_boundary_the_options_repeated_know_the_amount(domain, redis_client):
    chat = Conversation(domain, "boundary-options")
    await complain_billing(chat, "$20")
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())

    await chat.turn("insult", "you morons", ActionSetBoundary())

    [options] = said(chat, "repeat_options")
    assert "($20)" in options


async def test_a_complaint_beside_a_request_for_a_person_goes_with_the_handoff(
    domain, redis_client
):
    chat = Conversation(domain, "alongside")

    await chat.turn(
        "request_human", "my parcel is late, can I speak to a real person please",
        ActionHandOff(), signals={"classified_as": "complain_late_delivery"},
    )  # fmt: skip

    [request] = await case_records().handoff_requests("alongside")
    assert request.categories == ["late_delivery"]
    assert chat.slots["complaint_categories"] == ["late_delivery"]
    assert chat.slots["dialogue_stage"] == "handed_off"
