"""The event AWS Config invokes a custom rule's Lambda function with, read and checked.

Shapes (AWS Config developer guide, "Example events for AWS Config rules"): the event holds ``invokingEvent`` (JSON
text with ``messageType`` and, for a change, ``configurationItem``; for an oversized change,
``configurationItemSummary``; for a periodic run, ``awsAccountId`` and ``notificationCreationTime``),
``ruleParameters`` (JSON text), ``resultToken``, ``eventLeftScope``, ``executionRoleArn``, ``configRuleArn`` and
``accountId``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHANGE = "ConfigurationItemChangeNotification"
OVERSIZED = "OversizedConfigurationItemChangeNotification"
SCHEDULED = "ScheduledNotification"
MESSAGE_TYPES = (CHANGE, OVERSIZED, SCHEDULED)
_RULE_ARN = re.compile(r"^arn:(aws[\w-]*):config:([a-z0-9-]+):(\d{12}):")
_ACCOUNT = re.compile(r"^\d{12}$")


class MalformedEvent(ValueError):
    """An event this rule cannot answer at all (no result token, no resource to name); the message says why."""


@dataclass(frozen=True)
class RuleEvent:
    """One invocation's event, read: what triggered it, about which resource (a change) or account (a periodic
    run), and where to send the answer."""

    message_type: str
    token: str
    parameters: Any  # the raw ruleParameters: ``rule_parameters.parse_parameters`` reads them
    left_scope: bool
    account: str
    rule_region: str | None
    partition: str
    item: Mapping[str, Any] | None  # the configuration item (a change) or its summary (an oversized change)
    notified_at: str | None

    @property
    def resource_id(self) -> str | None:
        """The item's ``resourceId``; None for a periodic run."""
        value = self.item.get("resourceId") if self.item is not None else None
        return value if isinstance(value, str) and value else None


def read_event(event: Any) -> RuleEvent:
    """The event, read; raises ``MalformedEvent`` when it cannot be answered."""
    if not isinstance(event, Mapping):
        raise MalformedEvent(f"the event is a {type(event).__name__}, not an object")
    token = event.get("resultToken")
    if not isinstance(token, str) or not token:
        raise MalformedEvent("the event has no resultToken, so no evaluation can be sent")
    invoking = event.get("invokingEvent")
    if isinstance(invoking, str):
        try:
            invoking = json.loads(invoking)
        except ValueError as err:
            raise MalformedEvent(f"invokingEvent is not JSON: {err}") from None
    if not isinstance(invoking, Mapping):
        raise MalformedEvent("the event has no invokingEvent object")
    message_type = invoking.get("messageType")
    if message_type not in MESSAGE_TYPES:
        raise MalformedEvent(f"messageType {message_type!r} is not one this rule handles ({', '.join(MESSAGE_TYPES)})")
    item = _item(invoking, message_type)
    partition, rule_region, rule_account = _rule_place(event.get("configRuleArn"))
    account = next((a for a in (event.get("accountId"), invoking.get("awsAccountId"),
                                item.get("awsAccountId") if item else None, rule_account)
                    if isinstance(a, str) and _ACCOUNT.match(a)), None)
    if account is None:
        raise MalformedEvent("the event names no account (accountId)")
    notified = invoking.get("notificationCreationTime")
    return RuleEvent(message_type, token, event.get("ruleParameters"), event.get("eventLeftScope") is True, account,
                     rule_region, partition, item, notified if isinstance(notified, str) else None)


def _item(invoking: Mapping[str, Any], message_type: str) -> Mapping[str, Any] | None:
    if message_type == SCHEDULED:
        return None
    field = "configurationItem" if message_type == CHANGE else "configurationItemSummary"
    item = invoking.get(field)
    if not isinstance(item, Mapping):
        raise MalformedEvent(f"the {message_type} has no {field} object")
    resource_id = item.get("resourceId")
    if not isinstance(resource_id, str) or not resource_id:
        raise MalformedEvent(f"the {message_type}'s {field} has no resourceId, so no evaluation can name it")
    return item


def _rule_place(arn: Any) -> tuple[str, str | None, str | None]:
    """The partition, region and account of the rule's ARN (``aws``, None, None when it gives none)."""
    found = _RULE_ARN.match(arn) if isinstance(arn, str) else None
    return (found.group(1), found.group(2), found.group(3)) if found else ("aws", None, None)
