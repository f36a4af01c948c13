"""bot/gateway/settings.py: the gateway's settings from GATEWAY_* variables; errors name them."""

from __future__ import annotations

import pytest

from bot.gateway.settings import (
    LIMIT_VARIABLES,
    GatewaySettings,
    GatewaySettingsError,
    RateLimit,
    VisitorLimits,
)
from bot.settings import DEFAULT_EMBEDDED_REDIS_PORT

CHANNEL_SECRET = "channel-secret-0123456789"
SESSION_SECRET = "session-secret-0123456789"
VARIABLES = [
    "GATEWAY_HOST",
    "GATEWAY_PORT",
    "REDIS_URL",
    "RASA_URL",
    "GATEWAY_CHANNEL_SECRET",
    "GATEWAY_SESSION_SECRET",
    "GATEWAY_IDENTITY_SECRET",
    "GATEWAY_ALLOWED_ORIGINS",
    "GATEWAY_RATE_LIMIT",
    "GATEWAY_SLOW_NOTICE_SECONDS",
    "GATEWAY_RASA_TIMEOUT_SECONDS",
    "GATEWAY_TRUSTED_PROXIES",
    "GATEWAY_HANDOFF_MAX_OPEN_PER_IP",
    "GATEWAY_HANDOFF_MAX_OPEN_PER_CUSTOMER",
    "GATEWAY_TYPING_INTERVAL_SECONDS",
    *(variable for variable, _ in LIMIT_VARIABLES.values()),
]


