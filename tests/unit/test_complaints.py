"""bot/complaints.py: categories, order ids, restatements, corrections, case summaries."""

from __future__ import annotations

import pytest

from bot.business import DEFAULT_BUSINESS_FILE, BusinessRules, load_business_rules
from bot.complaints import (
    ComplaintDetails,
    apologies_for,
    case_summary,
    categories_in_message,
    describe_subject,
    merge_categories,
    normalise_order_id,
    restate_complaint,
)


@pytest.fixture(scope="module")
def rules() -> BusinessRules:
    return load_business_rules(DEFAULT_BUSINESS_FILE)


KNOWN = ["late_delivery", "damaged_item", "wrong_item", "billing", "refund"]


# --- categories_in_message -------------------------------------------------------------


def test_the_intents_category_comes_first_then_the_problems_named():
    found = categories_in_message("complain_late_delivery", ["damaged_item", "billing"], KNOWN)

    assert found == ["late_delivery", "damaged_item", "billing"]


def test_a_problem_phrase_for_the_intents_category_keeps_the_order_of_the_text():
    found = categories_in_message("complain_billing", ["damaged_item", "billing"], KNOWN)

    assert found == ["damaged_item", "billing"]


def test_a_problem_repeating_the_intents_category_is_not_duplicated():
    found = categories_in_message(
        "complain_billing", ["billing", "damaged_item", "damaged_item"], KNOWN
    )

    assert found == ["billing", "damaged_item"]


def test_categories_business_yml_does_not_define_are_dropped():
    found = categories_in_message("complain_service", ["teleportation", "wrong_item"], KNOWN)

    assert found == ["wrong_item"]


def test_a_non_complaint_intent_still_yields_the_problems_named():
    assert categories_in_message("inform", ["refund"], KNOWN) == ["refund"]
    assert categories_in_message(None, [], KNOWN) == []


def test_merging_keeps_earlier_categories_first_and_adds_only_new_ones():
    merged = merge_categories(["late_delivery", "billing"], ["billing", "wrong_item"])

    assert merged == ["late_delivery", "billing", "wrong_item"]


# --- order ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#48213", "48213"),
        ("ORD-48213", "48213"),
        ("ord48213", "48213"),
        ("order 48213", "48213"),
        ("48213", "48213"),
        ("order number", None),
        ("", None),
        (None, None),
    ],
)
def test_order_ids_are_reduced_to_their_digits(raw, expected):
    assert normalise_order_id(raw) == expected


# --- restating -----------------------------------------------------------------------


def test_the_subject_names_product_and_order_when_both_are_known():
    assert (
        describe_subject(ComplaintDetails(order_id="48213", product="kettle"))
        == "the kettle from order #48213"
    )
    assert describe_subject(ComplaintDetails(order_id="48213")) == "your order #48213"
    assert describe_subject(ComplaintDetails(product="kettle")) == "the kettle"
    assert describe_subject(ComplaintDetails()) == "your order"


def test_a_restatement_includes_order_id_product_and_amount(rules):
    details = ComplaintDetails(order_id="48213", product="kettle", amount="$30")

    summary = restate_complaint(rules, ["late_delivery", "billing"], details)

    assert "#48213" in summary
    assert "kettle" in summary
    assert "$30" in summary


def test_a_restatement_of_two_problems_names_both(rules):
    details = ComplaintDetails(order_id="48213", product="kettle")

    summary = restate_complaint(rules, ["late_delivery", "damaged_item"], details)

    assert summary == ("the kettle from order #48213 hasn't arrived yet, and it arrived damaged")


def test_a_restatement_of_three_problems_names_each_of_them(rules):
    details = ComplaintDetails(order_id="48213", product="kettle", amount="$30")

    summary = restate_complaint(rules, ["late_delivery", "damaged_item", "billing"], details)

    assert "hasn't arrived yet" in summary
    assert "arrived damaged" in summary
    assert "charged incorrectly" in summary
    assert "$30" in summary
    assert summary.count(", and ") == 1
    assert summary.index("hasn't arrived") < summary.index("damaged") < summary.index("charged")


def test_a_restatement_names_the_email_of_an_account_problem(rules):
    summary = restate_complaint(
        rules, ["account_access"], ComplaintDetails(email="ana@example.com")
    )

    assert summary == "you can't get into your account (ana@example.com)"


def test_a_restatement_keeps_the_amount_the_customer_gave_for_a_damaged_item(rules):
    # The playbook's restatement carries "the order number, the product, the amount".
    details = ComplaintDetails(order_id="48213", product="kettle", amount="$80")

    summary = restate_complaint(rules, ["damaged_item"], details)

    assert "$80" in summary


def test_a_restatement_of_a_billing_problem_keeps_the_order_and_product(rules):
    # The playbook's restatement carries "the order number, the product, the amount".
    details = ComplaintDetails(order_id="48213", product="kettle", amount="$30")

    summary = restate_complaint(rules, ["billing"], details)

    assert "#48213" in summary
    assert "kettle" in summary


