"""Terraform's built-in functions that configurations commonly use to compute encryption settings.

``FUNCTIONS`` maps each pure function's name to what the evaluator calls; ``build_functions`` adds the two that read
files, bound to one module instance. Every function, whatever its arguments:

- passes on what cannot be known: an Unknown argument makes the result Unknown; a Computed one (known after apply)
  makes a placeholder keeping its references, so ``lower(aws_kms_key.k.arn)`` still points at the key;
- fails as Terraform does, with one EvalError naming the function (``element(): cannot use element function with an
  empty list``), never with another exception;
- does bounded work: what it produces and what it looks at stay within ``limits``, checked before the work wherever
  a result could outgrow its arguments (format widths, join, replace, flatten, ``...`` expansions).
"""

from __future__ import annotations

import base64
import decimal
import hashlib
import inspect
import json
import math
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from sseguard.model import Unknown
from sseguard.sources.safe_load import MAX_DEPTH, LoadError, load_yaml, loads
from sseguard.sources.terraform.limits import (
    MAX_TEXT_LENGTH,
    MAX_VISITS,
    check_count,
    check_text,
    shown,
    too_large,
)
from sseguard.sources.terraform.regexp import Regexp, Spans, utf8, well_formed
from sseguard.sources.terraform.values import (
    MAX_NUMBER_BITS,
    Computed,
    EvalError,
    Ref,
    parse_number,
    to_text,
    type_name,
    with_placeholders,
)

Value = Any
Function = Callable[..., Value]
# How a function meets values it cannot know; given the function's name and its implementation.
Policy = Callable[[str, Function], Function]

MAX_RANGE = 1024  # Terraform's own limit on range()
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_RANGE_CONTEXT = decimal.Context(prec=160)  # about the 512 bits Terraform computes range() steps with
_NO_DEFAULT = object()


# --- what arguments hold ------------------------------------------------------------------------------------------


class _Census(NamedTuple):
    """What a walk through argument values found."""

    unknown: Unknown | None  # the first Unknown, in order
    refs: tuple[Ref, ...]  # every reference of a value known only after apply
    chars: int  # characters of every string, key and placeholder
    elements: int  # elements of every list and map, at all levels


def _census(values: Iterable[Value]) -> _Census:
    """Walk values without recursion, refusing to look at more than MAX_VISITS elements (a list can hold the same
    big list many times over, so its size is not bounded by the memory it takes) or to go deeper than MAX_DEPTH
    levels (so that what functions do recursively, such as writing JSON, cannot exhaust the stack)."""
    stack = [(value, 0) for value in reversed(list(values))]
    unknown: Unknown | None = None
    refs: list[Ref] = []
    chars = elements = 0
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            chars += len(value)
        elif isinstance(value, Unknown):
            unknown = unknown or value
        elif isinstance(value, Computed):
            refs.extend(value.refs)
            chars += len(value.text)
        elif isinstance(value, list | dict):
            elements += len(value)
            if elements > MAX_VISITS:
                raise EvalError(f"the arguments hold more than {MAX_VISITS:,} elements (sseguard's limit)")
            if depth >= MAX_DEPTH:
                raise EvalError(f"the value is nested more than {MAX_DEPTH} levels deep (sseguard's limit)")
            if isinstance(value, dict):
                chars += sum(map(len, value))
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in reversed(children))
    return _Census(unknown, tuple(refs), chars, elements)


# --- policies: how a function meets values it cannot know -------------------------------------------------------


def _strict(name: str, impl: Function) -> Function:
    """For a function that needs every argument wholly known: an Unknown anywhere inside makes the result that
    Unknown, and a value known only after apply makes a placeholder ``${name(...)}`` keeping its references."""

    def call(*args: Value) -> Value:
        census = _census(args)
        if census.unknown is not None:
            return census.unknown
        if census.refs:
            return Computed("${" + name + "(...)}", census.refs)
        return impl(*args)

    return call


def _shallow(name: str, impl: Function) -> Function:
    """For a function that picks, reorders or counts elements: only an argument that is itself unresolved decides
    the result, and elements known only after apply pass through, so element(aws_kms_key.k[*].arn, 1) is the
    second key's ARN rather than a value mixing every key."""

    def call(*args: Value) -> Value:
        for arg in args:
            if isinstance(arg, Unknown):
                return arg
        refs = tuple(r for arg in args if isinstance(arg, Computed) for r in arg.refs)
        if refs:
            return Computed("${" + name + "(...)}", refs)
        return impl(*args)

    return call


def _on_text(name: str, impl: Callable[[str], str]) -> Function:
    """For a string -> string function: a value known after apply passes as it is (its references and its
    placeholder text), so lower(aws_kms_key.k.arn) still points at the key."""

    def call(value: Value) -> Value:
        if isinstance(value, Unknown | Computed):
            return value
        return impl(_s(value))

    return call


def _as_is(name: str, impl: Function) -> Function:
    """For a function that handles unresolved values itself."""
    return impl


