"""Write broken inputs of every file kind sseguard reads, for ``bench/bench_broken.py``.

usage: python bench/gen_broken.py KIND FOLDER MEGABYTES   (KIND: one of the names below; the file is named by kind)

Each file is about MEGABYTES in size, declares many streams, and is broken by one byte in its middle, so the scan
takes the recovery path: the read fails and the streams are found in the raw text. Deterministic: the same kind and
size give the same file. The kinds:

- ``cfn-json``: a minified CloudFormation JSON template on one line; half the streams have ``Type`` as their first
  key, half as their last (whose logical ids the raw text cannot give), between S3 buckets; a ``:`` made ``;``.
- ``cfn-yaml``: a YAML template whose resources are written in flow style, fifty to a line (long lines), ``Type``
  first or last as above; one ``}`` made ``]``.
- ``plan``: ``terraform show -json tfplan`` output on one line (``bench/gen_plan.py``); a ``,`` made ``;``.
- ``state``: a raw ``terraform.tfstate`` (version 4, indented as Terraform writes it); a ``,`` made ``;``.
- ``state-utf8``: the same state with the byte ``0xff`` (not UTF-8) in place of a letter.
- ``state-long-key``: ``terraform show -json`` of a state whose one stream sits in a module instance keyed by a
  string as long as a third of the file; a ``:`` made ``;``.
- ``describe``: a JSON array of ``describe-stream-summary`` outputs; a ``,`` made ``;``.
- ``terraform``: one ``main.tf`` of streams, keys and buckets; one closing brace left out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_plan import generate as generate_plan  # noqa: E402  (a sibling script, not a package)

ACCOUNT = "123456789012"
REGION = "us-east-1"
MB = 1 << 20


def _fill(parts: Callable[[int], str], size: int) -> Iterator[str]:
    """``parts(0)``, ``parts(1)``, ... until about ``size`` characters are given."""
    written, i = 0, 0
    while written < size:
        part = parts(i)
        written += len(part)
        i += 1
        yield part


def _break(text: str, old: str, new: str) -> str:
    """The text with the first ``old`` at or after its middle replaced by ``new`` (one byte)."""
    at = text.find(old, len(text) // 2)
    if at < 0:
        raise SystemExit(f"nothing to break: no {old!r} in the second half")
    return text[:at] + new + text[at + len(old):]


def _cfn_resource(i: int) -> str:
    props = {"ShardCount": 1 + i % 4, "RetentionPeriodHours": 24,
             "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}}
    bucket = {"BucketName": f"bucket-{i}", "Tags": [{"Key": "Team", "Value": "data"}, {"Key": "N", "Value": str(i)}]}
    stream_first = {"Type": "AWS::Kinesis::Stream", "Properties": props}
    stream_last = {"Properties": props, "Type": "AWS::Kinesis::Stream"}
    kind = i % 4
    if kind == 0:
        return f'"Stream{i}":' + json.dumps(stream_first, separators=(",", ":"))
    if kind == 2:
        return f'"Late{i}":' + json.dumps(stream_last, separators=(",", ":"))
    return f'"Bucket{i}":' + json.dumps({"Type": "AWS::S3::Bucket", "Properties": bucket}, separators=(",", ":"))


def cfn_json(size: int) -> str:
    body = ",".join(_fill(_cfn_resource, size))
    return _break('{"AWSTemplateFormatVersion":"2010-09-09","Resources":{' + body + "}}\n", '":{"', '";{"')


def _yaml_line(i: int) -> str:
    per_line = 50
    items = []
    for j in range(i * per_line, (i + 1) * per_line):
        props = "Properties: {ShardCount: 1, StreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}}"
        if j % 4 == 0:
            items.append(f"Stream{j}: {{Type: AWS::Kinesis::Stream, {props}}}")
        elif j % 4 == 2:
            items.append(f"Late{j}: {{{props}, Type: AWS::Kinesis::Stream}}")
        else:
            items.append(f"Bucket{j}: {{Type: AWS::S3::Bucket, Properties: {{BucketName: bucket-{j}}}}}")
    return "  " + ", ".join(items) + ",\n"


def cfn_yaml(size: int) -> str:
    body = "".join(_fill(_yaml_line, size)).rstrip(",\n")
    return _break("AWSTemplateFormatVersion: '2010-09-09'\nResources: {\n" + body + "\n}\n", "}}, ", "}], ")


def plan(size: int) -> str:
    per_resource = len(json.dumps(generate_plan(200), separators=(",", ":"))) / 200
    text = json.dumps(generate_plan(max(int(size / per_resource), 10)), separators=(",", ":")) + "\n"
    return _break(text, '},"', '};"')


def _state_resource(i: int) -> str:
    module = {"module": f'module.app["{i % 7}"]'} if i % 3 == 0 else {}
    if i % 4 == 0:
        rtype, attributes = "aws_kinesis_stream", {
            "arn": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/stream-{i}", "encryption_type": "KMS",
            "kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{i:032x}", "name": f"stream-{i}", "shard_count": 1,
            "retention_period": 24, "tags": {"Team": "data"}}
    elif i % 4 == 1:
        rtype, attributes = "aws_kms_key", {
            "arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{i - 1:032x}", "key_id": f"{i - 1:032x}", "is_enabled": True,
            "policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                "AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]})}
    else:
        rtype, attributes = "aws_s3_bucket", {"bucket": f"bucket-{i}", "arn": f"arn:aws:s3:::bucket-{i}",
                                              "tags": {"Team": "web", "N": str(i)}, "versioning": [{"enabled": True}]}
    resource = {**module, "mode": "managed", "type": rtype, "name": f"r{i}",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [{"schema_version": 1, "attributes": attributes}]}
    return json.dumps(resource, indent=2).replace("\n", "\n    ")


def _state_text(size: int) -> str:
    resources = ",\n    ".join(_fill(_state_resource, size))
    return ('{\n  "version": 4,\n  "terraform_version": "1.9.8",\n  "serial": 3,\n  "lineage": "bench",\n'
            '  "outputs": {},\n  "resources": [\n    ' + resources + "\n  ],\n  \"check_results\": null\n}\n")


def state(size: int) -> str:
    return _break(_state_text(size), "},\n", "};\n")


def state_long_key(size: int) -> str:
    # One stream of a module called with for_each over a key as long as the file: what a string pattern that
    # backtracks costs (about 140 bytes of regex stack for each byte it reads) shows here whole.
    key = "k" * max(size // 3 - 200, 1)  # written three times
    module = f'module.m["{key}"]'
    state = {"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"child_modules": [
        {"address": module, "resources": [
            {"address": f"{module}.aws_kinesis_stream.s", "mode": "managed", "type": "aws_kinesis_stream", "name": "s",
             "index": key, "values": {"encryption_type": "KMS", "kms_key_id": "alias/aws/kinesis"}}]}]}}}
    return _break(json.dumps(state, indent=1), '"values"', '"values";')


def _describe_item(i: int) -> str:
    return json.dumps({"StreamDescriptionSummary": {
        "StreamName": f"stream-{i}", "StreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/stream-{i}",
        "StreamStatus": "ACTIVE", "StreamModeDetails": {"StreamMode": "PROVISIONED"}, "RetentionPeriodHours": 24,
        "StreamCreationTimestamp": "2024-01-01T00:00:00+00:00", "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
        "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis", "OpenShardCount": 1, "ConsumerCount": 0}}, indent=4)


def describe(size: int) -> str:
    return _break("[\n" + ",\n".join(_fill(_describe_item, size)) + "\n]\n", "},\n", "};\n")


def _terraform_block(i: int) -> str:
    if i % 3 == 0:
        return (f'resource "aws_kinesis_stream" "s{i}" {{\n  name             = "stream-{i}"\n  shard_count      = 1\n'
                f'  encryption_type  = "KMS"\n  kms_key_id       = aws_kms_key.k{i + 1}.arn\n'
                f'  tags = {{\n    Team = "data"\n  }}\n}}\n\n')
    if i % 3 == 1:
        return (f'resource "aws_kms_key" "k{i}" {{\n  description         = "key {i}"\n'
                f'  enable_key_rotation = true\n}}\n\n')
    return f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "bucket-{i}"\n}}\n\n'


def terraform(size: int) -> str:
    return _break("".join(_fill(_terraform_block, size)), "}\n\n", " \n\n")


KINDS: dict[str, tuple[str, Callable[[int], str]]] = {
    # kind -> (file name, generator of about N bytes)
    "cfn-json": ("broken.template.json", cfn_json),
    "cfn-yaml": ("broken.yaml", cfn_yaml),
    "plan": ("plan.json", plan),
    "state": ("terraform.tfstate", state),
    "state-utf8": ("terraform.tfstate", _state_text),
    "state-long-key": ("state.json", state_long_key),
    "describe": ("describe.json", describe),
    "terraform": ("main.tf", terraform),
}


def write(kind: str, folder: Path, megabytes: float) -> Path:
    """Write one broken input of ``kind`` of about ``megabytes`` into ``folder``; its path."""
    name, generator = KINDS[kind]
    path = folder / name
    data = generator(int(megabytes * MB)).encode("utf-8")
    if kind == "state-utf8":
        at = data.index(b'"name"', len(data) // 2) + 1
        data = data[:at] + b"\xff" + data[at + 1:]
    path.write_bytes(data)
    return path


def main() -> None:
    """Write one file as the command line says."""
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS:
        sys.exit(__doc__)
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    path = write(sys.argv[1], out, float(sys.argv[3]))
    print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
