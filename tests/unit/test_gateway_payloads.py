"""bot/gateway/payloads.py: what clients send, read strictly; every mistake names its field."""

from __future__ import annotations

import json

import pytest

from bot.gateway import payloads
from bot.gateway.payloads import (
    MAX_CLIENT_MESSAGE_ID_CHARS,
    MAX_VISITOR_METADATA_CHARS,
    PayloadError,
    SessionRequest,
    VisitorMessage,
)

GOOD_HASH = "a" * 64


# Any event: the payload itself


@pytest.mark.parametrize(
    "read",
    [
        payloads.session_request,
        payloads.visitor_message,
        payloads.typing_flag,
        payloads.history_request,
        payloads.rating,
    ],
)
@pytest.mark.parametrize("data", ["hello", ["message"], 3, True])
def test_a_payload_that_is_not_an_object_is_refused(read, data):
    with pytest.raises(PayloadError, match="expected a JSON object"):
        read(data)


def test_payload_errors_are_value_errors_so_callers_can_treat_them_as_bad_input():
    assert issubclass(PayloadError, ValueError)


# session_request


def test_an_empty_session_request_asks_for_a_fresh_anonymous_session_in_rasas_protocol():
    assert payloads.session_request({}) == SessionRequest(
        session_id=None, last_seq=None, speaks_protocol=False, user_id=None, user_hash=None
    )


def test_a_missing_session_request_payload_reads_as_an_empty_one():
    assert payloads.session_request(None) == payloads.session_request({})


def test_a_full_session_request_is_read_field_by_field():
    request = payloads.session_request(
        {
            "session_id": "abc.def",
            "last_seq": 7,
            "protocol": 1,
            "user": {"id": "customer-42", "hash": GOOD_HASH},
        }
    )

    assert request == SessionRequest(
        session_id="abc.def",
        last_seq=7,
        speaks_protocol=True,
        user_id="customer-42",
        user_hash=GOOD_HASH,
    )


def test_last_seq_zero_is_kept_as_zero_to_replay_everything():
    assert payloads.session_request({"last_seq": 0}).last_seq == 0


def test_a_null_session_id_means_no_session_id():
    assert payloads.session_request({"session_id": None}).session_id is None


def test_a_later_protocol_version_still_counts_as_speaking_the_protocol():
    assert payloads.session_request({"protocol": 2}).speaks_protocol is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"session_id": 12}, "'session_id' must be str"),
        ({"session_id": ["abc"]}, "'session_id' must be str"),
        ({"last_seq": "3"}, "'last_seq' must be int"),
        ({"last_seq": 2.0}, "'last_seq' must be int"),
        ({"last_seq": True}, "'last_seq' must be int"),
        ({"last_seq": -1}, "'last_seq' must be at least 0"),
        ({"protocol": "1"}, "'protocol' must be int"),
        ({"protocol": True}, "'protocol' must be int"),
        ({"protocol": 0}, "'protocol' must be at least 1"),
        ({"user": "customer-42"}, "'user' must be dict"),
        ({"user": {"id": 42, "hash": GOOD_HASH}}, "'id' must be str"),
        ({"user": {"id": "customer-42", "hash": 1}}, "'hash' must be str"),
    ],
)
def test_a_session_request_field_of_the_wrong_type_or_range_is_named(data, message):
    with pytest.raises(PayloadError) as raised:
        payloads.session_request(data)

    assert str(raised.value) == message


@pytest.mark.parametrize(
    "user",
    [
        {},
        {"id": "customer-42"},
        {"hash": GOOD_HASH},
        {"id": "", "hash": GOOD_HASH},
        {"id": "customer-42", "hash": ""},
        {"id": None, "hash": GOOD_HASH},
    ],
)
def test_a_user_without_both_id_and_hash_is_refused(user):
    with pytest.raises(PayloadError, match="'user' needs 'id' and 'hash'"):
        payloads.session_request({"user": user})


def test_a_null_user_means_an_anonymous_visitor():
    request = payloads.session_request({"user": None})

    assert request.user_id is None
    assert request.user_hash is None


# user_uttered


