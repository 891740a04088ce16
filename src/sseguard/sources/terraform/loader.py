"""Reading a module folder: its files parsed, override files merged, its blocks indexed by kind and name."""

from __future__ import annotations

import difflib
import json
import mmap
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sseguard.files import NotRegularFile, read_regular
from sseguard.model import ErrorKind, InputError, Unknown, Unreadable
from sseguard.options import ScanOptions, printable
from sseguard.sources.terraform.hcl import (
    MAX_FILE_BYTES,
    Attribute,
    Block,
    Body,
    HclSyntaxError,
    ParsedFile,
    SourceFile,
    code_only,
    parse_hcl,
    parse_json,
    with_exponent_fractions,
)
from sseguard.sources.unreadable import numbered

STREAM_TYPE = "aws_kinesis_stream"
K = TypeVar("K")


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
    # Read in part: a file scanned alone while its folder holds more configuration files.
    partial: bool = False
    # What the module declares in text Terraform cannot read: address -> where and why.
    hidden: dict[str, str] = field(default_factory=dict)

    def undeclared(self, address: str, resolve: str, options: ScanOptions) -> Unknown:
        """Why a reference to ``address`` (``var.x``, ``aws_kms_key.k``...) that the module does not declare has no
        value: declared in text that cannot be read, or in a file not scanned, or not at all (Terraform rejects
        that)."""
        hidden = self.hidden.get(address)
        if hidden is not None:
            return Unreadable(f"{address} is declared in a part of the module Terraform cannot read ({hidden})",
                              f"fix {hidden.split(':', 1)[0]}")
        if self.partial:
            shown = options.display_path(self.dir)
            return Unknown(f"{address} is not declared in the file scanned alone; another .tf file of its folder may "
                           "declare it", f"scan the folder {shown} for module context")
        return Unreadable(f"{address} is not declared in this module; Terraform rejects a reference to it", resolve)

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
    if path.is_symlink() and not options.inside(path, fallback=path.parent):
        raise HclSyntaxError(f"a link to {printable(os.path.realpath(path))}, outside the repository the scan is in; "
                             "not read", None, "keep configuration files inside the repository")
    data = PREREAD.pop(str(path), None)
    if data is None:
        data = _read_limited(path)
    if len(data) > MAX_FILE_BYTES:
        raise HclSyntaxError(f"file is over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit for a configuration "
                             "file; not read")
    if b"\0" in data:
        raise HclSyntaxError("binary file (contains NUL bytes); not read", None, "save the file as UTF-8 text")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise HclSyntaxError(f"not UTF-8 text (byte 0x{data[err.start]:02x}); Terraform requires UTF-8", line,
                             "save the file as UTF-8 text, as Terraform requires") from None
    if not path.name.endswith(".json"):
        data = with_exponent_fractions(data)
    return SourceFile(path, display, data)


# Bytes read by ``survey`` before the modules are loaded, so no file is read twice; emptied after each tree.
PREREAD: dict[str, bytes] = {}


def _read_limited(path: Path) -> bytes:
    try:
        return read_regular(path, MAX_FILE_BYTES)
    except NotRegularFile as err:
        raise HclSyntaxError(f"cannot read: {err.strerror}", None, "point the path at a regular file") from None
    except OSError as err:
        raise HclSyntaxError(f"cannot read: {err.strerror or err}", None,
                             "make the file readable by the user running sseguard") from None


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
        module.partial = _has_other_configuration(directory, set(names))
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
        if path.is_symlink():
            if not options.inside(path, fallback=directory):
                # not even looked into: what a file outside the repository says is not the scan's business
                target = printable(os.path.realpath(path))
                module.errors.append(InputError(options.display_path(path), f"a link to {target}, outside the "
                                                "repository the scan is in; not read"))
                continue
            if not path.exists():
                module.errors.append(InputError(options.display_path(path),
                                                "cannot read: a broken or looping symbolic link"))
                continue
        if path.is_dir():
            continue  # a folder named like a file is walked as a folder, as Terraform skips it
        try:
            parsed = parse_file(path, options, fast)
        except HclSyntaxError as err:
            module.errors.append(InputError(options.display_path(path), str(err), err.line))
            _declarations_in_unreadable(path, options, err, module)
            continue
        module.files.append(parsed.file)
        if parsed.error_line is not None:
            module.errors.append(InputError(parsed.file.display, "syntax error; Terraform reads none of this file, so "
                                            "nothing in it decides a verdict", parsed.error_line))
            _find_unread_declarations(parsed, module)
        for name_, attr in parsed.attributes.items():
            # a .tf.json key that is no block type Terraform knows (a misspelled "resource")
            _reject(module, parsed.file, attr.line, f"unsupported block type {name_!r}; Terraform rejects it",
                    (name_,), _labels_of_json(attr.expr.value))
        (overrides if _is_override(name) else primary).append(parsed)
    for parsed in primary:
        for block in parsed.blocks:
            _index(module, block, override=False)
    for parsed in overrides:
        for block in parsed.blocks:
            _index(module, block, override=True)
    if not fast:
        _report_redefinitions(module, [*primary, *overrides])
    return module


