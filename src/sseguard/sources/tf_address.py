"""Terraform resource addresses as the plan and state formats write them: ``module.a["x"].module.b[0].TYPE.NAME[1]``,
with ``data.`` before the type for a data source.

Kept apart from the JSON readers so the raw-text recovery (``unreadable``) can read addresses without loading them.
"""

from __future__ import annotations

import re

# One module step: module.NAME with an optional instance key ([0] or ["key"], whose string may hold dots).
_MODULE_STEP = re.compile(r'module\.(?P<name>[A-Za-z_][\w-]*)(?P<index>\[(?:\d+|"(?:[^"\\]++|\\.)*+")\])?')
_MODULE_PATH = re.compile(rf"(?:{_MODULE_STEP.pattern}\.)*")


def module_names(module_address: str | None) -> tuple[str, ...]:
    """The module call names of a module instance address, without instance keys: ``module.a["x"].module.b``
    gives ``("a", "b")``."""
    if not module_address:
        return ()
    return tuple(m.group("name") for m in _MODULE_STEP.finditer(module_address))


def resource_part(address: str) -> str:
    """A resource address without its module path: ``data.aws_kms_key.k`` for ``module.a.data.aws_kms_key.k``, and
    ``aws_kinesis_stream.s`` for ``module.data.aws_kinesis_stream.s`` (a module named ``data``)."""
    path = _MODULE_PATH.match(address)
    return address[path.end():] if path else address
