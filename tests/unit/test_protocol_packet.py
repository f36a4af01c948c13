"""docs/protocol.md defines the handoff packet: its schema there is the code's."""

from __future__ import annotations

import json
import re

import jsonschema

from bot.handoff.packet import PACKET_SCHEMA
from tests.conftest import ROOT


def documented_packet_schema() -> dict:
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split("## The handoff packet", 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, flags=re.DOTALL)
    assert block is not None, "docs/protocol.md has no schema under 'The handoff packet'"
    return json.loads(block.group(1))


def test_the_documented_packet_schema_is_the_one_the_code_uses():
    assert documented_packet_schema() == PACKET_SCHEMA


def test_the_documented_packet_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(documented_packet_schema())
