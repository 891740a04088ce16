"""``sseguard evidence collect``: read AWS Config rule results and Security Hub findings about Kinesis streams, and
record each in the history as an observation of its own kind, dated when the service recorded it.

A call that failed is never a result: it is returned in ``Collected.read.failures`` (each names the call and the
IAM action to grant) and nothing of that listing is recorded. A result already in the history (same result, same
time, same word) is not recorded again, so collecting every day adds only what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sseguard.evidence.results import RESULT_KINDS, ExternalResult, stored_key
from sseguard.evidence.store import History, format_time
from sseguard.model import Unknown
from sseguard.sources.aws.answers import Unreadable
from sseguard.sources.aws.collect import enabled_regions
from sseguard.sources.aws.config_results import Read, read_aggregated_rule, read_rule
from sseguard.sources.aws.scanner import ALL_REGIONS, LiveAccounts
from sseguard.sources.aws.securityhub_results import read_findings
from sseguard.sources.aws.session import Account

# The managed rule's name as the console and the conformance packs create it, and sseguard's own rule's name as
# its deploy templates name it.
DEFAULT_RULES = ("kinesis-stream-encrypted", "sseguard-kinesis-stream-encrypted")


@dataclass
class Collected:
    """What a collection read, and how many results it recorded (``recorded``) or found already there."""

    read: Read = field(default_factory=Read)
    recorded: dict[str, int] = field(default_factory=dict)
    already: int = 0


def read_all(live: LiveAccounts, rules: Sequence[str], aggregator: str | None, security_hub: bool) -> Read:
    """Every result the options ask for, from every account and region ``live`` opened."""
    read = Read()
    regions = list(dict.fromkeys(live.options.regions)) or [live.default_region or ""]
    for opened in live.opened:
        if not isinstance(opened, Account):
            read.failures.append(Unreadable(opened.unknown))
            continue
        places = _regions(opened, regions, read)
        if aggregator is not None:
            # The aggregator answers for every account and region it holds, from the one region it lives in.
            for rule in rules:
                read.add(read_aggregated_rule(opened.clients, places[0] if places else "", aggregator, rule))
        else:
            for region in places:
                for rule in rules:
                    read.add(read_rule(opened.clients, opened.account_id, region, rule))
        if security_hub:
            for region in places:
                read.add(read_findings(opened.clients, opened.account_id, region))
    return read


def _regions(account: Account, wanted: list[str], read: Read) -> list[str]:
    if ALL_REGIONS not in wanted:
        return wanted
    found = enabled_regions(account)
    if isinstance(found, Unknown):
        read.failures.append(Unreadable(found))
        return []
    return found


def record(db: Path, results: Sequence[ExternalResult], *, make_folder: bool) -> Collected:
    """Record the results not yet in the history at ``db``, one transaction per kind; ``Collected.read`` is left
    for the caller to fill."""
    done = Collected()
    if not results:
        return done
    with History.open(db, create=True, make_folder=make_folder) as history:
        since = min(format_time(r.at) for r in results)
        stored = {stored_key(row) for kind in RESULT_KINDS for row in history.rows(kind=kind, start=since)}
        fresh: dict[tuple[str, str, str, str], ExternalResult] = {}
        for result in results:
            if result.key() in stored:
                done.already += 1
            else:
                fresh.setdefault(result.key(), result)  # one result read twice in one collection counts once
        for kind in RESULT_KINDS:
            rows = [r.record() for r in fresh.values() if r.kind == kind]
            if rows:
                history.append_observations(kind, sorted(rows, key=lambda row: row[0]))
                done.recorded[kind] = len(rows)
    return done