def _has_other_configuration(directory: Path, read: set[str]) -> bool:
    try:
        return any(n.endswith((".tf", ".tf.json")) and n not in read for n in os.listdir(directory))
    except OSError:
        return False


def _report_redefinitions(module: Module, files: list[ParsedFile]) -> None:
    """Every block with an argument defined twice is an error Terraform reports (a large tree checks only the
    blocks a stream reads, when it reads them)."""
    for parsed in files:
        for block in parsed.blocks:
            if block.problem is not None:
                module.errors.append(InputError(parsed.file.display, block.problem, block.line, ErrorKind.INCOMPLETE))


# Terraform's top-level block types and how many labels each takes.
_BLOCK_LABELS = {"resource": 2, "data": 2, "ephemeral": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
                 "check": 1, "locals": 0, "terraform": 0, "moved": 0, "import": 0, "removed": 0}


def _index(module: Module, block: Block, override: bool) -> None:
    kind, labels = block.type, block.labels
    expected = _BLOCK_LABELS.get(kind)
    if expected is None:
        _reject(module, block.file, block.line, f"unsupported block type {kind!r}; Terraform rejects it",
                (kind, *labels))
        return
    if expected != len(labels):
        _reject(module, block.file, block.line, f"a {kind} block takes {expected} label{'s' if expected != 1 else ''}, "
                f"this one has {len(labels)}; Terraform rejects it", (kind, *labels))
        return
    if kind == "locals":
        for name, attr in block.body.attributes.items():
            module.locals[name] = attr
        return
    if kind in ("terraform", "moved", "removed", "check", "ephemeral"):
        return
    if kind == "provider":
        module.providers.append(block)  # overrides of providers are rare; later blocks win by alias
        return
    if kind == "import":
        module.imports.append(block)
        return
    if kind in ("resource", "data"):
        _place(module.resources if kind == "resource" else module.data, (labels[0], labels[1]), block, override)
    else:
        table = {"variable": module.variables, "output": module.outputs, "module": module.calls}[kind]
        _place(table, labels[0], block, override)


def _reject(module: Module, file: SourceFile, line: int, why: str, words: tuple[str, ...],
            more: tuple[str, ...] = ()) -> None:
    """A block Terraform rejects: an error, and what it seems to declare (a stream, a key, a variable) is known to
    be declared in a block that cannot be read, so nothing that depends on it passes."""
    module.errors.append(InputError(file.display, why, line, ErrorKind.INCOMPLETE))
    declared = _seeming_declaration((*words, *more))
    if declared is not None:
        where = f"{file.display}:{line}: {why}"
        _hide(module, declared, file.display, line, where, f"the block cannot be read ({where})",
              "fix the block so Terraform accepts it (terraform validate)")


def _hide(module: Module, declared: str, display: str, line: int, where: str, reason: str, resolve: str) -> None:
    """Something declared in text Terraform cannot read (``where``): a stream there is unknown (``reason``), and a
    reference to anything else there names the place."""
    if declared.endswith("." + _UNNAMED):
        declared = declared.removesuffix(_UNNAMED) + f"(unnamed, line {line})"
    module.hidden.setdefault(declared, where)
    if declared.startswith(STREAM_TYPE + "."):
        module.unread_streams.append(UnreadStream(declared.removeprefix(STREAM_TYPE + "."), display, line, reason,
                                                  resolve))


def _seeming_declaration(words: tuple[str, ...]) -> str | None:
    """What a rejected header such as ``resouce "aws_kms_key" "k"`` or ``resource "aws_kinesis_stream"`` seems to
    declare: ``aws_kms_key.k``, ``data.T.N``, ``var.N``, ``module.N``; a stream without a name is named by line
    later. None when it declares nothing sseguard reads."""
    if not words:
        return None
    kind, labels = _closest_kind(words[0]), words[1:]
    if kind in ("resource", "data") and labels:
        name = labels[1] if len(labels) > 1 else _UNNAMED
        address = f"{labels[0]}.{name}"
        return address if kind == "resource" else f"data.{address}"
    if kind in ("variable", "module") and labels:
        return f"{'var' if kind == 'variable' else 'module'}.{labels[0]}"
    return None


_UNNAMED = "(unnamed)"


@lru_cache(maxsize=512)
def _closest_kind(word: str) -> str:
    if word in _BLOCK_LABELS:
        return word
    found = difflib.get_close_matches(word.lower(), list(_BLOCK_LABELS), n=1, cutoff=0.6)
    return found[0] if found else word


