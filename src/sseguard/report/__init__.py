"""Reports: one small module per format, all fed the same ``Report``.

A format's module is imported the first time it is used, so a scan that writes JSON does not pay for the HTML,
SARIF and XML machinery at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

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

__all__ = ["FORMATS", "RenderOptions", "Renderer", "Report"]
