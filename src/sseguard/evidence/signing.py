"""Signatures over evidence: an Ed25519 key pair on disk, or an asymmetric KMS key through ``kms:Sign``.

A signature travels as a small JSON document (see :class:`SignatureDoc`): the algorithm, the signature in base64,
and who signed (the signer's public key in PEM, and the KMS key ARN when KMS signed). Whoever verifies brings the
public key or the key ARN they trust; the public key inside the document only names the signer, it is never what a
signature is checked against. The cryptography is ``cryptography``'s, and KMS's; nothing here is home-made.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sseguard.sources.aws.errors import error_code_and_message, is_access_denied

ED25519 = "Ed25519"
PRIVATE_KEY_FILE = "sseguard-signing.key"
PUBLIC_KEY_FILE = "sseguard-signing.pub"
# The KMS signing algorithm used for each key spec: SHA-256 throughout.
# kms:Sign takes a raw message of at most 4,096 bytes (a manifest is about 2,000); a longer one is sent as its
# SHA-256 digest, which AWS signs as the same signature.
_KMS_RAW_MAX = 4096
_KMS_ALGORITHMS = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "RSA_2048": "RSASSA_PKCS1_V1_5_SHA_256",
    "RSA_3072": "RSASSA_PKCS1_V1_5_SHA_256",
    "RSA_4096": "RSASSA_PKCS1_V1_5_SHA_256",
}


class SigningError(Exception):
    """A key that cannot be read or used, or a KMS call that failed; the message is one line fit for a user."""


@dataclass(frozen=True)
class SignatureDoc:
    """A signature and who made it, as stored beside what it signs."""

    algorithm: str
    signature: str  # base64
    public_key: str  # PEM of the signer's public key
    kms_key_arn: str | None = None

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the signer's public key (DER), to name a key in messages."""
        return fingerprint_pem(self.public_key)

    def to_dict(self) -> dict[str, Any]:
        out = {"algorithm": self.algorithm, "signature": self.signature, "public_key": self.public_key,
               "public_key_sha256": self.fingerprint}
        if self.kms_key_arn:
            out["kms_key_arn"] = self.kms_key_arn
        return out

    @classmethod
    def from_dict(cls, data: object) -> SignatureDoc:
        """Read a stored signature; ``SigningError`` when it is not one."""
        if not isinstance(data, Mapping):
            raise SigningError("the signature is not a JSON object")
        fields = {name: data.get(name) for name in ("algorithm", "signature", "public_key")}
        missing = [name for name, value in fields.items() if not isinstance(value, str) or not value]
        if missing:
            raise SigningError(f"the signature lacks {', '.join(missing)}")
        arn = data.get("kms_key_arn")
        return cls(str(fields["algorithm"]), str(fields["signature"]), str(fields["public_key"]),
                   arn if isinstance(arn, str) else None)


class Signer(Protocol):
    """Anything that signs bytes and says who it is."""

    def sign(self, message: bytes) -> SignatureDoc: ...


def fingerprint_pem(pem: str) -> str:
    """SHA-256 of a PEM public key's DER form; of the text itself when it is not a readable key."""
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, UnsupportedAlgorithm):
        der = pem.encode("utf-8")
    return hashlib.sha256(der).hexdigest()


