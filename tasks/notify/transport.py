"""The HTTP client of notifications: pinned to checked addresses, with one deadline per request.

httpx's transport is given an httpcore network backend (httpcore's documented extension point for
how connections are opened) that
- resolves the host once per connection, refuses any non-global answer (tasks.notify.targets.pin)
  and connects to that checked address; TLS still verifies the certificate for, and sends SNI and
  Host of, the URL's host name, since httpcore passes the origin's name, not the address;
- bounds every socket operation by the request's deadline (`Deadline`), so the whole request —
  connect, TLS, send, status line, headers, body — ends within `timeout_s` even against a server
  that trickles one byte at a time (httpx's own timeouts restart at every read).
"""

from __future__ import annotations

import ssl
import threading
import time
import typing

import httpcore
import httpx

from tasks.notify.targets import Resolver, pin, system_resolver


class Deadline(threading.local):
    """The end (time.monotonic) of the request this thread is making; sync httpx does all the I/O
    of a request in the calling thread."""

    at: float = float("inf")

    def left(self, timeout: float | None) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the request's deadline has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline):
        self.stream, self.deadline = stream, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, self.deadline.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, self.deadline.left(timeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self.stream.start_tls(ssl_context, server_hostname, self.deadline.left(timeout))
        return _DeadlineStream(tls, self.deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self.stream.get_extra_info(info)


class _PinnedBackend(httpcore.SyncBackend):
    def __init__(self, allow_loopback: bool, resolver: Resolver, deadline: Deadline):
        self.allow_loopback, self.resolver, self.deadline = allow_loopback, resolver, deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options=None) -> httpcore.NetworkStream:
        address = pin(host, port, self.allow_loopback, self.resolver)
        stream = super().connect_tcp(address, port, self.deadline.left(timeout), local_address,
                                     socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(self, *args, **kwargs):  # never a target
        raise httpcore.ConnectError("unix sockets are not notification targets")


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool that opens connections with `_PinnedBackend`."""

    def __init__(self, *, ssl_context: ssl.SSLContext, max_connections: int, allow_loopback: bool,
                 resolver: Resolver, deadline: Deadline):
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx has no parameter for the network backend: its pool is rebuilt with ours (same
        # settings as httpx's own, no proxy, no retries).
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=_PinnedBackend(allow_loopback, resolver, deadline),
        )


def ssl_context(verify: ssl.SSLContext | bool = True) -> ssl.SSLContext:
    """The TLS settings of every client of a run (loading the CA bundle once: it is slow)."""
    return verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify,
                                                                                       trust_env=False)


def client(*, timeout_s: float, max_connections: int, allow_loopback: bool,
           resolver: Resolver | None = None, ssl_context: ssl.SSLContext,
           deadline: Deadline) -> httpx.Client:
    """One client per target (host:port): its connections are never shared with another host."""
    transport = PinnedTransport(ssl_context=ssl_context, max_connections=max_connections,
                                allow_loopback=allow_loopback, resolver=resolver or system_resolver,
                                deadline=deadline)
    return httpx.Client(transport=transport, timeout=httpx.Timeout(timeout_s), follow_redirects=False,
                        trust_env=False)
