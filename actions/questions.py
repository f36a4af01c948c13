"""Questions customers ask along the way: "what can you do?" and, after a fix was
agreed, "how long will it take?" / "will I get an email?"."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.phrasing import say
from actions.services import business_rules
from actions.tracker_reading import amount_in_question, latest_text, open_categories
from bot.authority import offers_within_authority
from bot.complaints import INTENT_CATEGORIES

DomainDict = dict[str, Any]

_ABOUT_EMAIL = re.compile(r"\b(?:e-?mail|confirmation|confirm|in writing|receipt)\b", re.I)


def repeat_options(dispatcher: CollectingDispatcher, tracker: Tracker, category_id: str) -> None:
    """The fixes for the category within authority now (with the amount in question),
    what needs a colleague, and the fair ask again."""
    rules = business_rules()
    category = rules.category(category_id)
    offers = offers_within_authority(category, rules, amount_in_question(tracker))
    say(
        dispatcher,
        "repeat_options",
        options=" or ".join(offers) if offers else "bring in a colleague who can approve more",
        cannot=category.cannot,
    )


class ActionRepeatOptions(Action):
    """The customer asks what the assistant can do: the options for the open complaint
    (within authority, with their cost), what needs a colleague, and the fair ask again."""

    def name(self) -> str:
        return "action_repeat_options"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = business_rules()
        categories = open_categories(tracker)
        if not categories:
            kinds = sorted(
                {
                    rules.category(c).name
                    for c in INTENT_CATEGORIES.values()
                    if c in rules.categories
                }
            )
            say(dispatcher, "what_i_can_do", kinds=", ".join(kinds[:-1]) + " or " + kinds[-1])
            return []
        repeat_options(dispatcher, tracker, categories[0])
        return []


class ActionAnswerTimeline(Action):
    """After a fix was agreed: what happens next and how long it takes, from
    business.yml (the fix's ``timeline``, and ``company.confirmation_email``)."""

    def name(self) -> str:
        return "action_answer_timeline"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = business_rules()
        granted = tracker.get_slot("granted_fix")
        reference = tracker.get_slot("last_reference")
        # The agreed complaint's own categories first: fix ids repeat across categories
        # ("replacement" for a lost parcel is not the one for a damaged item).
        agreed = [
            c for c in tracker.get_slot("complaint_categories") or [] if c in rules.categories
        ]
        order = [*agreed, *(c for c in rules.categories if c not in agreed)]
        timeline = next(
            (
                fix.timeline
                for category in order
                for fix in rules.category(category).fixes
                if fix.id == granted and fix.timeline
            ),
            None,
        )
        if granted == "money":
            timeline = rules.refund_timeline
        if not reference or timeline is None:
            say(dispatcher, "timeline_before_agreement")
            return []
        email = f" {rules.confirmation_email}." if _ABOUT_EMAIL.search(latest_text(tracker)) else ""
        say(dispatcher, "answer_timeline", timeline=timeline, email=email, reference=reference)
        return []