def generate_keypair(folder: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair into ``folder``: the private key (PKCS#8 PEM, mode 0600, created so that no
    other user can open it even for a moment) and the public key (PEM). Existing files are never overwritten."""
    private_path, public_path = folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    for path in (private_path, public_path):
        if path.exists():
            raise SigningError(f"{path} already exists; sseguard does not overwrite a key")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(private_pem)
        os.chmod(private_path, 0o600)  # a umask cannot widen it, but a filesystem's defaults could
        public_path.write_bytes(public_pem(key.public_key()).encode("ascii"))
    except OSError as err:
        raise SigningError(f"cannot write the key pair into {folder}: {err.strerror or err}") from err
    return private_path, public_path


def public_pem(key: Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    """A public key as PEM (SubjectPublicKeyInfo)."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class FileSigner:
    """Signs with an Ed25519 private key read from a PEM file."""

    def __init__(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise SigningError(f"cannot read the signing key {path}: {err.strerror or err}") from err
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as err:
            raise SigningError(f"{path} is not an unencrypted PEM private key ({err})".splitlines()[0]) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningError(f"{path} is not an Ed25519 private key (sseguard evidence keygen writes one)")
        self._key = key

    def sign(self, message: bytes) -> SignatureDoc:
        signature = self._key.sign(message)
        return SignatureDoc(ED25519, base64.b64encode(signature).decode("ascii"), public_pem(self._key.public_key()))


class KmsSigner:
    """Signs through ``kms:Sign`` with an asymmetric KMS key (ECC_NIST_P256 or RSA), SHA-256 over the message."""

    def __init__(self, kms: Any, key_arn: str) -> None:
        self._kms = kms
        self._arn = key_arn
        answer = _kms_call("kms:GetPublicKey", key_arn, lambda: kms.get_public_key(KeyId=key_arn))
        spec = answer.get("KeySpec") or answer.get("CustomerMasterKeySpec")
        if answer.get("KeyUsage") != "SIGN_VERIFY" or spec not in _KMS_ALGORITHMS:
            raise SigningError(f"KMS key {key_arn} is {spec} with usage {answer.get('KeyUsage')}; signing needs a "
                               f"SIGN_VERIFY key of spec {', '.join(_KMS_ALGORITHMS)}")
        self._algorithm = _KMS_ALGORITHMS[spec]
        self._public = serialization.load_der_public_key(bytes(answer["PublicKey"]))

    def sign(self, message: bytes) -> SignatureDoc:
        answer = _kms_call("kms:Sign", self._arn, lambda: self._kms.sign(
            KeyId=self._arn, **_kms_message(message), SigningAlgorithm=self._algorithm))
        pem = self._public.public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return SignatureDoc(self._algorithm, base64.b64encode(bytes(answer["Signature"])).decode("ascii"), pem,
                            self._arn)


def load_public_key(path: Path) -> str:
    """A public key file's PEM text, checked to hold a public key sseguard can verify with."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SigningError(f"cannot read the public key {path}: {getattr(err, 'strerror', None) or err}") from err
    try:
        key = serialization.load_pem_public_key(text.encode("utf-8"))
    except (ValueError, UnsupportedAlgorithm) as err:
        raise SigningError(f"{path} is not a PEM public key ({err})".splitlines()[0]) from None
    if not isinstance(key, Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise SigningError(f"{path} holds a {type(key).__name__}; sseguard verifies Ed25519, ECDSA P-256 or RSA")
    return text


def verify_with_public_key(doc: SignatureDoc, message: bytes, pem: str) -> str | None:
    """None when ``doc`` is a valid signature of ``message`` by the key ``pem``; else what is wrong, in words."""
    signature = _signature_bytes(doc)
    if isinstance(signature, str):
        return signature
    key = serialization.load_pem_public_key(pem.encode("utf-8"))
    try:
        if doc.algorithm == ED25519 and isinstance(key, Ed25519PublicKey):
            key.verify(signature, message)
        elif doc.algorithm == "ECDSA_SHA_256" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif doc.algorithm == "RSASSA_PKCS1_V1_5_SHA_256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            return (f"the signature is {doc.algorithm}, which the public key given ({type(key).__name__}, sha256 "
                    f"{fingerprint_pem(pem)}) cannot verify")
    except InvalidSignature:
        return _mismatch(doc, f"the public key given (sha256 {fingerprint_pem(pem)})")
    return None


def verify_with_kms(doc: SignatureDoc, message: bytes, kms: Any, key_arn: str) -> str | None:
    """None when KMS (``kms:Verify``) confirms ``doc`` signs ``message`` with ``key_arn``; else what is wrong."""
    signature = _signature_bytes(doc)
    if isinstance(signature, str):
        return signature
    if doc.algorithm not in _KMS_ALGORITHMS.values():
        return f"the signature is {doc.algorithm}, not one KMS makes: it was not made with KMS key {key_arn}"
    try:
        answer = _kms_call("kms:Verify", key_arn, lambda: kms.verify(
            KeyId=key_arn, **_kms_message(message), Signature=signature, SigningAlgorithm=doc.algorithm))
    except SigningError as err:
        if "KMSInvalidSignatureException" in str(err):
            return _mismatch(doc, f"KMS key {key_arn}")
        raise
    if answer.get("SignatureValid") is not True:
        return _mismatch(doc, f"KMS key {key_arn}")
    return None


def _kms_message(message: bytes) -> dict[str, Any]:
    if len(message) <= _KMS_RAW_MAX:
        return {"Message": message, "MessageType": "RAW"}
    return {"Message": hashlib.sha256(message).digest(), "MessageType": "DIGEST"}


def _signature_bytes(doc: SignatureDoc) -> bytes | str:
    try:
        return base64.b64decode(doc.signature.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return "the signature is not valid base64: it was cut or edited"


def _mismatch(doc: SignatureDoc, against: str) -> str:
    by = f"KMS key {doc.kms_key_arn}" if doc.kms_key_arn else f"the key with public key sha256 {doc.fingerprint}"
    return (f"the signature does not verify with {against}: the signed content was changed, the signature was "
            f"cut or edited, or another key signed it (it names {by})")


def _kms_call(name: str, key_arn: str, send: Callable[[], Any]) -> dict[str, Any]:
    """One KMS call; any failure is a ``SigningError`` naming the call, the error code and the IAM action."""
    try:
        answer = send()
    except (ClientError, BotoCoreError) as err:
        # the same reading of AWS's answer as a scan's (an emulator or proxy may answer in XML)
        code, text = error_code_and_message(err)
        said = f": {text}" if text else ""
        grant = f"; grant {name} on the key to the caller" if is_access_denied(code) else ""
        raise SigningError(f"{name} on {key_arn} failed: {code}{said}{grant}") from None
    return dict(answer)


@dataclass(frozen=True)
class Verifier:
    """The key a verifier trusts (``describe`` names it) and how to check a signature with it."""

    describe: str
    check: Callable[[SignatureDoc, bytes], str | None]


def public_key_verifier(path: Path) -> Verifier:
    """Trust the public key in ``path`` (Ed25519, ECDSA P-256 or RSA PEM)."""
    pem = load_public_key(path)
    return Verifier(f"public key {path} (sha256 {fingerprint_pem(pem)})",
                    lambda doc, message: verify_with_public_key(doc, message, pem))


def kms_verifier(kms: Any, key_arn: str) -> Verifier:
    """Trust the KMS key ``key_arn``, checking through ``kms:Verify``."""
    return Verifier(f"KMS key {key_arn}", lambda doc, message: verify_with_kms(doc, message, kms, key_arn))
