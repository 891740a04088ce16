"""Reading a module folder: its files parsed, override files merged, its blocks indexed by kind and name."""

from __future__ import annotations

import json
import mmap
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sseguard.model import InputError
from sseguard.options import ScanOptions
from sseguard.sources.terraform.hcl import (
    MAX_FILE_BYTES,
    Attribute,
    Block,
    Body,
    HclSyntaxError,
    ParsedFile,
    SourceFile,
    parse_hcl,
    parse_json,
)
from sseguard.sources.unreadable import numbered

STREAM_TYPE = "aws_kinesis_stream"
K = TypeVar("K")
_STREAM_DECL = re.compile(rb'^[ \t]*resource[ \t]+"aws_kinesis_stream"[ \t]+"([^"]+)"', re.MULTILINE)


def is_terraform_file(path: Path) -> bool:
    """A Terraform configuration file (not a tfvars file)."""
    name = path.name
    return name.endswith(".tf") or name.endswith(".tf.json")


def _is_override(name: str) -> bool:
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


@dataclass
class UnreadStream:
    """A stream declaration seen in a file's text that the parser could not read as a block."""

    name: str
    display: str
    line: int
    reason: str
    resolve: str


@dataclass
class Module:
    """One module folder, parsed. Indexes hold the merged blocks (override files applied)."""

    dir: Path
    resources: dict[tuple[str, str], Block] = field(default_factory=dict)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    calls: dict[str, Block] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)
    imports: list[Block] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    unread_streams: list[UnreadStream] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)

    def resources_of(self, rtype: str) -> list[tuple[str, Block]]:
        """The managed resources of one type, by name (indexed on first use: a tree has many types)."""
        if self._by_type is None:
            self._by_type = {}
            for (t, name), block in self.resources.items():
                self._by_type.setdefault(t, []).append((name, block))
        return self._by_type.get(rtype, [])

    _by_type: dict[str, list[tuple[str, Block]]] | None = None


def read_source(path: Path, options: ScanOptions) -> SourceFile:
    """Read a configuration file's bytes, refusing what cannot be Terraform text (huge, binary, not UTF-8)."""
    display = options.display_path(path)
    data = PREREAD.pop(str(path), None)
    if data is None:
        data = _read_limited(path)
    if len(data) > MAX_FILE_BYTES:
        raise HclSyntaxError(f"file is over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit for a configuration "
                             "file; not read")
    if b"\0" in data:
        raise HclSyntaxError("binary file (contains NUL bytes); not read")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise HclSyntaxError(f"not UTF-8 text (byte 0x{data[err.start]:02x}); Terraform requires UTF-8", line) from None
    return SourceFile(path, display, data)


# Bytes read by ``survey`` before the modules are loaded, so no file is read twice; emptied after each tree.
PREREAD: dict[str, bytes] = {}


