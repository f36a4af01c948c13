"""bot/corrections.py and bot/complaints.py: a correction replaces what it denies."""

from __future__ import annotations

import pytest

from bot.business import DEFAULT_BUSINESS_FILE, load_business_rules
from bot.complaints import ComplaintDetails, case_summary, corrected_categories, restate_complaint
from bot.corrections import (
    adds_to_complaint,
    denied_categories,
    is_negated,
    opens_with_denial,
    ordered_and_received,
    standing_value,
)

RULES = load_business_rules(DEFAULT_BUSINESS_FILE)


@pytest.mark.parametrize(
    "text",
    ["No. It arrived fine and it's not late", "no", "Nope, it was the blue one", "that's wrong",
     "No it wasn't damaged", "not quite", "NO!!"],
)  # fmt: skip
def test_a_message_that_opens_with_no_is_a_denial(text):
    assert opens_with_denial(text)


@pytest.mark.parametrize(
    "text",
    ["No one has answered my emails", "No refund yet after 3 weeks", "no tracking update",
     "Nobody called me back", "my order is late"],
)  # fmt: skip
def test_a_complaint_starting_with_no_is_not_a_denial(text):
    assert not opens_with_denial(text)


def test_arrived_fine_and_not_late_denies_late_delivery_damage_and_loss():
    assert denied_categories("No. It arrived fine and it's not late") == [
        "late_delivery",
        "damaged_item",
        "lost_parcel",
    ]


def test_a_complaint_denies_nothing():
    assert denied_categories("It arrived damaged and two weeks late") == []


def test_denials_are_limited_to_known_categories():
    assert denied_categories("it's not late", known=["billing"]) == []


def test_a_correction_replaces_categories_and_drops_what_it_denies():
    assert corrected_categories(
        ["late_delivery", "damaged_item"], ["late_delivery", "damaged_item"], ["wrong_item"], False
    ) == ["wrong_item"]


def test_a_denial_alone_drops_only_what_it_denies():
    assert corrected_categories(["late_delivery", "billing"], ["late_delivery"], [], False) == [
        "billing"
    ]


def test_an_added_problem_joins_the_complaint():
    assert adds_to_complaint("and also they charged me twice")
    assert corrected_categories(["late_delivery"], [], ["billing"], True) == [
        "late_delivery",
        "billing",
    ]


def test_the_value_a_correction_denies_does_not_stand():
    assert standing_value("it was the blue one, not the red", ["blue", "red"]) == "blue"
    assert standing_value("I got red instead of blue", ["red", "blue"]) == "red"
    assert standing_value("the order number is 55120, not 55210", ["55120", "55210"]) == "55120"
    assert is_negated("not the red one", "red")
    assert not is_negated("the red one", "red")


def test_the_restatement_carries_colour_and_size():
    details = ComplaintDetails(order_id="48213", product="jumper", colour="blue", size="M")

    summary = restate_complaint(RULES, ["wrong_item"], details)

    assert (
        summary
        == "you were sent the wrong item instead of the blue jumper in size M from order #48213"
    )


def test_a_faulty_product_is_restated_as_stopped_working():
    details = ComplaintDetails(product="headphones")

    assert restate_complaint(RULES, ["faulty_item"], details) == "the headphones stopped working"


def test_a_refund_request_is_not_restated_as_a_late_refund():
    summary = restate_complaint(RULES, ["refund"], ComplaintDetails(product="TV", amount="$640"))

    assert "still waiting" not in summary
    assert "money back" in summary and "$640" in summary


def test_the_case_summary_is_one_sentence_for_the_agent():
    details = ComplaintDetails(
        order_id="48213", product="blender", amount="$89.90", waited="2 weeks"
    )

    summary = case_summary(RULES, ["damaged_item", "billing"], details)

    assert summary == (
        "Order #48213 (the blender, $89.90) arrived damaged; the customer was charged "
        "incorrectly for it; waiting 2 weeks."
    )
    assert "?" not in summary and "you" not in summary.split()


def test_a_wrong_item_names_what_was_ordered_and_what_came():
    assert ordered_and_received(
        "I ordered a black watch strap and got a pink one", ["black", "pink"]
    ) == ("black", "pink")
    assert ordered_and_received("got red instead of blue", ["red", "blue"]) == ("blue", "red")
    assert ordered_and_received("it was the blue one, not the red", ["blue", "red"]) == (None, None)


def test_a_wrong_colour_is_restated_with_both_colours():
    details = ComplaintDetails(order_id="39021", colour="black", received_colour="pink")

    assert restate_complaint(RULES, ["wrong_item"], details) == (
        "you received a pink one instead of the black one from order #39021"
    )
    assert case_summary(RULES, ["wrong_item"], details) == (
        "The customer received a pink one instead of order #39021 (the black one)."
    )


@pytest.mark.parametrize(
    ("text", "denied"),
    [
        ("no, nothing was missing, it was late", "missing_item"),
        ("the driver was fine, it's the damage", "delivery_experience"),
        ("it's not about a subscription", "subscription_charge"),
        ("the code worked, I was charged twice", "price_not_applied"),
        ("it's not lost, it's late", "lost_parcel"),
        ("the quality is fine, it's the wrong size", "not_as_described"),
    ],
)
def test_the_new_categories_can_be_denied(text, denied):
    assert denied in denied_categories(text)


@pytest.mark.parametrize(("size", "said"), [("medium", "in medium"), ("waist 32", "in waist 32")])
def test_a_size_in_words_is_restated_as_said(size, said):
    details = ComplaintDetails(product="hoodie", size=size)
    assert restate_complaint(RULES, ["wrong_item"], details).endswith(f"the hoodie {said}")


def test_a_subscription_charge_is_restated_with_its_amount_and_order():
    details = ComplaintDetails(order_id="27781", amount="$59.99")
    summary = restate_complaint(RULES, ["subscription_charge"], details)
    assert "$59.99" in summary and "27781" in summary
