"""A loopback stand-in for the two AWS Config calls moto does not answer, for the Config rule's tests.

moto's ``GetResourceConfigHistory`` knows no ``AWS::Kinesis::Stream`` items, and its ``PutEvaluations`` accepts
only ``TestMode``. This server answers those two calls, and only those, in the shapes of the AWS Config API
reference (JSON 1.1 protocol, target ``StarlingDoveService.*``), and records every request. Anything else gets the
error AWS gives an unknown operation. Tests point ``AWS_ENDPOINT_URL_CONFIG_SERVICE`` at it; every other service
stays on moto (``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_JSON = "application/x-amz-json-1.1"


class ConfigApiLoopback:
    """Answers ``GetResourceConfigHistory`` from ``history`` (resource id -> configuration items, API shape) and
    ``PutEvaluations`` with ``failed`` (the FailedEvaluations to report, none by default)."""

    def __init__(self) -> None:
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.failed: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def calls(self, operation: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for op, params in self.requests if op == operation]

    def _answer(self, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append((operation, params))
        if operation == "PutEvaluations":
            return 200, {"FailedEvaluations": self.failed}
        if operation == "GetResourceConfigHistory":
            items = self.history.get(params.get("resourceId", ""))
            if items is None:
                return 400, {"__type": "ResourceNotDiscoveredException",
                             "message": f"Resource {params.get('resourceId')} of resourceType:"
                                        f"{params.get('resourceType')} is unknown or has not been discovered"}
            return 200, {"configurationItems": items[: int(params.get("limit") or 10)]}
        return 400, {"__type": "UnknownOperationException", "message": f"Unknown operation {operation}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                status, answer = owner._answer(operation, json.loads(body or b"{}"))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", _JSON)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler

    @contextlib.contextmanager
    def serving(self) -> Iterator[ConfigApiLoopback]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def history_item(configuration_item: dict[str, Any]) -> dict[str, Any]:
    """A change notification's configuration item as GetResourceConfigHistory gives it: ``accountId`` and
    ``arn`` for ``awsAccountId`` and ``ARN``, ``configuration`` as JSON text, the capture time as a timestamp."""
    item = {k: v for k, v in configuration_item.items()
            if k not in ("awsAccountId", "ARN", "configurationStateMd5Hash", "configurationItemVersion")}
    item.update({
        "version": "1.3",
        "accountId": configuration_item["awsAccountId"],
        "arn": configuration_item["ARN"],
        "configurationItemMD5Hash": "",
        "configuration": json.dumps(configuration_item["configuration"]),
        "configurationItemCaptureTime": 1796000000.0,
        "configurationStateId": str(configuration_item["configurationStateId"]),
    })
    return item
