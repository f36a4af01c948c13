"""bot/gateway/sessions.py: signed session ids, verified identities, session records in Redis."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

import pytest

from bot import redis_keys
from bot.chat_ids import ChatIds, chat_id
from bot.gateway.sessions import (
    SESSION_TTL_SECONDS,
    UNUSED_SESSION_TTL_SECONDS,
    Session,
    SessionSigner,
    SessionStore,
    VerifiedUser,
    identity_hash,
    verify_identity,
)
from bot.ownership import Ownership

SECRET = "gateway-session-secret-for-tests"
OTHER_SECRET = "another-gateway-secret-entirely"
IDENTITY_SECRET = "host-page-identity-secret"
SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$")
TIMESTAMP_PATTERN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def signer() -> SessionSigner:
    return SessionSigner(SECRET)


@pytest.fixture
def store(client, signer) -> SessionStore:
    return SessionStore(client, signer)


def user_id() -> str:
    return f"customer-{secrets.token_hex(8)}"


def replace_char(text: str, index: int) -> str:
    """``text`` with one base64url character changed to another."""
    return text[:index] + ("B" if text[index] == "A" else "A") + text[index + 1 :]


# SessionSigner


def test_a_new_id_is_two_base64url_parts_of_22_characters(signer):
    for _ in range(50):
        assert SESSION_ID_PATTERN.match(signer.new_id())


def test_ids_the_signer_made_are_genuine(signer):
    assert all(signer.is_genuine(signer.new_id()) for _ in range(100))


def test_a_thousand_ids_are_all_different(signer):
    ids = [signer.new_id() for _ in range(1000)]

    assert len(set(ids)) == 1000
    assert len({session_id.split(".")[0] for session_id in ids}) == 1000


def test_the_signature_is_the_first_16_bytes_of_an_hmac_sha256_of_the_random_part(signer):
    token, signature = signer.new_id().split(".")

    digest = hmac.new(SECRET.encode(), token.encode(), hashlib.sha256).digest()[:16]
    assert signature == base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_the_random_part_holds_16_bytes(signer):
    token = signer.new_id().split(".")[0]

    assert len(base64.urlsafe_b64decode(token + "==")) == 16


def test_every_gateway_with_the_same_secret_accepts_the_others_ids(signer):
    assert SessionSigner(SECRET).is_genuine(signer.new_id())


def test_an_id_signed_with_another_secret_is_not_genuine(signer):
    assert not signer.is_genuine(SessionSigner(OTHER_SECRET).new_id())


@pytest.mark.parametrize("index", [0, 10, 21])
def test_an_id_with_a_changed_random_part_is_not_genuine(signer, index):
    token, signature = signer.new_id().split(".")

    assert not signer.is_genuine(f"{replace_char(token, index)}.{signature}")


@pytest.mark.parametrize("index", [0, 10, 21])
def test_an_id_with_a_changed_signature_is_not_genuine(signer, index):
    token, signature = signer.new_id().split(".")

    assert not signer.is_genuine(f"{token}.{replace_char(signature, index)}")


def test_the_signature_of_one_id_does_not_vouch_for_another_random_part(signer):
    first_token, _ = signer.new_id().split(".")
    _, second_signature = signer.new_id().split(".")

    assert not signer.is_genuine(f"{first_token}.{second_signature}")


def test_a_made_up_id_of_the_right_shape_is_not_genuine(signer):
    assert not signer.is_genuine("A" * 22 + "." + "A" * 22)


@pytest.mark.parametrize(
    "shape",
    [
        "",
        ".",
        "{token}",
        "{token}{signature}",
        "{token}.",
        ".{signature}",
        "{token}.{signature}.",
        "{token}.{signature}.extra",
        "{token}=.{signature}",
        "{token}.{signature}==",
        " {token}.{signature}",
        "{token}.{signature}\n",
        "{token_short}.{signature}",
        "{signature}",
    ],
)
def test_an_id_of_the_wrong_shape_is_not_genuine(signer, shape):
    token, signature = signer.new_id().split(".")

    presented = shape.format(token=token, signature=signature, token_short=token[:21])

    assert not signer.is_genuine(presented)


def test_an_id_of_the_right_length_with_non_ascii_characters_is_not_genuine(signer):
    token = signer.new_id().split(".")[0]

    assert not signer.is_genuine(f"{token}.{'é' * 22}")


@pytest.mark.parametrize("secret", ["", "x", "fifteen-chars!!"])
def test_a_session_secret_shorter_than_16_characters_is_refused(secret):
    with pytest.raises(ValueError, match="at least 16 characters"):
        SessionSigner(secret)


def test_a_session_secret_of_16_characters_is_enough():
    signer = SessionSigner("s" * 16)

    assert signer.is_genuine(signer.new_id())


# Verified identity


def test_the_identity_hash_is_the_lowercase_hex_hmac_sha256_of_the_user_id():
    expected = hmac.new(b"host-page-identity-secret", b"customer-42", hashlib.sha256).hexdigest()

    assert identity_hash("customer-42", IDENTITY_SECRET) == expected
    assert re.fullmatch(r"[0-9a-f]{64}", expected)


def test_a_matching_hash_verifies_the_user():
    presented = identity_hash("customer-42", IDENTITY_SECRET)

    assert verify_identity("customer-42", presented, IDENTITY_SECRET) == VerifiedUser("customer-42")


def test_a_verified_users_customer_key_is_user_and_their_id():
    assert VerifiedUser("customer-42").customer_key == "user:customer-42"


def test_a_hash_for_another_user_is_rejected():
    presented = identity_hash("customer-41", IDENTITY_SECRET)

    assert verify_identity("customer-42", presented, IDENTITY_SECRET) is None


def test_a_hash_made_with_another_secret_is_rejected():
    presented = identity_hash("customer-42", "someone-elses-identity-secret")

    assert verify_identity("customer-42", presented, IDENTITY_SECRET) is None


@pytest.mark.parametrize("presented", ["", "0" * 64, "not a hash"])
def test_a_made_up_hash_is_rejected(presented):
    assert verify_identity("customer-42", presented, IDENTITY_SECRET) is None


def test_a_truncated_hash_is_rejected():
    presented = identity_hash("customer-42", IDENTITY_SECRET)[:-1]

    assert verify_identity("customer-42", presented, IDENTITY_SECRET) is None


def test_without_an_identity_secret_nobody_is_verified():
    presented = identity_hash("customer-42", "")

    assert verify_identity("customer-42", presented, "") is None


def test_unicode_user_ids_are_verified():
    presented = identity_hash("kundin-zoë-😀", IDENTITY_SECRET)

    assert verify_identity("kundin-zoë-😀", presented, IDENTITY_SECRET) == VerifiedUser(
        "kundin-zoë-😀"
    )


def test_a_hash_with_non_ascii_characters_is_rejected():
    assert verify_identity("customer-42", "é" * 64, IDENTITY_SECRET) is None


# SessionStore


async def test_a_new_anonymous_session_is_keyed_by_its_own_chat_id(store, client):
    session = await store.create(None)

    assert SESSION_ID_PATTERN.match(session.session_id)
    assert session == Session(
        session_id=session.session_id,
        customer_key=f"visitor:{chat_id(session.session_id)}",
        verified_user_id=None,
        closed=False,
    )
    assert session.session_id not in session.customer_key, "agents see the customer key"
    assert await ChatIds(client).session_of(chat_id(session.session_id)) == session.session_id


async def test_continuing_a_session_keeps_its_chat_id_leading_to_it(store, client):
    original = await store.create(VerifiedUser(user_id()))
    await client.delete(redis_keys.chat_key(chat_id(original.session_id)))

    await store.open(original.session_id, VerifiedUser(original.verified_user_id or ""))

    assert await ChatIds(client).session_of(chat_id(original.session_id)) == original.session_id


async def test_a_new_verified_session_is_keyed_by_the_user(store):
    user = VerifiedUser(user_id())

    session = await store.create(user)

    assert session.customer_key == f"user:{user.user_id}"
    assert session.verified_user_id == user.user_id
    assert session.closed is False


async def test_a_new_session_is_recorded_as_a_hash_and_is_open(store, client):
    user = VerifiedUser(user_id())

    session = await store.create(user)

    fields = await client.hgetall(redis_keys.session_key(session.session_id))
    assert fields[b"customer_key"] == f"user:{user.user_id}".encode()
    assert fields[b"verified_user_id"] == user.user_id.encode()
    assert TIMESTAMP_PATTERN.match(fields[b"created_at"].decode())
    assert (await store.load(session.session_id)).closed is False


async def every_key_and_its_ttl(client) -> dict[bytes, int]:
    return {key: await client.ttl(key) async for key in client.scan_iter("*")}


async def test_every_key_a_new_anonymous_session_makes_expires_within_the_hour(store, client):
    await client.flushdb()
    await store.create(None, "203.0.113.7")

    ttls = await every_key_and_its_ttl(client)

    assert len(ttls) == 3  # the session record, its chat id, the customer's conversations
    assert all(UNUSED_SESSION_TTL_SECONDS - 10 < ttl <= UNUSED_SESSION_TTL_SECONDS
               for ttl in ttls.values()), ttls  # fmt: skip


async def test_a_session_the_visitor_wrote_in_is_kept_for_the_session_ttl(store, client):
    await client.flushdb()
    session = await store.create(None)

    await store.mark_used(session)

    ttls = await every_key_and_its_ttl(client)
    assert len(ttls) == 3
    assert all(SESSION_TTL_SECONDS - 10 < ttl <= SESSION_TTL_SECONDS for ttl in ttls.values())


async def test_a_verified_customers_conversation_list_expires_too(store, client):
    await client.flushdb()
    await store.create(VerifiedUser(user_id()))

    ttls = await every_key_and_its_ttl(client)

    assert len(ttls) == 3 and all(ttl > 0 for ttl in ttls.values()), ttls


async def test_resuming_an_unused_session_does_not_stretch_its_life(store, client):
    session = await store.create(None)
    await client.expire(redis_keys.session_key(session.session_id), 100)

    assert await store.resumable(session.session_id, None) == session

    assert await client.ttl(redis_keys.session_key(session.session_id)) <= 100


async def test_the_client_ip_is_recorded_on_the_session(store, client):
    session = await store.create(None, "198.51.100.4")

    fields = await client.hgetall(redis_keys.session_key(session.session_id))
    assert fields[b"client_ip"] == b"198.51.100.4"


async def test_a_session_loads_as_it_was_created(store):
    anonymous = await store.create(None)
    verified = await store.create(VerifiedUser(user_id()))

    assert await store.load(anonymous.session_id) == anonymous
    assert await store.load(verified.session_id) == verified


async def test_an_unknown_session_loads_as_none(store, signer):
    assert await store.load(signer.new_id()) is None


async def test_a_session_whose_conversation_is_closed_loads_as_closed(store, client):
    session = await store.create(None)

    await Ownership(client).close(session.session_id)

    loaded = await store.load(session.session_id)
    assert loaded is not None
    assert loaded.closed is True
    assert loaded.customer_key == session.customer_key
    assert await client.ttl(redis_keys.session_key(session.session_id)) > 0


async def test_an_id_with_a_closed_conversation_but_no_record_is_unknown(store, client, signer):
    orphan = signer.new_id()
    await Ownership(client).close(orphan)

    assert await store.load(orphan) is None


async def test_no_presented_id_opens_a_fresh_session(store):
    session, resumed = await store.open(None, None)

    assert resumed is False
    assert await store.load(session.session_id) == session


@pytest.mark.parametrize("presented", [42, ["an id"], {"id": "x"}, b"bytes-id"])
async def test_a_presented_id_that_is_not_text_opens_a_fresh_session(store, presented):
    session, resumed = await store.open(presented, None)

    assert resumed is False
    assert await store.load(session.session_id) == session


async def test_a_forged_id_opens_a_fresh_session_and_leaves_no_record(store, client):
    genuine = await store.create(None)
    token, signature = genuine.session_id.split(".")
    forged = f"{replace_char(token, 3)}.{signature}"

    session, resumed = await store.open(forged, None)

    assert resumed is False
    assert session.session_id not in (forged, genuine.session_id)
    assert await client.exists(redis_keys.session_key(forged)) == 0


async def test_a_made_up_id_gets_a_fresh_session(store):
    session, resumed = await store.open("made-up-session-id", None)

    assert resumed is False
    assert session.session_id != "made-up-session-id"
    assert SESSION_ID_PATTERN.match(session.session_id)


async def test_an_id_another_gateway_secret_signed_gets_a_fresh_session(store, client):
    foreign_store = SessionStore(client, SessionSigner(OTHER_SECRET))
    foreign = await foreign_store.create(None)

    session, resumed = await store.open(foreign.session_id, None)

    assert resumed is False
    assert session.session_id != foreign.session_id


async def test_a_genuine_id_without_a_record_gets_a_fresh_session(store, signer):
    unknown = signer.new_id()

    session, resumed = await store.open(unknown, None)

    assert resumed is False
    assert session.session_id != unknown
    assert await store.load(unknown) is None


async def test_a_genuine_open_session_is_resumed_with_the_same_id(store):
    original = await store.create(None)

    session, resumed = await store.open(original.session_id, None)

    assert resumed is True
    assert session == original


async def test_a_verified_session_is_resumed_by_the_same_user(store):
    user = VerifiedUser(user_id())
    original = await store.create(user)

    session, resumed = await store.open(original.session_id, VerifiedUser(user.user_id))

    assert resumed is True
    assert session == original


async def test_resuming_a_session_renews_its_expiry(store, client):
    original = await store.create(None)
    key = redis_keys.session_key(original.session_id)
    await client.set(redis_keys.transcript_seq_key(original.session_id), 1)  # the visitor wrote
    await client.expire(key, 60)

    await store.open(original.session_id, None)

    assert await client.ttl(key) > SESSION_TTL_SECONDS - 10


async def test_a_closed_session_is_not_resumed(store, client):
    original = await store.create(None)
    await Ownership(client).close(original.session_id)

    session, resumed = await store.open(original.session_id, None)

    assert resumed is False
    assert session.session_id != original.session_id
    assert session.closed is False
    assert session.customer_key == f"visitor:{chat_id(session.session_id)}"


@pytest.mark.parametrize(
    ("created_by", "presented_by"),
    [("user", "another user"), ("user", "anonymous"), ("anonymous", "user")],
)
async def test_a_session_is_not_resumed_under_another_identity(store, created_by, presented_by):
    owner = VerifiedUser(user_id()) if created_by == "user" else None
    original = await store.create(owner)
    presenter = None if presented_by == "anonymous" else VerifiedUser(user_id())

    session, resumed = await store.open(original.session_id, presenter)

    assert resumed is False
    assert session.session_id != original.session_id
    assert session.verified_user_id == (presenter.user_id if presenter else None)
    expected_key = presenter.customer_key if presenter else f"visitor:{chat_id(session.session_id)}"
    assert session.customer_key == expected_key


async def test_a_refused_id_leaves_the_original_session_untouched(store):
    original = await store.create(VerifiedUser(user_id()))

    await store.open(original.session_id, VerifiedUser(user_id()))

    assert await store.load(original.session_id) == original


async def test_fresh_sessions_of_one_user_share_the_customer_key_but_not_the_id(store):
    user = VerifiedUser(user_id())

    first, _ = await store.open(None, user)
    second, _ = await store.open(None, user)

    assert first.session_id != second.session_id
    assert first.customer_key == second.customer_key == f"user:{user.user_id}"


async def test_a_presented_id_with_non_ascii_characters_gets_a_fresh_session(store):
    session, resumed = await store.open("A" * 22 + "." + "ü" * 22, None)

    assert resumed is False
    assert SESSION_ID_PATTERN.match(session.session_id)
