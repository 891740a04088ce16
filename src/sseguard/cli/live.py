"""What the commands that reach live accounts share (``aws``, ``remediate``): the account, region, profile, role,
endpoint, worker and timeout options, and their check before any call."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sseguard.cli.common import UsageError

if TYPE_CHECKING:
    from sseguard.sources.aws import AwsScanOptions


_SCAN_TIMEOUT = "seconds for the whole scan; what was not read by then is unknown (default 300)"


def add_live_options(p: argparse.ArgumentParser, what: str = "scan", timeout_help: str = _SCAN_TIMEOUT) -> None:
    """``--region`` (repeatable, or all), ``--profile``, ``--role-arn``, ``--org-role``, ``--endpoint-url``,
    ``--max-workers`` and ``--timeout``; ``what`` names the command's work in the help."""
    p.add_argument("--region", action="append", default=[], metavar="REGION",
                   help=f"a region to {what} (repeatable), or 'all' for every region enabled in each account; "
                        "default: $AWS_REGION, else the session's ($AWS_DEFAULT_REGION, the profile's)")
    p.add_argument("--profile", help="the AWS profile to use (default: boto3's usual lookup)")
    p.add_argument("--role-arn", action="append", default=[], metavar="ARN",
                   help=f"assume this role and {what} its account (repeatable: one role per account)")
    p.add_argument("--org-role", metavar="NAME",
                   help=f"{what} every active account of the organisation by assuming role NAME in each")
    p.add_argument("--endpoint-url", metavar="URL", help="send every AWS call to this endpoint (an emulator, a "
                                                           "VPC endpoint)")
    p.add_argument("--max-workers", type=int, default=8, metavar="N",
                   help="account-regions read at once (default 8)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                   help=timeout_help)


def _has_host(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError:  # "http://[bad" (an IPv6 host not closed), a port that is not a number
        return False
    return bool(parts.hostname)


def live_options(args: argparse.Namespace) -> AwsScanOptions:
    """The checked live options of the command line; a mistake is a ``UsageError`` before any call."""
    # boto3 takes a third of a second to import: only the live commands pay for it.
    from sseguard.sources.aws import ALL_REGIONS, AwsScanOptions, is_region_name

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
    return AwsScanOptions(
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
