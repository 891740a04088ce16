"""ASFF: findings shaped for AWS Security Hub ``BatchImportFindings`` as a custom integration.

The output is a JSON list of findings (``aws securityhub batch-import-findings --findings file://out.json``; the
API takes at most 100 per call). Each stream is one finding whose ``Id`` depends on the control and the resource
only, so a later scan of the same stream updates the finding (FAILED to PASSED) instead of adding another.

Security Hub needs the account and region of every finding. A stream's own account and region win (live streams
carry them); a stream from source files often has neither, so the account falls back to ``--account-id``, else
``AWS_ACCOUNT_ID``, and the region to ``--region``, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` (the variables
Trivy's ASFF template reads). When none of these says, rendering stops with a ``ValueError`` naming the streams and
both ways to give what is missing: a finding is never filed under a guessed account.

Status: fail is FAILED; unknown is WARNING (a value is missing), or NOT_AVAILABLE when a live call failed (KSSE021);
pass is PASSED; a suppressed finding keeps its underlying status and gets ``Workflow.Status`` SUPPRESSED.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from typing import Any

from sseguard import __version__
from sseguard.control.codes import CODES, CONTROL_ID
from sseguard.control.mappings import mappings
from sseguard.model import Finding, Status
from sseguard.report.core import RenderOptions, Report, remediation_of, severity

SCHEMA_VERSION = "2018-10-08"
TYPES = (
    "Software and Configuration Checks/AWS Security Best Practices",
    "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices",
)
_LABELS = {"info": "INFORMATIONAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "critical": "CRITICAL"}
_ACCOUNT = re.compile(r"^\d{12}$")
# Field limits of the ASFF reference; longer text is cut with an ellipsis rather than rejected by the API.
_TITLE_MAX, _DESCRIPTION_MAX, _REMEDIATION_MAX, _FIELD_MAX, _REQUIREMENTS_MAX = 256, 1024, 512, 2048, 32


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def partition(region: str) -> str:
    """The AWS partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def compliance_status(f: Finding) -> str:
    """PASSED, FAILED, WARNING (a value is missing) or NOT_AVAILABLE (a live call failed) for one finding."""
    v = f.verdict
    if v.status is Status.PASS:
        return "PASSED"
    if v.status is Status.FAIL:
        return "FAILED"
    return "NOT_AVAILABLE" if v.code == "KSSE021" else "WARNING"


def related_requirements() -> list[str]:
    """The control's framework requirements as ``FRAMEWORK REQUIREMENT`` strings (Security Hub allows 32)."""
    reqs = [f"{fw['framework']} {fw['requirement']}" for fw in mappings()["frameworks"]]
    return reqs[:_REQUIREMENTS_MAX]


def _region(f: Finding, fallback: str | None) -> str | None:
    r = f.stream.region
    return r if isinstance(r, str) and r else fallback


def _resource(f: Finding, account: str, region: str) -> dict[str, Any]:
    s = f.stream
    arn = s.arn
    if arn is None and s.name and s.account:
        # A stream's ARN follows from its account, region and name; only built when the stream itself says them.
        arn = f"arn:{partition(region)}:kinesis:{region}:{account}:stream/{s.name}"
    details: dict[str, Any] = {}
    if s.name:
        details["Name"] = s.name
    if arn:
        details["Arn"] = arn
    encryption: dict[str, str] = {}
    if isinstance(s.encryption_type, str):
        encryption["EncryptionType"] = s.encryption_type
    if isinstance(s.key_reference, str) and s.key_reference:
        encryption["KeyId"] = s.key_reference
    if encryption:
        details["StreamEncryption"] = encryption
    resource: dict[str, Any] = {
        "Type": "AwsKinesisStream",
        "Id": arn or s.address,
        "Partition": partition(region),
        "Region": region,
    }
    if details:
        resource["Details"] = {"AwsKinesisStream": details}
    return resource


def _product_fields(f: Finding) -> dict[str, str]:
    s, v, sup = f.stream, f.verdict, f.suppression
    fields = {
        "ProviderName": "sseguard",
        "ProviderVersion": __version__,
        "sseguard/ControlId": CONTROL_ID,
        "sseguard/ReasonCode": v.code,
        "sseguard/Status": f.status.value,
        "sseguard/Address": s.address,
        "sseguard/SourceKind": s.location.kind.value,
    }
    if v.advisories:
        fields["sseguard/Advisories"] = ",".join(v.advisories)
    if v.also_failing:
        fields["sseguard/AlsoFailing"] = ",".join(v.also_failing)
    if s.location.path:
        fields["sseguard/Source"] = s.location.path + (f":{s.location.line}" if s.location.line else "")
    if sup is not None:
        fields["sseguard/SuppressionKind"] = sup.kind
        fields["sseguard/SuppressionReason"] = sup.reason
        if sup.expires:
            fields["sseguard/SuppressionExpires"] = sup.expires
    return {k: _cut(val, _FIELD_MAX) for k, val in fields.items()}


