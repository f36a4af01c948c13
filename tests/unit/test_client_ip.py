"""bot/gateway/client_ip.py: the client's address behind trusted proxies only."""

from __future__ import annotations

import pytest

from bot.gateway.client_ip import (
    UNKNOWN_CLIENT,
    TrustedProxiesError,
    client_ip,
    environ_client_ip,
    parse_trusted_proxies,
    source_key,
    trusted_proxies_from_environment,
)

PROXIES = parse_trusted_proxies("10.0.0.5, 10.1.0.0/16, ::1")


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip("203.0.113.9", "1.2.3.4", ()) == "203.0.113.9"


def test_a_header_from_an_untrusted_peer_is_ignored():
    assert client_ip("203.0.113.9", "1.2.3.4", PROXIES) == "203.0.113.9"


def test_the_first_untrusted_hop_from_the_right_is_the_client():
    # The client claimed 6.6.6.6; our two proxies appended the real address and theirs.
    header = "6.6.6.6, 198.51.100.7, 10.1.2.3"
    assert client_ip("10.0.0.5", header, PROXIES) == "198.51.100.7"


def test_a_malformed_hop_stops_at_the_last_trusted_one():
    assert client_ip("10.0.0.5", "198.51.100.7, junk", PROXIES) == "10.0.0.5"


def test_when_every_hop_is_ours_the_leftmost_is_the_client():
    assert client_ip("10.0.0.5", "10.1.0.9", PROXIES) == "10.1.0.9"


def test_ipv6_peers_and_a_missing_peer():
    assert client_ip("::1", "2001:db8::7", PROXIES) == "2001:db8::7"
    assert client_ip(None, "1.2.3.4", PROXIES) == UNKNOWN_CLIENT
    assert client_ip("not an ip", None, PROXIES) == UNKNOWN_CLIENT


def test_a_socket_environ_is_read_the_same_way():
    environ = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert environ_client_ip(environ, PROXIES) == "198.51.100.7"
    assert environ_client_ip({"REMOTE_ADDR": "198.51.100.8"}, PROXIES) == "198.51.100.8"


def test_ipv6_sources_are_counted_by_their_64():
    assert source_key("2001:db8:1:2:aaaa::1") == source_key("2001:db8:1:2:bbbb::9")
    assert source_key("2001:db8:1:2::1") != source_key("2001:db8:1:3::1")
    assert source_key("198.51.100.7") == "198.51.100.7"
    assert source_key("garbage") == UNKNOWN_CLIENT


def test_the_setting_is_read_from_the_environment_with_a_clear_error():
    assert trusted_proxies_from_environment({}) == ()
    parsed = trusted_proxies_from_environment({"GATEWAY_TRUSTED_PROXIES": "10.0.0.5 , "})
    assert [str(network) for network in parsed] == ["10.0.0.5/32"]
    with pytest.raises(TrustedProxiesError, match=r"GATEWAY_TRUSTED_PROXIES: 'proxy\.local'"):
        parse_trusted_proxies("10.0.0.5, proxy.local")
