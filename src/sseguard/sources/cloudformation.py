"""CloudFormation source: YAML and JSON templates (CDK's ``cdk.out/*.template.json`` too) into the model.

Every ``AWS::Kinesis::Stream`` becomes a stream addressed by its logical id, at the line of that id. Parameters
(defaults and ``--parameter`` overrides), conditions (decided with ``--region`` for ``AWS::Region``), mappings and
the intrinsic functions are evaluated; what cannot be is ``Unknown`` with the way to give it. Keys are followed
into the template's ``AWS::KMS::Key`` and ``AWS::KMS::Alias`` resources. The parts live in ``sources.cfn``.
"""

from __future__ import annotations

from pathlib import Path

from sseguard.model import InputError, ScannedInput, SourceKind, SourceResult
from sseguard.options import ScanOptions
from sseguard.sources.cfn.adapter import adapt
from sseguard.sources.cfn.load import Template, load_template, looks_like_template
from sseguard.sources.safe_load import LoadError
from sseguard.sources.unreadable import unknown_streams, unreadable_file

# How to resolve a stream found in this kind of file when the file itself cannot be read.
_RESOLVE_UNREADABLE = "fix the template so it parses (cfn-lint shows where)"
KIND = SourceKind.CLOUDFORMATION


def sniff(path: Path, head: bytes) -> bool:
    """Whether ``path`` is a CloudFormation template: a top-level ``AWSTemplateFormatVersion`` or ``Resources``."""
    return looks_like_template(path, head)


def load(path: Path, options: ScanOptions) -> SourceResult:
    """Read one template into streams; a template that cannot be read is one error, never an exception."""
    shown = options.display_path(path)
    try:
        template = load_template(path)
    except LoadError as err:
        # Only its words are kept: the error's traceback and context hold the text and what was parsed of it,
        # freed before the text is searched for streams.
        why, line = err.message, err.line
    else:
        return _adapted(path, template, options, shown)
    return unreadable_file(path, KIND, shown, why, _RESOLVE_UNREADABLE, line)


def _adapted(path: Path, template: Template, options: ScanOptions, shown: str) -> SourceResult:
    try:
        streams, errors = adapt(template, options, shown)
    except RecursionError:
        # Conditions or values that refer to each other hundreds of levels deep.
        why = "references nest too deeply to evaluate"
        return unreadable_file(path, KIND, shown, why,
                               "shorten the chain of Conditions or references that refer to each other")
    except Exception as err:  # a bug must not end the whole scan with a traceback
        why = " ".join(f"internal error while evaluating the template ({type(err).__name__}: {err})".split())
        return SourceResult(streams=unknown_streams(path, KIND, shown, why, "please report it; meanwhile scan the "
                                                    "deployed stream with sseguard aws"),
                            errors=[InputError(shown, why + "; please report it")])
    return SourceResult(streams=streams, inputs=[ScannedInput(KIND, shown)], errors=errors,
                        declared={"parameter": set(template.parameters)})
