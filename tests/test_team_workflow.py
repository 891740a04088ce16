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
    assert code == 2  # the only input could not be read
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


BASELINE_TREE = {
    "streams.tf": '''resource "aws_kinesis_stream" "old_a" {
  name = "old-a"
}

resource "aws_kinesis_stream" "old_b" {
  name            = "old-b"
  encryption_type = "NONE"
}

resource "aws_kinesis_stream" "unsure" {
  name            = "unsure"
  encryption_type = var.enc
}

variable "enc" {}
''',
}


def test_a_baseline_accepts_todays_findings_and_fails_only_new_ones(tmp_path: Path) -> None:
    root = write(tmp_path, BASELINE_TREE)
    first = run_cli("scan", ".", "--no-history", "--write-baseline", ".sseguard-baseline.json", cwd=root)
    assert first.returncode == 1
    assert first.stderr == b"sseguard: wrote 3 finding(s) to the baseline .sseguard-baseline.json\n"
    written = (root / ".sseguard-baseline.json").read_text()
    assert json.loads(written) == {"schema": "sseguard/baseline/v1", "findings": [
        {"file": "streams.tf", "address": "aws_kinesis_stream.old_a", "root": "", "code": "KSSE001"},
        {"file": "streams.tf", "address": "aws_kinesis_stream.old_b", "root": "", "code": "KSSE002"},
        {"file": "streams.tf", "address": "aws_kinesis_stream.unsure", "root": "", "code": "KSSE020"},
    ]}
    run_cli("scan", ".", "--no-history", "--write-baseline", ".sseguard-baseline.json", cwd=root)
    assert (root / ".sseguard-baseline.json").read_text() == written  # stable: no timestamps, sorted

    run = scan(root, args=["--baseline", ".sseguard-baseline.json", "--fail-on", "unknown"])
    assert run.exit_code == 0
    assert [(f["resource"]["address"], f["status"], f["code"], f.get("baselined")) for f in run.findings] == [
        ("aws_kinesis_stream.old_a", "baselined", "KSSE001", {"status": "fail"}),
        ("aws_kinesis_stream.old_b", "baselined", "KSSE002", {"status": "fail"}),
        ("aws_kinesis_stream.unsure", "baselined", "KSSE020", {"status": "unknown"}),
    ]
    assert run.report["summary"] == {"pass": 0, "fail": 0, "unknown": 0, "suppressed": 0, "baselined": 3}
    assert run.report["baseline"] == {"file": ".sseguard-baseline.json", "baselined": 3, "fixed": []}
    text = run_cli("scan", ".", "--no-history", "--baseline", ".sseguard-baseline.json", cwd=root)
    assert text.stdout.decode().splitlines()[-1] == "3 streams: 0 pass, 0 fail, 0 unknown, 0 suppressed, 3 baselined"

    # a new failing stream fails the run; SARIF says which result is new
    (root / "new.tf").write_text('resource "aws_kinesis_stream" "fresh" {\n  name = "fresh"\n}\n')
    sarif = run_cli("scan", ".", "--no-history", "--baseline", ".sseguard-baseline.json", "--format", "sarif",
                    cwd=root)
    assert sarif.returncode == 1
    states = {(r["ruleId"], r["properties"]["resource"]["address"]): r["baselineState"]
              for r in json.loads(sarif.stdout)["runs"][0]["results"]}
    assert states == {("KSSE001", "aws_kinesis_stream.fresh"): "new",
                      ("KSSE001", "aws_kinesis_stream.old_a"): "unchanged",
                      ("KSSE002", "aws_kinesis_stream.old_b"): "unchanged",
                      ("KSSE020", "aws_kinesis_stream.unsure"): "unchanged"}


def test_a_fixed_entry_is_reported_and_dropped_and_a_moved_stream_is_new(tmp_path: Path) -> None:
    root = write(tmp_path, BASELINE_TREE)
    run_cli("scan", ".", "--no-history", "--write-baseline", "b.json", cwd=root)
    text = BASELINE_TREE["streams.tf"]
    fixed = text.replace('  encryption_type = "NONE"',
                         '  encryption_type = "KMS"\n  kms_key_id      = "alias/aws/kinesis"')
    # old_b is fixed; old_a moves to another file, where the baseline does not hold it (see checkov#7647)
    moved, rest = fixed.split("\n\n", 1)
    (root / "streams.tf").write_text(rest)
    (root / "moved.tf").write_text(moved + "\n")
    run = scan(root, args=["--baseline", "b.json"])
    assert run.exit_code == 1
    assert run.verdict("aws_kinesis_stream.old_a")[:2] == ("fail", "KSSE001")
    assert run.report["baseline"]["fixed"] == [
        {"file": "streams.tf", "address": "aws_kinesis_stream.old_a", "root": "", "code": "KSSE001"},
        {"file": "streams.tf", "address": "aws_kinesis_stream.old_b", "root": "", "code": "KSSE002"},
    ]
    out = run_cli("scan", ".", "--no-history", "--baseline", "b.json", "--write-baseline", "b.json", cwd=root)
    assert "fixed since the baseline b.json\n  streams.tf aws_kinesis_stream.old_a KSSE001\n" in out.stdout.decode()
    assert [e["address"] for e in json.loads((root / "b.json").read_text())["findings"]] == [
        "aws_kinesis_stream.old_a", "aws_kinesis_stream.unsure"]
    assert json.loads((root / "b.json").read_text())["findings"][0]["file"] == "moved.tf"


