"""A remediation as the history keeps it: one ``remediation`` row per stream, keyed like the stream's findings so
the evidence report puts the change beside the stream's timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sseguard import __version__
from sseguard.control.codes import CONTROL_ID
from sseguard.evidence.store import stream_key
from sseguard.model import Stream, resolved_or_none
from sseguard.remediate.outcome import Entry

SCHEMA_ID = "sseguard/remediation/v1"


def stream_key_of(stream: Stream) -> str:
    """The history's identity of a live stream, the same as its findings' (``store.stream_key``)."""
    return stream_key({
        "control": CONTROL_ID,
        "resource": {"address": stream.address, "account": stream.account, "region": resolved_or_none(stream.region)},
        "source": {"kind": stream.location.kind.value, "path": stream.location.path},
    })


def history_records(entries: Sequence[Entry],
                    principals: Mapping[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(stream key, action, body) of each entry, for ``History.append_records``; ``principals`` is the caller ARN
    of each account, the author of the change."""
    out = []
    for item in entries:
        body = {
            "schema": SCHEMA_ID,
            "tool": {"name": "sseguard", "version": __version__},
            "command": "remediate",
            "by": principals.get(item.account or "", ""),
            "resource": {"address": item.arn, "account": item.account, "region": item.region},
            **{k: v for k, v in item.to_dict().items() if k not in ("arn", "account", "region")},
        }
        out.append((item.history_key, item.action.value, body))
    return out
