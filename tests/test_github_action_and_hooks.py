"""The CI and commit-time integrations (issue 14): the GitHub composite action (its run step run as a script), the
SARIF rules GitHub's ingestion applies (one test per rule), and the pre-commit hook run for real with
``pre-commit try-repo`` on this repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import sarif_rules
from helpers import REPO, run_cli, write

EXAMPLES = REPO / "examples"
SCRIPT = REPO / "scripts" / "action-scan.sh"


def _action_run(where: Path, tmp_path: Path, **inputs: str) -> tuple[dict[str, str], str]:
    """Run the action's scan step as GitHub runs it: inputs as SSEGUARD_* variables, GITHUB_OUTPUT and
    GITHUB_STEP_SUMMARY as files. The step's outputs, and the job summary."""
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.write_text("")
    summary.write_text("earlier step\n")
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           **{f"SSEGUARD_{k.upper()}": v for k, v in inputs.items()}}
    done = subprocess.run(["bash", str(SCRIPT)], cwd=where, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr  # the step itself passes; a later step fails the job after the upload
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return outputs, summary.read_text()


def test_the_action_is_composite_and_runs_the_tested_script() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert set(action["inputs"]) == {"paths", "fail-on", "config", "category", "sarif-file", "upload-sarif",
                                     "python-version"}
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    assert steps[0]["uses"].startswith("actions/setup-python@")
    scan = next(s for s in steps if s.get("id") == "scan")
    assert scan["run"] == 'bash "${{ github.action_path }}/scripts/action-scan.sh"'
    assert scan["env"] == {"SSEGUARD_PATHS": "${{ inputs.paths }}", "SSEGUARD_FAIL_ON": "${{ inputs.fail-on }}",
                           "SSEGUARD_CONFIG": "${{ inputs.config }}", "SSEGUARD_CATEGORY": "${{ inputs.category }}",
                           "SSEGUARD_SARIF": "${{ inputs.sarif-file }}"}
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"] == {"sarif_file": "${{ inputs.sarif-file }}", "category": "${{ inputs.category }}"}
    assert upload["if"].startswith("always()")
    assert steps[-1]["run"] == 'exit "${{ steps.scan.outputs.exit-code }}"'


def test_the_action_step_writes_sarif_with_the_category_and_the_job_summary(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "repo")
    where = tmp_path / "repo"
    outputs, summary = _action_run(where, tmp_path, paths="terraform cloudformation", category="infra/kinesis",
                                   sarif="out/sseguard.sarif")
    assert outputs == {"exit-code": "1"}
    assert summary.startswith("earlier step\n<!-- sseguard-report -->\n## sseguard: Kinesis stream encryption")
    log = json.loads((where / "out" / "sseguard.sarif").read_text())
    sarif_rules.check(log)
    assert log["runs"][0]["automationDetails"] == {"id": "infra/kinesis/"}
    # fail-on and the settings file reach the scan
    write(where, {"ci.yaml": "soft_fail: true\n"})
    assert _action_run(where, tmp_path, config="ci.yaml")[0] == {"exit-code": "0"}
    assert _action_run(where, tmp_path, **{"fail_on": "advisory"})[0] == {"exit-code": "1"}


# --- GitHub's SARIF ingestion rules, one by one -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_log(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    where = tmp_path_factory.mktemp("sarif") / "repo"
    shutil.copytree(EXAMPLES, where)
    done = run_cli("scan", ".", "--format", "sarif", "--no-history", "--sarif-category", "kinesis", cwd=where)
    log: dict[str, Any] = json.loads(done.stdout)
    return log


def test_sarif_has_one_run(sarif_log: dict[str, Any]) -> None:
    assert len(sarif_log["runs"]) == 1  # codeql-action#3051: several runs of one category are refused


def test_sarif_automation_details_carry_the_category(sarif_log: dict[str, Any]) -> None:
    assert sarif_log["runs"][0]["automationDetails"] == {"id": "kinesis/"}


def test_sarif_file_uris_are_relative_to_srcroot(sarif_log: dict[str, Any]) -> None:
    run = sarif_log["runs"][0]
    assert set(run["originalUriBaseIds"]) == {"%SRCROOT%"}
    for result in run["results"]:
        for location in result["locations"]:
            artifact = location["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%"
            assert not artifact["uri"].startswith(("/", "file:")) and "\\" not in artifact["uri"]


def test_sarif_rules_have_help_and_a_security_severity(sarif_log: dict[str, Any]) -> None:
    for rule in sarif_log["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["help"]["text"] and rule["help"]["markdown"]
        if rule["defaultConfiguration"]["level"] == "error":
            assert 7.0 <= float(rule["properties"]["security-severity"]) <= 10.0


def test_sarif_fingerprints_are_stable_when_lines_move(tmp_path: Path) -> None:
    text = 'resource "aws_kinesis_stream" "s" {\n  name = "s"\n}\n'
    root = write(tmp_path, {"main.tf": text})

    def prints() -> list[tuple[int, str]]:
        done = run_cli("scan", ".", "--format", "sarif", "--no-history", cwd=root)
        results = json.loads(done.stdout)["runs"][0]["results"]
        return [(r["locations"][0]["physicalLocation"]["region"]["startLine"],
                 r["partialFingerprints"]["sseguardFinding/v1"]) for r in results]

    before = prints()
    (root / "main.tf").write_text("# a comment moves the stream down\n\n" + text)
    after = prints()
    assert [line for line, _ in before] == [1] and [line for line, _ in after] == [3]
    assert [fp for _, fp in before] == [fp for _, fp in after]


# --- pre-commit --------------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_the_pre_commit_hook_runs_for_real(tmp_path: Path) -> None:
    """``pre-commit try-repo`` installs this repository's hook in its own environment (pip, from PyPI) and runs it
    on a throwaway repository: a changed .tf file is scanned with its module folder (its tfvars give the variable
    a value), a workflow YAML is left out, a template is scanned as a file."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = write(tmp_path / "work", {
        "infra/main.tf": 'variable "enc" {}\n\nresource "aws_kinesis_stream" "s" {\n  name            = "s"\n'
                         '  encryption_type = var.enc\n  kms_key_id      = "alias/aws/kinesis"\n}\n',
        "infra/terraform.tfvars": 'enc = "NONE"\n',
        ".github/workflows/ci.yml": "on: push\njobs: {}\n",
        "stack.yaml": "Resources:\n  Clean:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      StreamEncryption:\n"
                      "        EncryptionType: KMS\n        KeyId: alias/aws/kinesis\n",
    })
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")

    def hook(*files: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "sseguard", "--verbose", "--files", *files]
        return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=900, check=False)

    done = hook("infra/main.tf", ".github/workflows/ci.yml", "stack.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "  FAIL       KSSE002 aws_kinesis_stream.s:3" in done.stdout
    assert "2 streams: 1 pass, 1 fail, 0 unknown, 0 suppressed" in done.stdout
    (repo / "infra" / "terraform.tfvars").write_text('enc = "KMS"\n')
    done = hook("infra/terraform.tfvars", ".github/workflows/ci.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 stream: 1 pass, 0 fail, 0 unknown, 0 suppressed" in done.stdout
    done = hook(".github/workflows/ci.yml")
    assert done.returncode == 0, done.stdout + done.stderr
