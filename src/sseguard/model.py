"""The one model every source is adapted into, and the verdict the control gives it.

A fact a source could not establish is never ``None`` and never a guess. It is one of two explicit markers:

- ``Unknown``: the fact decides the verdict and could not be resolved (a variable with no value, a live call that
  failed). It flows to an ``unknown`` verdict with its reason code and the way to resolve it.
- ``OutOfReach``: the fact only feeds a key check (KSSE011-016) and is not available from this source (a key in
  another account, a key outside the scanned files). The check is skipped and the evidence says why; the control
  itself (SSE on, key given) is still decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Unknown:
    """A value that decides the verdict but could not be resolved."""

    reason: str
    resolve: str = ""
    code: str = "KSSE020"


@dataclass(frozen=True)
class Unreadable(Unknown):
    """An ``Unknown`` the input holds but that cannot be read: a file not read, a declaration the tool (Terraform,
    CloudFormation) rejects, an expression in error. Unlike a value merely not given, a key fact that is unreadable
    never lets its key check be skipped: the stream is unknown."""


@dataclass(frozen=True)
class OutOfReach:
    """A key fact this source cannot know; the key check that needs it is skipped, with this reason."""

    reason: str


def unresolved(value: object) -> Unknown | OutOfReach | None:
    """Why a fact is not known (its ``Unknown`` or ``OutOfReach``), or None when it is."""
    return value if isinstance(value, Unknown | OutOfReach) else None


def resolved_or_none(value: T | Unknown | OutOfReach) -> T | None:
    """A fact when it is known, else None (for reports that show what is known and leave the rest blank)."""
    return None if isinstance(value, Unknown | OutOfReach) else value


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    SUPPRESSED = "suppressed"
    # Accepted by the baseline the run was given: the verdict is kept, and the run does not fail on it.
    BASELINED = "baselined"


class SourceKind(StrEnum):
    TERRAFORM = "terraform"
    PLAN = "plan"
    STATE = "state"
    CLOUDFORMATION = "cloudformation"
    AWS_DESCRIBE_STREAM = "aws-describe-stream"
    AWS = "aws"


class KeyManager(StrEnum):
    AWS = "AWS"
    CUSTOMER = "CUSTOMER"


class KeyState(StrEnum):
    """KMS key states, spelled as DescribeKey spells them, plus ``Missing`` for a key that does not exist."""

    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
    PENDING_IMPORT = "PendingImport"
    UNAVAILABLE = "Unavailable"
    CREATING = "Creating"
    UPDATING = "Updating"
    MISSING = "Missing"


class PolicyOrigin(StrEnum):
    """How a key's policy is known: given by the input, KMS's default (the key sets none), or read live."""

    GIVEN = "given"
    DEFAULT = "default"
    LIVE = "live"


@dataclass(frozen=True)
class Location:
    """Where a stream was found: a file and line for source inputs, an ARN or account/region for live ones."""

    kind: SourceKind
    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    # A stream in a called Terraform module: the folder of the root module it was reached from. One module folder
    # can be called from several roots (env/dev, env/prod), giving streams with the same address, file and line.
    root: str | None = None

    @property
    def root_note(self) -> str:
        """`` (root env/dev)`` when the stream came through a root module's call, else empty."""
        return f" (root {self.root})" if self.root else ""


# A source that says nothing of a key's rotation (a key it only knows by reference): the key check then gives the
# reason the key's other facts are out of reach.
ROTATION_NOT_SAID = OutOfReach("the key's rotation is not known")


@dataclass(frozen=True)
class Origin:
    """Where a value a stream uses is written, so a fixer can edit that place: the file on disk, the byte span
    of the expression (for a block: the whole block, where a missing argument is added), its first line, and how
    the stream reaches it in words (``the argument itself``, ``variable "enc" default``, ``dev.tfvars``)."""

    path: str
    start: int
    end: int
    line: int
    via: str


@dataclass(frozen=True)
class Key:
    """What is known of the KMS key a stream names. ``reference`` is the key as the stream gives it."""

    reference: str
    arn: str | None = None
    region: str | Unknown | OutOfReach = OutOfReach("the key's region is not known")
    account: str | None = None
    manager: KeyManager | Unknown | OutOfReach = OutOfReach("the key's manager is not known")
    state: KeyState | Unknown | OutOfReach = OutOfReach("the key's state is not known")
    # A parsed key-policy document (JSON object). A policy that is not written anywhere but is known to be the
    # default one is given as that default document, with ``policy_origin`` saying so.
    policy: Mapping[str, Any] | Unknown | OutOfReach = OutOfReach("the key's policy is not known")
    policy_origin: PolicyOrigin | None = None
    # Where the policy was found, in words (a resource, a KeyPolicy, the call that read it), for the evidence.
    policy_source: str | None = None
    # Where the key was declared or described (a Terraform address, a logical id, an ARN).
    declared_at: str | None = None
    # Where the policy is written (the policy argument's expression, or the policy document's block), for
    # ``sseguard fix --key-policy``.
    policy_at: Origin | None = None
    # An alias name or a bare key id is looked up in the stream's own region, so it cannot be in another one.
    in_stream_region: bool = False
    # Automatic rotation (KSSE015): live GetKeyRotationStatus, or the source's enable_key_rotation/EnableKeyRotation.
    rotation: bool | Unknown | OutOfReach = ROTATION_NOT_SAID
    rotation_period_days: int | None = None
    # Grants on the key (KSSE016): only a live ListGrants sees them; source files do not hold them.
    grants: tuple[KeyGrant, ...] | Unknown | OutOfReach = OutOfReach(
        "grants are made at run time and listed only live (kms:ListGrants)")


