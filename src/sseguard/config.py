"""The settings file: ``.sseguard.yaml`` (or ``[tool.sseguard]`` in ``pyproject.toml``), found in the current folder
or a parent up to the repository's top, or named with ``--config``.

It holds any option of ``scan``, ``fix``, ``aws`` and ``remediate`` but ``--write`` and ``--apply``, under the
option's name (``fail_on``, ``strict_key_policy``, ``exclude``...) or its plural for a repeatable one (``vars``,
``var_files``, ``parameters``, ``regions``, ``outputs``). The settings become the command's defaults, so the command
line always wins; a repeatable option given in both places gets both (the command line's last). An unknown key or a
value of the wrong type is an error naming the file and line, never ignored. Paths in the file are relative to the
file's folder.
"""

from __future__ import annotations

import argparse
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sseguard.sources.safe_load import LMap, LoadError, load_yaml

FILE_NAMES = (".sseguard.yaml", ".sseguard.yml")
# Keys written as the plural of their option.
_PLURALS = {"vars": "var", "var_files": "var_file", "parameters": "parameter", "regions": "region",
            "outputs": "output", "role_arns": "role_arn"}
# Options that name files: made relative to the settings file's folder.
_PATHS = frozenset({"var_file", "output", "baseline", "write_baseline", "db"})
# Options that are not settings: what to scan, the settings file itself, and the consent to change what the user
# owns (fix --write, remediate --apply), which is given on the command line each time, never by a file.
_NOT_SETTINGS = frozenset({"paths", "config", "help", "func", "command", "write", "apply"})
MAX_BYTES = 1024 * 1024


class ConfigError(ValueError):
    """A settings file that cannot be used; the message names the file and line."""