# --- arguments ----------------------------------------------------------------------------------------------------


def _kind(value: Value) -> str:
    """A value's type as messages name it."""
    if isinstance(value, Unknown):
        return "an unknown value"
    if isinstance(value, Computed):
        return "a value known only after apply"
    names = {"string": "a string", "number": "a number", "bool": "a bool", "tuple": "a list", "object": "a map"}
    return names.get(type_name(value), type_name(value))


def _s(value: Value) -> str:
    text = to_text(value)
    if not isinstance(text, str):
        raise EvalError("a known string is required")
    return text


def _list(value: Value, what: str = "the argument") -> list[Value]:
    if not isinstance(value, list):
        raise EvalError(f"{what} must be a list, got {_kind(value)}")
    return value


def _map(value: Value, what: str = "the argument") -> dict[str, Value]:
    if not isinstance(value, dict):
        raise EvalError(f"{what} must be a map, got {_kind(value)}")
    return value


def _bool(value: Value) -> bool:
    """A bool, or the string "true" or "false", as Terraform converts them."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise EvalError(f"a bool is required, got {_kind(value)}")


def _number(value: Value) -> int | float:
    """A number, or a string that spells one, as Terraform converts them, within what sseguard evaluates."""
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvalError(f"a number is required, got {_kind(value)}")
    return _finite(value)


def _finite(number: int | float) -> int | float:
    """``number`` when sseguard evaluates it: a finite float, or an integer of at most MAX_NUMBER_BITS bits."""
    if isinstance(number, float) and not math.isfinite(number):
        raise EvalError(f"{shown(number)} is not a finite number")
    if isinstance(number, int) and number.bit_length() > MAX_NUMBER_BITS:
        raise EvalError(f"{shown(number)} has more than {MAX_NUMBER_BITS} bits (sseguard's limit)")
    return number


def _whole(value: Value, what: str) -> int:
    number = _number(value)
    if isinstance(number, float):
        if not number.is_integer():
            raise EvalError(f"{what} must be a whole number, got {shown(number)}")
        return int(number)
    return number


def _integral(number: int | float) -> int | float:
    """A whole float as an int, as parse_number makes them (past 2**53 a float is not exact: it stays a float)."""
    return int(number) if isinstance(number, float) and number.is_integer() and abs(number) < 2**53 else number


def _input(value: Value, what: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """A string a function works on character by character in Python, refused past ``limit`` characters."""
    text = _s(value)
    if len(text) > limit:
        raise EvalError(f"{what} is longer than {limit:,} characters (sseguard's limit)")
    return text


def _key(value: Value) -> Hashable:
    """What decides that two values are the same, as the evaluator's == compares them: a bool is never a number,
    and collections compare by content."""
    if value is None or isinstance(value, str | bool | int | float | Unknown | Computed):
        return (type(value), value)
    return json.dumps(value, sort_keys=True, default=repr)


def _distinct(items: Iterable[Value]) -> list[Value]:
    seen: set[Hashable] = set()
    out: list[Value] = []
    for item in items:
        key = _key(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _set(items: Iterable[Value]) -> list[Value]:
    """A set as the sorted list Terraform iterates (strings sorted; other values in first-seen order)."""
    out = _distinct(items)
    return sorted(out) if all(isinstance(x, str) for x in out) else out


def _lists(values: Sequence[Value], what: str) -> list[list[Value]]:
    """Every value as a list, refused before any work when they hold more than MAX_ELEMENTS elements in all (an
    expansion such as concat(local.lists...) can repeat one big list many times)."""
    lists = [_list(value, what) for value in values]
    check_count(sum(map(len, lists)))
    return lists


# --- strings ------------------------------------------------------------------------------------------------------


def _chomp(text: str) -> str:
    return text.rstrip("\r\n")


def _join(separator: Value, *lists: Value) -> str:
    if not lists:
        raise EvalError("at least one list is required")
    sep = _s(separator)
    items: list[str] = []
    for number, items_of in enumerate(_lists(lists, "every list to join"), 1):
        for index, item in enumerate(items_of):
            if item is None:
                raise EvalError(f"element {index} of list {number} is null; cannot concatenate null values")
            items.append(_s(item))
    if sum(map(len, items)) + len(sep) * max(len(items) - 1, 0) > MAX_TEXT_LENGTH:
        raise too_large("the result", MAX_TEXT_LENGTH, "characters")
    return sep.join(items)


def _split(separator: Value, text: Value) -> list[str]:
    sep, whole = _s(separator), _s(text)
    check_count(len(whole) if sep == "" else whole.count(sep) + 1)
    return list(whole) if sep == "" else whole.split(sep)


def _replace(text: Value, search: Value, replacement: Value) -> str:
    """Terraform's replace: a search string between slashes is an RE2 pattern, with Go's $1 / ${name} references."""
    whole, pattern, with_text = _s(text), _s(search), _s(replacement)
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        source = utf8(_input(whole, "the string to search"))
        return Regexp(pattern[1:-1]).replace_all(source, with_text).decode("utf-8", "replace")
    count = len(whole) + 1 if pattern == "" else whole.count(pattern)
    if len(whole) + count * (len(with_text) - len(pattern)) > MAX_TEXT_LENGTH:
        raise too_large("the result", MAX_TEXT_LENGTH, "characters")
    return whole.replace(pattern, with_text)


def _substr(text: Value, offset: Value, length: Value) -> str:
    whole = _s(text)
    start, count = _whole(offset, "the offset"), _whole(length, "the length")
    if start < 0:
        start = max(start + len(whole), 0)  # from the end; further back than the start is the start
    elif count == 0:
        return ""
    rest = whole[start:]
    # Terraform returns the rest of the string for a negative length, and also for a length of 0 after a
    # negative offset
    return rest if count <= 0 else rest[:count]


def _strrev(text: Value) -> str:
    return check_text(_s(text))[::-1]


# --- format -------------------------------------------------------------------------------------------------------

_VERB = re.compile(r"%([-+ #0]*)([0-9]*)(?:\.([0-9]+))?(.?)", re.DOTALL)
_INTEGER_DIGITS = {"b": "b", "d": "d", "o": "o", "x": "x", "X": "X"}
_INTEGER_PREFIX = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}


def _format(fmt: Value, *args: Value) -> str:
    return _formatted(_input(fmt, "the format string"), args)


def _formatlist(fmt: Value, *args: Value) -> list[str]:
    """format() once per element of the list arguments (which must have one length); other arguments repeat."""
    spec = _input(fmt, "the format string")
    lengths = [(i, len(arg)) for i, arg in enumerate(args, 1) if isinstance(arg, list)]
    for i, length in lengths[1:]:
        if length != lengths[0][1]:
            raise EvalError(f"argument {i} has length {length}, which is inconsistent with argument "
                            f"{lengths[0][0]} of length {lengths[0][1]}")
    rows = lengths[0][1] if lengths else 1
    out: list[str] = []
    written = 0
    for row in range(rows):
        out.append(_formatted(spec, [arg[row] if isinstance(arg, list) else arg for arg in args]))
        written += len(out[-1])
        if written > MAX_TEXT_LENGTH:
            raise too_large("the results", MAX_TEXT_LENGTH, "characters in all")
    return out


def _formatted(fmt: str, args: Sequence[Value]) -> str:
    """Terraform's format verbs: %v %s %q %t %d %b %o %x %X %e %E %f %g %G and %%, with flags, width and
    precision; a width or precision past MAX_TEXT_LENGTH is refused before anything is written."""
    pieces: list[str] = []
    written = last = used = 0
    for verb in _VERB.finditer(fmt):
        pieces.append(fmt[last:verb.start()])
        last = verb.end()
        if verb[4] == "%":
            piece = "%"
        elif verb[4] == "" or verb[4] not in "vsqtbdoxXeEfgG":
            raise EvalError(f"unsupported format verb {shown(verb[4] or verb[0])} at offset {verb.start()}")
        else:
            if used >= len(args):
                raise EvalError(f"not enough arguments for {shown(verb[0])} at {verb.start()}: need index "
                                f"{used + 1} but have {len(args)} total")
            piece = _format_verb(verb, args[used])
            used += 1
        pieces.append(piece)
        written += len(piece)
        if written > MAX_TEXT_LENGTH:
            raise too_large("the result", MAX_TEXT_LENGTH, "characters")
    if used < len(args):
        raise EvalError("too many arguments; no verbs in format string" if used == 0 else
                        f"too many arguments; only {used} used by format string")
    pieces.append(fmt[last:])
    return check_text("".join(pieces))


def _format_verb(verb: re.Match[str], value: Value) -> str:
    flags, letter = verb[1], verb[4]
    width, precision = _format_size(verb[2], verb[0]), _format_size(verb[3], verb[0])
    if value is None and letter != "v":
        raise EvalError(f"unsupported value for {shown(verb[0])} at {verb.start()}: null value cannot be formatted")
    if letter == "v":
        plain = "#" not in flags and not isinstance(value, list | dict) and value is not None
        return _pad(_s(value) if plain else _json_text(value), flags, width)
    if letter in "sq":
        text = _s(value)[:precision] if precision else _s(value)
        return _pad(json.dumps(text) if letter == "q" else text, flags, width)
    if letter == "t":
        return "true" if _bool(value) else "false"
    if letter in _INTEGER_DIGITS:
        return _format_integer(verb, _number(value), width, precision)
    spec = "%" + flags + (str(width) if width is not None else "") + (f".{precision}" if precision is not None else "")
    return (spec + letter) % float(_number(value))


def _format_size(digits: str | None, verb: str) -> int | None:
    if not digits:
        return None
    if len(digits) > 7 or int(digits) > MAX_TEXT_LENGTH:
        raise too_large(shown(verb), MAX_TEXT_LENGTH, "characters")
    return int(digits)


def _format_integer(verb: re.Match[str], number: int | float, width: int | None, precision: int | None) -> str:
    """Go's integer verbs: precision is a minimum count of digits, # adds the base's prefix, 0 pads after the sign."""
    flags, letter = verb[1], verb[4]
    if isinstance(number, float):
        if not number.is_integer():
            raise EvalError(f"unsupported value for {shown(verb[0])} at {verb.start()}: an integer is required")
        number = int(number)
    digits = format(abs(number), _INTEGER_DIGITS[letter])
    if precision is not None:
        digits = digits.zfill(precision)
    head = "-" if number < 0 else "+" if "+" in flags else " " if " " in flags else ""
    if "#" in flags:
        head += _INTEGER_PREFIX.get(letter, "")
    if width is not None and "0" in flags and "-" not in flags and precision is None:
        digits = digits.zfill(width - len(head))
    return _pad(head + digits, flags.replace("0", ""), width)


def _pad(text: str, flags: str, width: int | None) -> str:
    if width is None or len(text) >= width:
        return text
    fill = ("0" if "0" in flags else " ") * (width - len(text))
    return text + fill if "-" in flags else fill + text


# --- JSON and YAML ------------------------------------------------------------------------------------------------


def _jsonencode(value: Value) -> Value:
    census = _census([value])
    if census.unknown is not None:
        return census.unknown
    if not census.refs:
        return _json_text(value, census)
    return Computed(_json_text(with_placeholders(value), census), census.refs)


def _json_text(value: Value, census: _Census | None = None) -> str:
    """``value`` as compact JSON, refused before writing when it would be longer than MAX_TEXT_LENGTH: the text
    holds at least one character per element beside every string's characters."""
    census = census or _census([value])
    if census.chars + census.elements > MAX_TEXT_LENGTH:
        raise too_large("the JSON text", MAX_TEXT_LENGTH, "characters")
    try:
        return check_text(json.dumps(value, separators=(",", ":"), allow_nan=False), "the JSON text")
    except ValueError:
        raise EvalError("a number that is not finite cannot be written as JSON") from None


