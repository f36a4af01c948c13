"""When the conversation is not going well: venting and misunderstandings."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint import ActionRestateComplaint
from actions.handoff import hand_off_if_frustration_rising, offer_human
from actions.phrasing import say
from actions.resolution import asks_for_a_fix, evaluate_fair_ask
from actions.services import business_rules, frustration_meter
from actions.tracker_reading import (
    latest_entity_values,
    latest_intent,
    latest_text,
    open_categories,
    previous_intent,
    signals,
    trailing_intent_count,
)
from bot.complaints import CATEGORY_INTENTS, INTENT_CATEGORIES, capitalised
from bot.nlu.signals import is_shouted, sounds_like_venting

NO_LANGUAGE_SEEN = {
    "markup": "That looks like code or markup rather than a message.",
    "code": "That looks like code or markup rather than a message.",
    "emoji": "I can see how you feel, but I couldn't find any words in that.",
    "symbols": "I couldn't find any words in that.",
    "mash": "I couldn't make out any words in that.",
}
"""What the bot says it saw in a message with no language in it."""
SOUNDS_UPSET = 0.5
"""A frustration score from which a message the bot did not place is answered as venting."""

DomainDict = dict[str, Any]

MOST_CATEGORY_BUTTONS = 3
CORRECTING_STAGES = frozenset({"complaint_restated", "correcting"})
CORRECTABLE = ("order_id", "product", "colour", "size", "amount", "problem")


def names_a_detail(tracker: Tracker) -> bool:
    return any(latest_entity_values(tracker, name) for name in CORRECTABLE)


def venting_turns(tracker: Tracker) -> int:
    """How many of the latest messages in a row were venting; the latest counts when the
    bot could not place it and it is shouted after a vent ("AND DON'T TELL ME TO WAIT")."""
    if latest_intent(tracker) == "vent":
        return trailing_intent_count(tracker, "vent")
    return 1 + trailing_intent_count(tracker, "vent", before_latest=True)


def likeliest_categories(intents: list[str]) -> list[str]:
    """The categories (of business.yml) of the complaint intents the classifier ranked,
    likeliest first, at most three."""
    known = business_rules().categories
    categories = [INTENT_CATEGORIES[i] for i in intents if INTENT_CATEGORIES.get(i) in known]
    return list(dict.fromkeys(categories))[:MOST_CATEGORY_BUTTONS]


def category_buttons(categories: list[str]) -> list[dict[str, str]]:
    """One button per category: its name as the title, its complaint intent as the payload."""
    rules = business_rules()
    return [
        {"title": capitalised(rules.category(c).name), "payload": f"/{CATEGORY_INTENTS[c]}"}
        for c in categories
    ]


class ActionRespondToVent(Action):
    """Acknowledge emotion and invite more; offer a person if it goes on."""

    def name(self) -> str:
        return "action_respond_to_vent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        patience = business_rules().vent_turns_before_offering_human
        if venting_turns(tracker) > patience:
            return offer_human(dispatcher, tracker, "venting")
        handed_off = await hand_off_if_frustration_rising(dispatcher, tracker)
        if handed_off is not None:
            return handed_off
        say(dispatcher, "acknowledge_vent")
        return []


class ActionHandleNluFallback(Action):
    """A message the bot could not place.

    Another language is answered honestly (English only for now, a person offered); a
    short ask after a proposal is the fair ask; an upset message is heard (never "I
    didn't understand"); otherwise ask to rephrase, or say there was no language in it.
    After repeated misses (any of these), offer a person.
    """

    def name(self) -> str:
        return "action_handle_nlu_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        found = signals(tracker)
        patience = business_rules().fallbacks_before_offering_human
        missed_again = trailing_intent_count(tracker, "nlu_fallback") >= patience
        if found.get("no_language"):
            if missed_again:
                return offer_human(dispatcher, tracker, "repeated_misunderstanding")
            seen = NO_LANGUAGE_SEEN.get(found["no_language"], NO_LANGUAGE_SEEN["symbols"])
            say(dispatcher, "no_language", seen=seen)
            return []
        if found.get("language"):
            say(dispatcher, "other_language")
            return offer_human(dispatcher, tracker, "other_language")
        stage = tracker.get_slot("dialogue_stage")
        if asks_for_a_fix(tracker) or (stage == "fair_ask_requested" and open_categories(tracker)):
            # "please unlock it" after a proposal: short, but it names the fix; after "what
            # would be fair?", whatever the answer is, it is the fair ask (clarified if vague).
            return await evaluate_fair_ask(dispatcher, tracker)
        if stage in CORRECTING_STAGES and names_a_detail(tracker):
            # "it's the wireless mouse, not a charger": a correction the classifier missed.
            return await ActionRestateComplaint().run(dispatcher, tracker, domain)
        handed_off = await hand_off_if_frustration_rising(dispatcher, tracker)
        if handed_off is not None:
            return handed_off
        text = latest_text(tracker)
        after_venting = previous_intent(tracker) == "vent" and is_shouted(text)
        if after_venting:
            # "NOBODY EVER GETS BACK TO ME" after a rant: still venting, heard as venting.
            return await ActionRespondToVent().run(dispatcher, tracker, domain)
        if sounds_like_venting(text) or frustration_meter().turn_score(text, None) >= SOUNDS_UPSET:
            # Never "I didn't understand" to someone who is upset: they are heard first.
            say(dispatcher, "acknowledge_vent")
            return []
        if missed_again:
            return offer_human(dispatcher, tracker, "repeated_misunderstanding")
        guesses = likeliest_categories(found.get("complaint_guesses") or [])
        if guesses:
            # Unsure which problem it is: ask, never restate a guess.
            say(dispatcher, "clarify_category", buttons=category_buttons(guesses))
            return []
        say(dispatcher, "ask_to_rephrase")
        return []


class ActionDefaultFallback(Action):
    """No rule or policy knows what to do: say so, and forget the message.

    Reverting the message keeps a confusing turn from steering later predictions,
    as Rasa's own default fallback does.
    """

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        say(dispatcher, "default_fallback")
        return [UserUtteranceReverted()]
