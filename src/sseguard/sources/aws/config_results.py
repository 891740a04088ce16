"""AWS Config rule results about Kinesis streams: ``GetComplianceDetailsByConfigRule`` in one account and region,
or, through an aggregator, ``DescribeAggregateComplianceByConfigRules`` (which accounts and regions the rule ran in;
the details call needs both) then ``GetAggregateComplianceDetailsByConfigRule`` for each. Every listing is read to
its last ``NextToken`` or not at all: a page that fails makes the whole listing an error, never fewer results.

Config names a stream by its ``ResourceId``: the stream's name (the primary identifier of ``AWS::Kinesis::Stream``),
or an ARN in some rules' evaluations; either way the result is keyed to the stream ARN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from sseguard.evidence.results import CONFIG_RESULT, ExternalResult, parse_stream_arn
from sseguard.sources.aws.answers import NAME, TEXT, Answer, Kind, Unreadable, call_pages
from sseguard.sources.aws.errors import error_code_and_message
from sseguard.sources.aws.session import Clients, partition_of

STREAM_TYPE = "AWS::Kinesis::Stream"
DETAILS = "config:GetComplianceDetailsByConfigRule"
AGGREGATE_DETAILS = "config:GetAggregateComplianceDetailsByConfigRule"
AGGREGATE_RULES = "config:DescribeAggregateComplianceByConfigRules"
NO_RULE = "NoSuchConfigRuleException"
# botocore parses Config's timestamps into datetimes.
WHEN = Kind("a timestamp", lambda value: isinstance(value, dt.datetime))


@dataclass
class Read:
    """What one collection read: the results, the results about other resource types (counted, not kept), the
    failed calls (``Unreadable``, each one line) and the rules that do not exist where they were asked for."""

    results: list[ExternalResult] = field(default_factory=list)
    other_types: int = 0
    failures: list[Unreadable] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)

    def add(self, other: Read) -> None:
        self.results.extend(other.results)
        self.other_types += other.other_types
        self.failures.extend(other.failures)
        self.absent.extend(other.absent)


def stream_arn(resource_id: str, account: str, region: str) -> str:
    """The stream ARN Config's ``ResourceId`` names: an ARN as it is, a name in the account and region read."""
    if parse_stream_arn(resource_id) is not None:
        return resource_id
    return f"arn:{partition_of(region)}:kinesis:{region}:{account}:stream/{resource_id}"


def is_missing_rule(err: Unreadable) -> bool:
    """True when the call failed because the rule (or aggregator) does not exist there."""
    return isinstance(err.cause, ClientError) and error_code_and_message(err.cause)[0] in (
        NO_RULE, "NoSuchConfigurationAggregatorException")


def read_rule(clients: Clients, account: str, region: str, rule: str) -> Read:
    """Every evaluation of ``rule`` in the account and region of ``clients``."""
    where = f"rule {rule} in aws://{account}/{region}"
    read = Read()
    try:
        pages = call_pages(DETAILS, where, lambda: clients.config(region).get_paginator(
            "get_compliance_details_by_config_rule").paginate(ConfigRuleName=rule))
        for page in pages:
            for entry in page.entries("EvaluationResults"):
                _add(read, entry, rule, account, region, f"config {account}/{region}")
    except Unreadable as err:
        return _failed(err, where)  # all or nothing: what was read before the failure is dropped
    return read


def read_aggregated_rule(clients: Clients, region: str, aggregator: str, rule: str) -> Read:
    """Every evaluation of ``rule`` in every account and region the aggregator (in ``region``) holds it for."""
    where = f"rule {rule} in aggregator {aggregator}"
    read = Read()
    try:
        pages = call_pages(AGGREGATE_RULES, where, lambda: clients.config(region).get_paginator(
            "describe_aggregate_compliance_by_config_rules").paginate(
            ConfigurationAggregatorName=aggregator, Filters={"ConfigRuleName": rule}))
        places = sorted({(e.required("AccountId", NAME), e.required("AwsRegion", NAME))
                         for page in pages for e in page.entries("AggregateComplianceByConfigRules")})
    except Unreadable as err:
        return _failed(err, where)
    if not places:
        read.absent.append(where)
    for account, place in places:
        read.add(_read_aggregated(clients, region, aggregator, rule, account, place))
    return read


def _read_aggregated(clients: Clients, region: str, aggregator: str, rule: str, account: str, place: str) -> Read:
    where = f"rule {rule} of aws://{account}/{place} in aggregator {aggregator}"
    read = Read()
    try:
        pages = call_pages(AGGREGATE_DETAILS, where, lambda: clients.config(region).get_paginator(
            "get_aggregate_compliance_details_by_config_rule").paginate(
            ConfigurationAggregatorName=aggregator, ConfigRuleName=rule, AccountId=account, AwsRegion=place))
        for page in pages:
            for entry in page.entries("AggregateEvaluationResults"):
                _add(read, entry, rule, entry.optional("AccountId", NAME) or account,
                     entry.optional("AwsRegion", NAME) or place, f"aggregator {aggregator}")
    except Unreadable as err:
        return _failed(err, where)
    return read


def _failed(err: Unreadable, where: str) -> Read:
    """A listing that could not be read in full: a rule that is not there, or a failure; no results."""
    return Read(absent=[where]) if is_missing_rule(err) else Read(failures=[err])


def _add(read: Read, entry: Answer, rule: str, account: str, region: str, via: str) -> None:
    """One evaluation: kept when it is about a stream, counted when it is about another resource type."""
    qualifier = entry.part("EvaluationResultIdentifier").part("EvaluationResultQualifier")
    if qualifier.required("ResourceType", NAME) != STREAM_TYPE:
        read.other_types += 1
        return
    resource_id: str = qualifier.required("ResourceId", NAME)
    word: str = entry.required("ComplianceType", NAME)
    at: dt.datetime = entry.required("ResultRecordedTime", WHEN)
    invoked = entry.optional("ConfigRuleInvokedTime", WHEN)
    arn = stream_arn(resource_id, account, region)
    extra: dict[str, Any] = {"rule": rule, "resource_id": resource_id,
                             "invoked_at": invoked.astimezone(dt.UTC).isoformat() if invoked else None}
    mode = qualifier.optional("EvaluationMode", TEXT)
    if mode:
        extra["evaluation_mode"] = mode
    read.results.append(ExternalResult(
        kind=CONFIG_RESULT, source=f"Config rule {rule}", identity=f"config|{rule}|{arn}", stream_arn=arn, word=word,
        at=at.astimezone(dt.UTC), detail=str(entry.optional("Annotation", TEXT) or ""), via=via, extra=extra))
