"""The AWS Config custom rule: ``handler(event, context)``, the Lambda entry point
(``sseguard.integrations.config_rule.handler``).

Each stream is built into the model (from its configuration item, or for a periodic run from
DescribeStreamSummary), its key is resolved by ``sseguard aws``'s own ``KeyResolver``, and the one
``control.evaluate`` judges it; the verdicts go to Config with PutEvaluations. The evaluations sent are returned, as
rdklib's handlers do. docs/config-rule.md has the events, the verdict mapping, the parameters and the IAM actions.

A bad event never ends in a traceback: one that cannot be answered (no result token, no resource to name) is
logged and answered with nothing; bad rule parameters make each stream of the invocation NON_COMPLIANT, saying so.
The invocation fails, so that Config invokes it again, only where nothing could be sent: the role in the stream's
account could not be assumed, or PutEvaluations failed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from sseguard.integrations.config_event import CHANGE, SCHEDULED, MalformedEvent, RuleEvent, read_event
from sseguard.integrations.config_item import GONE, from_history, to_stream
from sseguard.integrations.connect import RuleClients, open_clients, remaining_seconds
from sseguard.integrations.evaluations import (
    NON_COMPLIANT,
    NOT_APPLICABLE,
    annotation,
    evaluation,
    put_evaluations,
)
from sseguard.integrations.judge import ACCOUNT_TYPE, Judged, judge_streams, list_account_streams
from sseguard.integrations.rule_parameters import InvalidParameters, RuleParameters, parse_parameters
from sseguard.sources.aws.adapter import RESOURCE_TYPE
from sseguard.sources.aws.answers import LIST, Unreadable, call

log = logging.getLogger(__name__)
# Lambda's root logger shows WARNING and up; the rule's own INFO lines (what was sent, the calls made, an expired
# exemption) belong in its log too.
logging.getLogger("sseguard.integrations").setLevel(logging.INFO)


def handler(event: Any, context: Any) -> list[dict[str, Any]]:
    """Evaluate the streams ``event`` is about, send the evaluations to Config, and return them."""
    try:
        request = read_event(event)
    except MalformedEvent as err:
        log.error("event not answered: %s", err)
        return []
    try:
        parameters = parse_parameters(request.parameters)
    except InvalidParameters as err:
        log.error("rule parameters refused: %s", err)
        clients = open_clients(request.account, request.partition, None, remaining_seconds(context))
        return _send(request, clients, [_refused(request, str(err))])
    clients = open_clients(request.account, request.partition, parameters.execution_role_name,
                           remaining_seconds(context))
    evaluations = _evaluate(request, parameters, clients)
    return _send(request, clients, evaluations)


def _send(request: RuleEvent, clients: RuleClients, evaluations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    put_evaluations(clients.writes.config(_region(request) or clients.writes.default_region), evaluations,
                    request.token)
    log.info("API calls: %s", clients.counter.as_report()["api_operations"])
    return evaluations


def _region(request: RuleEvent) -> str | None:
    """The region the rule runs in: its ARN's, else the item's; None leaves it to the function's own (AWS_REGION)."""
    return request.rule_region or _item_region(request.item)


def _item_region(item: Mapping[str, Any] | None) -> str | None:
    region = item.get("awsRegion") if item is not None else None
    return region if isinstance(region, str) and region else None


def _evaluate(request: RuleEvent, parameters: RuleParameters, clients: RuleClients) -> list[dict[str, Any]]:
    today = dt.datetime.now(dt.UTC).date()
    if request.message_type == SCHEDULED:
        region = _region(request) or clients.writes.default_region
        streams = list_account_streams(clients.account, region, clients.reads_deadline)
        if isinstance(streams, Judged):  # the streams could not be listed: the account is unknown
            return [_to_evaluation(streams, request.notified_at)]
        return [_to_evaluation(j, request.notified_at) for j in judge_streams(streams, clients.account, parameters,
                                                                             today)]
    item = request.item
    assert item is not None and request.resource_id is not None
    resource_id = request.resource_id
    timestamp = item.get("configurationItemCaptureTime") or request.notified_at
    if request.left_scope or item.get("configurationItemStatus") in GONE:
        return [evaluation(resource_id, NOT_APPLICABLE, _gone(request, item), timestamp, _type_of(item))]
    if item.get("resourceType") != RESOURCE_TYPE:
        return [evaluation(resource_id, NOT_APPLICABLE, f"not a Kinesis stream: {item.get('resourceType')}",
                           timestamp, _type_of(item))]
    if request.message_type != CHANGE:
        fetched = _fetch_item(clients, item, resource_id)
        if isinstance(fetched, Judged):
            return [_to_evaluation(fetched, timestamp)]
        item = fetched
        if item.get("configurationItemStatus") in GONE:
            return [evaluation(resource_id, NOT_APPLICABLE, _gone(request, item), timestamp)]
    judged = judge_streams([to_stream(item)], clients.account, parameters, today)
    return [_to_evaluation(j, timestamp) for j in judged]


def _fetch_item(clients: RuleClients, summary: Mapping[str, Any], resource_id: str) -> dict[str, Any] | Judged:
    """The whole configuration item of an oversized change (GetResourceConfigHistory, the newest item no older
    than the summary's), or the unknown its stream becomes."""
    region = _item_region(summary) or clients.writes.default_region
    request: dict[str, Any] = {"resourceType": RESOURCE_TYPE, "resourceId": resource_id, "limit": 1}
    if isinstance(summary.get("configurationItemCaptureTime"), str):
        request["laterTime"] = summary["configurationItemCaptureTime"]
    try:
        answer = call("config:GetResourceConfigHistory", f"stream {resource_id}",
                      lambda: clients.account.clients.config(region).get_resource_config_history(**request))
        items = answer.required("configurationItems", LIST)
    except Unreadable as err:
        return Judged.unknown(resource_id, RESOURCE_TYPE, err.unknown)
    if not items or not isinstance(items[0], Mapping):
        return Judged.unknown_text(resource_id, "config:GetResourceConfigHistory returned no configuration item",
                                   f"check the stream's history with aws configservice get-resource-config-history "
                                   f"--resource-type {RESOURCE_TYPE} --resource-id {resource_id}")
    return from_history(items[0])


def _gone(request: RuleEvent, item: Mapping[str, Any]) -> str:
    if request.left_scope:
        return "the resource left the rule's scope"
    return f"the stream is gone ({item.get('configurationItemStatus')})"


def _type_of(item: Mapping[str, Any]) -> str:
    kind = item.get("resourceType")
    return kind if isinstance(kind, str) and kind else RESOURCE_TYPE


def _to_evaluation(judged: Judged, timestamp: Any) -> dict[str, Any]:
    return evaluation(judged.resource_id, judged.compliance, judged.annotation,
                      timestamp or dt.datetime.now(dt.UTC), judged.resource_type)


def _refused(request: RuleEvent, why: str) -> dict[str, Any]:
    """The evaluation of an invocation whose rule parameters cannot be honoured: NON_COMPLIANT, never a pass."""
    text = annotation("INVALID PARAMETERS", why, "correct the rule's input parameters (docs/config-rule.md)")
    item = request.item
    timestamp = (item.get("configurationItemCaptureTime") if item else None) or request.notified_at \
        or dt.datetime.now(dt.UTC)
    if request.resource_id is None:
        return evaluation(request.account, NON_COMPLIANT, text, timestamp, ACCOUNT_TYPE)
    return evaluation(request.resource_id, NON_COMPLIANT, text, timestamp, _type_of(item or {}))
