"""The playbook's "Never say" list: no response, phrase, business text, handoff
announcement or action output."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import get_args

import pytest
import yaml

from actions.boundaries import ActionSetBoundary
from actions.complaint import (
    ActionAcknowledgeComplaint,
    ActionAskWhatWasMissed,
    ActionAskWhatWouldBeFair,
    ActionProposeFix,
    ActionRestateComplaint,
    ActionStateLimits,
)
from actions.handoff import ActionContinueWithBot, ActionHandOff, ActionResumeAfterHandoff
from actions.not_complaints import ActionAnswerNotComplaint
from actions.orders import ActionCancelOrder, ActionHandleCancelOrder, ActionKeepOrder
from actions.phrasing import phrasebook
from actions.questions import ActionAnswerTimeline, ActionRepeatOptions
from actions.resolution import ActionAcceptProposedFix, ActionEvaluateFairAsk
from actions.services import handoff_desk
from actions.struggle import ActionDefaultFallback, ActionHandleNluFallback, ActionRespondToVent
from bot.agents.demo import DEMO_AGENTS_FILE
from bot.agents.roster import load_roster
from bot.business import DEFAULT_BUSINESS_FILE, load_business_rules
from bot.handoff import announcements
from bot.handoff.routing import RoutingReason
from bot.inbox import RESUME_POINTS
from tests.conftest import ROOT
from tests.never_say import forbidden_phrases_in
from tests.unit.builders import Conversation, entity

RULES = load_business_rules(DEFAULT_BUSINESS_FILE)


# --- the scanner ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "found"),
    [
        ("I'm afraid that's our policy.", ["that's our policy"]),
        ("Please CALM DOWN, sir.", ["calm down"]),
        ("You need to contact your bank.", ["you need to contact"]),
    ],
)
def test_the_scanner_detects_a_bad_sample(sample, found):
    assert forbidden_phrases_in(sample) == found


def test_the_scanner_normalises_curly_apostrophes():
    assert forbidden_phrases_in("There\u2019s nothing I can do, you\u2019ll have to wait.") == [
        "there's nothing i can do",
        "you'll have to",
    ]


def test_the_scanner_lets_a_good_reply_through():
    assert forbidden_phrases_in("I'm sorry. I'll make sure this is fixed today.") == []


# --- everything written down ---------------------------------------------------------


def domain_response_texts() -> list[tuple[str, str]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [
        (f"{name}[{index}]", variant["text"])
        for name, variants in domain["responses"].items()
        for index, variant in enumerate(variants)
    ]


def phrasebook_texts() -> list[tuple[str, str]]:
    return [
        (f"{key}[{index}]", variant)
        for key, variants in phrasebook().phrases.items()
        for index, variant in enumerate(variants)
    ]


def business_texts() -> list[tuple[str, str]]:
    found = [
        ("company.name", RULES.company_name),
        ("company.human_reply_time", RULES.human_reply_time),
        ("cancellation.limits", RULES.cancellation_limits),
    ]
    for category in RULES.categories.values():
        where = f"categories.{category.id}"
        found += [
            (f"{where}.name", category.name),
            (f"{where}.apology", category.apology),
            (f"{where}.limits.can", category.can),
            (f"{where}.limits.cannot", category.cannot),
        ]
        found += [(f"{where}.fixes.{fix.id}", fix.text) for fix in category.fixes]
    return found


AGENTS = load_roster(DEMO_AGENTS_FILE).active()


@pytest.fixture(autouse=True)
def demo_roster(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scenarios hand off to the demo agents: the actions read the demo roster."""
    monkeypatch.delenv("AGENTS_FILE", raising=False)
    monkeypatch.setenv("DEMO_MODE", "1")


WAITS = (None, 45, 60, 600)
"""Nobody online (no estimate), under a minute, one minute, several minutes."""
BACK_AT = (None, "on Monday at 9:00 (New York time)")
"""Open hours, and the team away until a time."""


