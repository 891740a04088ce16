"""Benchmark: ``sseguard fix`` against ``sseguard scan`` on the synthetic Terraform corpus (issue "Fix what fails").

usage: python bench/bench_fix.py [--files 2000] [--runs 3]

For each run, a fresh copy of the corpus (bench/gen_corpus.py) is scanned, then ``fix .`` (the plan and its proof
in memory, printed as a diff) and ``fix . --write`` (the same, then written) run on it; the corpus is scanned again
to count what is left. The issue's bound: fix at most 2x the time of scan. No peer has a fixer for this control to
measure against (Checkov's fixes go through its paid platform; KICS has no remediation for its Kinesis query).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN = HERE / "gen_corpus.py"
FIXABLE = {"KSSE001", "KSSE002", "KSSE003", "KSSE004", "KSSE005"}


def run(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sseguard", *args], cwd=cwd, capture_output=True, text=True,
                          check=False)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pristine = Path(tmp) / "pristine"
        subprocess.run([sys.executable, str(GEN), str(pristine), str(args.files)], check=True, capture_output=True)
        times: dict[str, list[float]] = {"scan": [], "fix (diff)": [], "fix --write": []}
        for i in range(args.runs):
            corpus = Path(tmp) / f"run{i}"
            shutil.copytree(pristine, corpus)
            t, scanned = run(["scan", ".", "--format", "json", "--no-history"], corpus)
            times["scan"].append(t)
            failing = sum(f["code"] in FIXABLE for f in json.loads(scanned.stdout)["findings"])
            t, _ = run(["fix", "."], corpus)
            times["fix (diff)"].append(t)
            t, written = run(["fix", ".", "--write"], corpus)
            times["fix --write"].append(t)
            _, after = run(["scan", ".", "--format", "json", "--no-history"], corpus)
            left = sum(f["code"] in FIXABLE for f in json.loads(after.stdout)["findings"])
            print(f"run {i + 1}: {failing} fixable failures before, {left} after; fix --write exit "
                  f"{written.returncode}")
        base = statistics.median(times["scan"])
        print(f"\n{args.files} files, median of {args.runs} runs:")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"  {name:<12} {median:6.2f} s  ({median / base:.2f}x scan)")


if __name__ == "__main__":
    main()
