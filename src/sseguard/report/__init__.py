"""Reports: one small module per format, all fed the same ``Report``.

A format's module is imported the first time it is used, so a scan that writes JSON does not pay for the HTML,
SARIF and XML machinery at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterator, Mapping

from sseguard.report.core import RenderOptions, Report

Renderer = Callable[[Report, RenderOptions], str]

_MODULES = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "junit": "junit",
    "csv": "csv_format",
    "markdown": "markdown",
    "asff": "asff",
    "html": "html",
    "gitlab": "gitlab",
}


class _Formats(Mapping[str, Renderer]):
    """Format name -> its module's ``render``, imported on first use."""

    def __getitem__(self, name: str) -> Renderer:
        module = importlib.import_module(f"sseguard.report.{_MODULES[name]}")
        render: Renderer = module.render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Renderer] = _Formats()

# Spellings of one format. A command that writes a format accepts each of its spellings, so ``md`` and ``markdown``
# mean the same to ``scan`` (which calls it markdown) and to ``evidence report`` (which calls it md).
_SPELLINGS = (("markdown", "md"), ("html", "htm"))


def format_named(name: str, known: Collection[str]) -> str | None:
    """The format among ``known`` that ``name`` spells, or None when it spells none of them."""
    if name in known:
        return name
    for spellings in _SPELLINGS:
        if name in spellings:
            return next((k for k in known if k in spellings), None)
    return None


def format_spellings(known: Collection[str]) -> str:
    """``known`` as a user may write them: ``csv, html (or htm), json, md (or markdown)``."""
    def spelled(name: str) -> str:
        others = [o for group in _SPELLINGS if name in group for o in group if o != name]
        return f"{name} (or {' or '.join(others)})" if others else name

    return ", ".join(spelled(name) for name in sorted(known))


__all__ = ["FORMATS", "RenderOptions", "Renderer", "Report", "format_named", "format_spellings"]
