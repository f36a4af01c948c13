"""Who is on the other end of a visitor's socket or an agent's request: the client IP
every per-IP limit (visitor doors, agent logins) counts.

The peer address of the TCP connection is the client, unless the peer is one of our
own reverse proxies (``GATEWAY_TRUSTED_PROXIES``): then the client is the right-most
address in ``X-Forwarded-For`` that is not a trusted proxy. Anything to the left of
that was written by the client itself and is ignored (a visitor can put any address
there). A header from an untrusted peer is ignored entirely; with no trusted proxies
(the default) it is always ignored.

python-engineio's Sanic driver puts ``REMOTE_ADDR: 127.0.0.1`` in every environ,
whoever connects; the real peer is read from the Sanic request it also carries
(``environ["sanic.request"].ip``). ``REMOTE_ADDR`` is used only for other servers.

IPv6 clients are counted per /64 (one household or host gets a whole /64, so
counting single addresses would let one visitor rotate through billions of them).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

TRUSTED_PROXIES_VARIABLE = "GATEWAY_TRUSTED_PROXIES"
UNKNOWN_CLIENT = "unknown"
"""The client of a connection whose peer address is missing."""


class TrustedProxiesError(ValueError):
    """``GATEWAY_TRUSTED_PROXIES`` holds something that is not an IP or CIDR."""


@dataclass(frozen=True)
class TrustedProxies:
    """The reverse proxies whose ``X-Forwarded-For`` we believe."""

    networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def parse(cls, value: str, name: str = TRUSTED_PROXIES_VARIABLE) -> TrustedProxies:
        networks = []
        for part in (piece.strip() for piece in value.split(",")):
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise TrustedProxiesError(
                    f"{name}={value!r}: {part!r} is not an IP address or CIDR "
                    "(e.g. 10.0.0.5, 10.0.0.0/8, ::1)"
                ) from None
        return cls(tuple(networks))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TrustedProxies:
        """``GATEWAY_TRUSTED_PROXIES`` parsed (unset: trust no proxy)."""
        source = os.environ if environ is None else environ
        return cls.parse(source.get(TRUSTED_PROXIES_VARIABLE, ""))

    def trusts(self, address: IpAddress) -> bool:
        return any(address in network for network in self.networks)


def _address(text: str) -> IpAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def resolve_client_ip(peer: str, forwarded_for: str | None, trusted: TrustedProxies) -> str:
    """The client's address as text (see the module docstring for the rules)."""
    peer_address = _address(peer)
    if peer_address is None:
        return peer.strip() or UNKNOWN_CLIENT
    if not forwarded_for or not trusted.trusts(peer_address):
        return str(peer_address)
    client = peer_address
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            break  # a malformed hop: stop at the last address a trusted proxy vouched for
        client = address
        if not trusted.trusts(address):
            break
    return str(client)


def peer_address(environ: Mapping[str, Any]) -> str:
    """The TCP peer of the request that opened the socket."""
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", "") if request is not None else ""
    return str(peer or environ.get("REMOTE_ADDR", ""))


def client_ip_of(environ: Mapping[str, Any], trusted: TrustedProxies) -> str:
    """The client of a socket.io connection, from its environ."""
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    return resolve_client_ip(peer_address(environ), forwarded, trusted)


def request_client_ip(request: Any, trusted: TrustedProxies) -> str:
    """The client of a Sanic request (``request.ip`` is the TCP peer)."""
    forwarded = ",".join(request.headers.getall("x-forwarded-for", []))
    return resolve_client_ip(str(request.ip or ""), forwarded or None, trusted)


def limit_subject(client_ip: str) -> str:
    """What per-IP limits count: the address, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
