"""actions/not_complaints.py: questions, praise, enquiries and small talk get what the bot
is for and the way on, never a restated complaint."""

from __future__ import annotations

import pytest

from actions.not_complaints import ActionAnswerNotComplaint
from actions.phrasing import phrasebook
from actions.services import business_rules
from tests.unit.builders import make_tracker


@pytest.mark.parametrize(
    ("intent", "text", "phrase", "says"),  # says: the business.yml text the answer names
    [
        ("ask_question", "do you have the linen shirt in XL?", "answer_question", "help_centre"),
        ("praise", "the delivery was so quick, thank you!", "answer_praise", None),
        ("business_enquiry", "I'm a journalist at the Gazette", "answer_business_enquiry",
         "enquiries_contact"),
        ("smalltalk", "how's your day going?", "answer_smalltalk", None),
    ],
)  # fmt: skip
async def test_each_kind_gets_its_answer_and_the_way_on(
    dispatcher, domain, intent, text, phrase, says
):
    tracker = make_tracker(intent, text)

    events = await ActionAnswerNotComplaint().run(dispatcher, tracker, domain)

    [message] = dispatcher.messages
    assert phrasebook().matches(phrase, message["text"])
    if says:
        where = getattr(business_rules(), says)
        assert where.lower() in message["text"].lower()
    assert events == []


async def test_a_question_offers_a_person_as_a_button(dispatcher, domain):
    tracker = make_tracker("ask_question", "how do I pair the headphones?")

    await ActionAnswerNotComplaint().run(dispatcher, tracker, domain)

    [message] = dispatcher.messages
    assert message["buttons"] == [{"title": "Ask a person", "payload": "/request_human"}]