@dataclass(frozen=True)
class KeyGrant:
    """One grant on a key, as ListGrants gives it: who it lets in, for which operations, under which constraints."""

    grant_id: str
    grantee: str
    operations: tuple[str, ...]
    # EncryptionContextEquals/EncryptionContextSubset, as ListGrants spells them; they narrow, never pin an account.
    constraints: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None


class SuppressionKind(StrEnum):
    """Whose form a suppression is written in: sseguard's own, or a peer's honoured for teams migrating."""

    SSEGUARD = "sseguard"
    CHECKOV = "checkov"
    TRIVY = "trivy"
    CFN_NAG = "cfn_nag"
    GUARD = "guard"


@dataclass(frozen=True)
class SuppressionRule:
    """One suppression written next to a stream: which codes it covers, by whom, why and until when."""

    kind: SuppressionKind
    codes: frozenset[str]
    reason: str
    expires: str | None = None  # ISO date
    text: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Stream:
    """A Kinesis data stream as any source sees it.

    ``encryption_type``: ``None`` when the source omits it (the provider default is NONE), else the literal.
    ``key_reference``: ``None`` when absent or null, else the string (may be empty).
    """

    address: str
    resource_type: str
    location: Location
    encryption_type: str | Unknown | None
    key_reference: str | Unknown | None = None
    key: Key | None = None
    region: str | Unknown | OutOfReach = OutOfReach("the stream's region is not known")
    account: str | None = None
    arn: str | None = None
    name: str | None = None
    importing: bool = False
    updating: bool = False
    suppressions: tuple[SuppressionRule, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    # A condition the source could not decide, with the stream as it would be either way: the judge decides the
    # stream when every variant gets the same verdict, and it is unknown only when they disagree. The stream's own
    # undecided fields hold the Unknown that names the condition.
    variants: tuple[Variant, ...] = ()
    # Where the stream's block and its values are written ("block", "encryption_type", "kms_key_id"), for
    # ``sseguard fix``; a value whose origin cannot be traced (computed, set on the command line) says why.
    origins: Mapping[str, Origin | OutOfReach] = field(default_factory=dict)


@dataclass(frozen=True)
class Variant:
    """One way the conditions a source could not decide may go (``when``), and the stream as it is then."""

    when: str
    stream: Stream


@dataclass(frozen=True)
class Verdict:
    """What the control decides for one stream, before suppressions."""

    status: Status
    code: str
    advisories: tuple[str, ...]
    message: str
    also_failing: tuple[str, ...] = ()
    skipped_checks: Mapping[str, str] = field(default_factory=dict)
    policy_notes: tuple[str, ...] = ()
    # How to resolve this stream's unknown, when the source knows better than the code's general remediation.
    resolve: str | None = None
    # A stream with variants: each variant's verdict, in the variants' order.
    branches: tuple[tuple[Variant, Verdict], ...] = ()


@dataclass(frozen=True)
class AppliedSuppression:
    kind: SuppressionKind
    reason: str
    expires: str | None
    line: int | None


@dataclass(frozen=True)
class Finding:
    """A stream, its verdict, and the suppression (if any) that changed its status."""

    stream: Stream
    verdict: Verdict
    status: Status
    suppression: AppliedSuppression | None = None
    notes: tuple[str, ...] = ()


class ErrorKind(StrEnum):
    """What an input error costs: see ``InputError``."""

    UNREADABLE = "unreadable"
    INCOMPLETE = "incomplete"
    USAGE = "usage"


@dataclass(frozen=True)
class InputError:
    """An input, or a part of one, that could not be read. The rest of the scan goes on.

    ``kind`` says what it costs: an input (or part) that could not be read, one that refers to something not
    scanned (a module not on disk), or a command line the scan cannot honour (a value for an undeclared variable).
    ``details`` lists what a grouped error stands for (every module call not on disk, say).
    """

    location: str
    message: str
    line: int | None = None
    kind: ErrorKind = ErrorKind.UNREADABLE
    details: tuple[str, ...] = ()



@dataclass(frozen=True)
class ScannedInput:
    kind: SourceKind
    location: str


@dataclass
class SourceResult:
    """What one source adapter gives back: streams in the model, inputs it read, and errors it met."""

    streams: list[Stream] = field(default_factory=list)
    inputs: list[ScannedInput] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    # What the user should know about how the inputs were read, short of an error (a link not followed).
    notes: list[str] = field(default_factory=list)
    # Names the inputs declare for values the command line can give: "var" (root module variables), "parameter"
    # (template parameters). A --var or --parameter no input declares is a mistake in the command.
    declared: dict[str, set[str]] = field(default_factory=dict)

    def extend(self, other: SourceResult) -> None:
        self.streams.extend(other.streams)
        self.inputs.extend(other.inputs)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        for kind, names in other.declared.items():
            self.declared.setdefault(kind, set()).update(names)
