"""``sseguard remediate`` from start to end: read the streams as ``sseguard aws`` does, judge them, choose a key
for each failing one, preflight it, count the 24-hour limit, and (with ``apply``) change and verify each stream.
One stream's failure never stops the others."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from sseguard.kms import is_aws_managed_alias
from sseguard.model import Finding, Key
from sseguard.options import ScanOptions
from sseguard.remediate.apply import Clock, start_encryption
from sseguard.remediate.limit import Changes, recorded_changes
from sseguard.remediate.outcome import Action, Check, Entry, utc_text
from sseguard.remediate.plan import Change, choose, entry
from sseguard.remediate.preflight import passed, preflight
from sseguard.remediate.principals import principal_checks
from sseguard.remediate.record import stream_key_of
from sseguard.scan import judge
from sseguard.sources.aws.collect import Target
from sseguard.sources.aws.keys import KeyRef, KeyResolver, Resolved, place
from sseguard.sources.aws.scanner import AwsScanOptions, LiveAccounts, open_live, read_streams
from sseguard.sources.aws.session import Account


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RemediateOptions:
    """What ``sseguard remediate`` was asked to do. ``streams``: names or ARNs to limit it to (all when empty).
    ``key``: the key to use (``--key``). ``principals``: roles and users that must keep their access
    (``--check-principal``). ``db``: the history the 24-hour limit is counted from. ``now``: the wall
    clock of the records (tests pass their own)."""

    live: AwsScanOptions
    db: Path
    streams: tuple[str, ...] = ()
    key: str | None = None
    apply: bool = False
    strict_key_policy: bool = False
    principals: tuple[str, ...] = ()
    now: Callable[[], dt.datetime] = _utc_now


class StreamsNotFound(Exception):
    """A stream named with ``--stream`` is in none of the regions read: nothing is changed."""


@dataclass
class Remediation:
    """Every targeted stream's entry, who made the calls in each account, and the API calls it took."""

    entries: list[Entry]
    apply: bool  # --apply was given: changes were made
    principals: dict[str, str]
    api: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        """True when every targeted stream is now encrypted or had nothing to do."""
        return all(e.settled for e in self.entries)


def remediate(options: RemediateOptions) -> Remediation:
    """Run the command; raises ``AwsSetupError`` when the accounts cannot be reached at all, ``HistoryError`` when
    the history cannot be read to count the 24-hour limit, and ``StreamsNotFound``. Each is raised before any
    change."""
    changes = recorded_changes(options.db, options.now())
    live = open_live(options.live)
    streams = read_streams(live).streams
    findings = _selected(judge(streams, ScanOptions(strict_key_policy=options.strict_key_policy)), options.streams)
    chosen = [choose(f, options.key) for f in findings]
    accounts = live.accounts()
    resolved = _resolve([c for c in chosen if isinstance(c, Change)], accounts, options.live.max_workers)
    entries = [c if isinstance(c, Entry) else _checked(c, resolved[_ref(c)], options, changes, accounts)
               for c in chosen]
    if options.apply:
        entries = _apply_all(entries, findings, options, live, accounts)
    principals = {a.account_id: a.principal for a in accounts.values()}
    return Remediation(entries, options.apply, principals, live.counter.as_report())