def announcement_texts() -> list[tuple[str, str]]:
    """Every text of bot/handoff/announcements.py, called with each agent and sample values."""
    pairs = [(a, b) for a in AGENTS for b in AGENTS if a != b]
    calls: dict[str, list[tuple[str, str]]] = {
        "passing_to": [
            (
                f"{agent.agent_id},{reason},{history}",
                announcements.passing_to(agent, reason, history),
            )
            for agent in AGENTS
            for reason in get_args(RoutingReason)
            for history in (True, False)
        ],
        "joined": [(agent.agent_id, announcements.joined(agent)) for agent in AGENTS],
        "will_join": [(agent.agent_id, announcements.will_join(agent)) for agent in AGENTS],
        "describe_wait": [(str(wait), announcements.describe_wait(wait)) for wait in WAITS],
        "waiting": [
            (f"{position},{wait},{back}", announcements.waiting(position, wait, back))
            for position in (1, 4)
            for wait in WAITS
            for back in BACK_AT
        ],
        "nobody_free": [
            (f"{position},{wait},{back}", announcements.nobody_free(position, wait, back))
            for position in (1, 4)
            for wait in WAITS
            for back in BACK_AT
        ],
        "reservation_lapsed": [
            (f"{position},{wait},{back}", announcements.reservation_lapsed(position, wait, back))
            for position in (1, 4)
            for wait in WAITS
            for back in BACK_AT
        ],
        "transferred": [
            (f"{a.agent_id},{b.agent_id}", announcements.transferred(a, b)) for a, b in pairs
        ],
        "stepped_away": [(a.agent_id, announcements.stepped_away(a)) for a in AGENTS],
        "closed_by": [(a.agent_id, announcements.closed_by(a)) for a in AGENTS],
        "email_kept": [("email", announcements.email_kept("ana@example.com"))],
        "held_back": [
            (f"{source},{count}", announcements.held_back(source, count))
            for source in ("ip", "customer")
            for count in (1, 3)
        ],
    }
    return [(f"{name}({args})", text) for name, texts in calls.items() for args, text in texts]


def announcement_functions() -> set[str]:
    """The public functions of bot/handoff/announcements.py."""
    return {
        name
        for name, member in inspect.getmembers(announcements, inspect.isfunction)
        if member.__module__ == announcements.__name__ and not name.startswith("_")
    }


def as_params(named_texts: list[tuple[str, str]]) -> list:
    return [pytest.param(text, id=name) for name, text in named_texts]


def test_the_text_sources_are_not_empty():
    assert len(domain_response_texts()) >= 10
    assert len(phrasebook_texts()) >= 40
    assert len(business_texts()) >= 40
    assert len(AGENTS) >= 2
    assert len(announcement_texts()) >= 40


def test_every_announcement_is_scanned():
    scanned = {name.split("(")[0] for name, _ in announcement_texts()}

    assert scanned == announcement_functions()


@pytest.mark.parametrize("text", as_params(domain_response_texts()))
def test_no_domain_response_uses_a_never_say_phrase(text):
    assert forbidden_phrases_in(text) == [], text


@pytest.mark.parametrize("text", as_params(phrasebook_texts()))
def test_no_phrasebook_variant_uses_a_never_say_phrase(text):
    assert forbidden_phrases_in(text) == [], text


@pytest.mark.parametrize("text", as_params(business_texts()))
def test_no_business_text_uses_a_never_say_phrase(text):
    assert forbidden_phrases_in(text) == [], text


@pytest.mark.parametrize("text", as_params(announcement_texts()))
def test_no_handoff_announcement_uses_a_never_say_phrase(text):
    assert forbidden_phrases_in(text) == [], text


# --- what the actions actually say ---------------------------------------------------

COMPLAINT_MESSAGES = {
    "late_delivery": ("complain_late_delivery", "my $80 kettle, order #48213, still hasn't come"),
    "damaged_item": ("complain_damaged_item", "the kettle from order #48213 arrived smashed"),
    "wrong_item": ("complain_wrong_item", "you sent me a toaster instead of the kettle"),
    "billing": ("complain_billing", "you charged me $80 twice for order #48213"),
    "refund": ("request_refund", "where is my $80 refund for order #48213"),
    "account_access": ("complain_account_access", "I can't log in as ana@example.com"),
    "service": ("complain_service", "your agent was rude to me about order #48213"),
    "faulty_item": ("complain_faulty_item", "my $80 kettle from order #48213 stopped working"),
    "lost_parcel": ("complain_lost_parcel", "tracking says order #48213 was delivered, it wasn't"),
    "missing_item": ("complain_missing_item", "the lid was missing from the kettle, #48213"),
    "not_as_described": ("complain_not_as_described", "the $80 kettle is flimsy, not as pictured"),
    "price_not_applied": ("complain_price_not_applied", "my discount code didn't work on #48213"),
    "subscription_charge": ("complain_subscription_charge", "you renewed my plan, $80, no warning"),
    "refund_not_received": ("complain_refund_not_received", "still no $80 refund for #48213"),
    "delivery_experience": (
        "complain_delivery_experience",
        "the driver threw my kettle over the fence",
    ),
}
DETAILS = [
    entity("order_id", "#48213"),
    entity("product", "kettle"),
    entity("amount", "$80"),
    entity("email", "ana@example.com"),
]

