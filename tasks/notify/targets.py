"""Where a notification may be posted (SSRF rules): https to a global address only.

Two checks, one rule:
- `refusal(url)`: what the URL itself says (master check/load and each attempt): https, no
  user:password, and a host that is not a non-global address in any spelling (`127.1`, `0x7f000001`,
  `2130706433`, `[::ffff:127.0.0.1]`, `0.0.0.0`) nor `localhost`.
- `pin(host, port)`: at connect time (tasks.notify.transport), the host is resolved once, every
  address it resolves to must be global, and the connection goes to the first one: a DNS answer
  that changes between the check and the connect (rebinding) cannot reach an internal address.

"Global" is Python's `ipaddress.is_global` (IANA special-purpose registries: private, loopback,
link-local and cloud metadata 169.254.0.0/16, CGNAT 100.64.0.0/10, unique-local fc00::/7, reserved,
0.0.0.0, …), minus multicast; an IPv6 address that embeds an IPv4 one (mapped, 6to4, Teredo,
NAT64) is judged by the embedded address too. `allow_loopback` (settings.notify_allow_loopback, set
by tests only) admits loopback addresses (127.0.0.0/8, ::1, localhost), over http or https.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import httpx

# A resolver: host, port -> the addresses (as text) a connection could go to.
Resolver = Callable[[str, int], list[str]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(Exception):
    """A notification target that may not be connected to; the message says why."""


def system_resolver(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _embedded(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def address_refusal(address: str, allow_loopback: bool) -> str | None:
    """Why a connection to `address` (an IP in text) is refused, or None when it may be made."""
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 zone (%eth0) names no other address
    candidates = [ip, *(_embedded(ip) if isinstance(ip, ipaddress.IPv6Address) else [])]
    for a in candidates:
        if allow_loopback and a.is_loopback:
            continue
        if not a.is_global or a.is_multicast:
            kind = "a loopback" if a.is_loopback else "a non-global"
            return f"{address} is {kind} address" + (" (allowed in tests only)" if a.is_loopback else "")
    return None


def _numeric(host: str) -> list[str] | None:
    """The address a numeric host spells (every spelling the C library accepts), None for a name."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return None
    return [info[4][0] for info in infos]


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def refusal(url: str | None, allow_loopback: bool = False) -> str | None:
    """Why `url` may not be used as a notification target, or None when it may (before resolving)."""
    if not url:
        return "no notify_url in the current master data"
    why = problem(url, allow_loopback)
    return f"notify_url {redact(url)!r} {why}" if why else None


def problem(url: str, allow_loopback: bool = False) -> str | None:
    """What is wrong with a non-empty `url` as a target ("is not https://", …), or None."""
    try:
        parsed = httpx.URL(url)
    except Exception:  # httpx raises several kinds of errors for malformed URLs
        return "is not a valid URL"
    if parsed.userinfo:
        return "holds a user name or password (not allowed)"
    host = parsed.host.lower().rstrip(".")
    if not host:
        return "has no host"
    numeric = _numeric(host)
    loopback = _is_localhost(host) or (numeric is not None and all(
        ipaddress.ip_address(a.split("%")[0]).is_loopback for a in numeric))
    if loopback:
        if not allow_loopback:
            return "is a loopback address (allowed in tests only)"
        return None if parsed.scheme in ("http", "https") else "is not http(s)"
    if parsed.scheme != "https":
        return "is not https://"
    for address in numeric or []:
        why = address_refusal(address, allow_loopback)
        if why:
            return f"names an address that may not be used: {why}"
    return None


def pin(host: str, port: int, allow_loopback: bool, resolver: Resolver = system_resolver) -> str:
    """The one address to connect to for `host`: resolved once, every answer checked."""
    try:
        addresses = resolver(host, port)
    except OSError as e:
        raise TargetRefused(f"cannot resolve {host}: {e}") from e
    if not addresses:
        raise TargetRefused(f"{host} resolves to no address")
    for address in addresses:
        why = address_refusal(address, allow_loopback)
        if why:
            raise TargetRefused(f"{host}: {why}")
    return addresses[0]


def redact(url: str | None) -> str:
    """`url` without any user:password (what logs, attempts and reasons may hold)."""
    if not url:
        return url or ""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{authority}{slash}{path}"