def _selected(findings: Sequence[Finding], wanted: Sequence[str]) -> list[Finding]:
    """The findings of the streams named (by name or ARN), or every finding when none is named."""
    if not wanted:
        return list(findings)
    names = set(wanted)
    chosen = [f for f in findings if {f.stream.name, f.stream.arn} & names]
    found = {n for f in chosen for n in (f.stream.name, f.stream.arn)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise StreamsNotFound(f"--stream {', '.join(missing)}: no such stream in the accounts and regions read; "
                              "nothing was changed")
    return chosen


def _ref(change: Change) -> KeyRef:
    stream = change.finding.stream
    assert stream.account is not None and isinstance(stream.region, str)  # a stream that was read has both
    return place(change.key, stream.account, stream.region)


def _resolve(changes: Sequence[Change], accounts: Mapping[str, Account], workers: int) -> dict[KeyRef, Resolved]:
    """The key each change would use, each alias list and key read once (as the scan reads a stream's key)."""
    refs = [_ref(c) for c in changes]
    if not refs:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return KeyResolver(accounts, pool).resolve(refs)


def _checked(change: Change, resolved: Resolved, options: RemediateOptions, changes: Changes,
             accounts: Mapping[str, Account]) -> Entry:
    """The entry of a change after its preflight (and the principals' access, once the key itself passes) and
    the 24-hour limit: planned, skipped or refused."""
    finding, key = change.finding, resolved.key
    facts = resolved.facts.get("kms:DescribeKey") or {}
    details = {
        "key": change.key, "key_arn": key.arn, "aws_managed_key": change.aws_managed,
        "advisories": ("KSSE010",) if change.aws_managed else (), "grants": _grants(change, key),
    }
    if _same_key(finding, change, key):
        return entry(finding, Action.SKIPPED, f"already encrypted with {change.key}, and its key fails "
                     f"{finding.verdict.code}: mend the key itself", settled=False, **details)
    stream = finding.stream
    checks = preflight(stream, change.key, key, facts, options.strict_key_policy)
    if passed(checks) and options.principals:
        assert stream.account is not None and stream.arn is not None  # a stream that was read has both
        checks += principal_checks(accounts[stream.account], options.principals, stream.arn, key,
                                   change.aws_managed)
    if not passed(checks):
        failed = [c for c in checks if c.blocking and not c.passed]
        return entry(finding, Action.REFUSED, "preflight failed: " + "; ".join(f"{c.name}: {c.why}" for c in failed),
                     settled=False, checks=checks, resolve=_refusal_resolve(failed), **details)
    key_of_stream = stream_key_of(stream)
    frees_at = changes.frees_at(key_of_stream)
    if frees_at is not None:
        return entry(finding, Action.REFUSED, f"the history records {changes.count(key_of_stream)} key "
                     "changes of this stream in the last 24 hours, the most Kinesis allows; it frees up at "
                     f"{utc_text(frees_at)}", settled=False, checks=checks,
                     resolve="run again after that time", **details)
    why = f"would encrypt with {change.key}" + (_AWS_MANAGED_NOTE if change.aws_managed else "")
    return entry(finding, Action.PLANNED, why, settled=False, checks=checks, **details)


# What to do about a failed check, by check (the key checks share one answer).
_CHECK_RESOLVE = {
    "stream-active": "run again once the stream is ACTIVE",
    "principal-access": "grant the principals named kms:GenerateDataKey and kms:Decrypt on the key (IAM policy or "
                        "key policy) and run again, or choose another key",
}
_KEY_RESOLVE = "mend the key, or give --key with one whose preflight passes"


def _refusal_resolve(failed: Sequence[Check]) -> str:
    return "; ".join(dict.fromkeys(_CHECK_RESOLVE.get(c.name, _KEY_RESOLVE) for c in failed))


_AWS_MANAGED_NOTE = (" (KSSE010: the AWS-managed key; its rotation and policy are AWS's, and consumers in other "
                     "accounts cannot be granted it; give --key for a customer key)")


def _same_key(finding: Finding, change: Change, key: Key) -> bool:
    """Whether the stream already uses the key asked for (by reference, by resolved ARN, or both AWS-managed)."""
    current = finding.stream.key
    reference = finding.stream.key_reference
    if not isinstance(reference, str) or current is None:
        return False
    if reference.strip() == change.key.strip():
        return True
    if is_aws_managed_alias(reference) and change.aws_managed:
        return True
    return current.arn is not None and current.arn == key.arn


def _grants(change: Change, key: Key) -> tuple[str, ...]:
    """What producers and consumers of the stream must be granted on a customer key."""
    if change.aws_managed:
        return ()
    stream = change.finding.stream.arn
    on = key.arn or change.key
    context = f"with the encryption context aws:kinesis:arn = {stream}"
    return (f"producers (PutRecord, PutRecords) need kms:GenerateDataKey on {on}, {context}",
            f"consumers (GetRecords, SubscribeToShard) need kms:Decrypt on {on}, {context}")


def _apply_all(entries: list[Entry], findings: Sequence[Finding], options: RemediateOptions, live: LiveAccounts,
               accounts: Mapping[str, Account]) -> list[Entry]:
    """Every planned entry changed, in parallel; the others as they are."""
    clock = Clock(options.now, options.live.clock, options.live.sleep, live.deadline.remaining)

    def change(pair: tuple[Entry, Finding]) -> Entry:
        planned, finding = pair
        if planned.action is not Action.PLANNED:
            return planned
        stream = finding.stream
        assert stream.account is not None and isinstance(stream.region, str) and stream.name is not None
        target = Target(accounts[stream.account], stream.region)
        accepted = frozenset(i for i in (planned.key, planned.key_arn, _key_id(planned.key_arn)) if i)
        assert planned.key is not None
        done = start_encryption(target, stream.name, planned.arn, planned.key, accepted, live.limits, clock)
        return replace(planned, action=done.action, why=done.why, settled=done.action is Action.APPLIED,
                       after=done.after, timing=done.timing, resolve=done.resolve,
                       retention_hours=done.retention_hours or planned.retention_hours)

    with ThreadPoolExecutor(max_workers=max(1, options.live.max_workers)) as pool:
        return list(pool.map(change, zip(entries, findings, strict=True)))


def _key_id(arn: str | None) -> str | None:
    """The key id at the end of a key ARN (Kinesis may answer with it)."""
    return arn.rpartition("/")[2] if arn and ":key/" in arn else None
