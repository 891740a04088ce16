"""What ``sseguard fix`` would change, stream by stream: the edits for a stream failing KSSE001-005, the exact
change to make by hand for one failing on its key (KSSE011, 012, 014), and why a stream is left alone.

The rules are CONTROL.md's "Fixing" section. A value is edited where it is written (its origin: the argument, a
variable's default, a variables file, a local, a module call's argument); a place that also feeds a stream the fix
does not target (one that passes, is unknown or suppressed) is never edited.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sseguard.files import read_regular
from sseguard.fix import cloudformation, key_policy
from sseguard.fix.edits import Edit
from sseguard.fix.text import CannotEdit, hcl_insert, hcl_value, is_reference, json_insert, replace_span
from sseguard.jsonspans import find
from sseguard.kms import AWS_MANAGED_ALIAS, is_key_literal
from sseguard.model import Finding, KeyManager, Origin, OutOfReach, SourceKind, Status, Stream
from sseguard.options import ScanOptions

FIXABLE = frozenset({"KSSE001", "KSSE002", "KSSE003", "KSSE004", "KSSE005"})
KEY_CODES = frozenset({"KSSE011", "KSSE012", "KSSE013", "KSSE014"})
POLICY_CODES = frozenset({"KSSE012", "KSSE013"})
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class StreamFix:
    """One stream's part of the fix: its edits, or why it is not edited, or the change to make by hand."""

    finding: Finding
    edits: list[Edit] = field(default_factory=list)
    refused: str | None = None
    advice: str | None = None
    key_note: str | None = None

    @property
    def stream(self) -> Stream:
        return self.finding.stream


@dataclass
class Choice:
    """The key a fix sets, as the user gave it or as chosen, and what to say about it."""

    text: str
    note: str | None = None


def plan(findings: Iterable[Finding], options: ScanOptions, key: str | None = None,
         codes: frozenset[str] | None = None, key_policy: bool = False) -> tuple[list[StreamFix], dict[str, bytes]]:
    """The fix of every failing stream the codes select (all fixable ones by default), and the bytes of each file
    an edit was planned in, as read (to tell later whether it changed on disk). With ``key_policy``, a key policy
    that lets Kinesis not use the key (KSSE012, or KSSE013 under --strict-key-policy) gets the statement added where
    the scanned files write it."""
    findings = list(findings)
    files: dict[str, bytes] = {}
    fixes: list[StreamFix] = []
    used = _keys_in_use(findings, files, options) if key is None else {}
    for finding in findings:
        if finding.status is not Status.FAIL:
            continue
        code = finding.verdict.code
        if codes is not None and code not in codes:
            continue
        fix = StreamFix(finding)
        if code in KEY_CODES:
            fix.advice = key_advice(finding.stream, code)
            if key_policy and code in POLICY_CODES:
                try:
                    fix.edits = [_policy_edit(finding.stream, files, options)]
                except CannotEdit as err:
                    fix.refused = str(err)
        elif code in FIXABLE:
            choice = _key_choice(finding.stream, used, key)
            fix.key_note = choice.note if _needs(finding.stream)[1] else None
            try:
                fix.edits = _edits(finding.stream, choice, files, options)
            except CannotEdit as err:
                fix.refused = str(err)
        else:
            continue
        fixes.append(fix)
    _refuse_shared(fixes, findings)
    return fixes, files


def _edits(stream: Stream, choice: Choice, files: dict[str, bytes], options: ScanOptions) -> list[Edit]:
    kind = stream.location.kind
    why = f"{stream.address}: encrypt with KMS ({choice.text})"
    if kind is SourceKind.TERRAFORM:
        return _terraform_edits(stream, choice, files, why)
    if kind is SourceKind.CLOUDFORMATION:
        path = os.path.join(options.base, stream.location.path or "")
        data = _read(path, files)
        logical = str(stream.facts.get("logical_id", stream.address))
        need_type, need_key = _needs(stream)
        return cloudformation.edits(path, data, logical, need_type, need_key, choice.text, why)
    raise CannotEdit(f"a {kind.value} input is generated from the configuration; fix the Terraform configuration "
                     "it was made from")


def _policy_edit(stream: Stream, files: dict[str, bytes], options: ScanOptions) -> Edit:
    key = stream.key
    why = f"{stream.address}: let Kinesis use the key {stream.key_reference}"
    if key is None or key.declared_at is None:
        raise CannotEdit("the key is not declared in the scanned files; add the statement to its policy by hand")
    if stream.location.kind is SourceKind.CLOUDFORMATION:
        path = os.path.join(options.base, stream.location.path or "")
        return key_policy.cloudformation_edit(path, _read(path, files), key.declared_at, why)
    if key.policy_at is None:
        raise CannotEdit(f"where the policy of {key.declared_at} is written is not known ({key.policy_source}); "
                         "add the statement by hand")
    return key_policy.terraform_edit(key.policy_at, _read(key.policy_at.path, files), why)


