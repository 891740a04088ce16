"""The intrinsic functions (``Fn::Sub``, ``Fn::Join``, ``Fn::If``...), each applied to resolved arguments.

Each takes the resolver and the function's raw argument, and returns a resolved value (see ``cfn.values``).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sseguard.model import Unknown
from sseguard.sources.cfn.load import Template
from sseguard.sources.cfn.values import NO_VALUE, Deferred, as_text, choose, concat, derived


class Resolver(Protocol):
    """What a function needs from the template's resolver (``intrinsics.Resolver`` is the one there is)."""

    @property
    def template(self) -> Template: ...

    def value(self, node: Any) -> Any: ...

    def lifted(self, args: Any, fn: Callable[[Any], Any], depth: int = 0) -> Any: ...

    def ref(self, name: str) -> Any: ...

    def get_att(self, resource: str, attribute: str) -> Deferred: ...

    def condition(self, name: str) -> bool | Unknown: ...

    def decide(self, expr: Any) -> bool | Unknown: ...

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_AFTER_DEPLOY_FIX = "scan the deployed stream (sseguard aws)"


def _fn_ref(r: Resolver, arg: Any) -> Any:
    if not isinstance(arg, str):
        return Unknown(f"Ref needs a name, not {arg!r}")
    return r.ref(arg)


def _fn_get_att(r: Resolver, arg: Any) -> Any:
    if isinstance(arg, str):
        resource, _, attribute = arg.partition(".")
        return r.get_att(resource, attribute)
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
        return Unknown(f"Fn::GetAtt needs [resource, attribute], not {arg!r}")
    return r.lifted(r.value(arg[1]), lambda attribute: r.get_att(arg[0], str(_text_of(attribute))))


def _text_of(value: Any) -> Any:
    return value.text if isinstance(value, Deferred) else value


def _fn_sub(r: Resolver, arg: Any) -> Any:
    if isinstance(arg, str):
        template, variables = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], Mapping):
        template, variables = arg[0], {k: r.value(v) for k, v in arg[1].items()}
    else:
        return Unknown(f"Fn::Sub needs a string or [string, variables], not {arg!r}")

    def substitute(values: dict[str, Any]) -> Any:
        parts: list[Any] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(template):
            parts.append(template[pos:m.start()])
            name = m[1].strip()
            if name.startswith("!"):
                parts.append("${" + name[1:] + "}")
            elif name in values:
                parts.append(values[name])
            elif "." in name and not name.startswith("AWS::"):
                resource, _, attribute = name.partition(".")
                parts.append(r.get_att(resource, attribute))
            else:
                parts.append(r.ref(name))
            pos = m.end()
        parts.append(template[pos:])
        return r.lifted(parts, concat)

    return r.lifted(variables, substitute)


