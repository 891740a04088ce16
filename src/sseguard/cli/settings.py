"""Reading the settings file before the command line is parsed (its settings become the command's defaults, so the
command line wins), and ``sseguard config show``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sseguard import config
from sseguard.cli.common import EXIT_OK, Subcommands, add_config_option
from sseguard.report.escape import text_safe

# The commands that take settings from the file.
TAKERS = ("scan", "fix", "aws", "remediate")


def register(sub: Subcommands) -> None:
    """Add ``config show``."""
    p = sub.add_parser("config", help="show the settings in force and where each comes from",
                       description="Show the settings a command would run with, and where each comes from.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="the settings in force for a command, and where each comes from")
    show.add_argument("for_command", nargs="?", default="scan", choices=TAKERS, metavar="COMMAND",
                      help="the command whose settings to show: scan (default), fix, aws or remediate")
    add_config_option(show)
    # the other commands are registered by the time it runs: their parsers say which settings they take
    show.set_defaults(func=lambda args: _cmd_show(args, dict(sub.choices)))


def apply(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Make the settings file's settings the defaults of the command ``argv`` runs (a ``ConfigError`` when the file
    cannot be used)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in TAKERS:
        return
    commands = _commands(parser)
    found = _settings_for(commands[command], commands, _named_config(argv))
    if found is not None:
        commands[command].set_defaults(**found.values)


def _settings_for(command: argparse.ArgumentParser, commands: dict[str, argparse.ArgumentParser],
                  named: str | None) -> config.Settings | None:
    path = Path(named) if named else config.find(Path.cwd())
    if path is None:
        return None
    if named and not path.is_file():
        raise config.ConfigError(f"--config {named}: no such file")
    shown = named or os.path.relpath(path)
    written = config.read(path, shown)
    return config.for_command(written, command, [commands[name] for name in TAKERS])


def _named_config(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.partition("=")[2]
    return None


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _cmd_show(args: argparse.Namespace, commands: dict[str, argparse.ArgumentParser]) -> int:
    command = commands[args.for_command]
    found = _settings_for(command, commands, args.config)
    lines = [f"settings of sseguard {args.for_command}"
             + (f", from {found.path}" if found is not None else " (no settings file found)")]
    for key, action in config.keys_of([command]).items():
        if found is not None and action.dest in found.values:
            value, where = found.values[action.dest], found.where(action.dest)
        else:
            value, where = action.default, "default"
        lines.append(f"  {key:<20} {_value(value):<30} ({where})")
    sys.stdout.write("\n".join(text_safe(line) for line in lines) + "\n")
    return EXIT_OK


def _value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value is None:
        return "-"
    return str(value).lower() if isinstance(value, bool) else str(value)