def _needs(stream: Stream) -> tuple[bool, bool]:
    """Whether the encryption type, and the key, must be set."""
    etype = stream.encryption_type
    need_type = not (isinstance(etype, str) and etype.strip().upper() == "KMS")
    ref = stream.key_reference
    need_key = not (isinstance(ref, str) and ref.strip())
    return need_type, need_key


def _terraform_edits(stream: Stream, choice: Choice, files: dict[str, bytes], why: str) -> list[Edit]:
    if stream.variants:
        raise CannotEdit("its settings hang on a condition sseguard cannot decide; edit it by hand")
    origins = stream.origins
    block = origins.get("block")
    if not isinstance(block, Origin):
        raise CannotEdit(block.reason if isinstance(block, OutOfReach) else "where its block is written is not known")
    need_type, need_key = _needs(stream)
    if need_key and not (is_reference(choice.text) or is_key_literal(choice.text)):
        raise CannotEdit(f"--key {choice.text}: not a key id, alias/NAME, key ARN or Terraform reference")
    edits: list[Edit] = []
    missing: list[tuple[str, str]] = []
    json_syntax = block.path.endswith(".json")
    for name, needed, value in (("encryption_type", need_type, "KMS"), ("kms_key_id", need_key, choice.text)):
        if not needed:
            continue
        origin = origins.get(name)
        if origin is None:
            missing.append((name, value))
            continue
        if isinstance(origin, OutOfReach):
            raise CannotEdit(f"{name}: {origin.reason}")
        data = _read(origin.path, files)
        in_block = origin.via == "the argument itself"
        if name == "kms_key_id" and is_reference(value) and not in_block:
            raise CannotEdit(f"kms_key_id comes from {origin.via} ({_where(origin)}), where a reference such as "
                             f"{value} cannot be written; give --key a key ARN or alias")
        text = _json_value(value) if origin.path.endswith(".json") else hcl_value(value)
        edits.append(replace_span(origin.path, data, origin.start, origin.end, text, why))
    if missing:
        data = _read(block.path, files)
        if json_syntax:
            node = find(data, ["resource", *stream.address.split("[")[0].split(".")[-2:]])
            if node is None:
                raise CannotEdit("its block is not found in the JSON file")
            members: list[tuple[str, object]] = [(n, _json_text_value(v)) for n, v in missing]
            edits.append(json_insert(block.path, data, node, members, why))
        else:
            edits.append(hcl_insert(block.path, data, block.start, block.end,
                                    [(n, hcl_value(v)) for n, v in missing], why))
    return edits


def _json_value(value: str) -> str:
    return json.dumps(_json_text_value(value))


def _json_text_value(value: str) -> str:
    """A key in Terraform JSON syntax: a reference is written as an interpolation."""
    return "${" + value + "}" if is_reference(value) else value


def _where(origin: Origin) -> str:
    return f"{os.path.relpath(origin.path).replace(os.sep, '/')}:{origin.line}"


def _read(path: str, files: dict[str, bytes]) -> bytes:
    if path not in files:
        try:
            data = read_regular(path, MAX_FILE_BYTES)
        except OSError as err:
            raise CannotEdit(f"{path} cannot be read: {err.strerror or err}") from None
        if len(data) > MAX_FILE_BYTES:
            raise CannotEdit(f"{path} is over the {MAX_FILE_BYTES // (1024 * 1024)} MiB sseguard edits")
        files[path] = data
    return files[path]


def _module_of(stream: Stream) -> tuple[str, str | None, str, str]:
    """Where a key reference means the same key: one Terraform module folder reached from one root, or one
    template; and one region."""
    loc = stream.location
    where = (loc.path or "") if loc.kind is SourceKind.CLOUDFORMATION else os.path.dirname(loc.path or "")
    return loc.kind.value, loc.root, where, repr(stream.region)


def _keys_in_use(findings: list[Finding], files: dict[str, bytes], options: ScanOptions) -> dict[Any, Counter[str]]:
    """The customer keys declared in the inputs that passing streams use, by module (see ``_module_of``)."""
    used: dict[Any, Counter[str]] = {}
    for other in findings:
        s = other.stream
        if (other.status is Status.PASS and s.key is not None and s.key.manager is KeyManager.CUSTOMER
                and s.key.declared_at is not None):
            found = _key_of(s, files, options)
            if found:
                used.setdefault(_module_of(s), Counter())[found] += 1
    return used


