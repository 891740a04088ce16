"""Reports: one small module per format, all fed the same ``Report``."""

from __future__ import annotations

from collections.abc import Callable

from sseguard.report import json_format, text
from sseguard.report.core import RenderOptions, Report

Renderer = Callable[[Report, RenderOptions], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
}

__all__ = ["FORMATS", "RenderOptions", "Renderer", "Report"]