def test_a_baseline_that_is_not_one_is_a_usage_error(tmp_path: Path) -> None:
    root = write(tmp_path, {**BASELINE_TREE, "b.json": '{\n  "schema": "sseguard/baseline/v1",\n  "findings": [\n}\n',
                            "c.json": '{"schema": "other", "findings": []}\n'})
    done = run_cli("scan", ".", "--no-history", "--baseline", "b.json", cwd=root)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr == b"sseguard: error: baseline b.json:4: not JSON (Expecting value)\n"
    done = run_cli("scan", ".", "--no-history", "--baseline", "c.json", cwd=root)
    assert done.stderr == (b"sseguard: error: baseline c.json: not an sseguard baseline (write one with "
                           b"--write-baseline)\n")


def test_the_history_keeps_a_baselined_stream_s_own_status(tmp_path: Path) -> None:
    from sseguard.evidence.store import History

    root = write(tmp_path, BASELINE_TREE)
    run_cli("scan", ".", "--no-history", "--write-baseline", "b.json", cwd=root)
    db = tmp_path / "history.sqlite3"
    assert run_cli("scan", ".", "--db", str(db), "--baseline", "b.json", cwd=root).returncode == 0
    with History.open(db) as history:
        statuses = sorted(row.status or "" for row in history.rows(kind="finding"))
    assert statuses == ["fail", "fail", "unknown"]


SETTINGS_TREE = {
    "infra/main.tf": '''variable "env" {}

resource "aws_kinesis_stream" "events" {
  name            = "events-${var.env}"
  encryption_type = var.env == "prod" ? "KMS" : "NONE"
  kms_key_id      = "alias/aws/kinesis"
}
''',
    "infra/vendor/main.tf": 'resource "aws_kinesis_stream" "vendored" {\n  name = "v"\n}\n',
    ".sseguard.yaml": '''# the team's settings
fail_on: unknown
vars:
  env: prod
exclude:
  - vendor
outputs:
  sarif: reports/sseguard.sarif
''',
}


def test_the_settings_file_is_found_in_a_parent_and_the_command_line_wins(tmp_path: Path) -> None:
    root = write(tmp_path, SETTINGS_TREE)
    (root / ".git").mkdir()  # the repository's top: the search stops here
    (root / "reports").mkdir()
    infra = root / "infra"
    done = run_cli("scan", ".", "--no-history", cwd=infra)
    assert done.returncode == 0, done.stdout
    assert done.stdout.decode().splitlines()[-1] == "1 stream: 1 pass, 0 fail, 0 unknown, 0 suppressed"
    assert (root / "reports" / "sseguard.sarif").is_file()  # paths are relative to the settings file
    # the command line wins over the file; a repeatable option gets both, the command line's last
    done = run_cli("scan", ".", "--no-history", "--var", "env=dev", cwd=infra)
    assert done.returncode == 1
    show = run_cli("config", "show", cwd=infra).stdout.decode().splitlines()
    assert show[0] == "settings of sseguard scan, from ../.sseguard.yaml"
    assert "  fail_on              unknown                        (../.sseguard.yaml:2)" in show
    assert "  vars                 [env=prod]                     (../.sseguard.yaml:3)" in show
    assert "  strict_key_policy    false                          (default)" in show


def test_pyproject_tool_table_and_config_option(tmp_path: Path) -> None:
    root = write(tmp_path, {**{k: v for k, v in SETTINGS_TREE.items() if k != ".sseguard.yaml"},
                            "pyproject.toml": '[project]\nname = "infra"\n\n[tool.sseguard]\nvars = { env = "prod" }\n'
                                              'exclude = ["vendor"]\n',
                            "other.yaml": "vars:\n  env: dev\n"})
    (root / ".git").mkdir()
    assert run_cli("scan", "infra", "--no-history", cwd=root).returncode == 0
    show = run_cli("config", "show", cwd=root).stdout.decode().splitlines()
    assert "  vars                 [env=prod]                     (pyproject.toml:5)" in show
    done = run_cli("scan", "infra", "--no-history", "--config", "other.yaml", cwd=root)
    assert done.returncode == 1  # env=dev, and vendor is no longer excluded
    assert done.stdout.decode().splitlines()[-1] == "2 streams: 0 pass, 2 fail, 0 unknown, 0 suppressed"


def test_an_unknown_setting_or_a_wrong_type_names_the_file_and_line(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": "", "a.yaml": "fail_on: fail\nfail-on: unknown\n",
                            "b.yaml": "exclude: vendor\n", "c.yaml": "strict_key_policy: yes please\n",
                            "d.yaml": "vars: [1, 2\n"})
    cases = {
        "a.yaml": "a.yaml:2: unknown setting 'fail-on'; known: ",
        "b.yaml": "b.yaml:1: exclude must be a list, not 'vendor'",
        "c.yaml": "c.yaml:1: strict_key_policy must be true or false, not 'yes please'",
        "d.yaml": "d.yaml:2: invalid YAML",
    }
    for name, message in cases.items():
        done = run_cli("scan", ".", "--no-history", "--config", name, cwd=root)
        assert done.returncode == 2
        assert done.stderr.decode().startswith(f"sseguard: error: {message}"), done.stderr
    done = run_cli("scan", ".", "--no-history", "--config", "missing.yaml", cwd=root)
    assert (done.returncode, done.stderr) == (2, b"sseguard: error: --config missing.yaml: no such file\n")
