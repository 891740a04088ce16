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


def test_many_files_read_by_two_processes_give_the_same_verdicts(tmp_path: Path) -> None:
    # from 400 configuration files in two folders or more, the tree is surveyed and scanned by two processes
    tree = tmp_path / "tree"
    for name in ("keys", "modules"):
        shutil.copytree(TF / name, tree / name)
        for i in range(210):
            (tree / name / f"queue_{i}.tf").write_text(f'resource "aws_sqs_queue" "q{i}" {{\n  name = "q{i}"\n}}\n',
                                                       encoding="utf-8")
    together = scan(tree)
    apart = {}
    for name in ("keys", "modules"):
        alone = scan(tree / name, cwd=tree)
        assert alone.errors == [e for e in together.errors
                                if e["location"] == name or e["location"].startswith(f"{name}/")]
        apart.update(_verdicts(alone))
    assert _verdicts(together) == apart
    assert len(together.findings) == 29  # 18 streams in keys, 11 in modules
