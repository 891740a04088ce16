"""A stand-in for the AWS Config API, for the three calls ``sseguard evidence collect`` makes that moto does not
implement: ``GetComplianceDetailsByConfigRule``, ``GetAggregateComplianceDetailsByConfigRule`` and
``DescribeAggregateComplianceByConfigRules`` (the aggregate details call needs an account and a region, which this
one lists). It is not an emulator: it answers only those calls, on 127.0.0.1, in the shapes of the AWS Config API
reference (JSON 1.1, ``X-Amz-Target: StarlingDoveService.<Operation>``, timestamps as epoch seconds, ``NextToken``
paging, errors as ``{"__type": ..., "message": ...}`` with HTTP 400), and anything else with an error.

Tests point sseguard's Config client at it through ``AWS_ENDPOINT_URL_CONFIG_SERVICE``, botocore's per-service
endpoint variable, while every other service goes to moto.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "StarlingDoveService."
STREAM = "AWS::Kinesis::Stream"


def evaluation(rule: str, resource_id: str, compliance: str, at: dt.datetime, resource_type: str = STREAM,
               annotation: str | None = None) -> dict[str, Any]:
    """One ``EvaluationResult`` as the API reference shapes it."""
    out: dict[str, Any] = {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {"ConfigRuleName": rule, "ResourceType": resource_type,
                                          "ResourceId": resource_id, "EvaluationMode": "DETECTIVE"},
            "OrderingTimestamp": at.timestamp(),
        },
        "ComplianceType": compliance,
        "ResultRecordedTime": at.timestamp(),
        "ConfigRuleInvokedTime": (at - dt.timedelta(seconds=5)).timestamp(),
    }
    if annotation is not None:
        out["Annotation"] = annotation
    return out


@dataclass
class ConfigResults:
    """What the stand-in answers: evaluations per rule (and, for the aggregator, per account and region), the page
    size, and the operations it refuses as IAM would. ``calls`` records (operation, request) pairs."""

    rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    aggregated: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    aggregator: str = "org"
    page_size: int = 2
    denied: set[str] = field(default_factory=set)
    # Refuse the page asked for with this NextToken (a listing that fails halfway).
    denied_token: str | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def answer(self, operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append((operation, request))
        if operation in self.denied or (self.denied_token and request.get("NextToken") == self.denied_token):
            return 400, {"__type": "AccessDeniedException",
                         "message": f"User: arn:aws:iam::123456789012:user/collector is not authorized to perform: "
                                    f"config:{operation}"}
        if operation == "GetComplianceDetailsByConfigRule":
            rule = request["ConfigRuleName"]
            if rule not in self.rules:
                return 400, {"__type": "NoSuchConfigRuleException",
                             "message": f"The ConfigRule '{rule}' provided in the request is invalid."}
            return 200, self._page(self.rules[rule], request, "EvaluationResults")
        if request.get("ConfigurationAggregatorName") != self.aggregator:
            return 400, {"__type": "NoSuchConfigurationAggregatorException",
                         "message": "The configuration aggregator does not exist."}
        if operation == "DescribeAggregateComplianceByConfigRules":
            rule = request.get("Filters", {}).get("ConfigRuleName")
            entries = [{"ConfigRuleName": r, "AccountId": a, "AwsRegion": g,
                        "Compliance": {"ComplianceType": "NON_COMPLIANT"}}
                       for (r, a, g) in sorted(self.aggregated) if r == rule]
            return 200, self._page(entries, request, "AggregateComplianceByConfigRules")
        if operation == "GetAggregateComplianceDetailsByConfigRule":
            place = (request["ConfigRuleName"], request["AccountId"], request["AwsRegion"])
            found = [{**e, "AccountId": place[1], "AwsRegion": place[2]} for e in self.aggregated.get(place, [])]
            return 200, self._page(found, request, "AggregateEvaluationResults")
        return 400, {"__type": "UnknownOperationException", "message": f"{operation} is not answered here"}

    def _page(self, items: list[dict[str, Any]], request: dict[str, Any], name: str) -> dict[str, Any]:
        start = int(request.get("NextToken") or 0)
        size = min(int(request.get("Limit") or self.page_size), self.page_size)
        out: dict[str, Any] = {name: items[start:start + size]}
        if start + size < len(items):
            out["NextToken"] = str(start + size)
        return out


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        target = self.headers.get("X-Amz-Target", "")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        state: ConfigResults = self.server.state  # type: ignore[attr-defined]
        if target.startswith(PREFIX):
            status, answer = state.answer(target[len(PREFIX):], body)
        else:
            status, answer = 400, {"__type": "UnknownOperationException", "message": f"no target {target!r}"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: pytest shows what the tests assert


class ConfigResultsServer:
    """The stand-in on 127.0.0.1 and a free port, in a thread; ``state`` is what it answers."""

    def __init__(self) -> None:
        self.state = ConfigResults()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.state = self.state  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ConfigResultsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
