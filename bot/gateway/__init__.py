"""The gateway: visitors' sockets, sessions, transcripts and the hop to Rasa (no inference)."""