def _jsondecode(text: Value) -> Value:
    return _decoded(loads, text)


def _yamldecode(text: Value) -> Value:
    return _decoded(lambda source: load_yaml(well_formed(source)), text)


def _decoded(load: Callable[[str], Any], text: Value) -> Value:
    """Decode with a loader of ``safe_load`` (numbers read exactly or refused; YAML aliases bounded); the document
    is refused when nested more than MAX_DEPTH levels, or with more than MAX_ELEMENTS elements in all."""
    try:
        document = load(_input(text, "the text to decode"))
    except LoadError as err:
        raise EvalError(err.message + (f" (line {err.line})" if err.line else "")) from None
    count = 0

    def plain(value: Value, depth: int) -> Value:
        nonlocal count
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _finite(value)
        if not isinstance(value, dict | list):
            return value
        if depth >= MAX_DEPTH:
            raise EvalError(f"the value is nested more than {MAX_DEPTH} levels deep (sseguard's limit)")
        count += len(value)
        check_count(count, "the decoded value")
        if isinstance(value, dict):
            return {k: plain(v, depth + 1) for k, v in value.items()}
        return [plain(v, depth + 1) for v in value]

    return plain(document, 0)


# --- conversions --------------------------------------------------------------------------------------------------


def _tostring(value: Value) -> Value:
    if value is None:
        return None
    if isinstance(value, list | dict):
        raise EvalError(f"cannot convert {_kind(value)} to a string")
    return _s(value)


