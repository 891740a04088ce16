"""From 1 MiB of configuration on, the Terraform source parses blocks only when a stream needs them (and may split
the work over two processes). The verdicts must be exactly those of a normal scan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import TF, ScanRun, scan

QUEUES = 22_000  # about 1.1 MiB of unrelated resources


def _with_filler(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    with (target / "zz_filler.tf").open("w", encoding="utf-8") as fh:
        for i in range(QUEUES):
            fh.write(f'resource "aws_sqs_queue" "q{i}" {{\n  name = "q{i}"\n}}\n\n')
    assert (target / "zz_filler.tf").stat().st_size > 1024 * 1024
    return target


def _verdicts(run: ScanRun) -> dict[str, tuple[object, ...]]:
    return {f["resource"]["address"]: (f["status"], f["code"], f["advisories"], f["source"]["path"],
                                       f["source"]["line"], f["message"], f["evidence"])
            for f in run.findings}


@pytest.mark.parametrize("fixture", ["keys", "modules", "expressions", "key_instances"])
def test_a_large_tree_gives_the_same_verdicts(fixture: str, tmp_path: Path) -> None:
    normal = scan(TF / fixture)
    large = scan(_with_filler(TF / fixture, tmp_path / fixture))
    assert _verdicts(large) == _verdicts(normal)
    assert large.errors == normal.errors
    assert large.exit_code == normal.exit_code
