"""Terraform's built-in functions that configurations commonly use to compute encryption settings.

Each takes evaluated arguments. An Unknown argument makes the result Unknown; a Computed one (known after apply)
makes string results Computed, so ``lower(aws_kms_key.k.arn)`` still points at the key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sseguard.model import Unknown
from sseguard.sources.terraform.values import Computed, EvalError, collect_refs, first_unknown, to_text, type_name

Value = Any


def _strict(fn: Callable[..., Value]) -> Callable[..., Value]:
    """Wrap a function that needs every argument fully known."""

    def wrapper(*args: Value) -> Value:
        for a in args:
            u = first_unknown(a)
            if u is not None:
                return u
        refs = tuple(r for a in args for r in collect_refs(a))
        if refs:
            return Computed("${" + wrapper.__name__.strip("_") + "(...)}", refs)
        return fn(*args)

    wrapper.__name__ = fn.__name__
    return wrapper


def _shallow(fn: Callable[..., Value]) -> Callable[..., Value]:
    """Wrap a function that picks, reorders or counts elements: only an argument that is itself unresolved decides
    the result, and elements known only after apply pass through, so element(aws_kms_key.k[*].arn, 1) is the
    second key's ARN rather than a value mixing every key."""

    def wrapper(*args: Value) -> Value:
        for a in args:
            if isinstance(a, Unknown):
                return a
        refs = tuple(r for a in args if isinstance(a, Computed) for r in a.refs)
        if refs:
            return Computed("${" + wrapper.__name__ + "(...)}", refs)
        return fn(*args)

    wrapper.__name__ = fn.__name__
    return wrapper


def _string_fn(fn: Callable[[str], str]) -> Callable[..., Value]:
    """A string -> string function that keeps a Computed argument's references and placeholder text."""

    def wrapper(value: Value) -> Value:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Computed):
            return Computed(value.text, value.refs)
        text = to_text(value)
        assert isinstance(text, str)
        return fn(text)

    return wrapper


def _s(v: Value) -> str:
    text = to_text(v)
    if not isinstance(text, str):
        raise EvalError("a known string is required")
    return text


def _format(fmt: str, *args: Value) -> str:
    out: list[str] = []
    i = 0
    arg = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        m = re.match(r"%([-+ #0]*)(\d*)(?:\.(\d+))?([sdvqftxXobeEgG%])", fmt[i:])
        if not m:
            raise EvalError(f"format: bad verb in {fmt!r}")
        verb = m.group(4)
        i += len(m.group(0))
        if verb == "%":
            out.append("%")
            continue
        if arg >= len(args):
            raise EvalError("format: not enough arguments")
        v = args[arg]
        arg += 1
        if verb in "sv":
            out.append(json.dumps(v) if isinstance(v, list | dict) else _s(v))
        elif verb == "q":
            out.append(json.dumps(_s(v)))
        elif verb == "d":
            out.append(str(int(v)))
        elif verb in "feEgG":
            py = "%" + m.group(1) + m.group(2) + (f".{m.group(3)}" if m.group(3) else "") + verb
            out.append(py % float(v))
        elif verb in "xXob":
            out.append(format(int(v), verb if verb != "o" else "o"))
        elif verb == "t":
            out.append("true" if v else "false")
    return "".join(out)


def _lookup(m: Value, key: Value, *default: Value) -> Value:
    if not isinstance(m, dict):
        raise EvalError(f"lookup() needs a map, got {type_name(m)}")
    k = _s(key)
    if k in m:
        return m[k]
    if default:
        return default[0]
    raise EvalError(f"lookup(): no key {k!r} and no default")


def _coalesce(*args: Value) -> Value:
    for a in args:
        if isinstance(a, Unknown):
            return a
        if isinstance(a, Computed):
            return a
        if a is not None and a != "":
            return a
    raise EvalError("coalesce(): no non-null, non-empty argument")


def _merge(*maps: Value) -> Value:
    out: dict[str, Value] = {}
    for m in maps:
        if m is None:
            continue
        if isinstance(m, Unknown):
            return m
        if isinstance(m, Computed):
            return Unknown("merge() of a value only known after apply", "scan the plan JSON")
        if not isinstance(m, dict):
            raise EvalError(f"merge() needs maps, got {type_name(m)}")
        out.update(m)
    return out