@pytest.fixture(autouse=True)
def environment(monkeypatch) -> pytest.MonkeyPatch:
    """Only the two required secrets set; every other gateway variable unset."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATEWAY_CHANNEL_SECRET", CHANNEL_SECRET)
    monkeypatch.setenv("GATEWAY_SESSION_SECRET", SESSION_SECRET)
    return monkeypatch


def test_with_only_the_secrets_set_every_other_setting_has_its_default():
    assert GatewaySettings.from_environment() == GatewaySettings(
        host="127.0.0.1",
        port=8000,
        redis_url=f"redis://127.0.0.1:{DEFAULT_EMBEDDED_REDIS_PORT}/0",
        rasa_url="http://127.0.0.1:5005",
        channel_secret=CHANNEL_SECRET,
        session_secret=SESSION_SECRET,
        identity_secret="",
        allowed_origins=(),
        rate_limit=RateLimit(messages=12, per_seconds=20),
        max_message_chars=4000,
        slow_notice_seconds=4.0,
        rasa_timeout_seconds=30.0,
    )


def test_every_variable_is_read(environment):
    environment.setenv("GATEWAY_HOST", "0.0.0.0")
    environment.setenv("GATEWAY_PORT", "8123")
    environment.setenv("REDIS_URL", "redis://redis.internal:6379/2")
    environment.setenv("RASA_URL", "http://rasa.internal:5005")
    environment.setenv("GATEWAY_IDENTITY_SECRET", "identity-secret")
    environment.setenv("GATEWAY_ALLOWED_ORIGINS", "https://shop.example.com")
    environment.setenv("GATEWAY_RATE_LIMIT", "5/60")
    environment.setenv("GATEWAY_SLOW_NOTICE_SECONDS", "2.5")
    environment.setenv("GATEWAY_RASA_TIMEOUT_SECONDS", "45")

    settings = GatewaySettings.from_environment()

    assert settings.host == "0.0.0.0"
    assert settings.port == 8123
    assert settings.redis_url == "redis://redis.internal:6379/2"
    assert settings.rasa_url == "http://rasa.internal:5005"
    assert settings.identity_secret == "identity-secret"
    assert settings.allowed_origins == ("https://shop.example.com",)
    assert settings.rate_limit == RateLimit(messages=5, per_seconds=60)
    assert settings.slow_notice_seconds == 2.5
    assert settings.rasa_timeout_seconds == 45.0


def test_an_empty_redis_url_means_the_embedded_redis(environment):
    environment.setenv("REDIS_URL", "")

    assert GatewaySettings.from_environment().redis_url == (
        f"redis://127.0.0.1:{DEFAULT_EMBEDDED_REDIS_PORT}/0"
    )


def test_the_rasa_url_loses_its_trailing_slashes(environment):
    environment.setenv("RASA_URL", "http://rasa.internal:5005//")

    assert GatewaySettings.from_environment().rasa_url == "http://rasa.internal:5005"


def test_allowed_origins_are_a_comma_separated_list_trimmed_and_without_trailing_slash(
    environment,
):
    environment.setenv(
        "GATEWAY_ALLOWED_ORIGINS",
        " https://shop.example.com/ ,http://localhost:3000,, ,https://help.example.com",
    )

    assert GatewaySettings.from_environment().allowed_origins == (
        "https://shop.example.com",
        "http://localhost:3000",
        "https://help.example.com",
    )


@pytest.mark.parametrize("value", ["", " ", ",", " , ,"])
def test_no_origins_listed_allows_none(environment, value):
    environment.setenv("GATEWAY_ALLOWED_ORIGINS", value)

    assert GatewaySettings.from_environment().allowed_origins == ()


# Secrets


@pytest.mark.parametrize("name", ["GATEWAY_CHANNEL_SECRET", "GATEWAY_SESSION_SECRET"])
def test_a_missing_secret_is_named(environment, name):
    environment.delenv(name)

    with pytest.raises(GatewaySettingsError, match=f"{name} must be set to at least 16 characters"):
        GatewaySettings.from_environment()


@pytest.mark.parametrize("name", ["GATEWAY_CHANNEL_SECRET", "GATEWAY_SESSION_SECRET"])
@pytest.mark.parametrize("value", ["", "short", "x" * 15])
def test_a_secret_shorter_than_16_characters_is_named(environment, name, value):
    environment.setenv(name, value)

    with pytest.raises(GatewaySettingsError, match=name):
        GatewaySettings.from_environment()


@pytest.mark.parametrize(
    ("name", "field"),
    [("GATEWAY_CHANNEL_SECRET", "channel_secret"), ("GATEWAY_SESSION_SECRET", "session_secret")],
)
def test_a_secret_of_16_characters_is_accepted(environment, name, field):
    environment.setenv(name, "s" * 16)

    assert getattr(GatewaySettings.from_environment(), field) == "s" * 16


def test_the_identity_secret_may_be_left_unset():
    assert GatewaySettings.from_environment().identity_secret == ""


def test_settings_errors_are_value_errors():
    assert issubclass(GatewaySettingsError, ValueError)


# Numbers


@pytest.mark.parametrize("value", ["eighty", "", "80.5", "8o00", "0", "-1", "65536"])
def test_a_port_that_is_not_a_port_number_is_named_with_its_value(environment, value):
    environment.setenv("GATEWAY_PORT", value)

    with pytest.raises(GatewaySettingsError) as raised:
        GatewaySettings.from_environment()

    assert str(raised.value) == f"GATEWAY_PORT={value!r} must be a port number (1-65535)"


@pytest.mark.parametrize("value", ["0", "-2", "nan", "inf", "4000"])
def test_a_number_of_seconds_out_of_range_is_named(environment, value):
    environment.setenv("GATEWAY_SLOW_NOTICE_SECONDS", value)

    with pytest.raises(GatewaySettingsError, match="GATEWAY_SLOW_NOTICE_SECONDS"):
        GatewaySettings.from_environment()


@pytest.mark.parametrize(
    ("value", "limit"),
    [("12/20", RateLimit(12, 20)), ("1/1", RateLimit(1, 1)), ("100/3600", RateLimit(100, 3600))],
)
def test_the_rate_limit_is_messages_per_seconds(environment, value, limit):
    environment.setenv("GATEWAY_RATE_LIMIT", value)

    assert GatewaySettings.from_environment().rate_limit == limit


@pytest.mark.parametrize(
    "value",
    [
        "",
        "12",
        "12/",
        "/20",
        "0/20",
        "12/0",
        "-1/20",
        "12/-5",
        "a/b",
        "12/20/30",
        "1.5/20",
        "12-20",
    ],
)
def test_a_malformed_rate_limit_is_named_with_its_value(environment, value):
    environment.setenv("GATEWAY_RATE_LIMIT", value)

    with pytest.raises(GatewaySettingsError) as raised:
        GatewaySettings.from_environment()

    assert str(raised.value) == (
        f"GATEWAY_RATE_LIMIT={value!r} must look like 12/20 (messages/seconds)"
    )


@pytest.mark.parametrize("name", ["GATEWAY_SLOW_NOTICE_SECONDS", "GATEWAY_RASA_TIMEOUT_SECONDS"])
def test_a_malformed_number_of_seconds_is_named(environment, name):
    environment.setenv(name, "soon")

    with pytest.raises(GatewaySettingsError, match=name):
        GatewaySettings.from_environment()


def test_every_visitor_door_limit_has_a_sane_default():
    limits = GatewaySettings.from_environment().limits
    assert limits == VisitorLimits()
    assert limits.new_sessions_per_connection == RateLimit(3, 60)
    assert limits.new_sessions_per_ip == RateLimit(20, 60)
    assert (limits.handoff_open_per_ip, limits.handoff_open_per_customer) == (3, 2)
    assert limits.typing_interval_seconds == 0.5


@pytest.mark.parametrize(("name", "_default"), list(LIMIT_VARIABLES.values()))
def test_every_visitor_door_limit_is_read(environment, name, _default):
    environment.setenv(name, "7/9")

    limits = GatewaySettings.from_environment().limits

    field = next(key for key, (variable, _) in LIMIT_VARIABLES.items() if variable == name)
    assert getattr(limits, field) == RateLimit(7, 9)


@pytest.mark.parametrize(("name", "_default"), list(LIMIT_VARIABLES.values()))
def test_a_malformed_visitor_door_limit_is_named_with_its_value(environment, name, _default):
    environment.setenv(name, "lots")

    with pytest.raises(GatewaySettingsError) as raised:
        GatewaySettings.from_environment()

    assert str(raised.value) == f"{name}='lots' must look like 20/60 (events/seconds)"


@pytest.mark.parametrize(
    "name", ["GATEWAY_HANDOFF_MAX_OPEN_PER_IP", "GATEWAY_HANDOFF_MAX_OPEN_PER_CUSTOMER"]
)
@pytest.mark.parametrize("value", ["0", "-1", "many", "1.5"])
def test_a_malformed_handoff_cap_is_named(environment, name, value):
    environment.setenv(name, value)

    with pytest.raises(GatewaySettingsError, match=name):
        GatewaySettings.from_environment()


def test_trusted_proxies_are_read_and_a_bad_one_is_named(environment):
    environment.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    assert len(GatewaySettings.from_environment().trusted_proxies.networks) == 2

    environment.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, the-proxy")
    with pytest.raises(GatewaySettingsError, match=r"GATEWAY_TRUSTED_PROXIES.*'the-proxy'"):
        GatewaySettings.from_environment()
