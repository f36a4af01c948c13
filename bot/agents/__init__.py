"""The people behind the human handoff: the roster in ``agents.yml``, their passwords, the
login guard, and the ``python -m bot.agents`` command that edits the roster (no rasa)."""