def _tonumber(value: Value) -> Value:
    if value is None:
        return None
    if isinstance(value, bool):
        raise EvalError("cannot convert a bool to a number")
    return _number(value)


def _tobool(value: Value) -> Value:
    if value is None or isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise EvalError(f"cannot convert {shown(value)} to a bool")


# --- collections --------------------------------------------------------------------------------------------------


def _lookup(mapping: Value, key: Value, default: Value = _NO_DEFAULT) -> Value:
    found = _map(mapping, "the first argument")
    name = _s(key)
    if name in found:
        return found[name]
    if default is not _NO_DEFAULT:
        return default
    raise EvalError(f"lookup failed to find key {shown(name)}")


def _coalesce(*args: Value) -> Value:
    for arg in args:
        if isinstance(arg, Unknown) or (isinstance(arg, Computed) and arg.not_null):
            return arg
        if isinstance(arg, Computed):
            return Unknown(f"coalesce() cannot choose: {arg.text} is only known after apply and may be null",
                           "scan the plan JSON")
        if arg is not None and arg != "":
            return arg
    raise EvalError("no non-null, non-empty-string arguments")


def _coalescelist(*lists: Value) -> Value:
    return next((items for items in (_list(x, "every argument") for x in lists) if items), [])


def _merge(*maps: Value) -> Value:
    present: list[dict[str, Value]] = []
    for mapping in maps:
        if isinstance(mapping, Unknown):
            return mapping
        if isinstance(mapping, Computed):
            return Unknown("merge() of a value only known after apply", "scan the plan JSON")
        if mapping is not None:
            present.append(_map(mapping, "every argument"))
    check_count(sum(map(len, present)))
    out: dict[str, Value] = {}
    for mapping in present:
        out.update(mapping)
    return out


