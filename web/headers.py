"""Headers on every answer (portal.md): no inline scripts, no sniffing, no referrer off-site, and no
cache for anything that may hold data."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# vendored assets carry no data and may be cached; everything else is `no-store`
CACHEABLE_PREFIXES: tuple[str, ...] = ("/static/",)


class SecurityHeaders:
    """ASGI middleware adding SECURITY_HEADERS (and Cache-Control) unless the route set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.decode("latin-1").lower() for k, _ in message.get("headers", [])}
                extra = dict(SECURITY_HEADERS)
                extra["Cache-Control"] = "public, max-age=3600" if cacheable else "no-store"
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in extra.items() if k.lower() not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
