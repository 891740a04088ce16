"""Fuzz ``sseguard scan`` at length (issue 9): thousands of mutants of every input kind, then a summary.

usage: python bench/fuzz.py [--mutants 3000] [--seed 1] [--kinds terraform,plan] [--out DIR] [--keep 3]
                            [--timeout 20]
       python bench/fuzz.py --replay KIND:CAMPAIGN:INDEX [--out DIR]

The mutants are spread evenly over the kinds (tests/fuzz/kinds.py) and scanned one by one in a persistent worker
(tests/fuzz/runner.py); every check of the CI quick mode (tests/test_fuzz.py) applies. Printed: mutants and
failing mutants per kind and per failure class, then each distinct root-cause signature with its count and one
example (the mutations, the problem, where in src/ it was raised or stuck). Up to --keep reproducers per signature
are saved under OUT/reproducers/CLASS/ID/ (the mutant in its seed's tree, and a README with the command); the
summary is also written to OUT/summary.txt and every failure to OUT/failures.json. --replay rebuilds one mutant
from its id and scans it again.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz.kinds import KINDS
from fuzz.runner import Results, Runner, mutants_of, parse_id


def _progress(total: int, started: float) -> Callable[[int, Results], None]:
    def report(count: int, results: Results) -> None:
        if count % 100 == 0 or count == total:
            failing = len({f.mutant.id for f in results.failures})
            sys.stderr.write(f"\r{count}/{total} mutants, {failing} failing, {time.monotonic() - started:.0f} s")
            sys.stderr.flush()
    return report


def _campaign(args: argparse.Namespace, out: Path) -> int:
    kinds = args.kinds.split(",") if args.kinds else list(KINDS)
    per_kind = -(-args.mutants // len(kinds))
    mutants = mutants_of(kinds, args.seed, per_kind)
    started = time.monotonic()
    with Runner(out / "work", out / "reproducers", timeout=args.timeout, keep=args.keep) as runner:
        results = runner.run_all(mutants, _progress(per_kind * len(kinds), started))
    sys.stderr.write("\n")
    header = (f"campaign seed {args.seed}, {per_kind} mutants per kind, {time.monotonic() - started:.0f} s, "
              f"worker restarts {runner.worker.restarts}\n")
    summary = header + results.summary()
    print(summary)
    (out / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    failures = [{"id": f.mutant.id, "kind": f.mutant.kind, "seed": f.mutant.seed.name, "file": f.mutant.target,
                 "mutations": list(f.mutant.mutations), "class": f.problem.cls, "detail": f.problem.detail,
                 "site": f.site, "signature": f.signature, "reproducer": str(f.reproducer or "")}
                for f in results.failures]
    (out / "failures.json").write_text(json.dumps(failures, indent=1) + "\n", encoding="utf-8")
    print(f"\nreproducers, summary.txt and failures.json in {out}")
    return 1 if results.failures else 0


def _replay(args: argparse.Namespace, out: Path) -> int:
    mutant = parse_id(args.replay)
    with Runner(out / "work", out / "reproducers", timeout=args.timeout) as runner:
        outcome, failures = runner.run(mutant)
    print(f"{mutant.id}: {mutant.seed.name}, file {mutant.target}\nmutations: {'; '.join(mutant.mutations)}")
    print(f"exit {outcome.exit}, {outcome.seconds:.2f} s{', hung' if outcome.hung else ''}"
          f"{', crashed' if outcome.crashed else ''}")
    print("stderr:", outcome.stderr.decode("utf-8", "replace")[-2000:])
    for failure in failures:
        print(failure.describe())
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=3000, help="mutants in all, spread over the kinds")
    parser.add_argument("--seed", type=int, default=1, help="the campaign's seed")
    parser.add_argument("--kinds", help=f"comma-separated subset of: {','.join(KINDS)}")
    parser.add_argument("--out", type=Path, help="folder for reproducers and results (default: a new temp folder)")
    parser.add_argument("--keep", type=int, default=3, help="reproducers saved per distinct signature")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds before a scan counts as a hang")
    parser.add_argument("--replay", metavar="ID", help="scan one mutant again, by its id KIND:CAMPAIGN:INDEX")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="sseguard-fuzz-"))
    out.mkdir(parents=True, exist_ok=True)
    return _replay(args, out) if args.replay else _campaign(args, out)


if __name__ == "__main__":
    sys.exit(main())
