"""``sseguard aws``: judge every Kinesis stream of live accounts, with the KMS key behind it."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from sseguard.cli.common import Subcommands, UsageError, add_report_options, emit_report
from sseguard.cli.live import add_live_options, live_options
from sseguard.options import ScanOptions
from sseguard.report import Report
from sseguard.scan import judge

_EPILOG = """\
credentials: whatever boto3 finds (environment, --profile, SSO, instance or container role).
IAM actions used: kinesis:ListStreams, kinesis:DescribeStreamSummary, kms:ListAliases, kms:DescribeKey,
kms:GetKeyPolicy, kms:GetKeyRotationStatus, kms:ListGrants, sts:GetCallerIdentity; with --region all
ec2:DescribeRegions; with --role-arn/--org-role sts:AssumeRole; with --org-role organizations:ListAccounts. A call
that is refused, or whose answer cannot be read (cut short, not JSON, a field missing or of the wrong type), makes
the stream (or region) unknown (KSSE021), never a pass or a fail; a region whose listing cannot be read whole is
unknown, never listed in part. Only kms:GetKeyRotationStatus and kms:ListGrants leave the stream its verdict when
refused: the key check that needs them (KSSE015, KSSE016) is named as not run, with the action to grant.
time: --timeout bounds the whole scan (default 300 s). Past it no call is made and every stream or region not
read is unknown (KSSE021, "not read before the --timeout deadline"); raise it for large organisations. Each
attempt of a call waits at most 5 s to connect and 20 s for an answer, and a call that timed out twice is not
tried again.
--config-query: config:SelectResourceConfig in each account and region instead of kinesis:ListStreams and
kinesis:DescribeStreamSummary (Config's last recorded item of each stream; a region whose query fails is unknown);
the JSON report's calls_saved_by_config_query counts the Kinesis calls not made."""


def register(subparsers: Subcommands) -> None:
    """Add the ``aws`` command to the main parser's subcommands."""
    # "resolve": the shared report options define a single --region; here it is repeatable and replaces that one.
    aws = subparsers.add_parser(
        "aws", help="scan live AWS accounts (streams and their KMS keys)", conflict_handler="resolve",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_report_options(aws)
    add_live_options(aws)
    aws.add_argument("--config-query", action="store_true",
                     help="take the streams from AWS Config's advanced query (config:SelectResourceConfig) instead "
                          "of kinesis:ListStreams and DescribeStreamSummary; only the keys are read from KMS")
    aws.set_defaults(func=_cmd_aws)


def _cmd_aws(args: argparse.Namespace) -> int:
    from sseguard.sources.aws import AwsSetupError, scan_aws

    options = replace(live_options(args), config_query=args.config_query)
    try:
        scan = scan_aws(options)
    except AwsSetupError as err:
        raise UsageError(str(err)) from None
    findings = judge(scan.result.streams, ScanOptions(strict_key_policy=args.strict_key_policy))
    report = Report(findings, scan.result.inputs, scan.result.errors, extra=dict(scan.api))
    saved = scan.api.get("calls_saved_by_config_query")
    if saved is not None:
        sys.stderr.write(f"sseguard: note: --config-query: the streams came from AWS Config; calls saved: "
                         f"{saved['kinesis:DescribeStreamSummary']} kinesis:DescribeStreamSummary and "
                         f"{saved['kinesis:ListStreams']} kinesis:ListStreams\n")
    return emit_report(report, args)