Scenario = Callable[[Conversation], Awaitable[None]]


async def complain(chat: Conversation, category: str = "late_delivery", **extra) -> None:
    intent, text = COMPLAINT_MESSAGES[category]
    await chat.turn(
        intent,
        text,
        ActionAcknowledgeComplaint(),
        ActionRestateComplaint(),
        entities=[*DETAILS, *extra.get("problems", [])],
    )


async def complain_and_propose(chat: Conversation, category: str = "late_delivery") -> None:
    await complain(chat, category)
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())


def category_scenario(category: str) -> Scenario:
    async def scenario(chat: Conversation) -> None:
        await complain_and_propose(chat, category)
        await chat.turn("affirm", "yes, do that", ActionAcceptProposedFix())

    return scenario


async def several_problems(chat: Conversation) -> None:
    problems = [entity("problem", "damaged_item"), entity("problem", "billing")]
    await complain(chat, problems=problems)
    await chat.turn(
        "inform",
        "and it's the wrong colour",
        ActionAcknowledgeComplaint(),
        ActionRestateComplaint(),
        entities=[entity("problem", "wrong_item")],
    )


async def corrected_restatement(chat: Conversation) -> None:
    await complain(chat)
    await chat.turn("deny", "no", ActionAskWhatWasMissed())
    await chat.turn(
        "inform",
        "it's order 55555",
        ActionRestateComplaint(),
        entities=[entity("order_id", "55555")],
    )


async def fair_ask(chat: Conversation, text: str, amount: str | None = None) -> None:
    await complain_and_propose(chat)
    await chat.turn("deny", "no, that's not enough", ActionAskWhatWouldBeFair())
    entities = [entity("amount", amount)] if amount else []
    await chat.turn("propose_resolution", text, ActionEvaluateFairAsk(), entities=entities)


async def fair_ask_within(chat: Conversation) -> None:
    await fair_ask(chat, "$20 back would be fair", "$20")


async def fair_ask_beyond(chat: Conversation) -> None:
    await fair_ask(chat, "I want $400 back", "$400")


async def fair_ask_needing_approval(chat: Conversation) -> None:
    await fair_ask(chat, "a full refund, obviously")


async def fair_ask_unclear_twice(chat: Conversation) -> None:
    await complain_and_propose(chat)
    await chat.turn("propose_resolution", "just sort it", ActionEvaluateFairAsk())
    await chat.turn("propose_resolution", "I don't know, something", ActionEvaluateFairAsk())


async def no_fair_fix_agreed(chat: Conversation) -> None:
    await complain_and_propose(chat)
    await chat.turn("deny", "no", ActionAskWhatWouldBeFair())
    await chat.turn("deny", "no idea", ActionHandOff())


async def request_human(chat: Conversation) -> None:
    await complain(chat, "billing")
    await chat.turn("request_human", "get me a person", ActionHandOff())


async def vent_three_times(chat: Conversation) -> None:
    for text in ("this is ridiculous", "I'm done with you people", "unbelievable"):
        await chat.turn("vent", text, ActionRespondToVent())


async def vent_then_accept_a_person(chat: Conversation) -> None:
    await vent_three_times(chat)
    await chat.turn("affirm", "yes", ActionHandOff())


async def vent_then_decline_a_person(chat: Conversation) -> None:
    await complain(chat, "damaged_item")
    await vent_three_times(chat)
    await chat.turn("deny", "no", ActionContinueWithBot())


async def misunderstood_twice(chat: Conversation) -> None:
    await chat.turn("nlu_fallback", "blorp", ActionHandleNluFallback())
    await chat.turn("nlu_fallback", "flange", ActionHandleNluFallback())
    await chat.turn("affirm", "ok", ActionHandOff())
    await chat.turn("inform", "???", ActionDefaultFallback())


async def request_human_with_an_agent_online(chat: Conversation) -> None:
    presence = handoff_desk().presence
    await presence.heartbeat("maria")
    await complain(chat, "billing")
    await chat.turn("request_human", "get me a person", ActionHandOff())
    await presence.set_status("maria", "offline")  # later scenarios find nobody online


async def ask_again_while_queued(chat: Conversation) -> None:
    await complain(chat, "refund")
    await chat.turn("request_human", "a person please", ActionHandOff())
    await chat.turn("request_human", "hello?? I asked for a PERSON", ActionHandOff())


