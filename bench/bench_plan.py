"""Benchmark ``sseguard scan plan.json`` on a large plan, and Checkov on the same file if asked.

usage: python bench/bench_plan.py [--plan PLAN] [--resources N] [--runs K] [--checkov PATH]

Without ``--plan``, a plan of N resources (default 20,000, one in ten a stream) is written by ``bench/gen_plan.py``
into a temporary folder. Each tool runs K times (default 3) under ``/usr/bin/time -v``; the best wall time and its
peak resident memory are shown, with the ratio of peak memory to the plan's size, and for Checkov
(``checkov -f PLAN --framework terraform_plan --check CKV_AWS_43``, run from its own virtualenv, never a dependency
of sseguard) the ratio of its time and memory to sseguard's. Targets: under 2 s, under 3x the file size.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIME = "/usr/bin/time"
TARGET_SECONDS = 2.0
TARGET_MEMORY_RATIO = 3.0


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_bytes: int
    exit_code: int
    output: str


def _wall_seconds(text: str) -> float:
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    if m is None:
        raise SystemExit(f"cannot read the wall time from {TIME} -v:\n{text}")
    hours, minutes, seconds = int(m[1] or 0), int(m[2]), float(m[3])
    return hours * 3600 + minutes * 60 + seconds


def _peak_bytes(text: str) -> int:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m is None:
        raise SystemExit(f"cannot read the peak memory from {TIME} -v:\n{text}")
    return int(m[1]) * 1024


def measure(command: list[str], runs: int) -> Run:
    """Run a command ``runs`` times under ``/usr/bin/time -v``; the fastest run."""
    best: Run | None = None
    for _ in range(runs):
        with tempfile.TemporaryFile("w+") as out:
            done = subprocess.run([TIME, "-v", *command], stdout=out, stderr=subprocess.PIPE, text=True, check=False)
            out.seek(0)
            run = Run(_wall_seconds(done.stderr), _peak_bytes(done.stderr), done.returncode, out.read())
        if best is None or run.seconds < best.seconds:
            best = run
    assert best is not None
    return best


def _sseguard_counts(output: str) -> str:
    summary = json.loads(output)["summary"]
    return ", ".join(f"{k} {v}" for k, v in summary.items())


def _checkov_counts(output: str) -> str:
    try:
        data = json.loads(output)
    except json.JSONDecodeError:
        return "(output not JSON)"
    reports = data if isinstance(data, list) else [data]
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    failed = sum(r.get("summary", {}).get("failed", 0) for r in reports)
    return f"passed {passed}, failed {failed}"


def main() -> None:
    """Measure, print one line per tool and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, help="an existing plan JSON (default: generate one)")
    parser.add_argument("--resources", type=int, default=20_000, help="resources in the generated plan")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool; the fastest is shown")
    parser.add_argument("--checkov", help="path of a checkov executable to compare with")
    parser.add_argument("--no-history", action="store_true", help="pass --no-history to sseguard (no history write)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        plan = args.plan
        if plan is None:
            plan = Path(tmp) / "plan.json"
            subprocess.run([sys.executable, str(HERE / "gen_plan.py"), str(plan), str(args.resources)], check=True)
        size = plan.stat().st_size
        print(f"plan: {plan} ({size / 2**20:.1f} MiB)")

        command = [sys.executable, "-m", "sseguard", "scan", str(plan), "--format", "json"]
        ours = measure([*command, "--no-history"] if args.no_history else command, args.runs)
        ratio = ours.peak_bytes / size
        print(f"sseguard: {ours.seconds:.2f} s wall, peak {ours.peak_bytes / 2**20:.1f} MiB = {ratio:.2f}x the "
              f"file; exit {ours.exit_code}; {_sseguard_counts(ours.output)}")
        verdict = "meets" if ours.seconds < TARGET_SECONDS and ratio < TARGET_MEMORY_RATIO else "MISSES"
        print(f"sseguard {verdict} the targets (< {TARGET_SECONDS:.0f} s, < {TARGET_MEMORY_RATIO:.0f}x the file)")

        if args.checkov:
            theirs = measure([args.checkov, "-f", str(plan), "--framework", "terraform_plan", "--check", "CKV_AWS_43",
                              "--output", "json", "--compact", "--quiet"], args.runs)
            print(f"checkov: {theirs.seconds:.2f} s wall, peak {theirs.peak_bytes / 2**20:.1f} MiB = "
                  f"{theirs.peak_bytes / size:.2f}x the file; exit {theirs.exit_code}; "
                  f"CKV_AWS_43 {_checkov_counts(theirs.output)}")
            print(f"checkov / sseguard: {theirs.seconds / ours.seconds:.1f}x the time, "
                  f"{theirs.peak_bytes / ours.peak_bytes:.1f}x the peak memory")


if __name__ == "__main__":
    main()
