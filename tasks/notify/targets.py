"""Which URLs a notification may be posted to: https only; loopback (127.0.0.0/8, ::1, localhost)
only when `settings.notify_allow_loopback` is set (tests), over http or https."""

from __future__ import annotations

import ipaddress

import httpx


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(url: str | None, allow_loopback: bool) -> str | None:
    """Why `url` may not be used as a notification target, or None when it may."""
    if not url:
        return "no notify_url in the current master data"
    try:
        parsed = httpx.URL(url)
    except Exception:  # httpx raises several kinds of errors for malformed URLs
        return f"notify_url {url!r} is not a valid URL"
    if not parsed.host:
        return f"notify_url {url!r} has no host"
    if _is_loopback(parsed.host):
        if not allow_loopback:
            return f"notify_url {url!r} is a loopback address (allowed in tests only)"
        return None if parsed.scheme in ("http", "https") else f"notify_url {url!r} is not http(s)"
    if parsed.scheme != "https":
        return f"notify_url {url!r} is not https://"
    return None
