"""bench/nlu/heldout.yml: the held-out NLU examples the benchmark measures intent F1 on.

They must load, cover every intent that has training examples, use only the domain's
intents and entities, and never repeat a training example (else the benchmark measures
memory, not understanding).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from tests.conftest import ROOT

HELDOUT = ROOT / "bench" / "nlu" / "heldout.yml"
TRAINING = ROOT / "data" / "nlu"
MIN_EXAMPLES_PER_INTENT = 6


def normalised(text: str) -> str:
    """Lower case, without punctuation or whitespace: "Hi, there!" -> "hithere"."""
    return re.sub(r"[\W_]+", "", text.casefold())


def names(items: list[str | dict[str, Any]]) -> set[str]:
    """The names in a domain's ``intents`` or ``entities`` list (plain or with properties)."""
    return {item if isinstance(item, str) else next(iter(item)) for item in items}


@pytest.fixture(scope="module")
def heldout() -> TrainingData:
    return load_data(str(HELDOUT))


@pytest.fixture(scope="module")
def training() -> TrainingData:
    return load_data(str(TRAINING))


def test_the_heldout_file_loads_with_rasas_loader(heldout: TrainingData) -> None:
    assert heldout.intent_examples, f"{HELDOUT} has no intent examples"
    assert all(example.get("text") for example in heldout.intent_examples)


def test_every_trained_intent_has_enough_heldout_examples(
    heldout: TrainingData, training: TrainingData
) -> None:
    counts = Counter(example.get("intent") for example in heldout.intent_examples)
    short = {
        intent: counts[intent]
        for intent in sorted(training.intents)
        if counts[intent] < MIN_EXAMPLES_PER_INTENT
    }
    assert not short, (
        f"intents with fewer than {MIN_EXAMPLES_PER_INTENT} held-out examples: {short}"
    )


def test_every_heldout_intent_is_in_the_domain(
    heldout: TrainingData, domain: dict[str, Any]
) -> None:
    unknown = heldout.intents - names(domain["intents"])
    assert not unknown, f"held-out intents unknown to domain.yml: {sorted(unknown)}"


def test_no_heldout_example_is_a_training_example(
    heldout: TrainingData, training: TrainingData
) -> None:
    trained = {normalised(example.get("text")): example for example in training.intent_examples}
    offenders = [
        f"{example.get('intent')}: {example.get('text')!r} "
        f"(training, {trained[key].get('intent')}: {trained[key].get('text')!r})"
        for example in heldout.intent_examples
        if (key := normalised(example.get("text"))) in trained
    ]
    assert not offenders, "held-out examples that are also training examples:\n" + "\n".join(
        offenders
    )


def test_every_annotated_entity_is_in_the_domain(
    heldout: TrainingData, domain: dict[str, Any]
) -> None:
    used = {
        entity["entity"]
        for example in heldout.intent_examples
        for entity in example.get("entities") or []
    }
    assert used, "the held-out examples annotate no entities at all"
    unknown = used - names(domain["entities"])
    assert not unknown, f"held-out entities unknown to domain.yml: {sorted(unknown)}"
