"""Signed evidence (issue 13): bundles signed with an Ed25519 key file or a KMS key (moto over HTTP), history
digests signed at the end of a run, and every tamper the signatures exist to catch, named."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from aws_server import MotoAws, client
from evidence_factory import at, record_streams, stream
from sseguard.evidence.bundle import MANIFEST, SIGNATURE, build_bundle, manifest_self_hash, verify_bundle
from sseguard.evidence.digest import append_digest, verify_digests
from sseguard.evidence.signing import (
    FileSigner,
    KmsSigner,
    SigningError,
    generate_keypair,
    kms_verifier,
    public_key_verifier,
)
from sseguard.evidence.store import History, canonical, row_hash

START, END = dt.date(2025, 3, 1), dt.date(2025, 3, 3)
NOW = at("2025-03-04 08:00")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return generate_keypair(tmp_path / "keys")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "h.sqlite3"
    for day in ("2025-03-01 09:00", "2025-03-02 09:00"):
        record_streams(path, [stream("aws_kinesis_stream.a"), stream("aws_kinesis_stream.b", None)], at(day))
    return path


def bundle_of(db: Path, out: Path, signer: Any) -> None:
    with History.open(db) as h:
        build_bundle(h, START, END, out, now=NOW, signer=signer)


def rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> None:
    """Copy a zip, replacing (bytes) or removing (None) entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename not in change:
                zout.writestr(info, zin.read(info))
            elif (data := change[info.filename]) is not None:
                zout.writestr(info.filename, data)


def read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def sseguard(*args: str | Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "sseguard", *map(str, args)], capture_output=True, text=True,
                          timeout=120, check=False, cwd=REPO, env={**os.environ, "NO_COLOR": "1"})
    assert "Traceback" not in done.stderr, done.stderr
    return done


# --- keys -----------------------------------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_only_its_owner_can_read_and_never_overwrites(tmp_path: Path) -> None:
    done = sseguard("evidence", "keygen", "-o", tmp_path / "k")
    private, public = tmp_path / "k" / "sseguard-signing.key", tmp_path / "k" / "sseguard-signing.pub"
    assert (done.returncode, done.stdout) == (0, f"wrote {private} (private key, mode 0600: keep it secret) and "
                                                 f"{public} (give it to whoever verifies)\n")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    before = private.read_bytes()
    again = sseguard("evidence", "keygen", "-o", tmp_path / "k")
    assert (again.returncode, again.stderr) == (
        2, f"sseguard: error: {private} already exists; sseguard does not overwrite a key\n")
    assert private.read_bytes() == before


def test_a_public_key_is_not_a_signing_key(keys: tuple[Path, Path]) -> None:
    with pytest.raises(SigningError, match="is not an unencrypted PEM private key"):
        FileSigner(keys[1])


# --- bundles --------------------------------------------------------------------------------------------------------


