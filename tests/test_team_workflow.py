"""What a team adopting sseguard needs on day one (issue 14): the GitLab Code Quality report, exclusions, and
``--soft-fail``. Real trees on disk, the command line as users run it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import REPO, run_cli, scan, write

EXAMPLES = REPO / "examples"
# GitLab's documented Code Quality fields (docs.gitlab.com, "Code Quality report format").
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def _gitlab(where: Path, *args: str) -> tuple[int, list[dict[str, object]]]:
    done = run_cli("scan", *args, "--format", "gitlab", "--no-history", cwd=where)
    return done.returncode, json.loads(done.stdout)


def test_gitlab_code_quality_has_the_documented_shape(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    code, issues = _gitlab(tmp_path / "examples", ".")
    assert code == 1
    assert isinstance(issues, list) and issues
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"].startswith("sseguard/")
        assert isinstance(issue["fingerprint"], str) and len(issue["fingerprint"]) == 64
        assert issue["severity"] in GITLAB_SEVERITIES
        location = issue["location"]
        assert isinstance(location, dict) and isinstance(location["path"], str)
        assert isinstance(location["lines"]["begin"], int) and location["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    first = next(i for i in issues if i["check_name"] == "sseguard/KSSE001")
    assert first == {
        "description": "KSSE001 ClickStream: encryption type is not set; the default is NONE (no encryption)",
        "check_name": "sseguard/KSSE001",
        "fingerprint": first["fingerprint"],
        "severity": "critical",
        "location": {"path": "cloudformation/streams.yaml", "lines": {"begin": 42}},
    }


def test_gitlab_fingerprints_survive_moved_lines_and_skip_suppressed_and_passing(tmp_path: Path) -> None:
    stream = '''resource "aws_kinesis_stream" "plain" {
  name = "plain"
}

resource "aws_kinesis_stream" "accepted" {
  # sseguard:ignore KSSE001 reason="replay buffer" expires=2099-01-01
  name = "accepted"
}

resource "aws_kinesis_stream" "good" {
  name            = "good"
  encryption_type = "KMS"
  kms_key_id      = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}
'''
    root = write(tmp_path, {"main.tf": stream})
    _, before = _gitlab(root, ".")
    (root / "main.tf").write_text("# moved down\n\n" + stream)
    _, after = _gitlab(root, ".")
    assert [(i["check_name"], i["location"]["lines"]["begin"]) for i in before] == [("sseguard/KSSE001", 1)]
    assert [(i["check_name"], i["location"]["lines"]["begin"]) for i in after] == [("sseguard/KSSE001", 3)]
    assert before[0]["fingerprint"] == after[0]["fingerprint"]


def test_gitlab_names_an_input_that_could_not_be_read(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": 'resource "aws_kinesis_stream" "s" {\n  name = \n}\n'})
    code, issues = _gitlab(root, ".")
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("sseguard/KSSE020", "major", {"path": "main.tf", "lines": {"begin": 1}}),
        ("sseguard/input-error", "major", {"path": "main.tf", "lines": {"begin": 2}}),
    ]


VENDORED = {
    "main.tf": 'module "queue" {\n  source = "./vendor/queue"\n}\n',
    "vendor/queue/main.tf": 'resource "aws_kinesis_stream" "q" {\n  name = "q"\n}\n',
    "vendor/other/main.tf": 'resource "aws_kinesis_stream" "other" {\n  name = "other"\n}\n',
    "legacy/old/stack.yaml": "Resources:\n  Old:\n    Type: AWS::Kinesis::Stream\n",
    "legacy/keep.yaml": "Resources:\n  Kept:\n    Type: AWS::Kinesis::Stream\n",
}


def test_exclude_skips_folders_and_files_but_not_a_module_a_root_calls(tmp_path: Path) -> None:
    root = write(tmp_path, VENDORED)
    assert scan(root).addresses() == ["Kept", "Old", "aws_kinesis_stream.other", "module.queue.aws_kinesis_stream.q"]
    run = scan(root, args=["--exclude", "vendor", "--exclude", "legacy/old/**"])
    # module.queue is read through the root's call, as Terraform reads it; vendor/other is no root any more
    assert run.addresses() == ["Kept", "module.queue.aws_kinesis_stream.q"]
    assert scan(root, args=["--exclude", "*.yaml"]).addresses() == [
        "aws_kinesis_stream.other", "module.queue.aws_kinesis_stream.q"]


def test_soft_fail_exits_0_and_still_writes_the_reports(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    where = tmp_path / "examples"
    done = run_cli("scan", ".", "--soft-fail", "--no-history", "--output", "sarif=out.sarif", cwd=where)
    assert done.returncode == 0
    assert b"fail" in done.stdout
    assert json.loads((where / "out.sarif").read_text())["runs"][0]["results"]
    assert run_cli("scan", ".", "--no-history", cwd=where).returncode == 1
    # a command that cannot be honoured is still exit 2
    assert run_cli("scan", "missing/", "--soft-fail", "--no-history", cwd=where).returncode == 2
