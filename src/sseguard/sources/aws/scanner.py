"""Scan live accounts: accounts x regions in parallel, streams described within each region's rate, keys resolved
once each, every stream adapted into the model. Judging is the caller's (``control.evaluate``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from sseguard.kms import is_kms
from sseguard.model import Key, ScannedInput, SourceKind, SourceResult, Stream, Unknown
from sseguard.sources.aws.adapter import stream_from_error, to_stream, unreadable_place
from sseguard.sources.aws.collect import DESCRIBE, Described, Target, describe, enabled_regions, list_target
from sseguard.sources.aws.config_query import SELECT, calls_saved, query_target
from sseguard.sources.aws.deadline import Deadline
from sseguard.sources.aws.keys import KeyRef, KeyResolver, place
from sseguard.sources.aws.progress import Progress
from sseguard.sources.aws.ratelimit import KINESIS_TPS, RegionalLimits
from sseguard.sources.aws.session import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    Account,
    AccountFailure,
    ApiCounter,
    AwsSetupError,
    known_region,
    open_accounts,
    open_base_session,
)

ALL_REGIONS = "all"
DEFAULT_TIMEOUT = 300.0  # seconds for a whole scan (--timeout)


@dataclass(frozen=True)
class AwsScanOptions:
    """What ``sseguard aws`` was asked to read.

    ``regions``: region names, or ``("all",)`` for every region enabled in each account; empty means the
    session's region. ``max_workers`` bounds the account-region threads; stream calls use twice as many.
    ``timeout``: seconds for the whole scan; what was not read by then is unknown. ``connect_timeout`` and
    ``read_timeout`` bound each attempt of a call. ``clock`` and ``sleep`` are the deadline's and the rate
    limiter's time (tests pass their own). ``warn`` is told of each region botocore does not know (it is scanned
    all the same).
    """

    profile: str | None = None
    regions: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    org_role: str | None = None
    endpoint_url: str | None = None
    max_workers: int = 8
    tps: dict[str, float] = field(default_factory=lambda: dict(KINESIS_TPS))
    progress: TextIO | None = None
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    warn: Callable[[str], None] | None = None
    # Streams from AWS Config's advanced query (SelectResourceConfig) instead of ListStreams/DescribeStreamSummary.
    config_query: bool = False


@dataclass
class AwsScan:
    """The streams read, in the model, and the API calls it took."""

    result: SourceResult
    api: dict[str, dict[str, int]]


@dataclass
class LiveAccounts:
    """The accounts a live command reaches, and what all of its calls share: the session, the ``--timeout``
    deadline, the per-region rate limits and the count of API calls."""

    options: AwsScanOptions
    default_region: str | None
    opened: list[Account | AccountFailure]
    deadline: Deadline
    counter: ApiCounter
    limits: RegionalLimits
    # The Kinesis calls --config-query saved (set by ``read_streams`` when it asked Config).
    saved: dict[str, int] | None = None

    def accounts(self) -> dict[str, Account]:
        """The accounts entered, by id."""
        return {a.account_id: a for a in self.opened if isinstance(a, Account)}


def open_live(options: AwsScanOptions) -> LiveAccounts:
    """Open the session and enter every account the options name; raises ``AwsSetupError`` when that cannot start
    at all (no credentials, no region, an unknown profile)."""
    deadline = Deadline(options.timeout, options.clock)
    counter = ApiCounter()
    base = open_base_session(options.profile, options.endpoint_url, counter, deadline, options.connect_timeout,
                             options.read_timeout)
    if not options.regions and not base.region:
        raise AwsSetupError("no region: give --region REGION (repeatable, or all), or set AWS_REGION or a "
                            "profile region")
    for region in dict.fromkeys(options.regions):
        if options.warn is not None and region != ALL_REGIONS and not known_region(base.session, region):
            options.warn(f"--region {region} is not a region botocore knows; scanning it anyway")
    opened = open_accounts(base, options.role_arns, options.org_role, options.max_workers)
    limits = RegionalLimits(options.tps, options.clock, options.sleep, deadline)
    return LiveAccounts(options, base.region, opened, deadline, counter, limits)


def scan_aws(options: AwsScanOptions) -> AwsScan:
    """Read every stream the options name; raises ``AwsSetupError`` when the scan cannot start at all."""
    live = open_live(options)
    streams = read_streams(live)
    api: dict[str, dict[str, int]] = live.counter.as_report()
    if live.saved is not None:
        api["calls_saved_by_config_query"] = live.saved
    return AwsScan(streams, api)


def read_streams(live: LiveAccounts) -> SourceResult:
    """Every stream of the accounts and regions ``live`` was opened for, in the model."""
    result = SourceResult()
    progress = Progress(live.options.progress)
    try:
        _scan_accounts(live, result, progress)
    finally:
        progress.close()
    return result


def _scan_accounts(live: LiveAccounts, result: SourceResult, progress: Progress) -> None:
    options, opened = live.options, live.opened
    wanted = list(dict.fromkeys(options.regions)) or [live.default_region or ""]
    accounts = [a for a in opened if isinstance(a, Account)]
    workers = max(1, options.max_workers)
    limits = live.limits
    with ThreadPoolExecutor(max_workers=workers) as place_pool, \
            ThreadPoolExecutor(max_workers=workers * 2) as call_pool:
        for failed in (a for a in opened if isinstance(a, AccountFailure)):
            for region in wanted:
                region_or_none = None if region == ALL_REGIONS else region
                result.streams.append(unreadable_place(failed.account_id, region_or_none, failed.unknown))
        targets = _targets(accounts, wanted, place_pool, result)
        progress.add_places(len(targets))
        result.inputs.extend(ScannedInput(SourceKind.AWS, t.location) for t in targets)
        if options.config_query:
            answers, per_place = _from_config(targets, place_pool, result, progress)
            live.saved = calls_saved(per_place)
        else:
            answers = _from_kinesis(targets, place_pool, call_pool, limits, result, progress)
        resolver = KeyResolver({a.account_id: a for a in accounts}, call_pool)
        streams = _adapt(answers, resolver)
        if options.config_query:
            streams = [_read_from_config(s) for s in streams]
        result.streams.extend(streams)


def _from_kinesis(targets: Sequence[Target], place_pool: ThreadPoolExecutor, call_pool: ThreadPoolExecutor,
                  limits: RegionalLimits, result: SourceResult, progress: Progress) -> list[Described]:
    """ListStreams in each place, then DescribeStreamSummary for each stream, within each region's rate."""
    listed: dict[Future[list[str] | Unknown], Target] = {
        place_pool.submit(list_target, t, limits): t for t in targets
    }
    described: list[Future[Described]] = []
    for done in as_completed(listed):
        target = listed[done]
        names = done.result()
        if isinstance(names, Unknown):
            result.streams.append(unreadable_place(target.account.account_id, target.region, names))
            progress.place_done(0)
            continue
        progress.place_done(len(names))
        for name in names:
            future = call_pool.submit(describe, target, name, limits)
            future.add_done_callback(lambda _: progress.stream_done())
            described.append(future)
    return [f.result() for f in described]