def _key_choice(stream: Stream, used: dict[Any, Counter[str]], key: str | None) -> Choice:
    """The key the user names, else the customer key the passing streams of the same module (or template) and
    region use, else the AWS-managed key, said out loud (KSSE010)."""
    if key:
        return Choice(key)
    here = used.get(_module_of(stream))
    if here:
        found = sorted(here.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        return Choice(found, f"the customer key the other streams here use ({found})")
    return Choice(AWS_MANAGED_ALIAS, f"KSSE010: {AWS_MANAGED_ALIAS} is the AWS-managed key; its policy cannot be "
                  "changed, and it cannot be shared across accounts. Pass --key to use a customer key")


def _key_of(stream: Stream, files: dict[str, bytes], options: ScanOptions) -> str | None:
    """The key a passing stream uses, as --key would name it; None when it is computed."""
    if stream.location.kind is SourceKind.CLOUDFORMATION:
        path = os.path.join(options.base, stream.location.path or "")
        try:
            data = _read(path, files)
        except CannotEdit:
            return None
        return cloudformation.key_of(data, str(stream.facts.get("logical_id", stream.address)))
    text = stream.facts.get("kms_key_id_expression")
    if not isinstance(text, str):
        return None
    text = text.strip()
    if text.startswith('"'):
        try:
            text = json.loads(text)
        except ValueError:
            return None
        if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
            text = text[2:-1]
        elif "${" in text:
            return None
    return text if is_reference(text) or not text.startswith(("(", "[", "{")) else None


def _refuse_shared(fixes: list[StreamFix], findings: list[Finding]) -> None:
    """A place one fix edits that also feeds a stream the fix does not change is not edited: every fix that edits
    it is refused, naming the stream it would also change."""
    fixing = {id(f.finding) for f in fixes if f.edits and not f.refused}
    users: dict[tuple[str, int, int], list[Finding]] = {}
    for finding in findings:
        for origin in _places(finding.stream.origins):
            users.setdefault((origin.path, origin.start, origin.end), []).append(finding)
    for fix in fixes:
        if not fix.edits or fix.refused:
            continue
        for origin in _places(fix.stream.origins):
            if not any(origin.path == e.path and e.start >= origin.start and e.end <= origin.end for e in fix.edits):
                continue
            others = [f for f in users.get((origin.path, origin.start, origin.end), []) if id(f) not in fixing]
            if others:
                other = others[0]
                fix.refused = (f"{origin.via} ({_where(origin)}) also sets {other.stream.address}"
                               f"{other.stream.location.root_note}, which is {other.status.value}: editing it would "
                               "change that stream too; give this stream its own value")
                fix.edits = []
                break


def _places(origins: Mapping[str, Origin | OutOfReach]) -> list[Origin]:
    return [o for o in origins.values() if isinstance(o, Origin)]


def key_advice(stream: Stream, code: str) -> str:
    """The exact change that makes a stream failing on its key pass: sseguard does not rewrite the stream."""
    key = stream.key
    ref = stream.key_reference if isinstance(stream.key_reference, str) else "the key"
    if code == "KSSE011":
        region = stream.region if isinstance(stream.region, str) else "the stream's region"
        key_region = key.region if key is not None and isinstance(key.region, str) else "another region"
        return (f"use a key of region {region}: {ref} is in {key_region}, and Kinesis uses only keys of the "
                "stream's own region (pass --key, or create the key in that region)")
    if code == "KSSE014":
        state = key.state if key is not None else "unusable"
        return (f"the key {ref} is {state}: enable it (aws kms enable-key), cancel its deletion "
                "(aws kms cancel-key-deletion), or use another key with --key")
    statement = _policy_statement(stream, service=code == "KSSE013")
    unknown_account = "arn:aws:iam::ACCOUNT:root" in json.dumps(statement)
    return ("add this statement to the key policy"
            f"{' of ' + key.declared_at if key is not None and key.declared_at else ''}"
            f"{' (ACCOUNT: the account that owns the key, which these inputs do not say)' if unknown_account else ''}"
            ": " + json.dumps(statement))


def _policy_statement(stream: Stream, *, service: bool) -> dict[str, Any]:
    """The key-policy statement that lets Kinesis use the key: for the account's principals (KSSE012), or for the
    Kinesis service principal (KSSE013, as the seed asks)."""
    actions = ["kms:GenerateDataKey", "kms:Decrypt"]
    if service:
        return {"Sid": "AllowKinesisServiceUseOfTheKey", "Effect": "Allow",
                "Principal": {"Service": "kinesis.amazonaws.com"}, "Action": actions, "Resource": "*"}
    key = stream.key
    account = (key.account if key is not None and key.account else stream.account) or "ACCOUNT"
    return {"Sid": "AllowAccountUseOfTheKeyForKinesis", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": actions, "Resource": "*"}
