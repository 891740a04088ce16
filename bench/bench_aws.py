"""Benchmark ``sseguard aws`` against a seeded moto server, side by side with Prowler if given.

Starts moto's standalone server (``python -m moto.server``) on a free port, seeds it with ``seed_moto.py``
(60 streams, 3 regions, mixed keys), then times whole command runs, interpreter start-up included:

- ``python -m sseguard aws --endpoint-url URL --region R1 --region R2 --region R3 --format json``
- ``prowler aws --checks kinesis_stream_encrypted_at_rest -f R1 R2 R3`` (with ``AWS_ENDPOINT_URL=URL``), when
  ``--prowler PATH`` is given. Prowler stays out of the project's dependencies: install it into its own venv,
  ``python3 -m venv /tmp/prowler-venv && /tmp/prowler-venv/bin/pip install prowler==5.46.0``.

Prints the times (best and median of ``--runs``), the ratio, and sseguard's API calls per stream beyond the listing.

Usage: python bench/bench_aws.py [--prowler /tmp/prowler-venv/bin/prowler] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_moto import REGIONS, seed

REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's standalone server in its own process, on 127.0.0.1 and a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def environment(tmp: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGIONS[0],
        "AWS_CONFIG_FILE": str(tmp / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true", "SSEGUARD_DB": str(tmp / "history.sqlite"),
        # Prowler has no --endpoint-url; boto3 reads this variable for every client.
        "AWS_ENDPOINT_URL": url,
    })
    return env


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=900)
    return time.perf_counter() - start, done


def run_sseguard(url: str, env: dict[str, str], runs: int) -> tuple[list[float], dict[str, object]]:
    cmd = [sys.executable, "-m", "sseguard", "aws", "--endpoint-url", url, "--format", "json", "--no-history"]
    for region in REGIONS:
        cmd += ["--region", region]
    times: list[float] = []
    report: dict[str, object] = {}
    for _ in range(runs):
        took, done = timed(cmd, env, REPO)
        if done.returncode not in (0, 1):
            raise SystemExit(f"sseguard failed ({done.returncode}): {done.stderr}")
        report = json.loads(done.stdout)
        times.append(took)
    return times, report


def run_prowler(prowler: str, env: dict[str, str], runs: int, tmp: Path) -> tuple[list[float], int]:
    times: list[float] = []
    judged = 0
    for n in range(runs):
        out = tmp / f"prowler-{n}"
        cmd = [prowler, "aws", "--checks", "kinesis_stream_encrypted_at_rest", "-f", *REGIONS,
               "-M", "json-ocsf", "-o", str(out), "-b", "-z"]
        took, done = timed(cmd, env, tmp)
        if done.returncode != 0:
            raise SystemExit(f"prowler failed ({done.returncode}): {done.stderr[-2000:]}")
        judged = sum(len(json.loads(f.read_text(encoding="utf-8") or "[]")) for f in out.rglob("*.ocsf.json"))
        times.append(took)
    return times, judged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prowler", metavar="PATH", help="the prowler executable (its own venv)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmpdir, moto_server() as url:
        tmp = Path(tmpdir)
        seeded = seed(url)
        env = environment(tmp, url)
        times, report = run_sseguard(url, env, args.runs)
        findings = report["findings"]
        assert isinstance(findings, list)
        ops = report["api_operations"]
        assert isinstance(ops, dict)
        streams = len(findings)
        listing = ops.get("kinesis:ListStreams", 0)
        setup = ops.get("sts:GetCallerIdentity", 0)
        beyond = sum(ops.values()) - listing - setup
        keys = ops.get("kms:DescribeKey", 0)
        print(f"seeded: {seeded}")
        print(f"sseguard: {streams} streams judged, summary {report['summary']}")
        print(f"sseguard: best {min(times):.2f} s, median {statistics.median(times):.2f} s over {len(times)} runs")
        print(f"sseguard API calls: {json.dumps(ops, sort_keys=True)}")
        described = ops.get("kinesis:DescribeStreamSummary", 0)
        print(f"sseguard API calls per stream beyond the listing (ListStreams) and sts:GetCallerIdentity: "
              f"{beyond}/{streams} = {beyond / streams:.3f}; DescribeStreamSummary {described / streams:.3f}"
              f" + KMS {(beyond - described) / streams:.3f}"
              f" (keys described: {keys}; 1 + keys/streams = {1 + keys / streams:.3f})")
        if args.prowler:
            p_times, judged = run_prowler(args.prowler, env, args.runs, tmp)
            print(f"prowler: {judged} findings; best {min(p_times):.2f} s, median {statistics.median(p_times):.2f} s")
            print(f"ratio (prowler / sseguard): best {min(p_times) / min(times):.1f}x, "
                  f"median {statistics.median(p_times) / statistics.median(times):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
