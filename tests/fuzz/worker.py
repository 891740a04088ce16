"""The fuzz worker: runs ``sseguard.cli.main`` once per request, in this one process, and reports what it did.

A subprocess per mutant spends most of its time importing sseguard; this process imports it once. It reads one JSON
request per line on stdin (``{"argv": [...], "cwd": "...", "debug": false}``) and writes one JSON reply per line:
the exit code, stdout and stderr as the command wrote them (base64), and, when an exception got out of ``main``,
its type, message and frames. ``debug`` sets ``SSEGUARD_DEBUG=1`` so an internal error shows where it was raised.

The scan runs as from a terminal-less shell: stdin is /dev/null, stdout and stderr are UTF-8 byte buffers (the CLI
reconfigures them as it does real ones), and the address space is capped so a memory bomb fails fast instead of
taking the machine. The parent (``runner.Worker``) kills and restarts this process when a reply is late.

usage: python worker.py MEMORY_LIMIT_MB
"""

from __future__ import annotations

import base64
import contextlib
import faulthandler
import io
import json
import os
import resource
import signal
import sys
import time
import traceback
from typing import Any, TextIO

# Run by path, this folder is sys.path[0]: it must not shadow anything sseguard imports.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

_FRAMES_KEPT = 40


def _escaped(exc: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)[-_FRAMES_KEPT:]
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "frames": [[f.filename, f.lineno, f.name] for f in frames],
        "text": "".join(traceback.format_exception(exc, limit=-_FRAMES_KEPT))[-8000:],
    }


def run_one(main: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Run the CLI once as the request says; what it printed and how it ended."""
    os.chdir(request["cwd"])
    if request.get("debug"):
        os.environ["SSEGUARD_DEBUG"] = "1"
    else:
        os.environ.pop("SSEGUARD_DEBUG", None)
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    code: int | None = None
    escaped = None
    started = time.perf_counter()
    try:
        code = main(request["argv"])
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except BaseException as exc:  # everything that got out of main is the finding
        escaped = _escaped(exc)
    finally:
        seconds = time.perf_counter() - started
        for stream in (sys.stdout, sys.stderr):
            # What could not be written is missing from the captured bytes, which the checks then see.
            with contextlib.suppress(OSError, ValueError, UnicodeError):
                stream.flush()
            with contextlib.suppress(ValueError):
                stream.detach()  # a wrapper left to the garbage collector would close its buffer
        sys.stdout, sys.stderr = saved
    return {
        "exit": code,
        "stdout": base64.b64encode(out.getvalue()).decode("ascii"),
        "stderr": base64.b64encode(err.getvalue()).decode("ascii"),
        "escaped": escaped,
        "seconds": seconds,
    }


def serve(requests: TextIO, replies: TextIO) -> None:
    """Answer requests until stdin closes."""
    from sseguard.cli import main

    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in requests:
        reply = run_one(main, json.loads(line))
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def _main() -> None:
    limit = int(sys.argv[1]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # Where it was when it died (a segfault) or when the parent found it stuck (SIGUSR1), in the log on stderr.
    faulthandler.enable()
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # The protocol gets private copies of stdin and stdout; the scan sees /dev/null there, so nothing it reads or
    # writes outside sys.stdout can block or corrupt a reply.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    serve(requests, replies)


if __name__ == "__main__":
    _main()