def _from_config(targets: Sequence[Target], place_pool: ThreadPoolExecutor, result: SourceResult,
                 progress: Progress) -> tuple[list[Described], dict[str, int]]:
    """SelectResourceConfig in each place; with the streams found in each place read in full."""
    answers: list[Described] = []
    per_place: dict[str, int] = {}
    for target, found in zip(targets, place_pool.map(query_target, targets), strict=True):
        if isinstance(found, Unknown):
            result.streams.append(unreadable_place(target.account.account_id, target.region, found))
            progress.place_done(0)
            continue
        progress.place_done(len(found))
        for _ in found:
            progress.stream_done()
        per_place[target.location] = len(found)
        answers.extend(found)
    return answers, per_place


def _read_from_config(stream: Stream) -> Stream:
    """The stream's facts name the call they came from: Config's query, not DescribeStreamSummary."""
    facts = dict(stream.facts)
    if DESCRIBE in facts:
        facts[SELECT] = facts.pop(DESCRIBE)
    return replace(stream, facts=facts)


def _targets(accounts: Sequence[Account], wanted: Sequence[str], pool: ThreadPoolExecutor,
             result: SourceResult) -> list[Target]:
    """Every account-region to read; ``all`` asks each account for its enabled regions."""
    regions: dict[str, list[str] | Unknown] = {}
    if ALL_REGIONS in wanted:
        for account, found in zip(accounts, pool.map(enabled_regions, accounts), strict=True):
            regions[account.account_id] = found
    targets: list[Target] = []
    for account in accounts:
        names: list[str] = []
        for region in wanted:
            if region != ALL_REGIONS:
                names.append(region)
                continue
            found = regions[account.account_id]
            if isinstance(found, Unknown):
                result.streams.append(unreadable_place(account.account_id, None, found))
            else:
                names.extend(found)
        targets.extend(Target(account, r) for r in dict.fromkeys(names))
    return targets


def _adapt(answers: Sequence[Described], resolver: KeyResolver) -> list[Stream]:
    refs: dict[int, KeyRef] = {}
    for i, answer in enumerate(answers):
        summary = answer.summary
        if summary is None or not is_kms(str(summary.get("EncryptionType", ""))):
            continue
        reference = summary.get("KeyId")
        if isinstance(reference, str) and reference.strip():
            refs[i] = place(reference, answer.target.account.account_id, answer.target.region)
    resolved = resolver.resolve(refs.values())
    streams: list[Stream] = []
    for i, answer in enumerate(answers):
        if answer.summary is None:
            streams.append(stream_from_error(answer))
            continue
        key: Key | None = None
        facts: dict[str, Any] = {}
        if i in refs:
            found = resolved[refs[i]]
            key, facts = found.key, found.facts
        streams.append(to_stream(answer, key, facts))
    return streams
