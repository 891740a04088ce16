"""Benchmark ``sseguard remediate --apply`` on 60 unencrypted streams in 3 regions of a moto server.

Starts moto's standalone server (``python -m moto.server``) on 127.0.0.1 and a free port. Before each run the
server is reset and seeded again: per region a customer key (symmetric, its policy granting the Kinesis service
principal) behind ``alias/sseguard-bench``, and 20 unencrypted streams (a third on-demand). Then it times the whole
command, interpreter start-up included:

    python -m sseguard remediate --apply --key alias/sseguard-bench --endpoint-url URL --region R1 --region R2
        --region R3 --format json

and checks every stream was applied. Prints the best and median wall time of ``--runs`` runs and the API calls
per stream. moto answers StartStreamEncryption with the stream ACTIVE at once, so the time is sseguard's own work
and the calls, with no wait for AWS (on AWS each stream takes seconds to become ACTIVE again, in parallel).

Usage: python bench/bench_remediate.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_aws import environment, moto_server, timed
from seed_moto import GRANTED_POLICY, REGIONS, _client

REPO = Path(__file__).resolve().parent.parent
STREAMS_PER_REGION = 20
ALIAS = "alias/sseguard-bench"


def seed(url: str) -> int:
    """A fresh server: one customer key a region behind ``ALIAS``, and 20 unencrypted streams a region."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    streams = 0
    for region in REGIONS:
        kms = _client(url, "kms", region)
        key = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(GRANTED_POLICY))
        kms.create_alias(AliasName=ALIAS, TargetKeyId=key["KeyId"])
        kinesis = _client(url, "kinesis", region)
        for n in range(STREAMS_PER_REGION):
            name = f"bench-{region}-{n:02d}"
            if n % 3 == 0:
                kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
            else:
                kinesis.create_stream(StreamName=name, ShardCount=1)
            streams += 1
    return streams


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    cmd = [sys.executable, "-m", "sseguard", "remediate", "--apply", "--key", ALIAS, "--format", "json"]
    times: list[float] = []
    output: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmpdir, moto_server() as url:
        tmp = Path(tmpdir)
        env = environment(tmp, url)
        for region in REGIONS:
            cmd += ["--region", region]
        cmd += ["--endpoint-url", url]
        for n in range(args.runs):
            streams = seed(url)
            env["SSEGUARD_DB"] = str(tmp / f"history-{n}.sqlite")  # each run its own history: no 24-hour limit
            took, done = timed(cmd, env, REPO)
            if done.returncode != 0:
                raise SystemExit(f"sseguard remediate failed ({done.returncode}): {done.stderr[-2000:]}")
            output = json.loads(done.stdout)
            summary = output["summary"]
            assert isinstance(summary, dict)
            if summary["applied"] != streams:
                raise SystemExit(f"not every stream was applied: {summary}")
            times.append(took)
    ops = output["api_operations"]
    assert isinstance(ops, dict)
    total = sum(ops.values())
    print(f"streams: {streams} in {len(REGIONS)} regions, all applied in each run")
    print(f"sseguard remediate --apply: best {min(times):.2f} s, median {statistics.median(times):.2f} s over "
          f"{len(times)} runs")
    print(f"API calls: {json.dumps(ops, sort_keys=True)}")
    print(f"API calls per stream: {total}/{streams} = {total / streams:.3f} (kinesis "
          f"{sum(v for k, v in ops.items() if k.startswith('kinesis:')) / streams:.3f}, kms "
          f"{sum(v for k, v in ops.items() if k.startswith('kms:')) / streams:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
