"""The last word on a message's intent, from what is *in* it (bot/nlu/signals.py).

Runs after every classifier. In order, the first that applies sets the intent:

1. no language in it (markup, code, only emoji or symbols, keyboard mash) → ``nlu_fallback``;
2. another language → ``nlu_fallback``;
3. abuse aimed at the staff or the bot → ``insult`` (a request for a person in the same
   message still wins: → ``request_human``, the abuse noted);
4. a request for a person anywhere in it → ``request_human``;
5. a message that opens by saying no ("No. It arrived fine") → ``deny``;
6. a complaint the classifier ranked first but not surely, in a message whose problem
   phrase names another of its guesses → the complaint the phrase names;
7. a complaint the classifier ranked first but not surely enough, in a message with an
   order number or a problem phrase → that complaint;
8. a long emotional message with no such details the classifier could not place → ``vent``.

What was found goes to the actions in the parse data's ``signals`` (``no_language``,
``language``, ``abuse``, ``person_request``, ``denial``, ``denied`` categories, and
``classified_as``: the classifier's own intent, so a complaint made alongside a request
for a person is not lost).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.complaints import CATEGORY_INTENTS, INTENT_CATEGORIES
from bot.corrections import denied_categories, opens_with_denial
from bot.nlu import signals as detect
from bot.nlu.detail_extractor import EXTRACTED
from bot.nlu.intent_choice import choose_intent
from bot.nlu.stateless import StatelessComponent

SIGNALS = "signals"
"""The parse data key the actions read (``tracker.latest_message["signals"]``)."""
UNSURE_BELOW = 0.6
"""A classifier confidence below this leaves room for the venting check."""
DETAIL_ENTITIES = frozenset({"problem", "product", *EXTRACTED}) - {"size"}
"""Entities that make a message a told complaint: a problem phrase, a product, and what
the detail extractor finds but a size."""
RESCUE_FROM = 0.2
"""A complaint intent the classifier ranked first with at least this confidence, in a
message with details, is taken even though it fell short of the fallback threshold."""
GUESS_FROM = 0.2
"""The least confidence at which a complaint intent is passed on as a guess."""
CLASSIFIER_SURE_FROM = 0.9
"""The classifier is trusted over what is in the words only this sure: a request for a
person without words asking for one, a complaint in a short shouted outburst."""
ALTERNATIVE_FROM = 0.15
"""The least confidence of the classifier's second intent to be taken instead."""
STORY_WORDS = 6
"""Details with a problem phrase in a message this long are a complaint, not an answer."""
SHORT_OUTBURST_WORDS = 12
"""A shouted message this short, naming nothing, is an outburst ("AND DON'T TELL ME TO
WAIT AGAIN"), heard as venting rather than read as a complaint."""
KEEPS_INTENT_ON_DENIAL = frozenset({"deny", "insult", "request_human", "affirm", "goodbye"})


