"""Findings for the report tests, built from the model and judged by the real control and suppressions.

No source adapter is involved, so the report tests stand on the model's contract alone. ``expected`` is what the
control gives each stream, written out by hand so a test fails if the control or a renderer drifts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sseguard.model import (
    InputError,
    Key,
    KeyManager,
    KeyState,
    Location,
    OutOfReach,
    ScannedInput,
    SourceKind,
    Stream,
    SuppressionRule,
    Unknown,
)
from sseguard.options import ScanOptions
from sseguard.report.core import Report
from sseguard.scan import judge

TODAY = dt.date(2026, 11, 28)
GENERATED = dt.datetime(2026, 11, 28, 9, 30, 0, tzinfo=dt.UTC)
ACCOUNT = "111122223333"
LIVE_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/live-orders"
DENIED_ARN = f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/audit"
SCRIPT_ADDRESS = 'aws_kinesis_stream.x["<script>alert(1)</script>"]'
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": "kms:*", "Resource": "*"}],
}


def tf(path: str, line: int, end: int) -> Location:
    return Location(SourceKind.TERRAFORM, path, line, end)


def streams() -> list[Stream]:
    """Every outcome a report has to show: fails (with and without key facts), unknowns, a suppression, passes."""
    live = Location(SourceKind.AWS)
    return [
        Stream("aws_kinesis_stream.plain", "aws_kinesis_stream", tf("main.tf", 1, 4), None,
               region="us-east-1", name="plain"),
        Stream("aws_kinesis_stream.moved_key", "aws_kinesis_stream", tf("main.tf", 6, 11), "KMS", KEY_ARN,
               key=Key(KEY_ARN, arn=KEY_ARN, region="eu-west-1", account=ACCOUNT, manager=KeyManager.CUSTOMER,
                       state=KeyState.DISABLED, policy=POLICY, policy_source="aws_kms_key.orders policy",
                       declared_at="aws_kms_key.orders"),
               region="us-east-1", name="moved-key"),
        Stream("aws_kinesis_stream.from_var", "aws_kinesis_stream", tf("main.tf", 13, 17),
               Unknown("var.encryption has no value", "give --var encryption=KMS or a tfvars file"),
               "alias/orders", region="us-east-1"),
        Stream("aws_kinesis_stream.legacy", "aws_kinesis_stream", tf("legacy/main.tf", 3, 7), "none",
               region="us-east-1",
               suppressions=(SuppressionRule("sseguard", frozenset({"KSSE002"}), "legacy stream, retired in Q1",
                                             "2027-01-31", 'sseguard:ignore KSSE002 reason="legacy stream, retired '
                                             'in Q1" expires=2027-01-31', 2),)),
        Stream("aws_kinesis_stream.stale_ignore", "aws_kinesis_stream", tf("legacy/main.tf", 10, 13), None,
               region="us-east-1",
               suppressions=(SuppressionRule("checkov", frozenset({"KSSE001"}), "was fine last year", "2025-01-01",
                                             "checkov:skip=CKV_AWS_43:was fine last year", 9),)),
        Stream("aws_kinesis_stream.managed", "aws_kinesis_stream", tf("main.tf", 19, 24), "KMS", "alias/aws/kinesis",
               region="us-east-1"),
        Stream("aws_kinesis_stream.orders", "aws_kinesis_stream", tf("main.tf", 26, 31), "KMS", "alias/orders",
               key=Key("alias/orders", region=OutOfReach("the alias is not declared in the scanned files")),
               region="us-east-1"),
        Stream(SCRIPT_ADDRESS, "aws_kinesis_stream", tf("main.tf", 33, 36), "NONE", region="us-east-1"),
        Stream(LIVE_ARN, "AWS::Kinesis::Stream", live, "NONE", region="us-east-1", account=ACCOUNT, arn=LIVE_ARN,
               name="live-orders",
               facts={"StreamStatus": "ACTIVE", "EncryptionType": "NONE", "RetentionPeriodHours": 24}),
        Stream(DENIED_ARN, "AWS::Kinesis::Stream", live,
               Unknown("kinesis:DescribeStreamSummary failed: AccessDeniedException",
                       "grant kinesis:DescribeStreamSummary", code="KSSE021"),
               region="eu-west-1", account=ACCOUNT, arn=DENIED_ARN, name="audit"),
    ]


# (address, status, code, advisories) in the order ``judge`` sorts them: file, line, address.
EXPECTED = [
    (DENIED_ARN, "unknown", "KSSE021", ()),
    (LIVE_ARN, "fail", "KSSE002", ()),
    ("aws_kinesis_stream.legacy", "suppressed", "KSSE002", ()),
    ("aws_kinesis_stream.stale_ignore", "fail", "KSSE001", ()),
    ("aws_kinesis_stream.plain", "fail", "KSSE001", ()),
    ("aws_kinesis_stream.moved_key", "fail", "KSSE011", ("KSSE013",)),
    ("aws_kinesis_stream.from_var", "unknown", "KSSE020", ()),
    ("aws_kinesis_stream.managed", "pass", "KSSE000", ("KSSE010",)),
    ("aws_kinesis_stream.orders", "pass", "KSSE000", ()),
    (SCRIPT_ADDRESS, "fail", "KSSE002", ()),
]

ERRORS = [InputError("broken/main.tf", "unexpected token '}' (expected an attribute or block)", 3)]
INPUTS = [ScannedInput(SourceKind.TERRAFORM, "."), ScannedInput(SourceKind.AWS, f"aws://{ACCOUNT}/us-east-1")]


def report(stream_list: list[Stream] | None = None, *, errors: list[InputError] | None = None,
           inputs: list[ScannedInput] | None = None) -> Report:
    """A report of the given streams (default: ``streams()``) judged on ``TODAY``, generated at ``GENERATED``."""
    chosen = streams() if stream_list is None else stream_list
    findings = judge(chosen, ScanOptions(today=TODAY))
    return Report(findings, INPUTS if inputs is None else inputs, ERRORS if errors is None else errors,
                  generated_at=GENERATED)


def by_address(rep: Report, address: str) -> Any:
    """The one finding of ``address``."""
    [found] = [f for f in rep.findings if f.stream.address == address]
    return found


def moved(stream: Stream, lines: int) -> Stream:
    """The same stream with its block shifted down by ``lines`` (code added above it)."""
    loc = stream.location
    assert loc.line is not None and loc.end_line is not None
    return replace(stream, location=replace(loc, line=loc.line + lines, end_line=loc.end_line + lines))