def _concat(*lists: Value) -> Value:
    for items in lists:
        if isinstance(items, Unknown):
            return items
        if isinstance(items, Computed):
            return Unknown("concat() of a value only known after apply", "scan the plan JSON")
    return [item for items in _lists(lists, "every argument") for item in items]


def _length(value: Value) -> int:
    if isinstance(value, str | list | dict):
        return len(value)
    raise EvalError(f"cannot take the length of {_kind(value)}")


def _element(items: Value, index: Value) -> Value:
    found = _list(items, "the first argument")
    if not found:
        raise EvalError("cannot use element function with an empty list")
    # a negative index counts from the end, as since Terraform 1.10
    return found[_whole(index, "the index") % len(found)]


def _index(items: Value, value: Value) -> int:
    found = _list(items, "the first argument")
    if not found:
        raise EvalError("cannot search an empty list")
    wanted = _key(value)
    index = next((i for i, item in enumerate(found) if _key(item) == wanted), None)
    if index is None:
        raise EvalError("item not found")
    return index


def _contains(items: Value, value: Value) -> bool:
    wanted = _key(value)
    return any(_key(item) == wanted for item in _list(items, "the first argument"))


def _zipmap(keys: Value, values: Value) -> dict[str, Value]:
    names, found = _list(keys, "the keys"), _list(values, "the values")
    if len(names) != len(found):
        raise EvalError(f"number of keys ({len(names)}) does not match number of values ({len(found)})")
    return {_s(name): value for name, value in zip(names, found, strict=True)}


_END = object()