def _labels_of_json(value: Any) -> tuple[str, ...]:
    """The labels a misspelled .tf.json block type nests (``{"aws_kinesis_stream": {"s": {...}}}``), first path."""
    labels: list[str] = []
    while isinstance(value, dict) and value and len(labels) < 2:
        key = next(iter(value))
        labels.append(str(key))
        value = value[key]
    return tuple(labels)


# A block header as text, read loosely so a header Terraform rejects still says what it declares: the keyword (maybe
# misspelled), the first label (maybe unterminated) and the name.
_HEADER = re.compile(rb'^[ \t]*([A-Za-z_][\w-]*)[ \t]+"([^"\n]*)"?(?:[ \t]*"?([A-Za-z_][\w-]*)"?)?', re.MULTILINE)
# In JSON syntax: "aws_kinesis_stream": { "name": ...
_JSON_DECL = re.compile(rb'"(aws_[\w-]+)"\s*:\s*\{\s*"([^"\\]+)"\s*:')


def _text_declarations(text: bytes | mmap.mmap, json_syntax: bool) -> list[tuple[str, int]]:
    """What a file's text declares (``aws_kms_key.k``, ``data.T.N``, ``var.N``, ``module.N``, streams), with lines.
    In HCL held in memory, commented-out blocks and heredoc text are not declarations; a mapped file too large to
    copy is searched as it is."""
    if json_syntax:
        return [(f"{m.group(1).decode()}.{m.group(2).decode('utf-8', 'replace')}", line)
                for m, line in numbered(text, _JSON_DECL.finditer(text), group=2)]
    if isinstance(text, bytes):
        text = code_only(text)
    found: list[tuple[str, int]] = []
    for m, line in numbered(text, _HEADER.finditer(text)):
        words = tuple(w.decode("utf-8", "replace").strip() for w in m.groups() if w is not None)
        declared = _seeming_declaration(words)
        if declared is not None:
            found.append((declared, line))
    return found


def _find_unread_declarations(parsed: ParsedFile, module: Module) -> None:
    """After a syntax error, blocks may have been swallowed: what the text declares that the parser did not read
    is hidden (a stream there is unknown)."""
    read = {_address_of(b) for b in parsed.blocks}
    where = f"syntax error near line {parsed.error_line} of {parsed.file.display}"
    for declared, line in _text_declarations(parsed.file.data, parsed.file.path.name.endswith(".json")):
        if declared not in read:
            _hide(module, declared, parsed.file.display, line, where, f"the block could not be parsed ({where})",
                  "fix the syntax error (terraform validate shows it)")


def _address_of(block: Block) -> str | None:
    labels = block.labels
    if block.type == "resource" and len(labels) == 2:
        return f"{labels[0]}.{labels[1]}"
    if block.type == "data" and len(labels) == 2:
        return f"data.{labels[0]}.{labels[1]}"
    if block.type in ("variable", "module") and len(labels) == 1:
        return f"{'var' if block.type == 'variable' else 'module'}.{labels[0]}"
    return None


def _declarations_in_unreadable(path: Path, options: ScanOptions, err: HclSyntaxError, module: Module) -> None:
    """A file that could not be parsed at all may still declare streams (unknown, never missing) and what streams
    use (a reference to it names the file)."""
    try:
        data = _read_limited(path)
    except HclSyntaxError:
        return  # unreadable: the error already says so, and there is no text to look in
    display = options.display_path(path)
    where = f"{display}:{err.line}: {err}" if err.line else f"{display}: {err}"
    json_syntax = path.name.endswith(".json")
    if len(data) > MAX_FILE_BYTES:
        declared = _mapped_declarations(path, json_syntax)
        resolve = (f"split the file into files under {MAX_FILE_BYTES >> 20} MiB, the most sseguard parses as one "
                   "configuration file")
    else:
        declared = _text_declarations(data, json_syntax)
        resolve = err.resolve
    for address, line in declared:
        _hide(module, address, display, line, where, f"the file cannot be read ({where})", resolve)


def _mapped_declarations(path: Path, json_syntax: bool) -> list[tuple[str, int]]:
    """Declarations in a file too large to parse, found by mapping it into memory rather than reading it."""
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return _text_declarations(mapped, json_syntax)
    except (OSError, ValueError):
        return []  # a file that cannot be mapped (a pipe, an empty file) is left to the read error


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
    merged = Block(base.type, base.labels, base.file, base.line, base.end_line, base.has_error or over.has_error,
                   _problem=base.problem or over.problem)
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
                data = read_regular(path, MAX_FILE_BYTES)
            except OSError:
                continue  # the loader reports it
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