def _fn_join(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown(f"Fn::Join needs [delimiter, list], not {arg!r}")

    def join(args: list[Any]) -> Any:
        delimiter, items = args
        if isinstance(items, Deferred):
            return derived(items, f"${{Fn::Join({delimiter!r}, {items.text})}}")
        if not isinstance(items, list) or not isinstance(delimiter, str):
            return Unknown(f"Fn::Join needs [delimiter, list], not {[delimiter, items]!r}")
        parts: list[Any] = []
        for i, item in enumerate(items):
            if i:
                parts.append(delimiter)
            parts.append(item)
        return concat(parts)

    return r.lifted([r.value(arg[0]), r.value(arg[1])], join)


def _fn_select(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown(f"Fn::Select needs [index, list], not {arg!r}")

    def select(args: list[Any]) -> Any:
        index, items = args
        if isinstance(index, Deferred):
            return index.unknown()
        try:
            i = int(index)
        except (TypeError, ValueError):
            return Unknown(f"Fn::Select index {index!r} is not a number")
        if isinstance(items, Deferred):
            return derived(items, f"${{Fn::Select({i}, {items.text})}}")
        if not isinstance(items, list):
            return Unknown(f"Fn::Select needs a list, not {items!r}")
        if not 0 <= i < len(items):
            return Unknown(f"Fn::Select index {i} is outside the list of {len(items)} items")
        return items[i]

    return r.lifted([r.value(arg[0]), r.value(arg[1])], select)


def _fn_split(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown(f"Fn::Split needs [delimiter, string], not {arg!r}")

    def split(args: list[Any]) -> Any:
        delimiter, source = args
        if isinstance(source, Deferred):
            return derived(source, f"${{Fn::Split({delimiter!r}, {source.text})}}")
        if not isinstance(delimiter, str) or not isinstance(source, str) or not delimiter:
            return Unknown(f"Fn::Split needs a delimiter and a string, not {[delimiter, source]!r}")
        return source.split(delimiter)

    return r.lifted([r.value(arg[0]), r.value(arg[1])], split)


def _fn_find_in_map(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) in (3, 4)):
        return Unknown(f"Fn::FindInMap needs [map, top key, second key], not {arg!r}")
    default = NO_VALUE
    if len(arg) == 4:
        option = arg[3]
        if not (isinstance(option, Mapping) and "DefaultValue" in option):
            return Unknown("the fourth argument of Fn::FindInMap must be {DefaultValue: ...}")
        default = r.value(option["DefaultValue"])

    def find(keys: list[Any]) -> Any:
        for key in keys:
            if isinstance(key, Deferred):
                return key.unknown()
        map_name, top, second = (str(as_text(k)) for k in keys)
        table = r.template.mappings.get(map_name)
        row = table.get(top) if isinstance(table, Mapping) else None
        if isinstance(row, Mapping) and second in row:
            return r.value(row[second])
        if default is not NO_VALUE:
            return default
        if not isinstance(table, Mapping):
            return Unknown(f"mapping {map_name} is not declared in Mappings")
        return Unknown(f"mapping {map_name} has no entry [{top}][{second}]",
                       f"add [{top}][{second}] to mapping {map_name}, or give other --parameter/--region values")

    return r.lifted([r.value(a) for a in arg[:3]], find)


def _fn_if(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
        return Unknown(f"Fn::If needs [condition, value if true, value if false], not {arg!r}")
    decided = r.condition(arg[0])
    if decided is True:
        return r.value(arg[1])
    if decided is False:
        return r.value(arg[2])
    assert isinstance(decided, Unknown)
    return choose(arg[0], decided, r.value(arg[1]), r.value(arg[2]))


def _fn_base64(r: Resolver, arg: Any) -> Any:
    def encode(value: Any) -> Any:
        if isinstance(value, Deferred):
            return derived(value, f"${{Fn::Base64({value.text})}}")
        if not isinstance(value, str):
            return Unknown(f"Fn::Base64 needs a string, not {value!r}")
        return base64.b64encode(value.encode()).decode()

    return r.lifted(r.value(arg), encode)


def _fn_length(r: Resolver, arg: Any) -> Any:
    def length(value: Any) -> Any:
        if isinstance(value, list):
            return len(value)
        return value.unknown() if isinstance(value, Deferred) else Unknown(f"Fn::Length needs a list, not {value!r}")

    return r.lifted(r.value(arg), length)


def _fn_to_json_string(r: Resolver, arg: Any) -> Any:
    def dump(value: Any) -> Any:
        found = _first_deferred(value)
        if found is not None:
            return derived(found, f"${{Fn::ToJsonString({found.text})}}")
        return json.dumps(value, separators=(",", ":"))

    return r.lifted(r.value(arg), dump)


def _first_deferred(value: Any) -> Deferred | None:
    if isinstance(value, Deferred):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = _first_deferred(item)
        if found is not None:
            return found
    return None


def _fn_import_value(r: Resolver, arg: Any) -> Any:
    name = r.value(arg)
    shown = name.display if isinstance(name, Deferred) else name
    return Unknown(f"Fn::ImportValue {shown} reads another stack's export at deploy",
                   "pass the value as a parameter instead, or scan the deployed stream (sseguard aws)")


def _fn_get_azs(r: Resolver, arg: Any) -> Any:
    return Unknown("Fn::GetAZs lists the region's availability zones only at deploy",
                   _AFTER_DEPLOY_FIX)


def _fn_cidr(r: Resolver, arg: Any) -> Any:
    return Unknown("Fn::Cidr is not evaluated by sseguard")


def _fn_transform(r: Resolver, arg: Any) -> Any:
    return Unknown("Fn::Transform runs a macro at deploy", "scan the processed template or the deployed stream")


def _fn_condition_expr(name: str) -> Callable[[Resolver, Any], Any]:
    return lambda r, arg: r.decide({name: arg})


FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": _fn_ref,
    "Fn::GetAtt": _fn_get_att,
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::If": _fn_if,
    "Fn::Base64": _fn_base64,
    "Fn::Length": _fn_length,
    "Fn::ToJsonString": _fn_to_json_string,
    "Fn::ImportValue": _fn_import_value,
    "Fn::GetAZs": _fn_get_azs,
    "Fn::Cidr": _fn_cidr,
    "Fn::Transform": _fn_transform,
    "Fn::Equals": _fn_condition_expr("Fn::Equals"),
    "Fn::And": _fn_condition_expr("Fn::And"),
    "Fn::Or": _fn_condition_expr("Fn::Or"),
    "Fn::Not": _fn_condition_expr("Fn::Not"),
}