def test_a_restatement_without_categories_still_says_something(rules):
    summary = restate_complaint(rules, [], ComplaintDetails(order_id="48213"))

    assert summary == "something went wrong with your order #48213"


def test_apologies_follow_the_order_the_problems_were_raised(rules):
    assert apologies_for(rules, ["billing", "late_delivery"]) == [
        rules.category("billing").apology,
        rules.category("late_delivery").apology,
    ]


def test_a_restatement_says_how_long_the_customer_has_waited():
    rules = load_business_rules(DEFAULT_BUSINESS_FILE)
    details = ComplaintDetails(order_id="48213", waited="two weeks")
    summary = restate_complaint(rules, ["late_delivery"], details)
    assert summary == "your order #48213 hasn't arrived yet, and you've been waiting two weeks"


def test_a_category_that_implies_another_replaces_it():
    known = [*KNOWN, "refund_not_received", "delivery_experience", "lost_parcel"]
    assert categories_in_message("complain_refund_not_received", ["refund"], known) == [
        "refund_not_received"
    ]
    assert categories_in_message("complain_delivery_experience", ["service"], known) == [
        "delivery_experience"
    ]
    assert categories_in_message("complain_lost_parcel", ["late_delivery", "damaged_item"],
                                 known) == ["lost_parcel", "damaged_item"]  # fmt: skip


def test_a_faulty_item_says_how_long_it_was_used_and_not_that_anyone_waited():
    rules = load_business_rules(DEFAULT_BUSINESS_FILE)
    details = ComplaintDetails(product="boots", in_use_for="3 weeks", waited="a week")
    assert restate_complaint(rules, ["faulty_item"], details) == (
        "the boots stopped working after 3 weeks"
    )  # "a week" said of a broken item is no wait
    assert case_summary(rules, ["faulty_item"], details) == (
        "The order (the boots) stopped working after 3 weeks."
    )


def test_a_wait_is_said_when_a_problem_is_waited_on_beside_the_items_condition():
    rules = load_business_rules(DEFAULT_BUSINESS_FILE)
    details = ComplaintDetails(order_id="48213", waited="10 days")
    restated = restate_complaint(rules, ["damaged_item", "refund_not_received"], details)
    assert restated.endswith("and you've been waiting 10 days")
    assert "waiting" not in restate_complaint(rules, ["damaged_item"], details)


def test_the_date_a_problem_hangs_on_is_said_back():
    rules = load_business_rules(DEFAULT_BUSINESS_FILE)
    late = ComplaintDetails(order_id="48213", due_on="on Thursday")
    assert restate_complaint(rules, ["late_delivery"], late) == (
        "your order #48213 was due on Thursday and hasn't arrived yet"
    )
    assert case_summary(rules, ["late_delivery"], late) == (
        "Order #48213 was due on Thursday and has not arrived."
    )
    returned = ComplaintDetails(product="boots", returned_on="on 1 Feb")
    assert restate_complaint(rules, ["damaged_item", "refund_not_received"], returned) == (
        "the boots arrived damaged, and you sent them back on 1 Feb and the refund hasn't "
        "reached you"
    )
    plural = ComplaintDetails(product="curtains", due_on="last Tuesday")
    assert restate_complaint(rules, ["late_delivery"], plural) == (
        "the curtains were due last Tuesday and haven't arrived yet"
    )


def test_a_payment_that_failed_is_restated_and_apologised_for_as_such(rules):
    details = ComplaintDetails(order_id="58120", payment_failure="card keeps getting declined")

    said = restate_complaint(rules, ["billing"], details)
    summary = case_summary(rules, ["billing"], details)

    assert said == "your payment for your order #58120 didn't go through properly"
    assert "charged" not in said
    assert summary == "The customer's payment for order #58120 did not go through properly."
    assert apologies_for(rules, ["billing"], payment_failed=True) == [
        "I'm sorry your payment didn't go through"
    ]
    assert "charged" in apologies_for(rules, ["billing"])[0]  # a wrong charge stays one


def test_a_wrong_booking_is_restated_by_its_dates(rules):
    both = ComplaintDetails(
        order_id="52207", product="train tickets", booked_for="the 15th", sent_for="the 14th"
    )
    booked_only = ComplaintDetails(order_id="52207", product="train tickets", booked_for="Friday")

    assert restate_complaint(rules, ["wrong_item"], both) == (
        "you were sent the train tickets from order #52207 for the 14th instead of the 15th"
    )
    assert restate_complaint(rules, ["wrong_item"], booked_only) == (
        "you were sent the train tickets from order #52207, but you booked Friday"
    )
    assert case_summary(rules, ["wrong_item"], both) == (
        "The customer was sent order #52207 (the train tickets) for the 14th but had booked "
        "the 15th."
    )
