"""The rule's parameters (the event's ``ruleParameters``, a JSON object as the rule's InputParameters give it).

Config passes every parameter value as a string in most set-ups (the console, organisation rules), so each value
may also be given as text: ``"true"``, or ``exemptStreams`` as a JSON list written in a string. A parameter this
rule does not know is refused rather than ignored: a misspelt ``strictKeyPolicy`` must not quietly judge less.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAIL_ON = ("fail", "advisory")
# rdk's name for the role to assume in the stream's account (rdk's get_execution_role_arn).
ROLE_PARAMETER = "ExecutionRoleName"
KNOWN = frozenset({"strictKeyPolicy", "failOn", "exemptStreams", ROLE_PARAMETER})
_ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")
_STREAM_ARN = re.compile(r"^arn:aws[\w-]*:kinesis:[a-z0-9-]+:\d{12}:stream/[\w.-]+$")


class InvalidParameters(ValueError):
    """The rule's parameters cannot be honoured; the message names the parameter and what is wrong."""


@dataclass(frozen=True)
class Exemption:
    """One stream the rule's owner exempted, why, and until when (the last day it holds, UTC)."""

    arn: str
    reason: str
    expires: dt.date

    def in_force(self, today: dt.date) -> bool:
        """Whether the exemption still holds on ``today`` (it holds through its ``expires`` day)."""
        return today <= self.expires


@dataclass(frozen=True)
class RuleParameters:
    """The rule's parameters, read; the defaults are those of a rule given none."""

    strict_key_policy: bool = False
    fail_on: str = "fail"
    exemptions: Mapping[str, Exemption] = field(default_factory=dict)
    execution_role_name: str | None = None


def parse_parameters(raw: Any) -> RuleParameters:
    """The parameters of ``raw`` (the event's ``ruleParameters``: JSON text, or absent); raises
    ``InvalidParameters``."""
    if raw is None or raw == "":
        return RuleParameters()
    document = _json(raw, "ruleParameters") if isinstance(raw, str) else raw
    if not isinstance(document, Mapping):
        raise InvalidParameters("ruleParameters is not a JSON object")
    unknown = sorted(set(document) - KNOWN)
    if unknown:
        raise InvalidParameters(f"unknown parameter {', '.join(unknown)}; known: {', '.join(sorted(KNOWN))}")
    fail_on = document.get("failOn", "fail")
    if fail_on not in FAIL_ON:
        raise InvalidParameters(f"failOn is {fail_on!r}; it must be fail or advisory")
    role = document.get(ROLE_PARAMETER) or None
    if role is not None and not (isinstance(role, str) and _ROLE_NAME.match(role)):
        raise InvalidParameters(f"{ROLE_PARAMETER} {role!r} is not an IAM role name")
    return RuleParameters(
        strict_key_policy=_flag(document.get("strictKeyPolicy", False), "strictKeyPolicy"),
        fail_on=fail_on,
        exemptions=_exemptions(document.get("exemptStreams", [])),
        execution_role_name=role.strip("/") if role else None,
    )


def _json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise InvalidParameters(f"{name} is not JSON: {err}") from None


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidParameters(f"{name} is {value!r}; it must be true or false")


def _exemptions(value: Any) -> dict[str, Exemption]:
    """``[{"arn": ..., "reason": ..., "expires": "YYYY-MM-DD"}, ...]``, as a list or as JSON text."""
    entries = _json(value, "exemptStreams") if isinstance(value, str) else value
    if not isinstance(entries, list):
        raise InvalidParameters("exemptStreams is not a list")
    found: dict[str, Exemption] = {}
    for i, entry in enumerate(entries):
        where = f"exemptStreams[{i}]"
        if not isinstance(entry, Mapping):
            raise InvalidParameters(f"{where} is not an object with arn, reason and expires")
        arn, reason, expires = entry.get("arn"), entry.get("reason"), entry.get("expires")
        if not (isinstance(arn, str) and _STREAM_ARN.match(arn)):
            raise InvalidParameters(f"{where}.arn {arn!r} is not a Kinesis stream ARN")
        if not (isinstance(reason, str) and reason.strip()):
            # as an sseguard suppression without a reason: an exemption an auditor cannot read is not applied
            raise InvalidParameters(f"{where} has no reason")
        try:
            until = dt.date.fromisoformat(expires) if isinstance(expires, str) else None
        except ValueError:
            until = None
        if until is None:
            raise InvalidParameters(f"{where}.expires {expires!r} is not a date (YYYY-MM-DD)")
        found[arn] = Exemption(arn, reason.strip(), until)
    return found
