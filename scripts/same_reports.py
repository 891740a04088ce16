"""Check that a change of the code's shape changed no verdict: the JSON reports of the bundled examples, the shared
conformance corpus and every test fixture, before and after, are identical apart from ``generated_at``.

usage:
    python scripts/same_reports.py save DIR      # write every report into DIR (run it on the code before)
    python scripts/same_reports.py compare DIR   # compare the code now with DIR; exit 1 and list what differs

Each input is scanned as a user would (``python -m sseguard scan TARGET --format json --no-history``), from the
repository root, with the same environment. The targets: ``examples/``, every file of ``../shared/conformance``
(when it is there), and every folder and file directly under ``tests/fixtures/<kind>/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = REPO.parent / "shared" / "conformance"


def targets() -> list[str]:
    """Every input scanned, as paths relative to the repository (or absolute for the shared corpus)."""
    found = ["examples"]
    if CONFORMANCE.is_dir():
        found += sorted(str(p) for p in CONFORMANCE.rglob("*") if p.is_file() and p.suffix != ".md"
                        and p.name != "cases.json")
    fixtures = REPO / "tests" / "fixtures"
    for kind in sorted(p for p in fixtures.iterdir() if p.is_dir()):
        found += sorted(str(p.relative_to(REPO)) for p in kind.iterdir())
    return found


def report(target: str) -> str:
    """The target's JSON report without its time, as canonical text (exit code first)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_VAR_", "SSEGUARD_"))}
    done = subprocess.run([sys.executable, "-m", "sseguard", "scan", target, "--format", "json", "--no-history"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        data = json.loads(done.stdout)
        data.pop("generated_at", None)
        body = json.dumps(data, sort_keys=True, indent=1)
    except ValueError:
        body = f"(no JSON report)\n{done.stdout}"
    return f"exit {done.returncode}\n{body}\n"


def _name(target: str) -> str:
    return hashlib.sha256(target.encode()).hexdigest()[:16] + ".json"


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("save", "compare"):
        sys.exit(__doc__)
    action, folder = sys.argv[1], Path(sys.argv[2])
    wanted = targets()
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = dict(zip(wanted, pool.map(report, wanted), strict=True))
    if action == "save":
        folder.mkdir(parents=True, exist_ok=True)
        for target, text in reports.items():
            (folder / _name(target)).write_text(f"{target}\n{text}", encoding="utf-8")
        print(f"saved {len(reports)} reports in {folder}")
        return 0
    differ = []
    for target, text in reports.items():
        saved = folder / _name(target)
        if not saved.is_file() or saved.read_text(encoding="utf-8") != f"{target}\n{text}":
            differ.append(target)
    print(f"{len(reports) - len(differ)} of {len(reports)} reports identical (apart from generated_at)")
    for target in differ:
        print(f"  differs: {target}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
