"""Messages that are not complaints: questions, praise, business enquiries and small talk.

The bot says what it is for and points the way on (business.yml's ``help_centre`` and
``enquiries_contact``, or a colleague), without restating a complaint nobody made.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.phrasing import say
from actions.services import business_rules
from actions.tracker_reading import latest_intent
from bot.complaints import capitalised

DomainDict = dict[str, Any]

ASK_A_PERSON = [{"title": "Ask a person", "payload": "/request_human"}]


class ActionAnswerNotComplaint(Action):
    """Answers a question, praise, an enquiry or small talk with what the bot is for."""

    def name(self) -> str:
        return "action_answer_not_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = business_rules()
        intent = latest_intent(tracker)
        if intent == "praise":
            say(dispatcher, "answer_praise")
        elif intent == "business_enquiry":
            say(dispatcher, "answer_business_enquiry", enquiries_contact=rules.enquiries_contact)
        elif intent == "smalltalk":
            say(dispatcher, "answer_smalltalk", company_name=rules.company_name)
        else:
            say(
                dispatcher,
                "answer_question",
                buttons=ASK_A_PERSON,
                help_centre=rules.help_centre,
                help_centre_capitalised=capitalised(rules.help_centre),
            )
        return []
