"""The Config rule's Lambda deployment package: a zip of the installed modules the handler imports, built the same
to the byte every time.

What goes in is found, not listed: a fresh interpreter imports boto3, then the handler, and names every module the
handler added. The ``sseguard`` ones go in, and so would any third-party package they import (pure Python only: a
compiled one would have to match the Lambda platform). boto3 and what it imports come from the Lambda runtime.
Reproducible: entries sorted, every timestamp 1980-01-01 00:00 (the oldest a zip can hold), every file mode 0644.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

HANDLER = "sseguard.integrations.config_rule.handler"
_MODULE = HANDLER.rpartition(".")[0]
_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_UNIX = 3  # the zip "made by" system whose modes unzip and Lambda read

# Run in a fresh interpreter: the modules boto3 brings are the runtime's; the rest are the handler's own.
_PROBE = """
import json, sys
import boto3, botocore.session
before = set(sys.modules)
import {module}
added = {{}}
for name in sorted(set(sys.modules) - before):
    top = name.partition(".")[0]
    path = getattr(sys.modules[name], "__file__", None)
    if top not in sys.stdlib_module_names and path:
        added[name] = path
print(json.dumps(added))
"""


class PackageError(Exception):
    """The package cannot be built (the handler does not import, or needs a compiled module)."""


@dataclass(frozen=True)
class Package:
    """A built zip: where it is, its size in bytes, and its entries in order."""

    path: Path
    size: int
    entries: tuple[str, ...]


def handler_files(python: str = sys.executable) -> dict[str, Path]:
    """Archive name -> file, for every module the handler's import adds to boto3's."""
    probe = subprocess.run([python, "-c", _PROBE.format(module=_MODULE)], capture_output=True, text=True,
                           timeout=120, check=False, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if probe.returncode != 0:
        raise PackageError(f"importing {_MODULE} failed: {probe.stderr.strip().splitlines()[-1:]}")
    files: dict[str, Path] = {}
    for name, path in json.loads(probe.stdout).items():
        source = Path(path)
        if source.suffix != ".py":
            raise PackageError(f"{name} is not pure Python ({source.name}); the Lambda zip cannot carry it")
        files[_arcname(name, source)] = source
    return files


def _arcname(module: str, source: Path) -> str:
    base = module.replace(".", "/")
    return f"{base}/__init__.py" if source.name == "__init__.py" else f"{base}.py"


def build(output: Path, python: str = sys.executable) -> Package:
    """Write the zip to ``output`` (through a temporary file beside it, so a failed build leaves no half zip)."""
    files = handler_files(python)
    names = tuple(sorted(files))
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = _FILE_MODE
            info.create_system = _UNIX
            archive.writestr(info, files[name].read_bytes(), compresslevel=9)
    partial.replace(output)
    return Package(output, output.stat().st_size, names)
