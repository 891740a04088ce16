"""Fuzzing ``sseguard scan`` (issue 9), the quick mode CI runs; ``bench/fuzz.py`` is the long mode.

Every seed (``tests/fuzz/seeds``) is first scanned as it is, to show its canaries are found and fail: the checks
on mutants would prove nothing otherwise. Then ``QUICK_MUTANTS`` mutants of each of the eight input kinds, from the
fixed campaign ``QUICK_CAMPAIGN``, are scanned in one persistent worker; each must pass every check of
``fuzz.runner.check``: no traceback or internal error, exit code 0/1/2, an answer within 20 s, a report that is
valid JSON, no canary that passes, nothing of a file outside the scanned tree in the output. A failure names the
kind, the mutations, the mutant's id (``python bench/fuzz.py --replay ID`` rebuilds and rescans it) and the
reproducer saved under the test's tmp folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from fuzz.kinds import KINDS, Seed, seeds_of
from fuzz.mutate import CANARY
from fuzz.runner import Outcome, Results, Runner, as_is, check, make_mutant, parse_id

QUICK_CAMPAIGN = 2026
QUICK_MUTANTS = 100
ALL_SEEDS = [seed for kind in KINDS for seed in seeds_of(kind)]

# Each seed's canaries as the unmutated seed gives them: (status, code). None passes, whatever happens to it.
EXPECTED_CANARIES: dict[str, dict[str, tuple[str, str]]] = {
    "terraform/platform": {
        "aws_kinesis_stream.canary_absent[0]": ("fail", "KSSE001"),
        "aws_kinesis_stream.canary_absent[1]": ("fail", "KSSE001"),
        "aws_kinesis_stream.canary_conditional": ("fail", "KSSE002"),
        'aws_kinesis_stream.canary_kms_only["blue"]': ("fail", "KSSE003"),
        'aws_kinesis_stream.canary_kms_only["green"]': ("fail", "KSSE003"),
        "aws_kinesis_stream.canary_none": ("fail", "KSSE002"),
        "module.canary_module.aws_kinesis_stream.this": ("fail", "KSSE002"),
    },
    "terraform/single": {
        "aws_kinesis_stream.canary_dynamic[0]": ("fail", "KSSE002"),
        "aws_kinesis_stream.canary_dynamic[1]": ("fail", "KSSE002"),
        "aws_kinesis_stream.canary_plain": ("fail", "KSSE001"),
        "aws_kinesis_stream.canary_template": ("fail", "KSSE002"),
    },
    "tf.json/config": {
        "aws_kinesis_stream.canary_json_absent[0]": ("fail", "KSSE001"),
        "aws_kinesis_stream.canary_json_absent[1]": ("fail", "KSSE001"),
        "aws_kinesis_stream.canary_json_kms_only": ("fail", "KSSE003"),
        "aws_kinesis_stream.canary_json_none": ("fail", "KSSE002"),
        "module.canary_json_module.aws_kinesis_stream.this": ("fail", "KSSE002"),
    },
    "tfvars/env/prod.tfvars": {
        "aws_kinesis_stream.canary_from_vars": ("fail", "KSSE002"),
        'aws_kinesis_stream.configured["canary_kms_only"]': ("fail", "KSSE003"),
        'aws_kinesis_stream.configured["canary_none"]': ("fail", "KSSE002"),
    },
    "tfvars/env/staging.tfvars.json": {
        "aws_kinesis_stream.canary_from_vars": ("fail", "KSSE002"),
        'aws_kinesis_stream.configured["canary_json_kms_only"]': ("fail", "KSSE003"),
        'aws_kinesis_stream.configured["canary_json_none"]': ("fail", "KSSE002"),
    },
    "plan/create.json": {
        'aws_kinesis_stream.canary_kms_only["a"]': ("fail", "KSSE003"),
        'aws_kinesis_stream.canary_kms_only["b"]': ("fail", "KSSE003"),
        "aws_kinesis_stream.canary_none": ("fail", "KSSE002"),
        "aws_kinesis_stream.canary_omitted": ("fail", "KSSE001"),
        "module.canary_mod.aws_kinesis_stream.this[0]": ("fail", "KSSE002"),
    },
    "plan/update.json": {
        "aws_kinesis_stream.canary_downgrade": ("fail", "KSSE002"),
        "aws_kinesis_stream.canary_import": ("fail", "KSSE005"),
    },
    "state/show.json": {
        'aws_kinesis_stream.canary_each["blue"]': ("fail", "KSSE002"),
        'aws_kinesis_stream.canary_each["green"]': ("fail", "KSSE002"),
        "aws_kinesis_stream.canary_none": ("fail", "KSSE002"),
        "aws_kinesis_stream.canary_old_provider": ("unknown", "KSSE020"),
        'module.canary_mod["x"].aws_kinesis_stream.this': ("fail", "KSSE002"),
    },
    "state/terraform.tfstate": {
        'aws_kinesis_stream.canary_each["blue"]': ("fail", "KSSE002"),
        'aws_kinesis_stream.canary_each["green"]': ("fail", "KSSE002"),
        "aws_kinesis_stream.canary_none": ("fail", "KSSE002"),
        "aws_kinesis_stream.canary_old_provider": ("unknown", "KSSE020"),
        'module.canary_mod["x"].aws_kinesis_stream.this': ("fail", "KSSE002"),
    },
    "cloudformation-yaml/nested.yaml": {
        "CanaryIgnoredStream": ("suppressed", "KSSE001"),
        "CanaryPlainStream": ("fail", "KSSE002"),
    },
    "cloudformation-yaml/streams.yaml": {
        "CanaryBareStream": ("fail", "KSSE001"),
        "CanaryConditionalStream": ("fail", "KSSE001"),
        "CanaryFlowStream": ("fail", "KSSE002"),
        "CanaryKmsOnlyStream": ("fail", "KSSE003"),
        "CanaryNoneStream": ("fail", "KSSE002"),
    },
    "cloudformation-json/cdk.template.json": {
        "CanaryOnDemandStream9F8E7D6C": ("fail", "KSSE001"),
        # CDK's unsupported-regions condition cannot be decided without --region: unknown, never a pass
        "CanaryUnencryptedStreamA1B2C3D4": ("unknown", "KSSE020"),
    },
    "cloudformation-json/plain.json": {
        "CanaryKmsWithoutKey": ("fail", "KSSE003"),
        "CanaryNoProperties": ("fail", "KSSE001"),
        "CanaryNone": ("fail", "KSSE002"),
    },
    "describe-stream/compact.json": {"canary-compact": ("fail", "KSSE002")},
    "describe-stream/describe-stream.json": {"canary-full": ("fail", "KSSE002")},
    "describe-stream/summaries.json": {
        "canary-none": ("fail", "KSSE002"),
        "canary-none-ondemand": ("fail", "KSSE002"),
    },
}


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    folder = tmp_path_factory.mktemp("fuzz")
    with Runner(folder / "work", folder / "reproducers") as running:
        yield running


def _failure_report(results: Results) -> str:
    failing = sorted({f.mutant.id for f in results.failures})
    lines = [f"{len(results.failures)} problems in {len(failing)} of {sum(results.ran.values())} mutants "
             f"(campaign {QUICK_CAMPAIGN}); rescan one with: python bench/fuzz.py --replay ID"]
    return "\n".join(lines + [f.describe() for f in results.failures])


@pytest.mark.parametrize("seed", ALL_SEEDS, ids=lambda seed: seed.name)
def test_every_seed_scans_cleanly_with_its_canaries_found_and_not_passing(runner: Runner, seed: Seed) -> None:
    outcome, failures = runner.run(as_is(seed))
    assert [f.describe() for f in failures] == []
    assert outcome.exit == 1
    report = json.loads(outcome.stdout)
    assert report["errors"] == []
    canaries = {f["resource"]["address"]: (f["status"], f["code"]) for f in report["findings"]
                if CANARY.search(f["resource"]["address"])}
    assert canaries == EXPECTED_CANARIES[seed.name]


@pytest.mark.parametrize("kind", KINDS)
def test_mutants_never_crash_hang_echo_a_secret_or_pass_a_canary(runner: Runner, kind: str) -> None:
    results = runner.run_all(make_mutant(kind, QUICK_CAMPAIGN, index) for index in range(QUICK_MUTANTS))
    assert results.ran[kind] == QUICK_MUTANTS
    if results.failures:
        pytest.fail(_failure_report(results), pytrace=False)


def test_a_mutant_is_rebuilt_exactly_from_its_id_whatever_was_made_before() -> None:
    made = [make_mutant(kind, 7, index) for kind in KINDS for index in range(25)]
    for mutant in reversed(made):
        again = parse_id(mutant.id)
        assert (again.seed.name, again.target, again.mutations, again.data) == \
            (mutant.seed.name, mutant.target, mutant.mutations, mutant.data), mutant.id
    assert all(mutant.mutations for mutant in made)
    assert len({mutant.data for mutant in made}) > 150


def _forged(outcome: Outcome, **changes: object) -> Outcome:
    return dataclasses.replace(outcome, **changes)  # type: ignore[arg-type]


def test_the_checks_name_every_class_of_failure(runner: Runner) -> None:
    seed = next(s for s in ALL_SEEDS if s.name == "plan/create.json")
    mutant = as_is(seed)
    outcome, _ = runner.run(mutant)
    area = runner.area_of(seed)
    report = json.loads(outcome.stdout)
    canary = next(f for f in report["findings"] if f["resource"]["address"] == "aws_kinesis_stream.canary_none")
    canary["status"], canary["message"] = "pass", f"encrypted with KMS key {runner.markers.outside}"
    forged_report = json.dumps(report).encode()

    def classes(forged: Outcome) -> list[str]:
        return [p.cls for p in check(forged, runner.markers, area)]

    assert classes(outcome) == []
    assert classes(_forged(outcome, stdout=forged_report)) == ["canary-pass", "outside-echo"]
    assert classes(_forged(outcome, exit=3)) == ["bad-exit"]
    assert classes(_forged(outcome, stdout=outcome.stdout[:100])) == ["invalid-json"]
    assert classes(_forged(outcome, stdout=outcome.stdout.replace(b'"fail"', b'"failed"', 1))) == ["invalid-json"]
    assert classes(_forged(outcome, stderr=b"sseguard: internal error: KeyError: 'x' (set SSEGUARD_DEBUG=1 ...)\n")) \
        == ["internal-error"]
    assert classes(_forged(outcome, stderr=f"{runner.markers.environ}\n".encode())) == ["outside-echo"]
    assert classes(_forged(outcome, escaped={"type": "MemoryError", "message": "", "frames": [], "text": ""})) \
        == ["traceback"]
    assert classes(Outcome(hung=True)) == ["hang"]
    assert classes(Outcome(crashed=True, exit=-11)) == ["crash"]


def test_a_stuck_worker_is_reported_as_a_hang_and_replaced(tmp_path: Path) -> None:
    seed = next(s for s in ALL_SEEDS if s.name == "describe-stream/compact.json")
    with Runner(tmp_path / "work", tmp_path / "reproducers", timeout=1.0) as runner:
        assert runner.run(as_is(seed))[1] == []
        assert runner.worker.proc is not None
        os.kill(runner.worker.proc.pid, signal.SIGSTOP)  # a stopped worker can never answer
        outcome, failures = runner.run(as_is(seed))
        assert outcome.hung
        assert [f.problem.cls for f in failures] == ["hang"]
        reproducer = failures[0].reproducer
        assert reproducer is not None and (reproducer / "tree" / "compact.json").is_file()
        assert "reproduce:" in (reproducer / "README.txt").read_text(encoding="utf-8")
        outcome, failures = runner.run(as_is(seed))
        assert (outcome.exit, failures, runner.worker.restarts) == (1, [], 1)


def test_a_worker_that_dies_is_reported_as_a_crash_and_replaced(tmp_path: Path) -> None:
    seed = next(s for s in ALL_SEEDS if s.name == "describe-stream/compact.json")
    with Runner(tmp_path / "work", tmp_path / "reproducers") as runner:
        # The worker changes into the folder it is given; a folder that does not exist kills it.
        outcome = runner.worker.run(["scan", "."], tmp_path / "no-such-folder")
        assert outcome.crashed and outcome.exit == 1
        assert "FileNotFoundError" in outcome.stack
        outcome, failures = runner.run(as_is(seed))
        assert (outcome.exit, failures, runner.worker.restarts) == (1, [], 1)
