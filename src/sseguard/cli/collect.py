"""``sseguard evidence collect``: AWS Config rule results and Security Hub findings about Kinesis streams, recorded
in the history beside sseguard's own verdicts (see ``docs/evidence-collect.md``)."""

from __future__ import annotations

import argparse
import sys

from sseguard.cli.common import EXIT_OK, EXIT_USAGE, Subcommands, UsageError
from sseguard.cli.history import db_path, named_by
from sseguard.cli.live import add_live_options, live_options
from sseguard.report.escape import text_safe
from sseguard.report.words import counted

_EPILOG = """\
Config: GetComplianceDetailsByConfigRule for each --config-rule (default: kinesis-stream-encrypted, the managed
rule, and sseguard-kinesis-stream-encrypted, sseguard's own) in each account and region; with --aggregator,
DescribeAggregateComplianceByConfigRules and GetAggregateComplianceDetailsByConfigRule in the aggregator's region
(the first --region). --security-hub: GetFindings for control Kinesis.1 and for sseguard's own ASFF findings.
Each result is recorded once, dated when Config or Security Hub recorded it (ResultRecordedTime, UpdatedAt), keyed
to the stream ARN as sseguard aws records it; evidence report and bundle set it beside sseguard's verdict.
A call that fails is one line naming it and the IAM action to grant, and nothing of it is recorded.
IAM actions used: sts:GetCallerIdentity (or sts:AssumeRole), config:GetComplianceDetailsByConfigRule; with
--aggregator config:DescribeAggregateComplianceByConfigRules and config:GetAggregateComplianceDetailsByConfigRule;
with --security-hub securityhub:GetFindings; with --region all ec2:DescribeRegions.
exit codes: 0 everything asked for was read (a default rule that does not exist is a note); 2 a call failed, a
named rule does not exist, or the history could not be written (what was read in full is still recorded)."""


def register(actions: Subcommands) -> None:
    """Add ``collect`` to the actions of ``evidence``."""
    p = actions.add_parser("collect", help="record AWS Config rule results and Security Hub findings in the history",
                           epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_live_options(p, "collect from", "seconds for the whole collection; what was not read by then is an error "
                                        "(default 300)")
    p.add_argument("--config-rule", action="append", default=[], metavar="NAME",
                   help="a Config rule to read (repeatable; default: kinesis-stream-encrypted and "
                        "sseguard-kinesis-stream-encrypted)")
    p.add_argument("--aggregator", metavar="NAME", help="read the rules through this Config aggregator (every "
                                                         "account and region it holds)")
    p.add_argument("--security-hub", action="store_true",
                   help="also read Security Hub findings of control Kinesis.1 and sseguard's own")
    p.add_argument("--db", metavar="PATH", help="the history file (default: $SSEGUARD_DB or the user's data folder)")
    p.set_defaults(func=_cmd_collect)


def _err(line: str) -> None:
    sys.stderr.write(text_safe(line) + "\n")


def _cmd_collect(args: argparse.Namespace) -> int:
    from sseguard.evidence.collect import DEFAULT_RULES, read_all, record
    from sseguard.evidence.store import HistoryError
    from sseguard.sources.aws import AwsSetupError
    from sseguard.sources.aws.scanner import open_live

    rules = tuple(dict.fromkeys(r.strip() for r in args.config_rule)) or DEFAULT_RULES
    if any(not r for r in rules):
        raise UsageError("--config-rule must name a rule")
    if args.aggregator is not None and not args.aggregator.strip():
        raise UsageError("--aggregator must name an aggregator")
    options = live_options(args)
    try:
        read = read_all(open_live(options), rules, args.aggregator, args.security_hub)
    except AwsSetupError as err:
        raise UsageError(str(err)) from None
    failed = bool(read.failures)
    for failure in read.failures:
        _err(f"sseguard: error: {failure.unknown.reason}; to resolve: {failure.unknown.resolve}")
    for where in read.absent:
        # The default names are a guess at what the account runs; a rule the user named must be there.
        level = "error" if args.config_rule else "note"
        failed = failed or bool(args.config_rule)
        _err(f"sseguard: {level}: no {where}: nothing collected from it")
    db = db_path(args)
    try:
        done = record(db, read.results, make_folder=named_by(args) is None)
    except HistoryError as err:
        _err(f"sseguard: error: the results were not recorded: {err}")
        return EXIT_USAGE
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(done.recorded.items()))
    line = (f"recorded {counted(sum(done.recorded.values()), 'result')}{f' ({kinds})' if kinds else ''} in {db}; "
            f"{done.already} already recorded")
    if read.other_types:
        line += f"; {counted(read.other_types, 'result')} about other resources than stream ARNs left out"
    sys.stdout.write(text_safe(line) + "\n")
    return EXIT_USAGE if failed else EXIT_OK
