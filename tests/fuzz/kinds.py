"""The eight input kinds the harness covers, their seeds, and how each is laid out and scanned.

A seed is copied into a work folder of its own: what is scanned goes under ``tree/``, a ``--var-file`` beside it,
and ``outside/secret.txt`` (outside the scanned tree) holds a marker no report may ever show. A mutant replaces one
file of its seed (its ``target``) and is scanned with ``args`` from the work folder.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from fuzz.mutate import OUTSIDE_FILE, Target

SEEDS = Path(__file__).resolve().parent / "seeds"
TREE = "tree"
OUTSIDE = Path(os.path.normpath(Path(TREE) / OUTSIDE_FILE))  # outside/secret.txt

KINDS = ("terraform", "tf.json", "tfvars", "plan", "state", "cloudformation-yaml", "cloudformation-json",
         "describe-stream")


@dataclass(frozen=True)
class Seed:
    """One seed: its files, the files a mutant may change, and the scan's arguments (relative to the work folder).
    ``layout`` maps each path of the work folder to the seed file copied there."""

    kind: str
    name: str
    layout: tuple[tuple[str, Path], ...]
    targets: tuple[str, ...]
    args: tuple[str, ...]

    def target_of(self, path: str) -> Target:
        """How a file of this seed is read, from its kind and name."""
        return target_for(self.kind, path)

    def source_of(self, path: str) -> Path:
        """The seed file laid out at ``path``."""
        return dict(self.layout)[path]

    def lay_out(self, work: Path, outside_marker: str) -> None:
        """Copy the seed into ``work`` (emptied first), with the marker file outside the scanned tree."""
        if work.exists():
            shutil.rmtree(work)
        for relative, source in self.layout:
            destination = work / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        (work / OUTSIDE).parent.mkdir(parents=True, exist_ok=True)
        (work / OUTSIDE).write_text(outside_marker + "\n", encoding="utf-8")


def target_for(kind: str, path: str) -> Target:
    """The syntax and reader of a file: ``.tf`` is HCL read by Terraform, a ``.tfvars.json`` JSON read as
    variables, a ``.json`` in a Terraform tree (a policy read with ``file()``) plain data..."""
    if path.endswith(".tf"):
        return Target("hcl", "terraform")
    if path.endswith(".tfvars"):
        return Target("hcl", "tfvars")
    if path.endswith(".tfvars.json"):
        return Target("json", "tfvars")
    if path.endswith(".tf.json"):
        return Target("json", "terraform")
    if path.endswith((".yaml", ".yml")):
        return Target("yaml", "cloudformation")
    if kind == "cloudformation-json":
        return Target("json", "cloudformation")
    return Target("json", "data")


def _files_under(folder: Path) -> list[tuple[str, Path]]:
    return [(f"{TREE}/{p.relative_to(folder).as_posix()}", p) for p in sorted(folder.rglob("*")) if p.is_file()]


def _tree_seeds(kind: str) -> list[Seed]:
    """Folders scanned whole (Terraform, .tf.json): any file in them may be mutated."""
    seeds = []
    for folder in sorted(p for p in (SEEDS / kind).iterdir() if p.is_dir()):
        layout = tuple(_files_under(folder))
        targets = tuple(path for path, _ in layout)
        seeds.append(Seed(kind, f"{kind}/{folder.name}", layout, targets, (TREE,)))
    return seeds


def _tfvars_seeds() -> list[Seed]:
    """A Terraform tree and variable files for it: the variable file is mutated and passed with --var-file."""
    seeds = []
    for folder in sorted(p for p in (SEEDS / "tfvars").iterdir() if p.is_dir()):
        tree = tuple(_files_under(folder / TREE))
        for values in sorted(p for p in folder.iterdir() if p.is_file()):
            layout = (*tree, (values.name, values))
            seeds.append(Seed("tfvars", f"tfvars/{folder.name}/{values.name}", layout, (values.name,),
                              (TREE, "--var-file", values.name)))
    return seeds


def _file_seeds(kind: str) -> list[Seed]:
    """Files named on the command line one at a time (plan, state, templates, describe-stream output)."""
    seeds = []
    for file in sorted(p for p in (SEEDS / kind).iterdir() if p.is_file()):
        path = f"{TREE}/{file.name}"
        seeds.append(Seed(kind, f"{kind}/{file.name}", ((path, file),), (path,), (path,)))
    return seeds


def seeds_of(kind: str) -> list[Seed]:
    """Every seed of one input kind, in a stable order."""
    if kind in ("terraform", "tf.json"):
        return _tree_seeds(kind)
    if kind == "tfvars":
        return _tfvars_seeds()
    if kind in KINDS:
        return _file_seeds(kind)
    raise ValueError(f"unknown input kind {kind!r}; known: {', '.join(KINDS)}")