def read_signals(
    text: str,
    intent: str | None,
    confidence: float,
    runner_up: tuple[str, float] | None = None,
    entities: frozenset[str] = frozenset(),
    complaint_guesses: tuple[str, ...] = (),
    problem_categories: tuple[str, ...] = (),
    alternative: tuple[str, float] | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """The intent a message should have (``None``: keep the classifier's) and its signals.

    ``runner_up`` is the classifier's likeliest real intent when it fell back,
    ``entities`` the names of the entities found in the message, and
    ``complaint_guesses`` the complaint intents it ranked with some confidence, likeliest
    first (a correction or an insult that also complains says what about),
    ``problem_categories`` the categories of the problem phrases in it, in order, and
    ``alternative`` the classifier's likeliest intent after its first.
    """
    found: dict[str, Any] = {"classified_as": intent}
    if complaint_guesses:
        found["complaint_guesses"] = list(complaint_guesses)
    kind = detect.no_language(text)
    if kind is not None:
        found["no_language"] = kind
        return DEFAULT_NLU_FALLBACK_INTENT_NAME, found
    language = detect.other_language(text)
    if language is not None:
        found["language"] = language
        return DEFAULT_NLU_FALLBACK_INTENT_NAME, found
    denied = denied_categories(text)
    if denied:
        found["denied"] = denied
    abusive = detect.is_abusive(text)
    if abusive:
        found["abuse"] = True
    if detect.asks_for_person(text):
        found["person_request"] = True
        return "request_human", found
    if abusive:
        return "insult", found
    if opens_with_denial(text):
        found["denial"] = True
        return (None if intent in KEEPS_INTENT_ON_DENIAL else "deny"), found
    if intent == "request_human" and confidence < CLASSIFIER_SURE_FROM:
        # Nobody asked for a person in words; "a replacement please" is an ask for a fix.
        found["person_unconfirmed"] = True
        if alternative and alternative[1] >= ALTERNATIVE_FROM:
            return alternative[0], found
        return DEFAULT_NLU_FALLBACK_INTENT_NAME, found
    tells_a_story = len(text.split()) >= STORY_WORDS
    if intent == "inform" and problem_categories and tells_a_story:
        # "the bread in order 84451 was mouldy, it cost $3.80": a complaint told as details.
        complaint = CATEGORY_INTENTS.get(problem_categories[0])
        if complaint is not None:
            found["complaint_from_details"] = True
            return complaint, found
    has_details = bool(entities & DETAIL_ENTITIES)
    unsure = intent == DEFAULT_NLU_FALLBACK_INTENT_NAME or confidence < UNSURE_BELOW
    named = _complaint_named(intent, problem_categories, complaint_guesses)
    if unsure and intent in INTENT_CATEGORIES and named is not None:
        # "the strap was torn when it arrived, I paid $38 for it": the classifier hesitates
        # over "paid" (billing); the problem phrase says which of its guesses it is.
        found["complaint_from_problem_phrase"] = True
        return named, found
    rant = "order_id" not in entities and detect.sounds_like_venting(text)
    outburst = (
        detect.is_shouted(text)
        and len(text.split()) <= SHORT_OUTBURST_WORDS
        and not entities & {"order_id", "product", "problem"}
        and confidence < CLASSIFIER_SURE_FROM
    )
    if intent == DEFAULT_NLU_FALLBACK_INTENT_NAME and runner_up and (has_details or tells_a_story):
        name, score = runner_up
        if name in INTENT_CATEGORIES and score >= RESCUE_FROM and not outburst:
            # An unsure complaint with an order number or a problem phrase in it, or told at
            # some length, is still that complaint ("my shopping came 3 hours late!! order
            # 61730"); a short one gets the clarifying question instead.
            found["rescued_from_fallback"] = True
            return name, found
    if (rant or outburst) and (unsure or intent in INTENT_CATEGORIES):
        # A shouted rant with no order, item or problem named is heard first, whatever
        # complaint the classifier guesses behind it.
        return "vent", found
    return None, found


def _complaint_named(
    intent: str | None, problem_categories: tuple[str, ...], guesses: tuple[str, ...]
) -> str | None:
    """The complaint the message's first problem phrase names, when it is another of the
    classifier's guesses than its first and the intent's own category has no phrase."""
    if not problem_categories or INTENT_CATEGORIES.get(intent or "") in problem_categories:
        return None
    named = CATEGORY_INTENTS.get(problem_categories[0])
    return named if named in guesses and named != intent else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MessageSignals(StatelessComponent, IntentClassifier):
    """Sets the intent from what is in the message, when that is clearer than the classifier."""

    @classmethod
    def required_components(cls) -> list[type]:
        return []

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MessageSignals:
        detect.warm_up()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            classified = message.get(INTENT) or {}
            ranked = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME
            ]
            runner_up = (
                (str(ranked[0][INTENT_NAME_KEY]), float(ranked[0][PREDICTED_CONFIDENCE_KEY]))
                if ranked
                else None
            )
            guesses = tuple(
                str(entry[INTENT_NAME_KEY])
                for entry in ranked
                if entry[INTENT_NAME_KEY] in INTENT_CATEGORIES
                and float(entry[PREDICTED_CONFIDENCE_KEY]) >= GUESS_FROM
            )
            entities = message.get(ENTITIES) or []
            alternative = next(
                (
                    (str(entry[INTENT_NAME_KEY]), float(entry[PREDICTED_CONFIDENCE_KEY]))
                    for entry in ranked
                    if entry[INTENT_NAME_KEY] != classified.get(INTENT_NAME_KEY)
                ),
                None,
            )
            intent, found = read_signals(
                message.get(TEXT) or "",
                classified.get(INTENT_NAME_KEY),
                float(classified.get(PREDICTED_CONFIDENCE_KEY) or 0.0),
                runner_up,
                frozenset(str(e.get("entity")) for e in entities),
                guesses,
                tuple(str(e.get("value")) for e in entities if e.get("entity") == "problem"),
                alternative,
            )
            message.set(SIGNALS, found, add_to_output=True)
            if intent is not None and intent != classified.get(INTENT_NAME_KEY):
                choose_intent(message, intent)
        return messages