def _read_limited(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise HclSyntaxError(f"cannot read: {err.strerror or err}") from None


def parse_file(path: Path, options: ScanOptions, fast: bool = False) -> ParsedFile:
    """Read and parse one file by its syntax (``fast``: see ``parse_hcl``)."""
    source = read_source(path, options)
    return parse_json(source) if path.name.endswith(".json") else parse_hcl(source, fast)


def load_module(directory: Path, options: ScanOptions, only: list[Path] | None = None, fast: bool = False) -> Module:
    """Parse every configuration file of a folder (or ``only`` those) and index its blocks; errors are kept in the
    module, never raised. ``fast``: blocks are parsed only when needed (see ``parse_hcl``)."""
    module = Module(directory)
    if only is not None:
        names = [p.name for p in only]
    else:
        try:
            names = sorted(os.listdir(directory))
        except OSError as err:
            module.errors.append(InputError(options.display_path(directory), f"cannot read folder: {err.strerror}"))
            return module
    primary: list[ParsedFile] = []
    overrides: list[ParsedFile] = []
    for name in names:
        if not name.endswith((".tf", ".tf.json")):
            continue
        path = directory / name
        if not path.is_file():
            if path.is_symlink():
                module.errors.append(InputError(options.display_path(path),
                                                "cannot read: a broken or looping symbolic link"))
            continue
        try:
            parsed = parse_file(path, options, fast)
        except HclSyntaxError as err:
            module.errors.append(InputError(options.display_path(path), str(err), err.line))
            _streams_in_unreadable(path, options, str(err), err.line, module)
            continue
        module.files.append(parsed.file)
        if parsed.error_line is not None:
            module.errors.append(InputError(parsed.file.display, "syntax error; blocks around it may be misread",
                                            parsed.error_line))
            _find_unread_streams(parsed, module)
        (overrides if _is_override(name) else primary).append(parsed)
    for parsed in primary:
        for block in parsed.blocks:
            _index(module, block, override=False)
    for parsed in overrides:
        for block in parsed.blocks:
            _index(module, block, override=True)
    return module


_STREAM_DECL_JSON = re.compile(rb'"aws_kinesis_stream"\s*:\s*\{\s*"([^"]+)"\s*:')


# What in HCL text can hold a line that looks like a declaration but is not one: comments and heredoc bodies.
# Quoted strings are matched too, only so that a '#' or '/*' inside one is not taken for a comment.
_NOT_CODE = re.compile(
    rb'"(?:[^"\\\n]|\\.)*"|#[^\n]*|//[^\n]*|/\*.*?\*/|<<-?"?([A-Za-z_]\w*)"?[ \t]*\n.*?^[ \t]*\1[ \t]*$',
    re.DOTALL | re.MULTILINE,
)


def _code_only(text: bytes) -> bytes:
    """HCL text with comments and heredoc bodies blanked (newlines kept, so lines still count)."""
    def blank(m: re.Match[bytes]) -> bytes:
        found = m.group(0)
        return found if found.startswith(b'"') else re.sub(rb"[^\n]", b" ", found)
    return _NOT_CODE.sub(blank, text)


def _declared_streams(text: bytes | mmap.mmap, json_syntax: bool) -> list[tuple[str, int]]:
    """Stream names declared in a file's text, with their lines (a JSON object's first stream only). In HCL held
    in memory, commented-out blocks and heredoc text are not declarations; a mapped file too large to copy is
    searched as it is."""
    if not json_syntax and isinstance(text, bytes):
        text = _code_only(text)
    pattern = _STREAM_DECL_JSON if json_syntax else _STREAM_DECL
    return [(m.group(1).decode("utf-8", "replace"), line)
            for m, line in numbered(text, pattern.finditer(text), group=1)]


def _find_unread_streams(parsed: ParsedFile, module: Module) -> None:
    """After a syntax error, a stream block may have been swallowed: find declarations the parser did not read."""
    read = {b.labels[1] for b in parsed.blocks if b.type == "resource" and b.labels[:1] == (STREAM_TYPE,)
            and len(b.labels) > 1}
    for name, line in _declared_streams(parsed.file.data, parsed.file.path.name.endswith(".json")):
        if name not in read:
            module.unread_streams.append(UnreadStream(
                name, parsed.file.display, line,
                f"the block could not be parsed (syntax error near line {parsed.error_line} of "
                f"{parsed.file.display})", "fix the syntax error (terraform validate shows it)"))


def _streams_in_unreadable(path: Path, options: ScanOptions, why: str, line: int | None, module: Module) -> None:
    """A file that could not be parsed at all may still declare streams: they are unknown, never missing."""
    try:
        data = _read_limited(path)
    except HclSyntaxError:
        return  # unreadable: the error already says so, and there is no text to look in
    if b"\0" in data:
        return  # binary: not a configuration, so it declares nothing
    display = options.display_path(path)
    where = f"{display}:{line}" if line else display
    reason = f"the file cannot be read ({where}: {why})"
    if len(data) > MAX_FILE_BYTES:
        declared = _declared_streams_mapped(path)
        resolve = (f"split the file into files under {MAX_FILE_BYTES >> 20} MiB, the most sseguard parses as "
                   "one configuration file")
    else:
        declared = _declared_streams(data, path.name.endswith(".json"))
        resolve = "save the file as UTF-8 text, as Terraform requires"
    for name, decl_line in declared:
        module.unread_streams.append(UnreadStream(name, display, decl_line, reason, resolve))


def _declared_streams_mapped(path: Path) -> list[tuple[str, int]]:
    """Stream declarations in a file too large to parse, found by mapping it into memory rather than reading it."""
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return _declared_streams(mapped, path.name.endswith(".json"))
    except (OSError, ValueError):
        return []  # a file that cannot be mapped (a pipe, an empty file) is left to the read error


def _index(module: Module, block: Block, override: bool) -> None:
    kind, labels = block.type, block.labels
    if kind == "locals":
        for name, attr in block.body.attributes.items():
            module.locals[name] = attr
        return
    if kind == "terraform" or kind == "moved" or kind == "removed" or kind == "check":
        return
    if kind == "provider" and labels:
        module.providers.append(block)  # overrides of providers are rare; later blocks win by alias
        return
    if kind == "import":
        module.imports.append(block)
        return
    if kind in ("resource", "data") and len(labels) == 2:
        _place(module.resources if kind == "resource" else module.data, (labels[0], labels[1]), block, override)
    elif kind in ("variable", "output", "module") and len(labels) == 1:
        table = {"variable": module.variables, "output": module.outputs, "module": module.calls}[kind]
        _place(table, labels[0], block, override)


def _place(table: dict[K, Block], key: K, block: Block, override: bool) -> None:
    """A primary block is indexed as it is; an override block is merged into the block it overrides."""
    existing = table.get(key)
    if override and existing is not None:
        table[key] = merge_override(existing, block)
    elif not override:
        table[key] = block


def merge_override(base: Block, over: Block) -> Block:
    """Terraform's override rules: attributes replace attributes; nested blocks of a type replace all of that type."""
    body = Body(dict(base.body.attributes), list(base.body.blocks))
    body.attributes.update(over.body.attributes)
    replaced = {b.type for b in over.body.blocks}
    body.blocks = [b for b in body.blocks if b.type not in replaced] + list(over.body.blocks)
    merged = Block(base.type, base.labels, base.file, base.line, base.end_line, base.has_error or over.has_error)
    merged.body = body
    return merged


# Module sources that are folders on disk; anything else comes from a registry or VCS.
def local_source(source: str) -> bool:
    return source.startswith("./") or source.startswith("../") or source in (".", "..")


def downloaded_modules(root: Path) -> dict[str, Path]:
    """``.terraform/modules/modules.json`` of a root module: call key ("a.b") -> folder of the downloaded copy."""
    manifest = root / ".terraform" / "modules" / "modules.json"
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, Path] = {}
    for entry in doc.get("Modules", []) if isinstance(doc, dict) else []:
        if isinstance(entry, dict) and isinstance(entry.get("Key"), str) and isinstance(entry.get("Dir"), str):
            out[entry["Key"]] = (root / entry["Dir"]).resolve()
    return out