@dataclass
class Settings:
    """The settings a file gives: option name -> value, and where each was written (``file:line``)."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, name: str) -> str:
        """``.sseguard.yaml:3`` for a setting of this file."""
        line = self.lines.get(name)
        return f"{self.path}:{line}" if line else str(self.path)


def find(start: Path) -> Path | None:
    """The settings file for a run in ``start``: the nearest ``.sseguard.yaml``, or ``pyproject.toml`` with a
    ``[tool.sseguard]`` table, in ``start`` or a parent, stopping at the repository's top (the folder holding
    ``.git``); outside a repository only ``start`` is looked in."""
    folder = start.resolve()
    top = next((p for p in (folder, *folder.parents) if (p / ".git").exists()), folder)
    while True:
        for name in FILE_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
        if folder == top or folder.parent == folder:
            return None
        folder = folder.parent


def _has_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[tool\.sseguard\]", text, re.MULTILINE) is not None


@dataclass
class Written:
    """A settings file as written: key -> value, and the line of each key."""

    shown: str
    folder: Path
    values: Mapping[str, Any]
    lines: dict[str, int]


def read(path: Path, shown: str) -> Written:
    """Read a settings file (YAML, or the ``[tool.sseguard]`` table of a ``pyproject.toml``)."""
    try:
        data = path.read_bytes()[:MAX_BYTES + 1]
    except OSError as err:
        raise ConfigError(f"{shown}: cannot be read: {err.strerror or err}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{shown}: larger than {MAX_BYTES // 1024} KiB; not a settings file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not UTF-8 text") from None
    values, lines = _toml(text, shown) if path.name == "pyproject.toml" else _yaml(text, shown)
    return Written(shown, path.parent, values, lines)


def for_command(written: Written, command: argparse.ArgumentParser,
                parsers: Sequence[argparse.ArgumentParser]) -> Settings:
    """The settings one command takes from a file, typed as its options are. A key no command knows, or a value
    of the wrong type for this command's option, is a ``ConfigError``; a key only other commands take is left to
    them (``regions`` is aws's, ``region`` scan's)."""
    known = keys_of(parsers)
    mine = keys_of([command])
    settings = Settings(Path(written.shown))
    for key, value in written.values.items():
        where = f"{written.shown}:{written.lines[key]}" if key in written.lines else written.shown
        if not isinstance(key, str) or key not in known:
            raise ConfigError(f"{where}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
        action = mine.get(key)
        if action is None:
            continue  # another command's setting
        settings.values[action.dest] = _checked(value, action, key, where, written.folder)
        if key in written.lines:
            settings.lines[action.dest] = written.lines[key]
    return settings


def keys_of(parsers: Sequence[argparse.ArgumentParser]) -> dict[str, argparse.Action]:
    """The settings keys of the commands' options: the option's name, or its plural for a repeatable one that
    has one (``vars``, ``regions``)."""
    plural = {v: k for k, v in _PLURALS.items()}
    found: dict[str, argparse.Action] = {}
    for parser in parsers:
        for action in parser._actions:
            if not action.option_strings or action.dest in _NOT_SETTINGS:
                continue
            key = plural.get(action.dest, action.dest) if isinstance(action, argparse._AppendAction) else action.dest
            found.setdefault(key, action)
    return found


def _yaml(text: str, shown: str) -> tuple[Mapping[str, Any], dict[str, int]]:
    try:
        doc = load_yaml(text) if text.strip() else LMap(1, 1)
    except LoadError as err:
        raise ConfigError(f"{shown}:{err.line}: {err}" if err.line else f"{shown}: {err}") from None
    if not isinstance(doc, LMap):
        raise ConfigError(f"{shown}: the settings must be a mapping of option names to values")
    return doc, dict(doc.key_lines)


def _toml(text: str, shown: str) -> tuple[Mapping[str, Any], dict[str, int]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{shown}: {err}") from None
    table = doc.get("tool", {}).get("sseguard", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{shown}: [tool.sseguard] must be a table")
    # tomllib keeps no positions: a key's line is where it is written inside the [tool.sseguard] table
    lines: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            inside = header.group(1).strip() == "tool.sseguard"
            continue
        key = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", line)
        if inside and key and key.group(1) in table:
            lines.setdefault(key.group(1), number)
    return table, lines


def _checked(value: Any, action: argparse.Action, key: str, where: str, folder: Path) -> Any:
    """The value as the option's own parsing would give it; a wrong type is a ``ConfigError``."""
    name = action.dest
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false, not {_shown(value)}")
        return value
    if isinstance(action, argparse._AppendAction):
        if name in ("var", "parameter", "output") and isinstance(value, Mapping):
            items = [f"{k}={_scalar(v, key, where)}" for k, v in value.items()]
        elif isinstance(value, list):
            items = [_scalar(v, key, where) for v in value]
        else:
            also = " or a mapping" if name in ("var", "parameter", "output") else ""
            raise ConfigError(f"{where}: {key} must be a list{also}, not {_shown(value)}")
        return [_path(i, folder) for i in items] if name in _PATHS else items
    if isinstance(value, (list, dict)) or value is None:
        raise ConfigError(f"{where}: {key} must be a single value, not {_shown(value)}")
    if action.type in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: {key} must be a number, not {_shown(value)}")
        return action.type(value)
    text = _scalar(value, key, where)
    if action.choices is not None and text not in action.choices:
        raise ConfigError(f"{where}: {key} must be one of {', '.join(map(str, action.choices))}, not {text!r}")
    return _path(text, folder) if name in _PATHS else text


def _scalar(value: Any, key: str, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ConfigError(f"{where}: {key} holds {_shown(value)}, where a text or number is expected")


def _path(text: str, folder: Path) -> str:
    """A path of the settings file, relative to its folder (as ``FORMAT=PATH`` for an output)."""
    fmt, sep, rest = text.partition("=")
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", fmt):
        return f"{fmt}={_path(rest, folder)}"
    return text if os.path.isabs(text) else os.path.relpath(folder / text)


def _shown(value: Any) -> str:
    kind = {list: "a list", dict: "a mapping", type(None): "nothing"}.get(type(value))
    if isinstance(value, LMap):
        kind = "a mapping"
    return kind or repr(value)
