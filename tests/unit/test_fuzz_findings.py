"""What the fuzzers (tests/e2e/security/) found, pinned down where it is cheap to:
JSON nested deeper than Python's parser recurses, and visitor metadata carrying
binary attachments or NaN, must be refused like any invalid JSON, not raise out of
the handler."""

from __future__ import annotations

import pytest
from sanic import Sanic
from sanic.request import Request

from bot.gateway import payloads
from bot.gateway.agent_requests import ApiError, json_body

TOO_DEEP = "[" * 990 + "]" * 990
"""Under the 2,000-character metadata limit, yet deeper than json.loads can go."""


def test_visitor_metadata_nested_too_deep_is_dropped_not_raised():
    message = payloads.visitor_message({"message": "hello", "customData": TOO_DEEP})
    assert message.metadata == {}


def test_visitor_metadata_over_the_limit_is_not_even_parsed():
    huge = '{"a": "' + "x" * 5000 + '"}'
    assert payloads.visitor_message({"message": "hi", "metadata": huge}).metadata == {}


@pytest.mark.parametrize(
    "metadata",
    [{"file": b"\x00\x01"}, {"n": float("nan")}, {"n": float("inf")}, {"a": [b"x"]}],
    ids=["binary attachment", "NaN", "Infinity", "nested binary"],
)
def test_visitor_metadata_that_is_not_plain_json_is_dropped_not_raised(metadata):
    assert payloads.visitor_message({"message": "hi", "customData": metadata}).metadata == {}


@pytest.mark.parametrize("depth", [990, 5000])
def test_an_agent_api_body_nested_too_deep_is_a_400(depth):
    app = Sanic.get_app("fuzz-findings", force_create=True)
    request = Request(b"/api/agent/presence", {}, "1.1", "PUT", None, app)
    request.headers["content-type"] = "application/json"
    request.body = ("[" * depth + "]" * depth).encode()
    with pytest.raises(ApiError) as refused:
        json_body(request)
    assert refused.value.status == 400


@pytest.mark.parametrize("before_seq", [2**53 + 1, 2**64, 10**40])
def test_a_history_request_before_an_astronomical_seq_asks_for_the_newest_page(before_seq):
    assert payloads.history_request({"before_seq": before_seq}) == (payloads.MAX_SEQ, 50)