def resumed_at(point: str) -> Scenario:
    async def scenario(chat: Conversation) -> None:
        await complain(chat, "damaged_item")
        await chat.turn("request_human", "get me a person", ActionHandOff())
        chat.slots["resume_point"] = point  # the gateway's hand-back sets it
        await chat.act(ActionResumeAfterHandoff())

    return scenario


async def carry_on_without_a_complaint(chat: Conversation) -> None:
    await chat.turn("request_human", "person please", ActionHandOff())
    chat.slots["resume_point"] = "carry_on"
    await chat.act(ActionResumeAfterHandoff())


async def cancel_an_order(chat: Conversation) -> None:
    await chat.turn("cancel_order", "cancel my order", ActionHandleCancelOrder())
    await chat.turn(
        "inform", "#48213", ActionHandleCancelOrder(), entities=[entity("order_id", "#48213")]
    )
    await chat.turn("affirm", "yes", ActionCancelOrder())


async def keep_an_order(chat: Conversation) -> None:
    await chat.turn(
        "cancel_order",
        "cancel order #48213",
        ActionHandleCancelOrder(),
        entities=[entity("order_id", "#48213")],
    )
    await chat.turn("deny", "actually no", ActionKeepOrder())


async def corrected_with_new_content(chat: Conversation) -> None:
    await complain(chat)
    await chat.turn(
        "deny", "No. It arrived fine, it's the wrong colour", ActionAskWhatWasMissed(),
        entities=[entity("problem", "wrong_item")],
    )  # fmt: skip
    await chat.turn("deny", "no, the blue one not the red", ActionAskWhatWasMissed(),
                    entities=[entity("colour", "blue"), entity("colour", "red")])  # fmt: skip


async def corrected_part_by_part(chat: Conversation) -> None:
    await complain(chat)
    await chat.turn("deny", "no", ActionAskWhatWasMissed())
    for part in ("problem", "order_id", "product", "details"):
        await chat.turn(
            "inform", "", ActionRestateComplaint(), entities=[entity("correction_part", part)]
        )
    await chat.turn("deny", "no", ActionAskWhatWasMissed())


async def everything_denied(chat: Conversation) -> None:
    await complain(chat)
    await chat.turn("deny", "No. It arrived fine and it's not late", ActionAskWhatWasMissed())


async def amount_unknown_then_beyond_authority(chat: Conversation) -> None:
    await chat.turn("complain_billing", "you charged me twice", ActionAcknowledgeComplaint(),
                    ActionRestateComplaint())  # fmt: skip
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())
    await chat.turn("inform", "$89.90", ActionRestateComplaint(),
                    entities=[entity("amount", "$89.90")])  # fmt: skip
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())


async def two_part_counter_ask(chat: Conversation) -> None:
    await complain_and_propose(chat)
    await chat.turn(
        "propose_resolution", "refund the delivery fee and give me 40% off", ActionEvaluateFairAsk()
    )


async def questions_along_the_way(chat: Conversation) -> None:
    await chat.turn("ask_options", "what can you do?", ActionRepeatOptions())
    await chat.turn("ask_timeline", "how long will it take?", ActionAnswerTimeline())
    await complain_and_propose(chat, "damaged_item")
    await chat.turn("ask_options", "what are my options", ActionRepeatOptions())
    await chat.turn("affirm", "ok do that", ActionAcceptProposedFix())
    await chat.turn("ask_timeline", "when will it come? will I get an email?",
                    ActionAnswerTimeline())  # fmt: skip


async def abuse_then_more_abuse(chat: Conversation) -> None:
    await chat.turn("insult", "you idiots", ActionSetBoundary())
    await complain(chat)
    await chat.turn("insult", "stupid bot", ActionSetBoundary())


async def abuse_at_each_stage(chat: Conversation) -> None:
    await complain_and_propose(chat)
    await chat.turn("insult", "you morons", ActionSetBoundary())
    chat.slots["abuse_warnings"] = 0
    chat.slots["dialogue_stage"] = "human_offered"
    await chat.turn("insult", "you clowns", ActionSetBoundary())
    await chat.turn("request_human", "you idiots, get me a human", ActionHandOff(),
                    signals={"abuse": True, "person_request": True})  # fmt: skip


