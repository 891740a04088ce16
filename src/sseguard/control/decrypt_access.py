"""Who can decrypt with a key, measured against the stream's account: what KSSE016 and the evidence rest on. Pure:
the key's policy (analysed by ``keypolicy``) and its live grants in, the principals out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sseguard import keypolicy
from sseguard.model import Key, OutOfReach, Stream, Unknown, unresolved


@dataclass(frozen=True)
class Decryptor:
    """A principal that can decrypt with the key, and whether it is outside the stream's account (everyone is; None:
    cannot tell, the stream's account is not known or the principal names none)."""

    principal: str
    via: str
    conditions: tuple[str, ...]
    pinned: bool
    outside: bool | None


@dataclass(frozen=True)
class DecryptAccessFacts:
    """Who can decrypt with a key (policy and grants), measured against ``home`` (the stream's account); and, when
    the grants were not read, why."""

    home: str | None
    principals: tuple[Decryptor, ...]
    grants_unread: Unknown | OutOfReach | None


def decrypt_access(stream: Stream, key: Key) -> DecryptAccessFacts | Unknown | OutOfReach:
    """Every principal the key's policy and grants let call kms:Decrypt, each judged inside or outside the stream's
    account; the policy's ``Unknown``/``OutOfReach`` when it is not known."""
    policy = key.policy
    if (why := unresolved(policy)) is not None:
        return why
    assert isinstance(policy, Mapping)
    home = stream.account or key.account
    found = list(keypolicy.decrypt_access(policy))
    grants = key.grants
    if isinstance(grants, tuple):
        found.extend(keypolicy.grant_decrypt_access(grants))
    principals = tuple(Decryptor(a.principal, a.via, a.conditions, a.pinned, _outside(a, home)) for a in found)
    return DecryptAccessFacts(home, principals, unresolved(grants))


def _outside(access: keypolicy.DecryptAccess, home: str | None) -> bool | None:
    if access.is_service:
        return False
    if access.principal == keypolicy.EVERYONE:
        return True
    account = access.account
    if account is None:
        return None
    if keypolicy.is_own_account_placeholder(account):
        return False
    if home is None or account.startswith("${"):
        return None
    return account != home
