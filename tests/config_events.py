"""Config rule events in the shapes of the AWS Config developer guide ("Example events for AWS Config rules"):
a configuration change, an oversized change, a periodic run. Values are the guide's, with a Kinesis stream."""

from __future__ import annotations

import json
from typing import Any

from aws_server import ACCOUNT, arn

RULE_ARN = f"arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-0123456"
CAPTURED = "2026-11-30T01:00:00.000Z"
NOTIFIED = "2026-11-30T02:00:00.373Z"


def configuration_item(name: str, encryption: dict[str, Any] | None, status: str = "OK",
                       account: str = ACCOUNT, region: str = "us-east-1") -> dict[str, Any]:
    """A configuration item of an AWS::Kinesis::Stream as a change notification holds it."""
    configuration: dict[str, Any] = {
        "Name": name, "Arn": arn(name, region, account), "RetentionPeriodHours": 24, "ShardCount": 1,
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
    }
    if encryption is not None:
        configuration["StreamEncryption"] = encryption
    return {
        "relatedEvents": [], "relationships": [], "configuration": configuration, "supplementaryConfiguration": {},
        "tags": {}, "configurationItemVersion": "1.3", "configurationItemCaptureTime": CAPTURED,
        "configurationStateId": 1732928400000, "awsAccountId": account, "configurationItemStatus": status,
        "resourceType": "AWS::Kinesis::Stream", "resourceId": name, "resourceName": name,
        "ARN": arn(name, region, account), "awsRegion": region, "availabilityZone": "Not Applicable",
        "configurationStateMd5Hash": "",
    }


def _event(invoking: dict[str, Any], token: str, parameters: dict[str, Any] | None, account: str,
           left_scope: bool = False) -> dict[str, Any]:
    return {
        "configRuleId": "config-rule-0123456", "version": "1.0", "configRuleName": "sseguard-kinesis-sse",
        "configRuleArn": RULE_ARN.replace(ACCOUNT, account), "invokingEvent": json.dumps(invoking),
        "ruleParameters": json.dumps(parameters or {}), "resultToken": token, "eventLeftScope": left_scope,
        "executionRoleArn": f"arn:aws:iam::{account}:role/config-role", "accountId": account,
    }


def change(item: dict[str, Any], token: str = "TESTMODE", parameters: dict[str, Any] | None = None,
           left_scope: bool = False) -> dict[str, Any]:
    invoking = {"configurationItemDiff": None, "configurationItem": item, "notificationCreationTime": NOTIFIED,
                "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"}
    return _event(invoking, token, parameters, item["awsAccountId"], left_scope)


def oversized(item: dict[str, Any], token: str = "TESTMODE",
              parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    summary = {k: item[k] for k in ("configurationItemCaptureTime", "configurationStateId", "awsAccountId",
                                    "configurationItemStatus", "resourceType", "resourceId", "resourceName", "ARN",
                                    "awsRegion", "availabilityZone", "configurationStateMd5Hash")}
    summary.update({"changeType": "UPDATE", "configurationItemVersion": "1.3", "resourceCreationTime": CAPTURED})
    invoking = {"configurationItemSummary": summary, "messageType": "OversizedConfigurationItemChangeNotification",
                "notificationCreationTime": NOTIFIED, "recordVersion": "1.0"}
    return _event(invoking, token, parameters, item["awsAccountId"])


def scheduled(token: str = "TESTMODE", parameters: dict[str, Any] | None = None,
              account: str = ACCOUNT) -> dict[str, Any]:
    invoking = {"awsAccountId": account, "notificationCreationTime": NOTIFIED, "messageType": "ScheduledNotification",
                "recordVersion": "1.0"}
    return _event(invoking, token, parameters, account)