async def no_language_and_other_languages(chat: Conversation) -> None:
    await chat.turn("nlu_fallback", "<div>", ActionHandleNluFallback(),
                    signals={"no_language": "markup"})  # fmt: skip
    await chat.turn("nlu_fallback", "😡😡", ActionHandleNluFallback(),
                    signals={"no_language": "emoji"})  # fmt: skip
    await chat.turn("nlu_fallback", "Hola, mi pedido no ha llegado", ActionHandleNluFallback(),
                    signals={"language": "es"})  # fmt: skip


async def not_complaints_and_an_unsure_one(chat: Conversation) -> None:
    for intent, text in (
        ("ask_question", "do you sell the kettle in red?"),
        ("praise", "the last delivery was lovely"),
        ("business_enquiry", "I write for a newspaper"),
        ("smalltalk", "how's your day?"),
    ):
        await chat.turn(intent, text, ActionAnswerNotComplaint())
    guesses = {"complaint_guesses": ["complain_wrong_item", "complain_not_as_described"]}
    await chat.turn("nlu_fallback", "the kettle is just not right", ActionHandleNluFallback(),
                    signals=guesses)  # fmt: skip


def as_verified_customer(scenario: Scenario) -> Scenario:
    """The scenario for a customer whose user id the host page vouched for (the bot's
    grants and cancellations are worded without the ownership check)."""

    async def verified(chat: Conversation) -> None:
        chat.customer_key = "user:u-1001"
        await scenario(chat)

    return verified


SCENARIOS: dict[str, Scenario] = {
    **{f"complaint_{category}": category_scenario(category) for category in COMPLAINT_MESSAGES},
    "several_problems": several_problems,
    "corrected_restatement": corrected_restatement,
    "fair_ask_within_authority": fair_ask_within,
    "fair_ask_beyond_authority": fair_ask_beyond,
    "fair_ask_needing_approval": fair_ask_needing_approval,
    "fair_ask_unclear_twice": fair_ask_unclear_twice,
    "no_fair_fix_agreed": no_fair_fix_agreed,
    "request_human": request_human,
    "vent_then_accept_a_person": vent_then_accept_a_person,
    "vent_then_decline_a_person": vent_then_decline_a_person,
    "misunderstood_twice": misunderstood_twice,
    "request_human_with_an_agent_online": request_human_with_an_agent_online,
    "ask_again_while_queued": ask_again_while_queued,
    **{f"resumed_at_{point}": resumed_at(point) for point in RESUME_POINTS},
    "carry_on_without_a_complaint": carry_on_without_a_complaint,
    "cancel_an_order": cancel_an_order,
    "keep_an_order": keep_an_order,
    "corrected_with_new_content": corrected_with_new_content,
    "corrected_part_by_part": corrected_part_by_part,
    "everything_denied": everything_denied,
    "amount_unknown_then_beyond_authority": amount_unknown_then_beyond_authority,
    "two_part_counter_ask": two_part_counter_ask,
    "questions_along_the_way": questions_along_the_way,
    "abuse_then_more_abuse": abuse_then_more_abuse,
    "abuse_at_each_stage": abuse_at_each_stage,
    "no_language_and_other_languages": no_language_and_other_languages,
    "not_complaints_and_an_unsure_one": not_complaints_and_an_unsure_one,
    "verified_fair_ask_within_authority": as_verified_customer(fair_ask_within),
    "verified_cancel_an_order": as_verified_customer(cancel_an_order),
    "verified_two_part_counter_ask": as_verified_customer(two_part_counter_ask),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_no_action_says_a_never_say_phrase(name, domain, redis_client):
    chat = Conversation(domain, sender_id=f"never-say-{name}")

    await SCENARIOS[name](chat)

    assert chat.said, "the scenario said nothing, so it proves nothing"
    offending = {text: forbidden_phrases_in(text) for text in chat.said}
    assert {text: found for text, found in offending.items() if found} == {}


async def test_the_scenarios_together_say_every_phrase(domain, redis_client):
    said: list[str] = []
    for name, scenario in SCENARIOS.items():
        chat = Conversation(domain, sender_id=f"coverage-{name}")
        await scenario(chat)
        said.extend(chat.said)

    book = phrasebook()
    unsaid = [key for key in book.phrases if not any(book.matches(key, text) for text in said)]

    assert unsaid == []
    # The handoff's own announcements (not phrases) were said and scanned too.
    maria = next(agent for agent in AGENTS if agent.agent_id == "maria")
    assert announcements.passing_to(maria, "skill") in said
    nobody_free = [
        announcements.nobody_free(position, None, back)
        for position in range(1, len(SCENARIOS) + 1)
        for back in (None, handoff_desk().team_back_at())
    ]
    assert any(text.endswith(tuple(nobody_free)) for text in said)
