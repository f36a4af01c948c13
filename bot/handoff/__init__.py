"""The handoff core: ownership, routing, packet. No rasa import."""
