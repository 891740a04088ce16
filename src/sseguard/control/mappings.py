"""Cross-references and framework requirements of the control, each with its source (CONTROL.md)."""

from __future__ import annotations

from typing import Any

TOOL_IDS: tuple[dict[str, str], ...] = (
    {"scheme": "Checkov", "id": "CKV_AWS_43", "note": "SSE on"},
    {"scheme": "Checkov", "id": "CKV_AWS_185", "note": "key given"},
    {"scheme": "AWS Config managed rule", "id": "KINESIS_STREAM_ENCRYPTED", "note": "kinesis-stream-encrypted"},
    {"scheme": "AWS Security Hub", "id": "Kinesis.1", "note": "severity MEDIUM"},
    {"scheme": "Powerpipe", "id": "aws_compliance.control.kinesis_stream_server_side_encryption_enabled", "note": ""},
    {"scheme": "Prowler", "id": "kinesis_stream_encrypted_at_rest", "note": "severity high"},
    {"scheme": "KICS", "id": "862fe4bf-3eec-4767-a517-40f378886b88", "note": "Terraform"},
    {"scheme": "KICS", "id": "7f65be75-90ab-4036-8c2a-410aef7bb650", "note": "CloudFormation"},
    {"scheme": "Trivy", "id": "AWS-0064",
     "note": "AVD-AWS-0064, formerly tfsec aws-kinesis-enable-in-transit-encryption"},
    {"scheme": "CloudSploit", "id": "kinesisEncrypted", "note": ""},
    {"scheme": "Control Tower", "id": "CT.KINESIS.PR.1", "note": "proactive, CloudFormation"},
)

# (framework, requirement, sources): sources disagree, so each row keeps where it comes from.
FRAMEWORKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("PCI DSS v4.0", "3.5.1", ("seed", "Prowler")),
    ("PCI DSS v4.0", "3.6", ("seed",)),
    ("PCI DSS v4.0", "3.7", ("seed",)),
    ("PCI DSS v4.0", "8.3.2", ("Powerpipe", "Prowler")),
    ("PCI DSS v3.2.1", "4.1.a", ("Powerpipe",)),
    ("NIST 800-53 rev5", "SC-28", ("Security Hub",)),
    ("NIST 800-53 rev5", "SC-28(1)", ("Security Hub",)),
    ("NIST 800-53 rev5", "SC-13", ("Security Hub",)),
    ("NIST 800-53 rev5", "SC-7(10)", ("Security Hub",)),
    ("NIST 800-53 rev5", "CA-9(1)", ("Security Hub",)),
    ("NIST 800-53 rev5", "CM-3(6)", ("Security Hub",)),
    ("NIST 800-53 rev5", "SI-7(6)", ("Security Hub",)),
    ("NIST CSF 1.1", "PR.DS-1", ("Powerpipe", "Prowler")),
    ("NYDFS", "500.02(a)", ("Powerpipe",)),
    ("NYDFS", "500.15(a)", ("Powerpipe",)),
    ("GxP 21 CFR Part 11", "11.30", ("Powerpipe",)),
    ("GxP EU Annex 11", "7.1", ("Powerpipe",)),
    ("SOC 2", "PI1.4", ("Prowler",)),
    ("ISO/IEC 27001:2022", "A.8.24", ("Prowler",)),
    ("CIS Controls v8.1", "3.11", ("Prowler",)),
    ("CSA CCM 4.0", "CEK-03", ("Prowler",)),
    ("AWS FSBP", "Kinesis.1", ("Security Hub",)),
)


def mappings() -> dict[str, Any]:
    """The mapping block every finding carries: tool ids and framework requirements with their sources."""
    return {
        "tools": [dict(t) for t in TOOL_IDS],
        "frameworks": [
            {"framework": fw, "requirement": req, "sources": list(src)} for fw, req, src in FRAMEWORKS
        ],
    }
