"""actions/complaint.py: acknowledge, restate, state the limits, propose a fix."""

from __future__ import annotations

import re

import pytest

from actions.complaint import (
    NUMBER_WORDS,
    ActionAcknowledgeComplaint,
    ActionAskWhatWasMissed,
    ActionAskWhatWouldBeFair,
    ActionProposeFix,
    ActionRestateComplaint,
    ActionStateLimits,
)
from actions.phrasing import phrasebook
from bot.business import DEFAULT_BUSINESS_FILE, load_business_rules
from tests.unit.builders import entity, make_tracker, slot_events, texts, with_slots

RULES = load_business_rules(DEFAULT_BUSINESS_FILE)


def apology(category: str) -> str:
    return RULES.category(category).apology


# --- acknowledge ---------------------------------------------------------------------


async def test_one_problem_gets_one_acknowledgement_with_its_apology(dispatcher, domain):
    tracker = make_tracker("complain_damaged_item", "my lamp arrived smashed")

    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("acknowledge_complaint", text)
    assert apology("damaged_item") in text
    slots = slot_events(events)
    assert slots["complaint_categories"] == ["damaged_item"]


async def test_three_problems_are_each_named_and_apologised_for(dispatcher, domain):
    tracker = make_tracker(
        "complain_late_delivery",
        "it's late, the box was crushed and you charged me twice",
        entities=[entity("problem", "damaged_item"), entity("problem", "billing")],
    )

    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("acknowledge_problems", text)
    assert "Three" in text or "three" in text
    for category in ("late_delivery", "damaged_item", "billing"):
        assert apology(category) in text
    assert slot_events(events)["complaint_categories"] == [
        "late_delivery",
        "damaged_item",
        "billing",
    ]


async def test_a_problem_named_twice_is_apologised_for_once(dispatcher, domain):
    tracker = make_tracker(
        "complain_billing",
        "you charged me twice, double charged!",
        entities=[entity("problem", "billing"), entity("problem", "billing")],
    )

    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("acknowledge_complaint", text)
    assert text.count(apology("billing")) == 1
    assert slot_events(events)["complaint_categories"] == ["billing"]


async def test_a_new_problem_in_an_open_complaint_is_the_only_one_apologised_for(
    dispatcher, domain
):
    tracker = make_tracker(
        "inform",
        "and it's the wrong colour too",
        entities=[entity("problem", "wrong_item")],
        slots={
            "complaint_open": True,
            "complaint_categories": ["late_delivery"],
            "dialogue_stage": "complaint_restated",
        },
    )

    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("acknowledge_complaint", text)
    assert apology("wrong_item") in text
    assert apology("late_delivery") not in text
    assert slot_events(events)["complaint_categories"] == ["late_delivery", "wrong_item"]


async def test_a_complaint_after_a_resolved_one_starts_afresh(dispatcher, domain):
    tracker = make_tracker(
        "complain_damaged_item",
        "now the lamp is broken",
        slots={"complaint_categories": ["billing"], "dialogue_stage": "resolved"},
    )

    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)

    assert apology("billing") not in texts(dispatcher)[0]
    assert slot_events(events)["complaint_categories"] == ["damaged_item"]


@pytest.mark.parametrize("closed_stage", ["resolved", "handed_off", "awaiting_order_to_cancel"])
async def test_a_new_complaint_after_a_closed_one_is_restated(dispatcher, domain, closed_stage):
    # Rasa runs acknowledge, then restate, in the same turn (data/rules/complaint.yml).
    slots = {"complaint_categories": ["billing"], "dialogue_stage": closed_stage}
    message = {"intent": "complain_damaged_item", "text": "now the lamp arrived broken"}
    acknowledged = await ActionAcknowledgeComplaint().run(
        dispatcher, make_tracker(**message, slots=slots), domain
    )

    events = await ActionRestateComplaint().run(
        dispatcher, make_tracker(**message, slots=with_slots(slots, acknowledged)), domain
    )

    assert phrasebook().matches("restate_complaint", texts(dispatcher)[-1])
    assert "arrived damaged" in texts(dispatcher)[-1]
    assert slot_events(events) == {"dialogue_stage": "complaint_restated"}


