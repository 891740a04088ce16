"""Who can decrypt with a key, in words: the lines every report that shows a key's evidence prints for
``evidence.key.decrypt_principals`` (KSSE016), and the period report's Keys section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def decryptor_lines(principals: Any) -> list[str]:
    """Who can decrypt, one line each: the principal, through what, the conditions, and whether it is outside the
    stream's account."""
    if isinstance(principals, Mapping):
        why = principals.get("not_known") or principals.get("unknown")
        return [f"not known: {why}"]
    if not isinstance(principals, list):
        return []
    lines = []
    for p in principals:
        if not isinstance(p, Mapping):
            continue
        conditions = p.get("conditions") or []
        limit = "; when " + ", ".join(str(c) for c in conditions) if conditions else ""
        outside = p.get("outside_account")
        where = "; outside the stream's account" if outside is True else "; account not known" if outside is None \
            else ""
        pinned = " (pinned)" if p.get("pinned") else ""
        lines.append(f"{p.get('principal')} via {p.get('via')}{limit}{pinned}{where}")
    return lines


def outside_lines(principals: Any) -> list[str]:
    """The principals KSSE016 rests on: outside the stream's account (or everyone) and not pinned."""
    if not isinstance(principals, list):
        return []
    return [f"{p.get('principal')} via {p.get('via')}" for p in principals
            if isinstance(p, Mapping) and p.get("outside_account") is True and not p.get("pinned")]