_LOCAL_SOURCE_JSON = re.compile(rb'"source"\s*:\s*"(\.{1,2}(?:/[^"]*)?)"')
_LOCAL_SOURCE = re.compile(rb'^[ \t]*source[ \t]*=[ \t]*"(\.{1,2}(?:/[^"]*)?)"', re.MULTILINE)


def survey(dirs: list[Path], keep: bool) -> tuple[set[Path], int]:
    """Folders these modules call by local source, found with a cheap text scan (to tell root modules from called
    ones before parsing anything), and the bytes of configuration read. ``keep``: hand the bytes to the loader."""
    called: set[Path] = set()
    total = 0
    for directory in dirs:
        base = str(directory)
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            if not name.endswith((".tf", ".tf.json")):
                continue
            path = os.path.join(base, name)
            try:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_FILE_BYTES + 1)
            except OSError:
                continue
            total += len(data)
            if keep:
                PREREAD[path] = data
            if b"module" not in data or b"source" not in data or b"\0" in data:
                continue  # a binary file is refused by the loader, with its error
            pattern = _LOCAL_SOURCE_JSON if name.endswith(".json") else _LOCAL_SOURCE
            for m in pattern.finditer(data):
                target = (directory / m.group(1).decode("utf-8", "replace")).resolve()
                if target != directory:
                    called.add(target)
    return called, total
