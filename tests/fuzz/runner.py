"""Mutants, the checks every scan of one must pass, and a runner that scans them in a persistent worker.

A mutant is rebuilt exactly from its id ``KIND:CAMPAIGN:INDEX``: the index and the campaign's seed seed a
``random.Random`` that picks the seed file, the file to change and the mutations.

What must hold for every mutant, whatever its bytes (``check``):

- ``hang``: the scan answers within the timeout (20 s);
- ``crash``: the process survives (no segfault, no kill);
- ``traceback``: no exception gets out of ``main`` and no ``Traceback`` reaches stderr;
- ``internal-error``: no ``sseguard: internal error`` on stderr and no "internal error" input error in the report
  (both are bugs by definition: the CLI's last-resort handlers);
- ``bad-exit``: the exit code is 0, 1 or 2;
- ``invalid-json``: stdout is UTF-8, one JSON document, valid against the report schema;
- ``canary-pass``: no canary stream passes (a canary may be unknown, fail, or gone);
- ``outside-echo``: no output holds the contents of a file outside the scanned tree (a line of /etc/passwd, the
  marker of ``outside/secret.txt``, the marker variable of the scan's environment);
- ``code-exec``: the scan ran no code a mutant asked for (a YAML Python tag touching a file).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import random
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzz.kinds import KINDS, Seed, seeds_of
from fuzz.mutate import CANARY, mutate

WORKER = Path(__file__).resolve().parent / "worker.py"
DEFAULT_TIMEOUT = 20.0
DEFAULT_MEMORY_MB = 4096
ENVIRON_MARKER = "SSEGUARD_FUZZ_ENVIRON"
CODE_EXEC_FILE = "fuzz-code-exec"
CLASSES = ("traceback", "internal-error", "bad-exit", "hang", "crash", "canary-pass", "outside-echo",
           "invalid-json", "code-exec")
_STARTUP_TIMEOUT = 120.0
_SRC_FRAME = re.compile(r'File "([^"]*/sseguard/[^"]*)", line (\d+) in (\S+)')


# --- mutants -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    """One mutated input: which seed, which file of it, the new bytes, and the mutations that made them."""

    kind: str
    campaign: int
    index: int
    seed: Seed
    target: str
    data: bytes
    mutations: tuple[str, ...]
    options: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.campaign}:{self.index}"

    @property
    def argv(self) -> list[str]:
        return ["scan", *self.seed.args, *self.options, "--format", "json", "--no-history"]


# Options a mutant may be scanned with besides --format json --no-history. None can make a canary encrypted: no
# variable or parameter a canary reads is set.
_OPTIONS: tuple[tuple[str, ...], ...] = (
    (), (), (), (), ("--region", "us-east-1"), ("--region", "cn-north-1"), ("--strict-key-policy",),
    ("--full-parse",), ("--fail-on", "unknown"), ("--fail-on", "advisory"), ("--parameter", "Stage=dev"),
    ("--var", "replicas=3"),
)


def make_mutant(kind: str, campaign: int, index: int) -> Mutant:
    """The mutant ``index`` of a campaign, rebuilt the same way every time."""
    rng = random.Random(f"{campaign}:{kind}:{index}")
    seed = rng.choice(seeds_of(kind))
    target = rng.choice(seed.targets)
    data, done = mutate(seed.source_of(target).read_bytes(), rng, seed.target_of(target))
    return Mutant(kind, campaign, index, seed, target, data, tuple(done), rng.choice(_OPTIONS))


def as_is(seed: Seed) -> Mutant:
    """A seed scanned unchanged (its first target rewritten with its own bytes), index -1 of campaign 0."""
    target = seed.targets[0]
    return Mutant(seed.kind, 0, -1, seed, target, seed.source_of(target).read_bytes(), ())


def parse_id(mutant_id: str) -> Mutant:
    """The mutant an id (``KIND:CAMPAIGN:INDEX``) names."""
    kind, campaign, index = mutant_id.rsplit(":", 2)
    return make_mutant(kind, int(campaign), int(index))


# --- the worker ----------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """How one scan ended. ``hung``/``crashed`` scans have no output; ``stack`` is where the worker was (a hang)
    or what it printed as it died (a crash)."""

    exit: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    escaped: dict[str, Any] | None = None
    seconds: float = 0.0
    hung: bool = False
    crashed: bool = False
    stack: str = ""
    note: str = ""


class Worker:
    """The worker process (``worker.py``), started on first use and again after a hang or a crash."""

    def __init__(self, env: dict[str, str], log: Path, timeout: float = DEFAULT_TIMEOUT,
                 memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.env = env
        self.log = log
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.restarts = 0

    def _start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, str(WORKER), str(self.memory_mb)], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log, env=self.env)
        self._buffer = b""
        ready, _ = self._read_line(_STARTUP_TIMEOUT)
        if ready is None or not json.loads(ready).get("ready"):
            raise RuntimeError(f"the fuzz worker did not start; see {self.log}")

    def close(self) -> None:
        """Stop the worker (its stdin closes and it exits; a stuck one is killed)."""
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def run(self, argv: list[str], cwd: Path, debug: bool = False) -> Outcome:
        """Scan once in the worker; a late reply is a hang (the worker's stack is dumped, then it is killed)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        log_offset = self.log.stat().st_size
        request = json.dumps({"argv": argv, "cwd": str(cwd), "debug": debug}) + "\n"
        try:
            self.proc.stdin.write(request.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._died(log_offset)
        line, closed = self._read_line(self.timeout)
        if line is None:
            return self._died(log_offset) if closed else self._hung(log_offset)
        reply = json.loads(line)
        return Outcome(exit=reply["exit"], stdout=base64.b64decode(reply["stdout"]),
                       stderr=base64.b64decode(reply["stderr"]), escaped=reply["escaped"], seconds=reply["seconds"])

    def _read_line(self, timeout: float) -> tuple[bytes | None, bool]:
        """The next reply line, or None and whether the worker closed its end (it died) rather than ran late."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None, False
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None, True
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line, False

    def _log_since(self, offset: int) -> str:
        with self.log.open("rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", "replace")

    def _hung(self, log_offset: int) -> Outcome:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGUSR1)  # faulthandler in the worker dumps its stack to the log
        time.sleep(0.5)
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self.restarts += 1
        return Outcome(hung=True, stack=self._log_since(log_offset))

    def _died(self, log_offset: int) -> Outcome:
        assert self.proc is not None
        code = self.proc.wait()
        self.proc = None
        self.restarts += 1
        # Under the address-space cap, C code that does not check malloc (tree-sitter) dies with SIGSEGV where an
        # uncapped scan would take gigabytes: the cap is named so a segfault is read either way.
        note = f"address space capped at {self.memory_mb} MiB"
        return Outcome(crashed=True, exit=code, stack=self._log_since(log_offset), note=note)


# --- checks --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Markers:
    """Texts that may appear in no output: contents of files outside the scanned tree and of the environment."""

    passwd_line: str | None
    outside: str
    environ: str

    @classmethod
    def make(cls) -> Markers:
        try:
            first = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError):
            first = ""
        # "root:x:0:0": the first fields of the line, what a report echoing the file would show
        passwd = ":".join(first.split(":")[:4]) if first.count(":") >= 4 else None
        token = secrets.token_hex(8)
        return cls(passwd, f"fuzz-outside-marker-{token}", f"fuzz-environ-marker-{token}")

    def secrets(self) -> dict[str, str]:
        found = {"outside/secret.txt": self.outside, "the scan's environment": self.environ}
        if self.passwd_line:
            found["/etc/passwd"] = self.passwd_line
        return found


@dataclass(frozen=True)
class Problem:
    cls: str
    detail: str


@functools.cache
def _schema_validator() -> Any:
    import jsonschema

    from sseguard.schema import report_schema

    schema = report_schema()
    return jsonschema.validators.validator_for(schema)(schema)


def _report_of(stdout: bytes, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError as err:
        problems.append(Problem("invalid-json", f"stdout is not UTF-8: {err}"))
        return None
    try:
        report = json.loads(text)
    except ValueError as err:
        problems.append(Problem("invalid-json", f"stdout is not one JSON document ({err}): {text[:200]!r}"))
        return None
    if not isinstance(report, dict):
        problems.append(Problem("invalid-json", f"stdout is JSON but not a report: {text[:200]!r}"))
        return None
    violations = sorted(_schema_validator().iter_errors(report), key=lambda e: list(e.absolute_path))
    if violations:
        first = violations[0]
        where = "/".join(map(str, first.absolute_path)) or "(root)"
        problems.append(Problem("invalid-json", f"report does not match the schema: {where}: {first.message[:200]}"))
    return report


def _report_problems(report: dict[str, Any], problems: list[Problem]) -> None:
    for error in report.get("errors") or []:
        message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
        if "internal error" in message:
            problems.append(Problem("internal-error", f"report error: {message[:300]}"))
    for finding in report.get("findings") or []:
        if not isinstance(finding, dict):
            continue
        resource = finding.get("resource") or {}
        address = str(resource.get("address") or "")
        if finding.get("status") == "pass" and (CANARY.search(address) or CANARY.search(str(resource.get("arn")))):
            problems.append(Problem("canary-pass", f"{address} passes ({finding.get('code')}): "
                                                   f"{str(finding.get('message'))[:200]}"))


def check(outcome: Outcome, markers: Markers, area: Path) -> list[Problem]:
    """Everything wrong with one scan (see the module docstring for the classes)."""
    if outcome.hung:
        return [Problem("hang", "no answer within the timeout" + _stack_note(outcome.stack))]
    if outcome.crashed:
        return [Problem("crash", f"the process died with code {outcome.exit} ({outcome.note})"
                                 + _stack_note(outcome.stack))]
    problems: list[Problem] = []
    stderr = outcome.stderr.decode("utf-8", "replace")
    if outcome.escaped is not None:
        problems.append(Problem("traceback", f"{outcome.escaped['type']} got out of main: "
                                             f"{outcome.escaped['message'][:300]}"))
    if "Traceback" in stderr:
        problems.append(Problem("traceback", "a traceback on stderr: " + stderr[-300:]))
    for line in stderr.splitlines():
        if "sseguard: internal error" in line:
            problems.append(Problem("internal-error", line[:400]))
    if outcome.escaped is None and outcome.exit not in (0, 1, 2):
        problems.append(Problem("bad-exit", f"exit code {outcome.exit}"))
    report = _report_of(outcome.stdout, problems) if outcome.escaped is None else None
    if report is not None:
        _report_problems(report, problems)
    shown = outcome.stdout.decode("utf-8", "replace") + stderr
    for where, marker in markers.secrets().items():
        if marker in shown:
            problems.append(Problem("outside-echo", f"the output holds the contents of {where} ({marker!r})"))
    if (area / CODE_EXEC_FILE).exists():
        problems.append(Problem("code-exec", f"the scan created {CODE_EXEC_FILE}"))
    return problems


def _stack_note(stack: str) -> str:
    site = src_site_of_dump(stack)
    return f"; in {site}" if site else ""


def src_site_of_dump(stack: str) -> str | None:
    """The innermost sseguard frame of a faulthandler dump (most recent call first): ``file:line function``."""
    for m in _SRC_FRAME.finditer(stack):
        return f"{_short(m.group(1))}:{m.group(2)} {m.group(3)}"
    return None


def src_site_of_escaped(escaped: dict[str, Any] | None) -> str | None:
    """The innermost sseguard frame of an exception's traceback."""
    for filename, line, name in reversed((escaped or {}).get("frames", [])):
        if "/sseguard/" in filename:
            return f"{_short(filename)}:{line} {name}"
    return None


def _short(filename: str) -> str:
    return "src/sseguard/" + filename.split("/sseguard/", 1)[1]


# --- running -------------------------------------------------------------------------------------------------------


@dataclass
class Failure:
    """A problem of one mutant, where its reproducer is, and where in src/ it was raised or stuck (if known)."""

    problem: Problem
    mutant: Mutant
    reproducer: Path | None
    site: str | None
    traceback: str = ""

    @property
    def signature(self) -> str:
        """What tells root causes apart: the class, the src site, and the detail with its variable parts blurred."""
        detail = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", self.problem.detail)[:160]
        return f"{self.problem.cls} | {self.site or '-'} | {detail}"

    def describe(self) -> str:
        lines = [f"[{self.problem.cls}] {self.mutant.id} ({self.mutant.seed.name}, file {self.mutant.target})",
                 f"  mutations: {'; '.join(self.mutant.mutations) or '(none)'}",
                 f"  options:   {' '.join(self.mutant.options) or '(none)'}",
                 f"  problem:   {self.problem.detail}"]
        if self.site:
            lines.append(f"  in:        {self.site}")
        if self.reproducer:
            lines.append(f"  reproduce: {self.reproducer} (README.txt there)")
        return "\n".join(lines)


@dataclass
class Results:
    """What a campaign found: mutants run per kind, failures, and the slowest scans."""

    ran: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    seconds: list[tuple[float, str]] = field(default_factory=list)

    def by_class(self) -> dict[str, list[Failure]]:
        grouped: dict[str, list[Failure]] = defaultdict(list)
        for failure in self.failures:
            grouped[failure.problem.cls].append(failure)
        return grouped

    def summary(self) -> str:
        """Counts per kind and per class, then each distinct signature with its count and one example."""
        failed_mutants = {f.mutant.id for f in self.failures}
        lines = [f"mutants: {sum(self.ran.values())}, failing: {len(failed_mutants)}", "",
                 f"{'kind':<22}{'mutants':>8}{'failing':>8}  " + " ".join(f"{c:>14}" for c in CLASSES)]
        for kind in KINDS:
            if not self.ran[kind]:
                continue
            of_kind = [f for f in self.failures if f.mutant.kind == kind]
            per_class = Counter(f.problem.cls for f in of_kind)
            failing = len({f.mutant.id for f in of_kind})
            lines.append(f"{kind:<22}{self.ran[kind]:>8}{failing:>8}  " +
                         " ".join(f"{per_class[c]:>14}" for c in CLASSES))
        for cls, failures in self.by_class().items():
            lines += ["", f"== {cls}: {len(failures)} ({len({f.mutant.id for f in failures})} mutants)"]
            signatures: dict[str, list[Failure]] = defaultdict(list)
            for failure in failures:
                signatures[failure.signature].append(failure)
            for _, group in sorted(signatures.items(), key=lambda item: -len(item[1])):
                example = group[0]
                kinds = ", ".join(sorted({f.mutant.kind for f in group}))
                lines += [f"  {len(group)} x  [{kinds}]", "    " + example.describe().replace("\n", "\n    ")]
        if self.seconds:
            lines += ["", "slowest scans: " + ", ".join(f"{mid} {s:.1f}s" for s, mid in sorted(self.seconds)[-5:])]
        return "\n".join(lines)


class Runner:
    """Scans mutants in a persistent worker, each in its seed's work folder, and saves a reproducer per failure.

    ``keep`` caps the reproducers saved per signature (None: every failure gets one).
    """

    def __init__(self, work: Path, reproducers: Path, timeout: float = DEFAULT_TIMEOUT, keep: int | None = None,
                 memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        if _in_checkout(work):
            # A scan may read any file of the git checkout it is in, so outside/secret.txt would not be outside.
            raise ValueError(f"{work} is inside a git checkout; put the fuzz work folder elsewhere (a temp folder)")
        self.work = work
        self.reproducers = reproducers
        self.keep = keep
        self.markers = Markers.make()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_VAR_", "SSEGUARD_"))}
        env[ENVIRON_MARKER] = self.markers.environ
        env["SSEGUARD_DB"] = str(work / "history.sqlite3")
        self.env = env
        self.worker = Worker(env, work / "worker.log", timeout, memory_mb)
        self._areas: set[str] = set()
        self._saved: Counter[str] = Counter()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.worker.close()

    def area_of(self, seed: Seed) -> Path:
        """The work folder of a seed, laid out on first use."""
        area = self.work / re.sub(r"[^\w.-]+", "_", seed.name)
        if seed.name not in self._areas:
            seed.lay_out(area, self.markers.outside)
            self._areas.add(seed.name)
        return area

    def run(self, mutant: Mutant) -> tuple[Outcome, list[Failure]]:
        """Scan one mutant and check the outcome; the seed's file is restored afterwards."""
        area = self.area_of(mutant.seed)
        path = area / mutant.target
        path.write_bytes(mutant.data)
        try:
            outcome = self.worker.run(mutant.argv, area)
            problems = check(outcome, self.markers, area)
            failures = [self._failure(problem, mutant, outcome, area) for problem in problems]
        finally:
            path.write_bytes(mutant.seed.source_of(mutant.target).read_bytes())
            with contextlib.suppress(FileNotFoundError):
                (area / CODE_EXEC_FILE).unlink()
        return outcome, failures

    def run_all(self, mutants: Iterable[Mutant], progress: Callable[[int, Results], None] | None = None) -> Results:
        """Scan every mutant; ``progress`` is called after each."""
        results = Results()
        for count, mutant in enumerate(mutants, 1):
            outcome, failures = self.run(mutant)
            results.ran[mutant.kind] += 1
            results.failures.extend(failures)
            results.seconds.append((outcome.seconds, mutant.id))
            if progress is not None:
                progress(count, results)
        return results

    def _failure(self, problem: Problem, mutant: Mutant, outcome: Outcome, area: Path) -> Failure:
        site, trace = None, ""
        if problem.cls in ("hang", "crash"):
            site, trace = src_site_of_dump(outcome.stack), outcome.stack[-6000:]
        elif problem.cls == "traceback" and outcome.escaped is not None:
            site, trace = src_site_of_escaped(outcome.escaped), outcome.escaped["text"]
        elif problem.cls == "internal-error":
            # The CLI turned the exception into one line; run again with SSEGUARD_DEBUG=1 to see where it was.
            again = self.worker.run(mutant.argv, area, debug=True)
            site, trace = src_site_of_escaped(again.escaped), (again.escaped or {}).get("text", "")
        failure = Failure(problem, mutant, None, site, trace)
        if self.keep is None or self._saved[failure.signature] < self.keep:
            self._saved[failure.signature] += 1
            failure.reproducer = self._save(failure, area)
        return failure

    def _save(self, failure: Failure, area: Path) -> Path:
        """Copy the work folder, with the mutant in place, and a README saying how to run it."""
        mutant = failure.mutant
        folder = self.reproducers / failure.problem.cls / mutant.id.replace(":", "-")
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(area, folder, ignore=shutil.ignore_patterns(CODE_EXEC_FILE))
        command = " ".join(["python", "-m", "sseguard", *mutant.argv])
        readme = [
            f"mutant:    {mutant.id} (rebuild: python bench/fuzz.py --replay {mutant.id})",
            f"kind:      {mutant.kind}",
            f"seed:      {mutant.seed.name}",
            f"file:      {mutant.target}",
            f"mutations: {'; '.join(mutant.mutations)}",
            f"problem:   [{failure.problem.cls}] {failure.problem.detail}",
            f"site:      {failure.site or '-'}",
            "",
            "reproduce:",
            f"  cd {folder}",
            f"  {ENVIRON_MARKER}={self.markers.environ} {command}",
            "",
            failure.traceback,
        ]
        (folder / "README.txt").write_text("\n".join(readme) + "\n", encoding="utf-8")
        return folder


def _in_checkout(folder: Path) -> bool:
    here = folder.resolve()
    return any((parent / ".git").exists() for parent in (here, *here.parents))


def mutants_of(kinds: Iterable[str], campaign: int, per_kind: int) -> Iterator[Mutant]:
    """``per_kind`` mutants of each kind, made one at a time (a mutant may be megabytes), interleaved so a short
    run still covers every kind."""
    kinds = list(kinds)
    for index in range(per_kind):
        for kind in kinds:
            yield make_mutant(kind, campaign, index)
