"""The auditor's bundle: a zip of the period report, the raw history rows behind it, the mapping table, and a
``manifest.json`` holding the SHA-256 of every file and the history's chain head.

The manifest carries a hash of itself, so an edit to it alone is named as such. The raw rows keep their chain
hashes, so each row can be checked on its own, and against the history itself when it is at hand (``--db``): a
bundle forged consistently (files and manifest rewritten together) still has to match the history's chain.

A signed bundle also holds ``signature.json``: a signature over ``manifest.json`` exactly as stored (Ed25519 from a
key file, or a KMS key). With the signer's public key (or KMS key) alone, an auditor then catches a bundle whose
files were edited and whose hashes were all recomputed: the new manifest no longer matches the signature.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sseguard import __version__
from sseguard.control.codes import CONTROL_ID, CONTROL_TITLE
from sseguard.control.mappings import mappings
from sseguard.evidence.period import PeriodReport, compute_period
from sseguard.evidence.render import render_csv, render_html, render_json
from sseguard.evidence.results import RESULT_KINDS
from sseguard.evidence.signing import SignatureDoc, Signer, SigningError, Verifier
from sseguard.evidence.store import History, Row, canonical, day_start, format_time, row_hash

MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
SIGNATURE_SCHEMA = "sseguard/evidence-signature/v1"
BUNDLE_SCHEMA = "sseguard/evidence-bundle/v1"
SELF_HASH = "manifest_sha256"
# results.jsonl (Config and Security Hub results, ``evidence collect``) is in a bundle whose period has any.
ROW_FILES = ("findings.jsonl", "runs.jsonl", "results.jsonl")
# A fixed entry time makes the same content give the same zip, byte for byte.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class BundleError(Exception):
    """The bundle cannot be made or read (not a zip, unwritable path)."""


class BrokenHistoryError(BundleError):
    """The history's hash chain is broken, so no bundle is made from it."""


@dataclass
class BundleCheck:
    """What verifying a bundle found: problems (each names the file and what changed) and what was checked."""

    files: int = 0
    rows: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # The bundle's signature, when it has one, and whether a trusted key checked it.
    signature: SignatureDoc | None = None
    signature_checked_with: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_self_hash(manifest: Mapping[str, Any]) -> str:
    """The hash of the manifest's canonical JSON without its own hash field."""
    return sha256(canonical({k: v for k, v in manifest.items() if k != SELF_HASH}).encode("utf-8"))


