"""Streams -> Config verdicts: each stream's key resolved by ``sseguard aws``'s ``KeyResolver`` (each key read
once per invocation), judged by the one ``control.evaluate``, mapped to a compliance type and annotation. Also the
periodic run's listing of every stream of the account and region, with ``sseguard aws``'s own calls."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from sseguard.control.evaluate import evaluate
from sseguard.integrations.evaluations import (
    COMPLIANT,
    NON_COMPLIANT,
    annotation,
    exempt_annotation,
    verdict_annotation,
)
from sseguard.integrations.rule_parameters import RuleParameters
from sseguard.kms import is_kms
from sseguard.model import Stream, Unknown
from sseguard.sources.aws.adapter import RESOURCE_TYPE, stream_from_error
from sseguard.sources.aws.adapter import to_stream as summary_to_stream
from sseguard.sources.aws.answers import Unreadable
from sseguard.sources.aws.collect import Target, describe, list_stream_names
from sseguard.sources.aws.deadline import Deadline
from sseguard.sources.aws.errors import API_ERROR
from sseguard.sources.aws.keys import KeyRef, KeyResolver, place
from sseguard.sources.aws.ratelimit import RegionalLimits
from sseguard.sources.aws.session import Account

# What a periodic run evaluates when it cannot list the streams: the account itself, as rdk's periodic rules do.
ACCOUNT_TYPE = "AWS::::Account"
# Threads for DescribeStreamSummary and the KMS reads; the rate limits, not the threads, set the pace.
WORKERS = 8

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Judged:
    """One resource's answer to Config."""

    resource_id: str
    resource_type: str
    compliance: str
    annotation: str

    @classmethod
    def unknown(cls, resource_id: str, resource_type: str, why: Unknown) -> Judged:
        """NON_COMPLIANT, with the ``UNKNOWN KSSE021:`` annotation that names the failed call and the fix."""
        return cls(resource_id, resource_type, NON_COMPLIANT, annotation(f"UNKNOWN {why.code}", why.reason,
                                                                         why.resolve))

    @classmethod
    def unknown_text(cls, resource_id: str, reason: str, resolve: str) -> Judged:
        """A stream's unknown (KSSE021) from its reason and fix, in words."""
        return cls.unknown(resource_id, RESOURCE_TYPE, Unknown(reason, resolve, API_ERROR))


def list_account_streams(account: Account, region: str, deadline: Deadline) -> list[Stream] | Judged:
    """Every stream of the account and region, described (ListStreams, then DescribeStreamSummary each); a stream
    whose description failed, or was not made by ``deadline``, is an unknown stream. The account's unknown when the
    streams cannot be listed."""
    target = Target(account, region)
    limits = RegionalLimits(deadline=deadline)
    try:
        names = list_stream_names(target, limits)
    except Unreadable as err:
        return Judged.unknown(account.account_id, ACCOUNT_TYPE, err.unknown)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        described = list(pool.map(lambda name: describe(target, name, limits), names))
    return [summary_to_stream(d, None, {}) if d.summary is not None else stream_from_error(d) for d in described]


def judge_streams(streams: Sequence[Stream], account: Account, parameters: RuleParameters,
                  today: dt.date) -> list[Judged]:
    """Each stream's answer: exempt (not judged) while an exemption holds, else judged with its key resolved."""
    exempt = {s.address: e for s in streams if (e := parameters.exemptions.get(s.arn or "")) and e.in_force(today)}
    for stream in streams:
        expired = parameters.exemptions.get(stream.arn or "")
        if expired is not None and stream.address not in exempt:
            log.info("exemption of %s expired on %s: judged", stream.arn, expired.expires)
    judged = [s for s in streams if s.address not in exempt]
    refs = {s.address: ref for s in judged if (ref := _key_ref(s, account)) is not None}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        resolved = KeyResolver({account.account_id: account}, pool).resolve(refs.values())
    answers: list[Judged] = []
    for stream in streams:
        name = stream.name or stream.address
        if stream.address in exempt:
            answers.append(Judged(name, RESOURCE_TYPE, COMPLIANT, exempt_annotation(exempt[stream.address])))
            continue
        if stream.account and stream.account != account.account_id:
            answers.append(Judged.unknown_text(
                name, f"the stream is in account {stream.account}, the rule read account {account.account_id}",
                "deploy the rule in the stream's account, or as an organisation rule with ExecutionRoleName"))
            continue
        ref = refs.get(stream.address)
        if ref is not None:
            found = resolved[ref]
            stream = replace(stream, key=found.key, facts={**stream.facts, **found.facts})
        verdict = evaluate(stream, strict_key_policy=parameters.strict_key_policy)
        compliance, text = verdict_annotation(stream, verdict, parameters.fail_on)
        answers.append(Judged(name, RESOURCE_TYPE, compliance, text))
    return answers


def _key_ref(stream: Stream, account: Account) -> KeyRef | None:
    """Where the stream's key is, when it names one and the stream's place is known."""
    kind, reference = stream.encryption_type, stream.key_reference
    if not (isinstance(kind, str) and is_kms(kind) and isinstance(reference, str) and reference.strip()):
        return None
    if not isinstance(stream.region, str) or stream.account not in (None, account.account_id):
        return None
    return place(reference, account.account_id, stream.region)