def _concat(*lists: Value) -> Value:
    out: list[Value] = []
    for li in lists:
        if isinstance(li, Unknown):
            return li
        if not isinstance(li, list):
            raise EvalError(f"concat() needs lists, got {type_name(li)}")
        out.extend(li)
    return out


def _jsonencode(v: Value) -> Value:
    u = first_unknown(v)
    if u is not None:
        return u
    refs = collect_refs(v)
    text = json.dumps(_placeholders(v), separators=(",", ":"))
    return Computed(text, refs) if refs else text


def _placeholders(v: Value) -> Value:
    if isinstance(v, Computed):
        return v.text
    if isinstance(v, list):
        return [_placeholders(x) for x in v]
    if isinstance(v, dict):
        return {k: _placeholders(x) for k, x in v.items()}
    return v


def _jsondecode(text: Value) -> Value:
    try:
        return json.loads(_s(text))
    except json.JSONDecodeError as err:
        raise EvalError(f"jsondecode(): {err.msg}") from None


def _tonumber(v: Value) -> Value:
    if v is None:
        return None
    if isinstance(v, bool):
        raise EvalError("tonumber(): a bool is not a number")
    if isinstance(v, int | float):
        return v
    try:
        f = float(_s(v))
    except ValueError:
        raise EvalError(f"tonumber(): {v!r} is not a number") from None
    return int(f) if f.is_integer() else f


def _tobool(v: Value) -> Value:
    if v is None or isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError(f"tobool(): {v!r} is not a bool")


def _tostring(v: Value) -> Value:
    if v is None:
        return None
    if isinstance(v, list | dict):
        raise EvalError("tostring(): a collection is not a string")
    return _s(v)


def _toset(v: Value) -> Value:
    if not isinstance(v, list):
        raise EvalError("toset() needs a list")
    out: list[Value] = []
    for x in v:
        if x not in out:
            out.append(x)
    return sorted(out, key=lambda x: json.dumps(x, sort_keys=True)) if all(isinstance(x, str) for x in out) else out


def _length(v: Value) -> int:
    if isinstance(v, str | list | dict):
        return len(v)
    raise EvalError(f"length() of a {type_name(v)} value")


def _element(li: Value, i: Value) -> Value:
    if not isinstance(li, list) or not li:
        raise EvalError("element() needs a non-empty list")
    return li[int(i) % len(li)]


def _flatten(v: Value) -> Value:
    out: list[Value] = []
    for x in v:
        if isinstance(x, list):
            out.extend(_flatten(x))
        else:
            out.append(x)
    return out


def _one(v: Value) -> Value:
    if not isinstance(v, list):
        raise EvalError("one() needs a list")
    if len(v) > 1:
        raise EvalError("one() of a list with more than one element")
    return v[0] if v else None


def _regex_compat(pattern: str) -> str:
    # RE2 named groups (?P<n>...) are Python's; \z is Python's \Z
    return pattern.replace(r"\z", r"\Z")


def _regex(pattern: Value, text: Value) -> Value:
    m = re.search(_regex_compat(_s(pattern)), _s(text))
    if not m:
        raise EvalError("regex(): no match")
    if m.groupdict():
        return m.groupdict()
    if m.groups():
        return list(m.groups())
    return m.group(0)


def _replace(text: Value, search: Value, repl: Value) -> Value:
    s, pat, r = _s(text), _s(search), _s(repl)
    if len(pat) > 1 and pat.startswith("/") and pat.endswith("/"):
        return re.sub(_regex_compat(pat[1:-1]), re.sub(r"\$(\d+)", r"\\\1", r), s)
    return s.replace(pat, r)


def _range(*args: Value) -> Value:
    nums = [int(a) for a in args]
    if len(nums) > 3 or not nums:
        raise EvalError("range() takes 1 to 3 arguments")
    values = list(range(*nums))
    if len(values) > 1024:
        raise EvalError("range() too large")
    return values


