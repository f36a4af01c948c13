"""What a message says, without the markup of a public post: @handles, links, the ``#``
of a hashtag.

"@PlumPost 12 days and still in transit #joke https://t.co/k2Lm" is read as "12 days and
still in transit joke": a handle or a link says nothing about what went wrong, and their
letters would otherwise count as words the classifier has to weigh. Every character
removed becomes a space, so the text keeps its length and the entities found in it keep
their places. First in the pipeline, for training and for every message; the message the
customer sent is kept as written in the conversation.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.stateless import StatelessComponent

_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_]{1,30}(?![\w@.]*\.[a-z]{2,})")
"""A handle, never an email address ("tom@shop.com") or a domain after an @."""
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_HASHTAG_SIGN = re.compile(r"(?<![\w&#])#(?=[A-Za-z]+\b)")
"""The ``#`` of a word hashtag ("#fail"); never of a number ("#48213") or a reference with
digits ("#PX449120"), which is an order number."""


def without_social_markup(text: str) -> str:
    """``text`` with handles, links and hashtag signs blanked out, the same length; the
    text as it was when nothing else would be left."""

    def blank(match: re.Match[str]) -> str:
        return " " * len(match.group())

    cleaned = _HASHTAG_SIGN.sub(" ", _LINK.sub(blank, _HANDLE.sub(blank, text)))
    return cleaned if cleaned.strip() else text


# Registered as a tokenizer (it is not a Tokenizer subclass, so Rasa's one-tokenizer check
# does not count it): only tokenizers and featurizers are run on the training data too.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SocialMarkupRemover(StatelessComponent):
    """Blanks out handles, links and hashtag signs before the tokenizer sees a message."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(TEXT, without_social_markup(text))
        return messages
