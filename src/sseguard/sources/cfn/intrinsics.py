"""The resolver of one template: references (parameters, pseudo parameters, resources), intrinsic functions and
conditions, evaluated as far as the template and the scan's options allow. See ``cfn.values`` for what it returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sseguard.model import Unknown
from sseguard.options import ScanOptions
from sseguard.sources.cfn.functions import FUNCTIONS
from sseguard.sources.cfn.load import Template
from sseguard.sources.cfn.values import (
    NO_VALUE,
    Deferred,
    as_text,
    choose,
    first_choice,
    first_unknown,
    over,
    settle,
)

# A cap on undecidable conditions combined in one function call (2**6 = 64 branches); past it, unknown.
MAX_CHOICES = 6

_AFTER_DEPLOY_FIX = "scan the deployed stream (sseguard aws)"
_UNDECLARED_FIX = "declare it in the template: CloudFormation rejects a reference to an undeclared name"
_LIST_TYPE = re.compile(r"^(CommaDelimitedList|List<.*>)$")


def is_intrinsic(node: Any) -> bool:
    """True for a one-key mapping naming an intrinsic function (``{"Ref": ...}``, ``{"Fn::If": ...}``)."""
    if not isinstance(node, Mapping) or len(node) != 1:
        return False
    (name,) = node.keys()
    return name in FUNCTIONS or name.startswith("Fn::")


class Resolver:
    """Evaluates the intrinsic functions and conditions of one template, with the scan's options."""

    def __init__(self, template: Template, options: ScanOptions) -> None:
        self.template = template
        self.region = options.region
        self.overrides = options.parameters
        self._conditions: dict[str, bool | Unknown] = {}
        self._deciding: set[str] = set()

    # --- values ---------------------------------------------------------------------------------------------------

    def value(self, node: Any) -> Any:
        """The resolved value of a template node (see the module docstring for the markers)."""
        if isinstance(node, Mapping):
            if is_intrinsic(node):
                ((name, arg),) = node.items()
                fn = FUNCTIONS.get(name)
                if fn is None:
                    return Unknown(f"intrinsic function {name} is not supported",
                                   "replace it by a literal or a parameter")
                return fn(self, arg)
            out: dict[str, Any] = {}
            for key, item in node.items():
                resolved = self.value(item)
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(node, list):
            return [r for r in (self.value(item) for item in node) if r is not NO_VALUE]
        return node

    def member(self, node: Any, key: str) -> Any:
        """The resolved value of ``node[key]``; ``NO_VALUE`` when absent. ``node`` may itself be an intrinsic."""
        if is_intrinsic(node):
            return over(self.value(node), lambda v: _get(v, key))
        if isinstance(node, Mapping):
            return self.value(node[key]) if key in node else NO_VALUE
        return NO_VALUE

    def lifted(self, args: Any, fn: Callable[[Any], Any], depth: int = 0) -> Any:
        """Apply ``fn`` to resolved arguments; a choice inside them is applied branch by branch."""
        found = first_choice(args)
        if found is None:
            unknown = first_unknown(args)
            return unknown if unknown is not None else fn(args)
        if depth >= MAX_CHOICES:
            return Unknown(f"more than {MAX_CHOICES} undecidable conditions combine in one value",
                           "pass --region and --parameter values so the conditions can be decided")
        choice, with_true, with_false = found
        return choose(choice.condition, choice.why, self.lifted(with_true, fn, depth + 1),
                      self.lifted(with_false, fn, depth + 1))

    # --- references -----------------------------------------------------------------------------------------------

    def ref(self, name: str) -> Any:
        """``Ref`` of a pseudo parameter, parameter or resource; a name the template does not declare is kept."""
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.template.parameters:
            return self.parameter(name)
        resource = self.template.resources.get(name)
        if isinstance(resource, Mapping):
            kind = resource.get("Type")
            return Deferred(f"${{{name}}}", f"the physical id of {name} ({kind}) is known only after deploy",
                            _AFTER_DEPLOY_FIX, refs=((name, ""),))
        return Deferred(f"${{{name}}}", f"{name} is neither a parameter nor a resource of the template",
                        _UNDECLARED_FIX, declared=False)

    def pseudo(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if self.region is not None:
            known = {
                "AWS::Region": self.region,
                "AWS::Partition": _partition(self.region),
                "AWS::URLSuffix": "amazonaws.com.cn" if self.region.startswith("cn-") else "amazonaws.com",
            }
            if name in known:
                return known[name]
        if name in ("AWS::Region", "AWS::Partition", "AWS::URLSuffix"):
            return Deferred(f"${{{name}}}", f"{name} is not known (no --region given)",
                            "pass --region")
        if name in ("AWS::AccountId", "AWS::StackName", "AWS::StackId", "AWS::NotificationARNs"):
            return Deferred(f"${{{name}}}", f"{name} is known only at deploy", _AFTER_DEPLOY_FIX)
        return Unknown(f"{name} is not a pseudo parameter CloudFormation knows")

    def parameter(self, name: str) -> Any:
        spec = self.template.parameters.get(name)
        spec = spec if isinstance(spec, Mapping) else {}
        kind = str(spec.get("Type", "String"))
        is_list = bool(_LIST_TYPE.match(kind)) or kind.startswith("AWS::SSM::Parameter::Value<List<")
        if name in self.overrides:
            return _as_parameter(self.overrides[name], is_list)
        resolve = f"pass --parameter {name}=..."
        if kind.startswith("AWS::SSM::Parameter::Value<"):
            where = f" {spec['Default']}" if "Default" in spec else ""
            return Unknown(f"parameter {name} is read from SSM parameter{where} at deploy", resolve)
        if "Default" not in spec:
            return Unknown(f"parameter {name} has no default", resolve)
        return _as_parameter(spec["Default"], is_list)

    def get_att(self, resource: str, attribute: str) -> Deferred:
        if resource in self.template.resources:
            return Deferred(f"${{{resource}.{attribute}}}",
                            f"attribute {attribute} of {resource} is known only after deploy",
                            _AFTER_DEPLOY_FIX, refs=((resource, attribute),))
        return Deferred(f"${{{resource}.{attribute}}}", f"{resource} is not a resource of the template",
                        _UNDECLARED_FIX, declared=False)

    # --- conditions -----------------------------------------------------------------------------------------------

    def condition(self, name: str) -> bool | Unknown:
        """Decide a named condition: True, False, or Unknown with the reason it cannot be decided."""
        if name in self._conditions:
            return self._conditions[name]
        if name in self._deciding:
            return Unknown(f"condition {name} refers to itself")
        if name not in self.template.conditions:
            return Unknown(f"condition {name} is not declared in Conditions")
        self._deciding.add(name)
        try:
            result = self.decide(self.template.conditions[name])
        finally:
            self._deciding.discard(name)
        if isinstance(result, Unknown):
            result = Unknown(f"condition {name} cannot be decided: {result.reason}", result.resolve)
        self._conditions[name] = result
        return result

    def decide(self, expr: Any) -> bool | Unknown:
        """Evaluate a condition expression (``Fn::Equals``, ``Fn::And``, ``Fn::Or``, ``Fn::Not``, ``Condition``)."""
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, str) and expr.lower() in ("true", "false"):
            return expr.lower() == "true"
        if not (isinstance(expr, Mapping) and len(expr) == 1):
            return Unknown(f"{expr!r} is not a condition expression")
        ((name, arg),) = expr.items()
        if name == "Condition":
            return self.condition(str(arg))
        if name == "Fn::Not":
            inner = self.decide(arg[0] if isinstance(arg, list) and len(arg) == 1 else arg)
            return inner if isinstance(inner, Unknown) else not inner
        if name in ("Fn::And", "Fn::Or"):
            if not isinstance(arg, list):
                return Unknown(f"{name} needs a list of conditions")
            deciding = name == "Fn::Or"  # the value that settles the whole expression
            unknown: Unknown | None = None
            for item in arg:
                result = self.decide(item)
                if isinstance(result, Unknown):
                    unknown = unknown or result
                elif result is deciding:
                    return deciding
            return unknown if unknown is not None else not deciding
        if name == "Fn::Equals":
            return self.equals(arg)
        resolved = self.value(expr)
        if isinstance(resolved, bool):
            return resolved
        return resolved if isinstance(resolved, Unknown) else Unknown(f"{name} is not a condition expression")

    def equals(self, arg: Any) -> bool | Unknown:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("Fn::Equals needs two values")
        result = self.lifted([self.value(arg[0]), self.value(arg[1])], _equal)
        # A choice inside the compared values is decided only if both branches compare the same way.
        settled = settle(result, "comparison")
        return settled if isinstance(settled, bool | Unknown) else Unknown(f"Fn::Equals gave {settled!r}")


def _equal(pair: list[Any]) -> bool | Unknown:
    left, right = pair
    if left == right and type(left) is type(right):
        return True
    for side in (left, right):
        if isinstance(side, Deferred):
            return side.unknown()
    return bool(as_text(left) == as_text(right))


def _partition(region: str) -> str:
    for prefix, partition in (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"),
                              ("us-iso-", "aws-iso"), ("eu-isoe-", "aws-iso-e")):
        if region.startswith(prefix):
            return partition
    return "aws"


def _as_parameter(value: Any, is_list: bool) -> Any:
    if isinstance(value, list):
        items = [as_text(v) for v in value]
        return items if is_list else ",".join(str(v) for v in items)
    text = str(as_text(value)) if value is not None else ""
    return [part.strip() for part in text.split(",")] if is_list else text


def _get(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key, NO_VALUE)
    if isinstance(value, Unknown):
        return value
    return NO_VALUE
