"""Turning transcript entries and Rasa replies into the events of docs/protocol.md."""

from __future__ import annotations

from typing import Any

from bot.transcript import EntryKind, TranscriptEntry

BOT_SENDER: dict[str, Any] = {"kind": "bot"}
SYSTEM_SENDER: dict[str, Any] = {"kind": "system"}

_OWN_FIELDS = {"text", "sender", "quick_replies", "attachment", "custom", "client_message_id"}
PROTOCOL_FIELDS = frozenset({"seq", "at", "sender"})
"""What protocol 1 adds to Rasa's ``bot_uttered``; Rasa's own clients get none of it
(rasa-webchat 1.0 silently drops a message with keys it does not know)."""


def for_rasa_client(payload: dict[str, Any]) -> dict[str, Any]:
    """A ``bot_uttered`` payload as Rasa's socket.io channel would send it."""
    return {key: value for key, value in payload.items() if key not in PROTOCOL_FIELDS}


def entry_event(entry: TranscriptEntry) -> tuple[str, dict[str, Any]]:
    """The event a client receives for a transcript entry."""
    stamp = {"seq": entry.seq, "at": entry.at}
    if entry.kind == "visitor":
        uttered = {
            **stamp,
            "text": entry.text or "",
            "client_message_id": entry.body.get("client_message_id"),
        }
        if isinstance(entry.body.get("payload"), str):
            uttered["payload"] = entry.body["payload"]  # a quick reply; text is its title
        return "visitor_uttered", uttered
    handoff = entry.body.get("handoff")
    if entry.kind == "system" and isinstance(handoff, dict):
        return "handoff", {**stamp, **handoff}
    payload: dict[str, Any] = {}
    custom = entry.body.get("custom")
    if isinstance(custom, dict):
        payload.update({k: v for k, v in custom.items() if k not in _OWN_FIELDS})
    payload.update(stamp)
    payload["sender"] = entry.body.get("sender") or (
        SYSTEM_SENDER if entry.kind == "system" else BOT_SENDER
    )
    for name in ("text", "quick_replies", "attachment"):
        if name in entry.body:
            payload[name] = entry.body[name]
    return "bot_uttered", payload


def reply_body(reply: dict[str, Any]) -> dict[str, Any]:
    """The transcript body of one of Rasa's collected replies (as Rasa's socket.io
    channel would have sent it: buttons become ``quick_replies``, images attachments)."""
    body: dict[str, Any] = {"sender": BOT_SENDER}
    if isinstance(reply.get("text"), str):
        body["text"] = reply["text"]
    buttons = reply.get("buttons")
    if isinstance(buttons, list):
        body["quick_replies"] = [
            {
                "content_type": "text",
                "title": str(button.get("title", "")),
                "payload": str(button.get("payload", "")),
            }
            for button in buttons
            if isinstance(button, dict)
        ]
    if isinstance(reply.get("image"), str):
        body["attachment"] = {"type": "image", "payload": {"src": reply["image"]}}
    elif reply.get("attachment") is not None:
        body["attachment"] = {"type": "file", "payload": reply["attachment"]}
    if isinstance(reply.get("custom"), dict):
        body["custom"] = reply["custom"]
    return body


def reply_entry(reply: dict[str, Any]) -> tuple[EntryKind, dict[str, Any]]:
    """The transcript entry for one of Rasa's replies: the handoff action's
    ``{"custom": {"handoff": {...}}}`` becomes a ``handoff`` entry, the rest bot messages."""
    custom = reply.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
        return "system", {"handoff": custom["handoff"]}
    return "bot", reply_body(reply)


def offered_quick_replies(bodies: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The quick replies (``title``, ``payload``) a bot turn offered: the visitor may send
    a payload back, and is then recorded as having said its title."""
    return [
        {"title": str(reply.get("title") or reply["payload"]), "payload": reply["payload"]}
        for body in bodies
        for reply in body.get("quick_replies", [])
        if reply.get("payload")
    ]