def _flatten(value: Value) -> list[Value]:
    """Nested lists as one list, without recursion; at most MAX_VISITS nested elements are looked at."""
    out: list[Value] = []
    visits = 0
    stack = [iter(_list(value))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            visits += len(item)
            if visits > MAX_VISITS:
                raise EvalError(f"the list holds more than {MAX_VISITS:,} nested elements (sseguard's limit)")
            stack.append(iter(item))
        else:
            out.append(item)
            check_count(len(out))
    return out


def _distinct_elements(items: Value) -> list[Value]:
    found = _list(items)
    _census([found])  # elements are compared by content: bound the work first
    return _distinct(found)


def _sort(items: Value) -> list[str]:
    texts: list[str] = []
    for index, item in enumerate(_list(items)):
        if item is None:
            raise EvalError(f"given list element {index} is null; a null string cannot be sorted")
        texts.append(_s(item))
    return sorted(texts)


def _slice(items: Value, start: Value, end: Value) -> list[Value]:
    found = _list(items, "the first argument")
    first, stop = _whole(start, "the start index"), _whole(end, "the end index")
    if first < 0:
        raise EvalError("from index must be greater than or equal to 0")
    if stop > len(found):
        raise EvalError("to index must be less than or equal to the length of the input collection")
    if first > stop:
        raise EvalError('from index must be less than or equal to index "to"')
    return found[first:stop]


def _one(items: Value) -> Value:
    found = _list(items)
    if len(found) > 1:
        raise EvalError("must be a list, set, or tuple value with either zero or one elements")
    return found[0] if found else None


def _chunklist(items: Value, size: Value) -> list[Value]:
    found = _list(items, "the first argument")
    every = _whole(size, "the size")
    if every < 0:
        raise EvalError("the size argument must be positive")
    if not found:
        return []
    if every == 0:
        return [found]
    return [found[i:i + every] for i in range(0, len(found), every)]


def _matchkeys(values: Value, keys: Value, searchset: Value) -> list[Value]:
    found, names = _list(values, "the values"), _list(keys, "the keys")
    if len(found) != len(names):
        raise EvalError("length of keys and values should be equal")
    wanted = {_key(x) for x in _list(searchset, "the search set")}
    return [value for value, name in zip(found, names, strict=True) if _key(name) in wanted]


def _transpose(mapping: Value) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, values in sorted(_map(mapping).items()):
        for value in _list(values, f"the value of {shown(name)}"):
            out.setdefault(_s(value), []).append(name)
    return out


def _setunion(first: Value, *rest: Value) -> list[Value]:
    return _set(item for items in _lists([first, *rest], "every argument") for item in items)


def _setintersection(first: Value, *rest: Value) -> list[Value]:
    others = [{_key(x) for x in _list(items, "every argument")} for items in rest]
    return _set(x for x in _list(first, "every argument") if all(_key(x) in keys for keys in others))


def _setsubtract(first: Value, second: Value) -> list[Value]:
    taken = {_key(x) for x in _list(second, "the second argument")}
    return _set(x for x in _list(first, "the first argument") if _key(x) not in taken)


def _alltrue(items: Value) -> bool:
    return all(item is not None and _bool(item) for item in _list(items))


def _anytrue(items: Value) -> bool:
    return any(item is not None and _bool(item) for item in _list(items))


# --- numbers ------------------------------------------------------------------------------------------------------


def _numbers(values: Sequence[Value]) -> list[int | float]:
    if not values:
        raise EvalError("must pass at least one number")
    return [_number(value) for value in values]


def _sum(items: Value) -> int | float:
    found = _list(items)
    if not found:
        raise EvalError("cannot sum an empty list")
    if any(item is None for item in found):
        raise EvalError("argument must be list, set, or tuple of number values")
    return _finite(sum(_number(item) for item in found))


def _pow(number: Value, power: Value) -> int | float:
    base, exponent = _number(number), _number(power)
    try:
        return _integral(math.pow(base, exponent))
    except OverflowError:
        raise EvalError(f"{shown(base)} to the power {shown(exponent)} overflows: the result is not a finite "
                        "number") from None
    except ValueError:  # zero to a negative power, a negative number to a fractional one
        raise EvalError(f"{shown(base)} to the power {shown(exponent)} is not a finite real number") from None


def _log(number: Value, base: Value) -> int | float:
    value, of_base = _number(number), _number(base)
    if value <= 0 or of_base <= 0:
        raise EvalError(f"the logarithm of {shown(value)} in base {shown(of_base)} is not a finite number: both "
                        "must be positive")
    if of_base == 1:
        raise EvalError("the logarithm in base 1 is not a finite number: it divides by log(1), which is 0")
    return _integral(math.log(value) / math.log(of_base))


def _signum(number: Value) -> int:
    whole = _whole(number, "the number")
    return (whole > 0) - (whole < 0)


def _parseint(number: Value, base: Value) -> int:
    """Go's big.Int parsing: an optional sign, then digits of the base (2 to 62; case-insensitive up to 36, then
    a-z before A-Z), nothing else; of at most MAX_NUMBER_BITS bits."""
    if not isinstance(number, str):
        raise EvalError(f"first argument must be a string, not {_kind(number)}")
    radix = _whole(base, "the base")
    if not 2 <= radix <= 62:
        raise EvalError("base must be a whole number between 2 and 62 inclusive")
    digits = number[1:] if number[:1] in ("+", "-") else number
    allowed = _DIGITS[:radix] if radix > 36 else _DIGITS[:radix] + _DIGITS[10:radix].upper()
    if not digits or not set(digits) <= set(allowed):
        raise EvalError(f"cannot parse {shown(number)} as a base {radix} integer")
    significant = digits.lstrip("0")
    if len(significant) * math.log2(radix) > MAX_NUMBER_BITS + 1:
        raise EvalError(f"{shown(number)} has more than {MAX_NUMBER_BITS} bits (sseguard's limit)")
    value = 0
    for digit in significant:
        value = value * radix + (_DIGITS.index(digit.lower() if radix <= 36 else digit))
    return int(_finite(-value if number.startswith("-") else value))


def _range(*args: Value) -> list[int | float]:
    """Terraform's range(): start, end and step (counting down when end is below start), at most MAX_RANGE
    values, stopped as soon as there would be more."""
    if not 1 <= len(args) <= 3:
        raise EvalError("must have one, two, or three arguments")
    numbers = [_decimal(_number(arg)) for arg in args]
    if len(numbers) == 3:
        start, end, step = numbers
    else:
        start, end = numbers if len(numbers) == 2 else (decimal.Decimal(0), numbers[0])
        step = decimal.Decimal(-1 if end < start else 1)
    if step == 0:
        raise EvalError("step must not be zero")
    down = step < 0
    if down and end > start:
        raise EvalError("end must be less than start when step is negative")
    if not down and end < start:
        raise EvalError("end must be greater than start when step is positive")
    values: list[int | float] = []
    current = start
    while current > end if down else current < end:
        if len(values) >= MAX_RANGE:
            raise EvalError(f"more than {MAX_RANGE} values were generated; either decrease the difference between "
                            "start and end or use a smaller step")
        values.append(int(current) if current == current.to_integral_value() else float(current))
        current = _RANGE_CONTEXT.add(current, step)
    return values


def _decimal(number: int | float) -> decimal.Decimal:
    # repr gives the shortest decimal for a float, so range(0, 1, 0.1) steps by exactly 0.1 as Terraform does
    return decimal.Decimal(number if isinstance(number, int) else repr(number))


# --- regular expressions ------------------------------------------------------------------------------------------


def _pattern(pattern: Value) -> Regexp:
    regexp = Regexp(_s(pattern))
    if None in regexp.names and any(regexp.names):
        raise EvalError("invalid regexp pattern: cannot mix both named and unnamed capture groups")
    return regexp


def _captures(regexp: Regexp, source: bytes, matches: Iterable[Spans]) -> Iterator[Value]:
    """Each match as Terraform returns it: the matched text without groups, the list of group texts for unnamed
    groups, an object for named ones; a group that took no part is null. Past MAX_TEXT_LENGTH characters of text in
    all, an error (raised before decoding a match whose bytes already tell)."""
    written = 0
    for spans in matches:
        parts = spans[1:] if regexp.names else spans[:1]
        if written + sum(end - start for start, end in parts if start >= 0) > 4 * MAX_TEXT_LENGTH:
            raise too_large("the matched text", MAX_TEXT_LENGTH, "characters in all")  # 4 bytes a character at most
        texts = [None if start < 0 else source[start:end].decode("utf-8", "replace") for start, end in parts]
        written += sum(len(text) for text in texts if text is not None)
        if written > MAX_TEXT_LENGTH:
            raise too_large("the matched text", MAX_TEXT_LENGTH, "characters in all")
        if not regexp.names:
            yield texts[0]
        elif regexp.names[0] is None:
            yield texts
        else:
            yield dict(zip(regexp.names, texts, strict=True))


def _regex(pattern: Value, text: Value) -> Value:
    regexp = _pattern(pattern)
    source = utf8(_input(text, "the string to search"))
    spans = regexp.search(source)
    if spans is None:
        raise EvalError("pattern did not match any part of the given string")
    return next(_captures(regexp, source, [spans]))


def _regexall(pattern: Value, text: Value) -> list[Value]:
    regexp = _pattern(pattern)
    source = utf8(_input(text, "the string to search"))
    return list(_captures(regexp, source, regexp.find_all(source)))


# --- encodings and hashes -----------------------------------------------------------------------------------------


def _base64encode(text: Value) -> str:
    data = utf8(_s(text))
    if (len(data) + 2) // 3 * 4 > MAX_TEXT_LENGTH:
        raise too_large("the result", MAX_TEXT_LENGTH, "characters")
    return base64.b64encode(data).decode("ascii")


def _base64decode(text: Value) -> str:
    source = _input(text, "the text to decode", 2 * MAX_TEXT_LENGTH)
    try:
        data = base64.b64decode(source, validate=True)
    except ValueError:
        raise EvalError(f"failed to decode base64 data {shown(source)}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvalError("the result of decoding the provided string is not valid UTF-8") from None


def _hash(algorithm: str) -> Callable[[Value], str]:
    return lambda text: hashlib.new(algorithm, utf8(_s(text))).hexdigest()


# --- the registry -------------------------------------------------------------------------------------------------

_PURE: dict[str, tuple[Policy, Function]] = {
    # strings
    "lower": (_on_text, str.lower),
    "upper": (_on_text, str.upper),
    "trimspace": (_on_text, lambda text: text.strip()),
    "title": (_on_text, str.title),
    "chomp": (_on_text, _chomp),
    "format": (_strict, _format),
    "formatlist": (_strict, _formatlist),
    "join": (_strict, _join),
    "split": (_strict, _split),
    "replace": (_strict, _replace),
    "substr": (_strict, _substr),
    "trim": (_strict, lambda text, cutset: _s(text).strip(_s(cutset))),
    "trimprefix": (_strict, lambda text, prefix: _s(text).removeprefix(_s(prefix))),
    "trimsuffix": (_strict, lambda text, suffix: _s(text).removesuffix(_s(suffix))),
    "startswith": (_strict, lambda text, prefix: _s(text).startswith(_s(prefix))),
    "endswith": (_strict, lambda text, suffix: _s(text).endswith(_s(suffix))),
    "strcontains": (_strict, lambda text, part: _s(part) in _s(text)),
    "strrev": (_strict, _strrev),
    "regex": (_strict, _regex),
    "regexall": (_strict, _regexall),
    # encodings, hashes and paths
    "jsonencode": (_as_is, _jsonencode),
    "jsondecode": (_strict, _jsondecode),
    "yamldecode": (_strict, _yamldecode),
    "base64encode": (_strict, _base64encode),
    "base64decode": (_strict, _base64decode),
    "md5": (_strict, _hash("md5")),
    "sha1": (_strict, _hash("sha1")),
    "sha256": (_strict, _hash("sha256")),
    "abspath": (_strict, lambda path: str(Path(_s(path)).absolute())),
    "basename": (_strict, lambda path: Path(_s(path)).name),
    "dirname": (_strict, lambda path: str(Path(_s(path)).parent)),
    # conversions
    "tostring": (_strict, _tostring),
    "tonumber": (_strict, _tonumber),
    "tobool": (_strict, _tobool),
    "tolist": (_shallow, lambda value: None if value is None else list(_list(value))),
    "toset": (_strict, lambda value: None if value is None else _set(_list(value))),
    "tomap": (_shallow, lambda value: None if value is None else dict(_map(value))),
    "sensitive": (_as_is, lambda value: value),
    "nonsensitive": (_as_is, lambda value: value),
    # collections
    "lookup": (_shallow, _lookup),
    "coalesce": (_as_is, _coalesce),
    "coalescelist": (_shallow, _coalescelist),
    "merge": (_as_is, _merge),
    "concat": (_as_is, _concat),
    "length": (_shallow, _length),
    "element": (_shallow, _element),
    "index": (_strict, _index),
    "contains": (_strict, _contains),
    "keys": (_shallow, lambda mapping: sorted(_map(mapping))),
    "values": (_shallow, lambda mapping: [v for _, v in sorted(_map(mapping).items())]),
    "zipmap": (_shallow, _zipmap),
    "flatten": (_shallow, _flatten),
    "distinct": (_shallow, _distinct_elements),
    "compact": (_shallow, lambda items: [x for x in _list(items) if x is not None and x != ""]),
    "reverse": (_shallow, lambda items: _list(items)[::-1]),
    "sort": (_strict, _sort),
    "slice": (_shallow, _slice),
    "one": (_shallow, _one),
    "chunklist": (_shallow, _chunklist),
    "matchkeys": (_strict, _matchkeys),
    "transpose": (_strict, _transpose),
    "setunion": (_strict, _setunion),
    "setintersection": (_strict, _setintersection),
    "setsubtract": (_strict, _setsubtract),
    "alltrue": (_strict, _alltrue),
    "anytrue": (_strict, _anytrue),
    # numbers
    "min": (_strict, lambda *numbers: min(_numbers(numbers))),
    "max": (_strict, lambda *numbers: max(_numbers(numbers))),
    "sum": (_strict, _sum),
    "abs": (_strict, lambda number: abs(_number(number))),
    "ceil": (_strict, lambda number: math.ceil(_number(number))),
    "floor": (_strict, lambda number: math.floor(_number(number))),
    "signum": (_strict, _signum),
    "pow": (_strict, _pow),
    "log": (_strict, _log),
    "parseint": (_strict, _parseint),
    "range": (_strict, _range),
}

# Functions that return a part of an argument: nothing new to measure, and a big value passed through stays usable.
_SELECTORS = frozenset({"lookup", "coalesce", "coalescelist", "element", "one", "sensitive", "nonsensitive"})


def _arity(impl: Function) -> tuple[int, int | None]:
    """How many arguments ``impl`` takes: at least, and at most (None for no limit)."""
    params = inspect.signature(impl).parameters.values()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(1 for p in positional if p.default is p.empty)
    return required, None if any(p.kind is p.VAR_POSITIONAL for p in params) else len(positional)


def _arity_checked(name: str, impl: Function, call: Function) -> Function:
    """``call``, refusing a wrong number of arguments for ``impl`` with Terraform's kind of message."""
    low, high = _arity(impl)
    count = f"at least {low}" if high is None else f"{low}" if low == high else f"{low} to {high}"
    expected = f"{count} argument" + ("" if (high or low) == 1 else "s")

    def checked(*args: Value) -> Value:
        if len(args) < low or (high is not None and len(args) > high):
            raise EvalError(f"{name}() takes {expected}, got {len(args)}")
        return call(*args)

    checked.__name__ = name
    return checked


def _registered(name: str, policy: Policy, impl: Function) -> Function:
    """A pure function as the evaluator calls it: arguments counted, errors naming it, and what it produces
    within MAX_TEXT_LENGTH characters and MAX_ELEMENTS elements."""
    call = policy(name, impl)
    measured = name not in _SELECTORS

    def function(*args: Value) -> Value:
        try:
            result = call(*args)
            if measured:
                _check_result(result)
            return result
        except EvalError as err:
            raise EvalError(f"{name}(): {err}") from None

    return _arity_checked(name, impl, function)


def _check_result(result: Value) -> None:
    if isinstance(result, str):
        check_text(result)
    elif isinstance(result, Computed):
        check_text(result.text)
    elif isinstance(result, list | dict):
        check_count(len(result))


FUNCTIONS: dict[str, Function] = {name: _registered(name, policy, impl) for name, (policy, impl) in _PURE.items()}
"""Every pure built-in function sseguard evaluates, by name. ``can`` and ``try`` are the evaluator's: they need
their arguments unevaluated."""


def _path(name: str, value: Value) -> str:
    # the callbacks' own errors name the file they read; an error in the path itself names the function
    try:
        return _s(value)
    except EvalError as err:
        raise EvalError(f"{name}(): {err}") from None


def build_functions(read_file: Callable[[str], Value], template_file: Callable[[str, Value], Value]) -> dict[str, Any]:
    """The function table of a module instance: FUNCTIONS, and ``file`` and ``templatefile`` reading through the
    instance's callbacks (which decide where a file may be read from and how large it may be)."""

    def file(path: Value) -> Value:
        return read_file(_path("file", path))

    def templatefile(path: Value, variables: Value) -> Value:
        return path if isinstance(path, Unknown) else template_file(_path("templatefile", path), variables)

    return {
        **FUNCTIONS,
        "file": _arity_checked("file", file, _strict("file", file)),
        "templatefile": _arity_checked("templatefile", templatefile, templatefile),
    }
