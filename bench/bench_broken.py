"""Benchmark the recovery path: ``sseguard scan FILE`` on broken inputs of every kind, at several sizes.

usage: python bench/bench_broken.py [--sizes 1,5,19] [--kinds cfn-json,plan,...] [--keep DIR]

Each input is written by ``bench/gen_broken.py`` (one byte breaks it, so the read fails and the streams are found
in the raw text) and scanned once with ``sseguard scan FILE --format json --no-history`` under ``/usr/bin/time -v``.
The table shows the wall time, the time per MB, the peak resident memory and its ratio to the file's size, and the
streams reported. Terraform files are kept to 10 MB at most (the size of one broken configuration file worth
measuring). The limit (issue 9): no input over 2 s per MB; the script exits 1 when one is over it, or when a scan did
not report the input error with the streams found in the text.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_plan import measure  # noqa: E402  (sibling scripts, not a package)
from gen_broken import KINDS, MB, write  # noqa: E402

LIMIT_SECONDS_PER_MB = 2.0
TERRAFORM_MAX_MB = 10.0


def _counts(output: str) -> tuple[int, int] | None:
    """(streams, input errors) of a JSON report; None when the scan wrote none."""
    try:
        report = json.loads(output)
        return len(report["findings"]), len(report["errors"])
    except (ValueError, KeyError, TypeError):
        return None


def main() -> int:
    """Generate, measure, print the table; the exit code says whether every input kept to the limit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,19", help="file sizes in MB, comma-separated (default 1,5,19)")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"kinds to run (default all: {','.join(KINDS)})")
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them (default: a temporary folder)")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    kinds = args.kinds.split(",")
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        parser.error(f"unknown kinds {', '.join(unknown)}; known: {', '.join(KINDS)}")

    over: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        print(f"{'kind':<14} {'MB':>6} {'seconds':>8} {'s/MB':>6} {'peak MiB':>9} {'peak/size':>9} "
              f"{'streams':>8} {'errors':>6} {'exit':>4}")
        for kind in kinds:
            for size in sorted({min(s, TERRAFORM_MAX_MB) if kind == "terraform" else s for s in sizes}):
                folder = root / f"{kind}-{size:g}"
                folder.mkdir(parents=True, exist_ok=True)
                path = write(kind, folder, size)
                megabytes = path.stat().st_size / MB
                run = measure([sys.executable, "-m", "sseguard", "scan", str(path), "--format", "json",
                               "--no-history"], 1)
                per_mb = run.seconds / megabytes
                counts = _counts(run.output)
                streams, errors = counts if counts is not None else (0, 0)
                print(f"{kind:<14} {megabytes:>6.1f} {run.seconds:>8.2f} {per_mb:>6.2f} "
                      f"{run.peak_bytes / MB:>9.0f} {run.peak_bytes / path.stat().st_size:>8.1f}x "
                      f"{streams:>8} {errors:>6} {run.exit_code:>4}", flush=True)
                if per_mb > LIMIT_SECONDS_PER_MB:
                    over.append(f"{kind} {megabytes:.1f} MB: {per_mb:.2f} s per MB")
                if counts is None or not streams or not errors:
                    over.append(f"{kind} {megabytes:.1f} MB: exit {run.exit_code}, {streams} streams and {errors} "
                                "input errors reported")
    if over:
        print(f"\nover the limit of {LIMIT_SECONDS_PER_MB:g} s per MB, or not recovered:\n  " + "\n  ".join(over))
        return 1
    print(f"\nevery input within {LIMIT_SECONDS_PER_MB:g} s per MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
