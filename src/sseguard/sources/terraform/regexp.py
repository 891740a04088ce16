"""Go's ``regexp`` package, as Terraform's ``regex()``, ``regexall()`` and ``replace()`` use it, run on RE2.

Go's regexp is RE2: the same syntax and the same leftmost-first matching, in time linear in the text whatever the
pattern, so ``^(a+)+$`` cannot hang a scan. What Go adds around the matcher is reproduced here exactly: which empty
matches count when finding all matches and when replacing, and the ``$1`` / ``${name}`` references of a
replacement. Text is matched as UTF-8 bytes, as Go does; positions are byte offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import re2  # type: ignore[import-untyped]

from sseguard.sources.terraform.limits import MAX_MATCH_STEPS, MAX_TEXT_LENGTH, shown, too_large
from sseguard.sources.terraform.values import EvalError

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every invalid pattern on stderr

Spans = list[tuple[int, int]]
"""Where a match and each of its groups are, as (start, end) byte offsets; (-1, -1) for a group that took no part."""

# A replacement template as parts: bytes to copy, or the number of the group whose text to insert.
_Template = list[bytes | int]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def well_formed(text: str) -> str:
    """``text`` with each lone surrogate (a JSON ``\\ud800`` escape makes one) as U+FFFD, as Go decodes it:
    such a string cannot be written as UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, as Go holds strings."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return well_formed(text).encode("utf-8")


class Regexp:
    """A pattern compiled as Go's ``regexp.Compile`` would accept it."""

    def __init__(self, pattern: str) -> None:
        if _has_any_byte_escape(pattern):
            raise EvalError(f"invalid regular expression {shown(pattern)}: invalid escape sequence: \\C")
        try:
            self._re = re2.compile(utf8(pattern), _OPTIONS)
        except re2.error as err:
            reason = err.args[0] if err.args else "invalid"
            reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
            raise EvalError(f"invalid regular expression {shown(pattern)}: {reason}") from None
        by_index = {index: name.decode("utf-8") for name, index in self._re.groupindex.items()}
        self.names: tuple[str | None, ...] = tuple(by_index.get(i) for i in range(1, self._re.groups + 1))
        """The name of each group, None for an unnamed one (RE2 reports one group per name)."""
        self._cost = self._re.programsize * (len(self.names) + 1)
        self._steps = 0

    def search(self, text: bytes, pos: int = 0) -> Spans | None:
        """The leftmost match at or after ``pos``; what comes before ``pos`` still counts for ``^`` and ``\\b``.
        Refused before it runs when the searches of this pattern would pass MAX_MATCH_STEPS."""
        self._steps += (len(text) - pos + 1) * self._cost
        if self._steps > MAX_MATCH_STEPS:
            raise EvalError(f"matching this pattern ({self._re.programsize} instructions, {len(self.names)} groups) "
                            f"on {len(text):,} bytes of text would take more than {MAX_MATCH_STEPS:,} steps "
                            "(sseguard's limit)")
        found = self._re.search(text, pos)
        if found is None:
            return None
        return [found.span(i) for i in range(len(self.names) + 1)]

    def find_all(self, text: bytes) -> Iterator[Spans]:
        """Every match, as Go's ``FindAllSubmatchIndex``: an empty match right after a match does not count."""
        pos, end, previous_end = 0, len(text), -1
        while pos <= end:
            spans = self.search(text, pos)
            if spans is None:
                return
            start, stop = spans[0]
            accept = True
            if stop == pos:  # an empty match
                accept = start != previous_end
                width = _rune_width(text, pos)
                pos = pos + width if width else end + 1
            else:
                pos = stop
            previous_end = stop
            if accept:
                yield spans

    def replace_all(self, text: bytes, template: str) -> bytes:
        """``text`` with every match replaced, as Go's ``ReplaceAllString``; a result past MAX_TEXT_LENGTH
        characters is an error."""
        parts = self._template(template)
        out = bytearray()
        last, search, end = 0, 0, len(text)
        while search <= end:
            spans = self.search(text, search)
            if spans is None:
                break
            start, stop = spans[0]
            out += text[last:start]
            # Go leaves an empty match right after a match unreplaced (unless it is at the very start)
            if stop > last or start == 0:
                for part in parts:
                    if isinstance(part, bytes):
                        out += part
                    elif spans[part][0] >= 0:
                        out += text[spans[part][0]:spans[part][1]]
            if len(out) > 4 * MAX_TEXT_LENGTH:  # a character is at most 4 bytes: past this, it is too long
                raise too_large("the result", MAX_TEXT_LENGTH, "characters")
            last = stop
            width = _rune_width(text, search)
            if search + width > stop:
                search += width
            elif search + 1 > stop:
                search += 1
            else:
                search = stop
        out += text[last:]
        return bytes(out)

    def _template(self, template: str) -> _Template:
        """Go's ``Regexp.Expand`` template, parsed once: ``$$`` is a dollar sign, ``$name`` or ``${name}`` a group
        (by number or name; the longest run of letters, digits and ``_``), and a malformed ``$`` stays as is."""
        parts: _Template = []
        i = 0
        while (at := template.find("$", i)) >= 0:
            parts.append(utf8(template[i:at]))
            if template.startswith("$$", at):
                parts.append(b"$")
                i = at + 2
                continue
            name, after = _reference(template, at + 1)
            if name is None:
                parts.append(b"$")
                i = at + 1
                continue
            group = self._group(name)
            if group is not None:
                parts.append(group)
            i = after
        parts.append(utf8(template[i:]))
        return parts

    def _group(self, name: str) -> int | None:
        number = _reference_number(name)
        if number >= 0:
            return number if number <= len(self.names) else None
        return next((i for i, group in enumerate(self.names, 1) if group == name), None)


def _reference(template: str, at: int) -> tuple[str | None, int]:
    """The group name at ``at`` (just after a ``$``) and where the reference ends; None when malformed."""
    brace = template.startswith("{", at)
    start = at + 1 if brace else at
    end = start
    while end < len(template) and _is_name_char(template[end]):
        end += 1
    if end == start:
        return None, at
    if brace:
        if not template.startswith("}", end):
            return None, at
        return template[start:end], end + 1
    return template[start:end], end


def _is_name_char(ch: str) -> bool:
    # Go's unicode.IsLetter and unicode.IsDigit (category Nd), and "_"
    return ch.isalpha() or ch.isdecimal() or ch == "_"


def _reference_number(name: str) -> int:
    """The group number a reference names, or -1 when it is a name: ASCII digits only, no leading zero, and Go
    stops reading at 10 digits."""
    number = 0
    for ch in name:
        if not "0" <= ch <= "9" or number >= 100_000_000:
            return -1
        number = number * 10 + ord(ch) - ord("0")
    return -1 if name[0] == "0" and len(name) > 1 else number


def _rune_width(text: bytes, pos: int) -> int:
    """Bytes of the UTF-8 character at ``pos`` (0 at the end); the text is valid UTF-8."""
    if pos >= len(text):
        return 0
    lead = text[pos]
    return 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


def _has_any_byte_escape(pattern: str) -> bool:
    """Whether the pattern uses ``\\C`` (any byte), which RE2 accepts and Go refuses; skips ``\\Q...\\E``."""
    i = 0
    while (i := pattern.find("\\", i)) >= 0:
        following = pattern[i + 1:i + 2]
        if following == "C":
            return True
        if following == "Q":
            end = pattern.find("\\E", i + 2)
            if end < 0:
                return False
            i = end + 2
            continue
        i += 2
    return False

