"""``sseguard aws``: judge every Kinesis stream of live accounts, with the KMS key behind it."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from sseguard.cli.common import Subcommands, UsageError, add_report_options, emit_report
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
tried again."""


def register(subparsers: Subcommands) -> None:
    """Add the ``aws`` command to the main parser's subcommands."""
    # "resolve": the shared report options define a single --region; here it is repeatable and replaces that one.
    aws = subparsers.add_parser(
        "aws", help="scan live AWS accounts (streams and their KMS keys)", conflict_handler="resolve",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_report_options(aws)
    aws.add_argument("--region", action="append", default=[], metavar="REGION",
                     help="a region to scan (repeatable), or 'all' for every region enabled in each account; "
                          "default: $AWS_REGION, else the session's ($AWS_DEFAULT_REGION, the profile's)")
    aws.add_argument("--profile", help="the AWS profile to use (default: boto3's usual lookup)")
    aws.add_argument("--role-arn", action="append", default=[], metavar="ARN",
                     help="assume this role and scan its account (repeatable: one role per account)")
    aws.add_argument("--org-role", metavar="NAME",
                     help="scan every active account of the organisation by assuming role NAME in each")
    aws.add_argument("--endpoint-url", metavar="URL", help="send every AWS call to this endpoint (an emulator, a "
                                                             "VPC endpoint)")
    aws.add_argument("--max-workers", type=int, default=8, metavar="N",
                     help="account-regions read at once (default 8)")
    aws.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                     help="seconds for the whole scan; what was not read by then is unknown (default 300)")
    aws.set_defaults(func=_cmd_aws)


def _has_host(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError:  # "http://[bad" (an IPv6 host not closed), a port that is not a number
        return False
    return bool(parts.hostname)


def _cmd_aws(args: argparse.Namespace) -> int:
    # boto3 takes a third of a second to import: only the aws command pays for it.
    from sseguard.sources.aws import ALL_REGIONS, AwsScanOptions, AwsSetupError, is_region_name, scan_aws

    regions = tuple(r.strip() for r in args.region)
    for region in regions:
        if region != ALL_REGIONS and not is_region_name(region):
            raise UsageError(f"--region {region!r}: not a region name (e.g. eu-west-1) or 'all'")
    if not args.timeout > 0:  # also refuses nan
        raise UsageError("--timeout must be a number of seconds above 0")
    if args.endpoint_url is not None and not args.endpoint_url.startswith(("http://", "https://")):
        raise UsageError(f"--endpoint-url {args.endpoint_url!r}: give a URL starting with http:// or https://")
    if args.endpoint_url is not None and not _has_host(args.endpoint_url):
        raise UsageError(f"--endpoint-url {args.endpoint_url!r}: not a URL (it needs a host, and a port that is a "
                         "number)")
    if args.max_workers < 1:
        raise UsageError("--max-workers must be at least 1")
    options = AwsScanOptions(
        profile=args.profile,
        regions=regions,
        role_arns=tuple(args.role_arn),
        org_role=args.org_role,
        endpoint_url=args.endpoint_url,
        max_workers=args.max_workers,
        progress=sys.stderr,
        timeout=args.timeout,
        warn=lambda text: print(f"sseguard: warning: {text}", file=sys.stderr),
    )
    try:
        scan = scan_aws(options)
    except AwsSetupError as err:
        raise UsageError(str(err)) from None
    findings = judge(scan.result.streams, ScanOptions(strict_key_policy=args.strict_key_policy))
    report = Report(findings, scan.result.inputs, scan.result.errors, extra=dict(scan.api))
    return emit_report(report, args)