def test_ed25519_round_trip(db: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    bundle_of(db, out, FileSigner(keys[0]))
    signature = json.loads(read(out, SIGNATURE))
    assert (signature["schema"], signature["signs"], signature["algorithm"]) == (
        "sseguard/evidence-signature/v1", MANIFEST, "Ed25519")
    check = verify_bundle(out, trusted=public_key_verifier(keys[1]))
    assert check.problems == []
    assert check.signature is not None and check.signature.public_key == keys[1].read_text()
    done = sseguard("evidence", "verify", out, "--public-key", keys[1])
    assert done.returncode == 0
    assert done.stdout.startswith(f"OK: {out}: 7 files match the manifest, ")
    assert done.stdout.rstrip().endswith(f"; signature verified with public key {keys[1]} (sha256 "
                                         f"{check.signature.fingerprint})")


def recomputed(out: Path, name: str, data: bytes) -> dict[str, bytes | None]:
    """The edits a careful forger makes: the file changed, its hash and size in the manifest and the manifest's own
    hash recomputed."""
    manifest = json.loads(read(out, MANIFEST))
    for entry in manifest["files"]:
        if entry["name"] == name:
            entry.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    manifest["manifest_sha256"] = manifest_self_hash(manifest)
    return {name: data, MANIFEST: (json.dumps(manifest, indent=2) + "\n").encode()}


def test_a_bundle_edited_with_every_hash_recomputed_passes_the_hashes_but_not_the_signature(
        db: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    out, forged = tmp_path / "b.zip", tmp_path / "forged.zip"
    bundle_of(db, out, FileSigner(keys[0]))
    report = read(out, "report.csv").replace(b"fail", b"pass")
    rewrite(out, forged, recomputed(out, "report.csv", report))
    assert verify_bundle(forged).problems == []  # without the key the forgery holds: that is the hole signing closes
    check = verify_bundle(forged, trusted=public_key_verifier(keys[1]))
    fingerprint = check.signature.fingerprint if check.signature else ""
    assert check.problems == [
        f"signature invalid: the signature does not verify with the public key given (sha256 {fingerprint}): the "
        "signed content was changed, the signature was cut or edited, or another key signed it (it names the key "
        f"with public key sha256 {fingerprint})"]
    done = sseguard("evidence", "verify", forged, "--public-key", keys[1])
    assert (done.returncode, done.stdout.splitlines()[0]) == (1, f"TAMPERED: {forged}: 1 problem")


def test_a_wrong_public_key_is_named(db: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    bundle_of(db, out, FileSigner(keys[0]))
    _, other = generate_keypair(tmp_path / "other")
    check = verify_bundle(out, trusted=public_key_verifier(other))
    assert len(check.problems) == 1
    assert check.problems[0].startswith("signature invalid: the signature does not verify with the public key given")
    assert check.signature is not None and check.problems[0].endswith(
        f"(it names the key with public key sha256 {check.signature.fingerprint})")


@pytest.mark.parametrize(("cut", "problem"), [
    pytest.param(lambda s: s[:-3], "the signature is not valid base64: it was cut or edited", id="cut-text"),
    pytest.param(lambda s: base64.b64encode(base64.b64decode(s)[:40]).decode(), None, id="cut-bytes"),
])
def test_a_truncated_signature_is_named(db: Path, keys: tuple[Path, Path], tmp_path: Path, cut: Any,
                                        problem: str | None) -> None:
    out, cut_zip = tmp_path / "b.zip", tmp_path / "cut.zip"
    bundle_of(db, out, FileSigner(keys[0]))
    doc = json.loads(read(out, SIGNATURE))
    doc["signature"] = cut(doc["signature"])
    rewrite(out, cut_zip, {SIGNATURE: json.dumps(doc).encode()})
    check = verify_bundle(cut_zip, trusted=public_key_verifier(keys[1]))
    assert len(check.problems) == 1
    if problem is not None:
        assert check.problems == [f"signature invalid: {problem}"]
    else:
        assert check.problems[0].startswith("signature invalid: the signature does not verify with the public key")


def test_a_signature_removed_is_named_when_a_key_is_given(db: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    out, bare = tmp_path / "b.zip", tmp_path / "bare.zip"
    bundle_of(db, out, FileSigner(keys[0]))
    rewrite(out, bare, {SIGNATURE: None})
    verifier = public_key_verifier(keys[1])
    assert verify_bundle(bare).problems == []
    assert verify_bundle(bare, trusted=verifier).problems == [
        f"signature missing: the bundle has no {SIGNATURE}, so nothing was signed by {verifier.describe}"]


def kms_signing_key(aws: MotoAws, spec: str) -> str:
    arn: str = client(aws.url, "kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec=spec)["KeyMetadata"]["Arn"]
    return arn


@pytest.mark.parametrize("spec", ["ECC_NIST_P256", "RSA_2048"])
def test_kms_sign_and_verify_over_http(aws: MotoAws, db: Path, tmp_path: Path, spec: str) -> None:
    arn = kms_signing_key(aws, spec)
    out = tmp_path / "b.zip"
    done = sseguard("evidence", "bundle", "--db", db, "--from", START.isoformat(), "--to", END.isoformat(),
                    "-o", out, "--kms-sign-key", arn, "--endpoint-url", aws.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f", signed by {arn}")
    doc = json.loads(read(out, SIGNATURE))
    assert (doc["kms_key_arn"], doc["algorithm"]) == (
        arn, "ECDSA_SHA_256" if spec == "ECC_NIST_P256" else "RSASSA_PKCS1_V1_5_SHA_256")
    assert [c.params.get("MessageType") for c in aws.behaviour.calls("kms:Sign")] == ["RAW"]
    ok = sseguard("evidence", "verify", out, "--kms-key", arn, "--endpoint-url", aws.url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.rstrip().endswith(f"; signature verified with KMS key {arn}")
    # the public key KMS gave is in the signature: an auditor without KMS access verifies with it alone
    public = tmp_path / "kms.pub"
    public.write_text(doc["public_key"])
    assert verify_bundle(out, trusted=public_key_verifier(public)).problems == []
    forged = tmp_path / "forged.zip"
    rewrite(out, forged, recomputed(out, "report.csv", b"forged\n"))
    assert verify_bundle(forged, trusted=kms_verifier(client(aws.url, "kms"), arn)).problems == [
        f"signature invalid: the signature does not verify with KMS key {arn}: the signed content was changed, the "
        f"signature was cut or edited, or another key signed it (it names KMS key {arn})"]


def test_a_kms_key_that_cannot_sign_is_a_usage_error(aws: MotoAws, db: Path, tmp_path: Path) -> None:
    arn = client(aws.url, "kms").create_key()["KeyMetadata"]["Arn"]  # a symmetric encryption key
    with pytest.raises(SigningError, match=r"is SYMMETRIC_DEFAULT with usage .*; signing needs a SIGN_VERIFY key"):
        KmsSigner(client(aws.url, "kms"), arn)
    done = sseguard("evidence", "bundle", "--db", db, "--from", START.isoformat(), "-o", tmp_path / "b.zip",
                    "--kms-sign-key", arn, "--endpoint-url", aws.url)
    assert done.returncode == 2 and not (tmp_path / "b.zip").exists()


# --- history digests ------------------------------------------------------------------------------------------------


def rechain(db: Path, seq: int, edit: Any) -> None:
    """What someone who can write the file does: edit row ``seq``, then recompute every hash from it on, and the
    head, so the hash chain alone shows nothing."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER records_no_update")
    rows = conn.execute("SELECT seq, run_id, kind, recorded_at, stream_key, status, body, prev_hash FROM records "
                        "WHERE seq >= ? ORDER BY seq", (seq,)).fetchall()
    prev = rows[0][7]
    for number, run_id, kind, recorded_at, key, status, body, _ in rows:
        if number == seq:
            body = canonical(edit(json.loads(body)))
        digest = row_hash(prev, run_id, kind, recorded_at, key, status, body)
        conn.execute("UPDATE records SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?", (body, prev, digest, number))
        prev = digest
    conn.execute("UPDATE meta SET value = ? WHERE name = 'head_hash'", (prev,))
    conn.close()


def passing(finding: dict[str, Any]) -> dict[str, Any]:
    return {**finding, "status": "pass", "code": "KSSE000"}


def test_scan_sign_writes_digests_and_a_rechained_history_is_caught(tmp_path: Path,
                                                                     keys: tuple[Path, Path]) -> None:
    module = tmp_path / "tf"
    module.mkdir()
    (module / "main.tf").write_text('resource "aws_kinesis_stream" "s" {\n  name = "s"\n}\n', encoding="utf-8")
    db = tmp_path / "h.sqlite3"
    for _ in range(2):
        assert sseguard("scan", module, "--db", db, "--sign", keys[0], "--format", "json").returncode == 1
    with History.open(db) as h:
        rows = list(h.rows())
    assert [r.kind for r in rows] == ["run", "finding", "digest", "run", "finding", "digest"]
    first, second = rows[2].data(), rows[5].data()
    assert (first["head_seq"], first["head_hash"], first["previous_digest_seq"]) == (2, rows[1].hash, None)
    assert (second["head_seq"], second["previous_digest_seq"]) == (5, 3)
    assert second["previous_digest_signature"] == first["signature"]["signature"]
    ok = sseguard("evidence", "verify", "--db", db, "--public-key", keys[1])
    assert ok.returncode == 0 and ok.stdout.rstrip().endswith(
        f"; 2 signed digests verified with public key {keys[1]} (sha256 "
        f"{hashlib.sha256(_der(keys[1])).hexdigest()}), the newest signing head row 5")

    rechain(db, 2, passing)  # the first run's failing finding rewritten as a pass
    assert sseguard("evidence", "verify", "--db", db).returncode == 0  # the chain alone cannot tell
    done = sseguard("evidence", "verify", "--db", db, "--public-key", keys[1])
    assert done.returncode == 1
    assert done.stdout.splitlines()[1:] == [
        f"  rechained: row 2 no longer has the hash signed by digest row 3 ({rows[1].hash}): the history was "
        "rewritten and re-chained at or before row 2",
        f"  rechained: row 5 no longer has the hash signed by digest row 6 ({rows[4].hash}): the history was "
        "rewritten and re-chained at or before row 5"]


def _der(public: Path) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(public.read_bytes())
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_a_forged_or_removed_digest_and_a_history_never_signed(db: Path, keys: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    verifier = public_key_verifier(keys[1])
    with History.open(db) as h:
        unsigned = verify_digests(list(h.rows()), verifier)
    assert [p.message for p in unsigned.problems] == [
        "the history has no signed digest: record runs with --sign KEYFILE, or the digests were removed"]
    with History.open(db, create=True) as h:
        for _ in range(3):
            append_digest(h, FileSigner(keys[0]), "r")
        rows = list(h.rows())
    assert verify_digests(rows, verifier).problems == []
    _, other = generate_keypair(tmp_path / "other")
    forger = FileSigner(other.with_suffix(".key"))
    with History.open(db, create=True) as h:
        append_digest(h, forger, "r")
        rows = list(h.rows())
    problems = verify_digests(rows, verifier).problems
    assert [(p.kind, p.seq) for p in problems] == [("digest", rows[-1].seq)]
    assert problems[0].message.startswith(f"digest row {rows[-1].seq} is forged or edited: the signature does not "
                                          "verify with the public key given")
    # the middle of three good digests left out: the third names a digest that is no longer before it
    digests = [r for r in rows if r.kind == "digest"][:3]
    kept = [r for r in rows if r is not digests[1] and r.seq <= digests[2].seq]
    assert [p.message for p in verify_digests(kept, verifier).problems] == [
        f"digest row {digests[2].seq} names previous digest row {digests[1].seq}, but the digest before it is row "
        f"{digests[0].seq}: a signed digest was removed or replaced",
        f"row {digests[1].seq}, whose hash digest row {digests[2].seq} signed, is gone: rows were deleted"]


def test_sign_without_history_is_a_usage_error(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_kinesis_stream" "s" {\n  name = "s"\n}\n', encoding="utf-8")
    done = sseguard("scan", tmp_path / "main.tf", "--no-history", "--sign", keys[0])
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "--sign signs the history's chain head, and --no-history records nothing: drop one")


def test_a_signing_key_that_cannot_be_read_records_no_unsigned_run(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_kinesis_stream" "s" {\n  name = "s"\n}\n', encoding="utf-8")
    db = tmp_path / "h.sqlite3"
    done = sseguard("scan", tmp_path / "main.tf", "--db", db, "--sign", tmp_path / "missing.key")
    assert done.returncode == 2
    assert done.stderr == (f"sseguard: error: --sign: cannot read the signing key {tmp_path / 'missing.key'}: No "
                           "such file or directory; this run's chain head was not signed\n")
    assert not db.exists()


def test_explain_says_how_to_sign_and_verify() -> None:
    done = sseguard("explain", "signing")
    assert done.returncode == 0
    assert done.stdout.startswith("Signed evidence\n")
    for command in ("sseguard evidence keygen -o DIR", "--kms-sign-key ARN", "--public-key DIR/sseguard-signing.pub",
                    "sseguard evidence verify --db HISTORY --public-key FILE"):
        assert command in done.stdout


def test_aws_sign_ends_the_live_run_with_a_digest(aws: MotoAws, keys: tuple[Path, Path], tmp_path: Path) -> None:
    from aws_server import clean_env, make_stream, run_cli

    make_stream(aws.url, "plain")
    db = tmp_path / "live.sqlite3"
    done = run_cli(["aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--db", str(db), "--sign",
                    str(keys[0]), "--format", "json"], clean_env(tmp_path))
    assert done.returncode == 1, done.stderr
    with History.open(db) as h:
        rows = list(h.rows())
    assert [r.kind for r in rows] == ["run", "finding", "digest"]
    assert verify_digests(rows, public_key_verifier(keys[1])).problems == []


def test_kms_sign_refused_is_one_error_line_and_no_bundle(aws: MotoAws, db: Path, tmp_path: Path) -> None:
    from aws_server import ACCOUNT, clean_env, iam_user, run_cli

    arn = kms_signing_key(aws, "ECC_NIST_P256")
    creds = iam_user(aws.url, "no-sign", [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
                                          {"Effect": "Deny", "Action": "kms:Sign", "Resource": "*"}])
    out = tmp_path / "b.zip"
    with aws.iam_enforced():
        done = run_cli(["evidence", "bundle", "--db", str(db), "--from", START.isoformat(), "-o", str(out),
                        "--kms-sign-key", arn, "--endpoint-url", aws.url], clean_env(tmp_path, creds))
    assert done.returncode == 2 and not out.exists()
    assert done.stderr == (f"sseguard: error: kms:Sign on {arn} failed: AccessDenied: User: arn:aws:iam::{ACCOUNT}:"
                           "user/no-sign is not authorized to perform: kms:Sign; grant kms:Sign on the key to the "
                           "caller\n")
