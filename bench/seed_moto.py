"""Seed a moto server with 60 Kinesis streams in 3 regions, with a mix of keys, for ``bench_aws.py``.

Per region (20 streams): 6 unencrypted; 4 on the AWS-managed alias; 4 on a customer key whose policy grants the
Kinesis service principal, 2 more on that key through an alias; 2 on a customer key whose policy only delegates
to the account root (by key ARN); 1 on a disabled key; 1 on the key of another region (by ARN). Three customer
keys a region, nine in all.

Usage: python bench/seed_moto.py http://127.0.0.1:PORT
"""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
ACCOUNT = "123456789012"  # moto's default account for any test credentials
GRANTED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Kinesis", "Effect": "Allow", "Principal": {"Service": "kinesis.amazonaws.com"},
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"},
    ],
}


def _client(url: str, service: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def seed(url: str) -> dict[str, int]:
    """Create the streams and keys; returns how many of each were made."""
    keys: dict[str, dict[str, Any]] = {}
    for region in REGIONS:
        kms = _client(url, "kms", region)
        granted = kms.create_key(Description="granted")["KeyMetadata"]
        kms.put_key_policy(KeyId=granted["KeyId"], PolicyName="default", Policy=json.dumps(GRANTED_POLICY))
        kms.create_alias(AliasName="alias/app", TargetKeyId=granted["KeyId"])
        root_only = kms.create_key(Description="root delegation only")["KeyMetadata"]
        disabled = kms.create_key(Description="disabled")["KeyMetadata"]
        kms.disable_key(KeyId=disabled["KeyId"])
        keys[region] = {"granted": granted, "root_only": root_only, "disabled": disabled}
    streams = 0
    for i, region in enumerate(REGIONS):
        other = REGIONS[(i + 1) % len(REGIONS)]
        k = keys[region]
        plan: list[str | None] = (
            [None] * 6
            + ["alias/aws/kinesis"] * 4
            + [k["granted"]["KeyId"]] * 4
            + ["alias/app"] * 2
            + [k["root_only"]["Arn"]] * 2
            + [k["disabled"]["KeyId"]]
            + [keys[other]["granted"]["Arn"]]
        )
        kinesis = _client(url, "kinesis", region)
        for n, key in enumerate(plan):
            name = f"bench-{region}-{n:02d}"
            if n % 3 == 0:
                kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
            else:
                kinesis.create_stream(StreamName=name, ShardCount=1)
            if key is not None:
                kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
            streams += 1
    return {"streams": streams, "regions": len(REGIONS), "customer_keys": 3 * len(REGIONS)}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith("http"):
        sys.stderr.write("usage: python bench/seed_moto.py http://127.0.0.1:PORT\n")
        return 2
    print(json.dumps(seed(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
