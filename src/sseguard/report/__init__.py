"""Reports: one small module per format, all fed the same ``Report``."""

from __future__ import annotations

from collections.abc import Callable

from sseguard.report import asff, csv_format, html, json_format, junit, markdown, sarif, text
from sseguard.report.core import RenderOptions, Report

Renderer = Callable[[Report, RenderOptions], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "csv": csv_format.render,
    "markdown": markdown.render,
    "asff": asff.render,
    "html": html.render,
}

__all__ = ["FORMATS", "RenderOptions", "Renderer", "Report"]
