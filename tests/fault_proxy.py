"""A loopback HTTP proxy that forwards AWS calls to a test server and breaks chosen answers on the way back.

sseguard reaches it the way it reaches AWS: ``--endpoint-url`` / ``AwsScanOptions.endpoint_url`` set to
``proxy.url``, with the same boto3 code users run. Every request is forwarded unchanged (the Host header too, so
signatures still match) to ``upstream``, usually ``aws_server.MotoAws.url``. A rule picks calls by operation
(``kinesis:ListStreams``, from the ``X-Amz-Target`` header or the query protocol's ``Action``), optionally by region
(from the signature's credential scope) and by parameters, and by count (let ``skip`` matching calls through first,
then break ``times`` of them, or all); its fault decides what the client gets instead of the real answer:

- ``truncate()``: the first half of the real body, with a Content-Length that matches it (a consistent but cut answer).
- ``cut()``: the real Content-Length, half the body, then the connection is closed (a broken transfer).
- ``replace(body)``, ``EMPTY_OBJECT`` (``{}``), ``HTML_PAGE`` (a captive-portal page, HTTP 200, text/html).
- ``invalid_utf8(field)``: bytes that are not UTF-8 inside the first string value of ``field``.
- ``edit_json(change)``: the real answer, parsed, passed through ``change(answer, request)`` and sent back.
- ``RESET``: the connection is reset (RST) without an answer.
- ``stall()``: no answer until the proxy stops, then the connection is closed (an endpoint that never answers).
- ``after(callback)``: the real answer, unchanged, with ``callback()`` run before it is sent (to move a test clock).

Only 127.0.0.1 is ever listened on or forwarded to.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_TARGET_SERVICES = {"Kinesis_20131202": "kinesis", "TrentService": "kms", "AWSOrganizationsV20161128": "organizations"}
# Headers the proxy writes itself: the connection's own, and the two that BaseHTTPRequestHandler always sends.
_OWN_HEADERS = {"connection", "content-length", "keep-alive", "transfer-encoding", "server", "date"}


def operation_of(target: str, authorization: str, body: bytes) -> tuple[str, dict[str, Any]]:
    """``service:Operation`` and the parameters of a request, for the JSON protocol (``X-Amz-Target``) and the
    query protocol (``Action=`` in a form body, the service from the signature's credential scope)."""
    if target:
        prefix, _, action = target.partition(".")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return f"{_TARGET_SERVICES.get(prefix, prefix)}:{action}", params if isinstance(params, dict) else {}
    form = parse_qs(body.decode("utf-8", "replace"))
    action = form.get("Action", [""])[0]
    if not action:
        return "", {}
    service = _scope(authorization)[3] if "Credential=" in authorization else "?"
    return f"{service}:{action}", {k: v[0] for k, v in form.items()}


def region_of(authorization: str) -> str:
    """The region a SigV4-signed request was signed for (``Credential=KEY/DATE/REGION/SERVICE/aws4_request``)."""
    return _scope(authorization)[2] if "Credential=" in authorization else ""


def _scope(authorization: str) -> list[str]:
    return authorization.split("Credential=")[-1].split(",")[0].split("/")


@dataclass
class Reply:
    """An HTTP answer as the upstream gave it (or as a fault makes it)."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Fault:
    """What the client gets instead of the real answer.

    ``change`` turns the real answer (and the request's parameters) into the one sent; ``forward`` says whether the
    upstream is asked at all; ``action`` is ``"answer"``, ``"cut"`` (half the body, then close), ``"reset"`` or
    ``"stall"``.
    """

    name: str
    change: Callable[[Reply, dict[str, Any]], Reply] = lambda reply, _: reply
    forward: bool = True
    action: str = "answer"


def _with_body(reply: Reply, body: bytes, content_type: str | None = None) -> Reply:
    headers = [(k, v) for k, v in reply.headers if k.lower() != "content-type" or content_type is None]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    return Reply(reply.status, reply.reason, headers, body)


def truncate(fraction: float = 0.5) -> Fault:
    """The first ``fraction`` of the real body, sent as if it were the whole answer."""
    return Fault("truncate", lambda reply, _: _with_body(reply, reply.body[: int(len(reply.body) * fraction)]))


def cut() -> Fault:
    """The real headers, half the body, then the connection closes."""
    return Fault("cut", action="cut")


def replace(body: bytes, status: int = 200, content_type: str = "application/x-amz-json-1.1") -> Fault:
    """This body instead of the real answer (the upstream is not asked)."""
    ok = Reply(status, http.client.responses.get(status, ""), [], b"")
    return Fault(f"replace {body[:20]!r}", lambda _reply, _: _with_body(ok, body, content_type), forward=False)


EMPTY_OBJECT = replace(b"{}")
HTML_PAGE = replace(b"<!DOCTYPE html>\n<html><head><title>Sign in to continue</title></head>\n"
                    b"<body><p>Your network requires you to sign in.</p></body></html>\n", content_type="text/html")
RESET = Fault("reset", forward=False, action="reset")


def stall() -> Fault:
    """No answer at all until the proxy stops."""
    return Fault("stall", forward=False, action="stall")


def invalid_utf8(field_name: str) -> Fault:
    """Bytes that are not UTF-8 (0xff 0xfe) at the start of the first string value of ``field_name``."""
    pattern = re.compile(rb'"' + re.escape(field_name.encode()) + rb'"\s*:\s*\[?\s*"')

    def change(reply: Reply, _: dict[str, Any]) -> Reply:
        found = pattern.search(reply.body)
        assert found, f"{field_name} has no string value in {reply.body[:200]!r}"
        return _with_body(reply, reply.body[: found.end()] + b"\xff\xfe" + reply.body[found.end():])

    return Fault(f"invalid utf-8 in {field_name}", change)


def edit_json(change: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]], name: str = "edit") -> Fault:
    """The real answer, parsed, changed by ``change(answer, request_params)``, and sent back as JSON."""

    def apply(reply: Reply, params: dict[str, Any]) -> Reply:
        return _with_body(reply, json.dumps(change(json.loads(reply.body), params)).encode())

    return Fault(name, apply)


def after(callback: Callable[[], None]) -> Fault:
    """The real answer, sent after ``callback()`` has run."""

    def apply(reply: Reply, _: dict[str, Any]) -> Reply:
        callback()
        return reply

    return Fault("after", apply)


@dataclass
class Rule:
    """Break ``times`` calls of ``operation`` (every one when None) in ``region`` (any when None) whose parameters
    ``match``, after letting ``skip`` of them through."""

    operation: str
    fault: Fault
    region: str | None = None
    match: Callable[[dict[str, Any]], bool] = lambda _: True
    skip: int = 0
    times: int | None = None
    matched: int = 0

    def take(self, operation: str, region: str, params: dict[str, Any]) -> bool:
        """Count a call against this rule; True when this call is to be broken."""
        if operation != self.operation or self.region not in (None, region) or not self.match(params):
            return False
        self.matched += 1
        broken = self.matched - self.skip
        return broken > 0 and (self.times is None or broken <= self.times)


@dataclass(frozen=True)
class Seen:
    """One call the proxy received, and the fault it got (None when it was passed through)."""

    operation: str
    region: str
    params: dict[str, Any]
    fault: str | None


@dataclass
class _State:
    upstream: tuple[str, int]
    rules: list[Rule] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def fault_for(self, operation: str, region: str, params: dict[str, Any]) -> Fault | None:
        with self.lock:
            fault = next((r.fault for r in self.rules if r.take(operation, region, params)), None)
            self.seen.append(Seen(operation, region, params, fault.name if fault else None))
            return fault


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test output stays clean

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        authorization = self.headers.get("Authorization", "")
        operation, params = operation_of(self.headers.get("X-Amz-Target", ""), authorization, body)
        fault = state.fault_for(operation, region_of(authorization), params)
        if fault is not None and fault.action == "reset":
            self._reset()
            return
        if fault is not None and fault.action == "stall":
            state.stopping.wait()
            self.close_connection = True
            return
        reply = self._forward(body) if fault is None or fault.forward else Reply(200, "OK", [], b"")
        if fault is not None:
            reply = fault.change(reply, params)
        self._send(reply, cut=fault is not None and fault.action == "cut")

    def _forward(self, body: bytes) -> Reply:
        host, port = self.server.state.upstream
        upstream = http.client.HTTPConnection(host, port, timeout=60)
        try:
            upstream.request(self.command, self.path, body, dict(self.headers.items()))
            answer = upstream.getresponse()
            return Reply(answer.status, answer.reason, answer.getheaders(), answer.read())
        finally:
            upstream.close()

    def _send(self, reply: Reply, cut: bool) -> None:
        self.send_response(reply.status, reply.reason)
        for name, value in reply.headers:
            if name.lower() not in _OWN_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body[: len(reply.body) // 2] if cut else reply.body)
        if cut:
            self.close_connection = True

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send a RST instead of a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class FaultProxy:
    """The proxy on 127.0.0.1 and a free port, forwarding to ``upstream`` (an ``http://127.0.0.1:PORT`` URL)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname == "127.0.0.1" and parts.port, "the proxy forwards to loopback servers only"
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State((parts.hostname, parts.port))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, operation: str, fault: Fault, *, region: str | None = None,
            match: Callable[[dict[str, Any]], bool] = lambda _: True, skip: int = 0, times: int | None = None) -> None:
        """Break calls of ``operation`` (e.g. ``kinesis:ListStreams``) with ``fault``; see ``Rule``. The first rule
        that takes a call decides its fault."""
        with self._server.state.lock:
            self._server.state.rules.append(Rule(operation, fault, region, match, skip, times))

    def seen(self, operation: str | None = None) -> list[Seen]:
        """The calls received so far (of ``operation`` only, when given), in order."""
        with self._server.state.lock:
            return [s for s in self._server.state.seen if operation is None or s.operation == operation]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Release every stalled call, then stop listening."""
        self._server.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@contextlib.contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A started proxy in front of ``upstream``, stopped at the end."""
    proxy = FaultProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
