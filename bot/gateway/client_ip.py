"""Who is on the other end of a request: the peer's address, or, when the peer is one of
our own proxies, the address that proxy says it forwarded for.

``X-Forwarded-For`` is written by every hop, and a client can send one of its own, so
only the entries appended by proxies we trust mean anything. Walking the header from
its right end (the hop nearest to us) and skipping trusted proxies, the first address
that is not ours is the client; everything to its left is whatever the client claimed
and is ignored. With no trusted proxies (the default) the header is ignored entirely
and the peer is the client.

Trusted proxies come from ``GATEWAY_TRUSTED_PROXIES``: comma-separated addresses or
networks (``10.0.0.5, 10.1.0.0/16, ::1``).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping, Sequence
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

TRUSTED_PROXIES_VARIABLE = "GATEWAY_TRUSTED_PROXIES"
UNKNOWN_CLIENT = "unknown"
"""The client of a request whose peer address is missing or malformed."""

IPV6_SOURCE_PREFIX = 64
"""An IPv6 client usually holds a whole /64: counting per address would let it dodge
per-source limits by changing the last bits."""


class TrustedProxiesError(ValueError):
    """``GATEWAY_TRUSTED_PROXIES`` names something that is not an address or network."""


def parse_trusted_proxies(value: str) -> tuple[IPNetwork, ...]:
    """The networks in a comma-separated list of addresses and CIDRs."""
    networks: list[IPNetwork] = []
    for item in value.split(","):
        text = item.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise TrustedProxiesError(
                f"{TRUSTED_PROXIES_VARIABLE}: {text!r} is not an IP address or network "
                "(expected e.g. 10.0.0.5, 10.1.0.0/16, ::1)"
            ) from None
    return tuple(networks)


def trusted_proxies_from_environment(
    environ: Mapping[str, str] | None = None,
) -> tuple[IPNetwork, ...]:
    """``GATEWAY_TRUSTED_PROXIES`` parsed (empty when unset: trust no proxy)."""
    source = os.environ if environ is None else environ
    return parse_trusted_proxies(source.get(TRUSTED_PROXIES_VARIABLE, ""))


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]) -> str:
    """The client's address given the TCP peer and the ``X-Forwarded-For`` header(s).

    The header is read only while the hop that wrote it is trusted; a malformed entry
    stops the walk at the last trusted hop (it was written by someone we do not know).
    """
    address = _address(peer or "")
    if address is None:
        return UNKNOWN_CLIENT
    if not forwarded_for or not _trusted(address, trusted):
        return str(address)
    for entry in reversed(forwarded_for.split(",")):
        hop = _address(entry)
        if hop is None:
            return str(address)
        address = hop
        if not _trusted(address, trusted):
            return str(address)
    return str(address)  # every hop is ours: the leftmost is as far as we can see


def request_client_ip(request: Any, trusted: Sequence[IPNetwork]) -> str:
    """``client_ip`` of a Sanic request (``request.ip`` is the TCP peer)."""
    forwarded = ",".join(request.headers.getall("x-forwarded-for", []))
    return client_ip(request.ip, forwarded, trusted)


def environ_client_ip(environ: Mapping[str, Any], trusted: Sequence[IPNetwork]) -> str:
    """``client_ip`` of a socket.io connection's WSGI-style environ."""
    return client_ip(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), trusted)


def source_key(ip: str) -> str:
    """What per-source limits count by: the IPv4 address, or the IPv6 /64 it is in."""
    address = _address(ip)
    if address is None:
        return UNKNOWN_CLIENT
    if address.version == 6:
        network = ipaddress.ip_network(f"{address}/{IPV6_SOURCE_PREFIX}", strict=False)
        return str(network)
    return str(address)