def _rows_jsonl(rows: list[Row], field_name: str) -> bytes:
    lines = []
    for r in rows:
        line = {"seq": r.seq, "run_id": r.run_id, "recorded_at": r.recorded_at, "stream_key": r.stream_key,
                "status": r.status, field_name: r.data(), "prev_hash": r.prev_hash, "hash": r.hash}
        if field_name == "result":  # a result row's kind (config_result, securityhub_result) is part of its hash
            line["kind"] = r.kind
        lines.append(json.dumps(line, ensure_ascii=False, sort_keys=True))
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def mappings_csv() -> str:
    """The mapping table as CSV: tool ids with their note, framework requirements with their sources."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["type", "scheme", "id", "source_or_note"])
    data = mappings()
    for t in data["tools"]:
        writer.writerow(["tool", t["scheme"], t["id"], t["note"]])
    for f in data["frameworks"]:
        writer.writerow(["framework", f["framework"], f["requirement"], "; ".join(f["sources"])])
    return out.getvalue()


def bundle_files(history: History, report: PeriodReport) -> dict[str, bytes]:
    """Every file of the bundle except the manifest, by name."""
    lo, hi = day_start(report.start), day_start(report.end + dt.timedelta(days=1))
    findings = list(history.rows(kind="finding", start=lo, end=hi))
    runs = list(history.rows(kind="run", start=lo, end=hi))
    results = sorted((r for kind in RESULT_KINDS for r in history.rows(kind=kind, start=lo, end=hi)),
                     key=lambda r: r.seq)
    mapping_doc = {"control": CONTROL_ID, "title": CONTROL_TITLE, **mappings()}
    return {
        **({"results.jsonl": _rows_jsonl(results, "result")} if results else {}),
        "report.html": render_html(report).encode("utf-8"),
        "report.json": render_json(report).encode("utf-8"),
        "report.csv": render_csv(report).encode("utf-8"),
        "findings.jsonl": _rows_jsonl(findings, "finding"),
        "runs.jsonl": _rows_jsonl(runs, "run"),
        "mappings.json": (json.dumps(mapping_doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        "mappings.csv": mappings_csv().encode("utf-8"),
    }


def build_bundle(history: History, start: dt.date, end: dt.date, out: Path,
                 *, now: dt.datetime | None = None, signer: Signer | None = None) -> dict[str, Any]:
    """Write the bundle for ``start``..``end`` to ``out`` and return its manifest; with ``signer``, sign the
    manifest into ``signature.json`` (a signer that fails raises ``SigningError`` and no bundle is written).

    A history whose chain is broken gives no bundle: evidence drawn from a tampered record proves nothing.
    """
    report = compute_period(history, start, end, now=now)
    if not report.integrity.ok:
        raise BrokenHistoryError("the history's hash chain is broken, no bundle made: "
                          + "; ".join(p.message for p in report.integrity.problems))
    files = bundle_files(history, report)
    manifest: dict[str, Any] = {
        "schema": BUNDLE_SCHEMA,
        "tool": {"name": "sseguard", "version": __version__},
        "created_at": format_time(report.generated_at),
        "period": {"from": start.isoformat(), "to": end.isoformat(), "timezone": "UTC"},
        "history": {"path": str(history.path), "rows": report.integrity.rows, "runs": report.integrity.runs,
                    "head_seq": report.integrity.head.seq, "head_hash": report.integrity.head.hash,
                    "chain_intact": True},
        "files": [{"name": name, "sha256": sha256(data), "size": len(data)} for name, data in sorted(files.items())],
    }
    manifest[SELF_HASH] = manifest_self_hash(manifest)
    manifest_bytes = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    stored = {**dict(sorted(files.items())), MANIFEST: manifest_bytes}
    if signer is not None:
        doc = {"schema": SIGNATURE_SCHEMA, "signs": MANIFEST, **signer.sign(manifest_bytes).to_dict()}
        stored[SIGNATURE] = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in stored.items():
                zf.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    except OSError as err:
        raise BundleError(f"cannot write {out}: {err.strerror or err}") from err
    return manifest


def verify_bundle(path: Path, history: History | None = None, trusted: Verifier | None = None) -> BundleCheck:
    """Check every file of the bundle against the manifest, the manifest against itself, each raw row against its
    hash, (with ``history``) the rows and the chain head against the history, and (with ``trusted``) the manifest's
    signature against that key. Unreadable: :class:`BundleError`; a KMS check that cannot be made: ``SigningError``.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            contents = {info.filename: zf.read(info) for info in infos}
    except FileNotFoundError as err:
        raise BundleError(f"no such bundle: {path}") from err
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as err:
        raise BundleError(f"cannot read {path} as a zip: {err}") from err
    check = BundleCheck()
    names = [i.filename for i in infos]
    for name in sorted({n for n in names if names.count(n) > 1}):
        check.problems.append(f"file duplicated: {name} appears {names.count(name)} times in the zip")
    if MANIFEST not in contents:
        check.problems.append(f"manifest missing: {MANIFEST} is not in the bundle, nothing can be checked")
        return check
    _check_signature(contents, check, trusted)
    manifest = _read_manifest(contents[MANIFEST], check)
    if manifest is None:
        return check
    check.manifest = manifest
    listed: dict[str, str] = {}
    for entry in manifest.get("files") or []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            listed[entry["name"]] = str(entry.get("sha256"))
    for name, expected in sorted(listed.items()):
        if name not in contents:
            check.problems.append(f"file missing: {name} is in the manifest but not in the bundle")
            continue
        found = sha256(contents[name])
        if found != expected:
            check.problems.append(f"file changed: {name} (sha256 in the manifest {expected}, found {found})")
    for name in sorted(set(contents) - set(listed) - {MANIFEST, SIGNATURE}):
        check.problems.append(f"file added: {name} is in the bundle but not in the manifest")
    check.files = len(listed)
    for name in ROW_FILES:
        if name in contents:
            check.rows += _check_rows(name, contents[name], check, history)
    if history is not None:
        _check_head(manifest, history, check)
    return check


