"""Source adapters: each turns one kind of input into the model. Nothing here judges a stream.

A file source is a module with ``KIND``, ``sniff(path, head) -> bool`` (may this file be mine? ``head`` is the first
bytes) and ``load(path, options) -> SourceResult`` (``file_source.FileSource``). Terraform folders are handled by
``sources.terraform``.

``sniff`` is a quick look at how a file opens. ``load`` makes the decision: a file that parses but does not have
the source's shape raises ``NotThisKind``, and the scan then asks the next source; when none takes the file, it is
not an input. Whether that is an error is the scan's decision, made in one place (``scan._load_data_file``): a file
named on the command line is reported, a file met while walking a folder is not (a folder holds all kinds of JSON).
A file that sniffs as the source's kind but cannot be parsed is always reported, with its streams found in its
text, never dropped.
"""

from __future__ import annotations

from types import ModuleType


def file_sources() -> list[ModuleType]:
    """The file sources in the order they are asked; the first whose ``sniff`` says yes reads the file.

    Imported here, not at the top, so a Terraform-only scan never loads YAML and the JSON readers."""
    from sseguard.sources import cloudformation, describe_stream, plan, state

    return [plan, state, describe_stream, cloudformation]
