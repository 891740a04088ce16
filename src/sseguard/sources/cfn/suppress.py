"""Suppressions written in a CloudFormation resource's ``Metadata``, read into the model's ``SuppressionRule``.

Forms (CONTROL.md):

- ``sseguard: {ignore: [{code: KSSE001, reason: ..., expires: YYYY-MM-DD}]}`` (``code`` may be a list, or
  ``codes``);
- cfn_nag ``cfn_nag: {rules_to_suppress: [{id: W49, reason: ...}]}``;
- CloudFormation Guard ``guard: {SuppressedRules: [KINESIS_STREAM_ENCRYPTION_RULE]}``. Guard has no reason field,
  so its suppression carries no reason, and ``suppressions.apply`` reports it as not applied;
- Checkov ``checkov: {skip: [{id: CKV_AWS_43, comment: ...}]}``.

Entries naming other tools' rules (cfn_nag W35, Guard S3 rules...) are not about this control and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sseguard.model import SuppressionKind, SuppressionRule
from sseguard.suppressions import PEER_CODES

_CODE = re.compile(r"\bKSSE\d{3}\b", re.IGNORECASE)


def read(metadata: Any) -> tuple[SuppressionRule, ...]:
    """Every suppression of this control in a resource's ``Metadata``, with the line of each entry."""
    if not isinstance(metadata, Mapping):
        return ()
    rules: list[SuppressionRule] = []
    rules.extend(_sseguard(metadata.get("sseguard")))
    rules.extend(_cfn_nag(metadata.get("cfn_nag")))
    rules.extend(_guard(metadata.get("guard")))
    rules.extend(_checkov(metadata.get("checkov")))
    return tuple(rules)


def _entries(block: Any, key: str) -> list[tuple[Any, int | None]]:
    """The items of ``block[key]`` (a list, or one item) with their lines."""
    if not isinstance(block, Mapping):
        return []
    items = block.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        return [(items, getattr(items, "line", getattr(block, "key_lines", {}).get(key)))]
    lines = getattr(items, "item_lines", [])
    return [(item, getattr(item, "line", lines[i] if i < len(lines) else None)) for i, item in enumerate(items)]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _sseguard(block: Any) -> list[SuppressionRule]:
    rules = []
    for entry, line in _entries(block, "ignore"):
        if not isinstance(entry, Mapping):
            rules.append(SuppressionRule(SuppressionKind.SSEGUARD, frozenset(), "", None, f"sseguard ignore {entry!r}",
                                         line))
            continue
        named = entry.get("code", entry.get("codes"))
        names = named if isinstance(named, list) else [named]
        # "KSSE001, KSSE003" in one string names two codes, as the comment form does.
        codes = frozenset(c.upper() for name in names for c in _CODE.findall(_text(name)))
        expires = entry.get("expires")
        rules.append(SuppressionRule(
            SuppressionKind.SSEGUARD, codes, _text(entry.get("reason")), _text(expires) or None,
            f"sseguard ignore {', '.join(_text(c) for c in names if c is not None) or '(no code)'}", line,
        ))
    return rules


def _cfn_nag(block: Any) -> list[SuppressionRule]:
    rules = []
    for entry, line in _entries(block, "rules_to_suppress"):
        if isinstance(entry, Mapping):
            rule_id = _text(entry.get("id")).upper()
            if rule_id in PEER_CODES:
                rules.append(SuppressionRule(SuppressionKind.CFN_NAG, PEER_CODES[rule_id], _text(entry.get("reason")),
                                             None, f"cfn_nag rules_to_suppress {rule_id}", line))
    return rules


def _guard(block: Any) -> list[SuppressionRule]:
    rules = []
    for entry, line in _entries(block, "SuppressedRules"):
        rule_id = _text(entry).upper()
        if rule_id in PEER_CODES:
            rules.append(SuppressionRule(SuppressionKind.GUARD, PEER_CODES[rule_id], "", None,
                                         f"guard SuppressedRules {rule_id}", line))
    return rules


def _checkov(block: Any) -> list[SuppressionRule]:
    rules = []
    for entry, line in _entries(block, "skip"):
        if isinstance(entry, Mapping):
            rule_id = _text(entry.get("id")).upper()
            if rule_id in PEER_CODES:
                rules.append(SuppressionRule(SuppressionKind.CHECKOV, PEER_CODES[rule_id], _text(entry.get("comment")),
                                             None, f"checkov skip {rule_id}", line))
    return rules