def build_functions(read_file: Callable[[str], str], template_file: Callable[[str, Value], Value]) -> dict[str, Any]:
    """The function table of a module instance; file functions read relative to the working directory."""
    f: dict[str, Any] = {
        "lower": _string_fn(str.lower),
        "upper": _string_fn(str.upper),
        "trimspace": _string_fn(str.strip),
        "title": _string_fn(str.title),
        "chomp": _string_fn(lambda s: s.rstrip("\r\n")),
        "format": _strict(lambda fmt, *a: _format(_s(fmt), *a)),
        "formatlist": _strict(lambda fmt, *a: [_format(_s(fmt), *row) for row in zip(*a, strict=False)]),
        "lookup": _shallow(_lookup),
        "coalesce": _coalesce,
        "coalescelist": _shallow(lambda *ls: next((li for li in ls if li), [])),
        "merge": _merge,
        "concat": _concat,
        "jsonencode": _jsonencode,
        "jsondecode": _strict(_jsondecode),
        "tostring": _strict(_tostring),
        "tonumber": _strict(_tonumber),
        "tobool": _strict(_tobool),
        "tolist": _shallow(lambda v: list(v) if isinstance(v, list) else _bad("tolist", v)),
        "toset": _strict(_toset),
        "tomap": _shallow(lambda v: dict(v) if isinstance(v, dict) else _bad("tomap", v)),
        "length": _shallow(_length),
        "element": _shallow(_element),
        "join": _strict(lambda sep, li: _s(sep).join(_s(x) for x in li)),
        "split": _strict(lambda sep, s: _s(s).split(_s(sep))),
        "replace": _strict(_replace),
        "substr": _strict(lambda s, o, n: _s(s)[int(o):] if int(n) < 0 else _s(s)[int(o):int(o) + int(n)]),
        "trim": _strict(lambda s, c: _s(s).strip(_s(c))),
        "trimprefix": _strict(lambda s, p: _s(s).removeprefix(_s(p))),
        "trimsuffix": _strict(lambda s, p: _s(s).removesuffix(_s(p))),
        "startswith": _strict(lambda s, p: _s(s).startswith(_s(p))),
        "endswith": _strict(lambda s, p: _s(s).endswith(_s(p))),
        "strcontains": _strict(lambda s, p: _s(p) in _s(s)),
        "contains": _strict(lambda li, v: v in li),
        "keys": _shallow(lambda m: sorted(m)),
        "values": _shallow(lambda m: [m[k] for k in sorted(m)]),
        "zipmap": _shallow(lambda k, v: dict(zip([_s(x) for x in k], v, strict=True))),
        "flatten": _shallow(_flatten),
        "distinct": _shallow(lambda li: [x for i, x in enumerate(li) if x not in li[:i]]),
        "compact": _shallow(lambda li: [x for x in li if x not in (None, "")]),
        "reverse": _shallow(lambda li: list(reversed(li))),
        "sort": _strict(lambda li: sorted(_s(x) for x in li)),
        "slice": _shallow(lambda li, a, b: li[int(a):int(b)]),
        "one": _shallow(_one),
        "min": _strict(lambda *n: min(n)),
        "max": _strict(lambda *n: max(n)),
        "abs": _strict(abs),
        "ceil": _strict(lambda n: math.ceil(n)),
        "floor": _strict(lambda n: math.floor(n)),
        "range": _strict(_range),
        "regex": _strict(_regex),
        "can": None,  # evaluated lazily by the evaluator
        "try": None,
        "index": _strict(lambda li, v: li.index(v) if v in li else _bad("index", v)),
        "sensitive": lambda v: v,
        "nonsensitive": lambda v: v,
        "file": _strict(lambda p: read_file(_s(p))),
        "templatefile": lambda p, vars_: template_file(_s(p), vars_) if not isinstance(p, Unknown) else p,
        "abspath": _strict(lambda p: str(Path(_s(p)).absolute())),
        "basename": _strict(lambda p: Path(_s(p)).name),
        "dirname": _strict(lambda p: str(Path(_s(p)).parent)),
        "alltrue": _strict(lambda li: all(_bool(x) for x in _list(li, "alltrue"))),
        "anytrue": _strict(lambda li: any(_bool(x) for x in _list(li, "anytrue"))),
        "sum": _strict(lambda li: sum(_list(li, "sum")) if li else _bad("sum", li)),
        "setunion": _strict(lambda *ls: _set([x for li in ls for x in _list(li, "setunion")])),
        "setintersection": _strict(lambda first, *ls: _set([x for x in _list(first, "setintersection")
                                                             if all(x in _list(li, "setintersection") for li in ls)])),
        "setsubtract": _strict(lambda a, b: _set([x for x in _list(a, "setsubtract")
                                                  if x not in _list(b, "setsubtract")])),
        "regexall": _strict(_regexall),
        "strrev": _strict(lambda s: _s(s)[::-1]),
        "parseint": _strict(lambda s, base: int(_s(s), int(base))),
        "signum": _strict(lambda n: (n > 0) - (n < 0)),
        "pow": _strict(lambda a, b: _whole(math.pow(a, b))),
        "log": _strict(lambda a, b: _whole(math.log(a, b))),
        "chunklist": _shallow(lambda li, n: [li[i:i + int(n)] for i in range(0, len(li), int(n))] if int(n) > 0
                             else [li]),
        "matchkeys": _strict(lambda vals, keys, search: [v for v, k in zip(vals, keys, strict=True) if k in search]),
        "transpose": _strict(_transpose),
        "yamldecode": _strict(_yamldecode),
        "base64encode": _strict(lambda s: base64.b64encode(_s(s).encode()).decode()),
        "base64decode": _strict(lambda s: base64.b64decode(_s(s), validate=True).decode("utf-8")),
        "md5": _strict(lambda s: hashlib.md5(_s(s).encode()).hexdigest()),
        "sha1": _strict(lambda s: hashlib.sha1(_s(s).encode()).hexdigest()),
        "sha256": _strict(lambda s: hashlib.sha256(_s(s).encode()).hexdigest()),
    }
    for name, fn in f.items():
        if fn is not None:
            fn.__name__ = name  # placeholders of values known after apply read "${format(...)}", not a lambda
    return {k: v for k, v in f.items() if v is not None}