def _description(f: Finding) -> str:
    v = f.verdict
    parts = [f"{f.stream.address}: {v.message}."]
    if v.also_failing:
        parts.append(f"Also failing: {', '.join(v.also_failing)}.")
    parts.extend(f"Advisory {a}: {CODES[a].title}." for a in v.advisories)
    if f.suppression is not None:
        parts.append(f"Suppressed ({f.suppression.kind}): {f.suppression.reason}.")
    parts.extend(f"Note: {n}." for n in f.notes)
    return _cut(" ".join(parts), _DESCRIPTION_MAX)


def finding_id(f: Finding, account: str, region: str) -> str:
    """The ASFF Id: the control and the resource, not the code, so a fixed stream updates its own finding."""
    s = f.stream
    where = s.arn or ((s.location.path + s.location.root_note) if s.location.path else "")
    identity = "\x1f".join((CONTROL_ID, account, region, where, s.address))
    return f"sseguard/{CONTROL_ID}/{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:40]}"


def to_asff(f: Finding, account: str, region: str, when: str) -> dict[str, Any]:
    """One finding in ASFF, for the given account and region."""
    v = f.verdict
    passed = v.status is Status.PASS
    label = "INFORMATIONAL" if passed else _LABELS[severity(f)]
    sev = {"Label": label, "Original": severity(f)}
    workflow = "SUPPRESSED" if f.status is Status.SUPPRESSED else ("RESOLVED" if passed else "NEW")
    title = f"Kinesis stream {f.stream.address}: {CODES[v.code].title}"
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(f, account, region),
        "ProductArn": f"arn:{partition(region)}:securityhub:{region}:{account}:product/{account}/default",
        "ProductName": "sseguard",
        "GeneratorId": f"sseguard/{CONTROL_ID}",
        "AwsAccountId": account,
        "Types": list(TYPES),
        "CreatedAt": when,
        "UpdatedAt": when,
        "LastObservedAt": when,
        "Severity": sev,
        "FindingProviderFields": {"Severity": sev, "Types": list(TYPES)},
        "Title": _cut(title, _TITLE_MAX),
        "Description": _description(f),
        "Remediation": {"Recommendation": {"Text": _cut(remediation_of(f), _REMEDIATION_MAX)}},
        "ProductFields": _product_fields(f),
        "Resources": [_resource(f, account, region)],
        "Compliance": {"Status": compliance_status(f), "RelatedRequirements": related_requirements()},
        "Workflow": {"Status": workflow},
        "RecordState": "ACTIVE",
    }


def to_findings(report: Report, account: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """Every finding of the report in ASFF. ``account``/``region`` stand in where a stream does not say its own.

    Raises ``ValueError`` naming the streams when an account or region is still missing, or an account id is not
    twelve digits.
    """
    when = report.generated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    out: list[dict[str, Any]] = []
    no_account: list[str] = []
    no_region: list[str] = []
    for f in report.findings:
        acct = f.stream.account or account
        reg = _region(f, region)
        if not acct:
            no_account.append(f.stream.address)
        if not reg:
            no_region.append(f.stream.address)
        if not acct or not reg:
            continue
        if not _ACCOUNT.match(acct):
            raise ValueError(f"ASFF needs a 12-digit AWS account id, got {acct!r} for {f.stream.address}")
        out.append(to_asff(f, acct, reg, when))
    missing = []
    if no_account:
        missing.append(f"no account is known for {_some(no_account)} (give --account-id ACCOUNT or set "
                       "AWS_ACCOUNT_ID)")
    if no_region:
        missing.append(f"no region is known for {_some(no_region)} (give --region REGION or set AWS_REGION)")
    if missing:
        raise ValueError("ASFF needs the AWS account and region of every stream: " + "; ".join(missing))
    return out


def _some(addresses: list[str]) -> str:
    shown = ", ".join(addresses[:3])
    return shown + (f" and {len(addresses) - 3} more" if len(addresses) > 3 else "")


def render(report: Report, options: RenderOptions | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The report as a JSON list of ASFF findings. Where a stream names no account or region, the options'
    (``--account-id``, ``--region``) stand in, else the environment's."""
    opts = options or RenderOptions()
    env = os.environ if environ is None else environ
    account = opts.account_id or env.get("AWS_ACCOUNT_ID") or None
    if account is not None and not _ACCOUNT.match(account):
        given = "--account-id" if opts.account_id else "AWS_ACCOUNT_ID"
        raise ValueError(f"{given} must be a 12-digit AWS account id, not {account!r}")
    region = opts.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
    return json.dumps(to_findings(report, account, region), indent=2) + "\n"
