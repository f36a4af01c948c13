"""The code the action server and the gateway share imports no rasa (so the action
server never loads TensorFlow): checked in a fresh interpreter per module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

SHARED_MODULES = [
    "bot.ownership",
    "bot.inbox",
    "bot.transcript",
    "bot.conversations",
    "bot.frustration",
    "bot.handoff.desk",
    "bot.handoff.packet",
    "bot.handoff.queue",
    "bot.handoff.routing",
    "bot.handoff.announcements",
    "bot.agents.roster",
    "bot.agents.presence",
    "bot.agents.login_guard",
    "bot.gateway.app",
    "bot.authority",
    "bot.corrections",
    "bot.complaints",
    "bot.business_hours",
    "bot.nlu.signals",
]


@pytest.mark.parametrize("module", SHARED_MODULES)
def test_the_module_imports_no_rasa_and_no_tensorflow(module: str) -> None:
    probe = (
        f"import sys, {module}; "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('rasa', 'rasa_sdk', 'tensorflow')); print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{module} loads {result.stdout.strip()}"
