"""``sseguard config-rule package``: the Lambda zip holds the handler's modules only, is the same to the byte on
every build, and runs from its own contents (boto3 from outside it, as the Lambda runtime gives it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from aws_server import MotoAws, clean_env, run_cli
from config_events import change, configuration_item

HANDLER_MODULES = [
    "sseguard/__init__.py", "sseguard/control/__init__.py", "sseguard/control/codes.py",
    "sseguard/control/decrypt_access.py", "sseguard/control/evaluate.py", "sseguard/integrations/__init__.py",
    "sseguard/integrations/config_event.py", "sseguard/integrations/config_item.py",
    "sseguard/integrations/config_rule.py", "sseguard/integrations/connect.py",
    "sseguard/integrations/evaluations.py", "sseguard/integrations/judge.py",
    "sseguard/integrations/rule_parameters.py", "sseguard/keypolicy.py", "sseguard/kms.py", "sseguard/model.py",
    "sseguard/sources/__init__.py", "sseguard/sources/aws/__init__.py", "sseguard/sources/aws/adapter.py",
    "sseguard/sources/aws/answers.py", "sseguard/sources/aws/collect.py", "sseguard/sources/aws/config_query.py",
    "sseguard/sources/aws/deadline.py",
    "sseguard/sources/aws/errors.py", "sseguard/sources/aws/keys.py", "sseguard/sources/aws/progress.py",
    "sseguard/sources/aws/ratelimit.py", "sseguard/sources/aws/scanner.py", "sseguard/sources/aws/session.py",
]


def test_package_is_reproducible_and_holds_only_the_handlers_modules(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    first, second = tmp_path / "a" / "rule.zip", tmp_path / "b" / "rule.zip"
    for out in (first, second):
        out.parent.mkdir()
        done = run_cli(["config-rule", "package", "-o", str(out)], env)
        assert done.returncode == 0, done.stderr
        assert done.stdout == (f"wrote {out} ({out.stat().st_size:,} bytes, 29 modules); Lambda handler: "
                               "sseguard.integrations.config_rule.handler, runtime python3.11 or later\n")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == HANDLER_MODULES
    assert {(i.date_time, i.external_attr >> 16, i.create_system, i.compress_type) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), 0o100644, 3, zipfile.ZIP_DEFLATED)}


def test_package_refuses_an_output_in_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "rule.zip"
    done = run_cli(["config-rule", "package", "-o", str(missing)], clean_env(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"sseguard: error: --output {missing}: not a file in an existing folder\n"


def test_the_zip_runs_on_its_own_contents(aws: MotoAws, tmp_path: Path) -> None:
    """Unpacked as Lambda unpacks it, the handler is imported from the zip's files and answers a change."""
    out = tmp_path / "rule.zip"
    assert run_cli(["config-rule", "package", "-o", str(out)], clean_env(tmp_path)).returncode == 0
    task = tmp_path / "task"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(task)
    event = change(configuration_item("plain", None))
    code = ("import json, sys; import sseguard, sseguard.integrations.config_rule as r; "
            "print(json.dumps([sseguard.__file__, r.handler(json.loads(sys.argv[1]), None)]))")
    env = {**clean_env(tmp_path), "PYTHONPATH": str(task), "AWS_ENDPOINT_URL": aws.url}
    done = subprocess.run([sys.executable, "-B", "-c", code, json.dumps(event)], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded_from, sent = json.loads(done.stdout)
    assert loaded_from == os.path.join(task, "sseguard", "__init__.py")
    assert [(e["ComplianceResourceId"], e["ComplianceType"]) for e in sent] == [("plain", "NON_COMPLIANT")]
    assert [c.params["Evaluations"][0]["ComplianceResourceId"] for c in aws.behaviour.calls()
            if c.operation.endswith(":PutEvaluations")] == ["plain"]
