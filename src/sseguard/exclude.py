"""``--exclude GLOB``: paths a folder scan skips, matched against the path relative to the scanned folder.

``*`` matches within one path segment, ``**`` any number of segments, ``?`` one character. A pattern without a
``/`` matches a segment anywhere (``vendor`` skips every folder or file named so); a pattern matching a folder skips
everything in it. Case matters, as it does on the file systems Terraform runs on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    text = pattern.strip().strip("/")
    text = text.removesuffix("/**")  # a folder's contents: the folder itself is skipped with everything in it
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            out.append(".*")
            i += 2
        elif text[i] == "*":
            out.append("[^/]*")
            i += 1
        elif text[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(text[i]))
            i += 1
    body = "".join(out)
    anywhere = "/" not in text
    return re.compile(("(?:.*/)?" if anywhere else "") + body + "(?:/.*)?")


def excluded(relative: str, patterns: Sequence[str]) -> bool:
    """Whether a path (relative to the scanned folder, ``/``-separated) is excluded by one of the patterns."""
    return any(_compiled(p).fullmatch(relative) for p in patterns if p.strip())