def test_a_plain_rasa_style_message_is_read():
    message = payloads.visitor_message({"message": "my parcel is late", "session_id": "s1"})

    assert message == VisitorMessage(
        text="my parcel is late", session_id="s1", client_message_id=None, metadata={}
    )


def test_the_message_text_is_kept_as_sent_without_trimming():
    text = "  Ünïcödé 📦 and\nnew lines  "

    assert payloads.visitor_message({"message": text}).text == text


def test_an_empty_message_text_is_left_for_the_gateway_to_answer():
    assert payloads.visitor_message({"message": ""}).text == ""


@pytest.mark.parametrize("data", [{}, None, {"text": "hello"}])
def test_a_message_without_message_is_refused(data):
    with pytest.raises(PayloadError, match="'message' is missing"):
        payloads.visitor_message(data)


@pytest.mark.parametrize("text", [None, 42, ["hi"], {"text": "hi"}, True])
def test_a_message_that_is_not_text_is_refused(text):
    with pytest.raises(PayloadError, match="'message' must be text"):
        payloads.visitor_message({"message": text})


def test_the_client_message_id_is_kept():
    message = payloads.visitor_message({"message": "hi", "client_message_id": "c-1"})

    assert message.client_message_id == "c-1"


def test_a_client_message_id_of_the_longest_allowed_length_is_kept():
    longest = "x" * MAX_CLIENT_MESSAGE_ID_CHARS

    assert payloads.visitor_message({"message": "hi", "client_message_id": longest}) == (
        VisitorMessage(text="hi", session_id=None, client_message_id=longest, metadata={})
    )


@pytest.mark.parametrize("client_message_id", ["", "x" * (MAX_CLIENT_MESSAGE_ID_CHARS + 1)])
def test_a_client_message_id_that_is_empty_or_too_long_is_refused(client_message_id):
    with pytest.raises(PayloadError, match="'client_message_id' must be 1 to 64 chars"):
        payloads.visitor_message({"message": "hi", "client_message_id": client_message_id})


def test_a_client_message_id_that_is_not_text_is_refused():
    with pytest.raises(PayloadError, match="'client_message_id' must be str"):
        payloads.visitor_message({"message": "hi", "client_message_id": 17})


def test_a_session_id_that_is_not_text_is_refused_in_a_message():
    with pytest.raises(PayloadError, match="'session_id' must be str"):
        payloads.visitor_message({"message": "hi", "session_id": 17})


def test_metadata_objects_are_passed_on():
    message = payloads.visitor_message({"message": "hi", "metadata": {"page": "/orders/48213"}})

    assert message.metadata == {"page": "/orders/48213"}


def test_rasa_clients_custom_data_is_read_as_metadata():
    message = payloads.visitor_message({"message": "hi", "customData": {"language": "en"}})

    assert message.metadata == {"language": "en"}


def test_metadata_wins_over_custom_data_when_both_are_sent():
    message = payloads.visitor_message(
        {"message": "hi", "metadata": {"from": "metadata"}, "customData": {"from": "customData"}}
    )

    assert message.metadata == {"from": "metadata"}


def test_metadata_sent_as_a_json_string_is_decoded():
    message = payloads.visitor_message(
        {"message": "hi", "customData": json.dumps({"language": "de"})}
    )

    assert message.metadata == {"language": "de"}


@pytest.mark.parametrize(
    "metadata",
    ["not json {", json.dumps(["a", "list"]), ["a", "list"], 42, "", True],
)
def test_metadata_that_is_not_an_object_is_dropped_without_refusing_the_message(metadata):
    message = payloads.visitor_message({"message": "still read", "metadata": metadata})

    assert message.text == "still read"
    assert message.metadata == {}


def test_metadata_of_exactly_the_limit_is_kept():
    padding = MAX_VISITOR_METADATA_CHARS - len(json.dumps({"k": ""}))
    metadata = {"k": "x" * padding}
    assert len(json.dumps(metadata)) == MAX_VISITOR_METADATA_CHARS

    assert payloads.visitor_message({"message": "hi", "metadata": metadata}).metadata == metadata