# --- restate -------------------------------------------------------------------------


async def test_the_restatement_carries_the_customers_details(dispatcher, domain):
    tracker = make_tracker(
        slots={
            "complaint_open": True,
            "complaint_categories": ["late_delivery", "billing"],
            "order_id": "#48213",
            "product": "kettle",
            "amount": "$34.99",
        }
    )

    events = await ActionRestateComplaint().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("restate_complaint", text)
    assert "order #48213" in text
    assert "kettle" in text
    assert "$34.99" in text
    assert slot_events(events) == {"dialogue_stage": "complaint_restated"}


async def test_the_restatement_names_every_open_problem(dispatcher, domain):
    tracker = make_tracker(
        slots={
            "complaint_open": True,
            "complaint_categories": ["late_delivery", "wrong_item"],
            "order_id": "48213",
        }
    )

    await ActionRestateComplaint().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert "your order #48213 hasn't arrived yet" in text
    assert (
        "your order #48213 hasn't arrived yet, and you were sent the wrong item instead of it"
        in text
    )


async def test_the_restatement_uses_the_latest_value_of_a_list_slot(dispatcher, domain):
    tracker = make_tracker(
        slots={
            "complaint_open": True,
            "complaint_categories": ["late_delivery"],
            "order_id": ["11111", "ORD-22222"],
        }
    )

    await ActionRestateComplaint().run(dispatcher, tracker, domain)

    assert "order #22222" in texts(dispatcher)[0]
    assert "11111" not in texts(dispatcher)[0]


async def test_restating_with_no_complaint_asks_what_happened(dispatcher, domain):
    events = await ActionRestateComplaint().run(dispatcher, make_tracker(), domain)

    assert [message["response"] for message in dispatcher.messages] == ["utter_ask_what_happened"]
    assert events == []


async def test_the_correction_question_moves_to_correcting(dispatcher, domain):
    slots = {"complaint_open": True, "complaint_categories": ["late_delivery"]}
    events = await ActionAskWhatWasMissed().run(
        dispatcher, make_tracker("deny", slots=slots), domain
    )

    [text] = texts(dispatcher)
    assert phrasebook().matches("ask_what_was_missed", text)
    assert slot_events(events) == {"dialogue_stage": "correcting", "restatement_rejections": 1}


async def test_a_bare_no_with_no_complaint_open_offers_help(dispatcher, domain):
    events = await ActionAskWhatWasMissed().run(dispatcher, make_tracker("deny", "no"), domain)

    assert dispatcher.messages[0]["response"] == "utter_ask_how_can_i_help"
    assert slot_events(events) == {"dialogue_stage": None}


async def test_a_no_that_names_a_problem_with_no_complaint_open_is_the_complaint(
    dispatcher, domain
):
    tracker = make_tracker(
        "deny",
        "no, I ordered it in large, not medium",
        signals={"classified_as": "deny", "complaint_guesses": ["complain_wrong_item"]},
    )

    events = await ActionAskWhatWasMissed().run(dispatcher, tracker, domain)

    assert phrasebook().matches("acknowledge_complaint", texts(dispatcher)[0])
    assert phrasebook().matches("restate_complaint", texts(dispatcher)[1])
    assert slot_events(events)["dialogue_stage"] == "complaint_restated"


# --- limits and proposal -------------------------------------------------------------


async def test_the_limits_are_stated_for_each_open_problem(dispatcher, domain):
    categories = ["late_delivery", "billing"]
    tracker = make_tracker(
        "affirm",
        slots={
            "complaint_open": True,
            "complaint_categories": categories,
            "dialogue_stage": "complaint_restated",
        },
    )

    events = await ActionStateLimits().run(dispatcher, tracker, domain)

    said = texts(dispatcher)
    assert len(said) == 2
    for text, category_id in zip(said, categories, strict=True):
        category = RULES.category(category_id)
        assert phrasebook().matches("state_limits", text)
        assert category.name in text
        assert category.can in text
        assert category.cannot in text
    assert events == []


