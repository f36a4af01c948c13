"""Custom actions of the complaint assistant (run by ``rasa run actions``).

Actions translate the dialogue state into responses; the logic lives in ``bot``
(no rasa imports there), persistence in ``bot.case_records``.
"""