def test_metadata_over_the_limit_is_dropped():
    padding = MAX_VISITOR_METADATA_CHARS - len(json.dumps({"k": ""})) + 1
    metadata = {"k": "x" * padding}

    assert payloads.visitor_message({"message": "hi", "metadata": metadata}).metadata == {}


def test_the_metadata_limit_counts_characters_not_escaped_bytes():
    # 1,000 emoji are 1,000 characters of JSON (unescaped) but 12,000 as \u escapes.
    metadata = {"k": "📦" * 1000}

    assert payloads.visitor_message({"message": "hi", "metadata": metadata}).metadata == metadata


# typing


@pytest.mark.parametrize("flag", [True, False])
def test_the_typing_flag_is_read(flag):
    assert payloads.typing_flag({"typing": flag}) is flag


@pytest.mark.parametrize("data", [{}, None, {"typing": None}])
def test_a_missing_typing_flag_is_refused(data):
    with pytest.raises(PayloadError, match="'typing' must be true or false"):
        payloads.typing_flag(data)


@pytest.mark.parametrize("flag", [1, 0, "true", "false"])
def test_a_typing_flag_that_is_not_a_boolean_is_refused(flag):
    with pytest.raises(PayloadError, match="'typing' must be bool"):
        payloads.typing_flag({"typing": flag})


# history_request


def test_a_history_request_without_fields_asks_for_the_newest_fifty():
    assert payloads.history_request({}) == (None, 50)
    assert payloads.history_request(None) == (None, 50)


def test_a_history_request_is_read():
    assert payloads.history_request({"before_seq": 120, "limit": 20}) == (120, 20)


@pytest.mark.parametrize("limit", [1, 200])
def test_the_history_limit_bounds_are_allowed(limit):
    assert payloads.history_request({"limit": limit}) == (None, limit)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"before_seq": 0}, "'before_seq' must be at least 1"),
        ({"before_seq": -3}, "'before_seq' must be at least 1"),
        ({"before_seq": "10"}, "'before_seq' must be int"),
        ({"limit": 0}, "'limit' must be between 1 and 200"),
        ({"limit": 201}, "'limit' must be between 1 and 200"),
        ({"limit": 5.5}, "'limit' must be int"),
        ({"limit": False}, "'limit' must be int"),
    ],
)
def test_a_history_request_field_out_of_range_or_of_the_wrong_type_is_named(data, message):
    with pytest.raises(PayloadError) as raised:
        payloads.history_request(data)

    assert str(raised.value) == message


# rating


@pytest.mark.parametrize("score", [1, 3, 5])
def test_a_rating_without_a_comment_has_an_empty_comment(score):
    assert payloads.rating({"score": score}) == (score, "")


def test_a_rating_comment_is_kept():
    assert payloads.rating({"score": 4, "comment": "quick and kind"}) == (4, "quick and kind")


def test_a_null_rating_comment_reads_as_empty():
    assert payloads.rating({"score": 4, "comment": None}) == (4, "")


@pytest.mark.parametrize("data", [{}, None, {"score": None}, {"comment": "great"}])
def test_a_rating_without_a_score_is_refused(data):
    with pytest.raises(PayloadError, match="'score' must be a whole number from 1 to 5"):
        payloads.rating(data)


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (0, "'score' must be between 1 and 5"),
        (6, "'score' must be between 1 and 5"),
        (4.5, "'score' must be int"),
        ("5", "'score' must be int"),
        (True, "'score' must be int"),
    ],
)
def test_a_score_out_of_range_or_of_the_wrong_type_is_named(score, message):
    with pytest.raises(PayloadError) as raised:
        payloads.rating({"score": score})

    assert str(raised.value) == message


def test_a_comment_of_2000_characters_is_kept():
    comment = "x" * 2000

    assert payloads.rating({"score": 2, "comment": comment}) == (2, comment)


def test_a_comment_over_2000_characters_is_refused():
    with pytest.raises(PayloadError, match="'comment' must be at most 2000 characters"):
        payloads.rating({"score": 2, "comment": "x" * 2001})


def test_a_comment_that_is_not_text_is_refused():
    with pytest.raises(PayloadError, match="'comment' must be str"):
        payloads.rating({"score": 2, "comment": 5})
