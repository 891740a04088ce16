"""Write a synthetic Terraform plan JSON (``terraform show -json tfplan`` shape, format 1.2) for benchmarks.

usage: python bench/gen_plan.py OUT [N]   (N resources, default 20000; deterministic: the same N gives the same file)

One resource in ten is an ``aws_kinesis_stream`` (five encryption variants: a new key referenced by the
configuration, the AWS-managed alias, omitted, NONE, an existing stream with a key ARN); the rest are KMS keys for
the streams that need one and other common AWS resources (S3 buckets, IAM roles, instances, security groups, Lambda
functions) with attribute sets of a realistic size. Every resource has its ``planned_values``, ``resource_changes``
and ``configuration`` entries; existing ones also their ``prior_state``. Half the resources sit in instances of a
module called with ``for_each``. Written on one line, as Terraform writes it.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
MODULE_INSTANCES = 10
OTHER_TYPES = ("aws_s3_bucket", "aws_iam_role", "aws_instance", "aws_security_group", "aws_lambda_function")


def _tags(rng: random.Random, i: int) -> dict[str, str]:
    return {"Name": f"res-{i}", "Env": rng.choice(["prod", "stage", "dev"]), "Team": rng.choice(["data", "web", "ops"]),
            "CostCenter": str(rng.randint(1000, 9999))}


def _s3(rng: random.Random, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    after = {
        "bucket": f"bucket-{i}", "bucket_prefix": None, "force_destroy": False, "object_lock_enabled": False,
        "tags": _tags(rng, i), "timeouts": None,
    }
    unknown = {k: True for k in ("acceleration_status", "acl", "arn", "bucket_domain_name",
                                 "bucket_regional_domain_name", "cors_rule", "grant", "hosted_zone_id", "id",
                                 "lifecycle_rule", "logging",
                                 "object_lock_configuration", "policy", "region", "replication_configuration",
                                 "request_payer", "server_side_encryption_configuration", "tags_all", "versioning",
                                 "website", "website_domain", "website_endpoint")}
    return after, unknown


def _iam_role(rng: random.Random, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": rng.choice(["lambda.amazonaws.com", "ec2.amazonaws.com"])},
         "Action": "sts:AssumeRole"}]})
    after = {
        "assume_role_policy": policy, "description": f"role {i} for the service", "force_detach_policies": False,
        "max_session_duration": 3600, "name": f"role-{i}", "path": "/service/", "permissions_boundary": None,
        "tags": _tags(rng, i),
    }
    unknown = {"arn": True, "create_date": True, "id": True, "inline_policy": True, "managed_policy_arns": True,
               "name_prefix": True, "tags_all": True, "unique_id": True}
    return after, unknown


def _instance(rng: random.Random, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    after = {
        "ami": f"ami-{rng.getrandbits(64):016x}", "instance_type": rng.choice(["t3.micro", "m5.large", "c6i.xlarge"]),
        "credit_specification": [], "get_password_data": False, "hibernation": None, "launch_template": [],
        "source_dest_check": True, "tags": _tags(rng, i), "timeouts": None, "user_data_replace_on_change": False,
        "volume_tags": None, "user_data": None, "user_data_base64": None,
        "root_block_device": [{"delete_on_termination": True, "encrypted": True, "volume_size": 50,
                               "volume_type": "gp3", "tags": None}],
        "metadata_options": [{"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1,
                              "instance_metadata_tags": "disabled"}],
    }
    unknown = {k: True for k in (
        "arn", "associate_public_ip_address", "availability_zone", "capacity_reservation_specification",
        "cpu_core_count", "cpu_options", "cpu_threads_per_core", "disable_api_stop", "disable_api_termination",
        "ebs_block_device", "ebs_optimized", "enable_primary_ipv6", "enclave_options", "ephemeral_block_device",
        "host_id", "host_resource_group_arn", "iam_instance_profile", "id", "instance_initiated_shutdown_behavior",
        "instance_lifecycle", "instance_market_options", "instance_state", "ipv6_address_count", "ipv6_addresses",
        "key_name", "maintenance_options", "monitoring", "network_interface", "outpost_arn", "password_data",
        "placement_group", "placement_partition_number", "primary_network_interface_id", "private_dns",
        "private_dns_name_options", "private_ip", "public_dns", "public_ip", "secondary_private_ips",
        "security_groups", "spot_instance_request_id", "subnet_id", "tags_all", "tenancy", "vpc_security_group_ids")}
    unknown["root_block_device"] = [{"device_name": True, "iops": True, "kms_key_id": True, "throughput": True,
                                      "volume_id": True}]
    unknown["metadata_options"] = [{}]
    return after, unknown


def _security_group(rng: random.Random, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    def rule(port: int) -> dict[str, Any]:
        return {"cidr_blocks": [f"10.{rng.randint(0, 255)}.0.0/16"], "description": f"port {port}",
                "from_port": port, "to_port": port, "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                "protocol": "tcp", "security_groups": [], "self": False}

    after = {
        "description": f"security group {i}", "name": f"sg-{i}", "revoke_rules_on_delete": False,
        "tags": _tags(rng, i), "timeouts": None,
        "ingress": [rule(p) for p in rng.sample([22, 80, 443, 5432, 6379, 8080, 9092], 3)],
        "egress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0, "to_port": 0,
                    "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "-1", "security_groups": [],
                    "self": False}],
    }
    unknown = {"arn": True, "id": True, "name_prefix": True, "owner_id": True, "tags_all": True, "vpc_id": True,
               "ingress": [{"cidr_blocks": [False], "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                            "security_groups": []}] * 3,
               "egress": [{"cidr_blocks": [False], "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                           "security_groups": []}]}
    return after, unknown


def _lambda(rng: random.Random, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    after = {
        "architectures": ["x86_64"], "code_signing_config_arn": None, "dead_letter_config": [],
        "description": f"function {i}", "environment": [{"variables": {
            "STAGE": rng.choice(["prod", "dev"]), "TABLE": f"table-{i}", "LOG_LEVEL": "info"}}],
        "file_system_config": [], "filename": f"build/fn-{i}.zip", "function_name": f"fn-{i}",
        "handler": "main.handler", "image_config": [], "image_uri": None, "kms_key_arn": None, "layers": None,
        "memory_size": rng.choice([128, 256, 512]), "package_type": "Zip", "publish": False,
        "reserved_concurrent_executions": -1, "runtime": "python3.12", "s3_bucket": None, "s3_key": None,
        "s3_object_version": None, "skip_destroy": False, "source_code_hash": f"{rng.getrandbits(128):032x}",
        "tags": _tags(rng, i), "timeout": 30, "timeouts": None, "vpc_config": [],
    }
    unknown = {k: True for k in ("arn", "code_sha256", "ephemeral_storage", "id", "invoke_arn", "last_modified",
                                 "logging_config", "qualified_arn", "qualified_invoke_arn", "role",
                                 "signing_job_arn", "signing_profile_version_arn", "snap_start", "source_code_size",
                                 "tags_all", "tracing_config", "version")}
    unknown["environment"] = [{"variables": {}}]
    return after, unknown


_OTHERS = {"aws_s3_bucket": _s3, "aws_iam_role": _iam_role, "aws_instance": _instance,
           "aws_security_group": _security_group, "aws_lambda_function": _lambda}


def _expressions(after: dict[str, Any]) -> dict[str, Any]:
    return {k: {"constant_value": v} for k, v in after.items()
            if v is not None and not isinstance(v, list | dict) and k != "timeouts"}


class _Plan:
    def __init__(self) -> None:
        self.planned: dict[str, list[dict[str, Any]]] = {}
        self.changes: list[dict[str, Any]] = []
        self.prior: dict[str, list[dict[str, Any]]] = {}
        self.config_root: list[dict[str, Any]] = []
        self.config_module: dict[str, dict[str, Any]] = {}

    def add(self, module: str, rtype: str, name: str, after: dict[str, Any], unknown: dict[str, Any],
            expressions: dict[str, Any], before: dict[str, Any] | None = None) -> str:
        local = f"{rtype}.{name}"
        address = f"{module}.{local}" if module else local
        entry: dict[str, Any] = {"address": address}
        if module:
            entry["module_address"] = module
        entry.update({"mode": "managed", "type": rtype, "name": name,
                      "provider_name": "registry.terraform.io/hashicorp/aws"})
        actions = ["no-op"] if before is not None else ["create"]
        entry["change"] = {"actions": actions, "before": before, "after": after, "after_unknown": unknown,
                           "before_sensitive": {} if before is not None else False,
                           "after_sensitive": {"tags_all": {}}}
        self.changes.append(entry)
        values = {"address": address, "mode": "managed", "type": rtype, "name": name,
                  "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": after,
                  "sensitive_values": {"tags_all": {}}}
        self.planned.setdefault(module, []).append(values)
        if before is not None:
            self.prior.setdefault(module, []).append({**values, "values": before})
        config = {"address": local, "mode": "managed", "type": rtype, "name": name, "provider_config_key": "aws",
                  "expressions": expressions, "schema_version": 0}
        if module:
            self.config_module.setdefault(local, config)
        else:
            self.config_root.append(config)
        return address

    def document(self) -> dict[str, Any]:
        def module_values(modules: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
            return {"resources": modules.get("", []), "child_modules": [
                {"resources": res, "address": mod} for mod, res in modules.items() if mod]}

        return {
            "format_version": "1.2",
            "terraform_version": "1.11.4",
            "variables": {"region": {"value": REGION}},
            "planned_values": {"root_module": module_values(self.planned)},
            "resource_changes": self.changes,
            "prior_state": {"format_version": "1.0", "terraform_version": "1.11.4",
                            "values": {"root_module": module_values(self.prior)}},
            "configuration": {
                "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                                            "version_constraint": "~> 5.0",
                                            "expressions": {"region": {"references": ["var.region"]}}}},
                "root_module": {
                    "resources": self.config_root,
                    "module_calls": {"app": {
                        "source": "./modules/app",
                        "for_each_expression": {"references": ["local.apps"]},
                        "module": {"resources": list(self.config_module.values())},
                    }},
                    "variables": {"region": {"default": REGION}},
                },
            },
            "timestamp": "2026-01-01T00:00:00Z",
            "applyable": True,
            "complete": True,
            "errored": False,
        }


def _stream(plan: _Plan, rng: random.Random, module: str, i: int) -> None:
    """Add one stream, and its key when it needs one."""
    variant = (i // 10) % 5
    name = f"stream_{i}"
    after: dict[str, Any] = {"encryption_type": "NONE", "enforce_consumer_deletion": False, "kms_key_id": None,
                             "name": f"stream-{i}", "retention_period": 24, "shard_count": rng.randint(1, 8),
                             "shard_level_metrics": None, "tags": _tags(rng, i), "timeouts": None}
    unknown: dict[str, Any] = {"arn": True, "id": True, "stream_mode_details": True, "tags_all": True}
    expressions = {"name": {"constant_value": after["name"]}, "shard_count": {"constant_value": after["shard_count"]}}
    before = None
    if variant == 0:
        key_after = {"bypass_policy_lockout_safety_check": False, "custom_key_store_id": None,
                     "customer_master_key_spec": "SYMMETRIC_DEFAULT", "deletion_window_in_days": 30,
                     "description": f"key for stream {i}", "enable_key_rotation": True, "is_enabled": True,
                     "key_usage": "ENCRYPT_DECRYPT", "tags": None, "timeouts": None, "xks_key_id": None}
        key_unknown = {"arn": True, "id": True, "key_id": True, "multi_region": True, "policy": True,
                       "rotation_period_in_days": True, "tags_all": True}
        plan.add(module, "aws_kms_key", f"key_{i}", key_after, key_unknown, _expressions(key_after))
        after["encryption_type"] = "KMS"
        del after["kms_key_id"]
        unknown["kms_key_id"] = True
        expressions["encryption_type"] = {"constant_value": "KMS"}
        expressions["kms_key_id"] = {"references": [f"aws_kms_key.key_{i}.arn", f"aws_kms_key.key_{i}"]}
    elif variant == 1:
        after.update(encryption_type="KMS", kms_key_id="alias/aws/kinesis")
        expressions["encryption_type"] = {"constant_value": "KMS"}
        expressions["kms_key_id"] = {"constant_value": "alias/aws/kinesis"}
    elif variant == 3:
        expressions["encryption_type"] = {"constant_value": "NONE"}
    elif variant == 4:
        arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/stream-{i}"
        key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{rng.getrandbits(128):032x}"
        after.update(encryption_type="KMS", kms_key_id=key, arn=arn, id=arn,
                     stream_mode_details=[{"stream_mode": "PROVISIONED"}], tags_all=after["tags"])
        unknown = {}
        before = dict(after)
        expressions["encryption_type"] = {"constant_value": "KMS"}
        expressions["kms_key_id"] = {"constant_value": key}
    plan.add(module, "aws_kinesis_stream", name, after, unknown, expressions, before)


def generate(n: int, seed: int = 7) -> dict[str, Any]:
    """A plan of ``n`` resources: ``n // 10`` streams, their keys, and other resources spread between them."""
    rng = random.Random(seed)
    plan = _Plan()
    streams = max(n // 10, 1)
    keys = (streams + 4) // 5  # stream variant 0 brings its own key
    others = max(n - streams - keys, 0)
    made = 0
    for s in range(streams):
        module = "" if s % 2 == 0 else f'module.app["{s % MODULE_INSTANCES}"]'
        _stream(plan, rng, module, s * 10)
        share = others * (s + 1) // streams - others * s // streams
        for j in range(share):
            i = s * 10 + 1 + j
            rtype = OTHER_TYPES[made % len(OTHER_TYPES)]
            after, unknown = _OTHERS[rtype](rng, i)
            plan.add("" if made % 2 == 0 else f'module.app["{made % MODULE_INSTANCES}"]', rtype, f"r_{made}",
                     after, unknown, _expressions(after))
            made += 1
    return plan.document()


def main() -> None:
    """Write the plan to OUT."""
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 20_000
    document = generate(n)
    out.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    streams = sum(1 for c in document["resource_changes"] if c["type"] == "aws_kinesis_stream")
    print(f"{out}: {len(document['resource_changes'])} resources, {streams} streams, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
