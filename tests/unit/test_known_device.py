"""bot/gateway/known_device.py: signed known-device cookies, one agent each."""

from __future__ import annotations

import pytest

from bot.gateway.known_device import KnownDevices

DEVICES = KnownDevices(b"unit-test-known-device-secret")


def test_a_cookie_names_its_device_for_its_agent_only():
    value = DEVICES.issue("maria")
    device = DEVICES.device_of(value, "maria")
    assert device is not None and len(device) == 22
    assert DEVICES.device_of(value, "tom") is None
    assert DEVICES.issue("maria", device).split("~")[2] == device, "renewal keeps the id"


def test_ids_with_dots_work():
    value = DEVICES.issue("j.doe")
    assert DEVICES.device_of(value, "j.doe") is not None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),
        lambda v: v.replace("~maria~", "~tom~"),
        lambda v: "v2" + v[2:],
        lambda v: v + "~extra",
        lambda v: "",
        lambda v: "x" * 500,
    ],
)
def test_forged_or_altered_cookies_are_refused(tamper):
    value = DEVICES.issue("maria")
    assert DEVICES.device_of(tamper(value), "maria") is None
    assert DEVICES.device_of(tamper(value), "tom") is None


def test_another_secret_does_not_accept_our_cookies():
    other = KnownDevices(b"another-gateway-secret-entirely")
    assert other.device_of(DEVICES.issue("maria"), "maria") is None
    with pytest.raises(ValueError):
        KnownDevices(b"short")
