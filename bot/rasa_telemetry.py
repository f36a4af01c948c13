"""Rasa's anonymous telemetry is off for every Rasa process we start, unless the operator
opts in.

Rasa turns telemetry on by default on a fresh machine (it writes
``~/.config/rasa/global.yml`` and prints a banner). A product holding customers' words
sends nothing anywhere unless told to: we set ``RASA_TELEMETRY_ENABLED=false`` (Rasa's
own variable, read before its config file) in the environment of every Rasa process
(``make`` targets, ``make run``, training, the bench, the tests). The operator opts in by
setting ``RASA_TELEMETRY_ENABLED=true`` themselves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

TELEMETRY_SETTING = "RASA_TELEMETRY_ENABLED"


def telemetry_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{"RASA_TELEMETRY_ENABLED": "true"}`` only if ``environ`` says exactly that (any
    case), else ``"false"``: to merge into a Rasa process's environment."""
    environ = os.environ if environ is None else environ
    opted_in = environ.get(TELEMETRY_SETTING, "").strip().lower() == "true"
    return {TELEMETRY_SETTING: "true" if opted_in else "false"}