def _list(v: Value, name: str) -> list[Value]:
    if not isinstance(v, list):
        raise EvalError(f"{name}() needs a list, got {type_name(v)}")
    return v


def _bool(v: Value) -> bool:
    if not isinstance(v, bool):
        raise EvalError(f"a bool is required, got {type_name(v)}")
    return v


def _set(items: list[Value]) -> list[Value]:
    """A set as the sorted list Terraform iterates (strings sorted; other values in first-seen order)."""
    out: list[Value] = []
    for x in items:
        if x not in out:
            out.append(x)
    return sorted(out) if all(isinstance(x, str) for x in out) else out


def _whole(f: float) -> float | int:
    return int(f) if f.is_integer() else f


def _regexall(pattern: Value, text: Value) -> Value:
    out: list[Value] = []
    for m in re.finditer(_regex_compat(_s(pattern)), _s(text)):
        out.append(m.groupdict() if m.groupdict() else list(m.groups()) if m.groups() else m.group(0))
    return out


def _transpose(m: Value) -> Value:
    if not isinstance(m, dict):
        raise EvalError("transpose() needs a map of lists")
    out: dict[str, list[Value]] = {}
    for k, values in sorted(m.items()):
        for v in _list(values, "transpose"):
            out.setdefault(_s(v), []).append(k)
    return out


def _yamldecode(text: Value) -> Value:
    import yaml  # only configurations that call yamldecode pay for loading PyYAML

    source = _s(text)
    try:
        # aliases are refused: a few lines of them can stand for an exponential amount of data
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(source, Loader=yaml.SafeLoader)):
            raise EvalError("yamldecode(): YAML aliases are not evaluated by sseguard")
        return json.loads(json.dumps(yaml.safe_load(source), default=str))
    except yaml.YAMLError as err:
        raise EvalError(f"yamldecode(): {str(err).splitlines()[0]}") from None


def _bad(name: str, v: Value) -> Value:
    raise EvalError(f"{name}(): unexpected {type_name(v)} value")