def _check_signature(contents: dict[str, bytes], check: BundleCheck, trusted: Verifier | None) -> None:
    """Read ``signature.json`` and, with a trusted key, check it over the stored manifest. A bundle checked with a
    key must be signed: removing the signature is a tampering like any other."""
    if SIGNATURE not in contents:
        if trusted is not None:
            check.problems.append(f"signature missing: the bundle has no {SIGNATURE}, so nothing was signed by "
                                  f"{trusted.describe}")
        return
    try:
        data = json.loads(contents[SIGNATURE].decode("utf-8"))
        doc = SignatureDoc.from_dict(data)
    except (UnicodeDecodeError, ValueError) as err:
        check.problems.append(f"signature edited: {SIGNATURE} is not valid JSON ({err})")
        return
    except SigningError as err:
        check.problems.append(f"signature edited: {SIGNATURE}: {err}")
        return
    check.signature = doc
    if trusted is None:
        return
    check.signature_checked_with = trusted.describe
    problem = trusted.check(doc, contents[MANIFEST])
    if problem is not None:
        check.problems.append(f"signature invalid: {problem}")


def _read_manifest(data: bytes, check: BundleCheck) -> dict[str, Any] | None:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        check.problems.append(f"manifest edited: {MANIFEST} is not valid JSON ({err})")
        return None
    if not isinstance(manifest, dict):
        check.problems.append(f"manifest edited: {MANIFEST} is not a JSON object")
        return None
    recorded = manifest.get(SELF_HASH)
    computed = manifest_self_hash(manifest)
    if recorded != computed:
        check.problems.append(f"manifest edited: its content no longer matches its own hash ({SELF_HASH} "
                              f"{recorded}, computed {computed})")
    return manifest


def _check_rows(name: str, data: bytes, check: BundleCheck, history: History | None) -> int:
    """Each raw row must hash to its recorded hash; with the history at hand, to the history's row too."""
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not an object")
            field_name = next((k for k in ("result", "finding") if k in item), "run")
            kind = str(item["kind"]) if field_name == "result" else field_name
            body = canonical(item[field_name])
            digest = row_hash(str(item["prev_hash"]), str(item["run_id"]), kind, str(item["recorded_at"]),
                              item.get("stream_key"), item.get("status"), body)
        except (ValueError, KeyError, TypeError) as err:
            check.problems.append(f"{name} line {number} is not a readable history row ({err})")
            continue
        if digest != item["hash"]:
            check.problems.append(f"{name} line {number} (history row {item.get('seq')}) was edited: it does not "
                                  "match its row hash")
        parsed.append((number, item))
    if history is not None and parsed:
        stored = history.row_hashes([int(item["seq"]) for _, item in parsed if isinstance(item.get("seq"), int)])
        for number, item in parsed:
            seq = item.get("seq")
            if not isinstance(seq, int) or seq not in stored:
                check.problems.append(f"{name} line {number}: history row {seq} is not in the history")
            elif stored[seq] != item["hash"]:
                check.problems.append(f"{name} line {number}: history row {seq} has a different hash in the history")
    return len(parsed)


def _check_head(manifest: Mapping[str, Any], history: History, check: BundleCheck) -> None:
    head = manifest.get("history") or {}
    seq, expected = head.get("head_seq"), head.get("head_hash")
    if not isinstance(seq, int):
        check.problems.append("manifest edited: it records no history head")
        return
    if seq == 0:
        return
    found = history.row_hashes([seq]).get(seq)
    if found is None:
        check.problems.append(f"the manifest's history head (row {seq}) is not in the history {history.path}")
    elif found != expected:
        check.problems.append(f"the manifest's history head (row {seq}, sha256 {expected}) does not match the "
                              f"history {history.path} (sha256 {found})")
