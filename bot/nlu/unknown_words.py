"""Text with not one word the bot was trained on is not understood, whatever DIET says.

DIET with a transformer layer gives keyboard mash such as "qwxz plorb vrrt" to the
intents of short messages (greet, affirm, goodbye) with confidences well above the
fallback threshold: a bot that reads "asdf jkl" as *yes* may confirm a restatement
nobody confirmed. This component runs after the ``FallbackClassifier``: when a
message has letters but none of its words occurs in the training examples or the
lookup tables, and no entity was found in it, the intent becomes ``nlu_fallback``
(the bot asks to rephrase, and offers a person after two).

Words are compared with repeated letters made single, so "hellooo" and "noo" are
known words. Words with digits (order numbers, amounts) are not judged; a message of
those only is left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_choice import choose_intent

VOCABULARY_FILE = "vocabulary.json"
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
"""A run of letters, with one inner apostrophe ("don't"); digits end it."""
HAS_DIGIT = re.compile(r"\d")
REPEATS = re.compile(r"(.)\1+")


def words_of(text: str) -> list[str]:
    """The words of ``text`` that are letters only, lowercase, repeated letters made
    single ("Hellooo" and "hello" are both "helo", "thankss" is "thanks")."""
    return [
        REPEATS.sub(r"\1", match.group().lower())
        for token in text.split()
        if not HAS_DIGIT.search(token)
        for match in WORD.finditer(token)
    ]


def no_known_word(text: str, vocabulary: frozenset[str]) -> bool:
    """True if ``text`` has words and none of them is in ``vocabulary``."""
    words = words_of(text)
    return bool(words) and not any(word in vocabulary for word in words)


def vocabulary_of(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(word for text in texts for word in words_of(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsFallback(GraphComponent, IntentClassifier):
    """``nlu_fallback`` for a message none of whose words the training data has."""

    @classmethod
    def required_components(cls) -> list[type]:
        return []  # runs after the classifiers (config.yml), judges only the words

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, vocabulary: frozenset[str]
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsFallback:
        return cls(model_storage, resource, frozenset())

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsFallback:
        with model_storage.read_from(resource) as directory:
            words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(model_storage, resource, frozenset(words))

    def train(self, training_data: TrainingData) -> Resource:
        texts = [message.get(TEXT) or "" for message in training_data.training_examples]
        for table in training_data.lookup_tables:
            texts.extend(str(element) for element in table.get("elements") or [])
        self.vocabulary = vocabulary_of(texts)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self.vocabulary)), encoding="utf-8"
            )
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if message.get(ENTITIES) or not no_known_word(message.get(TEXT) or "", self.vocabulary):
                continue
            choose_intent(message, DEFAULT_NLU_FALLBACK_INTENT_NAME)
        return messages