async def test_the_proposal_offers_the_first_fix_that_needs_no_approval(dispatcher, domain):
    tracker = make_tracker(
        "affirm",
        slots={
            "complaint_open": True,
            "complaint_categories": ["late_delivery"],
            "dialogue_stage": "complaint_restated",
        },
    )

    events = await ActionProposeFix().run(dispatcher, tracker, domain)

    fixes = RULES.category("late_delivery").fixes
    [text] = texts(dispatcher)
    assert phrasebook().matches("propose_fix", text)
    assert fixes[0].text in text
    assert fixes[1].text in text
    assert fixes[2].text not in text  # the full refund needs a colleague's approval
    assert slot_events(events) == {
        "proposed_fix": "refund_delivery_fee",
        "dialogue_stage": "fix_proposed",
    }


async def test_the_proposal_is_about_the_first_problem_raised(dispatcher, domain):
    tracker = make_tracker(
        "affirm",
        slots={"complaint_open": True, "complaint_categories": ["account_access", "late_delivery"]},
    )

    events = await ActionProposeFix().run(dispatcher, tracker, domain)

    assert RULES.category("account_access").fixes[0].text in texts(dispatcher)[0]
    assert slot_events(events)["proposed_fix"] == "reset_link"


async def test_a_category_with_a_single_grantable_fix_gets_the_single_fix_phrase(
    dispatcher, domain
):
    tracker = make_tracker(
        "affirm", slots={"complaint_open": True, "complaint_categories": ["service"]}
    )

    events = await ActionProposeFix().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("propose_only_fix", text)
    assert RULES.category("service").fixes[0].text in text
    assert RULES.category("service").fixes[1].text not in text
    assert slot_events(events)["proposed_fix"] == "goodwill_credit"


async def test_proposing_with_no_complaint_asks_what_happened(dispatcher, domain):
    events = await ActionProposeFix().run(dispatcher, make_tracker("affirm"), domain)

    assert dispatcher.messages[0]["response"] == "utter_ask_what_happened"
    assert events == []


async def test_a_rejected_proposal_asks_what_would_be_fair(dispatcher, domain):
    tracker = make_tracker("deny", slots={"dialogue_stage": "fix_proposed"})

    events = await ActionAskWhatWouldBeFair().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("ask_what_would_be_fair", text)
    assert slot_events(events) == {"dialogue_stage": "fair_ask_requested"}


async def test_a_new_complaint_after_a_closed_one_drops_that_ones_details(dispatcher, domain):
    tracker = make_tracker(
        "complain_late_delivery",
        text="my other order hasn't arrived, it's ORD-55120",
        entities=[entity("order_id", "ORD-55120"), entity("problem", "late_delivery")],
        slots={
            "complaint_open": False,
            "complaint_categories": ["damaged_item"],
            "dialogue_stage": "resolved",
            "order_id": "ORD-55120",
            "product": "kettle",
            "amount": "$30",
        },
    )

    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)

    slots = slot_events(events)
    assert slots["complaint_categories"] == ["late_delivery"]
    assert slots["product"] is None and slots["amount"] is None
    assert slots.get("order_id", "ORD-55120") == "ORD-55120"  # given again in this message: kept


async def test_details_given_before_the_first_complaint_are_kept(dispatcher, domain):
    tracker = make_tracker(
        "complain_damaged_item",
        text="it arrived broken",
        entities=[entity("problem", "damaged_item")],
        slots={"order_id": "48213"},
    )

    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)

    assert "order_id" not in slot_events(events)


@pytest.mark.parametrize("variant", phrasebook().variants("acknowledge_problems"))
def test_the_number_of_problems_reads_naturally_in_every_variant(variant):
    text = variant.format(problem_count=NUMBER_WORDS[2], apologies="I'm sorry it was late")
    sentences = re.split(r"(?<=[.!?]) ", text)
    assert all(sentence[0].isupper() for sentence in sentences), text
    assert " two " in f" {text} "  # not "That's Two separate problems"
