"""Benchmark: sseguard vs Checkov on the synthetic Terraform corpus (issue "Terraform scanner core").

usage: python bench/bench_terraform.py [--files 2000] [--checkov PATH] [--runs 3] [--corpus DIR]

Generates the corpus with bench/gen_corpus.py (unless --corpus is given), runs
``sseguard scan DIR --format json`` (and Checkov ``-d DIR --framework terraform --check CKV_AWS_43 -o json`` when
--checkov names its executable) under ``/usr/bin/time -v``, prints wall time and peak memory of each, the ratio,
and whether the two agree on every stream where their rules are the same (encryption missing / NONE -> fail,
KMS with a key -> pass; CKV_AWS_43 does not look at the key, so KSSE003 streams and unknowns are left out).
sseguard runs as an installed user has it: with compiled bytecode (PYTHONDONTWRITEBYTECODE unset) and no history.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GEN = HERE / "gen_corpus.py"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command under /usr/bin/time -v: (wall seconds, peak RSS in MB, stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        proc = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name, *cmd], capture_output=True, text=True,
                              env=env, check=False)
        report = Path(tf.name).read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", report)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    if wall is None or rss is None:
        sys.exit(f"cannot read /usr/bin/time output for {cmd[0]}: {report[-300:]} {proc.stderr[-300:]}")
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return seconds, int(rss.group(1)) // 1024, proc.stdout


def sseguard_verdicts(report: dict) -> dict[tuple[str, str], str]:
    out = {}
    for f in report["findings"]:
        key = (Path(f["source"]["path"]).name, f["resource"]["address"])
        if f["code"] in ("KSSE001", "KSSE002"):
            out[key] = "fail"
        elif f["status"] == "pass":
            out[key] = "pass"
    return out


def checkov_verdicts(stdout: str) -> dict[tuple[str, str], str]:
    doc = json.loads(stdout)
    runs = doc if isinstance(doc, list) else [doc]
    out = {}
    for run in runs:
        results = run.get("results", {})
        for verdict, items in (("pass", results.get("passed_checks", [])), ("fail", results.get("failed_checks", []))):
            for item in items:
                out[(Path(item["file_path"]).name, item["resource"])] = verdict
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--checkov", help="path of a checkov executable (installed in its own venv)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus
        if corpus is None:
            corpus = Path(tmp) / "corpus"
            subprocess.run([sys.executable, str(GEN), str(corpus), str(args.files)], check=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["SSEGUARD_DB"] = str(Path(tmp) / "history.db")
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=False,
                       capture_output=True)
        cmd = [sys.executable, "-m", "sseguard", "scan", str(corpus), "--format", "json", "--no-history"]
        timed(cmd, env)  # warm the page cache
        runs = [timed(cmd, env) for _ in range(args.runs)]
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        ours = sseguard_verdicts(json.loads(runs[0][2]))
        report = json.loads(runs[0][2])
        print(f"corpus: {corpus} ({sum(1 for _ in corpus.rglob('*.tf'))} files)")
        print(f"sseguard: {wall:.2f} s wall (median of {args.runs}), {rss} MB peak; summary {report['summary']}")
        if not args.checkov:
            return 0
        c_wall, c_rss, c_out = timed([args.checkov, "-d", str(corpus), "--framework", "terraform",
                                      "--check", "CKV_AWS_43", "-o", "json", "--compact"], env)
        theirs = checkov_verdicts(c_out)
        print(f"checkov:  {c_wall:.2f} s wall, {c_rss} MB peak")
        print(f"ratio:    {c_wall / wall:.1f}x faster, {c_rss / max(rss, 1):.1f}x less memory")
        common = sorted(set(ours) & set(theirs))
        differ = [k for k in common if ours[k] != theirs[k]]
        print(f"agreement: {len(common) - len(differ)}/{len(common)} streams judged by both rules agree")
        for k in differ[:10]:
            print(f"  differ: {k}: sseguard {ours[k]}, checkov {theirs[k]}")
        return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
