"""Verdicts -> AWS Config evaluations, and sending them (PutEvaluations, in batches).

Config takes COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE from a custom rule; it accepts no INSUFFICIENT_DATA, so an
unknown verdict is NON_COMPLIANT with an annotation that starts ``UNKNOWN KSSE021:``, never anything that reads as
a pass. Annotations hold at most 256 characters: the code, a short message, and the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from sseguard.control.codes import get_code
from sseguard.integrations.rule_parameters import Exemption
from sseguard.model import SourceKind, Status, Stream, Verdict
from sseguard.sources.aws.adapter import RESOURCE_TYPE
from sseguard.sources.aws.answers import OBJECTS, Unreadable, call

COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE = "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"
ANNOTATION_MAX = 256
BATCH = 100  # PutEvaluations takes at most 100 evaluations a call
TEST_MODE_TOKEN = "TESTMODE"
_FIX_MIN = 100  # characters of the fix kept when an annotation must be cut

log = logging.getLogger(__name__)


class PutEvaluationsFailed(RuntimeError):
    """Config did not take the evaluations: the invocation fails, so Config invokes the rule again."""


def annotation(head: str, message: str, fix: str = "") -> str:
    """``HEAD: message. Fix: fix`` in at most 256 characters. When it is too long, the fix is cut first, down to
    ``_FIX_MIN`` characters, then the message."""
    message = _sentence(message)
    fix = _sentence(fix)
    text = f"{head}: {message}" + (f" Fix: {fix}" if fix else "")
    if len(text) <= ANNOTATION_MAX:
        return text
    room = ANNOTATION_MAX - len(f"{head}: ")
    fix_room = min(len(fix), max(_FIX_MIN, room - len(message) - len(" Fix: "))) if fix else 0
    message_room = room - (fix_room + len(" Fix: ") if fix else 0)
    text = f"{head}: {_cut(message, message_room)}" + (f" Fix: {_cut(fix, fix_room)}" if fix else "")
    return _cut(text, ANNOTATION_MAX)


def _sentence(text: str) -> str:
    """One line, ending with a full stop."""
    line = " ".join(text.split())
    return line if not line or line.endswith((".", "!", "?")) else line + "."


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def verdict_annotation(stream: Stream, verdict: Verdict, fail_on: str) -> tuple[str, str]:
    """The compliance type and annotation of one judged stream."""
    code = get_code(verdict.code)
    if verdict.status is Status.UNKNOWN:
        # the judge's message ends with "; to resolve: ..." where the annotation has its own "Fix: ..."
        message = verdict.message.removesuffix(f"; to resolve: {verdict.resolve}") if verdict.resolve else \
            verdict.message
        return NON_COMPLIANT, annotation(f"UNKNOWN {verdict.code}", message, verdict.resolve or code.fix)
    if verdict.status is Status.FAIL:
        fix = code.remediation_for(SourceKind.AWS.value, stream.name)
        return NON_COMPLIANT, annotation(verdict.code, verdict.message, fix)
    if fail_on == "advisory" and verdict.advisories:
        first = get_code(verdict.advisories[0])
        others = f" (also {', '.join(verdict.advisories[1:])})" if len(verdict.advisories) > 1 else ""
        fix = first.remediation_for(SourceKind.AWS.value, stream.name)
        return NON_COMPLIANT, annotation(f"ADVISORY {first.code}", first.title + others, fix)
    # pass (suppressed needs a suppression, which a configuration item never carries)
    advisories = f" (advisories {', '.join(verdict.advisories)})" if verdict.advisories else ""
    return COMPLIANT, annotation(f"{verdict.code}{advisories}", verdict.message)


def exempt_annotation(exemption: Exemption) -> str:
    """The annotation of a stream the rule's ``exemptStreams`` exempts."""
    return annotation(f"EXEMPT until {exemption.expires.isoformat()}",
                      f"exemptStreams: {exemption.reason}; not judged while the exemption holds")


def evaluation(resource_id: str, compliance: str, text: str, timestamp: Any,
               resource_type: str = RESOURCE_TYPE) -> dict[str, Any]:
    """One evaluation in the shape PutEvaluations takes."""
    return {"ComplianceResourceType": resource_type, "ComplianceResourceId": resource_id,
            "ComplianceType": compliance, "Annotation": text, "OrderingTimestamp": timestamp}


def put_evaluations(config: Any, evaluations: Sequence[dict[str, Any]], token: str) -> None:
    """Send every evaluation, 100 a call; ``TestMode`` for the token ``TESTMODE``. Raises
    ``PutEvaluationsFailed`` when Config refuses a call or reports evaluations it did not take."""
    test_mode = token == TEST_MODE_TOKEN
    for start in range(0, len(evaluations), BATCH):
        batch = list(evaluations[start:start + BATCH])
        try:
            answer = call("config:PutEvaluations", f"{len(batch)} evaluations", partial(
                config.put_evaluations, Evaluations=batch, ResultToken=token, TestMode=test_mode))
            failed = answer.optional("FailedEvaluations", OBJECTS) or []
        except Unreadable as err:
            raise PutEvaluationsFailed(f"{err.unknown.reason}; {err.unknown.resolve}") from None
        if failed:
            ids = ", ".join(str(f.get("ComplianceResourceId")) for f in failed[:5])
            raise PutEvaluationsFailed(f"config:PutEvaluations did not take {len(failed)} evaluations ({ids})")
        log.info("sent %d evaluations%s", len(batch), " (test mode)" if test_mode else "")
