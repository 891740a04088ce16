"""The period report's Keys section: every KMS key the period's streams use, with its rotation, its state and who
can decrypt with it, as the latest finding of each stream recorded them. This is the page an auditor asks for when
PCI DSS 3.6/3.7 (key management) and "only authorized principals can decrypt" come up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sseguard.evidence.store import Row


@dataclass
class KeyPeriod:
    """One key, and the streams whose latest finding in the period names it."""

    key: str
    where: str
    manager: Any
    state: Any
    rotation: Any
    rotation_period_days: Any
    decrypt_principals: Any
    as_of: str
    streams: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "where": self.where, "manager": self.manager, "state": self.state,
                "rotation": self.rotation, "rotation_period_days": self.rotation_period_days,
                "decrypt_principals": self.decrypt_principals, "as_of": self.as_of, "streams": self.streams}


def keys_of(latest: Iterable[tuple[str, Row]]) -> list[KeyPeriod]:
    """The keys named by each stream's latest finding row (``(stream address, row)``), one entry per key: a key is
    known by its ARN, else by where it is declared within the stream's source (two files may both declare
    ``aws_kms_key.k``). The newest observation of a key gives its facts."""
    found: dict[tuple[str, str], KeyPeriod] = {}
    for address, row in latest:
        data = row.data()
        evidence = data.get("evidence")
        key = evidence.get("key") if isinstance(evidence, Mapping) else None
        if not isinstance(key, Mapping):
            continue
        name = str(key.get("arn") or key.get("declared_at") or key.get("reference") or "?")
        where = "" if key.get("arn") else _where(data)
        entry = found.get((name, where))
        if entry is None or row.recorded_at > entry.as_of:
            streams = entry.streams if entry is not None else []
            entry = KeyPeriod(name, where, key.get("manager"), key.get("state"), key.get("rotation"),
                              key.get("rotation_period_days"), key.get("decrypt_principals"), row.recorded_at,
                              streams)
            found[(name, where)] = entry
        entry.streams.append(address)
    return sorted(found.values(), key=lambda k: (k.key, k.where))


def _where(finding: Mapping[str, Any]) -> str:
    source = finding.get("source")
    resource = finding.get("resource")
    if isinstance(source, Mapping) and source.get("path"):
        return str(source["path"])
    if isinstance(resource, Mapping):
        return f"{resource.get('account') or '?'}/{resource.get('region') or '?'}"
    return ""


def fact_words(value: Any, yes: str = "yes", no: str = "no") -> str:
    """An evidence fact in words: a flag, a value, or why it is not known."""
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, Mapping) and "not_known" in value:
        return f"not known: {value['not_known']}"
    if isinstance(value, Mapping) and "unknown" in value:
        resolve = f" (to resolve: {value['resolve']})" if value.get("resolve") else ""
        return f"unknown: {value['unknown']}{resolve}"
    return "" if value is None else str(value)


def rotation_words(key: KeyPeriod | Mapping[str, Any]) -> str:
    """Rotation on or off, with its period when one is set."""
    data = key.to_dict() if isinstance(key, KeyPeriod) else key
    words = fact_words(data.get("rotation"), "on", "off")
    days = data.get("rotation_period_days")
    return f"{words}, every {days} days" if data.get("rotation") is True and isinstance(days, int) else words
