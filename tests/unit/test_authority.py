"""bot/authority.py: the one place that decides what the assistant may grant."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.authority import (
    Ask,
    ask_for_fix,
    judge,
    may_grant,
    offers_within_authority,
    parse_ask,
    parse_asks,
    parse_money,
    split_parts,
)
from bot.business import DEFAULT_BUSINESS_FILE, BusinessRules, load_business_rules

RULES = load_business_rules(DEFAULT_BUSINESS_FILE)


def fix(category: str, fix_id: str):
    return next(f for f in RULES.category(category).fixes if f.id == fix_id)


def verdicts_for(text: str, categories: list[str], amount: float | None = None) -> list[bool]:
    return [v.within_authority for v in judge(parse_asks(text, RULES, categories, amount), RULES)]


# --- the cases from the issue ----------------------------------------------------------


def test_refunding_a_second_charge_of_89_90_is_beyond_authority():
    """ "charged me twice ... $89.90", then "just refund the second charge"."""
    asks = parse_asks("just refund the second charge", RULES, ["billing"], 89.90)

    [verdict] = judge(asks, RULES)
    assert not verdict.within_authority
    assert verdict.ask.money == pytest.approx(89.90)
    assert "$89.90" in verdict.ask.text


def test_an_ask_whose_cost_nobody_stated_is_never_granted():
    [verdict] = judge(parse_asks("just refund the second charge", RULES, ["billing"], None), RULES)

    assert not verdict.within_authority
    assert verdict.ask.cost_unknown
    assert "not known" in verdict.reason


def test_a_full_refund_of_an_expensive_item_needs_a_colleague():
    assert verdicts_for("I want a full refund for the $640 TV", ["late_delivery"]) == [False]


# --- single asks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "within", "said"),
    [
        ("$20 back would be fair", True, "refund $20"),
        ("50 dollars", True, "refund $50"),
        ("I want $400 back", False, "refund $400"),
        ("I want $1,000 back", False, "refund $1000"),
        ("refund me 12.50 euros", True, "refund $12.50"),
        ("10% off would be fair", True, "take 10% off your order"),
        ("I want 40% off", False, "take 40% off your order"),
        ("15 percent off", True, "take 15% off your order"),
    ],
)
def test_amounts_and_percentages_are_held_against_the_limits(text, within, said):
    [verdict] = judge(parse_asks(text, RULES, ["billing"], None), RULES)

    assert verdict.within_authority is within
    assert verdict.ask.text == said


def test_a_fix_that_costs_nothing_is_within_authority():
    assert verdicts_for("a replacement would be fair", ["damaged_item"]) == [True]


def test_a_fix_that_needs_approval_is_beyond_authority_whatever_it_costs():
    [verdict] = judge(parse_asks("refund me and let me keep it", RULES, ["damaged_item"], 5), RULES)

    assert verdict.ask.fix is not None and verdict.ask.fix.id == "keep_and_refund"
    assert not verdict.within_authority


def test_the_delivery_fee_costs_what_business_yml_says():
    ask = ask_for_fix(fix("late_delivery", "refund_delivery_fee"), RULES, None)

    assert ask.money == RULES.delivery_fee
    assert may_grant(ask, RULES)


def test_a_delivery_fee_nobody_configured_is_an_unknown_cost():
    rules = replace(RULES, delivery_fee=None)
    ask = ask_for_fix(fix("late_delivery", "refund_delivery_fee"), rules, None)

    assert ask.cost_unknown
    assert not may_grant(ask, rules)


def test_the_amount_in_question_is_said_back_with_the_fix():
    ask = ask_for_fix(fix("billing", "refund_overcharge"), RULES, 30)

    assert ask.text.endswith("($30)")
    assert may_grant(ask, RULES)


def test_keywords_only_match_whole_words():
    assert parse_ask("the replaceable part is fine", RULES, ["damaged_item"], None) is None


def test_money_reads_thousands_and_cents():
    assert parse_money(["it was $1,299.99"]) == pytest.approx(1299.99)
    assert parse_money(["12,50 euros"]) == pytest.approx(12.50)
    assert parse_money(["no money here"]) is None


# --- asks in several parts --------------------------------------------------------------


def test_a_counter_ask_in_two_parts_is_split():
    assert split_parts("refund the delivery fee and give me 10% off for the trouble") == [
        "refund the delivery fee",
        "give me 10% off for the trouble",
    ]


def test_each_part_of_a_counter_ask_is_judged_on_its_own():
    verdicts = judge(
        parse_asks("refund the delivery fee and give me 40% off", RULES, ["late_delivery"], None),
        RULES,
    )

    assert [v.within_authority for v in verdicts] == [True, False]
    assert verdicts[0].ask.fix is not None and verdicts[0].ask.fix.id == "refund_delivery_fee"


def test_money_adds_up_across_the_parts_of_one_ask():
    assert verdicts_for("refund $30 and also $30 more", ["billing"]) == [True, False]


def test_offers_within_authority_leave_out_what_costs_too_much():
    billing = RULES.category("billing")

    assert offers_within_authority(billing, RULES, 89.90) == []
    assert offers_within_authority(billing, RULES, None) == []
    assert len(offers_within_authority(billing, RULES, 20)) == 2


# --- properties over amounts and limits -------------------------------------------------

money_values = st.decimals(min_value=0, max_value=5000, places=2).map(float)
limits = st.decimals(min_value=0, max_value=500, places=2).map(float)
percents = st.integers(min_value=0, max_value=100)


def with_limits(max_refund: float, max_percent: float = 15) -> BusinessRules:
    return replace(RULES, max_refund=max_refund, max_discount_percent=max_percent)


@settings(max_examples=300, deadline=None)
@given(amounts=st.lists(money_values, min_size=1, max_size=5), limit=limits)
def test_money_granted_in_one_decision_never_exceeds_the_limit(amounts, limit):
    rules = with_limits(limit)
    asks = [Ask(text=f"refund {rules.money(a)}", money=a) for a in amounts]

    granted = [v.ask.money or 0 for v in judge(asks, rules) if v.within_authority]

    assert sum(granted) <= limit + 1e-9


@settings(max_examples=300, deadline=None)
@given(amount=money_values, limit=limits)
def test_a_refund_of_an_amount_is_granted_exactly_when_it_is_within_the_limit(amount, limit):
    rules = with_limits(limit)
    text = f"I'd like {rules.money(amount)} back"

    [verdict] = judge(parse_asks(text, rules, ["billing"], None), rules)

    assert verdict.ask.money == pytest.approx(amount)
    assert verdict.within_authority is (verdict.ask.money <= limit)


@settings(max_examples=200, deadline=None)
@given(percent=percents, limit=st.integers(min_value=0, max_value=100))
def test_a_discount_is_granted_exactly_when_within_the_percentage(percent, limit):
    rules = with_limits(50, limit)

    [verdict] = judge(parse_asks(f"{percent}% off please", rules, ["billing"], None), rules)

    assert verdict.within_authority is (percent <= limit)


@settings(max_examples=300, deadline=None)
@given(
    category=st.sampled_from(sorted(RULES.categories)),
    amount=st.one_of(st.none(), money_values),
    limit=limits,
)
def test_no_fix_of_any_category_is_granted_beyond_authority(category, amount, limit):
    """Whatever the amount in question (or none), a fix is granted only if it needs no
    approval and its cost is known and within the limit."""
    rules = with_limits(limit)
    for each in rules.category(category).fixes:
        ask = ask_for_fix(each, rules, amount)
        if may_grant(ask, rules):
            assert not each.needs_approval
            assert ask.money is not None and ask.money <= limit


def test_an_amount_stated_alongside_the_ask_is_not_a_second_ask():
    asks = parse_asks("ok issue the refund now please, it was $29", RULES, ["refund"], 29)

    [verdict] = judge(asks, RULES)
    assert verdict.within_authority
    assert verdict.ask.fix is not None and verdict.ask.fix.id == "issue_refund"
