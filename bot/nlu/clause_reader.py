"""Every problem in a long message: each clause read on its own.

The intent classifier gives a message one intent, so "the heel is scuffed and the box
came without the dust bag" is read as one problem. This component cuts a message into
clauses (bot/nlu/clauses.py) and reads each with a small classifier of its own, trained
on the same examples: the complaint intents' categories, and "none" for the intents
that name no problem (greetings, questions, asks for a person...). A clause read as a
category with at least ``threshold`` confidence adds that category to the message's
``signals`` as ``clause_categories``, in order; bot/message_reading.py adds them to the
categories the intent and the problem phrases raised, when the message is a complaint.

Chosen on tests/nlu_eval/ (`make eval-nlu`, 128 multi-problem messages): messages with
every problem read went from a third to about half, for about 9 more problems named in
all the complaints that their authors did not mean (threshold 0.8; at 0.6 about 6 more
messages were read whole, for about 20 more problems nobody meant).

A message the classifier could not place (``nlu_fallback``), told at some length, with
nothing else heard in it (no other language, no abuse, no ask for a person, no "no"),
becomes the complaint of its first problem read this surely: "@GroceryGo half my
shopping missing and you still took full payment" is a missing item, not "I didn't
follow".
"""

from __future__ import annotations

from typing import Any

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from bot.complaints import CATEGORY_INTENTS, INTENT_CATEGORIES
from bot.nlu.clauses import clauses_of
from bot.nlu.intent_choice import choose_intent
from bot.nlu.message_signals import SIGNALS, STORY_WORDS

MODEL_FILE = "clause_reader.joblib"
NO_PROBLEM = "none"
CLAUSE_CATEGORIES = "clause_categories"
"""The ``signals`` key: categories read clause by clause, in order."""
RESCUED = "rescued_by_clauses"
"""The ``signals`` key set when a fallback became the complaint its clauses name."""
HEARD_OTHERWISE = frozenset({"no_language", "language", "abuse", "person_request", "denial"})
"""Signals of a message that is something else first: it is never rescued."""
NO_PROBLEM_INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "bot_challenge",
    "request_human",
    "cancel_order",
    "ask_options",
    "ask_timeline",
    "ask_question",
    "praise",
    "business_enquiry",
    "smalltalk",
)
"""Intents whose examples name no problem: their clauses teach "none". Corrections,
venting and asks for a fix are left out, as they often name a problem."""
DETAIL_INTENT = "inform"
"""Its examples teach "none" unless a problem phrase is marked in them."""


def label_of(intent: str | None, names_a_problem: bool = False) -> str | None:
    """The clause label an example of ``intent`` teaches; ``None``: not used. A detail
    given on its own ("I paid $38 for it", "it was about 3 weeks ago") names no problem,
    unless a problem phrase is marked in it."""
    if intent in INTENT_CATEGORIES:
        return INTENT_CATEGORIES[intent]
    if intent == DETAIL_INTENT and not names_a_problem:
        return NO_PROBLEM
    return NO_PROBLEM if intent in NO_PROBLEM_INTENTS else None


def new_model(regularisation: float, seed: int) -> Pipeline:
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True),
    )
    classifier = LogisticRegression(C=regularisation, max_iter=500, random_state=seed)
    return make_pipeline(features, classifier)


def rescued_intent(
    intent: str | None, signals: dict[str, Any], text: str, categories: list[str]
) -> str | None:
    """The complaint a message the classifier fell back on should be, from its clauses;
    ``None``: leave it (placed already, short, heard as something else, or no problem)."""
    if intent != DEFAULT_NLU_FALLBACK_INTENT_NAME or not categories:
        return None
    if HEARD_OTHERWISE & signals.keys() or len(text.split()) < STORY_WORDS:
        return None
    return CATEGORY_INTENTS.get(categories[0])


def read_clauses(model: Pipeline, text: str, threshold: float) -> list[str]:
    """The categories of the clauses of ``text`` read with ``threshold`` confidence, in
    order, each once; nothing for a message of one clause (the intent reads that)."""
    clauses = clauses_of(text)
    if len(clauses) < 2:
        return []
    found: list[str] = []
    for probabilities in model.predict_proba(clauses):
        best = int(np.argmax(probabilities))
        label = str(model.classes_[best])
        if label != NO_PROBLEM and probabilities[best] >= threshold and label not in found:
            found.append(label)
    return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ClauseReader(GraphComponent):
    """Adds ``clause_categories`` to a message's signals (runs after MessageSignals)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"threshold": 0.8, "regularisation": 10.0, "random_seed": 2041}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None,
    ) -> None:
        self.threshold = float(config["threshold"])
        self.regularisation = float(config["regularisation"])
        self.seed = int(config["random_seed"])
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ClauseReader:
        return cls(config, model_storage, resource, None)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ClauseReader:
        with model_storage.read_from(resource) as directory:
            model = joblib.load(directory / MODEL_FILE)
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = [], []
        for example in training_data.intent_examples:
            entities = example.get(ENTITIES) or []
            label = label_of(
                example.get(INTENT), any(e.get("entity") == "problem" for e in entities)
            )
            if label is not None:
                texts.append(example.get(TEXT) or "")
                labels.append(label)
        if len(set(labels)) < 2:
            raise ValueError("ClauseReader needs complaint examples and others to train on")
        self.model = new_model(self.regularisation, self.seed).fit(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.model, directory / MODEL_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            categories = read_clauses(self.model, text, self.threshold)
            if not categories:
                continue
            found = dict(message.get(SIGNALS) or {})
            found[CLAUSE_CATEGORIES] = categories
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            complaint = rescued_intent(intent, found, text, categories)
            if complaint is not None:
                found[RESCUED] = True
                choose_intent(message, complaint)
            message.set(SIGNALS, found, add_to_output=True)
        return messages
