"""Which hosts the fetcher may contact: public addresses only, unless told otherwise.

Feed entries are written by third parties, so a link may point at the
watcher's own network (routers, cloud metadata services, admin consoles).
Every host is resolved before connecting and every resolved address checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

from ._errors import BlockedAddressError, FetchError

__all__ = ["Resolver", "check_host", "is_public", "system_resolver"]

Resolver = Callable[[str, int], Sequence[str]]
"""``resolver(host, port)`` returns the IP addresses (as strings) the host resolves to."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system's ``getaddrinfo``, as the connection itself will."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address; False for anything else."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public(inner):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None


def check_host(url: str, host: str, port: int, resolver: Resolver) -> None:
    """Raise :class:`BlockedAddressError` unless every address of ``host`` is public.

    All addresses must pass, not just one: the connection may use any of them.
    """
    literal = _parse_ip(host.strip("[]"))
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            resolved = resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(url, f"cannot resolve host {host!r}: {exc}") from exc
        if not resolved:
            raise FetchError(url, f"host {host!r} resolves to no address")
        addresses = []
        for text in resolved:
            ip = _parse_ip(text)
            if ip is None:
                raise BlockedAddressError(url, f"host {host!r} resolves to {text!r}, not an IP")
            addresses.append(ip)
    for ip in addresses:
        if not is_public(ip):
            raise BlockedAddressError(
                url, f"host {host!r} is a non-public address ({ip}); refused"
            )
