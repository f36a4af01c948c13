"""The handoff packet: everything the agent reads when a conversation reaches them.

Built from the tracker events (plain dicts), the transcript and the customer's
earlier conversations; stored as versioned JSON (``to_json`` / ``from_json``), and
described by ``PACKET_SCHEMA`` (JSON Schema, draft 2020-12). Agents read it, so it
names conversations by chat id, never by session id (bot/chat_ids.py). No rasa import.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, TypedDict

from bot.chat_ids import chat_id as chat_id_of
from bot.chat_ids import customer_key_for_agents
from bot.complaints import capitalised, normalise_order_id
from bot.frustration import FrustrationMeter, measure_trend
from bot.transcript import TranscriptEntry

PACKET_VERSION = 2
"""2: conversations named by ``chat_id`` (1 had their session ids)."""
SUMMARY_MAX_CHARS = 120

ENTITY_SLOTS = ("order_id", "amount", "product", "email", "waited")
PROPOSAL_PHRASES = frozenset({"propose_fix", "propose_only_fix"})
FAIR_ASK_PROMPTS = frozenset({"ask_what_would_be_fair", "clarify_fair_ask"})

TRIGGER_LABELS = {
    "customer_request": "asked for a person",
    "accepted_offer_after_venting": "upset, accepted a person",
    "accepted_offer_after_repeated_misunderstanding": "bot misunderstood, accepted a person",
    "fair_ask_beyond_authority": "ask beyond the bot's authority",
    "fair_ask_needs_judgement": "ask needs judgement",
    "no_fair_fix_agreed": "no fix agreed",
    "frustration_rising": "frustration rising",
    "repeated_misunderstanding": "bot misunderstood repeatedly",
}
"""How the queue list words a trigger when there is no fair ask to show."""


class ComplaintAsRestated(TypedDict):
    restated: str | None
    """The complaint in one sentence written for the agent (the restatement's
    ``case_summary``, never the bot's question)."""
    confirmed: bool | None
    """True: the customer confirmed it (affirm); False: they denied the latest
    restatement; None: not answered, or derived from the categories."""


class ComplaintEntities(TypedDict):
    order_id: str | None
    amount: str | None
    product: str | None
    email: str | None
    waited: str | None


@dataclass(frozen=True)
class ProposedFix:
    """A fix the bot proposed, and how the customer answered."""

    text: str
    answer: str | None
    answer_intent: str | None


@dataclass(frozen=True)
class EarlierConversation:
    """One of the customer's previous conversations."""

    chat_id: str
    started_at: str
    outcome: str
    summary: str | None


@dataclass(frozen=True)
class HandoffPacket:
    """What the agent needs so the customer never has to repeat themselves."""

    chat_id: str
    customer_key: str
    created_at: str
    trigger: str
    """Machine code: ``customer_request``, ``frustration_rising``, …"""
    reason: str
    """One human sentence."""
    summary: str
    """One line for the queue list."""
    category: str | None
    categories: list[str]
    complaint: ComplaintAsRestated
    entities: ComplaintEntities
    limits_stated: list[str]
    fixes_proposed: list[ProposedFix]
    fair_ask: str | None
    frustration: dict[str, Any]
    """``FrustrationTrend.to_json()``."""
    transcript: list[dict[str, Any]]
    earlier_conversations: list[EarlierConversation]
    routed_to: dict[str, Any] | None = None
    """The agent's public information, once routed."""
    version: int = field(default=PACKET_VERSION)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "chat_id": self.chat_id,
            "customer_key": self.customer_key,
            "created_at": self.created_at,
            "trigger": self.trigger,
            "reason": self.reason,
            "summary": self.summary,
            "category": self.category,
            "categories": list(self.categories),
            "complaint": dict(self.complaint),
            "entities": dict(self.entities),
            "limits_stated": list(self.limits_stated),
            "fixes_proposed": [asdict(fix) for fix in self.fixes_proposed],
            "fair_ask": self.fair_ask,
            "frustration": dict(self.frustration),
            "transcript": [dict(line) for line in self.transcript],
            "earlier_conversations": [asdict(item) for item in self.earlier_conversations],
            "routed_to": dict(self.routed_to) if self.routed_to is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HandoffPacket:
        """The packet ``to_json`` wrote; a ValueError for another version."""
        version = data.get("version")
        if version != PACKET_VERSION:
            raise ValueError(f"handoff packet version {version!r} is not {PACKET_VERSION}")
        complaint = data["complaint"]
        entities = data["entities"]
        return cls(
            version=version,
            chat_id=data["chat_id"],
            customer_key=data["customer_key"],
            created_at=data["created_at"],
            trigger=data["trigger"],
            reason=data["reason"],
            summary=data["summary"],
            category=data["category"],
            categories=list(data["categories"]),
            complaint=ComplaintAsRestated(
                restated=complaint["restated"], confirmed=complaint["confirmed"]
            ),
            entities=ComplaintEntities(**{name: entities[name] for name in ENTITY_SLOTS}),
            limits_stated=list(data["limits_stated"]),
            fixes_proposed=[ProposedFix(**fix) for fix in data["fixes_proposed"]],
            fair_ask=data["fair_ask"],
            frustration=dict(data["frustration"]),
            transcript=[dict(line) for line in data["transcript"]],
            earlier_conversations=[
                EarlierConversation(**item) for item in data["earlier_conversations"]
            ],
            routed_to=data["routed_to"],
        )


def packet_for_agents(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored packet as agents may read it: one stored before chat ids existed
    (version 1) names its conversations by chat id instead of session id."""
    if stored.get("version") != 1:
        return stored
    packet = {key: value for key, value in stored.items() if key != "session_id"}
    packet["version"] = PACKET_VERSION
    packet["chat_id"] = chat_id_of(str(stored.get("session_id", "")))
    packet["customer_key"] = customer_key_for_agents(str(stored.get("customer_key", "")))
    packet["earlier_conversations"] = [
        {
            "chat_id": chat_id_of(str(item.get("session_id", ""))),
            **{key: value for key, value in item.items() if key != "session_id"},
        }
        for item in stored.get("earlier_conversations") or []
    ]
    return packet


# --- reading the events ---------------------------------------------------------------


def _phrase(event: dict[str, Any]) -> str | None:
    if event.get("event") != "bot":
        return None
    phrase = (event.get("metadata") or {}).get("phrase")
    return phrase if isinstance(phrase, str) else None


def _intent(event: dict[str, Any]) -> str | None:
    name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return name if isinstance(name, str) else None


def _text(event: dict[str, Any]) -> str:
    return str(event.get("text") or "")


def _next_user(events: list[dict[str, Any]], after: int) -> dict[str, Any] | None:
    return next((event for event in events[after + 1 :] if event.get("event") == "user"), None)


def _bot_texts(events: list[dict[str, Any]], phrases: frozenset[str]) -> list[tuple[int, str]]:
    return [
        (index, _text(event)) for index, event in enumerate(events) if _phrase(event) in phrases
    ]


def _case_summary(event: dict[str, Any]) -> str | None:
    summary = (event.get("metadata") or {}).get("case_summary")
    return summary.strip() if isinstance(summary, str) and summary.strip() else None


def complaint_as_restated(
    events: list[dict[str, Any]], derived: str | None = None
) -> ComplaintAsRestated:
    """The complaint for the agent, one sentence: the ``case_summary`` of the latest
    restatement the customer confirmed (the next user message was ``affirm``); else
    the latest restatement's, unconfirmed (``False`` if denied); else ``derived``
    (from the categories). Never the bot's question itself."""
    restatements = [
        (index, event)
        for index, event in enumerate(events)
        if _phrase(event) == "restate_complaint"
    ]
    answers = []
    for index, event in restatements:
        answer = _next_user(events, index)
        intent = _intent(answer) if answer else None
        answers.append((_case_summary(event), {"affirm": True, "deny": False}.get(intent or "")))
    for summary, confirmed in reversed(answers):
        if confirmed and summary:
            return ComplaintAsRestated(restated=summary, confirmed=True)
    for summary, confirmed in reversed(answers):
        if summary:
            return ComplaintAsRestated(
                restated=summary, confirmed=False if confirmed is False else None
            )
    return ComplaintAsRestated(restated=derived, confirmed=None)


def complaint_from_categories(
    categories: list[str], category_names: dict[str, str], entities: ComplaintEntities
) -> str | None:
    """``"Damaged item and late delivery, order #48213 (blender)."``: the complaint when
    the bot never restated it (``None`` without a category)."""
    if not categories:
        return None
    names = [category_names.get(cat, cat.replace("_", " ")) for cat in categories]
    head = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    sentence = capitalised(head)
    if entities["order_id"]:
        sentence += f", order #{entities['order_id']}"
        if entities["product"]:
            sentence += f" ({entities['product']})"
    elif entities["product"]:
        sentence += f" ({entities['product']})"
    return sentence + "."


SMALL_TALK_INTENTS = frozenset(
    {"request_human", "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge"}
)
"""Messages that tell an agent nothing about the problem."""


def customer_told_more(events: list[dict[str, Any]]) -> bool:
    """Whether the customer wrote more than the request for a person (and small talk):
    only then is there something for the agent to "see"."""
    for event in events:
        if event.get("event") != "user" or not _text(event).strip():
            continue
        if _intent(event) not in SMALL_TALK_INTENTS:
            return True
    return False


def latest_entities(events: list[dict[str, Any]]) -> ComplaintEntities:
    """The latest value of each detail slot (a list slot gives its last item)."""
    values: dict[str, str | None] = dict.fromkeys(ENTITY_SLOTS)
    for event in events:
        name = event.get("name")
        if event.get("event") != "slot" or name not in values:
            continue
        value = event.get("value")
        if isinstance(value, list):
            value = value[-1] if value else None
        values[name] = str(value) if value not in (None, "") else None
    return ComplaintEntities(
        order_id=normalise_order_id(values["order_id"]),
        amount=values["amount"],
        product=values["product"],
        email=values["email"],
        waited=values["waited"],
    )


def limits_stated(events: list[dict[str, Any]]) -> list[str]:
    """What the bot said it can and cannot do, each text once, in order."""
    texts = [text for _, text in _bot_texts(events, frozenset({"state_limits"}))]
    return list(dict.fromkeys(texts))


def fixes_proposed(events: list[dict[str, Any]]) -> list[ProposedFix]:
    proposals = []
    for index, text in _bot_texts(events, PROPOSAL_PHRASES):
        answer = _next_user(events, index)
        proposals.append(
            ProposedFix(
                text=text,
                answer=_text(answer) if answer else None,
                answer_intent=_intent(answer) if answer else None,
            )
        )
    return proposals


def fair_ask_in(events: list[dict[str, Any]]) -> str | None:
    """What the customer answered the last time the bot asked what would be fair."""
    for index, _ in reversed(_bot_texts(events, FAIR_ASK_PROMPTS)):
        answer = _next_user(events, index)
        if answer is not None and _text(answer).strip():
            return _text(answer).strip()
    return None


def transcript_lines(entries: list[TranscriptEntry]) -> list[dict[str, Any]]:
    """The transcript for the agent; ``sender`` is the protocol's sender object
    (``{"kind": "agent", "id", "name", …}``), or None for the visitor's messages."""
    lines = []
    for entry in entries:
        sender = entry.body.get("sender")
        lines.append(
            {
                "seq": entry.seq,
                "kind": entry.kind,
                "at": entry.at,
                "text": entry.text,
                "sender": dict(sender) if isinstance(sender, dict) else None,
            }
        )
    return lines


def queue_summary(
    categories: list[str],
    category_names: dict[str, str],
    order_id: str | None,
    fair_ask: str | None,
    trigger: str,
) -> str:
    """``"Late delivery, order 12345 — asks: refund the whole order"``, at most 120 chars."""
    names = [category_names.get(cat, cat.replace("_", " ")) for cat in categories]
    head = " + ".join(names) if names else "unspecified issue"
    head = capitalised(head)
    if order_id:
        head += f", order {order_id}"
    tail = (
        f"asks: {fair_ask}" if fair_ask else TRIGGER_LABELS.get(trigger, trigger.replace("_", " "))
    )
    summary = f"{head} — {tail}"
    if len(summary) > SUMMARY_MAX_CHARS:
        summary = summary[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"
    return summary


def _iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    iso = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return iso.replace("+00:00", "Z")


def build_packet(
    *,
    session_id: str,
    customer_key: str,
    events: list[dict[str, Any]],
    transcript: list[TranscriptEntry],
    trigger: str,
    reason: str,
    customer_ask: str | None,
    categories: list[str],
    category_names: dict[str, str],
    earlier: list[EarlierConversation],
    meter: FrustrationMeter,
    routed_to: dict[str, Any] | None,
    now: datetime | None = None,
) -> HandoffPacket:
    """The packet for a conversation being handed to a person.

    ``customer_ask`` (what the customer considers fair, as the bot understood it)
    wins over the text they gave when asked; ``now`` is for tests (naive means UTC).
    """
    entities = latest_entities(events)
    fair_ask = customer_ask or fair_ask_in(events)
    return HandoffPacket(
        chat_id=chat_id_of(session_id),
        customer_key=customer_key_for_agents(customer_key),
        created_at=_iso_utc(now or datetime.now(timezone.utc)),
        trigger=trigger,
        reason=reason,
        summary=queue_summary(categories, category_names, entities["order_id"], fair_ask, trigger),
        category=categories[0] if categories else None,
        categories=list(categories),
        complaint=complaint_as_restated(
            events, complaint_from_categories(categories, category_names, entities)
        ),
        entities=entities,
        limits_stated=limits_stated(events),
        fixes_proposed=fixes_proposed(events),
        fair_ask=fair_ask,
        frustration=measure_trend(events, meter).to_json(),
        transcript=transcript_lines(transcript),
        earlier_conversations=list(earlier),
        routed_to=dict(routed_to) if routed_to is not None else None,
    )


# --- the schema -----------------------------------------------------------------------

_TEXT_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}
_SCORE: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}


def _closed(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these properties."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


PACKET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:complaint-assistant:handoff-packet:{PACKET_VERSION}",
    "title": "Handoff packet",
    **_closed(
        {
            "version": {"const": PACKET_VERSION},
            "chat_id": {"type": "string", "minLength": 1},
            "customer_key": {"type": "string", "minLength": 1},
            "created_at": {"type": "string", "format": "date-time"},
            "trigger": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
            "reason": {"type": "string"},
            "summary": {"type": "string", "maxLength": SUMMARY_MAX_CHARS},
            "category": _TEXT_OR_NULL,
            "categories": {"type": "array", "items": {"type": "string"}},
            "complaint": _closed(
                {"restated": _TEXT_OR_NULL, "confirmed": {"type": ["boolean", "null"]}}
            ),
            "entities": _closed(dict.fromkeys(ENTITY_SLOTS, _TEXT_OR_NULL)),
            "limits_stated": {"type": "array", "items": {"type": "string"}},
            "fixes_proposed": {
                "type": "array",
                "items": _closed(
                    {
                        "text": {"type": "string"},
                        "answer": _TEXT_OR_NULL,
                        "answer_intent": _TEXT_OR_NULL,
                    }
                ),
            },
            "fair_ask": _TEXT_OR_NULL,
            "frustration": _closed(
                {
                    "scores": {"type": "array", "items": _SCORE},
                    "direction": {"enum": ["rising", "steady", "falling"]},
                    "latest": _SCORE,
                    "peak": _SCORE,
                }
            ),
            "transcript": {
                "type": "array",
                "items": _closed(
                    {
                        "seq": {"type": "integer", "minimum": 1},
                        "kind": {"enum": ["visitor", "bot", "agent", "system"]},
                        "at": {"type": "string"},
                        "text": _TEXT_OR_NULL,
                        "sender": {
                            "type": ["object", "null"],
                            "required": ["kind"],
                            "properties": {"kind": {"enum": ["bot", "agent", "system"]}},
                        },
                    }
                ),
            },
            "earlier_conversations": {
                "type": "array",
                "items": _closed(
                    {
                        "chat_id": {"type": "string"},
                        "started_at": {"type": "string"},
                        "outcome": {"type": "string"},
                        "summary": _TEXT_OR_NULL,
                    }
                ),
            },
            "routed_to": {"type": ["object", "null"]},
        }
    ),
}
"""JSON Schema (draft 2020-12) of ``HandoffPacket.to_json()``."""
