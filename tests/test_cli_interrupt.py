"""Ctrl-C during a large scan ends it with one line, ``sseguard: interrupted``, and exit 130: no worker process of
the parallel Terraform scan prints a traceback of its own or is left running (issue 10)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import write

# Each stream's encryption type takes a bounded but long evaluation (close to the 200,000 iterations a value may
# take), so the scan is still busy in both workers when the interrupt comes, however fast the machine.
SLOW_STREAM = '''resource "aws_kinesis_stream" "s{i}" {{
  name            = "s{i}"
  encryption_type = length([for a in range(400) : [for b in range(400) : b]]) > 0 ? "KMS" : "NONE"
  kms_key_id      = "alias/aws/kinesis"
}}
'''


def test_ctrl_c_during_a_parallel_scan_prints_one_line(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {}
    for folder in ("a", "b"):  # 400 files or more in two folders or more: the tree is read by two processes
        for i in range(210):
            files[f"{folder}/q{i}.tf"] = f'resource "aws_sqs_queue" "q{i}" {{\n  name = "q{i}"\n}}\n'
        for i in range(200):
            files[f"{folder}/slow{i}.tf"] = SLOW_STREAM.format(i=i)
    write(tmp_path, files)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSEGUARD_", "TF_VAR_"))}
    scan = subprocess.Popen([sys.executable, "-m", "sseguard", "scan", str(tmp_path), "--no-history"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        children = Path(f"/proc/{scan.pid}/task/{scan.pid}/children")
        workers: list[str] = []
        while len(workers) < 2 and scan.poll() is None:  # wait for the pool's processes (a state, not a duration)
            time.sleep(0.01)
            with contextlib.suppress(OSError):
                workers = children.read_text().split()
        assert len(workers) == 2, "the scan ended before its worker processes started"
        os.killpg(scan.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole process group
        _, err = scan.communicate(timeout=60)
    finally:
        if scan.poll() is None:
            os.killpg(scan.pid, signal.SIGKILL)
    assert (scan.returncode, err.decode()) == (130, "sseguard: interrupted\n")
    for worker in workers:  # stopped with the scan, not left running on their own
        assert not Path(f"/proc/{worker}").exists() or "zombie" in Path(f"/proc/{worker}/status").read_text()
