"""bot/gateway/client_ip.py: the client IP per-IP limits count, from the socket's peer or
from X-Forwarded-For only when the peer is a trusted proxy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.gateway.client_ip import (
    TrustedProxies,
    TrustedProxiesError,
    client_ip_of,
    limit_subject,
    request_client_ip,
    resolve_client_ip,
)

PROXIES = TrustedProxies.parse("10.0.0.0/8, 192.0.2.1, fd00::/8")


def test_without_trusted_proxies_the_header_is_ignored():
    assert resolve_client_ip("198.51.100.9", "1.2.3.4", TrustedProxies()) == "198.51.100.9"


def test_a_header_from_an_untrusted_peer_is_ignored():
    assert resolve_client_ip("198.51.100.9", "1.2.3.4", PROXIES) == "198.51.100.9"


def test_from_a_trusted_proxy_the_forwarded_address_is_the_client():
    assert resolve_client_ip("192.0.2.1", "203.0.113.7", PROXIES) == "203.0.113.7"


def test_the_right_most_untrusted_address_wins_over_what_the_client_wrote():
    # The client wrote "1.2.3.4"; our proxies appended the real address and themselves.
    header = "1.2.3.4, 203.0.113.7, 10.1.2.3"
    assert resolve_client_ip("192.0.2.1", header, PROXIES) == "203.0.113.7"


def test_a_chain_of_trusted_proxies_only_is_the_left_most_of_them():
    assert resolve_client_ip("192.0.2.1", "10.0.0.2, 10.0.0.3", PROXIES) == "10.0.0.2"


@pytest.mark.parametrize("header", ["", "   ", "not-an-ip", "1.2.3.4, garbage", "999.1.1.1"])
def test_a_malformed_header_never_makes_up_an_address(header):
    resolved = resolve_client_ip("192.0.2.1", header, PROXIES)
    assert resolved in ("192.0.2.1", "1.2.3.4")
    assert resolve_client_ip("192.0.2.1", "garbage", PROXIES) == "192.0.2.1"


def test_a_malformed_hop_stops_the_walk_at_the_last_vouched_address():
    assert resolve_client_ip("192.0.2.1", "203.0.113.7, garbage", PROXIES) == "192.0.2.1"


def test_ports_brackets_and_ipv4_mapped_addresses_are_read():
    assert resolve_client_ip("192.0.2.1", "203.0.113.7:5555", PROXIES) == "203.0.113.7"
    assert resolve_client_ip("192.0.2.1", "[2001:db8::1]:443", PROXIES) == "2001:db8::1"
    assert resolve_client_ip("::ffff:198.51.100.9", None, PROXIES) == "198.51.100.9"


def test_an_ipv6_proxy_in_a_trusted_cidr_is_trusted():
    assert resolve_client_ip("fd00::5", "2001:db8::1", PROXIES) == "2001:db8::1"


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.internal", "10.0.0.1, nope", "1.2.3"])
def test_a_malformed_proxy_list_is_named_with_the_bad_part(value):
    with pytest.raises(TrustedProxiesError, match="GATEWAY_TRUSTED_PROXIES"):
        TrustedProxies.parse(value)


def test_the_peer_comes_from_the_sanic_request_not_engineios_fixed_remote_addr():
    """python-engineio's Sanic driver sets REMOTE_ADDR to 127.0.0.1 for everyone."""
    environ = {"REMOTE_ADDR": "127.0.0.1", "sanic.request": SimpleNamespace(ip="198.51.100.9")}
    assert client_ip_of(environ, TrustedProxies.parse("127.0.0.1")) == "198.51.100.9"
    spoofed = {**environ, "HTTP_X_FORWARDED_FOR": "1.2.3.4"}
    assert client_ip_of(spoofed, TrustedProxies.parse("127.0.0.1")) == "198.51.100.9"


def test_other_servers_remote_addr_is_used():
    environ = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert client_ip_of(environ, PROXIES) == "203.0.113.7"


def test_ipv6_clients_are_counted_per_64():
    assert limit_subject("2001:db8:1:2:aaaa::1") == limit_subject("2001:db8:1:2:bbbb::9")
    assert limit_subject("2001:db8:1:3::1") != limit_subject("2001:db8:1:2::1")
    assert limit_subject("203.0.113.7") == "203.0.113.7"


class _Headers:
    def __init__(self, forwarded: list[str]) -> None:
        self.forwarded = forwarded

    def getall(self, name: str, default: list[str]) -> list[str]:
        return self.forwarded if name == "x-forwarded-for" else default


def test_an_agent_request_is_read_by_the_same_rules_across_repeated_headers():
    trusted = TrustedProxies.parse("10.0.0.5")
    request = SimpleNamespace(ip="10.0.0.5", headers=_Headers(["6.6.6.6", "198.51.100.7"]))
    assert request_client_ip(request, trusted) == "198.51.100.7"
    untrusted = SimpleNamespace(ip="203.0.113.9", headers=_Headers(["198.51.100.7"]))
    assert request_client_ip(untrusted, trusted) == "203.0.113.9"
    assert request_client_ip(SimpleNamespace(ip="", headers=_Headers([])), trusted) == "unknown"


def test_the_setting_is_read_from_the_environment_and_unset_trusts_no_one():
    assert TrustedProxies.from_environment({}) == TrustedProxies()
    parsed = TrustedProxies.from_environment({"GATEWAY_TRUSTED_PROXIES": "10.0.0.5 , "})
    assert [str(network) for network in parsed.networks] == ["10.0.0.5/32"]
    with pytest.raises(TrustedProxiesError, match="GATEWAY_TRUSTED_PROXIES="):
        TrustedProxies.from_environment({"GATEWAY_TRUSTED_PROXIES": "proxy.local"})
