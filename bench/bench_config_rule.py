"""Cold start and peak memory of the Config rule's Lambda handler, against moto's standalone server.

Builds the zip with ``sseguard config-rule package``, unpacks it as Lambda does, and for each run starts a fresh
interpreter with only the zip's files and the installed boto3 on its path (``-B``: no bytecode cache for the zip's
modules, as on Lambda, whose task folder is read-only). It times:

- the process: interpreter start-up to exit, as a Lambda cold start pays it;
- the import of ``sseguard.integrations.config_rule`` (boto3 included);
- the first invocation: a change notification of a stream with a customer key (DescribeKey, GetKeyPolicy,
  GetKeyRotationStatus, ListGrants, PutEvaluations in test mode), and a periodic run over ``--streams`` streams;

and reads the peak resident memory (``ru_maxrss``) against Lambda's 128 MB budget.

Usage: python bench/bench_config_rule.py [--runs 5] [--streams 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from bench_aws import moto_server

from config_events import change, configuration_item, scheduled
from sseguard.integrations.lambda_zip import build

# Runs in the fresh interpreter: times the import and the first invocation, then the peak memory.
_COLD = """
import json, resource, sys, time
start = time.perf_counter()
import sseguard.integrations.config_rule as rule
imported = time.perf_counter()
sent = rule.handler(json.loads(sys.argv[1]), None)
done = time.perf_counter()
print(json.dumps({"import_ms": (imported - start) * 1000, "invoke_ms": (done - imported) * 1000,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "sent": len(sent)}))
"""
_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


def seed(url: str, streams: int) -> str:
    """A customer key with rotation on, and ``streams`` streams: every other one encrypted with it."""
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing")
    kms, kinesis = make("kms"), make("kinesis")
    key: str = kms.create_key()["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    for i in range(streams):
        kinesis.create_stream(StreamName=f"bench-{i:04d}", ShardCount=1)
        if i % 2 == 0:
            kinesis.start_stream_encryption(StreamName=f"bench-{i:04d}", EncryptionType="KMS", KeyId=key)
    return key


def cold_run(task: Path, url: str, event: dict[str, Any]) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(_ENV, PYTHONPATH=str(task), AWS_ENDPOINT_URL=url)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-B", "-c", _COLD, json.dumps(event)], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    measured: dict[str, float] = json.loads(done.stdout)
    measured["process_ms"] = (time.perf_counter() - began) * 1000
    return measured


def summary(name: str, runs: list[dict[str, float]]) -> None:
    print(f"{name} ({runs[0]['sent']:.0f} evaluations sent, {len(runs)} runs: best / median)")
    for field, unit in (("process_ms", "ms"), ("import_ms", "ms"), ("invoke_ms", "ms"), ("peak_mb", "MB")):
        values = [r[field] for r in runs]
        print(f"  {field:<11} {min(values):8.1f} / {statistics.median(values):8.1f} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--streams", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, moto_server() as url:
        package = build(Path(tmp) / "sseguard-config-rule.zip")
        task = Path(tmp) / "task"
        with zipfile.ZipFile(package.path) as archive:
            archive.extractall(task)
        print(f"zip: {package.size:,} bytes, {len(package.entries)} modules; "
              f"bench process peak before runs {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        key = seed(url, args.streams)
        item = configuration_item("bench-0000", {"EncryptionType": "KMS", "KeyId": key})
        summary("change notification", [cold_run(task, url, change(item)) for _ in range(args.runs)])
        summary(f"periodic run over {args.streams} streams",
                [cold_run(task, url, scheduled()) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
